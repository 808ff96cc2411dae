//! The ladder's use cases: record an action at a rung, move it through its workflow
//! (feature stages, policy sign-offs, weight revisions), and comment on it.

use super::accounts::Actor;
use crate::db::actions::{self as db_actions, NewAction};
pub use crate::db::actions::{ActionRow, Comment, Signoff, Step, WeightRevision};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters::{self as db_clusters, ClusterChangeset};
use crate::db::{self, DbConn, catalog, users};
use crate::domain::input::{self, FieldErrors, TITLE_MAX};
use crate::domain::ladder::Rung;
use crate::domain::role::Role;
use crate::domain::states::ActionStage;
use crate::domain::states::ClusterState;
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

mod history;
mod page;
mod shown;
mod workflow;
pub use history::{ClusterHistory, history};
pub use page::{ActionPage, action_page};
pub use shown::*;

pub use workflow::*;

/// An action as typed into the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub rung: Option<i64>,
    pub title: String,
    pub why: String,
    pub owner: String,
    pub due_on: String,
    pub goal_kind: String,
    pub goal_value: Option<f64>,
    /// The weekly count the goal starts from; empty for the cluster's baseline.
    pub goal_start: Option<f64>,
    /// The week the goal is due (`2026-W12`); empty for the due date's or review's week.
    pub goal_week: String,
    pub launched_on: String,
    pub review_after_weeks: Option<i64>,
    pub departments: Vec<String>,
    pub retro_weeks: Option<i64>,
    pub kpi_department: String,
    pub kpi_item: String,
    pub kpi_definition: String,
    pub kpi_weight: Option<f64>,
    pub guard_cluster: Option<i64>,
    pub guard_category: String,
    pub guard_margin: Option<f64>,
}

/// A date as `YYYY-MM-DD`, or an RFC 3339 instant read in the organisation's zone.
pub fn parse_date(raw: &str, tz: Tz) -> Result<Option<NaiveDate>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&tz).date_naive())
        })
        .ok_or("error.date")?;
    if !(2000..=2100).contains(&date.year()) {
        return Err("error.datetime_range");
    }
    Ok(Some(date))
}

use chrono::Datelike;

fn audit_action(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    action: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: Some(actor.id),
            entity: "action",
            entity_id: id,
            action,
            before_json: None,
            after_json: Some(after.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}

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
        match users::find_by_login(conn, raw.owner.trim())? {
            Some(u) => Some(u.id),
            None => {
                errors.add("owner", "error.unknown_user");
                None
            }
        }
    };
    let (goal_kind, goal_value) = match (raw.goal_kind.trim(), raw.goal_value) {
        ("", None) => (None, None),
        (kind @ ("weekly_rate_below" | "rate_ratio_below"), Some(v))
            if v.is_finite() && (0.0..1e6).contains(&v) =>
        {
            (Some(kind.to_string()), Some(v))
        }
        ("weekly_rate_below" | "rate_ratio_below", _) => {
            errors.add("goal_value", "error.goal_value");
            (None, None)
        }
        _ => {
            errors.add("goal_kind", "error.goal_kind");
            (None, None)
        }
    };
    if let Some(s) = raw.goal_start
        && !(s.is_finite() && (0.0..1e6).contains(&s))
    {
        errors.add("goal_start", "error.goal_start");
    }
    let goal_week = match raw.goal_week.trim() {
        "" => None,
        w => match w.parse::<WeekKey>() {
            Ok(week) => Some(week),
            Err(_) => {
                errors.add("goal_week", "error.goal_week");
                None
            }
        },
    };
    let today = crate::clock::now().with_timezone(&tz).date_naive();
    let goal_plan = match (&goal_kind, goal_value, &due_on, &launched_on) {
        (Some(kind), Some(value), Some(due_on), Some(launched_on)) if errors.is_empty() => {
            let facts = super::goals::GoalFacts {
                kind,
                value,
                start_level: raw.goal_start,
                target_week: goal_week,
                due_on: *due_on,
                launched_on: *launched_on,
                review_after_weeks: review.clamp(1, 52) as u32,
                today,
            };
            match super::goals::plan(conn, cluster_id, &facts)? {
                Ok(plan) => Some(plan),
                Err((field, key)) => {
                    errors.add(field, key);
                    None
                }
            }
        }
        _ => None,
    };
    let mut departments = Vec::new();
    for slug in &raw.departments {
        if let Some(id) = super::catalog::department_field(conn, &mut errors, "departments", slug)?
        {
            departments.push(id);
        }
    }
    let kpi_department_id =
        super::catalog::department_field(conn, &mut errors, "kpi_department", &raw.kpi_department)?;
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
            super::goals::store(conn, id, plan)?;
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

/// A cluster with an action under way is `acting`; a launch lifts its rung.
fn after_stage(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    rung: Rung,
    stage: ActionStage,
) -> AppResult<()> {
    let cluster = db_clusters::find(conn, cluster_id)?.ok_or(AppError::NotFound)?;
    let mut changes = ClusterChangeset {
        updated_at: Some(db::now()),
        ..Default::default()
    };
    let launched = stage == ActionStage::Launched;
    if launched && rung > cluster.rung {
        changes.rung = Some(rung);
    }
    if cluster.state == ClusterState::Open || (launched && cluster.state == ClusterState::Regressed)
    {
        super::clusters::set_state(conn, Some(actor), &cluster, ClusterState::Acting)?;
    }
    db_clusters::update(conn, cluster_id, &changes)?;
    Ok(())
}

fn load(conn: &mut DbConn, id: i64) -> AppResult<(ActionRow, Rung)> {
    let action = db_actions::find(conn, id)?.ok_or(AppError::NotFound)?;
    let rung = Some(action.rung)
        .filter(|r| *r >= Rung::PROCESS)
        .ok_or_else(|| AppError::internal("bad rung stored"))?;
    Ok((action, rung))
}

#[cfg(test)]
mod tests {
    use super::parse_date;
    use chrono_tz::UTC;

    #[test]
    fn dates_keep_to_2000_to_2100() {
        assert_eq!(parse_date(" ", UTC), Ok(None));
        assert!(parse_date("2026-11-24", UTC).unwrap().is_some());
        assert_eq!(parse_date("1999-12-31", UTC), Err("error.datetime_range"));
        assert_eq!(parse_date("2101-01-01", UTC), Err("error.datetime_range"));
        // A year before the common era is out of range, not its number of years BCE.
        assert_eq!(parse_date("-2050-01-01", UTC), Err("error.datetime_range"));
        assert_eq!(parse_date("-1999-06-01", UTC), Err("error.datetime_range"));
    }
}
