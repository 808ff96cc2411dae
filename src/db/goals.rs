//! Goals of actions, broken into weekly targets, and the weeks they were behind.

use super::DbConn;
use super::schema::{action_goals, goal_behind};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = action_goals)]
pub struct GoalRow {
    pub action_id: i64,
    pub start_week: String,
    pub start_level: f64,
    pub target_week: String,
    pub target_value: f64,
}

pub fn insert(conn: &mut DbConn, row: &GoalRow) -> QueryResult<()> {
    diesel::insert_into(action_goals::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Remove an action's plan (a revised goal replaces it).
pub fn delete(conn: &mut DbConn, action_id: i64) -> QueryResult<usize> {
    diesel::delete(action_goals::table.find(action_id)).execute(conn)
}

pub fn find(conn: &mut DbConn, action_id: i64) -> QueryResult<Option<GoalRow>> {
    action_goals::table
        .find(action_id)
        .select(GoalRow::as_select())
        .first(conn)
        .optional()
}

/// Every goal whose weeks reach `week` (written `YYYY-Www`, which orders as text).
pub fn running_in(conn: &mut DbConn, week: &str) -> QueryResult<Vec<GoalRow>> {
    action_goals::table
        .filter(action_goals::start_week.lt(week))
        .filter(action_goals::target_week.ge(week))
        .order(action_goals::action_id.asc())
        .select(GoalRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = goal_behind)]
pub struct BehindRow {
    pub action_id: i64,
    pub week_key: String,
    pub actual: i64,
    pub target: f64,
    pub at: NaiveDateTime,
}

/// The actions already recorded behind in `week`.
pub fn behind_in(conn: &mut DbConn, week: &str) -> QueryResult<Vec<BehindRow>> {
    goal_behind::table
        .filter(goal_behind::week_key.eq(week))
        .order(goal_behind::action_id.asc())
        .select(BehindRow::as_select())
        .load(conn)
}

/// The weeks `action_id` was recorded behind.
pub fn behind_of(conn: &mut DbConn, action_id: i64) -> QueryResult<Vec<BehindRow>> {
    goal_behind::table
        .filter(goal_behind::action_id.eq(action_id))
        .order(goal_behind::week_key.asc())
        .select(BehindRow::as_select())
        .load(conn)
}

pub fn record_behind(conn: &mut DbConn, row: &BehindRow) -> QueryResult<()> {
    diesel::insert_into(goal_behind::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}
