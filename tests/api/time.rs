use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn filed(app: &TestApp, token: &str, at: &str) -> serde_json::Value {
    let (status, body) = app
        .post_incident(
            token,
            json!({"title": "t", "category": "other", "occurred_at": at}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().unwrap();
    app.api()
        .get(app.url(&format!("/api/v1/incidents/{id}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn weeks_weekdays_and_hours_follow_the_organisation_time_zone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (admin, actor) = app.signed_in("boss", "admin").await;
        let token = app.token(&actor);
        let page = admin
            .submit(
                "/admin",
                "/admin/timezone",
                &[("timezone", "Asia/Shanghai")],
            )
            .await;
        assert_redirect_to(&page, "/admin");

        // 2020-12-31T17:30Z is Friday 2021-01-01 01:30 in Shanghai: ISO week 2020-W53.
        let got = filed(&app, &token, "2020-12-31T17:30:00Z").await;
        assert_eq!(
            (
                got["week"].as_str(),
                got["weekday"].as_i64(),
                got["local_hour"].as_i64()
            ),
            (Some("2020-W53"), Some(5), Some(1)),
            "{}",
            app.backend
        );
        assert_eq!(got["local_date"], "2021-01-01");
        // 2025-12-31T17:30Z is Thursday 2026-01-01 01:30 in Shanghai: ISO week 2026-W01.
        let got = filed(&app, &token, "2025-12-31T17:30:00Z").await;
        assert_eq!(
            (
                got["week"].as_str(),
                got["weekday"].as_i64(),
                got["local_hour"].as_i64()
            ),
            (Some("2026-W01"), Some(4), Some(1))
        );
        // A local time with an offset is the same instant.
        let got = filed(&app, &token, "2026-11-23T00:15:00+08:00").await;
        assert_eq!(
            (
                got["week"].as_str(),
                got["weekday"].as_i64(),
                got["local_hour"].as_i64()
            ),
            (Some("2026-W48"), Some(1), Some(0))
        );
        let id = got["id"].as_i64().unwrap();

        // Back to UTC: every incident is recomputed. Sunday 16:15 UTC, still W47.
        let page = admin
            .submit("/admin", "/admin/timezone", &[("timezone", "UTC")])
            .await;
        assert_redirect_to(&page, "/admin");
        let got: serde_json::Value = app
            .get_json(&token, &format!("/api/v1/incidents/{id}"))
            .await;
        assert_eq!(
            (
                got["week"].as_str(),
                got["weekday"].as_i64(),
                got["local_hour"].as_i64()
            ),
            (Some("2026-W47"), Some(7), Some(16)),
            "{}",
            app.backend
        );

        // A bad zone is refused with a message, and changes nothing.
        let page = admin
            .submit("/admin", "/admin/timezone", &[("timezone", "Mars/Olympus")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.body.contains("IANA"));
    }
}

#[tokio::test]
async fn serve_timezone_flag_sets_the_stored_zone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let before = filed(&app, &token, "2026-11-22T20:00:00Z").await;
        assert_eq!(before["week"], "2026-W47");
        let mut config = rungs::config::Config::for_url(&app.database_url).unwrap();
        config.timezone = Some(chrono_tz::Asia::Shanghai);
        let second = rungs::startup::Application::build(config)
            .await
            .expect("builds");
        drop(second);
        let id = before["id"].as_i64().unwrap();
        let got: serde_json::Value = app
            .get_json(&token, &format!("/api/v1/incidents/{id}"))
            .await;
        assert_eq!(
            (
                got["week"].as_str(),
                got["weekday"].as_i64(),
                got["local_hour"].as_i64()
            ),
            (Some("2026-W48"), Some(1), Some(4)),
            "{}",
            app.backend
        );
    }
}
