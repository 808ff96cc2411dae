//! GET /api/v1/clusters?week= (the weekly comparison) and
//! GET /api/v1/clusters/{id}/drivers?week=&baseline= (what drove a cluster's change).

use super::auth::ApiUser;
use super::types::{Drivers, MergedInto, ReviewWeek, Week, WeekQuery, exact};
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError, ErrorBody};
use crate::service::drivers::Baseline;
use crate::service::{self, review};
use actix_web::{HttpResponse, get, web};

/// The weekly review.
///
/// Every live cluster's week against last week, last year and the eight-week baseline,
/// the largest change first; each category's and the team's. Like the review's page it
/// is for leads and admins (a single cluster, its drivers and coach are for everyone).
#[utoipa::path(
    tag = "review",
    params(Week),
    responses(
        (status = 200, description = "The week", body = ReviewWeek),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 403, description = "Only leads and admins read the review", body = ErrorBody),
        (status = 422, description = "`week` is not an ISO week", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/clusters")]
pub async fn review_week(
    state: web::Data<AppState>,
    user: ApiUser,
    query: web::Query<Week>,
) -> ApiResult<HttpResponse> {
    let week = exact(query.week.as_deref(), "week", "review.bad_week")?.map(str::to_owned);
    let (actor, known, cache) = (user.actor, user.known, state.review.clone());
    let body = service::run(&state.pool, move |conn| {
        let (figures, rows) =
            review::week_shown(conn, &actor, &cache, week.as_deref(), known.timezone)?;
        Ok(ReviewWeek::new(&figures, &rows, &known))
    })
    .await?;
    Ok(HttpResponse::Ok().json(body))
}

/// What drove a cluster's change.
///
/// The values (hour, weekday, department, counterpart, reporter, tag, reference) that
/// explain this week against the baseline, strongest first.
#[utoipa::path(
    tag = "review",
    params(("id" = i64, Path, description = "The cluster's id"), WeekQuery),
    responses(
        (status = 200, description = "The drivers", body = Drivers),
        (status = 308, description = "Merged: `Location` is the survivor's drivers", body = MergedInto,
            headers(("Location" = String, description = "/api/v1/clusters/{survivor}/drivers"))),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 404, description = "No such cluster", body = ErrorBody),
        (status = 422, description = "`week` or `baseline` is wrong", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/clusters/{id}/drivers")]
pub async fn cluster_drivers(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<WeekQuery>,
) -> ApiResult<HttpResponse> {
    let id: i64 = path.parse().map_err(|_| AppError::NotFound)?;
    let sent = exact(Some(&query.baseline), "baseline", "review.bad_baseline")?;
    let baseline = Baseline::parse(sent.unwrap_or_default())
        .ok_or_else(|| AppError::field("baseline", "review.bad_baseline"))?;
    let week = exact(query.week.as_deref(), "week", "review.bad_week")?.map(str::to_owned);
    let (cache, tz) = (state.review.clone(), user.known.timezone);
    let found = service::run(&state.pool, move |conn| {
        service::drivers::shown(conn, &cache, id, week.as_deref(), tz, baseline)
    })
    .await?;
    match found {
        Ok(view) => Ok(HttpResponse::Ok().json(Drivers::from(view.as_ref()))),
        // A merged cluster's drivers live on in its survivor.
        Err(into) => Ok(HttpResponse::PermanentRedirect()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/api/v1/clusters/{into}/drivers"),
            ))
            .json(MergedInto { merged_into: into })),
    }
}
