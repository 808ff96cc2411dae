//! Recording an action on a cluster: every field checked before anything is written,
//! the rung's own facts asked for, the goal planned week by week, the first stage (or
//! the launch) stepped, and the cluster's state and rung following.

use super::{ActionInput, after_stage, audit_action, fields, parse_date};
use crate::db::actions::{self as db_actions, NewAction};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters as db_clusters;
use crate::db::{self, DbConn, catalog};
use crate::domain::input::{self, FieldErrors, TITLE_MAX};
use crate::domain::ladder::Rung;
use crate::domain::role::Role;
use crate::domain::states::ActionStage;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use chrono_tz::Tz;

/// Record an action on a cluster. A launch date makes it launched (history may be entered),
/// except for a policy, which launches only after its departments' sign-offs.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    raw: &ActionInput,
    tz: Tz,
) -> AppResult<i64> {
    create_after(conn, actor, cluster_id, raw, tz, FieldErrors::new())
}

/// `create`, for a form whose own reading already found `errors` (a number that is not
/// one): the rest is checked too, so the form shows every error at once, and nothing is
/// written while any stands.
pub fn create_after(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    raw: &ActionInput,
    tz: Tz,
    errors: FieldErrors,
) -> AppResult<i64> {
    record(
        conn,
        actor,
        cluster_id,
        raw,
        tz,
        errors,
        Within::OwnTransaction,
    )
}

/// `create_after` inside the caller's write transaction: a meeting's decision that
/// becomes an action commits with the decision and its events, or not at all.
pub fn create_within(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    raw: &ActionInput,
    tz: Tz,
    errors: FieldErrors,
) -> AppResult<i64> {
    record(conn, actor, cluster_id, raw, tz, errors, Within::Caller)
}

/// Whose transaction an action is recorded in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Within {
    OwnTransaction,
    Caller,
}

fn record(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    raw: &ActionInput,
    tz: Tz,
    mut errors: FieldErrors,
    within: Within,
) -> AppResult<i64> {
    actor.require(Role::Lead)?;
    let rung = errors.check(
        "rung",
        raw.rung.and_then(Rung::for_action).ok_or("error.rung"),
    );
    let title = errors.check("title", input::required_text(&raw.title, TITLE_MAX));
    let why = errors.check("why", input::optional_text(&raw.why, 4000));
    let due_on = errors.check("due_on", parse_date(&raw.due_on, tz));
    let launched_on = errors.check("launched_at", parse_date(&raw.launched_on, tz));
    let review = raw.review_after_weeks.unwrap_or(4);
    if !(1..=52).contains(&review) {
        errors.add("review_after_weeks", "error.weeks");
    }
    let owner_id = if raw.owner.trim().is_empty() {
        Some(actor.id)
    } else {
        fields::owner(conn, &mut errors, &raw.owner)?
    };
    let typed_goal = fields::TypedGoal::read(
        &mut errors,
        &raw.goal_kind,
        raw.goal_value,
        raw.goal_start,
        &raw.goal_week,
    );
    let today = crate::clock::now().with_timezone(&tz).date_naive();
    let goal_plan = match (&due_on, &launched_on) {
        (Some(due_on), Some(launched_on)) if errors.is_empty() => typed_goal.plan(
            conn,
            &mut errors,
            cluster_id,
            *due_on,
            *launched_on,
            review.clamp(1, 52) as u32,
            today,
        )?,
        _ => None,
    };
    let (goal_kind, goal_value) = typed_goal.stored();
    let mut departments = Vec::new();
    for slug in &raw.departments {
        if let Some(id) =
            crate::service::catalog::department_field(conn, &mut errors, "departments", slug)?
        {
            departments.push(id);
        }
    }
    let kpi_department_id = crate::service::catalog::department_field(
        conn,
        &mut errors,
        "kpi_department",
        &raw.kpi_department,
    )?;
    let kpi_item = errors
        .check("kpi_item", input::optional_text(&raw.kpi_item, TITLE_MAX))
        .flatten();
    let kpi_definition = errors
        .check(
            "kpi_definition",
            input::optional_text(&raw.kpi_definition, 2000),
        )
        .flatten();
    let guard_category_id = if raw.guard_category.trim().is_empty() {
        None
    } else {
        match catalog::category_by_slug(conn, raw.guard_category.trim())? {
            Some(c) => Some(c.id),
            None => {
                errors.add("guard_category", "error.unknown_category");
                None
            }
        }
    };
    if let Some(g) = raw.guard_cluster
        && db_clusters::find(conn, g)?.is_none()
    {
        errors.add("guard_cluster", "error.unknown_cluster");
    }
    if let Some(w) = raw.kpi_weight
        && !(w.is_finite() && (0.0..=100.0).contains(&w))
    {
        errors.add("kpi_weight", "error.weight");
    }
    if let Some(m) = raw.guard_margin
        && !(m.is_finite() && (0.0..=10.0).contains(&m))
    {
        errors.add("guard_margin", "error.margin");
    }
    if let Some(r) = raw.retro_weeks
        && !(1..=52).contains(&r)
    {
        errors.add("retro_weeks", "error.weeks");
    }
    // Each rung's own facts.
    match rung.map(Rung::number) {
        Some(3) if departments.is_empty() => errors.add("departments", "error.policy_departments"),
        Some(3) if launched_on.flatten().is_some() => {
            errors.add("launched_at", "error.policy_signoffs")
        }
        Some(4) if raw.retro_weeks.is_none() => errors.add("retro_weeks", "error.required"),
        Some(5) if kpi_department_id.is_none() || kpi_item.is_none() => {
            errors.add("kpi_item", "error.kpi")
        }
        Some(6) if raw.kpi_weight.is_none() => errors.add("kpi_weight", "error.required"),
        Some(6) if raw.guard_cluster.is_none() && guard_category_id.is_none() => {
            errors.add("guard_cluster", "error.guard")
        }
        _ => {}
    }
    let (Some(rung), Some(title), Some(why), Some(due_on), Some(launched_on)) =
        (rung, title, why, due_on, launched_on)
    else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = db::now();
    let stage = if launched_on.is_some() {
        ActionStage::Launched
    } else {
        rung.first_stage()
    };
    let write = |conn: &mut DbConn| -> AppResult<i64> {
        let cluster = db_clusters::find(conn, cluster_id)?.ok_or(AppError::NotFound)?;
        if cluster.merged_into.is_some() {
            return Err(AppError::Conflict("conflict.cluster_merged"));
        }
        let new = NewAction {
            cluster_id,
            rung,
            title: title.clone(),
            why: why.unwrap_or_default(),
            owner_id,
            due_on,
            goal_kind,
            goal_value,
            stage,
            launched_on,
            review_after_weeks: review as i32,
            retro_weeks: raw.retro_weeks.map(|r| r as i32),
            kpi_department_id,
            kpi_item,
            kpi_definition,
            kpi_weight: raw.kpi_weight,
            guard_cluster_id: raw.guard_cluster,
            guard_category_id,
            guard_margin: raw.guard_margin.or(if rung == Rung::WEIGHT {
                Some(0.2)
            } else {
                None
            }),
            created_by: Some(actor.id),
            created_at: now,
            updated_at: now,
        };
        let id = db_actions::insert(conn, &new)?;
        db_actions::set_departments(conn, id, &departments)?;
        if let Some(plan) = &goal_plan {
            crate::service::goals::store(conn, id, plan)?;
        }
        db_actions::add_step(conn, id, rung.first_stage(), today, actor.id, "", now)?;
        if let Some(on) = launched_on {
            db_actions::add_step(conn, id, ActionStage::Launched, on, actor.id, "", now)?;
        }
        if let (Some(w), true) = (raw.kpi_weight, rung == Rung::WEIGHT) {
            db_actions::add_weight(
                conn,
                id,
                w,
                launched_on.unwrap_or(today),
                "initial weight",
                actor.id,
                now,
            )?;
        }
        after_stage(conn, actor, cluster_id, rung, stage)?;
        audit_action(
            conn,
            actor,
            id,
            "created",
            serde_json::json!({"rung": rung.number(), "title": title, "stage": stage, "goal": goal_plan}),
        )?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "cluster",
                entity_id: cluster_id,
                action: "action_added",
                before_json: None,
                after_json: Some(
                    serde_json::json!({"action": id, "rung": rung.number(), "title": title})
                        .to_string(),
                ),
                at: now,
            },
        )?;
        Ok(id)
    };
    match within {
        Within::OwnTransaction => crate::db::write_transaction(conn, write),
        Within::Caller => write(conn),
    }
}
