//! `GET /api/v1/incidents.csv`: every incident as CSV (UTF-8 with a BOM), in the shape
//! the importer reads back.

use super::auth::ApiUser;
use crate::app_state::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::service;
use actix_web::{HttpResponse, get, http::header, web};

/// Every incident as CSV.
///
/// UTF-8 with a byte-order mark (so Excel reads it), in the columns `rungs import`
/// reads back. For leads and admins.
#[utoipa::path(
    tag = "incidents",
    responses(
        (status = 200, description = "Every incident, one row each", content_type = "text/csv", body = String),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads and admins export", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/incidents.csv")]
pub async fn incidents_csv(
    state: web::Data<AppState>,
    ApiUser { actor, .. }: ApiUser,
) -> ApiResult<HttpResponse> {
    let csv = service::run(&state.pool, move |conn| {
        service::export::incidents_csv(conn, &actor)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"incidents.csv\"",
        ))
        .body(csv))
}
