//! GET /api/v1/events?after=ID&limit=N: the event log, for admins' integrations.

use super::auth::ApiUser;
use super::types::{EventPage, Page};
use crate::app_state::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::service;
use actix_web::{HttpResponse, get, web};

/// The event log after an id.
///
/// Every change in the order it committed; ask again with `after=next_after` for more.
/// For admins.
#[utoipa::path(
    tag = "events",
    params(Page),
    responses(
        (status = 200, description = "Events after `after`, oldest first", body = EventPage),
        (status = 400, description = "A query value is not a number, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only admins read the log", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/events")]
pub async fn list_events(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<Page>,
) -> ApiResult<HttpResponse> {
    let (actor, page) = (user.actor, query.into_inner());
    let events = service::run(&state.pool, move |conn| {
        service::events::since(conn, &actor, page.after, page.limit)
    })
    .await?;
    let next_after = events.last().map_or(page.after, |e| e.id);
    Ok(HttpResponse::Ok().json(EventPage {
        events: events.into_iter().map(Into::into).collect(),
        next_after,
    }))
}
