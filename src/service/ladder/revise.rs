//! Correcting a recorded action: a lead changes its title, why, owner, due date or goal
//! (an overdue action handed to someone else; a goal set too low). The goal is planned
//! week by week again; the before and after go on the trail.

use super::Actor;
use super::fields::{self, TypedGoal};
use crate::db::actions::{self as db_actions, ActionRevisionChangeset};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::{self, DbConn, goals as db_goals};
use crate::domain::input::{self, FieldErrors, TITLE_MAX};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use chrono_tz::Tz;
use serde_json::json;

/// What a revision changes; a field left `None` keeps its value (the API's `PATCH`),
/// and the page's form sends them all.
#[derive(Debug, Clone, Default)]
pub struct ActionRevision {
    pub title: Option<String>,
    pub why: Option<String>,
    /// The owner's login.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, or empty for none.
    pub due_on: Option<String>,
    /// The goal: `weekly_rate_below`, `rate_ratio_below`, or empty for none. Its
    /// value, start and week are read with it; a goal not sent keeps the stored one.
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    pub goal_start: Option<f64>,
    pub goal_week: Option<String>,
}

/// Revise action `id`. Every field is checked before anything is written; `errors` are
/// the form's own (numbers that are not).
pub fn revise(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    raw: &ActionRevision,
    tz: Tz,
    mut errors: FieldErrors,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let action = db_actions::find(conn, id)?.ok_or(AppError::NotFound)?;
    let title = match &raw.title {
        Some(t) => errors.check("title", input::required_text(t, TITLE_MAX)),
        None => Some(action.title.clone()),
    };
    let why = match &raw.why {
        Some(w) => errors
            .check("why", input::optional_text(w, 4000))
            .map(Option::unwrap_or_default),
        None => Some(action.why.clone()),
    };
    let owner_id = match raw.owner.as_deref().map(str::trim) {
        Some("") => {
            errors.add("owner", "error.required");
            None
        }
        Some(login) => fields::owner(conn, &mut errors, login)?,
        None => action.owner_id,
    };
    let due_on = match &raw.due_on {
        Some(d) => errors.check("due_on", super::parse_date(d, tz)),
        None => Some(action.due_on),
    };
    let stored_goal = crate::service::goals::stored_plan(conn, id)?;
    let goal_sent = raw.goal_kind.is_some();
    let typed = TypedGoal::read(
        &mut errors,
        raw.goal_kind.as_deref().unwrap_or_default(),
        raw.goal_value,
        raw.goal_start,
        raw.goal_week.as_deref().unwrap_or_default(),
    );
    let today = crate::clock::now().with_timezone(&tz).date_naive();
    let plan = match due_on {
        Some(due_on) if goal_sent && errors.is_empty() => typed.plan(
            conn,
            &mut errors,
            action.cluster_id,
            due_on,
            action.launched_on,
            action.review_after_weeks.clamp(1, 52) as u32,
            today,
        )?,
        _ => None,
    };
    let (Some(title), Some(why), Some(due_on)) = (title, why, due_on) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (goal_kind, goal_value) = if goal_sent {
        typed.stored()
    } else {
        (action.goal_kind.clone(), action.goal_value)
    };
    let changes = ActionRevisionChangeset {
        title,
        why,
        owner_id,
        due_on,
        goal_kind,
        goal_value,
        updated_at: db::now(),
    };
    // The trail keeps the fields that change, before and after.
    let new_goal = if goal_sent { plan } else { stored_goal };
    let pairs = [
        ("title", json!(action.title), json!(changes.title)),
        ("why", json!(action.why), json!(changes.why)),
        ("owner_id", json!(action.owner_id), json!(changes.owner_id)),
        ("due_on", json!(action.due_on), json!(changes.due_on)),
        (
            "goal_kind",
            json!(action.goal_kind),
            json!(changes.goal_kind),
        ),
        (
            "goal_value",
            json!(action.goal_value),
            json!(changes.goal_value),
        ),
        ("goal", json!(stored_goal), json!(new_goal)),
    ];
    let (mut before, mut after) = (serde_json::Map::new(), serde_json::Map::new());
    for (field, b, a) in pairs.into_iter().filter(|(_, b, a)| b != a) {
        before.insert(field.into(), b);
        after.insert(field.into(), a);
    }
    if after.is_empty() {
        return Ok(());
    }
    db::write_transaction(conn, |conn| {
        db_actions::revise(conn, id, &changes)?;
        if goal_sent {
            db_goals::delete(conn, id)?;
            if let Some(plan) = &plan {
                crate::service::goals::store(conn, id, plan)?;
            }
        }
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "action",
                entity_id: id,
                action: "revised",
                before_json: Some(serde_json::Value::Object(before).to_string()),
                after_json: Some(serde_json::Value::Object(after).to_string()),
                at: changes.updated_at,
            },
        )?;
        Ok(())
    })
}
