//! After `rungs demo`, the retrospective tells the story of docs/ladder.md: the spike
//! week flags the approval cluster with its lunchtime driver first; the week the process
//! change was judged shows it `reduced`, the coach pointing to the next rung and the
//! meeting that decided it; this week shows the cluster as the story left it and the
//! decisions still open; the team ladder is not empty.

use crate::helpers::*;
use reqwest::StatusCode;
use rungs::domain::week::{WeekKey, current_week};
use rungs::service::grouping::GroupingCache;
use serde_json::Value;

/// The story's cluster.
const STORY: i64 = 1;

async fn report(app: &TestApp, token: &str, week: WeekKey, format: &str) -> String {
    app.api()
        .get(app.url(&format!(
            "/api/v1/reports/weekly/{week}?format={format}&lang=en"
        )))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

fn story_line(report: &Value) -> Value {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == STORY)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_demos_retrospectives_tell_the_approval_story() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let now = chrono::Utc::now();
        {
            let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
            rungs::service::demo::load(&mut app.conn(), &grouping, now).expect("demo loads");
        }
        let this_week = current_week(now, chrono_tz::Asia::Shanghai);
        let reader = app.user("reader", "member", "sales");
        let token = app.token(&reader);
        let browser = app.browser();
        browser.login("reader", PASSWORD).await;

        // The spike week: flagged after the adjustment, over lunch first.
        let spike = this_week.minus(20);
        let json: Value = serde_json::from_str(&report(&app, &token, spike, "json").await).unwrap();
        let first = &json["clusters"][0];
        assert_eq!(first["id"], STORY, "{}", ctx(&json.to_string()));
        assert!(
            first["flags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == "spike"),
            "{}",
            ctx(&first.to_string())
        );
        assert!(first["q_value"].as_f64().unwrap() < 0.05, "{}", ctx("BH"));
        assert_eq!(
            first["driver"]["dimension"],
            "hour",
            "{}",
            ctx(&first.to_string())
        );
        assert_eq!(first["driver"]["hours"], serde_json::json!([12, 13]));
        // As it stood that week: no rung climbed yet, nothing resolved or regressed, and
        // no guard of a weight tuning launched months later.
        assert_eq!(
            (first["state"].as_str(), first["rung"].as_u64()),
            (Some("open"), Some(0)),
            "{}",
            ctx(&first.to_string())
        );
        assert!(
            json["guards"].as_array().unwrap().is_empty(),
            "{}",
            ctx(&json["guards"].to_string())
        );
        let md = report(&app, &token, spike, "md").await;
        let advice = md
            .lines()
            .find(|l| l.starts_with("- **C"))
            .unwrap_or_default();
        assert!(
            advice.starts_with(&format!("- **C{STORY} ")) && advice.contains("12:00 and 13:59"),
            "{}",
            ctx(&md)
        );
        let page = browser.get(&format!("/retro/{spike}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", ctx(&page.body));
        assert!(
            page.body.contains("spike") && page.body.contains("between 12:00 and 13:59"),
            "{}",
            ctx("the spike week's page")
        );

        // The week the process change (rung 1) was judged: reduced; the coach says 2.
        let judged = this_week.minus(12);
        let json: Value =
            serde_json::from_str(&report(&app, &token, judged, "json").await).unwrap();
        let verdicts = json["verdicts"].as_array().unwrap();
        assert!(
            verdicts
                .iter()
                .any(|v| v["rung"] == 1 && v["verdict"] == "reduced"),
            "{}",
            ctx(&json["verdicts"].to_string())
        );
        assert_eq!(
            story_line(&json)["recommended_rung"],
            2,
            "{}",
            ctx(&story_line(&json).to_string())
        );
        // Its meeting was held, and decided the next rung as an action.
        assert_eq!(
            json["meeting"]["state"],
            "held",
            "{}",
            ctx(&json["meeting"].to_string())
        );
        assert_eq!(json["meeting"]["decisions"][0]["action"]["rung"], 2);
        let page = browser.get(&format!("/retro/{judged}")).await;
        assert!(
            page.body.contains("reduced") && page.body.contains("consider rung 2"),
            "{}",
            ctx("the judged week's page")
        );

        // This week: the cluster as the story left it.
        let stored = rungs::db::clusters::find(&mut app.conn(), STORY)
            .unwrap()
            .unwrap();
        let json: Value =
            serde_json::from_str(&report(&app, &token, this_week, "json").await).unwrap();
        assert_eq!(
            story_line(&json)["state"],
            stored.state.as_str(),
            "{}",
            ctx(&json.to_string())
        );
        assert_eq!(stored.state.as_str(), "regressed");
        // Decisions still open from earlier meetings, with their actions' stage now.
        let open = json["open_decisions"].as_array().unwrap();
        assert_eq!(
            open.len(),
            2,
            "{}",
            ctx(&json["open_decisions"].to_string())
        );
        assert_eq!(open[0]["action"]["stage"], "launched");
        let page = browser.get(&format!("/retro/{this_week}")).await;
        assert!(
            page.body.contains("(Regressed)"),
            "{}",
            ctx("this week's page")
        );

        // The team ladder is not empty.
        let ladder =
            rungs::service::retro::team_ladder(&mut app.conn(), chrono_tz::Asia::Shanghai, now)
                .unwrap();
        // The story's cluster and two other problems stand at rung 2 or above; the
        // duplicate customers' warning resolved its cluster.
        assert!(ladder.climbed >= 3, "{}", ctx("clusters above rung 1"));
        assert!(ladder.resolved >= 1, "{}", ctx("a resolved cluster"));
        assert!(
            ladder
                .rungs
                .iter()
                .any(|r| r.rung == rungs::domain::ladder::Rung::WEIGHT && r.standing > 0)
        );
        let page = browser.get("/ladder").await;
        assert_eq!(page.status, StatusCode::OK, "{}", ctx("/ladder"));
    }
}
