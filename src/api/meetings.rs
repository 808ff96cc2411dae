//! A week's retrospective meeting: read by everyone signed in; recorded, held,
//! reopened and its decisions taken and closed by leads.

use super::auth::ApiUser;
use super::json::{Required, typed};
use super::types::{Meeting, MeetingRecord, MeetingStateChange, NewDecision};
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::service::{self, meetings};
use actix_web::{HttpResponse, get, post, put, web};
use serde_json::Value;

/// A week's retrospective meeting.
///
/// Who attended, the notes, whether it is held, its decisions with the actions they
/// became (and their stage now), and the decisions of earlier meetings still open.
#[utoipa::path(
    tag = "review",
    params(("week" = String, Path, description = "The week, `YYYY-Www`")),
    responses(
        (status = 200, description = "The meeting", body = Meeting),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 422, description = "Not a week", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/meetings/{week}")]
pub async fn get_meeting(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let raw = path.into_inner();
    let (meeting, open) =
        service::run(&state.pool, move |conn| meetings::of_raw_week(conn, &raw)).await?;
    Ok(HttpResponse::Ok().json(Meeting::new(meeting, open)))
}

/// Record who attended a week's meeting and its notes.
///
/// Replaces the attendees (by login) and the notes; refused while the meeting is held.
/// For leads.
#[utoipa::path(
    tag = "review",
    params(("week" = String, Path, description = "The week, `YYYY-Www`")),
    request_body = MeetingRecord,
    responses(
        (status = 200, description = "The meeting", body = Meeting),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads record meetings", body = ErrorBody),
        (status = 409, description = "The meeting is held; reopen it first", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "Not a week, or a field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/meetings/{week}")]
pub async fn record_meeting(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let record = typed::<MeetingRecord>(body.into_inner())?;
    let mut req = Required::new();
    let attendees = req.take("attendees", record.attendees);
    req.finish()?;
    let input = meetings::MeetingInput {
        attendees,
        notes: record.notes.unwrap_or_default(),
    };
    let (raw, actor) = (path.into_inner(), user.actor);
    let (meeting, open) = service::run(&state.pool, move |conn| {
        meetings::save_now(conn, &actor, &raw, &input)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Meeting::new(meeting, open)))
}

/// Record a decision of a week's meeting.
///
/// With a cluster and an action, the decision becomes that action on the ladder in the
/// same step (both or neither are recorded). For leads.
#[utoipa::path(
    tag = "review",
    params(("week" = String, Path, description = "The week, `YYYY-Www`")),
    request_body = NewDecision,
    responses(
        (status = 201, description = "The meeting with the decision", body = Meeting),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads record decisions", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 409, description = "The meeting is held, or the cluster was merged", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "Not a week, or a field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/meetings/{week}/decisions")]
pub async fn record_decision(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let input = typed::<NewDecision>(body.into_inner())?.into_input()?;
    let (raw, actor, tz) = (path.into_inner(), user.actor, user.known.timezone);
    let (meeting, open) = service::run(&state.pool, move |conn| {
        meetings::decide_now(conn, &actor, &raw, &input, tz)
    })
    .await?;
    Ok(HttpResponse::Created().json(Meeting::new(meeting, open)))
}

/// Hold a week's meeting, or reopen it.
///
/// `held` keeps it as recorded; `open` reopens a held meeting so that it can be
/// corrected. Both go on the trail. For leads.
#[utoipa::path(
    tag = "review",
    params(("week" = String, Path, description = "The week, `YYYY-Www`")),
    request_body = MeetingStateChange,
    responses(
        (status = 200, description = "The meeting", body = Meeting),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads hold meetings", body = ErrorBody),
        (status = 409, description = "Held already, or not held", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "Not a week, or not a state", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/meetings/{week}/state")]
pub async fn set_meeting_state(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let change = typed::<MeetingStateChange>(body.into_inner())?;
    let mut req = Required::new();
    let to = req.take("state", change.state);
    req.finish()?;
    let (raw, actor) = (path.into_inner(), user.actor);
    let (meeting, open) = service::run(&state.pool, move |conn| {
        meetings::set_state_now(conn, &actor, &raw, &to)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Meeting::new(meeting, open)))
}

/// Close a decision as done.
///
/// Later meetings no longer list it. Answers the meeting that took it. For leads.
#[utoipa::path(
    tag = "review",
    params(("id" = i64, Path, description = "The decision's id")),
    responses(
        (status = 200, description = "The meeting that took the decision", body = Meeting),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads close decisions", body = ErrorBody),
        (status = 404, description = "No such decision", body = ErrorBody),
        (status = 409, description = "Closed already", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/decisions/{id}/close")]
pub async fn close_decision(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let actor = user.actor;
    let (meeting, open) = service::run(&state.pool, move |conn| {
        meetings::close_now(conn, &actor, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Meeting::new(meeting, open)))
}
