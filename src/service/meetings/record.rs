//! The meeting's own changes, each in one write transaction with its event on the
//! meeting's trail (entity `meeting`): attendees and notes, held and reopened. A held
//! meeting is kept as it was until a lead reopens it. Its decisions: `decisions`.

use crate::db::audit::{self, NewAuditEvent};
use crate::db::meetings::{self as db_meetings, MeetingChangeset, MeetingRow, NewMeeting};
use crate::db::{self, DbConn, users};
use crate::domain::input::{self, FieldErrors};
use crate::domain::role::Role;
use crate::domain::states::MeetingState;
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use serde_json::{Value, json};

/// Longest notes.
pub const NOTES_MAX: usize = 20_000;

/// Who attended (logins) and the notes, as typed.
#[derive(Debug, Clone, Default)]
pub struct MeetingInput {
    pub attendees: Vec<String>,
    pub notes: String,
}

/// Record the attendees and the notes of `week`'s meeting. Returns what changed.
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    week: WeekKey,
    raw: &MeetingInput,
) -> AppResult<bool> {
    actor.require(Role::Lead)?;
    let mut errors = FieldErrors::new();
    let notes = errors
        .check("notes", input::optional_text(&raw.notes, NOTES_MAX))
        .map(Option::unwrap_or_default);
    let mut ids = Vec::new();
    for login in raw
        .attendees
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty())
    {
        match users::find_by_login(conn, login)? {
            Some(u) if u.active => ids.push((u.id, u.login)),
            _ => errors.add("attendees", "error.unknown_user"),
        }
    }
    ids.sort();
    ids.dedup();
    let Some(notes) = notes.filter(|_| errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    db::write_transaction(conn, |conn| {
        let meeting = open_meeting(conn, actor, week)?;
        let before: Vec<(i64, String, String)> = db_meetings::attendees(conn, meeting.id)?;
        let before_ids: Vec<i64> = before.iter().map(|a| a.0).collect();
        let after_ids: Vec<i64> = ids.iter().map(|a| a.0).collect();
        let mut changed = false;
        if before_ids != after_ids {
            db_meetings::set_attendees(conn, meeting.id, &after_ids)?;
            let names = |v: Vec<&str>| json!({ "attendees": v.join(", ") });
            event(
                conn,
                actor,
                meeting.id,
                "attendees_changed",
                Some(names(before.iter().map(|a| a.1.as_str()).collect())),
                names(ids.iter().map(|a| a.1.as_str()).collect()),
            )?;
            changed = true;
        }
        if meeting.notes != notes {
            let now = db::now();
            db_meetings::update(
                conn,
                meeting.id,
                &MeetingChangeset {
                    notes: Some(notes.clone()),
                    updated_at: Some(now),
                    ..Default::default()
                },
            )?;
            event(
                conn,
                actor,
                meeting.id,
                "notes_changed",
                Some(json!({ "notes": meeting.notes })),
                json!({ "notes": notes }),
            )?;
            changed = true;
        }
        Ok(changed)
    })
}

/// Hold `week`'s meeting: kept as it is until a lead reopens it.
pub fn hold(conn: &mut DbConn, actor: &Actor, week: WeekKey) -> AppResult<()> {
    actor.require(Role::Lead)?;
    db::write_transaction(conn, |conn| {
        let meeting = open_meeting(conn, actor, week)?;
        let now = db::now();
        db_meetings::update(
            conn,
            meeting.id,
            &MeetingChangeset {
                state: Some(MeetingState::Held),
                held_at: Some(Some(now)),
                held_by: Some(Some(actor.id)),
                updated_at: Some(now),
                ..Default::default()
            },
        )?;
        event(
            conn,
            actor,
            meeting.id,
            "held",
            None,
            json!({ "week": week.to_string() }),
        )
    })
}

/// Reopen `week`'s held meeting so that it can be corrected.
pub fn reopen(conn: &mut DbConn, actor: &Actor, week: WeekKey) -> AppResult<()> {
    actor.require(Role::Lead)?;
    db::write_transaction(conn, |conn| {
        let meeting = db_meetings::by_week(conn, &week.to_string())?
            .filter(|m| m.state == MeetingState::Held)
            .ok_or(AppError::Conflict("conflict.meeting_not_held"))?;
        db_meetings::update(
            conn,
            meeting.id,
            &MeetingChangeset {
                state: Some(MeetingState::Open),
                updated_at: Some(db::now()),
                ..Default::default()
            },
        )?;
        event(
            conn,
            actor,
            meeting.id,
            "reopened",
            None,
            json!({ "week": week.to_string() }),
        )
    })
}

/// `week`'s meeting, begun when nothing was recorded yet; refused while it is held.
pub(super) fn open_meeting(
    conn: &mut DbConn,
    actor: &Actor,
    week: WeekKey,
) -> AppResult<MeetingRow> {
    let key = week.to_string();
    if let Some(m) = db_meetings::by_week(conn, &key)? {
        if m.state == MeetingState::Held {
            return Err(AppError::Conflict("conflict.meeting_held"));
        }
        return Ok(m);
    }
    let now = db::now();
    db_meetings::insert(
        conn,
        &NewMeeting {
            week_key: &key,
            state: MeetingState::Open,
            notes: "",
            created_by: Some(actor.id),
            created_at: now,
            updated_at: now,
        },
    )?;
    db_meetings::by_week(conn, &key)?.ok_or_else(|| AppError::internal("the meeting just begun"))
}

pub(super) fn event(
    conn: &mut DbConn,
    actor: &Actor,
    meeting_id: i64,
    action: &str,
    before: Option<Value>,
    after: Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: Some(actor.id),
            entity: "meeting",
            entity_id: meeting_id,
            action,
            before_json: before.map(|b| b.to_string()),
            after_json: Some(after.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}
