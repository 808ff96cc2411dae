//! Operators' view: `/metrics` in Prometheus' text format (read here by a parser of
//! that format), restricted by a token; request ids on every response.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn scrape(address: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut req = reqwest::Client::new().get(format!("{address}/metrics"));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.text().await.unwrap())
}

fn parse(text: &str) -> prometheus_parse::Scrape {
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned())))
        .expect("the Prometheus text format")
}

fn counter(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Untyped(v) => v,
            prometheus_parse::Value::Gauge(v) => v,
            _ => 0.0,
        })
        .sum()
}

/// The value of the sample written exactly as `series`, or 0.
fn raw(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_grouping_outcomes() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = app.user("li", "member", "sales");
        let token = app.token(&member);
        let (status, before_text) = scrape(&app.address, None).await;
        assert_eq!(status, StatusCode::OK, "loopback may read without a token");
        let before = parse(&before_text);
        let res = app
            .api()
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&token)
            .json(&json!({"title": "催审批 订单 5521 进度", "category": "approval-chase"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let missing = app.get_json(&token, "/api/v1/clusters/987654321").await;
        assert!(missing.get("error").is_some(), "{missing}");

        let (_, text) = scrape(&app.address, None).await;
        let after = parse(&text);
        // prometheus-parse skips a line whose label value holds a brace (its pattern
        // stops at the first `}`), so the pattern's own series is read from the text.
        let line =
            r#"rungs_http_requests_total{method="GET",route="/api/v1/clusters/{id}",status="404"}"#;
        assert!(
            raw(&text, line) >= raw(&before_text, line) + 1.0,
            "{}: {}",
            app.backend,
            text.lines()
                .filter(|l| l.contains("clusters"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        assert!(
            !after
                .samples
                .iter()
                .any(|s| s.labels.values().any(|v| v.contains("987654321"))),
            "no series is labelled with a raw path"
        );
        let filed =
            r#"rungs_http_request_duration_seconds_count{method="POST",route="/api/v1/incidents"}"#;
        assert!(raw(&text, filed) >= 1.0, "{}", app.backend);
        assert!(
            counter(&after, "rungs_grouping_outcomes_total", &[])
                >= counter(&before, "rungs_grouping_outcomes_total", &[]) + 1.0,
            "the filing's placement is counted"
        );
        assert!(
            counter(
                &after,
                "rungs_events_written_total",
                &[("entity", "incident")]
            ) >= 1.0
        );
        for name in [
            "rungs_db_pool_connections",
            "rungs_db_pool_wait_seconds",
            "rungs_login_throttled_total",
            "rungs_scheduler_runs_total",
            "rungs_incidents_filed_total",
            "rungs_webhook_deliveries_total",
        ] {
            assert!(after.docs.contains_key(name), "{name} is exported");
        }
        assert!(raw(&text, "rungs_db_pool_wait_seconds_count") >= 1.0);
    }
}

#[tokio::test]
async fn a_metrics_token_is_required_once_set() {
    let backend = backends().remove(0);
    let app = TestApp::spawn(&backend).await;
    let guarded = TestApp::start_with(&app.database_url, |c| {
        c.metrics.token = Some("scrape-secret".into());
    })
    .await;
    let (status, _) = scrape(&guarded, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no token, even from loopback"
    );
    let (status, _) = scrape(&guarded, Some("wrong")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, text) = scrape(&guarded, Some("scrape-secret")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.contains("rungs_http_requests_total"));
    let listed = TestApp::start_with(&app.database_url, |c| {
        c.metrics.allow = vec!["10.1.2.3".parse().unwrap()];
    })
    .await;
    let (status, _) = scrape(&listed, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "loopback is not on the list");
    // Behind a proxy on this machine, what it forwards from elsewhere is not loopback.
    let proxied = TestApp::start_with(&app.database_url, |c| {
        c.trusted_proxies = rungs::client_address::TrustedProxies::parse("127.0.0.1").unwrap();
    })
    .await;
    let (status, _) = scrape(&proxied, None).await;
    assert_eq!(status, StatusCode::OK, "a scrape on this machine");
    let forwarded = reqwest::Client::new()
        .get(format!("{proxied}/metrics"))
        .header("x-forwarded-for", "198.51.100.1")
        .send()
        .await
        .unwrap();
    assert_eq!(
        forwarded.status(),
        StatusCode::FORBIDDEN,
        "forwarded from outside"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let backend = backends().remove(0);
    let app = TestApp::spawn(&backend).await;
    let client = reqwest::Client::new();
    let mut seen = std::collections::HashSet::new();
    for path in ["/healthz", "/login", "/no/such/page", "/api/v1/clusters"] {
        let res = client.get(app.url(path)).send().await.unwrap();
        let id = res
            .headers()
            .get("x-request-id")
            .unwrap_or_else(|| panic!("{path} has no x-request-id"))
            .to_str()
            .unwrap()
            .to_owned();
        assert_eq!(id.len(), 32, "a made id: {id}");
        assert!(seen.insert(id), "ids differ between requests");
    }
    let kept = client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-7f3a.2")
        .send()
        .await
        .unwrap();
    assert_eq!(
        kept.headers()["x-request-id"],
        "lb-7f3a.2",
        "a sane id is kept"
    );
    let replaced = client
        .get(app.url("/healthz"))
        .header("x-request-id", "a".repeat(200))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replaced.headers()["x-request-id"].len(),
        32,
        "an overlong id is replaced"
    );
}
