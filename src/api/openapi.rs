//! The OpenAPI 3.1 document of /api/v1, generated from the handlers' annotations and
//! the request and response types (`api::types`), served at /api/v1/openapi.json.

use actix_web::get;
use utoipa::Modify;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{OpenApi, Paths};

/// Where every path of the document lives.
pub const PREFIX: &str = "/api/v1";

/// The document's finishing touches: full paths, the bearer scheme, what it is.
pub struct Finish;

impl Modify for Finish {
    fn modify(&self, doc: &mut OpenApi) {
        let paths = std::mem::take(&mut doc.paths.paths);
        let mut prefixed = Paths::new();
        for (path, item) in paths {
            prefixed.paths.insert(format!("{PREFIX}{path}"), item);
        }
        doc.paths = prefixed;
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token made on the account page: `Authorization: Bearer rungs_…`",
                    ))
                    .build(),
            ),
        );
        doc.info.title = "rungs".into();
        doc.info.version = env!("CARGO_PKG_VERSION").into();
        doc.info.description = Some(
            "Incidents in, recurring problems out: file incidents, read clusters and the \
             weekly review, climb the ladder of actions, and follow the event log. Every \
             route but this document takes a bearer token; every error is an `Error`. \
             Messages are in English; field names are those of the request."
                .into(),
        );
        doc.info.license = None;
        doc.info.contact = None;
    }
}

/// This document.
///
/// OpenAPI 3.1, generated from the code. Public: it names routes and shapes, no data.
#[utoipa::path(
    tag = "document",
    responses((status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object)),
)]
#[get("/openapi.json")]
pub async fn openapi_json() -> actix_web::HttpResponse {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let body = DOC.get_or_init(|| {
        use utoipa::OpenApi as _;
        super::ApiDoc::openapi()
            .to_json()
            .expect("the document is JSON")
    });
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .body(body.clone())
}

/// The methods the document gives `path` (a request's path, ids filled in), or None
/// when no route has that shape: a known address asked with another method answers 405.
pub fn methods_of(path: &str) -> Option<&'static [String]> {
    static ROUTES: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> =
        std::sync::OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        use utoipa::OpenApi as _;
        let doc = serde_json::to_value(super::ApiDoc::openapi()).unwrap_or_default();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        paths
            .into_iter()
            .map(|(template, item)| {
                let segments = template.split('/').map(str::to_string).collect();
                let methods = item
                    .as_object()
                    .map(|ops| ops.keys().map(|m| m.to_uppercase()).collect())
                    .unwrap_or_default();
                (segments, methods)
            })
            .collect()
    });
    let asked: Vec<&str> = path.split('/').collect();
    routes
        .iter()
        .find(|(template, _)| {
            template.len() == asked.len()
                && template
                    .iter()
                    .zip(&asked)
                    .all(|(t, a)| t == a || (t.starts_with('{') && !a.is_empty()))
        })
        .map(|(_, methods)| methods.as_slice())
}

/// One route of the document, for the API's page.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: String,
    pub path: String,
    /// The handler's name, which is also the message key of its line on the page.
    pub operation_id: String,
    /// Whether it takes a bearer token.
    pub secured: bool,
}

/// Every route of the document, in the order of its paths.
pub fn routes() -> Vec<Route> {
    use utoipa::OpenApi as _;
    let doc = serde_json::to_value(super::ApiDoc::openapi()).unwrap_or_default();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            out.push(Route {
                method: method.to_uppercase(),
                path: path.clone(),
                operation_id: op["operationId"].as_str().unwrap_or_default().to_string(),
                secured: op.get("security").is_some(),
            });
        }
    }
    out
}
