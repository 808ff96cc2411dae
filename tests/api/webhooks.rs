//! Webhooks to a receiver inside the test (a TcpListener on a free port): signed,
//! retried after a 500, in order, once across two instances; "send test" and
//! "redeliver" from the admin page.

use crate::helpers::*;
use crate::receiver::{Receiver, SECRET, valid};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn fast(c: &mut rungs::config::Config) {
    c.schedule_every = Some(Duration::from_millis(100));
    c.webhooks_every = Some(Duration::from_millis(100));
    c.webhook_backoff = Duration::from_millis(300);
}

async fn file(app: &TestApp, base: &str, token: &str, title: &str) -> i64 {
    let res = app
        .api()
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(token)
        .json(&json!({"title": title, "category": "approval-chase"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let v: Value = res.json().await.unwrap();
    v["id"].as_i64().unwrap()
}

#[tokio::test]
async fn webhooks_are_signed_retried_after_a_500_and_delivered_in_order() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let server = TestApp::start_with(&app.database_url, fast).await;
        let member = app.user("li", "member", "sales");
        let token = app.token(&member);
        let receiver = Receiver::start(1).await;

        // An admin registers the endpoint on the admin page; a bad form keeps its values.
        let admin = Browser::at(&server);
        app.user("root", "admin", "operations");
        admin.login("root", PASSWORD).await;
        let refused = admin
            .submit(
                "/admin/webhooks",
                "/admin/webhooks",
                &[("url", "ftp://nope"), ("secret", "short")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains("ftp://nope"));
        let added = admin
            .submit(
                "/admin/webhooks",
                "/admin/webhooks",
                &[
                    ("url", &receiver.url),
                    ("secret", SECRET),
                    ("incident_filed", "1"),
                    ("language", "zh-CN"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);

        let mut filed = Vec::new();
        for i in 0..3 {
            filed.push(file(&app, &app.address, &token, &format!("催审批 订单 {i}")).await);
        }
        // One 500, then the three in order: the first one twice.
        let seen = receiver.wait_for(4, app.backend).await;
        assert_eq!(seen[0].answered, 500);
        assert!(seen.iter().all(valid), "{}: {seen:?}", app.backend);
        let keys: Vec<&str> = seen
            .iter()
            .map(|r| r.headers["idempotency-key"].as_str())
            .collect();
        assert_eq!(keys[0], keys[1], "a retry keeps its idempotency key");
        let bodies: Vec<Value> = seen[1..]
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        let ids: Vec<i64> = bodies
            .iter()
            .map(|b| b["data"]["entity_id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, filed, "{}: in order", app.backend);
        assert_eq!(bodies[0]["event"], "incident.filed");
        let text = bodies[0]["text"].as_str().unwrap();
        assert!(
            text.contains("新事件") && text.contains("催审批 订单 0"),
            "{text}"
        );

        // The admin page lists them; "send test" and "redeliver" send again.
        let page = admin.get("/admin/webhooks").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("incident.filed"));
        assert!(
            page.body.contains("HTTP 500"),
            "the first attempt's error is shown"
        );
        let delivery = {
            let mut conn = app.conn();
            let endpoint = rungs::db::webhooks::endpoints(&mut conn).unwrap()[0].id;
            // The receiver has answered the last one; its row is marked just after.
            let start = std::time::Instant::now();
            let rows = loop {
                let rows = rungs::db::webhooks::for_endpoint(&mut conn, endpoint).unwrap();
                if rows.iter().all(|d| d.status == "delivered")
                    || start.elapsed() > std::time::Duration::from_secs(10)
                {
                    break rows;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            };
            assert_eq!(rows.len(), 3);
            assert!(rows.iter().all(|d| d.status == "delivered"), "{rows:?}");
            assert_eq!(rows[0].attempts, 2);
            assert_eq!(rows[0].last_status, Some(200));
            assert!(rows[0].response_ms.is_some());
            (endpoint, rows[0].id)
        };
        let sent = admin
            .submit(
                "/admin/webhooks",
                &format!("/admin/webhooks/{}/test", delivery.0),
                &[],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER);
        let again = admin
            .submit(
                "/admin/webhooks",
                &format!("/admin/webhooks/deliveries/{}/redeliver", delivery.1),
                &[],
            )
            .await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        let seen = receiver.wait_for(6, app.backend).await;
        assert_eq!(seen[4].headers["x-rungs-event"], "test");
        assert_eq!(
            seen[5].headers["idempotency-key"], keys[0],
            "a redelivery keeps the key"
        );
        // A member may not see or use the page.
        let member_page = app
            .signed_in("wang", "member")
            .await
            .0
            .get("/admin/webhooks")
            .await;
        assert_eq!(member_page.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn two_instances_deliver_each_webhook_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let first = TestApp::start_with(&app.database_url, fast).await;
        let second = TestApp::start_with(&app.database_url, fast).await;
        let member = app.user("li", "member", "sales");
        let token = app.token(&member);
        let admin = app.user("root", "admin", "operations");
        let receiver = Receiver::start(0).await;
        receiver.register(&app, &admin, &["incident.filed"]);
        // Let both schedulers pass once after the registration.
        tokio::time::sleep(Duration::from_millis(400)).await;
        for i in 0..6 {
            let base = if i % 2 == 0 { &first } else { &second };
            file(&app, base, &token, &format!("Printer jam {i}")).await;
        }
        receiver.wait_for(6, app.backend).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let seen = receiver.seen();
        assert_eq!(seen.len(), 6, "{}: each once: {seen:?}", app.backend);
        let mut keys: Vec<&str> = seen
            .iter()
            .map(|r| r.headers["idempotency-key"].as_str())
            .collect();
        keys.dedup();
        assert_eq!(keys.len(), 6);
        assert!(seen.iter().all(valid));
    }
}

#[tokio::test]
async fn a_slow_receiver_holds_up_neither_requests_nor_other_endpoints() {
    let backend = backends().remove(0);
    let app = TestApp::spawn(&backend).await;
    let server = TestApp::start_with(&app.database_url, fast).await;
    let member = app.user("li", "member", "sales");
    let token = app.token(&member);
    let admin = app.user("root", "admin", "operations");
    let slow = Receiver::slow(0, Duration::from_secs(8)).await;
    let quick = Receiver::start(0).await;
    for receiver in [&slow, &quick] {
        receiver.register(&app, &admin, &["incident.filed"]);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    file(&app, &server, &token, "Printer jam 1").await;
    slow.wait_for(1, "the slow receiver is being sent to").await;
    // While the slow one has not answered, filing answers at once and the quick
    // endpoint gets its delivery.
    let started = Instant::now();
    file(&app, &server, &token, "Printer jam 2").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    quick.wait_for(2, "the quick receiver").await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the quick endpoint waited for the slow one: {:?}",
        started.elapsed()
    );
    assert_eq!(
        slow.seen().len(),
        1,
        "the slow endpoint's next waits its turn"
    );
}

#[tokio::test]
async fn a_delivery_in_retries_is_delivered_once_across_a_restart() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = app.user("li", "member", "sales");
        let token = app.token(&member);
        let admin = app.user("root", "admin", "operations");
        let quick = |c: &mut std::process::Command| {
            c.env("RUNGS_SCHEDULE_EVERY", "1")
                .env("RUNGS_WEBHOOK_BACKOFF", "1");
        };
        let mut first = crate::child::ChildServer::start_with(&app.database_url, quick);
        // Its scheduler's first pass has run (the log is read from there on).
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let receiver = Receiver::start(1).await;
        receiver.register(&app, &admin, &["incident.filed"]);
        let id = file(&app, &first.address, &token, "Printer jam on floor 3").await;
        receiver.wait_for(1, "the first attempt").await;
        // Killed between the failed attempt (recorded, the endpoint's lease given back)
        // and its retry; another process takes over.
        let started = Instant::now();
        while app.count("webhook_deliveries WHERE attempts = 1") == 0
            || app.count("webhook_endpoints WHERE lease_owner IS NULL") == 0
        {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the attempt is recorded"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        first.kill();
        let _second = crate::child::ChildServer::start_with(&app.database_url, quick);
        let seen = receiver.wait_for(2, "the retry after the restart").await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let seen_after = receiver.seen();
        assert_eq!(
            seen_after.len(),
            2,
            "{}: once more, not again: {seen_after:?}",
            app.backend
        );
        assert_eq!(seen[1].answered, 200);
        assert_eq!(
            seen[0].headers["idempotency-key"],
            seen[1].headers["idempotency-key"]
        );
        let body: Value = serde_json::from_str(&seen[1].body).unwrap();
        assert_eq!(body["data"]["entity_id"].as_i64(), Some(id));
        assert!(valid(&seen[1]));
    }
}
