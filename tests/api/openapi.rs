//! The API's OpenAPI document: valid OpenAPI 3, every route the router serves, and the
//! typed bodies' per-field errors.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every `$ref` in `v` that does not point at something in `doc`.
fn dangling_refs(doc: &Value, v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                let found = r
                    .strip_prefix('#')
                    .and_then(|pointer| doc.pointer(pointer))
                    .is_some();
                if !found {
                    out.push(r.clone());
                }
            }
            map.values().for_each(|x| dangling_refs(doc, x, out));
        }
        Value::Array(items) => items.iter().for_each(|x| dangling_refs(doc, x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_and_names_every_route_the_router_serves() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        // Public: no token needed to read it.
        let res = app
            .api()
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", app.backend);
        let doc: Value = res.json().await.expect("the document is JSON");

        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3."),
            "{}",
            doc["openapi"]
        );
        assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
        let mut dangling = vec![];
        dangling_refs(&doc, &doc, &mut dangling);
        assert!(dangling.is_empty(), "unresolved $ref: {dangling:?}");
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer",
            "the bearer scheme is declared"
        );
        let error = &doc["components"]["schemas"]["Error"];
        assert_eq!(error["required"], json!(["error", "fields"]), "{error}");

        let paths = doc["paths"].as_object().expect("paths");
        let mut operations = 0;
        for (path, item) in paths {
            assert!(path.starts_with("/api/v1/"), "{path}");
            let concrete = path.replace("{id}", "1");
            for method in METHODS {
                let documented = item.get(method);
                let res = app
                    .api()
                    .request(
                        Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                        app.url(&concrete),
                    )
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                let status = res.status();
                let Some(op) = documented else {
                    // The router serves nothing the document leaves out on this path.
                    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                    let allow = res.headers()["allow"].to_str().unwrap().to_string();
                    assert!(!allow.is_empty(), "{method} {path}: Allow is named");
                    continue;
                };
                operations += 1;
                assert!(op["summary"].is_string(), "{method} {path} has a summary");
                let responses = op["responses"].as_object().unwrap();
                let secured = op.get("security").is_some();
                if secured {
                    // Routed (not 404 or 405) and guarded, as documented.
                    assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
                    for code in ["401", "429", "503"] {
                        assert!(
                            responses.contains_key(code),
                            "{method} {path} documents {code}"
                        );
                    }
                    let body: Value = res.json().await.unwrap();
                    assert!(
                        body["error"].is_string() && body["fields"].is_object(),
                        "{body}"
                    );
                } else {
                    assert_eq!(status, StatusCode::OK, "{method} {path}");
                }
                for (code, response) in responses {
                    if code.starts_with('4') || code.starts_with('5') {
                        assert_eq!(
                            response["content"]["application/json"]["schema"]["$ref"],
                            "#/components/schemas/Error",
                            "{method} {path} {code}"
                        );
                    }
                }
                // Every POST but the bodiless verbs (undo a merge, close a decision).
                let bodiless = [
                    "/api/v1/clusters/{id}/unmerge",
                    "/api/v1/decisions/{id}/close",
                ];
                if method == "post" && !bodiless.contains(&path.as_str()) {
                    assert!(op["requestBody"].is_object(), "{method} {path} has a body");
                    assert!(
                        responses.contains_key("422"),
                        "{method} {path} documents 422"
                    );
                }
            }
        }
        assert_eq!(operations, 26, "twenty-six routes and the document");
    }
}

#[tokio::test]
async fn a_wrong_or_unknown_field_is_named_in_every_body() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("lee", "lead", "sales");
        let token = app.token(&lead);
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            (
                "/api/v1/clusters/1/merge",
                json!({"into": "2"}),
                "into",
                "Must be an integer.",
            ),
            (
                "/api/v1/clusters/1/merge",
                json!({}),
                "into",
                "This is required.",
            ),
            (
                "/api/v1/clusters/1/merge",
                json!({"into": 2, "why": "x"}),
                "why",
                "Unknown field.",
            ),
            (
                "/api/v1/actions/1/advance",
                json!({"stage": 5}),
                "stage",
                "Must be a string.",
            ),
            (
                "/api/v1/actions/1/advance",
                json!({"note": "x"}),
                "stage",
                "This is required.",
            ),
            (
                "/api/v1/actions/1/signoffs",
                json!({"department": "sales"}),
                "decision",
                "This is required.",
            ),
            (
                "/api/v1/actions/1/weights",
                json!({"weight": "high", "reason": "r"}),
                "weight",
                "Must be a number.",
            ),
            (
                "/api/v1/clusters/1/actions",
                json!({"rung": 1.5, "title": "t"}),
                "rung",
                "Must be an integer.",
            ),
            (
                "/api/v1/clusters/1/actions",
                json!({"rung": 1, "title": "t", "departments": "sales"}),
                "departments",
                "Must be a list of strings without commas.",
            ),
            (
                "/api/v1/incidents",
                json!({"title": "t", "category": "other", "tags": ["a,b"]}),
                "tags",
                "Must be a list of strings without commas.",
            ),
        ];
        for (path, body, field, message) in cases {
            let res = app
                .api()
                .post(app.url(path))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path} {body}"
            );
            let err: Value = res.json().await.unwrap();
            assert_eq!(err["fields"][field], message, "{path} {body}: {err}");
        }
        // Two required fields missing: both are named at once.
        let (status, err) = app.post_incident(&token, json!({"body": "x"})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(err["fields"]["title"], "This is required.", "{err}");
        assert_eq!(err["fields"]["category"], "This is required.", "{err}");
        assert_eq!(app.count("incidents"), 0, "{}", app.backend);
    }
}

#[tokio::test]
async fn the_api_page_lists_every_route_for_anyone_signed_in_in_either_language() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        let anon = app.browser().get("/account/api").await;
        assert_eq!(
            anon.status,
            StatusCode::SEE_OTHER,
            "{}: sign in first",
            app.backend
        );
        assert!(anon.location.unwrap_or_default().starts_with("/login"));

        let account = b.get("/account").await;
        assert!(
            account.body.contains("href=\"/account/api\""),
            "linked from the account page"
        );
        let page = b.get_with("/account/api", ("accept-language", "en")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("href=\"/api/v1/openapi.json\""));
        let doc = app.get_json("", "/api/v1/openapi.json").await;
        for (path, item) in doc["paths"].as_object().unwrap() {
            assert!(
                page.body.contains(&format!("<code>{path}</code>")),
                "{path} listed"
            );
            for method in item.as_object().unwrap().keys() {
                let op = item[method]["operationId"].as_str().unwrap();
                let key = format!("api_page.op.{op}");
                for lang in rungs::i18n::Lang::ALL {
                    assert!(!lang.t(&key).contains(&key), "{key} in {lang:?}");
                }
            }
        }
        assert!(page.body.contains("File an incident"));
        b.submit("/account", "/account/language", &[("language", "zh-CN")])
            .await;
        let page = b.get("/account/api").await;
        assert!(
            page.body.contains("提交事件"),
            "{}: in Chinese",
            app.backend
        );
    }
}

#[tokio::test]
async fn a_query_value_with_spaces_around_it_is_refused_as_the_document_says() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("lee", "lead", "sales");
        let token = app.token(&lead);
        for (path, field) in [
            ("/api/v1/clusters?week=%202026-W47", "week"),
            ("/api/v1/clusters/1/drivers?week=2026-W47%0C", "week"),
            ("/api/v1/clusters/1/drivers?baseline=%20mean8", "baseline"),
            ("/api/v1/clusters/1/coach?as_of=%0C", "as_of"),
        ] {
            let res = app
                .api()
                .get(app.url(path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::UNPROCESSABLE_ENTITY,
                "{}: {path}",
                app.backend
            );
            let err: Value = res.json().await.unwrap();
            assert!(err["fields"][field].is_string(), "{path}: {err}");
        }
        // Empty is absent, as before.
        let res = app
            .api()
            .get(app.url("/api/v1/clusters?week="))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", app.backend);
    }
}
