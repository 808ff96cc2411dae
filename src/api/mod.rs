//! The JSON API under /api/v1: bearer tokens, thin over service/.

pub mod actions;
pub mod auth;
pub mod body;
pub mod clusters;
pub mod events;
pub mod export;
pub mod incidents;
pub mod review;

use crate::error::{ApiError, AppError};
use actix_web::{HttpRequest, web};

/// Largest JSON body the API reads.
pub const JSON_LIMIT: usize = 64 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(auth::throttle_failed_tokens))
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(json_error),
            )
            .configure(export::routes)
            .configure(incidents::routes)
            .configure(clusters::routes)
            .configure(actions::routes)
            .configure(review::routes)
            .configure(events::routes)
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
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
