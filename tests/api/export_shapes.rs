//! Exports narrowed as the incident list is, as CSV and JSON; clusters with their weekly
//! figures; from the API, the list pages and the command line; refused clearly.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Monday of ISO week `w` of 2026, at `hour`:00 UTC, plus `day` days.
fn at(w: u32, day: u32, hour: u32) -> String {
    let monday = chrono::NaiveDate::from_isoywd_opt(2026, w, chrono::Weekday::Mon).unwrap();
    format!(
        "{}T{hour:02}:10:00Z",
        monday + chrono::Duration::days(day.into())
    )
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let res = app
        .api()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

fn csv_rows(text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test]
async fn exports_follow_the_filters_and_carry_clusters_with_their_weeks() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let member = app.token(&app.user("li", "member", "sales"));
        // Chases in weeks 10 and 11; a data fix in week 11 with an order number.
        let filed = [
            ("催审批 订单 5521", "approval-chase", 10, 0, None),
            ("催审批 订单 5522", "approval-chase", 10, 2, None),
            (
                "审批还没批，催一下 订单 5530",
                "approval-chase",
                11,
                1,
                None,
            ),
            (
                "Customer address wrong on invoice",
                "data-fix",
                11,
                3,
                Some("INV-77"),
            ),
        ];
        for (title, category, week, day, reference) in filed {
            let mut body = json!({"title": title, "category": category, "occurred_at": at(week, day, 12), "department": "sales"});
            if let Some(r) = reference {
                body["external_ref"] = json!(r);
            }
            let (status, v) = app.post_incident(&token, body).await;
            assert_eq!(status, StatusCode::CREATED, "{v}");
        }

        // Incidents, narrowed: JSON in the API's shape, CSV in the importer's columns.
        let (status, text) = get(
            &app,
            &token,
            "/api/v1/incidents.json?category=approval-chase",
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}: {text}", app.backend);
        let chases: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(chases.len(), 3, "{}", app.backend);
        for c in &chases {
            assert_eq!(c["category"], "approval-chase");
            assert_eq!(c["reporter"], "zhao");
            assert!(
                c["cluster_id"].is_i64() && c["join_reason"].is_string(),
                "{c}"
            );
            assert_eq!(c["department"], "sales");
        }
        let (_, text) = get(&app, &token, "/api/v1/incidents.csv?week=2026-w11").await;
        let rows = csv_rows(&text);
        assert_eq!(rows.len(), 2, "{}: week 11 only", app.backend);
        assert!(rows.iter().all(|r| &r[12] == "2026-W11"));
        let (_, text) = get(&app, &token, "/api/v1/incidents.json?q=INV-77").await;
        let found: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["external_ref"], "INV-77");
        let (_, text) = get(&app, &token, "/api/v1/incidents.json?status=withdrawn").await;
        assert_eq!(text.trim(), "[\n]", "{}: nothing withdrawn", app.backend);

        // A filter that names nothing known is refused with the field, not ignored.
        for (path, field) in [
            ("/api/v1/incidents.csv?category=nope", "category"),
            ("/api/v1/incidents.json?week=last-week", "week"),
            ("/api/v1/incidents.json?status=lost", "status"),
            ("/api/v1/clusters.csv?category=nope", "category"),
        ] {
            let (status, text) = get(&app, &token, path).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {text}");
            let v: Value = serde_json::from_str(&text).unwrap();
            assert!(v["fields"][field].is_string(), "{path}: {v}");
        }
        let (status, _) = get(&app, &member, "/api/v1/clusters.json").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: a member", app.backend);

        // Clusters with their weeks: the weeks add up to each cluster's incidents.
        let (_, text) = get(&app, &token, "/api/v1/clusters.json").await;
        let clusters: Vec<Value> = serde_json::from_str(&text).unwrap();
        let total: i64 = clusters
            .iter()
            .map(|c| c["incidents"].as_i64().unwrap())
            .sum();
        assert_eq!(total, 4, "{}: {clusters:?}", app.backend);
        for c in &clusters {
            let weeks = c["weeks"].as_array().unwrap();
            let sum: i64 = weeks.iter().map(|w| w["incidents"].as_i64().unwrap()).sum();
            assert_eq!(sum, c["incidents"].as_i64().unwrap(), "{c}");
        }
        let chase = clusters
            .iter()
            .find(|c| c["category"] == "approval-chase" && c["incidents"] == 3)
            .unwrap_or_else(|| panic!("{}: the chases in one cluster: {clusters:?}", app.backend));
        let weeks: Vec<(&str, i64)> = chase["weeks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["week"].as_str().unwrap(),
                    w["incidents"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(weeks, vec![("2026-W10", 2), ("2026-W11", 1)]);
        let (_, text) = get(&app, &token, "/api/v1/clusters.csv?category=approval-chase").await;
        let rows = csv_rows(&text);
        let chase_id = chase["id"].to_string();
        let own: Vec<(&str, &str)> = rows
            .iter()
            .filter(|r| r[0] == *chase_id)
            .map(|r| (&r[9], &r[10]))
            .collect();
        assert_eq!(own, vec![("2026-W10", "2"), ("2026-W11", "1")]);
        assert!(rows.iter().all(|r| &r[2] == "approval-chase"));

        // The pages: the list offers the export of what it shows, to leads only.
        let (browser, _) = app.signed_in("wang", "lead").await;
        let list = browser.get("/incidents?category=data-fix").await;
        assert!(
            list.body.contains("/incidents.csv?category=data-fix&"),
            "{}",
            app.backend
        );
        let download = browser.get("/incidents.csv?category=data-fix").await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(csv_rows(&download.body).len(), 1);
        let clusters_page = browser.get("/clusters").await;
        assert!(clusters_page.body.contains("/clusters.json?category="));
        // A filter typed wrong is said beside it, with what was typed kept.
        let wrong = browser.get("/incidents?week=week+11").await;
        assert_eq!(wrong.status, StatusCode::OK);
        assert!(wrong.body.contains("value=\"week 11\""), "{}", wrong.body);
        assert!(wrong.body.contains("2026-W12"), "the format is named");
        let (member_browser, _) = app.signed_in("sun", "member").await;
        let refused = member_browser.get("/clusters.csv").await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let member_list = member_browser.get("/incidents").await;
        assert!(!member_list.body.contains("/incidents.csv"));

        // The command line: the same export.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rungs"))
            .args([
                "export",
                "clusters",
                "--format",
                "json",
                "--category",
                "approval-chase",
            ])
            .args(["--as", "zhao", "--database-url", &app.database_url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let from_cli: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        let (_, text) = get(
            &app,
            &token,
            "/api/v1/clusters.json?category=approval-chase",
        )
        .await;
        let from_api: Vec<Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(from_cli, from_api, "{}", app.backend);
    }
}
