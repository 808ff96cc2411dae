//! Crash safety: the real binary is killed with SIGKILL while eight clients file
//! incidents as fast as they can; after a restart, every incident that was answered
//! 201 is there, intact, exactly once.

use crate::child::ChildServer;
use crate::helpers::*;
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 8;
/// Kill no sooner than this, and only once this many filings were acknowledged.
const RUN_AT_LEAST: Duration = Duration::from_millis(1500);
const ACKED_AT_LEAST: usize = 50;
/// Give up (and fail) if the server is this slow to start or to acknowledge.
const PATIENCE: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
struct Sent {
    title: String,
    body: String,
}

#[derive(diesel::QueryableByName)]
struct Stored {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    title: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    body: String,
}

#[tokio::test]
async fn incidents_acknowledged_before_a_sigkill_survive_the_restart() {
    for backend in backends() {
        let started = Instant::now();
        // A fresh database (migrated by the in-process server, which stays idle).
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("filer", "member", "sales");
        let token = app.token(&actor);

        let mut server = ChildServer::start(&app.database_url);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let acked: Arc<Mutex<HashMap<i64, Sent>>> = Arc::default();
        let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
        let acked_count = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = Vec::new();
        for c in 0..CLIENTS {
            let (client, token, url) = (
                client.clone(),
                token.clone(),
                format!("{}/api/v1/incidents", server.address),
            );
            let (acked, sent, acked_count, stop) = (
                acked.clone(),
                sent.clone(),
                acked_count.clone(),
                stop.clone(),
            );
            clients.push(tokio::spawn(async move {
                let mut refused = Vec::new();
                for n in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let item = Sent {
                        title: format!("crash {c}-{n} 催审批"),
                        body: format!("client {c}, filing {n}: <b>不</b> 'quoted' \"twice\"\nline two"),
                    };
                    sent.lock().unwrap().push(item.clone());
                    let res = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"title": item.title, "body": item.body, "category": "approval-chase"}))
                        .send()
                        .await;
                    let res = match res {
                        Ok(r) => r,
                        Err(_) => break, // the server is gone
                    };
                    let status = res.status();
                    match res.json::<serde_json::Value>().await {
                        Ok(body) if status == StatusCode::CREATED => {
                            let id = body["id"].as_i64().expect("201 carries the id");
                            let before = acked.lock().unwrap().insert(id, item);
                            assert!(before.is_none(), "id {id} acknowledged twice");
                            acked_count.fetch_add(1, Ordering::Relaxed);
                        }
                        // An answer cut off by the kill is not an acknowledgement.
                        Err(_) => break,
                        Ok(body) => refused.push(format!("{status}: {body}")),
                    }
                }
                refused
            }));
        }

        // Let them run, then kill the server mid-stream.
        let filing_began = Instant::now();
        while filing_began.elapsed() < RUN_AT_LEAST
            || acked_count.load(Ordering::Relaxed) < ACKED_AT_LEAST
        {
            assert!(
                filing_began.elapsed() < PATIENCE,
                "{}: only {} filings acknowledged in {PATIENCE:?}; server log: {:?}",
                app.backend,
                acked_count.load(Ordering::Relaxed),
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill();
        let killed_after = filing_began.elapsed();
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            let refused = client.await.expect("client task");
            assert!(
                refused.is_empty(),
                "{}: filings refused while the server was up: {refused:?}",
                app.backend
            );
        }
        let acked = acked.lock().unwrap().clone();
        let sent = sent.lock().unwrap().clone();

        // Restart over the same database: it must come up and serve what was acknowledged.
        let server = ChildServer::start(&app.database_url);
        let mut missing = Vec::new();
        for (id, item) in &acked {
            let res = client
                .get(format!("{}/api/v1/incidents/{id}", server.address))
                .bearer_auth(&token)
                .send()
                .await
                .expect("the restarted server answers");
            if res.status() != StatusCode::OK {
                missing.push(*id);
                continue;
            }
            let got: serde_json::Value = res.json().await.unwrap();
            assert_eq!(got["title"], item.title.as_str(), "{}: #{id}", app.backend);
            assert_eq!(got["body"], item.body.as_str(), "{}: #{id}", app.backend);
            assert_eq!(got["category"], "approval-chase");
            assert_eq!(got["status"], "open");
        }
        assert!(
            missing.is_empty(),
            "{}: acknowledged incidents lost in the crash: {missing:?}",
            app.backend
        );

        // Straight from the database: every row is one we sent, intact, at most once;
        // every acknowledged one is there exactly once, under the id it was given.
        let rows: Vec<Stored> = diesel::sql_query("SELECT id, title, body FROM incidents")
            .load(&mut *app.conn())
            .expect("read incidents");
        let sent_bodies: HashMap<&str, &str> = sent
            .iter()
            .map(|s| (s.title.as_str(), s.body.as_str()))
            .collect();
        let mut seen = HashSet::new();
        for row in &rows {
            assert!(
                seen.insert(row.title.as_str()),
                "{}: {:?} stored twice",
                app.backend,
                row.title
            );
            assert_eq!(
                sent_bodies.get(row.title.as_str()).copied(),
                Some(row.body.as_str()),
                "{}: row #{} is not one that was sent, or is damaged",
                app.backend,
                row.id
            );
        }
        let by_id: HashMap<i64, &Stored> = rows.iter().map(|r| (r.id, r)).collect();
        for (id, item) in &acked {
            let row = by_id
                .get(id)
                .unwrap_or_else(|| panic!("{}: #{id} lost", app.backend));
            assert_eq!(row.title, item.title);
            assert_eq!(row.body, item.body);
        }
        // Every filing also wrote its audit event in the same transaction.
        assert_eq!(
            app.count("audit_events WHERE entity = 'incident' AND action = 'filed'"),
            rows.len() as i64,
            "{}: an incident without its audit event, or the reverse",
            app.backend
        );

        // And the restarted server takes new filings.
        let res = client
            .post(format!("{}/api/v1/incidents", server.address))
            .bearer_auth(&token)
            .json(&json!({"title": "after the crash", "category": "other"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED, "{}", app.backend);

        eprintln!(
            "crash on {}: {} acknowledged, {} stored, {} sent; killed after {:.1?}; {:.1?} in all",
            app.backend,
            acked.len(),
            rows.len(),
            sent.len(),
            killed_after,
            started.elapsed()
        );
        assert!(
            started.elapsed() < Duration::from_secs(50),
            "{}: the crash test must stay well under a minute",
            app.backend
        );
    }
}
