//! Goals tracked week by week: an action's goal broken into weekly targets when it is
//! recorded, each week's count beside its target on the action (page and API), the
//! cluster's chart and the report, and a week behind target flagged once by the
//! scheduler at the week's close, with its webhook.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use reqwest::StatusCode;
use rungs::domain::week::WeekKey;
use rungs::service::scheduler::{Outcome, run_due};
use serde_json::{Value, json};

/// The Monday of the week `k` weeks before the current one (UTC is the zone here).
fn monday(k: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday())) - Duration::weeks(k)
}

fn week(k: i64) -> String {
    WeekKey::of(monday(k)).to_string()
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let res = app
        .api()
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

/// `n` chases on the Tuesday of week `k` back; the cluster they went to.
async fn chases(app: &TestApp, token: &str, k: i64, n: usize) -> i64 {
    let mut cluster = 0;
    for i in 0..n {
        let at = format!("{}T10:{:02}:00Z", monday(k) + Duration::days(1), i % 60);
        let v = post(app, token, "/api/v1/incidents", json!({"title": format!("催审批 order {k}-{i}"), "category": "approval-chase", "occurred_at": at})).await;
        cluster = v["cluster_id"].as_i64().unwrap();
    }
    cluster
}

async fn text(app: &TestApp, token: &str, path: &str) -> String {
    let res = app
        .api()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.unwrap()
}

fn behind_events(app: &TestApp, action: i64) -> Vec<(i64, String, Option<String>)> {
    rungs::db::audit::actions_of(&mut app.conn(), "action", &[action], &["goal_behind"]).unwrap()
}

#[tokio::test]
async fn a_goal_is_broken_into_weekly_targets_and_a_week_behind_is_flagged_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let admin = app.user("root", "admin", "operations");
        // 10 chases a week in the 4 weeks before the launch: 40 over the 8-week baseline,
        // a start level of 5 a week.
        let cluster = chases(&app, &token, 8, 10).await;
        for k in [7, 6, 5] {
            assert_eq!(chases(&app, &token, k, 10).await, cluster);
        }
        // From 5 a week to under 1 by this week, launched 4 weeks ago: 4 weekly targets
        // on a straight line, 4, 3, 2 and 1.
        let action = post(&app, &token, &format!("/api/v1/clusters/{cluster}/actions"), json!({
            "rung": 1, "title": "Staff the approval desk over lunch", "launched_at": monday(4).to_string(),
            "review_after_weeks": 4, "goal_kind": "weekly_rate_below", "goal_value": 1.0, "goal_week": week(0)})).await;
        let id = action["id"].as_i64().unwrap();
        // The weeks after: 3 (on track), 5 (behind its 3), 2 (on its 2).
        for (k, n) in [(3, 3), (2, 5), (1, 2)] {
            assert_eq!(chases(&app, &token, k, n).await, cluster);
        }

        // The action in the API: its plan and each week's target beside its count.
        let a = app.get_json(&token, &format!("/api/v1/actions/{id}")).await;
        let goal = &a["goal"];
        assert_eq!(goal["start_week"], week(4), "{}", ctx(&goal.to_string()));
        assert_eq!(goal["start_level"], 5.0, "{}", ctx("the 8-week baseline"));
        assert_eq!(goal["target_week"], week(0));
        assert_eq!(goal["target_value"], 1.0);
        assert_eq!(goal["behind_weeks"], 1, "{}", ctx(&goal.to_string()));
        let weekly: Vec<(String, f64, Option<u64>, bool)> = goal["weekly_targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["week"].as_str().unwrap().to_string(),
                    w["target"].as_f64().unwrap(),
                    w["actual"].as_u64(),
                    w["behind"].as_bool().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            weekly,
            vec![
                (week(3), 4.0, Some(3), false),
                (week(2), 3.0, Some(5), true),
                (week(1), 2.0, Some(2), false),
                (week(0), 1.0, Some(0), false),
            ],
            "{}",
            ctx("weekly targets")
        );

        // The action's page shows the same, with its chart; so does the cluster's chart.
        let (browser, _) = app.signed_in("wang", "member").await;
        let page = browser.get(&format!("/actions/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let row = format!(
            "<tr><td>{}</td><td class=\"num\">3</td><td class=\"num\">5</td><td><strong>▲ behind</strong>",
            week(2)
        );
        assert!(page.body.contains(&row), "{}", ctx(&page.body));
        assert!(page.body.contains("Goal week by week"));
        assert!(
            page.body.contains("stroke-dasharray=\"5 3\""),
            "the target line"
        );
        let ladder = browser.get(&format!("/clusters/{cluster}/ladder")).await;
        assert!(
            ladder
                .body
                .contains(&format!("<title>{}: Target 3</title>", week(2))),
            "{}",
            ctx("the chart's target mark")
        );
        // The cluster's own page: each week's target beside its count, the week behind
        // marked, and a tick on each bar with a target.
        let shown = browser.get(&format!("/clusters/{cluster}")).await;
        let behind_row = format!(
            "<tr class=\"behind\"><td><a href=\"/incidents?week={w}\">{w}</a></td><td class=\"num\">5</td><td class=\"num\">3 <strong>▲ behind</strong></td>",
            w = week(2)
        );
        assert!(shown.body.contains(&behind_row), "{}", ctx(&shown.body));
        let on_track = format!(
            "<tr><td><a href=\"/incidents?week={w}\">{w}</a></td><td class=\"num\">3</td><td class=\"num\">4</td>",
            w = week(3)
        );
        assert!(
            shown.body.contains(&on_track),
            "{}",
            ctx("an on-track week")
        );
        assert_eq!(
            shown.body.matches("class=\"target-mark\"").count(),
            3,
            "{}",
            ctx("ticks on the weeks with counts and targets")
        );

        let retro = browser.get(&format!("/retro/{}", week(2))).await;
        assert!(
            retro
                .body
                .contains("1 of 1 goals behind their weekly target."),
            "{}",
            ctx(&retro.body)
        );
        // The report of the week behind: the goal in every format.
        let base = format!("/api/v1/reports/weekly/{}", week(2));
        let json_report: Value =
            serde_json::from_str(&text(&app, &token, &format!("{base}?format=json")).await)
                .unwrap();
        let goals = json_report["goals"].as_array().unwrap();
        assert_eq!(goals.len(), 1, "{}", ctx(&json_report.to_string()));
        assert_eq!(
            (
                goals[0]["id"].as_i64(),
                goals[0]["target"].as_f64(),
                goals[0]["actual"].as_u64(),
                goals[0]["behind"].as_bool(),
                goals[0]["stage"].as_u64(),
                goals[0]["of_stages"].as_u64()
            ),
            (Some(id), Some(3.0), Some(5), Some(true), Some(2), Some(4))
        );
        let md = text(&app, &token, &format!("{base}?format=md")).await;
        assert!(
            md.lines()
                .any(|l| l.starts_with(&format!("| A{id} |"))
                    && l.ends_with("| 2/4 | 3 | 5 | behind |")),
            "{}",
            ctx(&md)
        );
        let csv_text = text(&app, &token, &format!("{base}?format=csv")).await;
        // The goal's row, read by the header's names: its count, standing, action, target.
        let mut reader =
            csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        let goal_row = reader
            .records()
            .map(Result::unwrap)
            .find(|r| r[col("action_id")] == id.to_string() && r[col("flags")] != *"")
            .unwrap_or_else(|| panic!("{}", ctx(&csv_text)));
        assert_eq!(
            (
                &goal_row[col("this_week")],
                &goal_row[col("flags")],
                &goal_row[col("target")]
            ),
            ("5", "behind", "3"),
            "{}",
            ctx(&csv_text)
        );
        let html = text(&app, &token, &format!("{base}?format=html&lang=zh-CN")).await;
        assert!(
            html.contains(&format!("<a href=\"/actions/{id}\">"))
                && html.contains("<td class=\"num\">2/4</td><td class=\"num\">3</td><td class=\"num\">5</td><td><strong>▲ 落后</strong>"),
            "{}",
            ctx(&html)
        );
        // The week after: on its target.
        let later: Value = serde_json::from_str(
            &text(
                &app,
                &token,
                &format!("/api/v1/reports/weekly/{}?format=json", week(1)),
            )
            .await,
        )
        .unwrap();
        assert_eq!(later["goals"][0]["behind"], false, "{}", ctx("week after"));

        // Reading changed nothing; the scheduler flags the week behind at its close,
        // once, however often and by whichever instance it runs, with its webhook.
        assert!(behind_events(&app, id).is_empty());
        rungs::service::webhooks::register(
            &mut app.conn(),
            &admin,
            &rungs::service::webhooks::EndpointInput {
                url: "http://127.0.0.1:9/hook".into(),
                secret: "a secret of sixteen or more".into(),
                events: vec!["goal.behind".into()],
                language: "zh-CN".into(),
            },
        )
        .unwrap();
        // A Tuesday `k` weeks back: the week before it has just closed.
        let tuesday = |k: i64| {
            Utc.from_utc_datetime(
                &(monday(k) + Duration::days(1))
                    .and_hms_opt(9, 0, 0)
                    .unwrap(),
            )
        };
        // At the close of week(3), on its target: nothing (the webhooks start here).
        run_due(&app.pool, "first", tuesday(2));
        assert!(behind_events(&app, id).is_empty(), "{}", ctx("week(3)"));
        let then = tuesday(1);
        for owner in ["first", "first", "restarted"] {
            let runs = run_due(&app.pool, owner, then);
            assert!(
                runs.iter().all(|(_, o)| matches!(o, Outcome::Done(_))),
                "{runs:?}"
            );
        }
        let events = behind_events(&app, id);
        assert_eq!(events.len(), 1, "{}", ctx(&format!("{events:?}")));
        let after: Value = serde_json::from_str(events[0].2.as_deref().unwrap()).unwrap();
        assert_eq!(
            (
                after["week"].as_str(),
                after["actual"].as_u64(),
                after["target"].as_f64()
            ),
            (Some(week(2).as_str()), Some(5), Some(3.0))
        );
        // Last week closes on its target: nothing more.
        run_due(&app.pool, "restarted", Utc::now());
        assert_eq!(behind_events(&app, id).len(), 1, "{}", ctx("on track"));
        let mut conn = app.conn();
        let endpoint = rungs::db::webhooks::endpoints(&mut conn).unwrap()[0].id;
        let deliveries = rungs::db::webhooks::for_endpoint(&mut conn, endpoint).unwrap();
        assert_eq!(deliveries.len(), 1, "{}", ctx(&format!("{deliveries:?}")));
        assert_eq!(deliveries[0].kind, "goal.behind");
        let body: Value = serde_json::from_str(&deliveries[0].body).unwrap();
        assert!(
            body["text"]
                .as_str()
                .unwrap()
                .starts_with("目标落后：“Staff the approval desk over lunch”在"),
            "{}",
            ctx(&body.to_string())
        );
    }
}

#[tokio::test]
async fn a_goal_week_before_its_start_is_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let cluster = chases(&app, &token, 2, 3).await;
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/clusters/{cluster}/actions")))
            .bearer_auth(&token)
            .json(
                &json!({"rung": 1, "title": "Lunch rota", "goal_kind": "rate_ratio_below",
                "goal_value": 0.5, "goal_week": week(1)}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        let body: Value = res.json().await.unwrap();
        assert!(
            body["fields"]["goal_week"].is_string(),
            "{}: {body}",
            app.backend
        );
        assert_eq!(app.count("action_goals"), 0);
        // Without a week: the review's, four weeks on; half the baseline of 3/8.
        let a = post(
            &app,
            &token,
            &format!("/api/v1/clusters/{cluster}/actions"),
            json!({
            "rung": 1, "title": "Lunch rota", "goal_kind": "rate_ratio_below", "goal_value": 0.5}),
        )
        .await;
        let id = a["id"].as_i64().unwrap();
        let goal = app.get_json(&token, &format!("/api/v1/actions/{id}")).await["goal"].clone();
        assert_eq!(goal["start_week"], week(0), "{}: {goal}", app.backend);
        assert_eq!(goal["start_level"], 0.38, "{}: {goal}", app.backend);
        assert_eq!(goal["target_value"], 0.19, "{}: {goal}", app.backend);
        assert_eq!(goal["weekly_targets"].as_array().unwrap().len(), 4);
    }
}
