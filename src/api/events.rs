//! GET /api/v1/events?after=ID&limit=N: the event log, for admins' integrations.

use super::auth::ApiUser;
use crate::app_state::AppState;
use crate::error::ApiResult;
use crate::service;
use actix_web::{HttpResponse, web};
use serde_json::json;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/events", web::get().to(list));
}

#[derive(serde::Deserialize)]
pub struct Page {
    #[serde(default)]
    after: i64,
    #[serde(default = "default_limit")]
    limit: i64,
}

fn default_limit() -> i64 {
    100
}

/// `{"events": [...], "next_after": ID}`: ask again with `after=next_after` for more.
async fn list(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let (actor, page) = (user.0, query.into_inner());
    let events = service::run(&state.pool, move |conn| {
        service::events::since(conn, &actor, page.after, page.limit)
    })
    .await?;
    let next_after = events.last().map_or(page.after, |e| e.id);
    Ok(HttpResponse::Ok().json(json!({ "events": events, "next_after": next_after })))
}
