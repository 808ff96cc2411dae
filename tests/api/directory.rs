//! Each process keeps people and the catalogue in memory, checked against change
//! counters: a change made anywhere must be seen at once by every other process.

use crate::helpers::*;
use reqwest::StatusCode;
use rungs::db::{self, versions};
use rungs::service::{catalog, clusters, organisation, tokens};
use serde_json::{Value, json};

async fn file_at(app: &TestApp, base: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.post_incident_to(base, token, body).await
}

#[tokio::test]
async fn changes_made_elsewhere_reach_a_second_process_at_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.user("root", "admin", "sales");
        let li = app.user("li", "member", "sales");
        let wang = app.user("wang", "member", "sales");
        let token = app.token(&li);
        let wang_token = app.token(&wang);
        let second = TestApp::start(&app.database_url).await;
        let at = |b: &str| app.backend.to_string() + ": " + b;

        // The second process has seen the token, the person and the catalogue.
        let (status, first) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "订单 1001 审批还没过", "category": "approval-chase"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", at(&first.to_string()));
        let cluster = first["cluster_id"].as_i64().unwrap();
        let (status, _) = file_at(
            &app,
            &second,
            &wang_token,
            json!({"title": "VPN drops again", "category": "approval-chase"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", at("wang files"));

        // A lead's rule, added through the database by someone else, places the next filing.
        let before = versions::read(&mut app.conn()).unwrap();
        clusters::add_rule(&mut app.conn(), &admin, cluster, "加急件").unwrap();
        let after = versions::read(&mut app.conn()).unwrap();
        assert!(
            after.catalog > before.catalog,
            "{}",
            at("a rule bumps the catalogue")
        );
        let (status, ruled) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "加急件 printer toner", "category": "approval-chase"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", at(&ruled.to_string()));
        assert_eq!(
            ruled["cluster_id"],
            json!(cluster),
            "{}",
            at("the rule applies")
        );

        // A department added elsewhere is accepted at once.
        catalog::add_department(&mut app.conn(), &admin, "legal", "Legal").unwrap();
        let (status, body) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "合同审批", "category": "approval-chase", "counterpart": "legal"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", at(&body.to_string()));

        // A category switched off elsewhere is refused at once, with the field named.
        let category = db::catalog::category_by_slug(&mut app.conn(), "approval-chase")
            .unwrap()
            .unwrap();
        catalog::update_category(
            &mut app.conn(),
            &admin,
            category.id,
            &catalog::CategoryInput {
                slug: category.slug.clone(),
                name_en: category.name_en.clone(),
                name_zh: category.name_zh.clone(),
                description: category.description.clone(),
                active: false,
            },
        )
        .unwrap();
        let (status, body) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "订单 1002 审批还没过", "category": "approval-chase"}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            at(&body.to_string())
        );
        assert!(
            body["fields"]["category"].is_string(),
            "{}",
            at(&body.to_string())
        );

        // The time zone changed elsewhere: local hours follow at once.
        organisation::set_timezone(&mut app.conn(), Some(&admin), chrono_tz::Asia::Shanghai)
            .unwrap();
        let (status, body) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "发票还没开", "category": "data-fix", "occurred_at": "2026-11-18T04:30:00Z"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", at(&body.to_string()));
        assert_eq!(
            body["local_hour"],
            12,
            "{}",
            at("04:30Z is 12:30 in Shanghai")
        );

        // A revoked token and a deactivated person are refused at once.
        let token_id = db::tokens::for_user(&mut app.conn(), li.id).unwrap()[0].id;
        tokens::revoke(&mut app.conn(), &admin, token_id).unwrap();
        let (status, _) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "x", "category": "data-fix"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", at("revoked token"));
        rungs::service::accounts::update_user(
            &mut app.conn(),
            &admin,
            wang.id,
            "member",
            "sales",
            false,
        )
        .unwrap();
        let (status, _) = file_at(
            &app,
            &second,
            &wang_token,
            json!({"title": "x", "category": "data-fix"}),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{}",
            at("deactivated person")
        );
    }
}
