//! The review's caches follow every change: another process's, too.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_change_shows_on_the_next_view_of_a_cached_review() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let file = |title: &'static str| {
            app.post_incident(
                &token,
                json!({"title": title, "category": "other", "occurred_at": "2026-11-18T04:30:00Z"}),
            )
        };
        let (status, first) = file("打印机卡纸 三楼").await;
        assert_eq!(status, StatusCode::CREATED);
        let id = first["cluster_id"].as_i64().unwrap();
        let page = lead.get("/review?week=2026-W47").await;
        assert!(
            page.body.contains("Triage queue: 1 waiting"),
            "{}",
            app.backend
        );
        assert!(page.body.contains("打印机卡纸 三楼"));

        // A lead confirms it: the next view shows it, here and in another process.
        // Another process: the real binary, over the same database.
        let other_process = crate::child::ChildServer::start(&app.database_url);
        let other = other_process.address.clone();
        let res = lead
            .submit("/triage", &format!("/clusters/{id}/confirm"), &[])
            .await;
        assert_redirect_to(&res, "/triage");
        let res = reqwest::Client::new()
            .get(format!("{other}/api/v1/clusters?week=2026-W47"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = res.json().await.unwrap();
        assert_eq!(v["clusters"][0]["confirmed"], true, "{v}");
        let page = lead.get("/review?week=2026-W47").await;
        assert!(
            page.body.contains("Triage queue: 0 waiting"),
            "{}",
            app.backend
        );

        // A new incident changes the counts on the next view.
        let res = reqwest::Client::new()
            .post(format!("{other}/api/v1/incidents"))
            .bearer_auth(&token)
            .json(
                &json!({"title": "打印机卡纸 三楼 又坏了", "category": "other",
                "occurred_at": "2026-11-19T04:30:00Z"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let filed: serde_json::Value = res.json().await.unwrap();
        assert_eq!(filed["cluster_id"].as_i64(), Some(id), "{filed}");
        let (_, v) = {
            let res = app
                .api()
                .get(app.url("/api/v1/clusters?week=2026-W47"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<serde_json::Value>().await.unwrap())
        };
        assert_eq!(v["clusters"][0]["this_week"], 2, "{}: {v}", app.backend);
        let (_, d) = {
            let res = app
                .api()
                .get(app.url(&format!("/api/v1/clusters/{id}/drivers?week=2026-W47")))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<serde_json::Value>().await.unwrap())
        };
        assert_eq!(d["this_week_total"], 2.0, "{d}");

        // An admin renames the category elsewhere: the next view names it anew.
        let page = lead.get("/review?week=2026-W47").await;
        assert!(page.body.contains(">Other<"), "{}", app.backend);
        let admin = app.user("root", "admin", "sales");
        let other_category = rungs::db::catalog::category_by_slug(&mut app.conn(), "other")
            .unwrap()
            .unwrap();
        rungs::service::catalog::update_category(
            &mut app.conn(),
            &admin,
            other_category.id,
            &rungs::service::catalog::CategoryInput {
                slug: "other".into(),
                name_en: "Everything else".into(),
                name_zh: other_category.name_zh.clone(),
                description: other_category.description.clone(),
                active: true,
            },
        )
        .unwrap();
        let page = lead.get("/review?week=2026-W47").await;
        assert!(page.body.contains("Everything else"), "{}", app.backend);
    }
}
