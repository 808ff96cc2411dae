//! The demo tells the whole approval story, and every page renders it: a team of a few
//! dozen, hundreds of incidents every week, every time recorded at its moment in the
//! story, and every reference the order its title names.

use crate::helpers::*;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::RunQueryDsl;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
use reqwest::StatusCode;
use rungs::service::grouping::GroupingCache;

#[derive(diesel::QueryableByName)]
struct WeekCount {
    #[diesel(sql_type = Text)]
    week_key: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct Filed {
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Nullable<Text>)]
    external_ref: Option<String>,
    #[diesel(sql_type = Timestamp)]
    occurred_at: NaiveDateTime,
    #[diesel(sql_type = Timestamp)]
    created_at: NaiveDateTime,
}

#[derive(diesel::QueryableByName)]
struct Step {
    #[diesel(sql_type = Date)]
    on_date: NaiveDate,
    #[diesel(sql_type = Timestamp)]
    at: NaiveDateTime,
}

/// Every time the demo records is at its moment in the story: none after the load began,
/// each filing within the hour after it happened, each stage on its day; and each
/// reference is the order number of its title.
fn recorded_at_their_moments(app: &TestApp, loaded: chrono::DateTime<chrono::Utc>) {
    let loaded = loaded.naive_utc();
    let tz = chrono_tz::Asia::Shanghai;
    for (table, column) in [
        ("audit_events", "at"),
        ("incidents", "created_at"),
        ("action_steps", "at"),
        ("action_signoffs", "at"),
        ("meetings", "held_at"),
        ("meeting_decisions", "created_at"),
        ("actions", "created_at"),
        ("clusters", "created_at"),
    ] {
        let later = app.count(&format!(
            "{table} WHERE {column} > '{}'",
            loaded.format("%Y-%m-%d %H:%M:%S%.6f")
        ));
        assert_eq!(
            later, 0,
            "{}: {table}.{column} after the load began",
            app.backend
        );
    }
    let filed: Vec<Filed> =
        diesel::sql_query("SELECT title, external_ref, occurred_at, created_at FROM incidents")
            .load(&mut *app.conn())
            .unwrap();
    for f in &filed {
        let late = f.created_at - f.occurred_at;
        assert!(
            late > chrono::Duration::zero() && late < chrono::Duration::minutes(70),
            "{}: {:?} filed {late} after it happened",
            app.backend,
            f.title
        );
        if let Some(reference) = &f.external_ref {
            let number = reference.trim_start_matches("SO-");
            assert!(f.title.contains(number), "{:?} is not {reference}", f.title);
        }
    }
    let steps: Vec<Step> = diesel::sql_query("SELECT on_date, at FROM action_steps")
        .load(&mut *app.conn())
        .unwrap();
    assert!(!steps.is_empty());
    for s in steps {
        let day = s.at.and_utc().with_timezone(&tz).date_naive();
        assert_eq!(
            day, s.on_date,
            "{}: a stage recorded off its day",
            app.backend
        );
    }
}

/// In every week of the last year the review flags no cluster a spike but the story's
/// (its spike) and its guard (approval errors once the timeliness weight was 30%): the
/// background is steady.
fn only_the_story_spikes(app: &TestApp, loaded: chrono::DateTime<chrono::Utc>, guard: i64) {
    let review = rungs::service::review::ReviewCache::new();
    let this_week = rungs::domain::week::current_week(loaded, chrono_tz::Asia::Shanghai);
    let mut flagged = Vec::new();
    for back in 1..=52 {
        let week = this_week.minus(back);
        let figures = rungs::service::review::figures(&mut app.conn(), &review, week).unwrap();
        for c in figures.clusters.iter().filter(|c| c.cmp.spike) {
            flagged.push((back, c.id));
        }
    }
    assert!(flagged.contains(&(20, 1)), "{}: {flagged:?}", app.backend);
    assert!(
        flagged.iter().all(|&(_, id)| id == 1 || id == guard),
        "{}: {flagged:?}",
        app.backend
    );
}

/// Hundreds of incidents in every one of the last 52 complete weeks.
fn busy_every_week(app: &TestApp, loaded: chrono::DateTime<chrono::Utc>) {
    let weeks: std::collections::HashMap<String, i64> =
        diesel::sql_query("SELECT week_key, COUNT(*) AS n FROM incidents GROUP BY week_key")
            .load::<WeekCount>(&mut *app.conn())
            .unwrap()
            .into_iter()
            .map(|w| (w.week_key, w.n))
            .collect();
    let this_week = rungs::domain::week::current_week(loaded, chrono_tz::Asia::Shanghai);
    for back in 1..=52 {
        let week = this_week.minus(back).to_string();
        let n = weeks.get(&week).copied().unwrap_or(0);
        assert!(n >= 200, "{}: {week} has {n} incidents", app.backend);
    }
}

#[tokio::test]
async fn the_demo_tells_the_approval_story_and_every_page_renders_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let loaded = chrono::Utc::now();
        let started = std::time::Instant::now();
        let logins = {
            let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
            rungs::service::demo::load(&mut app.conn(), &grouping, loaded).expect("demo loads")
        };
        eprintln!(
            "{}: the demo loaded in {:?}",
            app.backend,
            started.elapsed()
        );
        // A team of a few dozen: three dozen in sales, the approval desk, product, HR.
        assert!(logins.len() >= 40, "{}", logins.len());
        assert!(
            app.count(
                "users WHERE department_id = (SELECT id FROM departments WHERE slug = 'sales')"
            ) >= 30
        );
        assert!(app.count("incidents") > 15_000, "{}", app.backend);
        busy_every_week(&app, loaded);
        recorded_at_their_moments(&app, loaded);
        // Six rungs on the story's cluster, three on other problems during the year.
        assert_eq!(app.count("actions"), 9);
        assert_eq!(app.count("actions WHERE cluster_id = 1"), 6);
        assert_eq!(app.count("action_signoffs"), 4);
        // A second load refuses: the demo goes only into an empty database.
        let grouping = GroupingCache::new(0.3);
        assert!(
            rungs::service::demo::load(&mut app.conn(), &grouping, chrono::Utc::now()).is_err()
        );

        let lead = app.browser();
        lead.login("lead", rungs::service::demo::PASSWORD).await;
        let story = rungs::db::clusters::find(&mut app.conn(), 1)
            .unwrap()
            .unwrap();
        assert!(story.title.contains("催审批"), "{}", story.title);
        let guard = rungs::db::clusters::live(&mut app.conn())
            .unwrap()
            .into_iter()
            .find(|c| c.title.contains("wrong price"))
            .expect("the guard's cluster")
            .id;
        only_the_story_spikes(&app, loaded, guard);
        assert_eq!(
            (story.state, story.rung),
            (
                rungs::domain::states::ClusterState::Regressed,
                rungs::domain::ladder::Rung::WEIGHT
            ),
            "{}",
            app.backend
        );
        // Every approval chase, in Chinese or English, ends in the story's one cluster.
        let chase_clusters: Vec<(i64, i32)> = rungs::db::clusters::live(&mut app.conn())
            .unwrap()
            .into_iter()
            .filter(|c| c.category_id == story.category_id && c.incident_count > 0)
            .map(|c| (c.id, c.incident_count))
            .collect();
        let sample: Vec<String> = chase_clusters
            .iter()
            .flat_map(|&(id, _)| {
                rungs::db::incidents::of_cluster(&mut app.conn(), id, 3)
                    .unwrap()
                    .into_iter()
                    .map(move |i| format!("C{id}: {}", i.title))
            })
            .collect();
        assert_eq!(
            chase_clusters,
            [(1, story.incident_count)],
            "{}: {sample:?}",
            app.backend
        );
        for path in [
            "/incidents",
            "/clusters",
            "/triage",
            "/ladder",
            "/clusters/1",
            "/clusters/1/ladder",
            "/account",
        ] {
            let page = lead.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{} {path}", app.backend);
        }
        let actions = rungs::db::actions::all(&mut app.conn()).unwrap();
        for a in &actions {
            let page = lead.get(&format!("/actions/{}", a.id)).await;
            assert_eq!(page.status, StatusCode::OK, "action {}", a.id);
        }
        let on_story = |rung: rungs::domain::ladder::Rung| {
            actions
                .iter()
                .find(|a| a.cluster_id == 1 && a.rung == rung)
                .expect("the story's action")
                .id
        };
        let policy = lead
            .get(&format!(
                "/actions/{}",
                on_story(rungs::domain::ladder::Rung::POLICY)
            ))
            .await;
        assert!(
            policy.body.contains("签字确认") || policy.body.contains("Sign-offs"),
            "the lead reads Chinese by preference"
        );
        let tuning = lead
            .get(&format!(
                "/actions/{}",
                on_story(rungs::domain::ladder::Rung::WEIGHT)
            ))
            .await;
        assert!(
            tuning.body.contains("verdict-worse"),
            "{}: the guard metric worsened",
            app.backend
        );
    }
}
