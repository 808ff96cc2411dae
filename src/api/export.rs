//! Exports for leads and admins, streamed as they are read: `GET
//! /api/v1/incidents.csv` and `.json` (with the incident list's filters), `GET
//! /api/v1/clusters.csv` and `.json` (each cluster with its weekly figures).

use super::auth::ApiUser;
use super::types::{CategoryFilter, Incident, IncidentFilters};
use crate::app_state::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::service::accounts::Actor;
use crate::service::export::{self, Export, Format};
use actix_web::{HttpResponse, get, web};

/// The export as a download that streams.
async fn download(
    state: &AppState,
    actor: Actor,
    what: Export,
    format: Format,
) -> ApiResult<HttpResponse> {
    let name = what.file_name(format);
    let body = export::stream(&state.pool, actor, what, format).await?;
    Ok(crate::web::attachment(&name, format.content_type(), body))
}

/// Incidents as CSV.
///
/// UTF-8 with a byte-order mark (so Excel reads it), in the columns `rungs import`
/// reads back, then each incident's id, cluster and week. Filters as the incident
/// list's. For leads and admins.
#[utoipa::path(
    tag = "export",
    params(IncidentFilters),
    responses(
        (status = 200, description = "The incidents, one row each", content_type = "text/csv", body = String),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads and admins export", body = ErrorBody),
        (status = 422, description = "A filter names no such week, category, department or status", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/incidents.csv")]
pub async fn incidents_csv(
    state: web::Data<AppState>,
    ApiUser { actor, .. }: ApiUser,
    query: web::Query<IncidentFilters>,
) -> ApiResult<HttpResponse> {
    let what = Export::Incidents(query.into_inner().into());
    download(&state, actor, what, Format::Csv).await
}

/// Incidents as JSON.
///
/// An array of incidents as `GET /api/v1/incidents/{id}` answers each, with every
/// field. Filters as the incident list's. For leads and admins.
#[utoipa::path(
    tag = "export",
    params(IncidentFilters),
    responses(
        (status = 200, description = "The incidents", content_type = "application/json", body = Vec<Incident>),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads and admins export", body = ErrorBody),
        (status = 422, description = "A filter names no such week, category, department or status", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/incidents.json")]
pub async fn incidents_json(
    state: web::Data<AppState>,
    ApiUser { actor, .. }: ApiUser,
    query: web::Query<IncidentFilters>,
) -> ApiResult<HttpResponse> {
    let what = Export::Incidents(query.into_inner().into());
    download(&state, actor, what, Format::Json).await
}

/// Clusters and their weeks as CSV.
///
/// A row per live cluster and week with incidents (a cluster with none has one row
/// with the week empty): the cluster's id, title, category, state, rung, whether
/// confirmed or dismissed, its incidents, then the week, its incidents and distinct
/// order numbers. UTF-8 with a byte-order mark. For leads and admins.
#[utoipa::path(
    tag = "export",
    params(CategoryFilter),
    responses(
        (status = 200, description = "A row per cluster and week", content_type = "text/csv", body = String),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads and admins export", body = ErrorBody),
        (status = 422, description = "No such category", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/clusters.csv")]
pub async fn clusters_csv(
    state: web::Data<AppState>,
    ApiUser { actor, .. }: ApiUser,
    query: web::Query<CategoryFilter>,
) -> ApiResult<HttpResponse> {
    let category = query.into_inner().category.unwrap_or_default();
    download(&state, actor, Export::Clusters { category }, Format::Csv).await
}

/// Clusters and their weeks as JSON.
///
/// An array of live clusters, each with `weeks`: `[{"week", "incidents", "refs"}]`,
/// the weeks with incidents, oldest first. For leads and admins.
#[utoipa::path(
    tag = "export",
    params(CategoryFilter),
    responses(
        (status = 200, description = "The clusters with their weeks", content_type = "application/json", body = Vec<Object>),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads and admins export", body = ErrorBody),
        (status = 422, description = "No such category", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/clusters.json")]
pub async fn clusters_json(
    state: web::Data<AppState>,
    ApiUser { actor, .. }: ApiUser,
    query: web::Query<CategoryFilter>,
) -> ApiResult<HttpResponse> {
    let category = query.into_inner().category.unwrap_or_default();
    download(&state, actor, Export::Clusters { category }, Format::Json).await
}
