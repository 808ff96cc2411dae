//! Hostile input that is accepted: HTML and SQL are stored and shown literally, extra
//! fields are ignored rather than obeyed, `next` never leaves rungs, and a session
//! cookie older than its lifetime (or made without one) signs nobody in.

use crate::helpers::*;
use actix_web::cookie::{Cookie, CookieJar, Key};
use reqwest::StatusCode;
use serde_json::json;

const HTML: &str = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
const SQL: &str = "Robert'); DROP TABLE incidents; -- ' OR '1'='1";

/// Whether the page shows `text` as text (escaped, by name or by number).
fn shows(page: &Page, text: &str) -> bool {
    let named = text.replace('<', "&lt;").replace('>', "&gt;");
    let numbered = text.replace('<', "&#60;").replace('>', "&#62;");
    page.body.contains(&named) || page.body.contains(&numbered)
}

/// The page shows `HTML` escaped, never as markup.
fn assert_escaped(page: &Page, what: &str) {
    assert!(shows(page, "<script>alert("), "{what}: the text is shown");
    assert!(
        !page.body.contains("<script>alert(") && !page.body.contains("<img src=x"),
        "{what}: markup from input reached the page"
    );
}

#[tokio::test]
async fn html_and_sql_are_stored_and_shown_literally() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let wang = app.user("wang", "member", "sales");
        let (li, li_actor) = app.signed_in("li", "member").await;
        let token = app.token(&li_actor);
        let (admin, _) = app.signed_in("boss", "admin").await;
        let wang_id = wang.id.to_string();

        // The filing form, with extra fields that try to set what only rungs sets.
        let body = format!("{SQL}\n{HTML}");
        let page = li
            .submit(
                "/incidents/new",
                "/incidents",
                &[
                    ("title", HTML),
                    ("body", &body),
                    ("category", "other"),
                    ("tags", "<b>bold</b>, x' or 1=1"),
                    ("external_ref", "1; DELETE FROM users"),
                    ("status", "handled"),
                    ("reporter_id", &wang_id),
                    ("id", "1"),
                    ("cluster_id", "7"),
                    ("created_at", "2001-01-01T00:00"),
                ],
            )
            .await;
        assert_redirect_to(&page, "/incidents/");
        let id: i64 = page.location.as_deref().unwrap()["/incidents/".len()..]
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let got: serde_json::Value = app
            .get_json(&token, &format!("/api/v1/incidents/{id}"))
            .await;
        assert_eq!(got["title"], HTML, "{}: stored as typed", app.backend);
        assert_eq!(got["body"], body.as_str());
        assert_eq!(got["tags"], json!(["<b>bold</b>", "x' or 1=1"]));
        assert_eq!(got["external_ref"], "1; DELETE FROM users");
        assert_eq!(got["status"], "open", "the form's status field is ignored");
        assert_eq!(got["reporter"], "li", "the form's reporter_id is ignored");
        assert_eq!(app.count("users"), 3, "{}: users intact", app.backend);

        assert_escaped(&li.get(&format!("/incidents/{id}")).await, "incident page");
        assert_escaped(&li.get("/incidents").await, "incident list");

        // A handling note with markup, on the timeline.
        let page = li
            .submit(
                &format!("/incidents/{id}"),
                &format!("/incidents/{id}/status"),
                &[("status", "handled"), ("note", HTML)],
            )
            .await;
        assert_redirect_to(&page, &format!("/incidents/{id}"));
        let shown = li.get(&format!("/incidents/{id}")).await;
        assert_escaped(&shown, "timeline");
        assert!(shows(&shown, "<img src=x onerror=alert(1)>"), "the note");

        // Through the API: the same strings, the same round trip.
        let (status, filed) = app
            .post_incident(
                &token,
                json!({"title": SQL, "body": HTML, "category": "other", "external_ref": "' OR 1=1 --"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        let got: serde_json::Value = app
            .get_json(&token, &format!("/api/v1/incidents/{}", filed["id"]))
            .await;
        assert_eq!(got["title"], SQL);
        assert_eq!(got["body"], HTML);
        assert_eq!(app.count("incidents"), 2, "{}", app.backend);

        // Search text is a value, not a pattern or a statement.
        let (status, _) = app
            .post_incident(&token, json!({"title": "100% done", "category": "other"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        for (q, expect) in [
            ("%", 1),
            ("_", 0),
            ("' OR 1=1 --", 1),
            ("robert');", 2),
            ("DROP TABLE users", 0),
        ] {
            let page = li
                .get(&format!("/incidents?q={}", urlencoding::encode(q)))
                .await;
            assert_eq!(page.status, StatusCode::OK);
            let n = match expect {
                1 => ">1 incident</p>".to_string(),
                _ => format!(">{expect} incidents</p>"),
            };
            assert!(page.body.contains(&n), "{}: q={q:?} finds {n}", app.backend);
        }

        // Names an admin types are shown escaped wherever they appear.
        let fields: [(&str, &[(&str, &str)]); 3] = [
            ("/admin/departments", &[("slug", "ops-x"), ("name", HTML)]),
            (
                "/admin/categories",
                &[("slug", "cat-x"), ("name_en", HTML), ("name_zh", HTML)],
            ),
            (
                "/admin/users",
                &[
                    ("login", "newbie"),
                    ("display_name", HTML),
                    ("role", "member"),
                    ("department", "ops-x"),
                    ("password", PASSWORD),
                ],
            ),
        ];
        for (action, fields) in fields {
            let page = admin.submit("/admin", action, fields).await;
            assert_redirect_to(&page, "/admin");
        }
        assert_escaped(&admin.get("/admin").await, "admin page");
        assert_escaped(&li.get("/incidents/new").await, "category choice");
        let made = li
            .submit("/account", "/account/tokens", &[("label", HTML)])
            .await;
        assert_redirect_to(&made, "/account");
        let page = li.get("/account").await;
        assert_eq!(page.status, StatusCode::OK);
        assert_escaped(&page, "token label");
        assert_eq!(app.count("users"), 4, "{}", app.backend);
    }
}

#[tokio::test]
async fn login_never_redirects_away_from_rungs() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        app.user("li", "member", "sales");
        for (next, to) in [
            ("/incidents?week=2026-W48", "/incidents?week=2026-W48"),
            ("/%09/evil.example", "/%09/evil.example"),
            // Browsers drop tabs and newlines from a URL: "/\t/x" would be "//x".
            ("/\t/evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/\r\nSet-Cookie: a=b", "/"),
            ("//evil.example", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("javascript:alert(1)", "/"),
            ("/ünicode", "/"),
        ] {
            let b = app.browser();
            let page = b
                .submit(
                    "/login",
                    "/login",
                    &[("login", "li"), ("password", PASSWORD), ("next", next)],
                )
                .await;
            assert_eq!(
                page.status,
                StatusCode::SEE_OTHER,
                "{}: next={next:?}",
                app.backend
            );
            assert_eq!(page.location.as_deref(), Some(to), "next={next:?}");
        }
    }
}

/// A session cookie as rungs would sign it, holding `state`.
fn session_cookie(app: &TestApp, state: serde_json::Value) -> String {
    let key = rungs::db::settings::get(&mut app.conn(), rungs::db::settings::SESSION_KEY)
        .unwrap()
        .expect("the session key is stored");
    let key = Key::from(&hex::decode(key).unwrap());
    let mut jar = CookieJar::new();
    jar.signed_mut(&key)
        .add(Cookie::new("rungs_session", state.to_string()));
    let value = jar.get("rungs_session").unwrap().value().to_string();
    format!("rungs_session={}", urlencoding::encode(&value))
}

#[tokio::test]
async fn an_expired_or_undated_session_cookie_signs_nobody_in() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let li = app.user("li", "member", "sales");
        let admin = app.user("boss", "admin", "operations");
        let now = chrono::Utc::now().timestamp();
        let day = 86_400;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        // Session values are JSON text, as actix-session keeps them.
        let state = |uid: i64, since: Option<i64>| match since {
            Some(s) => json!({"uid": uid.to_string(), "since": s.to_string(), "epoch": "0"}),
            None => json!({"uid": uid.to_string(), "epoch": "0"}),
        };
        for (what, cookie, status) in [
            (
                "signed in a day ago",
                session_cookie(&app, state(li.id, Some(now - day))),
                200,
            ),
            (
                "signed in 15 days ago",
                session_cookie(&app, state(li.id, Some(now - 15 * day))),
                303,
            ),
            (
                "no sign-in time",
                session_cookie(&app, state(li.id, None)),
                303,
            ),
            (
                "from before a sign-out",
                session_cookie(
                    &app,
                    json!({"uid": li.id.to_string(), "since": now.to_string(), "epoch": "-1"}),
                ),
                303,
            ),
            (
                "no epoch",
                session_cookie(
                    &app,
                    json!({"uid": li.id.to_string(), "since": now.to_string()}),
                ),
                303,
            ),
            (
                "signed in tomorrow",
                session_cookie(&app, state(li.id, Some(now + day))),
                303,
            ),
            (
                "signed with another key",
                session_cookie(&app, state(li.id, Some(now))).replacen('=', "=AAAA", 1),
                303,
            ),
        ] {
            let res = client
                .get(app.url("/account"))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status().as_u16(), status, "{}: {what}", app.backend);
            if status == 303 {
                let to = res.headers()["location"].to_str().unwrap();
                assert!(to.starts_with("/login?next="), "{what}: {to}");
            }
        }
        // Tampering with a good cookie's contents breaks its signature.
        let good = session_cookie(&app, state(li.id, Some(now)));
        let uid = |id: i64| urlencoding::encode(&format!("\"uid\":\"{id}\"")).into_owned();
        let forged = good.replace(&uid(li.id), &uid(admin.id));
        assert_ne!(good, forged, "the forgery changed the cookie");
        let res = client
            .get(app.url("/admin"))
            .header("cookie", &forged)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.backend);
    }
}

/// A client that sends a request's head and then stalls its body (or trickles it) is
/// answered 408 once `BODY_DEADLINE` has passed, and its connection is closed: stalled
/// requests cannot hold connections for ever.
#[tokio::test]
async fn a_stalled_request_body_is_cut_off_with_408() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let deadline = rungs::web::slow_body::BODY_DEADLINE;
    let mut apps = Vec::new();
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "sales");
        let token = app.token(&lead);
        apps.push((app, token));
    }
    // Every backend's server at once, each with a form and an API request stalled.
    let mut stalls = Vec::new();
    for (app, token) in &apps {
        let port = app.address.rsplit(':').next().unwrap().to_string();
        for (path, headers) in [
            (
                "/login",
                "Content-Type: application/x-www-form-urlencoded\r\n".to_string(),
            ),
            (
                "/api/v1/incidents",
                format!("Content-Type: application/json\r\nAuthorization: Bearer {token}\r\n"),
            ),
        ] {
            let (port, backend) = (port.clone(), app.backend);
            stalls.push(tokio::spawn(async move {
                let mut s = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
                    .await
                    .unwrap();
                let head = format!(
                    "POST {path} HTTP/1.1\r\nHost: localhost\r\n{headers}Content-Length: 1000\r\n\r\n{{\"ti"
                );
                s.write_all(head.as_bytes()).await.unwrap();
                let began = std::time::Instant::now();
                let mut answer = Vec::new();
                let read = tokio::time::timeout(
                    deadline * 3,
                    s.read_to_end(&mut answer),
                )
                .await;
                let answer = String::from_utf8_lossy(&answer).to_string();
                (backend, path, began.elapsed(), read.is_ok(), answer)
            }));
        }
    }
    for stall in stalls {
        let (backend, path, took, closed, answer) = stall.await.unwrap();
        assert!(closed, "{backend} {path}: the connection is closed");
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "{backend} {path}: {answer}"
        );
        assert!(
            took >= deadline - std::time::Duration::from_secs(1) && took < deadline * 2,
            "{backend} {path}: cut off after {took:?}"
        );
    }
    for (app, _) in &apps {
        assert_eq!(app.count("incidents"), 0, "{}", app.backend);
    }
}
