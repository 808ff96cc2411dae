//! The weekly retrospective's meeting (复盘会): who attended, the notes, the decisions
//! and the actions they became, held and kept, reopened and corrected (`record`), and
//! read on the week's page, in its report and through the API (here).

mod decisions;
mod page;
mod record;
mod through_api;

pub use decisions::*;
pub use page::{RetroPage, page};
pub use record::*;
pub use through_api::*;

use crate::db::DbConn;
use crate::db::actions as db_actions;
use crate::db::meetings::{self as db_meetings, DecisionRow, MeetingRow};
use crate::domain::states::{ActionStage, DecisionState, MeetingState};
use crate::domain::week::WeekKey;
use crate::error::AppResult;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// A week's meeting as recorded; an empty open one when nothing was recorded yet.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingView {
    pub week: WeekKey,
    /// None until something is recorded for the week.
    pub id: Option<i64>,
    pub state: MeetingState,
    pub held_at: Option<DateTime<Utc>>,
    /// The login of the lead who held it.
    pub held_by: Option<String>,
    pub attendees: Vec<Attendee>,
    pub notes: String,
    pub decisions: Vec<DecisionLine>,
}

impl MeetingView {
    pub fn is_held(&self) -> bool {
        self.state == MeetingState::Held
    }

    /// Whether anything was recorded (an attendee, a note, a decision).
    pub fn is_recorded(&self) -> bool {
        self.id.is_some()
    }

    /// The attendees' names, joined for a line of text.
    pub fn attendee_names(&self) -> String {
        self.attendees
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Attendee {
    pub id: i64,
    pub login: String,
    pub name: String,
}

/// A decision of a meeting, with the action it became and that action's stage now.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionLine {
    pub id: i64,
    /// The week of the meeting that took it.
    pub week: WeekKey,
    pub body: String,
    pub state: DecisionState,
    pub action: Option<DecisionAction>,
}

impl DecisionLine {
    pub fn is_open(&self) -> bool {
        self.state == DecisionState::Open
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionAction {
    pub id: i64,
    pub cluster_id: i64,
    pub rung: crate::domain::ladder::Rung,
    pub title: String,
    pub stage: ActionStage,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
}

/// The meeting of `week` as it stands.
pub fn of_week(conn: &mut DbConn, week: WeekKey) -> AppResult<MeetingView> {
    let Some(row) = db_meetings::by_week(conn, &week.to_string())? else {
        return Ok(MeetingView {
            week,
            id: None,
            state: MeetingState::Open,
            held_at: None,
            held_by: None,
            attendees: Vec::new(),
            notes: String::new(),
            decisions: Vec::new(),
        });
    };
    let attendees = db_meetings::attendees(conn, row.id)?
        .into_iter()
        .map(|(id, login, name)| Attendee { id, login, name })
        .collect();
    let rows = db_meetings::decisions(conn, row.id)?;
    let decisions = lines(conn, rows.into_iter().map(|d| (week, d)).collect())?;
    let mut logins = Logins::default();
    let held_by = logins.of(conn, row.held_by)?;
    let MeetingRow {
        id,
        state,
        held_at,
        notes,
        ..
    } = row;
    Ok(MeetingView {
        week,
        id: Some(id),
        state,
        held_at: held_at.map(|t| t.and_utc()),
        held_by,
        attendees,
        notes,
        decisions,
    })
}

/// The decisions of meetings before `week` that are still open, oldest first, each with
/// its action's stage now.
pub fn open_before(conn: &mut DbConn, week: WeekKey) -> AppResult<Vec<DecisionLine>> {
    let rows = db_meetings::open_before(conn, &week.to_string())?
        .into_iter()
        .filter_map(|(w, d)| w.parse::<WeekKey>().ok().map(|w| (w, d)))
        .collect();
    lines(conn, rows)
}

fn lines(conn: &mut DbConn, rows: Vec<(WeekKey, DecisionRow)>) -> AppResult<Vec<DecisionLine>> {
    let mut logins = Logins::default();
    let mut out = Vec::with_capacity(rows.len());
    for (week, d) in rows {
        let action = match d.action_id {
            Some(id) => match db_actions::find(conn, id)? {
                Some(a) => Some(DecisionAction {
                    id: a.id,
                    cluster_id: a.cluster_id,
                    rung: a.rung,
                    title: a.title,
                    stage: a.stage,
                    owner: logins.of(conn, a.owner_id)?,
                    due_on: a.due_on,
                }),
                None => None,
            },
            None => None,
        };
        out.push(DecisionLine {
            id: d.id,
            week,
            body: d.body,
            state: d.state,
            action,
        });
    }
    Ok(out)
}

/// People's logins by id, each looked up once.
#[derive(Default)]
struct Logins(HashMap<i64, Option<String>>);

impl Logins {
    fn of(&mut self, conn: &mut DbConn, id: Option<i64>) -> AppResult<Option<String>> {
        let Some(id) = id else { return Ok(None) };
        if let Some(known) = self.0.get(&id) {
            return Ok(known.clone());
        }
        let login = crate::db::users::find(conn, id)?.map(|u| u.login);
        self.0.insert(id, login.clone());
        Ok(login)
    }
}

/// The meeting of the week written `raw` (`YYYY-Www`), and the earlier decisions still
/// open: what the API answers.
pub fn of_raw_week(conn: &mut DbConn, raw: &str) -> AppResult<(MeetingView, Vec<DecisionLine>)> {
    let week: WeekKey = raw
        .trim()
        .parse()
        .map_err(|_| crate::error::AppError::field("week", "review.bad_week"))?;
    Ok((of_week(conn, week)?, open_before(conn, week)?))
}
