//! GET /api/v1/clusters/{id}, POST /api/v1/clusters/{id}/merge, and
//! POST /api/v1/clusters/{id}/unmerge (undo a consolidation's merge of that cluster).

use super::auth::ApiUser;
use super::body::Fields;
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError};
use crate::service;
use actix_web::{HttpResponse, web};
use serde_json::Value;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}", web::get().to(get))
        .route("/clusters/{id}/merge", web::post().to(merge))
        .route("/clusters/{id}/unmerge", web::post().to(unmerge));
}

fn cluster_id(path: &str) -> Result<i64, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

async fn get(
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
            .json(serde_json::json!({ "merged_into": into })));
    }
    Ok(HttpResponse::Ok().json(view))
}

async fn merge(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = cluster_id(&path)?;
    let mut fields = Fields::new(body.into_inner())?;
    let into = fields.integer("into", true);
    fields.finish()?;
    let into = into.ok_or_else(|| AppError::field("into", "error.required"))?;
    let (actor, grouping) = (user.0, state.grouping.clone());
    let survivor = service::run(&state.pool, move |conn| {
        service::clusters::merge(conn, &grouping, &actor, id, into)?;
        service::clusters::view(conn, into)
    })
    .await?;
    Ok(HttpResponse::Ok().json(survivor))
}

async fn unmerge(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = cluster_id(&path)?;
    let (actor, grouping) = (user.0, state.grouping.clone());
    let revived = service::run(&state.pool, move |conn| {
        service::clusters::undo_merge(conn, &grouping, &actor, id)?;
        service::clusters::view(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(revived))
}
