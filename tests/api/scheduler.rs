//! The scheduler: states change because time passed, never because a page was read;
//! with two instances on one database each job's work is done once; a restart neither
//! loses nor repeats a job.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Instant;

/// The Monday of the week `k` weeks before the current one (UTC is the zone here).
fn monday(k: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday())) - Duration::weeks(k)
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

/// `n` chases on the Wednesday of week `k` back; the cluster they went to.
async fn chases(app: &TestApp, token: &str, k: i64, n: usize) -> i64 {
    let mut cluster = 0;
    for i in 0..n {
        let at = format!("{}T12:{:02}:00Z", monday(k) + Duration::days(2), i % 60);
        let v = post(app, token, "/api/v1/incidents", json!({"title": format!("催审批 order {k}-{i}"), "category": "approval-chase", "occurred_at": at})).await;
        cluster = v["cluster_id"].as_i64().unwrap();
    }
    cluster
}

/// A cluster whose one action, launched six weeks ago, eliminated it (as of now), and
/// an action due a week ago that never launched. (cluster, launched, late).
pub(crate) async fn story(app: &TestApp, token: &str) -> (i64, i64, i64) {
    let cluster = chases(app, token, 9, 10).await;
    for k in [8, 7] {
        assert_eq!(chases(app, token, k, 10).await, cluster);
    }
    let launched = post(app, token, &format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 1, "title": "Staff the approval desk over lunch", "why": "most chases happen at lunchtime", "launched_at": monday(6).to_string(), "review_after_weeks": 2})).await;
    let late = post(app, token, &format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 1, "title": "Write the approval checklist", "why": "so that nobody needs to ask", "due_on": monday(1).to_string()})).await;
    let launched = launched["id"].as_i64().unwrap();
    let p = app
        .get_json(token, &format!("/api/v1/actions/{launched}"))
        .await;
    assert_eq!(p["effect"]["verdict"], "eliminated", "{}: {p}", app.backend);
    (cluster, launched, late["id"].as_i64().unwrap())
}

/// The whole event log, as `GET /api/v1/events` shows it.
pub(crate) async fn events(app: &TestApp, _token: &str) -> Vec<Value> {
    rungs::db::audit::after(&mut app.conn(), 0, 100_000)
        .unwrap()
        .into_iter()
        .map(|row| serde_json::to_value(rungs::service::events::Event::from(row)).unwrap())
        .collect()
}

pub(crate) fn count(events: &[Value], entity: &str, id: i64, action: &str) -> usize {
    events
        .iter()
        .filter(|e| e["entity"] == entity && e["entity_id"] == id && e["action"] == action)
        .count()
}

pub(crate) fn resolutions(events: &[Value], cluster: i64) -> usize {
    events
        .iter()
        .filter(|e| {
            e["entity"] == "cluster"
                && e["entity_id"] == cluster
                && e["action"] == "state_changed"
                && e.to_string().contains("resolved")
        })
        .count()
}

async fn wait_for_state(app: &TestApp, token: &str, cluster: i64, state: &str) {
    let started = Instant::now();
    loop {
        let c = app
            .get_json(token, &format!("/api/v1/clusters/{cluster}"))
            .await;
        if c["state"] == state {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{}: the cluster never became {state}: {c}",
            app.backend
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn reading_changes_nothing_and_the_scheduler_resolves_then_a_chase_regresses() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let (cluster, launched, _) = story(&app, &token).await;

        // Reading the coach, the cluster and its page: the trail and the state stay.
        let trail = app.count("audit_events");
        let (browser, _) = app.signed_in("wang", "member").await;
        let trail_after_login = app.count("audit_events");
        assert!(trail_after_login >= trail);
        for path in [
            format!("/api/v1/clusters/{cluster}/coach"),
            format!("/api/v1/clusters/{cluster}"),
            format!("/api/v1/actions/{launched}"),
        ] {
            let v = app.get_json(&token, &path).await;
            assert!(v.get("error").is_none(), "{path}: {v}");
        }
        let page = browser.get(&format!("/clusters/{cluster}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            app.count("audit_events"),
            trail_after_login,
            "a GET wrote nothing"
        );
        let c = app
            .get_json(&token, &format!("/api/v1/clusters/{cluster}"))
            .await;
        assert_ne!(
            c["state"], "resolved",
            "{}: reading resolved it",
            app.backend
        );

        // An instance whose scheduler runs: it resolves the cluster by itself.
        TestApp::start_with(&app.database_url, |c| {
            c.schedule_every = Some(std::time::Duration::from_millis(200));
        })
        .await;
        wait_for_state(&app, &token, cluster, "resolved").await;
        let trail = events(&app, &token).await;
        assert_eq!(resolutions(&trail, cluster), 1, "{}", app.backend);
        let verdict = trail
            .iter()
            .find(|e| {
                e["entity"] == "action" && e["entity_id"] == launched && e["action"] == "verdict"
            })
            .unwrap_or_else(|| panic!("{}: no verdict event", app.backend));
        assert!(verdict.to_string().contains("eliminated"), "{verdict}");

        // One more chase, through the API alone: regressed.
        post(
            &app,
            &token,
            "/api/v1/incidents",
            json!({"title": "又来催审批 order 9999", "category": "approval-chase"}),
        )
        .await;
        let c = app
            .get_json(&token, &format!("/api/v1/clusters/{cluster}"))
            .await;
        assert_eq!(c["state"], "regressed", "{}", app.backend);
    }
}

#[tokio::test]
async fn two_instances_do_each_job_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let (cluster, launched, late) = story(&app, &token).await;
        let every = |c: &mut rungs::config::Config| {
            c.schedule_every = Some(std::time::Duration::from_millis(50));
        };
        TestApp::start_with(&app.database_url, every).await;
        TestApp::start_with(&app.database_url, every).await;
        wait_for_state(&app, &token, cluster, "resolved").await;
        // Many passes of both instances later, each thing was noticed once.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let trail = events(&app, &token).await;
        assert_eq!(resolutions(&trail, cluster), 1, "{}", app.backend);
        assert_eq!(
            count(&trail, "action", launched, "verdict"),
            1,
            "{}",
            app.backend
        );
        assert_eq!(
            count(&trail, "action", late, "overdue"),
            1,
            "{}",
            app.backend
        );
        assert_eq!(
            count(&trail, "action", launched, "overdue"),
            0,
            "launched is not overdue"
        );
        let mut conn = app.conn();
        let jobs = rungs::db::jobs::all(&mut conn).unwrap();
        assert_eq!(jobs.len(), rungs::service::scheduler::job_names().count());
        for job in &jobs {
            assert!(
                job.runs >= 2,
                "{}: {} ran {} times",
                app.backend,
                job.name,
                job.runs
            );
        }
        let tally = jobs.iter().find(|j| j.name == "tally").unwrap();
        assert!(tally.event_cursor > 0, "the tally read the log");
    }
}

#[tokio::test]
async fn a_closed_weeks_spikes_are_recorded_once_across_restarts() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let cluster = chases(&app, &token, 5, 1).await;
        assert_eq!(chases(&app, &token, 1, 15).await, cluster);
        let now = Utc::now();
        let spikes = |app: &TestApp| {
            let trail: Vec<(i64, String, Option<String>)> =
                rungs::db::audit::actions_of(&mut app.conn(), "cluster", &[cluster], &["spike"])
                    .unwrap();
            trail
        };
        let runs = rungs::service::scheduler::run_due(&app.pool, "first", now);
        assert!(
            runs.iter()
                .all(|(_, o)| matches!(o, rungs::service::scheduler::Outcome::Done(_))),
            "{runs:?}"
        );
        let first = spikes(&app);
        assert_eq!(first.len(), 1, "{}: {first:?}", app.backend);
        let week = rungs::domain::week::WeekKey::of(monday(1)).to_string();
        assert!(first[0].2.as_deref().unwrap().contains(&week));
        // Run again, then as another instance after a restart: nothing repeats.
        rungs::service::scheduler::run_due(&app.pool, "first", now);
        rungs::service::scheduler::run_due(&app.pool, "restarted", now);
        assert_eq!(spikes(&app).len(), 1, "{}", app.backend);
        // A lease held by a live instance keeps the job from another.
        let mut conn = app.conn();
        let at = now.naive_utc();
        assert!(
            rungs::db::jobs::claim(&mut conn, "spikes", "a", at, at + Duration::minutes(5))
                .unwrap()
        );
        assert!(
            !rungs::db::jobs::claim(&mut conn, "spikes", "b", at, at + Duration::minutes(5))
                .unwrap()
        );
        drop(conn);
        let runs = rungs::service::scheduler::run_due(&app.pool, "b", now);
        assert!(runs.contains(&("spikes", rungs::service::scheduler::Outcome::Busy)));
    }
}
