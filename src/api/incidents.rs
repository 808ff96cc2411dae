//! POST /api/v1/incidents and GET /api/v1/incidents/{id}.

use super::auth::{ApiUser, BearerToken};
use super::json::typed;
use super::types::{FiledIncident, Incident, NewIncident};
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::service::{self, intake::Filer, intake::RawIncident};
use actix_web::{HttpResponse, get, post, web};
use serde_json::Value;

/// Reads a filing's JSON body into its raw fields: a body that is not an object is a
/// `BadRequest`, a wrong or unknown field an `Invalid` naming it, the required fields
/// missing an `Invalid` naming each. The values themselves are checked when the
/// incident is filed. Public for the fuzz targets.
pub fn parse(body: Value) -> Result<RawIncident, AppError> {
    typed::<NewIncident>(body)?.into_raw()
}

/// File an incident.
///
/// The intake checks the token and every field in the transaction that writes it, and
/// answers after the commit. A body that cannot be read is told only to a
/// known token.
#[utoipa::path(
    tag = "incidents",
    request_body = NewIncident,
    responses(
        (status = 201, description = "Filed; `Location` is its address", body = FiledIncident,
            headers(("Location" = String, description = "/api/v1/incidents/{id}"))),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now; nothing was stored", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/incidents")]
pub async fn file_incident(
    state: web::Data<AppState>,
    token: BearerToken,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let Some(secret) = token.0.clone() else {
        return Err(AppError::Unauthorized.into());
    };
    let raw = match parse(body.into_inner()) {
        Ok(raw) => raw,
        Err(e) => {
            service::tokens::bearer_actor(&state.pool, &state.directory, &state.feed, token.0)
                .await?;
            return Err(e.into());
        }
    };
    let filed = state.intake.file(Filer::Token(secret), raw).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/incidents/{}", filed.id),
        ))
        .json(FiledIncident::from(filed)))
}

/// One incident.
#[utoipa::path(
    tag = "incidents",
    params(("id" = i64, Path, description = "The incident's id")),
    responses(
        (status = 200, description = "The incident", body = Incident),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 404, description = "No such incident", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/incidents/{id}")]
pub async fn get_incident(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let known = user.known;
    let view = service::run(&state.pool, move |conn| {
        service::incidents::view(conn, id, &known)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Incident::from(view)))
}
