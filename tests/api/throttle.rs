//! Guessing is limited: a flood of wrong passwords is refused with 429 after a few
//! tries, stays small in memory, leaves the trail a line, and does not keep anyone
//! else out; wrong API tokens are limited the same way.

use crate::child::ChildServer;
use crate::helpers::*;
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const FLOODERS: usize = 64;
const FLOOD_FOR: Duration = Duration::from_secs(5);
/// Each flooder stops after this many attempts even if time is left.
const FLOOD_AT_MOST: usize = 400;

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn lockouts(app: &TestApp) -> i64 {
    let rows: Vec<N> =
        diesel::sql_query("SELECT COUNT(*) AS n FROM audit_events WHERE action = 'locked_out'")
            .load(&mut *app.conn())
            .unwrap();
    rows[0].n
}

#[tokio::test]
async fn a_wrong_password_flood_is_refused_early_and_keeps_memory_small() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.user("victim", "lead", "sales");
        app.user("bystander", "member", "sales");
        let server = ChildServer::start(&app.database_url);
        let (_, idle_peak) = server.memory_mib();

        let began = Instant::now();
        let mut flooders = Vec::new();
        for _ in 0..FLOODERS {
            let base = server.address.clone();
            flooders.push(tokio::spawn(async move {
                let b = Browser::at(&base);
                let token = b.get("/login").await.csrf();
                let mut seen: BTreeMap<u16, usize> = BTreeMap::new();
                let mut retry_after_missing = 0;
                for _ in 0..FLOOD_AT_MOST {
                    if began.elapsed() > FLOOD_FOR {
                        break;
                    }
                    let page = b
                        .post_raw(
                            "/login",
                            &[
                                ("csrf_token", &token),
                                ("login", "victim"),
                                ("password", "not the password"),
                            ],
                        )
                        .await;
                    *seen.entry(page.status.as_u16()).or_default() += 1;
                    if page.status == StatusCode::TOO_MANY_REQUESTS && page.retry_after.is_none() {
                        retry_after_missing += 1;
                    }
                }
                (seen, retry_after_missing)
            }));
        }
        let mut seen: BTreeMap<u16, usize> = BTreeMap::new();
        for f in flooders {
            let (theirs, missing) = f.await.unwrap();
            assert_eq!(missing, 0, "every 429 says when to come back");
            for (status, n) in theirs {
                *seen.entry(status).or_default() += n;
            }
        }
        let (_, peak) = server.memory_mib();
        let attempts: usize = seen.values().sum();
        println!(
            "{}: {attempts} wrong passwords in {:?}: {seen:?}; peak RSS {peak:.0} MiB (idle {idle_peak:.0} MiB)",
            app.backend,
            began.elapsed()
        );
        assert!(
            attempts > 200,
            "{}: the flood flooded: {seen:?}",
            app.backend
        );
        assert_eq!(
            seen.keys()
                .copied()
                .filter(|s| *s != 401 && *s != 429)
                .count(),
            0,
            "{}: only 401 and 429: {seen:?}",
            app.backend
        );
        // Ten guesses are checked, perhaps one more as the allowance refills; the rest
        // are refused before any password is hashed.
        assert!(
            seen.get(&401).copied().unwrap_or(0) <= 12,
            "{}: {seen:?}",
            app.backend
        );
        assert!(
            peak < 300.0,
            "{}: peak resident memory {peak:.0} MiB",
            app.backend
        );

        // The right password is refused too while the account is locked, and says why.
        let b = Browser::at(&server.address);
        let page = b
            .submit(
                "/login",
                "/login",
                &[("login", "victim"), ("password", PASSWORD), ("next", "/")],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            app.backend
        );
        assert!(page.retry_after.unwrap_or(0) > 0);
        assert!(page.body.contains("Too many attempts"), "{}", page.body);
        // Someone who was not attacked signs in from the same address at once.
        Browser::at(&server.address)
            .login("bystander", PASSWORD)
            .await;
        // The lockout is on the trail, once.
        assert_eq!(lockouts(&app), 1, "{}", app.backend);
    }
}

#[tokio::test]
async fn wrong_api_tokens_are_limited_per_address_and_good_ones_still_work() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("lead", "lead", "sales");
        let good = app.token(&lead);
        let mut statuses = Vec::new();
        for i in 0..60 {
            let res = app
                .api()
                .get(app.url("/api/v1/clusters"))
                .bearer_auth(format!("rungs_{i:064}"))
                .send()
                .await
                .unwrap();
            if res.status() == StatusCode::TOO_MANY_REQUESTS {
                let retry: u64 = res.headers()["retry-after"]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!(retry > 0);
                let body: serde_json::Value = res.json().await.unwrap();
                assert!(
                    body["error"].as_str().unwrap().contains("too many"),
                    "{body}"
                );
                statuses.push(429);
            } else {
                statuses.push(res.status().as_u16());
            }
        }
        assert!(statuses[..20].iter().all(|s| *s == 401), "{statuses:?}");
        assert!(statuses[21..].iter().all(|s| *s == 429), "{statuses:?}");
        // A good token from the same address is not refused.
        let res = app
            .api()
            .get(app.url("/api/v1/clusters"))
            .bearer_auth(&good)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", app.backend);
        assert_eq!(lockouts(&app), 1, "{}", app.backend);
    }
}

/// What `n` wrong tokens sent with `X-Forwarded-For: forwarded(i)` are answered.
async fn wrong_tokens(
    app: &TestApp,
    base: &str,
    n: usize,
    forwarded: impl Fn(usize) -> String,
) -> Vec<u16> {
    let mut statuses = Vec::new();
    for i in 0..n {
        let res = app
            .api()
            .get(format!("{base}/api/v1/clusters"))
            .bearer_auth(format!("rungs_{i:064}"))
            .header("x-forwarded-for", forwarded(i))
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_allowance() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        // The test stands for the proxy: it connects from 127.0.0.1.
        let behind_proxy = TestApp::start_with(&app.database_url, |c| {
            c.trusted_proxies =
                rungs::client_address::TrustedProxies::parse("127.0.0.1/32").unwrap();
        })
        .await;
        let flooder = wrong_tokens(&app, &behind_proxy, 30, |_| "198.51.100.1".into()).await;
        assert!(flooder[..20].iter().all(|s| *s == 401), "{flooder:?}");
        assert!(flooder[21..].iter().all(|s| *s == 429), "{flooder:?}");
        // Another client behind the same proxy is not held up by the flooder.
        let other = wrong_tokens(&app, &behind_proxy, 3, |_| "198.51.100.2".into()).await;
        assert_eq!(other, vec![401; 3], "{}", app.backend);

        // Where no proxy is trusted, a forged header changes nothing: the socket counts.
        let forger = wrong_tokens(&app, &app.address, 30, |i| format!("203.0.113.{i}")).await;
        assert!(forger[21..].iter().all(|s| *s == 429), "{forger:?}");
    }
}
