//! Each change to an action, followed by the action as it stands after it (judged now,
//! in the organisation's zone), and the coach: what the API answers, one call each.

use super::{ActionInput, ActionPage, action_page};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::effects::{self, CoachView};
use crate::service::organisation;
use crate::service::review::ReviewCache;
use chrono::{DateTime, Utc};

/// Action `id` as on `now`.
pub fn shown(conn: &mut DbConn, id: i64, now: DateTime<Utc>) -> AppResult<ActionPage> {
    let tz = organisation::timezone(conn)?;
    action_page(conn, id, tz, now)
}

pub fn create_shown(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    input: &ActionInput,
) -> AppResult<ActionPage> {
    let tz = organisation::timezone(conn)?;
    let id = super::create(conn, actor, cluster_id, input, tz)?;
    action_page(conn, id, tz, Utc::now())
}

pub fn advance_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (stage, on, note): (&str, &str, &str),
) -> AppResult<ActionPage> {
    let tz = organisation::timezone(conn)?;
    super::advance(conn, actor, id, stage, on, note, tz)?;
    action_page(conn, id, tz, Utc::now())
}

pub fn sign_off_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (department, decision, comment): (&str, &str, &str),
) -> AppResult<ActionPage> {
    super::sign_off(conn, actor, id, department, decision, comment)?;
    shown(conn, id, Utc::now())
}

pub fn revise_weight_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (weight, on, reason): (f64, &str, &str),
) -> AppResult<ActionPage> {
    let tz = organisation::timezone(conn)?;
    super::revise_weight(conn, actor, id, weight, on, reason, tz)?;
    action_page(conn, id, tz, Utc::now())
}

/// The coach of cluster `cluster_id` as on `now`.
pub fn coach(
    conn: &mut DbConn,
    cluster_id: i64,
    now: DateTime<Utc>,
    review: &ReviewCache,
) -> AppResult<CoachView> {
    let tz = organisation::timezone(conn)?;
    effects::coach(conn, cluster_id, tz, now, review)
}
