//! The ladder in the browser's terms: forms on the cluster and action pages.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_lead_records_and_advances_an_action_from_the_pages() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let (member, member_actor) = app.signed_in("li", "member").await;
        let token = app.token(&member_actor);
        let (_, filed) = app
            .post_incident(
                &token,
                json!({"title": "催审批 订单审批进度", "category": "approval-chase"}),
            )
            .await;
        let cluster = filed["cluster_id"].as_i64().unwrap();
        let page_path = format!("/clusters/{cluster}");

        let page = lead.get(&page_path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        assert!(page.body.contains("Coach"));
        assert!(page.body.contains("Stands on rung"));

        // A rejected action keeps what was typed and says what is wrong.
        let action_path = format!("/clusters/{cluster}/actions");
        let page = lead
            .submit(
                &page_path,
                &action_path,
                &[
                    ("rung", "3"),
                    ("title", "Lock customers during approval"),
                    ("why", "salespeople race for credit"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        assert!(
            page.body
                .contains("value=\"Lock customers during approval\"")
        );
        assert!(page.body.contains("salespeople race for credit"));
        assert!(page.body.contains("A policy names the departments"));
        assert_eq!(app.count("actions"), 0);

        // A member may not.
        let page = member
            .submit(&page_path, &action_path, &[("rung", "1"), ("title", "x")])
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);

        let page = lead
            .submit(
                &page_path,
                &action_path,
                &[
                    ("rung", "2"),
                    ("title", "Approval progress visible to sales"),
                    ("owner", "zhao"),
                    ("review_after_weeks", "4"),
                ],
            )
            .await;
        assert_redirect_to(&page, "/actions/");
        let action = page.location.unwrap();
        let show = lead.get(&action).await;
        assert_eq!(show.status, StatusCode::OK);
        assert!(show.body.contains("proposed"));
        let page = lead
            .submit(
                &action,
                &format!("{action}/advance"),
                &[("stage", "scheduled"), ("on", ""), ("note", "in sprint 12")],
            )
            .await;
        assert_redirect_to(&page, &action);
        let show = lead.get(&action).await;
        assert!(show.body.contains("in sprint 12"), "{}", app.backend);
        let page = lead
            .submit(
                &action,
                &format!("{action}/comments"),
                &[("body", "product agreed the priority")],
            )
            .await;
        assert_redirect_to(&page, &action);
        assert!(
            lead.get(&action)
                .await
                .body
                .contains("product agreed the priority")
        );

        // The ladder pages render.
        let ladder = lead.get(&format!("/clusters/{cluster}/ladder")).await;
        assert_eq!(ladder.status, StatusCode::OK);
        assert!(ladder.body.contains("<svg"));
        assert!(ladder.body.contains("Approval progress visible to sales"));
        assert!(ladder.body.contains("vision"), "levels 7 to 10 as context");
        let team = member.get("/ladder").await;
        assert_eq!(team.status, StatusCode::OK);
        assert!(team.body.contains("rung 2 or above"));
        let _ = lead_actor;
    }
}

#[tokio::test]
async fn a_launched_policy_sits_on_the_retrospective_agenda_for_the_mechanism_weeks() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let signer = app.user("s1", "member", "sales");
        let (token, signer_token) = (app.token(&lead_actor), app.token(&signer));
        let (_, filed) = app
            .post_incident(
                &token,
                json!({"title": "催审批 订单审批进度", "category": "approval-chase"}),
            )
            .await;
        let cluster = filed["cluster_id"].as_i64().unwrap();
        let post = |token: &str, path: String, body: serde_json::Value| {
            let req = app
                .api()
                .post(app.url(&path))
                .bearer_auth(token)
                .json(&body);
            async move { req.send().await.unwrap() }
        };
        let agenda = lead.get("/ladder").await;
        assert!(
            agenda.body.contains("No review mechanism has launched yet"),
            "{}",
            app.backend
        );
        let res = post(
            &token,
            format!("/api/v1/clusters/{cluster}/actions"),
            json!({"rung": 3, "title": "Customer lock policy", "departments": ["sales"]}),
        )
        .await;
        let policy: serde_json::Value = res.json().await.unwrap();
        let pid = policy["id"].as_i64().unwrap();
        assert_eq!(
            post(
                &signer_token,
                format!("/api/v1/actions/{pid}/signoffs"),
                json!({"department": "sales", "decision": "approve"})
            )
            .await
            .status(),
            StatusCode::CREATED
        );
        let last_week = (chrono::Utc::now() - chrono::Duration::days(7))
            .date_naive()
            .to_string();
        assert_eq!(
            post(
                &token,
                format!("/api/v1/actions/{pid}/advance"),
                json!({"stage": "launched", "on": last_week})
            )
            .await
            .status(),
            StatusCode::OK
        );
        let res = post(&token, format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 4, "title": "Weekly retrospective of new policies", "retro_weeks": 6, "launched_at": last_week})).await;
        assert_eq!(res.status(), StatusCode::CREATED);
        let agenda = lead.get("/ladder").await;
        assert!(agenda.body.contains("for 6 weeks"), "{}", app.backend);
        assert!(
            agenda.body.contains("Customer lock policy"),
            "{}: the policy is on the agenda",
            app.backend
        );
        assert!(agenda.body.contains("1 / 6"));
    }
}
