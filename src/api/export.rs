//! `GET /api/v1/incidents.csv`: every incident as CSV (UTF-8 with a BOM), in the shape
//! the importer reads back.

use super::auth::ApiUser;
use crate::app_state::AppState;
use crate::error::ApiResult;
use crate::service;
use actix_web::{HttpResponse, http::header, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents.csv", web::get().to(incidents_csv));
}

async fn incidents_csv(
    state: web::Data<AppState>,
    ApiUser(actor): ApiUser,
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
