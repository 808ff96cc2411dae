//! Actions on the ladder and their workflow records.

use super::DbConn;
use super::schema::{
    action_comments, action_departments, action_signoffs, action_steps, action_weights, actions,
    coach_dismissals, users,
};
use crate::domain::ladder::Rung;
use crate::domain::states::{ActionStage, SignoffDecision};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = actions)]
pub struct ActionRow {
    pub id: i64,
    pub cluster_id: i64,
    pub rung: Rung,
    pub title: String,
    pub why: String,
    pub owner_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    pub stage: ActionStage,
    pub launched_on: Option<NaiveDate>,
    pub review_after_weeks: i32,
    pub retro_weeks: Option<i32>,
    pub kpi_department_id: Option<i64>,
    pub kpi_item: Option<String>,
    pub kpi_definition: Option<String>,
    pub kpi_weight: Option<f64>,
    pub guard_cluster_id: Option<i64>,
    pub guard_category_id: Option<i64>,
    pub guard_margin: Option<f64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = actions)]
pub struct NewAction {
    pub cluster_id: i64,
    pub rung: Rung,
    pub title: String,
    pub why: String,
    pub owner_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    pub stage: ActionStage,
    pub launched_on: Option<NaiveDate>,
    pub review_after_weeks: i32,
    pub retro_weeks: Option<i32>,
    pub kpi_department_id: Option<i64>,
    pub kpi_item: Option<String>,
    pub kpi_definition: Option<String>,
    pub kpi_weight: Option<f64>,
    pub guard_cluster_id: Option<i64>,
    pub guard_category_id: Option<i64>,
    pub guard_margin: Option<f64>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewAction) -> QueryResult<i64> {
    diesel::insert_into(actions::table)
        .values(new)
        .returning(actions::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ActionRow>> {
    actions::table
        .find(id)
        .select(ActionRow::as_select())
        .first(conn)
        .optional()
}

pub fn for_cluster(conn: &mut DbConn, cluster_id: i64) -> QueryResult<Vec<ActionRow>> {
    actions::table
        .filter(actions::cluster_id.eq(cluster_id))
        .order(actions::id.asc())
        .select(ActionRow::as_select())
        .load(conn)
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<ActionRow>> {
    actions::table
        .order(actions::id.asc())
        .select(ActionRow::as_select())
        .load(conn)
}

pub fn set_stage(
    conn: &mut DbConn,
    id: i64,
    stage: ActionStage,
    launched_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(actions::table.find(id))
        .set((
            actions::stage.eq(stage),
            actions::launched_on.eq(launched_on),
            actions::updated_at.eq(now),
        ))
        .execute(conn)
}

/// What a revision of an action sets: its title, why, owner, due date and goal.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = actions, treat_none_as_null = true)]
pub struct ActionRevisionChangeset {
    pub title: String,
    pub why: String,
    pub owner_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    pub updated_at: NaiveDateTime,
}

pub fn revise(conn: &mut DbConn, id: i64, changes: &ActionRevisionChangeset) -> QueryResult<usize> {
    diesel::update(actions::table.find(id))
        .set(changes)
        .execute(conn)
}

pub fn set_weight(
    conn: &mut DbConn,
    id: i64,
    weight: f64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(actions::table.find(id))
        .set((actions::kpi_weight.eq(weight), actions::updated_at.eq(now)))
        .execute(conn)
}

/// A merged cluster's actions follow its incidents to the survivor.
pub fn move_cluster(conn: &mut DbConn, from: i64, into: i64) -> QueryResult<usize> {
    diesel::update(actions::table.filter(actions::cluster_id.eq(from)))
        .set(actions::cluster_id.eq(into))
        .execute(conn)
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Step {
    pub stage: ActionStage,
    pub on_date: NaiveDate,
    pub note: String,
    pub actor: Option<String>,
}

pub fn add_step(
    conn: &mut DbConn,
    action_id: i64,
    stage: ActionStage,
    on: NaiveDate,
    actor: i64,
    note: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(action_steps::table)
        .values((
            action_steps::action_id.eq(action_id),
            action_steps::stage.eq(stage),
            action_steps::on_date.eq(on),
            action_steps::actor_id.eq(actor),
            action_steps::note.eq(note),
            action_steps::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn steps(conn: &mut DbConn, action_id: i64) -> QueryResult<Vec<Step>> {
    action_steps::table
        .left_join(users::table.on(users::id.nullable().eq(action_steps::actor_id)))
        .filter(action_steps::action_id.eq(action_id))
        .order(action_steps::id.asc())
        .select((
            action_steps::stage,
            action_steps::on_date,
            action_steps::note,
            users::login.nullable(),
        ))
        .load(conn)
}

pub fn set_departments(conn: &mut DbConn, action_id: i64, departments: &[i64]) -> QueryResult<()> {
    for d in departments {
        diesel::insert_into(action_departments::table)
            .values((
                action_departments::action_id.eq(action_id),
                action_departments::department_id.eq(d),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn departments(conn: &mut DbConn, action_id: i64) -> QueryResult<Vec<i64>> {
    action_departments::table
        .filter(action_departments::action_id.eq(action_id))
        .order(action_departments::department_id.asc())
        .select(action_departments::department_id)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Signoff {
    pub department_id: i64,
    pub decision: SignoffDecision,
    pub comment: String,
    pub at: NaiveDateTime,
    pub user: String,
}

pub fn add_signoff(
    conn: &mut DbConn,
    action_id: i64,
    department_id: i64,
    user_id: i64,
    decision: SignoffDecision,
    comment: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(action_signoffs::table)
        .values((
            action_signoffs::action_id.eq(action_id),
            action_signoffs::department_id.eq(department_id),
            action_signoffs::user_id.eq(user_id),
            action_signoffs::decision.eq(decision),
            action_signoffs::comment.eq(comment),
            action_signoffs::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Every sign-off, oldest first (the latest per department is the one that counts).
pub fn signoffs(conn: &mut DbConn, action_id: i64) -> QueryResult<Vec<Signoff>> {
    action_signoffs::table
        .inner_join(users::table.on(users::id.eq(action_signoffs::user_id)))
        .filter(action_signoffs::action_id.eq(action_id))
        .order(action_signoffs::id.asc())
        .select((
            action_signoffs::department_id,
            action_signoffs::decision,
            action_signoffs::comment,
            action_signoffs::at,
            users::login,
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct WeightRevision {
    pub weight: f64,
    pub on_date: NaiveDate,
    pub reason: String,
    pub actor: Option<String>,
}

pub fn add_weight(
    conn: &mut DbConn,
    action_id: i64,
    weight: f64,
    on: NaiveDate,
    reason: &str,
    actor: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(action_weights::table)
        .values((
            action_weights::action_id.eq(action_id),
            action_weights::weight.eq(weight),
            action_weights::on_date.eq(on),
            action_weights::reason.eq(reason),
            action_weights::actor_id.eq(actor),
            action_weights::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn weights(conn: &mut DbConn, action_id: i64) -> QueryResult<Vec<WeightRevision>> {
    action_weights::table
        .left_join(users::table.on(users::id.nullable().eq(action_weights::actor_id)))
        .filter(action_weights::action_id.eq(action_id))
        .order(action_weights::id.asc())
        .select((
            action_weights::weight,
            action_weights::on_date,
            action_weights::reason,
            users::login.nullable(),
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, serde::Serialize)]
pub struct Comment {
    pub body: String,
    pub at: NaiveDateTime,
    pub user: String,
}

pub fn add_comment(
    conn: &mut DbConn,
    action_id: i64,
    user_id: i64,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(action_comments::table)
        .values((
            action_comments::action_id.eq(action_id),
            action_comments::user_id.eq(user_id),
            action_comments::body.eq(body),
            action_comments::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn comments(conn: &mut DbConn, action_id: i64) -> QueryResult<Vec<Comment>> {
    action_comments::table
        .inner_join(users::table.on(users::id.eq(action_comments::user_id)))
        .filter(action_comments::action_id.eq(action_id))
        .order(action_comments::id.asc())
        .select((action_comments::body, action_comments::at, users::login))
        .load(conn)
}

pub fn dismiss_advice(
    conn: &mut DbConn,
    cluster_id: i64,
    rung: Rung,
    reason: &str,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(coach_dismissals::table)
        .values((
            coach_dismissals::cluster_id.eq(cluster_id),
            coach_dismissals::rung.eq(rung),
            coach_dismissals::reason.eq(reason),
            coach_dismissals::user_id.eq(user_id),
            coach_dismissals::at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// (rung, reason) of every dismissed recommendation of a cluster.
pub fn dismissed_advice(conn: &mut DbConn, cluster_id: i64) -> QueryResult<Vec<(Rung, String)>> {
    coach_dismissals::table
        .filter(coach_dismissals::cluster_id.eq(cluster_id))
        .order(coach_dismissals::id.asc())
        .select((coach_dismissals::rung, coach_dismissals::reason))
        .load(conn)
}
