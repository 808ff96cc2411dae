//! GET /api/v1/meetings/{week}: a week's retrospective meeting, for everyone signed in.

use super::auth::ApiUser;
use super::types::Meeting;
use crate::app_state::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::service::{self, meetings};
use actix_web::{HttpResponse, get, web};

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
