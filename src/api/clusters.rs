//! GET /api/v1/clusters/{id}, POST /api/v1/clusters/{id}/merge, and
//! POST /api/v1/clusters/{id}/unmerge (undo a consolidation's merge of that cluster).

use super::auth::ApiUser;
use super::json::typed;
use super::types::{Cluster, Merge, MergedInto};
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::service;
use actix_web::{HttpResponse, get, post, web};
use serde_json::Value;

fn cluster_id(path: &str) -> Result<i64, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

/// One cluster.
///
/// A merged cluster's id answers 308 with the survivor's address.
#[utoipa::path(
    tag = "clusters",
    params(("id" = i64, Path, description = "The cluster's id")),
    responses(
        (status = 200, description = "The cluster", body = Cluster),
        (status = 308, description = "Merged: `Location` is the survivor", body = MergedInto,
            headers(("Location" = String, description = "/api/v1/clusters/{survivor}"))),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/clusters/{id}")]
pub async fn get_cluster(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = cluster_id(&path)?;
    let view = service::run(&state.pool, move |conn| service::clusters::view(conn, id)).await?;
    if let Some(into) = view.cluster.merged_into {
        // Old ids keep working: they lead to the survivor.
        return Ok(HttpResponse::PermanentRedirect()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/api/v1/clusters/{into}"),
            ))
            .json(MergedInto { merged_into: into }));
    }
    Ok(HttpResponse::Ok().json(Cluster::from(view)))
}

/// Merge a cluster into another.
///
/// Its incidents move to the survivor, which is answered. For leads.
#[utoipa::path(
    tag = "clusters",
    params(("id" = i64, Path, description = "The cluster merged away")),
    request_body = Merge,
    responses(
        (status = 200, description = "The survivor", body = Cluster),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads merge", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 409, description = "Either cluster was merged already", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/clusters/{id}/merge")]
pub async fn merge_cluster(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = cluster_id(&path)?;
    let into = typed::<Merge>(body.into_inner())?.into_id()?;
    let (actor, grouping) = (user.actor, state.grouping.clone());
    let survivor = service::run(&state.pool, move |conn| {
        service::clusters::merge_shown(conn, &grouping, &actor, id, into)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Cluster::from(survivor)))
}

/// Undo a consolidation's merge.
///
/// The cluster comes back with the incidents the merge moved. For leads.
#[utoipa::path(
    tag = "clusters",
    params(("id" = i64, Path, description = "The cluster that was merged away")),
    responses(
        (status = 200, description = "The cluster, back", body = Cluster),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads undo merges", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 409, description = "It is not merged, or not by the consolidation", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/clusters/{id}/unmerge")]
pub async fn unmerge_cluster(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = cluster_id(&path)?;
    let (actor, grouping) = (user.actor, state.grouping.clone());
    let revived = service::run(&state.pool, move |conn| {
        service::clusters::unmerge_shown(conn, &grouping, &actor, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Cluster::from(revived)))
}
