//! A meeting's decisions: added (and with a cluster recorded as an action by
//! `service::ladder` in the same transaction), corrected, turned into an action later,
//! and closed as done, each with its event on the meeting's trail.

use super::record::{event, open_meeting};
use crate::db::meetings::{
    self as db_meetings, DecisionChangeset, DecisionRow, MeetingRow, NewDecision,
};
use crate::db::{self, DbConn};
use crate::domain::input::{self, FieldErrors};
use crate::domain::role::Role;
use crate::domain::states::{DecisionState, MeetingState};
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::ladder::{self, ActionInput};
use chrono_tz::Tz;
use serde_json::json;

/// Longest decision text.
pub const DECISION_MAX: usize = 2_000;

/// A decision as typed; with a cluster it becomes an action in the same step, recorded
/// from `action` (its title the decision's text unless one is given).
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    pub body: String,
    pub cluster: Option<i64>,
    pub action: ActionInput,
}

/// Record a decision of `week`'s meeting, and with a cluster the action it becomes, in
/// one transaction. `errors` are the form's own (numbers that are not); every field is
/// checked before anything is written. Returns the decision's id and its action's.
pub fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    week: WeekKey,
    raw: &DecisionInput,
    tz: Tz,
    mut errors: FieldErrors,
) -> AppResult<(i64, Option<i64>)> {
    actor.require(Role::Lead)?;
    let body = errors.check("decision", input::required_text(&raw.body, DECISION_MAX));
    if raw.cluster.is_none() && !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    db::write_transaction(conn, |conn| {
        let meeting = open_meeting(conn, actor, week)?;
        let action_id = match raw.cluster {
            Some(cluster) => Some(action_of(conn, actor, cluster, raw, tz, errors)?),
            None => None,
        };
        let body = body.ok_or_else(|| AppError::internal("a decision without its text"))?;
        let now = db::now();
        let id = db_meetings::insert_decision(
            conn,
            &NewDecision {
                meeting_id: meeting.id,
                body: &body,
                state: DecisionState::Open,
                action_id,
                created_by: Some(actor.id),
                created_at: now,
                updated_at: now,
            },
        )?;
        event(
            conn,
            actor,
            meeting.id,
            "decision_added",
            None,
            json!({ "decision_id": id, "decision": body, "action": action_id }),
        )?;
        Ok((id, action_id))
    })
}

/// Turn an open meeting's decision that has no action yet into one.
pub fn decision_to_action(
    conn: &mut DbConn,
    actor: &Actor,
    decision_id: i64,
    raw: &DecisionInput,
    tz: Tz,
    mut errors: FieldErrors,
) -> AppResult<i64> {
    actor.require(Role::Lead)?;
    let cluster = errors.check("cluster", raw.cluster.ok_or("error.required"));
    db::write_transaction(conn, |conn| {
        let (meeting, decision) = decision_in_open_meeting(conn, decision_id)?;
        if decision.action_id.is_some() {
            return Err(AppError::Conflict("conflict.decision_has_action"));
        }
        let raw = DecisionInput {
            body: decision.body.clone(),
            ..raw.clone()
        };
        let action_id = action_of(conn, actor, cluster.unwrap_or_default(), &raw, tz, errors)?;
        db_meetings::update_decision(
            conn,
            decision.id,
            &DecisionChangeset {
                action_id: Some(Some(action_id)),
                updated_at: Some(db::now()),
                ..Default::default()
            },
        )?;
        event(
            conn,
            actor,
            meeting.id,
            "decision_action",
            None,
            json!({ "decision_id": decision.id, "decision": decision.body, "action": action_id }),
        )?;
        Ok(action_id)
    })
}

/// Correct a decision's text (its meeting open).
pub fn change_decision(
    conn: &mut DbConn,
    actor: &Actor,
    decision_id: i64,
    raw_body: &str,
) -> AppResult<WeekKey> {
    actor.require(Role::Lead)?;
    let body = input::required_text(raw_body, DECISION_MAX)
        .map_err(|key| AppError::field("decision", key))?;
    db::write_transaction(conn, |conn| {
        let (meeting, decision) = decision_in_open_meeting(conn, decision_id)?;
        if decision.body != body {
            db_meetings::update_decision(
                conn,
                decision.id,
                &DecisionChangeset {
                    body: Some(body.clone()),
                    updated_at: Some(db::now()),
                    ..Default::default()
                },
            )?;
            event(
                conn,
                actor,
                meeting.id,
                "decision_changed",
                Some(json!({ "decision_id": decision.id, "decision": decision.body })),
                json!({ "decision_id": decision.id, "decision": body }),
            )?;
        }
        week_of(&meeting)
    })
}

/// Close a decision as done: at any time, from its own meeting's page or a later one's.
pub fn close_decision(conn: &mut DbConn, actor: &Actor, decision_id: i64) -> AppResult<WeekKey> {
    actor.require(Role::Lead)?;
    db::write_transaction(conn, |conn| {
        let decision = db_meetings::find_decision(conn, decision_id)?.ok_or(AppError::NotFound)?;
        let meeting = db_meetings::find(conn, decision.meeting_id)?.ok_or(AppError::NotFound)?;
        if decision.state != DecisionState::Open {
            return Err(AppError::Conflict("conflict.decision_closed"));
        }
        let now = db::now();
        db_meetings::update_decision(
            conn,
            decision.id,
            &DecisionChangeset {
                state: Some(DecisionState::Done),
                closed_at: Some(Some(now)),
                updated_at: Some(now),
                ..Default::default()
            },
        )?;
        event(
            conn,
            actor,
            meeting.id,
            "decision_closed",
            None,
            json!({ "decision_id": decision.id, "decision": decision.body }),
        )?;
        week_of(&meeting)
    })
}

fn week_of(meeting: &MeetingRow) -> AppResult<WeekKey> {
    meeting
        .week_key
        .parse()
        .map_err(|_| AppError::internal("a meeting's week is not a week"))
}

/// The action a decision becomes, recorded as the ladder records every action.
fn action_of(
    conn: &mut DbConn,
    actor: &Actor,
    cluster: i64,
    raw: &DecisionInput,
    tz: Tz,
    errors: FieldErrors,
) -> AppResult<i64> {
    let mut action = raw.action.clone();
    if action.title.trim().is_empty() {
        action.title = raw.body.trim().chars().take(input::TITLE_MAX).collect();
    }
    ladder::create_within(conn, actor, cluster, &action, tz, errors)
}

fn decision_in_open_meeting(
    conn: &mut DbConn,
    decision_id: i64,
) -> AppResult<(MeetingRow, DecisionRow)> {
    let decision = db_meetings::find_decision(conn, decision_id)?.ok_or(AppError::NotFound)?;
    let meeting = db_meetings::find(conn, decision.meeting_id)?.ok_or(AppError::NotFound)?;
    if meeting.state == MeetingState::Held {
        return Err(AppError::Conflict("conflict.meeting_held"));
    }
    Ok((meeting, decision))
}
