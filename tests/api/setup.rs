use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn first_run_leads_to_setup_and_creates_the_first_admin_once() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let b = app.browser();
        assert_redirect_to(&b.get("/incidents").await, "/setup");
        assert_redirect_to(&b.get("/login").await, "/setup");

        // A bad setup form keeps what was typed.
        let page = b
            .submit(
                "/setup",
                "/setup",
                &[
                    ("login", "Bad Login!"),
                    ("display_name", "Wang Fang"),
                    ("department", "operations"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        assert!(page.body.contains("value=\"Wang Fang\""), "typed name kept");
        assert!(page.body.contains("At least 8 characters"));
        assert_eq!(app.count("users"), 0);

        let page = b
            .submit(
                "/setup",
                "/setup",
                &[
                    ("login", "wang"),
                    ("display_name", "Wang Fang"),
                    ("department", "operations"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_redirect_to(&page, "/admin");
        assert_eq!(
            b.get("/admin").await.status,
            StatusCode::OK,
            "{}: the new admin is signed in",
            app.backend
        );

        // Only once: setup now sends people to login and refuses a second admin.
        let other = app.browser();
        assert_redirect_to(&other.get("/setup").await, "/login");
        let token = other.get("/login").await.csrf();
        let page = other
            .post_raw(
                "/setup",
                &[
                    ("csrf_token", &token),
                    ("login", "intruder"),
                    ("display_name", "X"),
                    ("department", ""),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_redirect_to(&page, "/login");
        assert_eq!(app.count("users"), 1, "{}", app.backend);
    }
}

#[tokio::test]
async fn sessions_survive_a_restart_and_logout_ends_them() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        assert_eq!(b.get("/incidents").await.status, StatusCode::OK);

        // A second server over the same database honours the same cookie.
        // Another process: the real binary, over the same database.
        let second_process = crate::child::ChildServer::start(&app.database_url);
        let second = second_process.address.clone();
        let b2 = crate::helpers::Browser {
            client: b.client.clone(),
            base: second,
            jar: b.jar.clone(),
        };
        assert_eq!(
            b2.get("/incidents").await.status,
            StatusCode::OK,
            "{}: the session key is kept",
            app.backend
        );

        // A copy of the cookie, as a thief or a forgotten browser would keep it, and the
        // same person signed in on another device.
        let copied = b.cookie_header();
        assert!(copied.contains("rungs_session="), "{copied}");
        let elsewhere = app.browser();
        elsewhere.login("li", PASSWORD).await;
        let thief = app.browser();
        assert_eq!(
            thief
                .get_with("/incidents", ("Cookie", &copied))
                .await
                .status,
            StatusCode::OK
        );

        // Signing out ends every session of that person, the copied cookie's too.
        let page = b.submit("/incidents", "/logout", &[]).await;
        assert_redirect_to(&page, "/login");
        assert_redirect_to(&b.get("/incidents").await, "/login");
        assert_redirect_to(
            &thief.get_with("/incidents", ("Cookie", &copied)).await,
            "/login",
        );
        assert_redirect_to(&elsewhere.get("/incidents").await, "/login");
        assert_redirect_to(&b2.get("/incidents").await, "/login");

        // Signing in again works.
        b.login("li", PASSWORD).await;
        assert_eq!(
            b.get("/incidents").await.status,
            StatusCode::OK,
            "{}",
            app.backend
        );
    }
}

#[tokio::test]
async fn wrong_password_is_refused_without_saying_which_part_was_wrong() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.user("li", "member", "sales");
        let b = app.browser();
        let page = b
            .submit(
                "/login",
                "/login",
                &[("login", "li"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
        assert!(page.body.contains("do not match"));
        assert!(page.body.contains("value=\"li\""), "the login is kept");
        let page = b
            .submit(
                "/login",
                "/login",
                &[("login", "nobody"), ("password", "wrong password")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn login_redirects_only_to_local_pages() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.user("li", "member", "sales");
        let b = app.browser();
        let page = b
            .submit(
                "/login",
                "/login",
                &[
                    ("login", "li"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        assert_eq!(page.location.as_deref(), Some("/"));
        let b = app.browser();
        let page = b
            .submit(
                "/login",
                "/login",
                &[
                    ("login", "li"),
                    ("password", PASSWORD),
                    ("next", "/incidents?week=2026-W48"),
                ],
            )
            .await;
        assert_eq!(page.location.as_deref(), Some("/incidents?week=2026-W48"));
    }
}

#[tokio::test]
async fn healthz_answers_without_login() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let res = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], "ok");
    }
}

/// Twelve setups sent at once on an empty database make exactly one admin.
#[tokio::test]
async fn setups_racing_on_an_empty_database_make_exactly_one_admin() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let mut racers = Vec::new();
        for i in 0..12 {
            let b = app.browser();
            let token = b.get("/setup").await.csrf();
            racers.push(async move {
                let login = format!("admin{i}");
                b.post_raw(
                    "/setup",
                    &[
                        ("csrf_token", &token),
                        ("login", &login),
                        ("display_name", "First Admin"),
                        ("department", "operations"),
                        ("password", PASSWORD),
                    ],
                )
                .await
            });
        }
        let pages = futures_join_all(racers).await;
        let admitted = pages
            .iter()
            .filter(|p| p.location.as_deref() == Some("/admin"))
            .count();
        assert_eq!(admitted, 1, "{}: one setup succeeds", app.backend);
        for p in &pages {
            assert!(
                p.status == StatusCode::SEE_OTHER,
                "{}: {} {}",
                app.backend,
                p.status,
                p.body
            );
        }
        assert_eq!(app.count("users"), 1, "{}", app.backend);
    }
}

/// All the futures at once, in order (tokio has no join_all of its own).
async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: Vec<F>,
) -> Vec<F::Output>
where
    F::Output: Send,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}
