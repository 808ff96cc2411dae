use crate::helpers::*;
use reqwest::StatusCode;

const PAGES: &[&str] = &[
    "/",
    "/incidents",
    "/incidents/new",
    "/incidents/1",
    "/account",
    "/admin",
];

#[tokio::test]
async fn every_page_but_login_setup_and_healthz_needs_a_login() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.user("admin", "admin", "operations");
        let b = app.browser();
        for path in PAGES {
            let page = b.get(path).await;
            assert_redirect_to(&page, "/login?next=");
        }
        assert_eq!(b.get("/login").await.status, StatusCode::OK);
        // Posts without a session are refused too (no CSRF token, no login).
        let page = b
            .post_raw("/incidents", &[("title", "x"), ("category", "other")])
            .await;
        assert!(
            page.status == StatusCode::FORBIDDEN || page.status == StatusCode::SEE_OTHER,
            "{:?}",
            page.status
        );
        assert_eq!(app.count("incidents"), 0);
        // The API wants a token.
        for path in ["/api/v1/incidents/1", "/api/v1/incidents"] {
            let res = reqwest::get(app.url(path)).await.unwrap();
            assert!(
                matches!(
                    res.status(),
                    StatusCode::UNAUTHORIZED
                        | StatusCode::NOT_FOUND
                        | StatusCode::METHOD_NOT_ALLOWED
                ),
                "{path}: {}",
                res.status()
            );
        }
        let res = app
            .api()
            .post(app.url("/api/v1/incidents"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{}", app.backend);
    }
}

#[tokio::test]
async fn members_and_leads_cannot_administer() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        for role in ["member", "lead"] {
            let (b, _) = app.signed_in(&format!("{role}1"), role).await;
            assert_eq!(
                b.get("/admin").await.status,
                StatusCode::FORBIDDEN,
                "{role} on {}",
                app.backend
            );
            let users_before = app.count("users");
            let page = b
                .submit(
                    "/incidents/new",
                    "/admin/users",
                    &[
                        ("login", "sneaky"),
                        ("display_name", "S"),
                        ("role", "admin"),
                        ("department", ""),
                        ("password", PASSWORD),
                    ],
                )
                .await;
            assert_eq!(page.status, StatusCode::FORBIDDEN);
            assert_eq!(
                app.count("users"),
                users_before,
                "no user was created by a {role}"
            );
            let page = b
                .submit(
                    "/incidents/new",
                    "/admin/timezone",
                    &[("timezone", "Asia/Shanghai")],
                )
                .await;
            assert_eq!(page.status, StatusCode::FORBIDDEN);
        }
        let (admin, _) = app.signed_in("boss", "admin").await;
        assert_eq!(admin.get("/admin").await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_form_without_a_valid_csrf_token_is_refused() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        let fields = [
            ("title", "Chasing approval"),
            ("category", "approval-chase"),
        ];
        let page = b.post_raw("/incidents", &fields).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{}: missing token",
            app.backend
        );
        let page = b
            .post_raw(
                "/incidents",
                &[("csrf_token", "0000"), fields[0], fields[1]],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "wrong token");
        // Another session's token does not work here either.
        let (other, _) = app.signed_in("wang", "member").await;
        let foreign = other.get("/incidents/new").await.csrf();
        let page = b
            .post_raw(
                "/incidents",
                &[("csrf_token", &foreign), fields[0], fields[1]],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "foreign token");
        assert_eq!(app.count("incidents"), 0);
        let page = b.submit("/incidents/new", "/incidents", &fields).await;
        assert_redirect_to(&page, "/incidents/");
        assert_eq!(app.count("incidents"), 1);
    }
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url("/setup"))
            .send()
            .await
            .unwrap();
        let cookie = res
            .headers()
            .get("set-cookie")
            .expect("a session cookie")
            .to_str()
            .unwrap()
            .to_string();
        assert!(cookie.starts_with("rungs_session="), "{cookie}");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    }
}

#[tokio::test]
async fn the_interface_speaks_chinese_when_asked() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.user("li", "member", "sales");
        let b = app.browser();
        let page = b
            .get_with("/login", ("accept-language", "zh-CN,zh;q=0.9"))
            .await;
        assert!(page.body.contains("登录"), "Chinese login page");
        b.login("li", PASSWORD).await;
        // A stated preference wins over the browser.
        let page = b
            .submit("/account", "/account/language", &[("language", "zh-CN")])
            .await;
        assert_redirect_to(&page, "/account");
        let page = b
            .get_with("/incidents/new", ("accept-language", "en"))
            .await;
        assert!(
            page.body.contains("登记事件"),
            "{}: preference kept",
            app.backend
        );
    }
}
