//! Each change to an action, followed by the action as it stands after it (judged now,
//! in the organisation's zone), and the coach: what the API answers, one call each. The
//! zone is the one the request's catalogue carries.

use super::{ActionInput, ActionPage, action_page};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::effects::{self, CoachView};
use crate::service::review::ReviewCache;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Action `id` as on `now`.
pub fn shown(conn: &mut DbConn, id: i64, tz: Tz, now: DateTime<Utc>) -> AppResult<ActionPage> {
    action_page(conn, id, tz, now)
}

pub fn create_shown(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    input: &ActionInput,
    tz: Tz,
) -> AppResult<ActionPage> {
    let id = super::create(conn, actor, cluster_id, input, tz)?;
    action_page(conn, id, tz, Utc::now())
}

pub fn advance_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (stage, on, note): (&str, &str, &str),
    tz: Tz,
) -> AppResult<ActionPage> {
    super::advance(conn, actor, id, stage, on, note, tz)?;
    action_page(conn, id, tz, Utc::now())
}

pub fn sign_off_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (department, decision, comment): (&str, &str, &str),
    tz: Tz,
) -> AppResult<ActionPage> {
    super::sign_off(conn, actor, id, department, decision, comment)?;
    action_page(conn, id, tz, Utc::now())
}

pub fn revise_weight_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (weight, on, reason): (f64, &str, &str),
    tz: Tz,
) -> AppResult<ActionPage> {
    super::revise_weight(conn, actor, id, weight, on, reason, tz)?;
    action_page(conn, id, tz, Utc::now())
}

pub fn revise_shown(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    revision: &super::ActionRevision,
    tz: Tz,
) -> AppResult<ActionPage> {
    super::revise(conn, actor, id, revision, tz, Default::default())?;
    action_page(conn, id, tz, Utc::now())
}

/// The coach of cluster `cluster_id` as on `now`.
pub fn coach(
    conn: &mut DbConn,
    cluster_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    review: &ReviewCache,
) -> AppResult<CoachView> {
    effects::coach(conn, cluster_id, tz, now, review)
}
