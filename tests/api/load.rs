//! Load, bounded for CI: many clients filing at once while others read. Nothing is lost,
//! nothing doubled, nothing answers 5xx, and the rollups still add up. (The 30-second
//! version with 64 filers and 8 readers is in `benches/filing.rs`.)

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FILERS: usize = 16;
const READERS: usize = 2;
const RUN_FOR: Duration = Duration::from_secs(3);

const TITLES: [&str; 4] = [
    "催审批：订单 {n} 审批进度怎么还没出来",
    "Printer on floor {n} jams again",
    "客户 {n} 要发票，财务还没开",
    "VPN drops every {n} minutes on the sales laptops",
];

#[derive(Default)]
struct Tally {
    acked: Vec<(i64, String)>,
    statuses: HashMap<u16, u32>,
}

#[tokio::test]
async fn filing_under_concurrent_load_loses_and_doubles_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let tokens: Vec<String> = (0..4)
            .map(|i| {
                let actor = app.user(&format!("filer{i}"), "member", "sales");
                app.token(&actor)
            })
            .collect();
        let (browser, _) = app.signed_in("reader", "member").await;
        let browser = Arc::new(browser);
        let reader_token = tokens[0].clone();
        let deadline = Instant::now() + RUN_FOR;
        let client = reqwest::Client::new();

        let mut filers = Vec::new();
        for c in 0..FILERS {
            let (client, url, token) = (
                client.clone(),
                app.url("/api/v1/incidents"),
                tokens[c % tokens.len()].clone(),
            );
            filers.push(tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut n = 0usize;
                while Instant::now() < deadline {
                    let reference = format!("load-{c}-{n}");
                    let title = TITLES[(c + n) % TITLES.len()].replace("{n}", &n.to_string());
                    let res = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({"title": title, "category": "approval-chase",
                            "tags": ["load"], "external_ref": reference}))
                        .send()
                        .await
                        .expect("the server answers");
                    let status = res.status();
                    *tally.statuses.entry(status.as_u16()).or_default() += 1;
                    if status == StatusCode::CREATED {
                        let v: Value = res.json().await.unwrap();
                        tally.acked.push((v["id"].as_i64().unwrap(), reference));
                    }
                    n += 1;
                }
                tally
            }));
        }
        let mut readers = Vec::new();
        for r in 0..READERS {
            let (client, browser, base, token) = (
                client.clone(),
                browser.clone(),
                app.address.clone(),
                reader_token.clone(),
            );
            readers.push(tokio::spawn(async move {
                let mut statuses: HashMap<u16, u32> = HashMap::new();
                let mut n = 1i64;
                while Instant::now() < deadline {
                    let status = if (n + r as i64) % 2 == 0 {
                        browser.get("/incidents").await.status
                    } else {
                        client
                            .get(format!("{base}/api/v1/incidents/{n}"))
                            .bearer_auth(&token)
                            .send()
                            .await
                            .expect("the server answers")
                            .status()
                    };
                    *statuses.entry(status.as_u16()).or_default() += 1;
                    n += 1;
                }
                statuses
            }));
        }

        let mut acked = Vec::new();
        let mut statuses: HashMap<u16, u32> = HashMap::new();
        for f in filers {
            let t = f.await.unwrap();
            acked.extend(t.acked);
            for (s, n) in t.statuses {
                *statuses.entry(s).or_default() += n;
            }
        }
        for r in readers {
            for (s, n) in r.await.unwrap() {
                *statuses.entry(s).or_default() += n;
            }
        }
        assert!(
            statuses.keys().all(|s| *s < 500),
            "{}: 5xx under load: {statuses:?}",
            app.backend
        );
        assert!(
            statuses.iter().all(|(s, _)| matches!(*s, 200 | 201 | 404)),
            "{}: unexpected statuses {statuses:?}",
            app.backend
        );
        assert!(acked.len() > FILERS, "{}: too few filings", app.backend);

        // Every acknowledged id once, nothing more in the table, no row twice.
        let ids: HashSet<i64> = acked.iter().map(|(id, _)| *id).collect();
        assert_eq!(
            ids.len(),
            acked.len(),
            "{}: an id was acknowledged twice",
            app.backend
        );
        assert_eq!(
            app.count("incidents"),
            acked.len() as i64,
            "{}: rows in the table differ from the acknowledged filings",
            app.backend
        );
        let stored: Vec<(i64, Option<String>)> = {
            use diesel::prelude::*;
            use rungs::db::schema::incidents;
            incidents::table
                .select((incidents::id, incidents::external_ref))
                .load(&mut *app.conn())
                .unwrap()
        };
        let stored: HashMap<i64, Option<String>> = stored.into_iter().collect();
        for (id, reference) in &acked {
            assert_eq!(
                stored.get(id),
                Some(&Some(reference.clone())),
                "{}: acknowledged incident {id} missing or changed",
                app.backend
            );
        }
        assert_eq!(
            app.count("audit_events WHERE entity = 'incident'"),
            acked.len() as i64
        );
        let differences = rungs::db::rollups::verify(&mut app.conn()).unwrap();
        assert!(
            differences.is_empty(),
            "{}: rollups differ: {differences:?}",
            app.backend
        );
        let counted: i64 = {
            use diesel::dsl::sum;
            use diesel::prelude::*;
            use rungs::db::schema::clusters;
            clusters::table
                .select(sum(clusters::incident_count))
                .first::<Option<i64>>(&mut *app.conn())
                .unwrap()
                .unwrap_or(0)
        };
        assert_eq!(
            counted,
            acked.len() as i64,
            "{}: cluster counts",
            app.backend
        );
    }
}

#[tokio::test]
async fn similar_incidents_filed_at_once_start_one_cluster() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let client = reqwest::Client::new();
        // All at once, so that several of them share a batch with placement "new".
        let filings = (0..24).map(|n| {
            let (client, url, token) =
                (client.clone(), app.url("/api/v1/incidents"), token.clone());
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .bearer_auth(token)
                    .json(
                        &json!({"title": format!("催审批：订单 {} 审批进度怎么还没出来", 1000 + n),
                        "body": "客户一直在等，审批还没过", "category": "approval-chase"}),
                    )
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::CREATED);
                res.json::<Value>().await.unwrap()
            })
        });
        let mut clusters = HashSet::new();
        for f in filings.collect::<Vec<_>>() {
            clusters.insert(f.await.unwrap()["cluster_id"].as_i64().unwrap());
        }
        assert_eq!(clusters.len(), 1, "{}: {clusters:?}", app.backend);
        assert_eq!(app.count("clusters"), 1, "{}", app.backend);
    }
}
