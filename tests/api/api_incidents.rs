use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_token_files_and_reads_incidents() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let (status, body) = app
            .post_incident(
                &token,
                json!({"title": "chasing approval for order 1182 again", "body": "customer waiting", "category": "approval-chase",
                       "occurred_at": "2026-11-18T04:30:00Z", "counterpart": "approval", "tags": ["lunch", "Urgent"], "external_ref": "SO-1182"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}: {body}", app.backend);
        assert_eq!(body["week"], "2026-W47");
        assert_eq!(body["local_hour"], 4);
        assert!(body["suggestions"].is_array());
        assert!(body.get("cluster_id").is_some());
        let id = body["id"].as_i64().unwrap();

        let res = app
            .api()
            .get(app.url(&format!("/api/v1/incidents/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let got: serde_json::Value = res.json().await.unwrap();
        assert_eq!(got["id"], id);
        assert_eq!(got["title"], "chasing approval for order 1182 again");
        assert_eq!(got["body"], "customer waiting");
        assert_eq!(got["category"], "approval-chase");
        assert_eq!(
            got["department"], "sales",
            "the reporter's department by default"
        );
        assert_eq!(got["counterpart"], "approval");
        assert_eq!(got["tags"], json!(["lunch", "urgent"]));
        assert_eq!(got["status"], "open");
        assert_eq!(got["week"], "2026-W47");
        assert_eq!(got["local_hour"], 4);
        assert!(got.get("cluster_id").is_some());

        let res = app
            .api()
            .get(app.url("/api/v1/incidents/999999"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err["error"].is_string());
    }
}

#[tokio::test]
async fn wrong_and_revoked_tokens_get_401() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let body = json!({"title": "x", "category": "other"});
        let (status, err) = app.post_incident("rungs_0000", body.clone()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}", app.backend);
        assert!(err["error"].as_str().unwrap().contains("token"));
        let res = app
            .api()
            .post(app.url("/api/v1/incidents"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "no token at all");
        assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");

        let (status, _) = app.post_incident(&token, body.clone()).await;
        assert_eq!(status, StatusCode::CREATED);
        // Revoke through the account page, as a person would.
        let b = app.browser();
        b.login("li", PASSWORD).await;
        let page = b.get("/account").await;
        let marker = "action=\"/account/tokens/";
        let start = page.body.find(marker).expect("a revoke form") + marker.len();
        let id = page.body[start..].split('/').next().unwrap().to_string();
        let res = b
            .submit("/account", &format!("/account/tokens/{id}/revoke"), &[])
            .await;
        assert_redirect_to(&res, "/account");
        let (status, _) = app.post_incident(&token, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{}: revoked", app.backend);
        assert_eq!(app.count("incidents"), 1);
    }
}

#[tokio::test]
async fn a_token_is_shown_once_on_the_account_page() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        // Made by a POST that redirects: a refresh cannot make a second one.
        let made = b
            .submit("/account", "/account/tokens", &[("label", "my script")])
            .await;
        assert_redirect_to(&made, "/account");
        let page = b.get("/account").await;
        assert_eq!(page.status, StatusCode::OK);
        let start = page.body.find("rungs_").expect("the token is shown");
        let token: String = page.body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let (status, _) = app
            .post_incident(
                &token,
                json!({"title": "from a script", "category": "other"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}", app.backend);
        let again = b.get("/account").await;
        assert!(!again.body.contains(&token), "never shown twice");
        assert!(again.body.contains("my script"));
        assert_eq!(app.count("api_tokens"), 1, "{}: one token", app.backend);
        // A token must say what it is for; the form keeps what was typed.
        let refused = b
            .submit("/account", "/account/tokens", &[("label", "  ")])
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            refused.body.contains("This is required."),
            "{}",
            refused.body
        );
        assert_eq!(app.count("api_tokens"), 1);
    }
}

#[tokio::test]
async fn malformed_bodies_get_field_messages_and_write_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let cases: Vec<(serde_json::Value, StatusCode, &[&str])> = vec![
            (
                json!({}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["title", "category"],
            ),
            (
                json!({"title": 5, "category": "other"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["title"],
            ),
            (
                json!({"title": "x", "category": "nope"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["category"],
            ),
            (
                json!({"title": "x", "category": "other", "tags": "a,b"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["tags"],
            ),
            (
                json!({"title": "x", "category": "other", "colour": "red"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["colour"],
            ),
            (
                json!({"title": "x", "category": "other", "occurred_at": "1970-01-01T00:00:00Z"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["occurred_at"],
            ),
            (
                json!({"title": "x", "category": "other", "department": "moon"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["department"],
            ),
            (
                json!({"title": "a\u{0}b", "category": "other"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["title"],
            ),
            (
                json!({"title": "x".repeat(201), "category": "other"}),
                StatusCode::UNPROCESSABLE_ENTITY,
                &["title"],
            ),
            (json!(["not", "an", "object"]), StatusCode::BAD_REQUEST, &[]),
        ];
        for (body, expected, fields) in cases {
            let (status, err) = app.post_incident(&token, body.clone()).await;
            assert_eq!(status, expected, "{}: {body}", app.backend);
            assert!(err["error"].is_string(), "{err}");
            for f in fields {
                assert!(
                    err["fields"][f].is_string(),
                    "{body}: expected a message for {f}, got {err}"
                );
            }
        }
        // Not JSON at all.
        let res = app
            .api()
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        let err: serde_json::Value = res.json().await.unwrap();
        assert!(err["error"].as_str().unwrap().contains("JSON"));
        // Too large.
        let res = app
            .api()
            .post(app.url("/api/v1/incidents"))
            .bearer_auth(&token)
            .json(&json!({"title": "x", "category": "other", "body": "y".repeat(100_000)}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            app.backend
        );
        assert_eq!(app.count("incidents"), 0);
    }
}
