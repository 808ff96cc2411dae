//! A lead corrects a recorded action: hands it to someone else, moves its due date,
//! raises its goal (planned week by week again). Through the API and the action's page,
//! with the before and after on the trail; a wrong field changes nothing and says which.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use rungs::domain::week::WeekKey;
use serde_json::{Value, json};

fn monday(k: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday())) - Duration::weeks(k)
}

async fn patch(app: &TestApp, token: &str, id: i64, body: Value) -> (StatusCode, Value) {
    let res = app
        .api()
        .patch(app.url(&format!("/api/v1/actions/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn revisions(app: &TestApp, id: i64) -> Vec<Option<String>> {
    rungs::db::audit::actions_of(&mut app.conn(), "action", &[id], &["revised"])
        .unwrap()
        .into_iter()
        .map(|(_, _, after)| after)
        .collect()
}

#[tokio::test]
async fn a_lead_corrects_an_action_and_its_goal_is_planned_again() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "operations");
        let other = app.user("qian", "lead", "approval");
        let member = app.user("li", "member", "sales");
        let (token, member_token) = (app.token(&lead), app.token(&member));
        // Eight chases a week for the four weeks before: a start level of 4 a week.
        let mut cluster = 0;
        for k in 5..=8 {
            for i in 0..8 {
                let at = format!("{}T09:{:02}:00Z", monday(k) + Duration::days(2), i);
                let (status, body) = app
                    .post_incident(
                        &token,
                        json!({"title": format!("催审批 订单 {k}{i}"),
                        "category": "approval-chase", "occurred_at": at}),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{}", ctx(&body.to_string()));
                cluster = body["cluster_id"].as_i64().unwrap();
            }
        }
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/clusters/{cluster}/actions")))
            .bearer_auth(&token)
            .json(
                &json!({"rung": 1, "title": "Lunch rota", "launched_at": monday(4).to_string(),
                "goal_kind": "weekly_rate_below", "goal_value": 2.0,
                "goal_week": WeekKey::of(monday(0)).to_string()}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{}", ctx("the action"));
        let created: Value = res.json().await.unwrap();
        let id = created["id"].as_i64().unwrap();
        assert_eq!(
            created["goal"]["target_value"],
            2.0,
            "{}",
            ctx(&created.to_string())
        );

        // A member may not; a wrong owner and goal week change nothing and are named.
        let (status, _) = patch(&app, &member_token, id, json!({"owner": "li"})).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", ctx("a member"));
        let (status, body) = patch(&app, &token, id,
            json!({"owner": "nobody", "goal_kind": "weekly_rate_below", "goal_value": 1.0, "goal_week": "W99"})).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx(&body.to_string())
        );
        let named = body.to_string();
        assert!(
            named.contains("owner") && named.contains("goal_week"),
            "{}",
            ctx(&named)
        );
        let unchanged = app.get_json(&token, &format!("/api/v1/actions/{id}")).await;
        assert_eq!(
            unchanged["goal"]["target_value"],
            2.0,
            "{}",
            ctx("nothing changed")
        );
        assert!(
            revisions(&app, id).is_empty(),
            "{}",
            ctx("no trail for a refusal")
        );

        // Handed to qian, due in two weeks, the goal raised to under 1 a week by next
        // week: the plan is made again, one more weekly target.
        let due = monday(0) + Duration::days(14);
        let next_week = WeekKey::of(monday(0) + Duration::days(7)).to_string();
        let (status, revised) = patch(
            &app,
            &token,
            id,
            json!({"owner": "qian", "due_on": due.to_string(),
            "goal_kind": "weekly_rate_below", "goal_value": 1.0, "goal_week": next_week}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", ctx(&revised.to_string()));
        assert_eq!(
            revised["owner_id"],
            other.id,
            "{}",
            ctx(&revised.to_string())
        );
        assert_eq!(revised["due_on"], due.to_string());
        assert_eq!(
            revised["title"],
            "Lunch rota",
            "{}",
            ctx("a field left out keeps its value")
        );
        assert_eq!(revised["goal"]["target_value"], 1.0);
        assert_eq!(revised["goal"]["target_week"], next_week);
        assert_eq!(
            revised["goal"]["weekly_targets"].as_array().unwrap().len(),
            created["goal"]["weekly_targets"].as_array().unwrap().len() + 1,
            "{}",
            ctx(&revised["goal"].to_string())
        );
        // The trail keeps the fields that changed, before and after.
        let trail = revisions(&app, id);
        assert_eq!(trail.len(), 1, "{}", ctx("one revision"));
        let after: Value = serde_json::from_str(trail[0].as_deref().unwrap()).unwrap();
        assert_eq!(after["goal_value"], 1.0, "{}", ctx(&after.to_string()));
        assert!(
            after.get("title").is_none(),
            "{}",
            ctx("an unchanged title is not on the trail")
        );
        // The same again changes nothing and writes nothing.
        let (status, _) = patch(&app, &token, id, json!({"owner": "qian"})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            revisions(&app, id).len(),
            1,
            "{}",
            ctx("no change, no entry")
        );

        // On the page: a refused correction keeps what was typed, in the reader's language.
        let (browser, _) = app.signed_in("sun", "lead").await;
        let path = format!("/actions/{id}");
        let page = browser.get(&path).await;
        assert!(
            page.body.contains("Correct this action"),
            "{}",
            ctx("the form")
        );
        assert!(
            page.body.contains("value=\"qian\""),
            "{}",
            ctx("the owner as stored")
        );
        let refused = browser
            .submit(
                &path,
                &format!("/actions/{id}/revise"),
                &[
                    ("title", "Lunch rota, two people"),
                    ("why", ""),
                    ("owner", "nobody"),
                    ("due_on", &due.to_string()),
                    ("goal_kind", "weekly_rate_below"),
                    ("goal_value", "lots"),
                    ("goal_start", ""),
                    ("goal_week", ""),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx(&refused.body)
        );
        assert!(
            refused.body.contains("value=\"Lunch rota, two people\""),
            "{}",
            ctx("the typed title kept")
        );
        assert!(
            refused.body.contains("value=\"lots\""),
            "{}",
            ctx("the typed number kept")
        );
        assert_eq!(
            refused.body.matches("class=\"field-error\"").count(),
            2,
            "{}",
            ctx("owner and goal value")
        );
        let saved = browser
            .submit(
                &path,
                &format!("/actions/{id}/revise"),
                &[
                    ("title", "Lunch rota, two people"),
                    ("why", "Two at lunch"),
                    ("owner", "zhao"),
                    ("due_on", ""),
                    ("goal_kind", ""),
                    ("goal_value", ""),
                    ("goal_start", ""),
                    ("goal_week", ""),
                ],
            )
            .await;
        assert_redirect_to(&saved, &path);
        let a = app
            .get_json(&token, &path.replace("/actions", "/api/v1/actions"))
            .await;
        assert_eq!(
            (a["title"].as_str(), a["owner_id"].as_i64()),
            (Some("Lunch rota, two people"), Some(lead.id)),
            "{}",
            ctx(&a.to_string())
        );
        assert!(
            a["goal"].is_null() && a["due_on"].is_null(),
            "{}",
            ctx("the goal and due date dropped")
        );
        assert_eq!(revisions(&app, id).len(), 2);
        // The action's page tells its trail: recorded, then corrected twice, with whom
        // it was handed to by name.
        let page = browser.get(&path).await;
        let history = page.body.split("id=\"history\"").nth(1).unwrap_or_default();
        assert!(history.contains("created it"), "{}", ctx(history));
        assert_eq!(
            history.matches("corrected it").count(),
            2,
            "{}",
            ctx(history)
        );
        assert!(
            history.contains("owner: qian") || history.contains("qian"),
            "{}",
            ctx(history)
        );
        assert!(
            !history.contains("from C"),
            "{}",
            ctx("no cluster words in an action's trail")
        );
    }
}
