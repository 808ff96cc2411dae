//! The approval story of docs/ladder.md, end to end through HTTP.

use crate::helpers::*;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The Monday of the week `k` weeks before the current one (UTC is the organisation's zone here).
fn monday(k: i64) -> NaiveDate {
    let today = Utc::now().date_naive();
    today - Duration::days(i64::from(today.weekday().num_days_from_monday())) - Duration::weeks(k)
}

fn day(k: i64) -> String {
    monday(k).to_string()
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self
            .app
            .api()
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        let (status, v) = self.send(reqwest::Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
        v
    }

    /// `n` chases on Wednesday of week `k` back, lunchtime.
    async fn chases(&self, k: i64, n: usize) -> Option<i64> {
        let mut cluster = None;
        for i in 0..n {
            let at = format!("{}T12:{:02}:00Z", monday(k) + Duration::days(2), i % 60);
            let (status, v) = self
                .post("/api/v1/incidents", json!({"title": format!("催审批 order {k}-{i}"), "category": "approval-chase", "occurred_at": at, "counterpart": "approval"}))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{v}");
            cluster = v["cluster_id"].as_i64();
        }
        cluster
    }
}

#[tokio::test]
async fn the_approval_story_climbs_the_ladder() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let api = Api {
            app: &app,
            token: app.token(&lead),
        };
        let signer = |login: &str, dept: &str| {
            let u = app.user(login, "member", dept);
            Api {
                app: &app,
                token: app.token(&u),
            }
        };
        let (sales, product, hr) = (
            signer("s1", "sales"),
            signer("p1", "product"),
            signer("h1", "hr"),
        );

        // Pin every chase to one cluster with a rule, as a lead would.
        let cluster = api.chases(21, 1).await.unwrap();
        let mut conn = app.conn();
        rungs::service::clusters::add_rule(
            &mut conn,
            &rungs::service::accounts::Actor {
                role: rungs::domain::role::Role::Lead,
                ..lead.clone()
            },
            cluster,
            "催审批",
        )
        .unwrap();
        drop(conn);

        // Rung 0 → 1: four weeks of chasing with only one-off fixes.
        for k in [20, 19, 18, 17] {
            assert_eq!(api.chases(k, 10).await, Some(cluster));
        }
        let coach = api
            .get(&format!(
                "/api/v1/clusters/{cluster}/coach?as_of={}",
                day(16)
            ))
            .await;
        assert_eq!(
            (
                coach["current_rung"].as_i64(),
                coach["recommended_rung"].as_i64()
            ),
            (Some(0), Some(1)),
            "{}: {coach}",
            app.backend
        );
        assert_eq!(coach["reason"], "recurring");
        assert!(
            coach["question"]
                .as_str()
                .unwrap()
                .contains("Pull every case")
        );

        // Rung 1: the lunch rota changes in week -16; chasing falls but stays.
        let (status, process) = api
            .post(&format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 1, "title": "Staff the approval desk over lunch", "owner": "zhao",
                "why": "most chases happen at lunchtime", "launched_at": day(16), "review_after_weeks": 2, "goal_kind": "weekly_rate_below", "goal_value": 2.0}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{process}");
        api.chases(16, 6).await;
        api.chases(15, 3).await;
        api.chases(14, 3).await;
        let p = api
            .get(&format!(
                "/api/v1/actions/{}?as_of={}",
                process["id"],
                day(13)
            ))
            .await;
        assert_eq!(p["effect"]["verdict"], "reduced", "{}: {p}", app.backend);
        assert_eq!(p["effect"]["before_rate"], 10.0);
        assert_eq!(p["effect"]["after_rate"], 3.0);
        assert!((p["effect"]["rate_ratio"].as_f64().unwrap() - 0.3).abs() < 1e-9);
        assert!(p["effect"]["p_value"].as_f64().unwrap() < 0.05);
        assert_eq!(p["effect"]["goal_met"], false, "3 a week is not below 2");
        let early = api
            .get(&format!(
                "/api/v1/actions/{}?as_of={}",
                process["id"],
                day(14)
            ))
            .await;
        assert_eq!(
            early["effect"]["verdict"], "pending",
            "before the review date"
        );
        let coach = api
            .get(&format!(
                "/api/v1/clusters/{cluster}/coach?as_of={}",
                day(13)
            ))
            .await;
        assert_eq!(
            (
                coach["current_rung"].as_i64(),
                coach["recommended_rung"].as_i64(),
                coach["reason"].as_str()
            ),
            (Some(1), Some(2), Some("reduced")),
            "{coach}"
        );
        assert!(coach["question"].as_str().unwrap().contains("by hand"));

        // Rung 2: a product feature followed through its four steps, launched in week -12.
        let (status, feature) = api
            .post(&format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 2, "title": "Show approval progress to sales; alert approver and manager", "review_after_weeks": 2}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{feature}");
        assert_eq!(feature["stage"], "proposed");
        let fid = feature["id"].as_i64().unwrap();
        let (status, bad) = api
            .post(
                &format!("/api/v1/actions/{fid}/advance"),
                json!({"stage": "proposed"}),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "no step backwards: {bad}"
        );
        for (stage, k) in [("scheduled", 14), ("in_development", 13), ("launched", 12)] {
            let (status, v) = api
                .post(
                    &format!("/api/v1/actions/{fid}/advance"),
                    json!({"stage": stage, "on": day(k)}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{v}");
        }
        let f = api.get(&format!("/api/v1/actions/{fid}")).await;
        let stages: Vec<&str> = f["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["stage"].as_str().unwrap())
            .collect();
        assert_eq!(
            stages,
            ["proposed", "scheduled", "in_development", "launched"]
        );
        api.chases(13, 3).await;
        api.chases(12, 3).await;
        api.chases(11, 3).await;
        api.chases(10, 4).await;
        let coach = api
            .get(&format!(
                "/api/v1/clusters/{cluster}/coach?as_of={}",
                day(9)
            ))
            .await;
        assert_eq!(
            (
                coach["current_rung"].as_i64(),
                coach["recommended_rung"].as_i64(),
                coach["reason"].as_str()
            ),
            (Some(2), Some(3), Some("no_effect")),
            "{}: {coach}",
            app.backend
        );
        assert!(
            coach["question"]
                .as_str()
                .unwrap()
                .contains("rule or incentive")
        );

        // Rung 3: the credit rule. A policy cannot launch until sales, product and HR sign off.
        let (status, policy) = api
            .post(&format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 3, "title": "Salespeople may lock a customer for one approval cycle",
                "why": "credit counts only after approval, so salespeople race", "departments": ["sales", "product", "hr"], "review_after_weeks": 2}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{policy}");
        let pid = policy["id"].as_i64().unwrap();
        let launch = json!({"stage": "launched", "on": day(8)});
        assert_eq!(
            api.post(&format!("/api/v1/actions/{pid}/advance"), launch.clone())
                .await
                .0,
            StatusCode::CONFLICT
        );
        assert_eq!(
            sales
                .post(
                    &format!("/api/v1/actions/{pid}/signoffs"),
                    json!({"department": "sales", "decision": "approve"})
                )
                .await
                .0,
            StatusCode::CREATED
        );
        assert_eq!(
            sales
                .post(
                    &format!("/api/v1/actions/{pid}/signoffs"),
                    json!({"department": "hr", "decision": "approve"})
                )
                .await
                .0,
            StatusCode::FORBIDDEN,
            "sales cannot sign for HR"
        );
        let (status, _) = product.post(&format!("/api/v1/actions/{pid}/signoffs"), json!({"department": "product", "decision": "object", "comment": "lock period too long"})).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(
            hr.post(
                &format!("/api/v1/actions/{pid}/signoffs"),
                json!({"department": "hr", "decision": "approve"})
            )
            .await
            .0,
            StatusCode::CREATED
        );
        assert_eq!(
            api.post(&format!("/api/v1/actions/{pid}/advance"), launch.clone())
                .await
                .0,
            StatusCode::CONFLICT,
            "an objection blocks"
        );
        assert_eq!(product.post(&format!("/api/v1/actions/{pid}/signoffs"), json!({"department": "product", "decision": "approve", "comment": "agreed after the change"})).await.0, StatusCode::CREATED);
        let (status, launched) = api
            .post(&format!("/api/v1/actions/{pid}/advance"), launch)
            .await;
        assert_eq!(status, StatusCode::OK, "{launched}");
        assert_eq!(launched["signoffs"].as_array().unwrap().len(), 4);
        api.chases(9, 4).await;
        api.chases(8, 1).await;
        let p = api
            .get(&format!("/api/v1/actions/{pid}?as_of={}", day(5)))
            .await;
        assert_eq!(p["effect"]["verdict"], "eliminated", "{}: {p}", app.backend);
        let coach = api
            .get(&format!(
                "/api/v1/clusters/{cluster}/coach?as_of={}",
                day(5)
            ))
            .await;
        assert_eq!(
            (coach["current_rung"].as_i64(), coach["reason"].as_str()),
            (Some(3), Some("eliminated")),
            "{coach}"
        );
        assert!(coach["recommended_rung"].is_null());
        // Reading the coach changed nothing; the scheduler's pass resolves the cluster.
        let c = api.get(&format!("/api/v1/clusters/{cluster}")).await;
        assert_ne!(c["state"], "resolved", "{}", app.backend);
        rungs::service::scheduler::run_due(&app.pool, "test", Utc::now());
        let c = api.get(&format!("/api/v1/clusters/{cluster}")).await;
        assert_eq!(c["state"], "resolved", "{}", app.backend);

        // A chase after that: regressed, back on the review list.
        let (status, _) = api
            .post(
                "/api/v1/incidents",
                json!({"title": "又来催审批 order 9999", "category": "approval-chase"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let c = api.get(&format!("/api/v1/clusters/{cluster}")).await;
        assert_eq!(c["state"], "regressed", "{}", app.backend);
        let coach = api.get(&format!("/api/v1/clusters/{cluster}/coach")).await;
        assert_eq!(
            (coach["recommended_rung"].as_i64(), coach["reason"].as_str()),
            (Some(4), Some("regressed")),
            "{coach}"
        );
    }
}

#[tokio::test]
async fn a_weight_tuning_whose_guard_metric_worsens_is_flagged() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "approval");
        let api = Api {
            app: &app,
            token: app.token(&lead),
        };
        let cluster = api.chases(8, 5).await.unwrap();
        // The guard: approval errors, a data-fix category that must not worsen.
        let errors = |k: i64, n: usize| {
            let api = &api;
            async move {
                for i in 0..n {
                    let at = format!("{}T09:{:02}:00Z", monday(k) + Duration::days(1), i);
                    let (s, v) = api.post("/api/v1/incidents", json!({"title": format!("approved order had wrong price {k}-{i}"), "category": "data-fix", "occurred_at": at})).await;
                    assert_eq!(s, StatusCode::CREATED, "{v}");
                }
            }
        };
        errors(6, 1).await;
        errors(5, 1).await;
        errors(3, 6).await;
        errors(2, 6).await;
        let (status, kpi) = api
            .post(&format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 5, "title": "Approval timeliness in the approval KPI", "kpi_department": "approval",
                "kpi_item": "approval timeliness", "kpi_definition": "share approved within 4 working hours", "kpi_weight": 10.0, "launched_at": day(4)}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{kpi}");
        let (status, tuning) = api
            .post(&format!("/api/v1/clusters/{cluster}/actions"), json!({"rung": 6, "title": "Timeliness weight 30%", "kpi_weight": 30.0,
                "guard_category": "data-fix", "guard_margin": 0.2, "launched_at": day(4), "review_after_weeks": 2}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {tuning}", app.backend);
        let tid = tuning["id"].as_i64().unwrap();
        let (status, revised) = api
            .post(
                &format!("/api/v1/actions/{tid}/weights"),
                json!({"weight": 20.0, "on": day(1), "reason": "quality slipping"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{revised}");
        assert_eq!(revised["weights"].as_array().unwrap().len(), 2);
        assert_eq!(revised["kpi_weight"], 20.0);
        let t = api.get(&format!("/api/v1/actions/{tid}")).await;
        let guard = &t["effect"]["guard"];
        assert_eq!(guard["worsened"], true, "{}: {t}", app.backend);
        assert_eq!(guard["before_count"], 2);
        assert_eq!(guard["after_count"], 12);
        // A weight tuning without a guard is refused with a field message.
        let (status, err) = api
            .post(
                &format!("/api/v1/clusters/{cluster}/actions"),
                json!({"rung": 6, "title": "x", "kpi_weight": 5.0}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(err["fields"]["guard_cluster"].is_string(), "{err}");
    }
}

#[tokio::test]
async fn members_cannot_record_actions() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = app.user("li", "member", "sales");
        let api = Api {
            app: &app,
            token: app.token(&member),
        };
        let cluster = api.chases(2, 1).await.unwrap();
        let (status, _) = api
            .post(
                &format!("/api/v1/clusters/{cluster}/actions"),
                json!({"rung": 1, "title": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", app.backend);
        assert_eq!(app.count("actions"), 0);
    }
}
