//! The meeting's writes as the API makes them: each takes the week as written, does one
//! thing, and answers the meeting as it now stands with the earlier decisions still open.

use super::{DecisionInput, DecisionLine, MeetingInput, MeetingView};
use crate::db::DbConn;
use crate::domain::input::FieldErrors;
use crate::domain::states::MeetingState;
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use chrono_tz::Tz;

/// The meeting and the earlier decisions still open.
pub type MeetingNow = (MeetingView, Vec<DecisionLine>);

fn week_of(raw: &str) -> AppResult<WeekKey> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::field("week", "review.bad_week"))
}

fn now_of(conn: &mut DbConn, week: WeekKey) -> AppResult<MeetingNow> {
    Ok((super::of_week(conn, week)?, super::open_before(conn, week)?))
}

/// Record the attendees and notes of the week written `raw`.
pub fn save_now(
    conn: &mut DbConn,
    actor: &Actor,
    raw: &str,
    input: &MeetingInput,
) -> AppResult<MeetingNow> {
    let week = week_of(raw)?;
    super::save(conn, actor, week, input)?;
    now_of(conn, week)
}

/// Record a decision (and the action it becomes) in the week written `raw`.
pub fn decide_now(
    conn: &mut DbConn,
    actor: &Actor,
    raw: &str,
    input: &DecisionInput,
    tz: Tz,
) -> AppResult<MeetingNow> {
    let week = week_of(raw)?;
    super::decide(conn, actor, week, input, tz, FieldErrors::new())?;
    now_of(conn, week)
}

/// Hold (`held`) or reopen (`open`) the meeting of the week written `raw`.
pub fn set_state_now(
    conn: &mut DbConn,
    actor: &Actor,
    raw: &str,
    state: &str,
) -> AppResult<MeetingNow> {
    let week = week_of(raw)?;
    match MeetingState::parse(state.trim()) {
        Some(MeetingState::Held) => super::hold(conn, actor, week)?,
        Some(MeetingState::Open) => super::reopen(conn, actor, week)?,
        None => return Err(AppError::field("state", "error.meeting_state")),
    }
    now_of(conn, week)
}

/// Close decision `id` as done; answers the meeting that took it.
pub fn close_now(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<MeetingNow> {
    let week = super::close_decision(conn, actor, id)?;
    now_of(conn, week)
}
