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
        // Another process: the real binary, over the same database.
        let second_process = crate::child::ChildServer::start(&app.database_url);
        let second = second_process.address.clone();
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
        let before = versions::read(&mut app.elsewhere()).unwrap();
        clusters::add_rule(&mut app.elsewhere(), &admin, cluster, "加急件").unwrap();
        let after = versions::read(&mut app.elsewhere()).unwrap();
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
        catalog::add_department(&mut app.elsewhere(), &admin, "legal", "Legal").unwrap();
        let (status, body) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "合同审批", "category": "approval-chase", "counterpart": "legal"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", at(&body.to_string()));

        // A category switched off elsewhere is refused at once, with the field named.
        app.switch_off_category(&admin, "approval-chase");
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
        organisation::set_timezone(
            &mut app.elsewhere(),
            Some(&admin),
            chrono_tz::Asia::Shanghai,
        )
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
        let token_id = db::tokens::for_user(&mut app.elsewhere(), li.id).unwrap()[0].id;
        tokens::revoke(&mut app.elsewhere(), &admin, token_id).unwrap();
        let (status, _) = file_at(
            &app,
            &second,
            &token,
            json!({"title": "x", "category": "data-fix"}),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", at("revoked token"));
        rungs::service::accounts::update_user(
            &mut app.elsewhere(),
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

/// Try `attempt` until it holds: the number of tries it took, or `None` past `deadline`.
async fn tries_until(
    deadline: std::time::Duration,
    mut attempt: impl AsyncFnMut() -> bool,
) -> Option<u32> {
    let start = std::time::Instant::now();
    for tries in 1.. {
        if attempt().await {
            return Some(tries);
        }
        if start.elapsed() > deadline {
            return None;
        }
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    None
}

/// Reads from memory: on PostgreSQL a process keeps the change counters while it hears
/// their changes announced (`VersionFeed`); a sign-out, a deactivation or a revoked
/// token made by another process still reaches it within moments. On SQLite every
/// request reads the counters, so the refusal is immediate.
#[tokio::test]
async fn a_second_process_that_remembers_still_hears_every_change() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.user("root", "admin", "sales");
        let lead = app.user("zhao", "lead", "sales");
        let li = app.user("li", "lead", "sales");
        let token = app.token(&li);
        // Another process: the real binary, over the same database.
        let second_process = crate::child::ChildServer::start(&app.database_url);
        let second = second_process.address.clone();
        let at = |b: &str| app.backend.to_string() + ": " + b;
        let postgres = app.backend == "postgres";

        // Whether the second process keeps the counters in memory, as its health says.
        let health = || async {
            reqwest::get(format!("{second}/healthz"))
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        };
        let expected = if postgres { "listening" } else { "off" };
        let listening = tries_until(std::time::Duration::from_secs(5), async || {
            health().await["change_feed"] == json!(expected)
        })
        .await;
        assert!(listening.is_some(), "{}", at("the change feed's state"));

        // Pages and the API answer, the second time from what the process remembers.
        let browser = Browser::at(&second);
        browser.login("zhao", PASSWORD).await;
        let api = |path: &'static str| {
            let (client, token, second) = (app.api(), token.clone(), second.clone());
            async move {
                client
                    .get(format!("{second}{path}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        for _ in 0..2 {
            assert_eq!(
                browser.get("/review").await.status,
                StatusCode::OK,
                "{}",
                at("review")
            );
            assert_eq!(
                api("/api/v1/clusters").await,
                StatusCode::OK,
                "{}",
                at("api")
            );
        }

        // A token revoked elsewhere.
        let token_id = db::tokens::for_user(&mut app.elsewhere(), li.id).unwrap()[0].id;
        tokens::revoke(&mut app.elsewhere(), &admin, token_id).unwrap();
        let took = tries_until(std::time::Duration::from_secs(2), async || {
            api("/api/v1/clusters").await == StatusCode::UNAUTHORIZED
        })
        .await;
        let tries = took.unwrap_or_else(|| panic!("{}", at("a revoked token stays usable")));
        if !postgres {
            assert_eq!(tries, 1, "{}", at("refused at once"));
        }

        // A lead deactivated elsewhere is sent to sign in.
        rungs::service::accounts::update_user(
            &mut app.elsewhere(),
            &admin,
            lead.id,
            "lead",
            "sales",
            false,
        )
        .unwrap();
        let took = tries_until(std::time::Duration::from_secs(2), async || {
            let page = browser.get("/review").await;
            page.status == StatusCode::SEE_OTHER
                && page
                    .location
                    .as_deref()
                    .is_some_and(|l| l.starts_with("/login"))
        })
        .await;
        let tries =
            took.unwrap_or_else(|| panic!("{}", at("a deactivated lead still sees the review")));
        if !postgres {
            assert_eq!(tries, 1, "{}", at("sent to sign in at once"));
        }
    }
}

/// The database keeps the accounts' and the catalogue's change counters (triggers): a
/// token revoked, a person deactivated and a category switched off with plain SQL, by
/// no rungs code at all, are honoured by the running server on its next request (on
/// PostgreSQL, once the database's notice of the change has arrived: milliseconds).
#[tokio::test]
async fn rows_changed_with_plain_sql_are_honoured_without_any_rust_bump() {
    use diesel::RunQueryDsl;
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let li = app.user("li", "member", "sales");
        let wang = app.user("wang", "member", "sales");
        let (li_token, wang_token) = (app.token(&li), app.token(&wang));
        let zhao = app.browser();
        app.user("zhao", "lead", "sales");
        zhao.login("zhao", PASSWORD).await;
        let incident = json!({"title": "催审批", "category": "approval-chase"});
        // Remembered first: every check below would pass from memory if nothing moved.
        for token in [&li_token, &wang_token] {
            assert_eq!(
                file_at(&app, &app.address, token, incident.clone()).await.0,
                StatusCode::CREATED
            );
        }
        assert_eq!(zhao.get("/incidents").await.status, StatusCode::OK);
        let before = versions::read(&mut app.elsewhere()).unwrap();

        let sql = |statement: String| {
            diesel::sql_query(statement)
                .execute(&mut **app.elsewhere())
                .unwrap()
        };
        sql(format!(
            "UPDATE api_tokens SET revoked_at = '2026-01-01 00:00:00' WHERE user_id = {}",
            li.id
        ));
        sql("UPDATE users SET active = FALSE WHERE login = 'zhao'".into());
        sql("UPDATE categories SET active = FALSE WHERE slug = 'approval-chase'".into());
        let after = versions::read(&mut app.elsewhere()).unwrap();
        assert!(after.accounts > before.accounts, "{}", app.backend);
        assert!(after.catalog > before.catalog, "{}", app.backend);

        let wait = std::time::Duration::from_secs(2);
        let revoked = tries_until(wait, async || {
            file_at(&app, &app.address, &li_token, incident.clone())
                .await
                .0
                == StatusCode::UNAUTHORIZED
        })
        .await;
        let signed_out = tries_until(wait, async || {
            zhao.get("/incidents").await.status == StatusCode::SEE_OTHER
        })
        .await;
        let switched_off = tries_until(wait, async || {
            let (status, body) = file_at(&app, &app.address, &wang_token, incident.clone()).await;
            status == StatusCode::UNPROCESSABLE_ENTITY && body["fields"]["category"].is_string()
        })
        .await;
        let tries = [revoked, signed_out, switched_off];
        assert!(
            tries.iter().all(Option::is_some),
            "{}: {tries:?}",
            app.backend
        );
        if app.backend == "sqlite" {
            // SQLite: every request reads the counters, so the very next one refuses.
            assert_eq!(tries, [Some(1); 3]);
        }
        assert_eq!(app.count("incidents"), 2, "{}", app.backend);
    }
}

/// The clusters', the rollups' and the time zone's counters are kept by the database
/// too (migration 000016): a cluster renamed and the time zone changed with plain SQL
/// reach the review a lead has already opened (its table is cached under the counters)
/// and the next filing.
#[tokio::test]
async fn clusters_and_the_time_zone_changed_with_sql_are_honoured() {
    use diesel::RunQueryDsl;
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let li = app.user("li", "member", "sales");
        let token = app.token(&li);
        let qian = app.browser();
        app.user("qian", "lead", "sales");
        qian.login("qian", PASSWORD).await;
        let (status, filed) = file_at(
            &app,
            &app.address,
            &token,
            json!({"title": "Chasing approval for order 77", "category": "approval-chase"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {filed}", app.backend);
        let week = {
            use chrono::Datelike;
            let w = chrono::Utc::now().iso_week();
            format!("/review?week={}-W{:02}", w.year(), w.week())
        };
        let review = qian.get(&week).await;
        assert!(
            review.body.contains("Chasing approval for order 77"),
            "{}: the review names the new cluster",
            app.backend
        );
        let before = versions::read(&mut app.elsewhere()).unwrap();
        let sql = |statement: String| {
            diesel::sql_query(statement)
                .execute(&mut **app.elsewhere())
                .unwrap()
        };
        sql(format!(
            "UPDATE clusters SET title = 'Approval desk short-handed at noon' WHERE id = {}",
            filed["cluster_id"]
        ));
        sql("UPDATE settings SET value = 'Asia/Shanghai' WHERE key = 'timezone'".into());
        let after = versions::read(&mut app.elsewhere()).unwrap();
        assert!(after.clusters > before.clusters, "{}", app.backend);
        assert!(after.catalog > before.catalog, "{}", app.backend);

        let wait = std::time::Duration::from_secs(2);
        let renamed = tries_until(wait, async || {
            qian.get(&week)
                .await
                .body
                .contains("Approval desk short-handed at noon")
        })
        .await;
        let rezoned = tries_until(wait, async || {
            let (status, body) = file_at(
                &app,
                &app.address,
                &token,
                json!({"title": "发票还没开", "category": "data-fix", "occurred_at": "2026-11-18T04:30:00Z"}),
            )
            .await;
            status == StatusCode::CREATED && body["local_hour"] == 12
        })
        .await;
        assert!(
            renamed.is_some() && rezoned.is_some(),
            "{}: {renamed:?} {rezoned:?}",
            app.backend
        );
        if app.backend == "sqlite" {
            assert_eq!((renamed, rezoned), (Some(1), Some(1)));
        }
    }
}
