//! Consolidation in the server: after filings, small unconfirmed clusters about one
//! problem come together on their own, on the trail as a system merge that a lead can
//! undo; an undone merge stays undone.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PRINTER: [&str; 3] = [
    "printer jam on floor 3",
    "printer on floor 3 jammed again",
    "floor 3 printer paper jam",
];
const VPN: [&str; 2] = [
    "vpn not connecting from home",
    "cannot connect to the vpn from home",
];

/// Live clusters holding incidents, with their incidents' titles.
fn clusters(app: &TestApp) -> Vec<(i64, Vec<String>)> {
    let mut conn = app.conn();
    let mut out = Vec::new();
    for c in rungs::db::clusters::live(&mut conn).unwrap() {
        let titles: Vec<String> = rungs::db::incidents::of_cluster(&mut conn, c.id, 50)
            .unwrap()
            .into_iter()
            .map(|i| i.title)
            .collect();
        if !titles.is_empty() {
            out.push((c.id, titles));
        }
    }
    out
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn alike_clusters_merge_after_filing_and_a_lead_can_undo_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = app.user("li", "member", "sales");
        let lead = app.user("lead", "lead", "operations");
        let (token, lead_token) = (app.token(&member), app.token(&lead));
        // A server that joins nothing at filing time and consolidates often: every
        // incident starts its own cluster, and only consolidation brings them together.
        let base = TestApp::start_with(&app.database_url, |c| {
            c.join_threshold = 1.01;
            c.consolidate_every = Some(Duration::from_millis(200));
        })
        .await;
        for title in PRINTER.iter().chain(&VPN) {
            let (status, v) = app
                .post_incident_to(
                    &base,
                    &token,
                    json!({"title": title, "body": "", "category": "other", "occurred_at": "2026-11-18T04:30:00Z"}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{v}");
            assert_eq!(v["joined"], false, "{v}");
        }
        until("two clusters", || clusters(&app).len() == 2).await;
        let found = clusters(&app);
        for (_, titles) in &found {
            let printers = titles.iter().filter(|t| t.contains("printer")).count();
            assert!(
                printers == 0 || printers == titles.len(),
                "{}: {found:?}",
                app.backend
            );
        }

        // On the trail: a system merge, with its reasons and what it moved.
        let printer_cluster = found
            .iter()
            .find(|(_, t)| t.len() == 3)
            .map(|(id, _)| *id)
            .expect("the printer cluster");
        let merged: Vec<i64> = {
            let mut conn = app.conn();
            let absorbed = rungs::db::audit::for_entity(&mut conn, "cluster", printer_cluster)
                .unwrap()
                .into_iter()
                .filter(|e| e.action == "absorbed")
                .collect::<Vec<_>>();
            assert!(!absorbed.is_empty(), "{}", app.backend);
            absorbed
                .iter()
                .map(|e| {
                    assert!(e.actor_login.is_none(), "a system merge has no actor");
                    let after: Value =
                        serde_json::from_str(e.after_json.as_deref().unwrap()).unwrap();
                    assert_eq!(after["by"], "consolidation", "{after}");
                    assert!(after["score"].as_f64().unwrap() > 0.0, "{after}");
                    // Why, in the incidents' own words.
                    let why = after["terms"].as_str().unwrap_or_default();
                    assert!(why.contains("printer"), "{}: {after}", app.backend);
                    after["from"].as_i64().unwrap()
                })
                .collect()
        };
        // Unconfirmed: a lead still decides in triage.
        let survivor = rungs::db::clusters::find(&mut app.conn(), printer_cluster)
            .unwrap()
            .unwrap();
        assert!(!survivor.confirmed);

        // A member cannot undo; a lead can, and the merge stays undone.
        let undo = |t: String, id: i64| {
            let (client, base) = (app.api(), base.clone());
            async move {
                client
                    .post(format!("{base}/api/v1/clusters/{id}/unmerge"))
                    .bearer_auth(t)
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
        let from = merged[0];
        // The survivor's page offers a lead the undo.
        let (browser, _) = app.signed_in("lead2", "lead").await;
        let page_path = format!("/clusters/{printer_cluster}");
        let undo_form = format!("action=\"/clusters/{from}/unmerge\"");
        let page = browser.get(&page_path).await.body;
        assert!(page.contains(&undo_form));
        // Beside the undo, what the two shared.
        let beside = page
            .split(&undo_form)
            .nth(1)
            .unwrap()
            .split("</form>")
            .next()
            .unwrap();
        assert!(
            beside.contains("shared words: ") && beside.contains("printer"),
            "{}: {beside}",
            app.backend
        );
        assert_eq!(undo(token.clone(), from).await, StatusCode::FORBIDDEN);
        assert_eq!(undo(lead_token.clone(), from).await, StatusCode::OK);
        until("three clusters", || clusters(&app).len() == 3).await;
        assert!(!browser.get(&page_path).await.body.contains(&undo_form));
        let (status, _) = app
            .post_incident_to(
                &base,
                &token,
                json!({"title": "vpn drops when connecting from home", "body": "", "category": "other", "occurred_at": "2026-11-18T04:40:00Z"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        until("the new vpn incident joins its problem", || {
            clusters(&app).len() == 3
        })
        .await;
        tokio::time::sleep(Duration::from_millis(800)).await;
        let after = clusters(&app);
        assert_eq!(after.len(), 3, "{}: {after:?}", app.backend);
        assert!(
            after.iter().any(|(id, _)| *id == from),
            "the undone cluster stays apart: {after:?}"
        );
        // A second undo has nothing to undo.
        assert_eq!(undo(lead_token, from).await, StatusCode::CONFLICT);
    }
}
