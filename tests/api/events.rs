//! The event log: every kind of change writes its event in the change's own
//! transaction, so a server killed right after answering loses none, and a reader
//! after the last id it saw gets each event once, in order.

use crate::child::ChildServer;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn post(base: &str, token: &str, path: &str, body: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn events(base: &str, token: &str, after: i64, limit: i64) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .get(format!("{base}/api/v1/events?after={after}&limit={limit}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn every_kind_of_change_leaves_an_event_that_survives_a_sigkill() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.user("root", "admin", "operations");
        let lead = app.user("zhao", "lead", "sales");
        let member = app.user("li", "member", "sales");
        let (admin_token, lead_token, member_token) =
            (app.token(&admin), app.token(&lead), app.token(&member));
        let mut server = ChildServer::start(&app.database_url);
        let base = server.address.clone();

        // Filed, on two problems: two clusters start.
        let a = post(
            &base,
            &member_token,
            "/api/v1/incidents",
            json!({"title": "催审批 订单 1182", "category": "approval-chase"}),
        )
        .await;
        let b = post(
            &base,
            &member_token,
            "/api/v1/incidents",
            json!({"title": "Printer on floor 3 jams", "category": "approval-chase"}),
        )
        .await;
        let (ca, cb) = (
            a["cluster_id"].as_i64().unwrap(),
            b["cluster_id"].as_i64().unwrap(),
        );
        assert_ne!(ca, cb);
        // Merged; an action recorded (the cluster starts acting) and launched.
        post(
            &base,
            &lead_token,
            &format!("/api/v1/clusters/{cb}/merge"),
            json!({"into": ca}),
        )
        .await;
        let action = post(&base, &lead_token, &format!("/api/v1/clusters/{ca}/actions"),
            json!({"rung": 2, "title": "Approval status page", "owner": "zhao", "review_after_weeks": 4})).await;
        let action_id = action["id"].as_i64().expect("the action's id");
        post(
            &base,
            &lead_token,
            &format!("/api/v1/actions/{action_id}/advance"),
            json!({"stage": "launched", "on": "2026-12-01"}),
        )
        .await;
        // Killed the moment the last change was answered: no shutdown, no flush.
        server.kill();

        let server = ChildServer::start(&app.database_url);
        let (status, page) = events(&server.address, &admin_token, 0, 500).await;
        assert_eq!(status, StatusCode::OK, "{}: {page}", app.backend);
        let all = page["events"].as_array().unwrap().clone();
        let kinds: BTreeSet<(String, String)> = all
            .iter()
            .map(|e| {
                (
                    e["entity"].as_str().unwrap().into(),
                    e["action"].as_str().unwrap().into(),
                )
            })
            .collect();
        for (entity, action) in [
            ("incident", "filed"),
            ("cluster", "created"),
            ("cluster", "merged_into"),
            ("cluster", "absorbed"),
            ("cluster", "action_added"),
            ("cluster", "state_changed"),
            ("action", "created"),
            ("action", "stage"),
        ] {
            assert!(
                kinds.contains(&(entity.to_string(), action.to_string())),
                "{}: no {entity} {action} in {kinds:?}",
                app.backend
            );
        }
        let filed: Vec<i64> = all
            .iter()
            .filter(|e| e["entity"] == "incident" && e["action"] == "filed")
            .map(|e| e["entity_id"].as_i64().unwrap())
            .collect();
        assert_eq!(
            filed,
            vec![a["id"].as_i64().unwrap(), b["id"].as_i64().unwrap()]
        );
        let launched = all
            .iter()
            .find(|e| e["entity"] == "action" && e["action"] == "stage")
            .unwrap();
        assert_eq!(launched["actor"], "zhao");
        assert_eq!(launched["entity_id"], action_id);
        // Each event once, in order; read in pages of two, the same list.
        let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        assert_eq!(ids.len() as i64, app.count("audit_events"));
        let (mut paged, mut after) = (Vec::new(), 0);
        loop {
            let (_, page) = events(&server.address, &admin_token, after, 2).await;
            let got = page["events"].as_array().unwrap();
            if got.is_empty() {
                assert_eq!(page["next_after"], after);
                break;
            }
            paged.extend(got.iter().map(|e| e["id"].as_i64().unwrap()));
            after = page["next_after"].as_i64().unwrap();
        }
        assert_eq!(paged, ids, "{}", app.backend);
        // The log names people: admins only.
        for token in [&lead_token, &member_token] {
            assert_eq!(
                events(&server.address, token, 0, 10).await.0,
                StatusCode::FORBIDDEN
            );
        }
    }
}
