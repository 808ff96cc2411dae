//! Two `rungs serve` processes on one database, as behind a load balancer: what is filed
//! through one is grouped by the other, a merge made in one is followed by the other's
//! matching within seconds, the scheduler does each job once and each webhook is
//! delivered once.

use crate::child::ChildServer;
use crate::helpers::*;
use crate::receiver::{Receiver, valid};
use crate::scheduler::{count, events, resolutions, story};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// `rungs serve` with its scheduler every second and quick webhook retries.
fn instance(database_url: &str) -> ChildServer {
    ChildServer::start_with(database_url, |command| {
        command
            .env("RUNGS_SCHEDULE_EVERY", "1")
            .env("RUNGS_WEBHOOK_BACKOFF", "1");
    })
}

async fn file(app: &TestApp, server: &ChildServer, token: &str, title: &str) -> Value {
    let body = json!({"title": title, "category": "system-bug"});
    let (status, filed) = app.post_incident_to(&server.address, token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{}: {filed}", server.address);
    filed
}

async fn cluster_state(app: &TestApp, server: &ChildServer, token: &str, id: i64) -> Value {
    let path = format!("/api/v1/clusters/{id}");
    app.get_json_at(&server.address, token, &path).await["state"].clone()
}

#[tokio::test]
async fn two_serve_processes_share_filing_merges_jobs_and_webhooks() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        // A cluster whose action has eliminated it, and an action that is overdue.
        let (chased, launched, late) = story(&app, &token).await;
        let admin = app.user("root", "admin", "operations");
        let receiver = Receiver::start(0).await;
        receiver.register(&app, &admin, &["incident.filed", "cluster.resolved"]);

        let (one, two) = (instance(&app.database_url), instance(&app.database_url));

        // The scheduler of one of them resolves the cluster; both answer so.
        let started = Instant::now();
        while cluster_state(&app, &two, &token, chased).await != "resolved" {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{}: no instance resolved the cluster",
                app.backend
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(cluster_state(&app, &one, &token, chased).await, "resolved");

        // Filed through one, grouped by the other.
        let vpn = file(&app, &one, &token, "VPN token expired, cannot log in").await;
        let again = file(&app, &two, &token, "VPN token expired again, cannot log in").await;
        assert_eq!(
            again["cluster_id"], vpn["cluster_id"],
            "{}: {again}",
            app.backend
        );
        // A cluster the matcher keeps apart, merged through one: the other follows it.
        let badge = file(&app, &one, &token, "Door badge reader rejects my card").await;
        assert_ne!(badge["cluster_id"], vpn["cluster_id"]);
        let merged = app
            .api()
            .post(one.url(&format!("/api/v1/clusters/{}/merge", badge["cluster_id"])))
            .bearer_auth(&token)
            .json(&json!({"into": vpn["cluster_id"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(merged.status(), StatusCode::OK, "{}", app.backend);
        let started = Instant::now();
        let followed = file(
            &app,
            &two,
            &token,
            "Door badge reader rejects my card again",
        )
        .await;
        assert_eq!(
            followed["cluster_id"], vpn["cluster_id"],
            "{}: the other process files into the survivor: {followed}",
            app.backend
        );
        assert!(started.elapsed() < Duration::from_secs(5));

        // Many passes of both schedulers later, each thing was noticed once.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let trail = events(&app, &token).await;
        assert_eq!(resolutions(&trail, chased), 1, "{}", app.backend);
        assert_eq!(count(&trail, "action", launched, "verdict"), 1);
        assert_eq!(count(&trail, "action", late, "overdue"), 1);
        let jobs = rungs::db::jobs::all(&mut app.conn()).unwrap();
        assert!(
            jobs.iter().all(|job| job.runs >= 2),
            "{}: {jobs:?}",
            app.backend
        );

        // Each webhook once, in order, whichever instance sent it: the resolution (which
        // came before the webhooks job first ran) and the four incidents filed.
        let seen = receiver.wait_for(5, app.backend).await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(receiver.seen().len(), 5, "{}: {seen:?}", app.backend);
        assert!(seen.iter().all(valid));
        let delivered: Vec<(String, i64)> = seen
            .iter()
            .map(|r| {
                let body: Value = serde_json::from_str(&r.body).unwrap();
                let id = body["data"]["entity_id"].as_i64().unwrap();
                (body["event"].as_str().unwrap().to_string(), id)
            })
            .collect();
        let mut expected = vec![("cluster.resolved".to_string(), chased)];
        for filed in [&vpn, &again, &badge, &followed] {
            expected.push(("incident.filed".into(), filed["id"].as_i64().unwrap()));
        }
        assert_eq!(delivered, expected, "{}", app.backend);
    }
}
