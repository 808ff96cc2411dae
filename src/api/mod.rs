//! The JSON API under /api/v1: bearer tokens, thin over service/. Its OpenAPI document
//! (`openapi`) is generated from the same list of handlers the router serves.

pub mod actions;
pub mod auth;
pub mod clusters;
pub mod events;
pub mod export;
pub mod incidents;
pub mod json;
pub mod meetings;
pub mod openapi;
pub mod reports;
pub mod review;
pub mod types;

use crate::error::{ApiError, AppError, ErrorBody};
use actix_web::{HttpRequest, web};
use openapi::Finish;

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 64 * 1024;

/// One list of handlers: what the router serves and what the document describes.
macro_rules! api_routes {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        /// The OpenAPI document: exactly the routes `register` serves.
        #[derive(utoipa::OpenApi)]
        #[openapi(
            paths($($module::$handler),+),
            components(schemas(ErrorBody)),
            modifiers(&Finish),
            tags(
                (name = "incidents", description = "Filing and reading incidents"),
                (name = "clusters", description = "Recurring problems: read, merge, undo a merge"),
                (name = "review", description = "The weekly comparison and what drove a change"),
                (name = "ladder", description = "Actions on the ladder, their workflow and the coach"),
                (name = "events", description = "The event log, for integrations"),
                (name = "export", description = "Incidents and clusters out, as CSV or JSON"),
                (name = "document", description = "This document"),
            ),
        )]
        pub struct ApiDoc;

        fn register(cfg: &mut web::ServiceConfig) {
            $(cfg.service($module::$handler);)+
        }
    };
}

api_routes!(
    incidents::file_incident,
    incidents::get_incident,
    review::review_week,
    clusters::get_cluster,
    clusters::merge_cluster,
    clusters::unmerge_cluster,
    review::cluster_drivers,
    actions::create_action,
    actions::cluster_coach,
    actions::get_action,
    actions::revise_action,
    actions::advance_action,
    actions::sign_off_action,
    actions::revise_weight,
    events::list_events,
    export::incidents_csv,
    export::incidents_json,
    export::clusters_csv,
    export::clusters_json,
    reports::weekly_report,
    meetings::get_meeting,
    meetings::record_meeting,
    meetings::record_decision,
    meetings::set_meeting_state,
    meetings::close_decision,
    openapi::openapi_json,
);

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(openapi::PREFIX)
            .wrap(actix_web::middleware::from_fn(auth::throttle_failed_tokens))
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(json_error),
            )
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .configure(register)
            .default_service(web::to(not_found)),
    );
}

/// No route: 405 with `Allow` when the address is known but not the method, else 404.
async fn not_found(req: HttpRequest) -> Result<actix_web::HttpResponse, ApiError> {
    let Some(methods) = openapi::methods_of(req.path()) else {
        return Err(ApiError(AppError::NotFound));
    };
    Ok(actix_web::HttpResponse::MethodNotAllowed()
        .insert_header((actix_web::http::header::ALLOW, methods.join(", ")))
        .json(ErrorBody {
            error: format!("this address takes {}", methods.join(" or ")),
            fields: Default::default(),
        }))
}

fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError(AppError::BadRequest(format!(
        "the query string is not valid: {err}"
    )))
    .into()
}

fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let app = match &err {
        E::Overflow { .. } | E::OverflowKnownLength { .. } => AppError::PayloadTooLarge,
        E::ContentType => {
            AppError::BadRequest("send JSON with Content-Type: application/json".into())
        }
        E::Deserialize(e) => AppError::BadRequest(format!("the body is not valid JSON: {e}")),
        E::Payload(p) if crate::web::slow_body::is_deadline(p) => AppError::RequestTimeout,
        other => AppError::BadRequest(format!("could not read the body: {other}")),
    };
    ApiError(app).into()
}
