//! The weekly review: the comparison API, the drivers API, the review page and the
//! drivers on a cluster's page, over a scenario with a known answer.

use crate::helpers::*;
use reqwest::StatusCode;
use rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD;
use rungs::domain::week::WeekKey;
use rungs::service::accounts::Actor;
use rungs::service::grouping::GroupingCache;
use rungs::service::incidents;
use rungs::service::intake::{self, RawIncident};
use serde_json::Value;

const WEEK: &str = "2026-W47";

/// An instant in `week` on ISO `weekday` at `hour`:15 (the organisation is on UTC).
fn at(week: &str, weekday: u32, hour: u32) -> String {
    let monday = week.parse::<WeekKey>().unwrap().monday();
    let day = monday + chrono::Duration::days(i64::from(weekday) - 1);
    format!("{day}T{hour:02}:15:00Z")
}

struct Filer<'a> {
    app: &'a TestApp,
    grouping: GroupingCache,
    reporter: Actor,
    n: u32,
}

impl Filer<'_> {
    fn file(&mut self, title: &str, category: &str, dept: &str, when: String, r: &str) -> i64 {
        self.n += 1;
        let raw = RawIncident {
            title: format!("{title} {}", self.n),
            category: category.into(),
            occurred_at: when,
            department: dept.into(),
            counterpart: "approval".into(),
            external_ref: r.into(),
            ..RawIncident::default()
        };
        let mut conn = self.app.conn();
        intake::file(
            &mut conn,
            &self.grouping,
            &self.reporter,
            &raw,
            chrono::Utc::now(),
        )
        .expect("file")
        .cluster_id
        .expect("clustered")
    }
}

/// Ten background weeks (2026-W37..W46): A 6 a week at 9, 10, 11, 14, 15 and 16 o'clock
/// (half from sales, half from operations), B 5, C 3. In 2026-W47 A triples to 18, the
/// twelve extra at 12:00 and 13:00 from sales; B stays at 5, C goes to 4. A year before,
/// 2025-W47, A had 4. Returns the three cluster ids.
fn scenario(app: &TestApp, lead: &Actor) -> [i64; 3] {
    let mut f = Filer {
        app,
        grouping: GroupingCache::new(DEFAULT_JOIN_THRESHOLD),
        reporter: app.user("li", "member", "sales"),
        n: 0,
    };
    let kinds = [
        ("催审批 order", "approval-chase", "催审批"),
        ("CRM login error", "system-bug", "crm login"),
        ("fix customer phone", "data-fix", "customer phone"),
    ];
    // The first incident of each starts its cluster; a rule pins the rest to it.
    let mut ids = [0i64; 3];
    for (i, (title, category, pattern)) in kinds.iter().enumerate() {
        ids[i] = f.file(title, category, "sales", at("2026-W37", 1, 9), "");
        let mut conn = app.conn();
        rungs::service::clusters::add_rule(&mut conn, lead, ids[i], pattern).unwrap();
        rungs::service::clusters::confirm(&mut conn, lead, ids[i]).unwrap();
    }
    let hours = [9, 10, 11, 14, 15, 16];
    for w in 0..10u32 {
        let week = WeekKey::new(2026, 37 + w).unwrap().to_string();
        for (j, h) in hours.iter().enumerate() {
            if w == 0 && j == 0 {
                continue; // filed above
            }
            let dept = if j % 2 == 0 { "sales" } else { "operations" };
            let id = f.file(
                kinds[0].0,
                kinds[0].1,
                dept,
                at(&week, 1 + j as u32 % 5, *h),
                "",
            );
            assert_eq!(id, ids[0]);
        }
        for j in 0..5u32 {
            if w == 0 && j == 0 {
                continue;
            }
            let id = f.file(kinds[1].0, kinds[1].1, "product", at(&week, 1 + j, 10), "");
            assert_eq!(id, ids[1]);
        }
        for j in 0..3u32 {
            if w == 0 && j == 0 {
                continue;
            }
            let id = f.file(kinds[2].0, kinds[2].1, "hr", at(&week, 2 + j, 11), "");
            assert_eq!(id, ids[2]);
        }
    }
    // The spike week: the usual six, and twelve at lunchtime from sales, about 12 orders.
    for (j, h) in hours.iter().enumerate() {
        let dept = if j % 2 == 0 { "sales" } else { "operations" };
        let r = format!("SO-{}", j);
        f.file(
            kinds[0].0,
            kinds[0].1,
            dept,
            at(WEEK, 1 + j as u32 % 5, *h),
            &r,
        );
    }
    for j in 0..12u32 {
        let r = format!("SO-{}", j % 12);
        let id = f.file(
            kinds[0].0,
            kinds[0].1,
            "sales",
            at(WEEK, 1 + j % 5, 12 + j % 2),
            &r,
        );
        assert_eq!(id, ids[0]);
    }
    for j in 0..5u32 {
        f.file(kinds[1].0, kinds[1].1, "product", at(WEEK, 1 + j, 10), "");
    }
    for j in 0..4u32 {
        f.file(kinds[2].0, kinds[2].1, "hr", at(WEEK, 1 + j, 11), "");
    }
    for j in 0..4u32 {
        f.file(
            kinds[0].0,
            kinds[0].1,
            "sales",
            at("2025-W47", 1 + j, 10),
            "",
        );
    }
    ids
}

async fn get_json(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let res = app
        .api()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn close(got: &Value, want: f64) {
    let got = got.as_f64().expect("a number");
    assert!((got - want).abs() <= 1e-12 * want, "got {got}, want {want}");
}

#[tokio::test]
async fn a_cluster_that_triples_at_lunchtime_is_a_spike_driven_by_the_hour() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead_browser, lead) = app.signed_in("zhao", "lead").await;
        let [a, b, c] = scenario(&app, &lead);
        let token = app.token(&lead);

        let (status, v) = get_json(&app, &token, &format!("/api/v1/clusters?week={WEEK}")).await;
        assert_eq!(status, StatusCode::OK, "{}: {v}", app.backend);
        assert_eq!(v["week"], WEEK);
        assert_eq!(v["previous_week"], "2026-W46");
        let clusters = v["clusters"].as_array().unwrap();
        assert_eq!(clusters.len(), 3, "{v}");
        let row = |id: i64| clusters.iter().find(|c| c["id"] == id).unwrap();
        let spike = &clusters[0];
        assert_eq!(spike["id"], a, "sorted by rise");
        assert_eq!(spike["category"], "approval-chase");
        assert_eq!(spike["this_week"], 18);
        assert_eq!(spike["last_week"], 6);
        assert_eq!(spike["same_week_last_year"], 4);
        assert_eq!(spike["baseline_mean"], 6.0);
        assert_eq!(spike["delta"], 12);
        assert_eq!(spike["distinct_refs"], 12);
        // P(X >= 18 | Bin(24, 1/2)) = 190051/16777216; P(X >= 18 | Bin(66, 1/9)) by
        // Python's fractions; BH over three clusters triples the larger one.
        close(&spike["p_value"], 190_051.0 / 16_777_216.0);
        close(&spike["baseline_p_value"], 0.000_230_693_406_866_275_56);
        close(&spike["q_value"], 3.0 * 190_051.0 / 16_777_216.0);
        assert_eq!(
            spike["flags"],
            serde_json::json!(["spike"]),
            "{}",
            app.backend
        );
        assert_eq!(spike["series"].as_array().unwrap().len(), 12);
        assert_eq!(spike["state"], "open");
        assert_eq!(spike["rung"], 0);
        for other in [b, c] {
            assert_eq!(row(other)["flags"], serde_json::json!([]), "{}", row(other));
        }
        close(&row(b)["p_value"], 638.0 / 1024.0);
        assert_eq!(row(c)["delta"], 1);
        assert_eq!(v["team"]["this_week"], 27);
        assert_eq!(v["team"]["last_week"], 14);

        let (status, d) = get_json(
            &app,
            &token,
            &format!("/api/v1/clusters/{a}/drivers?week={WEEK}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{d}");
        assert_eq!(d["week"], WEEK);
        assert_eq!(d["baseline_week"], "2026-W46");
        let drivers = d["drivers"].as_array().unwrap();
        assert_eq!(drivers[0]["dimension"], "hour", "{d}");
        assert_eq!(drivers[1]["dimension"], "hour");
        let mut top: Vec<&str> = drivers[..2]
            .iter()
            .map(|x| x["value"].as_str().unwrap())
            .collect();
        top.sort();
        assert_eq!(top, ["12", "13"]);
        close(&drivers[0]["explained_share"], 0.5);
        assert_eq!(drivers[0]["this_week"], 6.0);
        assert_eq!(drivers[0]["baseline"], 0.0);
        assert_eq!(d["headline"]["hours"], serde_json::json!([12, 13]));
        // The coach, as on the Monday after, sees the spike and points at rung 1.
        let (status, coach) = get_json(
            &app,
            &token,
            &format!("/api/v1/clusters/{a}/coach?as_of=2026-11-23"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{coach}");
        assert_eq!(coach["evidence"]["spike"], true, "{}: {coach}", app.backend);
        assert_eq!(coach["recommended_rung"], 1);
        // Against the eight-week mean the hours still lead.
        let (_, m) = get_json(
            &app,
            &token,
            &format!("/api/v1/clusters/{a}/drivers?week={WEEK}&baseline=mean8"),
        )
        .await;
        assert_eq!(m["baseline_week"], "2026-W39..2026-W46");
        assert_eq!(m["drivers"][0]["dimension"], "hour", "{m}");

        // The page shows it too, in words, with the charts.
        let page = lead_browser.get(&format!("/review?week={WEEK}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        assert!(page.body.contains("stands-out"));
        assert!(page.body.contains("flag-spike"));
        assert!(page.body.contains("unusual"));
        assert!(page.body.contains("within noise"));
        assert!(page.body.contains("<svg class=\"spark\""));
        assert!(page.body.contains("Triage queue: 0 waiting"));
        let page = lead_browser
            .get(&format!("/clusters/{a}?week={WEEK}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("100% of the rise against last week came between 12:00 and 13:59"),
            "{}",
            app.backend
        );
        assert!(page.body.contains("<title id=\"hours-t\">"));
        assert!(page.body.contains("<title id=\"weekdays-t\">"));

        // The rollups equal the raw incidents, and the command says so.
        let diff = rungs::db::rollups::verify(&mut app.conn()).unwrap();
        assert!(diff.is_empty(), "{}: {diff:?}", app.backend);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rungs"))
            .args(["rollups", "verify", "--database-url", &app.database_url])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

#[tokio::test]
async fn the_review_is_for_leads_and_reads_any_week() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (member, member_actor) = app.signed_in("li", "member").await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        assert_eq!(member.get("/review").await.status, StatusCode::FORBIDDEN);
        // An empty database: the last complete week by default, the current one reachable.
        let page = lead.get("/review").await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        assert!(page.body.contains("No cluster had incidents"));
        assert!(page.body.contains("This week so far"));
        let page = lead.get("/review?week=2026-W53").await;
        assert_eq!(page.status, StatusCode::OK, "2026 has a week 53");
        assert!(page.body.contains("← 2026-W52"));
        assert_eq!(
            lead.get("/review?week=2025-W53").await.status,
            StatusCode::UNPROCESSABLE_ENTITY
        );

        // The week across every cluster is for leads on the API too, as on the page;
        // a member still reads a single cluster's drivers, as on its page.
        let member_token = app.token(&member_actor);
        let (status, v) = get_json(&app, &member_token, "/api/v1/clusters").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}: {v}", app.backend);
        let (status, _) = get_json(&app, &member_token, "/api/v1/clusters/999/drivers").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{}", app.backend);
        let token = app.token(&lead_actor);
        let (status, v) = get_json(&app, &token, "/api/v1/clusters?week=2026-W99").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(v["fields"]["week"].is_string(), "{v}");
        let (status, v) = get_json(&app, &token, "/api/v1/clusters").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["clusters"], serde_json::json!([]));
        let (status, _) = get_json(&app, &token, "/api/v1/clusters/999/drivers").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let res = app
            .api()
            .get(app.url("/api/v1/clusters"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        // A single incident: new, too few to tell, and its drivers render.
        let lead_token = app.token(&lead_actor);
        let (status, filed) = app
            .post_incident(
                &lead_token,
                serde_json::json!({"title": "打印机卡纸", "category": "other",
                    "occurred_at": "2026-11-18T04:30:00Z"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let (_, v) = get_json(&app, &token, "/api/v1/clusters?week=2026-W47").await;
        let one = &v["clusters"][0];
        assert_eq!(one["flags"], serde_json::json!(["new"]), "{v}");
        assert_eq!(one["reading"]["verdict"], "too_few_to_tell");
        assert_eq!(one["reading"]["needed"], 4);
        let id = filed["cluster_id"].as_i64().unwrap();
        let (status, d) = get_json(
            &app,
            &token,
            &format!("/api/v1/clusters/{id}/drivers?week=2026-W47&baseline=weird"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{d}");
        let page = lead.get(&format!("/clusters/{id}?week=2026-W47")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("What drove the change"));
        let page = lead.get("/review?week=2026-W47").await;
        assert!(page.body.contains("too few to tell: about 4 more needed"));
        assert!(page.body.contains("Triage queue: 1 waiting"));
    }
}

#[tokio::test]
async fn the_week_follows_the_organisations_time_zone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "sales");
        rungs::service::organisation::set_timezone(
            &mut app.conn(),
            None,
            chrono_tz::Asia::Shanghai,
        )
        .unwrap();
        let token = app.token(&lead);
        // Sunday 2026-11-22 17:30 UTC is Monday 01:30 in Shanghai: week 48, not 47.
        let (status, v) = app
            .post_incident(
                &token,
                serde_json::json!({"title": "late chase", "category": "other",
                    "occurred_at": "2026-11-22T17:30:00Z"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let (_, w47) = get_json(&app, &token, "/api/v1/clusters?week=2026-W47").await;
        assert_eq!(w47["clusters"], serde_json::json!([]), "{}", app.backend);
        let (_, w48) = get_json(&app, &token, "/api/v1/clusters?week=2026-W48").await;
        assert_eq!(w48["clusters"][0]["this_week"], 1);
        let (_, d) = get_json(
            &app,
            &token,
            &format!("/api/v1/clusters/{}/drivers?week=2026-W48", v["cluster_id"]),
        )
        .await;
        let hour = d["drivers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["dimension"] == "hour")
            .unwrap();
        assert_eq!(hour["value"], "1");

        // A rollup that disagrees with the incidents is reported, and the command fails.
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE cluster_weeks SET incidents = incidents + 1")
            .execute(&mut *app.conn())
            .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rungs"))
            .args(["rollups", "verify", "--database-url", &app.database_url])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let printed = String::from_utf8_lossy(&out.stdout);
        assert!(
            printed.contains("2026-W48: stored Some(2), recomputed Some(1)"),
            "{printed}"
        );
    }
}

#[tokio::test]
async fn an_order_counts_once_per_cluster_week_through_merges_moves_and_withdrawals() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "sales");
        let token = app.token(&lead);
        let grouping = GroupingCache::new(DEFAULT_JOIN_THRESHOLD);
        let reporter = app.user("li", "member", "sales");
        let mut n = 0;
        let mut file = |title: &str, category: &str, r: &str| {
            n += 1;
            let raw = RawIncident {
                title: format!("{title} {n}"),
                category: category.into(),
                occurred_at: at(WEEK, 1 + n % 5, 10),
                external_ref: r.into(),
                ..RawIncident::default()
            };
            let filed = intake::file(
                &mut app.conn(),
                &grouping,
                &reporter,
                &raw,
                chrono::Utc::now(),
            )
            .expect("file");
            (filed.id, filed.cluster_id.expect("clustered"))
        };
        // A: SO-1 twice, SO-2 and one without a reference. B: SO-2 and SO-3.
        let (_, a) = file("催审批 order", "approval-chase", "SO-1");
        let (so1_again, a2) = file("催审批 order", "approval-chase", "SO-1");
        let (_, a3) = file("催审批 order", "approval-chase", "SO-2");
        let (_, a4) = file("催审批 order", "approval-chase", "");
        let (_, b) = file("Printer jams on the third floor", "approval-chase", "SO-2");
        let (so3, b2) = file("Printer jams on the third floor", "approval-chase", "SO-3");
        assert_eq!([a2, a3, a4], [a; 3], "{}", app.backend);
        assert_eq!(b2, b);
        assert_ne!(a, b);
        let refs = |v: &Value, id: i64| -> Value {
            let clusters = v["clusters"].as_array().expect("clusters");
            clusters
                .iter()
                .find(|c| c["id"] == id)
                .map(|c| c["distinct_refs"].clone())
                .unwrap_or(Value::Null)
        };
        let review = format!("/api/v1/clusters?week={WEEK}");
        let v = app.get_json(&token, &review).await;
        assert_eq!((refs(&v, a), refs(&v, b)), (2.into(), 2.into()), "{v}");

        // Merged, SO-2 is one order of the survivor: SO-1, SO-2, SO-3.
        rungs::service::clusters::merge(&mut app.conn(), &grouping, &lead, b, a).unwrap();
        let v = app.get_json(&token, &review).await;
        assert_eq!(refs(&v, a), 3, "{}: {v}", app.backend);
        // SO-3's only incident withdrawn: two orders left.
        incidents::set_status(&mut app.conn(), &reporter, so3, "withdrawn", "").unwrap();
        let v = app.get_json(&token, &review).await;
        assert_eq!(refs(&v, a), 2, "{}: {v}", app.backend);
        // One of SO-1's two moved out: SO-1 is still an order of A, and now one of the new.
        let c = rungs::service::clusters::move_incidents(
            &mut app.conn(),
            &grouping,
            &lead,
            a,
            &[so1_again],
            None,
            "Chases about SO-1",
        )
        .unwrap();
        let v = app.get_json(&token, &review).await;
        assert_eq!((refs(&v, a), refs(&v, c)), (2.into(), 1.into()), "{v}");

        let diff = rungs::db::rollups::verify(&mut app.conn()).unwrap();
        assert!(diff.is_empty(), "{}: {diff:?}", app.backend);
    }
}
