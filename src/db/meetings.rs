//! The weekly retrospective's meetings: one row per week, its attendees and its
//! decisions (each perhaps linked to the action it became).

use super::DbConn;
use super::schema::{meeting_attendees, meeting_decisions, meetings, users};
use crate::domain::states::{DecisionState, MeetingState};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meetings)]
pub struct MeetingRow {
    pub id: i64,
    pub week_key: String,
    pub state: MeetingState,
    pub notes: String,
    pub held_at: Option<NaiveDateTime>,
    pub held_by: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = meetings)]
pub struct NewMeeting<'a> {
    pub week_key: &'a str,
    pub state: MeetingState,
    pub notes: &'a str,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = meetings)]
pub struct MeetingChangeset {
    pub state: Option<MeetingState>,
    pub notes: Option<String>,
    pub held_at: Option<Option<NaiveDateTime>>,
    pub held_by: Option<Option<i64>>,
    pub updated_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = meeting_decisions)]
pub struct DecisionRow {
    pub id: i64,
    pub meeting_id: i64,
    pub body: String,
    pub state: DecisionState,
    pub action_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = meeting_decisions)]
pub struct NewDecision<'a> {
    pub meeting_id: i64,
    pub body: &'a str,
    pub state: DecisionState,
    pub action_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = meeting_decisions)]
pub struct DecisionChangeset {
    pub body: Option<String>,
    pub state: Option<DecisionState>,
    pub action_id: Option<Option<i64>>,
    pub updated_at: Option<NaiveDateTime>,
    pub closed_at: Option<Option<NaiveDateTime>>,
}

pub fn by_week(conn: &mut DbConn, week_key: &str) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .filter(meetings::week_key.eq(week_key))
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(conn: &mut DbConn, new: &NewMeeting<'_>) -> QueryResult<i64> {
    diesel::insert_into(meetings::table)
        .values(new)
        .returning(meetings::id)
        .get_result(conn)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &MeetingChangeset) -> QueryResult<usize> {
    diesel::update(meetings::table.find(id))
        .set(changes)
        .execute(conn)
}

/// (id, login, display name) of the meeting's attendees, by login.
pub fn attendees(conn: &mut DbConn, meeting_id: i64) -> QueryResult<Vec<(i64, String, String)>> {
    meeting_attendees::table
        .inner_join(users::table)
        .filter(meeting_attendees::meeting_id.eq(meeting_id))
        .order(users::login.asc())
        .select((users::id, users::login, users::display_name))
        .load(conn)
}

/// The attendees become exactly `user_ids`.
pub fn set_attendees(conn: &mut DbConn, meeting_id: i64, user_ids: &[i64]) -> QueryResult<()> {
    diesel::delete(meeting_attendees::table.filter(meeting_attendees::meeting_id.eq(meeting_id)))
        .execute(conn)?;
    // One row at a time: multi-row inserts do not compile on the MultiConnection.
    for &user_id in user_ids {
        diesel::insert_into(meeting_attendees::table)
            .values((
                meeting_attendees::meeting_id.eq(meeting_id),
                meeting_attendees::user_id.eq(user_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn decisions(conn: &mut DbConn, meeting_id: i64) -> QueryResult<Vec<DecisionRow>> {
    meeting_decisions::table
        .filter(meeting_decisions::meeting_id.eq(meeting_id))
        .order(meeting_decisions::id.asc())
        .select(DecisionRow::as_select())
        .load(conn)
}

pub fn find_decision(conn: &mut DbConn, id: i64) -> QueryResult<Option<DecisionRow>> {
    meeting_decisions::table
        .find(id)
        .select(DecisionRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

/// The open decisions of the meetings of weeks before `week_key`, with their meeting's
/// week, oldest meeting first.
pub fn open_before(conn: &mut DbConn, week_key: &str) -> QueryResult<Vec<(String, DecisionRow)>> {
    meeting_decisions::table
        .inner_join(meetings::table)
        .filter(meetings::week_key.lt(week_key))
        .filter(meeting_decisions::state.eq(DecisionState::Open))
        .order((meetings::week_key.asc(), meeting_decisions::id.asc()))
        .select((meetings::week_key, DecisionRow::as_select()))
        .load(conn)
}

pub fn insert_decision(conn: &mut DbConn, new: &NewDecision<'_>) -> QueryResult<i64> {
    diesel::insert_into(meeting_decisions::table)
        .values(new)
        .returning(meeting_decisions::id)
        .get_result(conn)
}

pub fn update_decision(
    conn: &mut DbConn,
    id: i64,
    changes: &DecisionChangeset,
) -> QueryResult<usize> {
    diesel::update(meeting_decisions::table.find(id))
        .set(changes)
        .execute(conn)
}
