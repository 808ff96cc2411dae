//! Triage gathers the new clusters that look like the same one, and a lead merges the
//! ticked ones in one step: all of them, or none when one cannot be merged.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn file(app: &TestApp, base: &str, token: &str, title: &str) -> i64 {
    let body = json!({"title": title, "category": "other", "occurred_at": "2026-11-18T04:30:00Z"});
    let (status, v) = app.post_incident_to(base, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v["cluster_id"].as_i64().unwrap()
}

#[tokio::test]
async fn look_alikes_are_gathered_and_merged_in_one_step() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        // A server that joins nothing by itself: every filing starts a cluster, as
        // filings just below the threshold do.
        let strict = TestApp::start_with(&app.database_url, |c| c.join_threshold = 0.99).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let printer = file(
            &app,
            &strict,
            &token,
            "三楼打印机卡纸 printer jam on floor 3",
        )
        .await;
        for title in [
            "三楼打印机卡纸了",
            "printer jam floor 3 again",
            "打印机卡纸 三楼 printer jam",
        ] {
            file(&app, &strict, &token, title).await;
        }
        let res = lead
            .submit("/triage", &format!("/clusters/{printer}/confirm"), &[])
            .await;
        assert_redirect_to(&res, "/triage");
        let parking = file(&app, &strict, &token, "visitor parking gate will not open").await;

        let page = lead.get("/triage").await;
        let group = format!("id=\"like-{printer}\"");
        assert!(page.body.contains(&group), "{}: {}", app.backend, page.body);
        let ticked: Vec<i64> = page
            .body
            .split("name=\"merge_")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().parse().unwrap())
            .collect();
        // Each resembles the printer cluster, or another of the three, most.
        assert!(
            ticked.len() >= 2,
            "{}: they look like C{printer}",
            app.backend
        );
        assert!(!ticked.contains(&parking));

        // One of those ticked cannot be merged (the cluster itself): nothing is merged,
        // and the page says why.
        let mut fields: Vec<(String, String)> = vec![("into".into(), printer.to_string())];
        fields.extend(ticked.iter().map(|id| (format!("merge_{id}"), "1".into())));
        fields.push((format!("merge_{printer}"), "1".into()));
        let form: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let refused = lead.submit("/triage", "/triage/merge", &form).await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        assert!(
            refused.body.contains("cannot be merged into itself"),
            "{}",
            refused.body
        );
        for id in &ticked {
            let c: Value = app
                .get_json(&token, &format!("/api/v1/clusters/{id}"))
                .await;
            assert!(
                c["merged_into"].is_null(),
                "{}: nothing merged",
                app.backend
            );
        }

        // The ticked ones, in one step.
        let form = &form[..form.len() - 1];
        let merged = lead.submit("/triage", "/triage/merge", form).await;
        assert_redirect_to(&merged, "/triage");
        let after = lead.get("/triage").await;
        let said = format!("{} clusters were merged into C{printer}", ticked.len());
        assert!(after.body.contains(&said), "{}", app.backend);
        assert!(!after.body.contains(&group));
        let survivor: Value = app
            .get_json(&token, &format!("/api/v1/clusters/{printer}"))
            .await;
        let n = 1 + ticked.len() as i64;
        assert_eq!(survivor["incident_count"], n, "{}: {survivor}", app.backend);
        let (member, _) = app.signed_in("li", "member").await;
        let form = [("into", "1"), ("merge_2", "1")];
        let res = member
            .submit("/incidents/new", "/triage/merge", &form)
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn a_suggestion_says_which_words_the_two_share() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let strict = TestApp::start_with(&app.database_url, |c| c.join_threshold = 0.99).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let gate = file(&app, &strict, &token, "visitor parking gate will not open").await;
        let res = lead
            .submit("/triage", &format!("/clusters/{gate}/confirm"), &[])
            .await;
        assert_redirect_to(&res, "/triage");
        let stuck = file(
            &app,
            &strict,
            &token,
            "parking gate stuck at the visitor entrance",
        )
        .await;
        assert_ne!(
            stuck, gate,
            "{}: the strict server joins nothing",
            app.backend
        );

        let page = lead.get("/triage").await;
        let item = page
            .body
            .split("class=\"card triage-item\"")
            .find(|s| s.contains(&format!("/clusters/{stuck}\"")))
            .unwrap_or_else(|| panic!("{}: C{stuck} is queued: {}", app.backend, page.body));
        let offered = item.split("shared words: ").nth(1).unwrap_or_else(|| {
            panic!(
                "{}: the suggestion says what is shared: {item}",
                app.backend
            )
        });
        let words = offered.split('<').next().unwrap();
        assert!(words.contains("parking"), "{}: {words}", app.backend);
        assert!(words.contains("gate"), "{}: {words}", app.backend);
    }
}
