//! The ladder through the API: actions on a cluster, their workflow, effect and the coach.

use super::auth::ApiUser;
use super::json::typed;
use super::types::{
    Action, ActionPatch, Advance, AsOf, Coach, NewAction, SignOff, Weight, advance_fields, exact,
    sign_off_fields, weight_fields,
};
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::service::ladder::{self, ActionInput};
use crate::service::{self};
use actix_web::{HttpResponse, get, patch, post, web};
use serde_json::Value;

fn id(path: &str) -> Result<i64, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

/// Reads an action's JSON body into its input: a body that is not an object is a
/// `BadRequest`, a wrong or unknown field an `Invalid` naming it, the required fields
/// missing an `Invalid` naming each. The values themselves are checked when the action
/// is created. Public for the fuzz targets.
pub fn parse_action(body: Value) -> Result<ActionInput, AppError> {
    typed::<NewAction>(body)?.into_input()
}

fn instant(as_of: Option<&str>) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    match exact(as_of, "as_of", "error.date")? {
        None => Ok(chrono::Utc::now()),
        Some(s) => crate::domain::input::calendar_date(s)
            .map_err(|k| AppError::field("as_of", k))?
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| AppError::field("as_of", "error.date")),
    }
}

/// Record an action on a cluster.
///
/// At a rung of the ladder, with what that rung needs. For leads.
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The cluster's id")),
    request_body = NewAction,
    responses(
        (status = 201, description = "The action", body = Action),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads record actions", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 409, description = "The cluster was merged", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/clusters/{id}/actions")]
pub async fn create_action(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let cluster_id = id(&path)?;
    let input = parse_action(body.into_inner())?;
    let (actor, tz) = (user.actor, user.known.timezone);
    let page = service::run(&state.pool, move |conn| {
        ladder::create_shown(conn, &actor, cluster_id, &input, tz)
    })
    .await?;
    Ok(HttpResponse::Created().json(Action::from(page)))
}

/// One action.
///
/// With its steps, sign-offs, weight revisions and, once launched, its effect judged as
/// on `as_of`.
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The action's id"), AsOf),
    responses(
        (status = 200, description = "The action", body = Action),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 422, description = "`as_of` is not a date", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/actions/{id}")]
pub async fn get_action(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<AsOf>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let now = instant(query.as_of.as_deref())?;
    let tz = user.known.timezone;
    let page = service::run(&state.pool, move |conn| ladder::shown(conn, id, tz, now)).await?;
    Ok(HttpResponse::Ok().json(Action::from(page)))
}

/// Correct an action.
///
/// Its title, why, owner, due date or goal (planned week by week again); the fields
/// left out keep their values. The before and after go on the trail. For leads.
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The action's id")),
    request_body = ActionPatch,
    responses(
        (status = 200, description = "The action", body = Action),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads correct actions", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named, and nothing changed", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/actions/{id}")]
pub async fn revise_action(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let revision = typed::<ActionPatch>(body.into_inner())?.into();
    let (actor, tz) = (user.actor, user.known.timezone);
    let page = service::run(&state.pool, move |conn| {
        ladder::revise_shown(conn, &actor, id, &revision, tz)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Action::from(page)))
}

/// Move an action to its next stage.
///
/// As its rung's workflow allows (a policy launches once every department approved).
/// For leads.
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The action's id")),
    request_body = Advance,
    responses(
        (status = 200, description = "The action", body = Action),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads move actions on", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 409, description = "The action cannot move now", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/actions/{id}/advance")]
pub async fn advance_action(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let (stage, on, note) = advance_fields(typed::<Advance>(body.into_inner())?)?;
    let (actor, tz) = (user.actor, user.known.timezone);
    let page = service::run(&state.pool, move |conn| {
        ladder::advance_shown(conn, &actor, id, (&stage, &on, &note), tz)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Action::from(page)))
}

/// A department's decision on a policy.
///
/// Made by a member of that department (or an admin).
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The action's id")),
    request_body = SignOff,
    responses(
        (status = 201, description = "The action", body = Action),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Not of that department", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 409, description = "Not a policy, or launched already", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/actions/{id}/signoffs")]
pub async fn sign_off_action(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let (department, decision, comment) = sign_off_fields(typed::<SignOff>(body.into_inner())?)?;
    let (actor, tz) = (user.actor, user.known.timezone);
    let page = service::run(&state.pool, move |conn| {
        ladder::sign_off_shown(conn, &actor, id, (&department, &decision, &comment), tz)
    })
    .await?;
    Ok(HttpResponse::Created().json(Action::from(page)))
}

/// Revise a KPI weight.
///
/// Of a weight tuning (rung 5), with the reason. For leads.
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The action's id")),
    request_body = Weight,
    responses(
        (status = 201, description = "The action", body = Action),
        (status = 400, description = "The body is not a JSON object, or the request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads revise weights", body = ErrorBody),
        (status = 404, description = "No such action", body = ErrorBody),
        (status = 409, description = "Not a weight tuning", body = ErrorBody),
        (status = 413, description = "The body is over 64 KiB", body = ErrorBody),
        (status = 422, description = "A field is wrong; each is named", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot take it now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/actions/{id}/weights")]
pub async fn revise_weight(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let fields = weight_fields(typed::<Weight>(body.into_inner())?)?;
    let (actor, tz) = (user.actor, user.known.timezone);
    let page = service::run(&state.pool, move |conn| {
        let (weight, on, reason) = fields;
        ladder::revise_weight_shown(conn, &actor, id, (weight, &on, &reason), tz)
    })
    .await?;
    Ok(HttpResponse::Created().json(Action::from(page)))
}

/// The coach of a cluster.
///
/// The rung to try next and why, with the evidence, as on `as_of`.
#[utoipa::path(
    tag = "ladder",
    params(("id" = i64, Path, description = "The cluster's id"), AsOf),
    responses(
        (status = 200, description = "The advice", body = Coach),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 422, description = "`as_of` is not a date", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/clusters/{id}/coach")]
pub async fn cluster_coach(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<AsOf>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let now = instant(query.as_of.as_deref())?;
    let (review, tz) = (state.review.clone(), user.known.timezone);
    let view = service::run(&state.pool, move |conn| {
        ladder::coach(conn, id, tz, now, &review)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Coach::from(view)))
}
