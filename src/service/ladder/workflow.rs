//! An action's way up its rung: stages, policy sign-offs, weight revisions, comments,
//! and a lead's word on the coach's advice.

use super::{after_stage, audit_action, load, parse_date};
use crate::db::actions::{self as db_actions};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters::{self as db_clusters};
use crate::db::{self, DbConn, catalog};
use crate::domain::input::{self};
use crate::domain::ladder::{Rung, policy_may_launch};
use crate::domain::role::Role;
use crate::domain::states::{ActionStage, SignoffDecision};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use chrono_tz::Tz;

/// Move an action to a later stage of its workflow, dated (in the past for history).
pub fn advance(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    to: &str,
    on: &str,
    note: &str,
    tz: Tz,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let to = ActionStage::parse(to).ok_or_else(|| AppError::field("stage", "error.stage"))?;
    let on = parse_date(on, tz)
        .map_err(|k| AppError::field("on", k))?
        .unwrap_or_else(|| crate::clock::now().with_timezone(&tz).date_naive());
    let note = input::optional_text(note, 2000)
        .map_err(|k| AppError::field("note", k))?
        .unwrap_or_default();
    crate::db::write_transaction(conn, |conn| {
        let (action, rung) = load(conn, id)?;
        if !rung.may_move(action.stage, to) {
            return Err(AppError::field("stage", "error.stage"));
        }
        if to == ActionStage::Launched && rung == Rung::POLICY {
            let departments = db_actions::departments(conn, id)?;
            let signoffs = db_actions::signoffs(conn, id)?;
            let latest: Vec<(i64, SignoffDecision)> = departments
                .iter()
                .filter_map(|d| {
                    signoffs
                        .iter()
                        .rev()
                        .find(|s| s.department_id == *d)
                        .map(|s| (*d, s.decision))
                })
                .collect();
            if policy_may_launch(&departments, &latest).is_err() {
                return Err(AppError::Conflict("conflict.policy_unsigned"));
            }
        }
        let now = db::now();
        let launched_on = if to == ActionStage::Launched {
            Some(on)
        } else {
            action.launched_on
        };
        db_actions::set_stage(conn, id, to, launched_on, now)?;
        db_actions::add_step(conn, id, to, on, actor.id, &note, now)?;
        after_stage(conn, actor, action.cluster_id, rung, to)?;
        audit_action(
            conn,
            actor,
            id,
            "stage",
            serde_json::json!({"from": action.stage, "to": to, "on": on.to_string()}),
        )
    })
}

/// A department's word on a policy: its own people (or an admin) sign for it.
pub fn sign_off(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    department: &str,
    decision: &str,
    comment: &str,
) -> AppResult<()> {
    let decision = SignoffDecision::parse(decision.trim())
        .ok_or_else(|| AppError::field("decision", "error.decision"))?;
    let comment = input::optional_text(comment, 2000)
        .map_err(|k| AppError::field("comment", k))?
        .unwrap_or_default();
    if decision == SignoffDecision::Object && comment.is_empty() {
        return Err(AppError::field("comment", "error.objection_reason"));
    }
    crate::db::write_transaction(conn, |conn| {
        let (action, rung) = load(conn, id)?;
        if rung != Rung::POLICY {
            return Err(AppError::Conflict("conflict.not_policy"));
        }
        if action.stage == ActionStage::Launched {
            return Err(AppError::Conflict("conflict.policy_launched"));
        }
        let dept = catalog::department_by_slug(conn, department.trim())?
            .ok_or_else(|| AppError::field("department", "error.unknown_department"))?;
        if !db_actions::departments(conn, id)?.contains(&dept.id) {
            return Err(AppError::field("department", "error.not_involved"));
        }
        if actor.department_id != Some(dept.id) && !actor.is_admin() {
            return Err(AppError::Forbidden);
        }
        db_actions::add_signoff(conn, id, dept.id, actor.id, decision, &comment, db::now())?;
        audit_action(
            conn,
            actor,
            id,
            "signoff",
            serde_json::json!({"department": dept.slug, "decision": decision, "comment": comment}),
        )
    })
}

/// A new weight for a KPI weight tuning, with its date and reason.
pub fn revise_weight(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    weight: f64,
    on: &str,
    reason: &str,
    tz: Tz,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    if !(weight.is_finite() && (0.0..=100.0).contains(&weight)) {
        return Err(AppError::field("weight", "error.weight"));
    }
    let on = parse_date(on, tz)
        .map_err(|k| AppError::field("on", k))?
        .unwrap_or_else(|| crate::clock::now().with_timezone(&tz).date_naive());
    let reason = input::required_text(reason, 2000).map_err(|k| AppError::field("reason", k))?;
    crate::db::write_transaction(conn, |conn| {
        let (action, rung) = load(conn, id)?;
        if rung != Rung::WEIGHT {
            return Err(AppError::Conflict("conflict.not_weight"));
        }
        let now = db::now();
        db_actions::add_weight(conn, id, weight, on, &reason, actor.id, now)?;
        db_actions::set_weight(conn, id, weight, now)?;
        audit_action(
            conn,
            actor,
            id,
            "weight",
            serde_json::json!({"from": action.kpi_weight, "to": weight, "reason": reason}),
        )
    })
}

pub fn comment(conn: &mut DbConn, actor: &Actor, id: i64, body: &str) -> AppResult<()> {
    let body = input::required_text(body, 4000).map_err(|k| AppError::field("body", k))?;
    crate::db::write_transaction(conn, |conn| {
        load(conn, id)?;
        db_actions::add_comment(conn, id, actor.id, &body, db::now())?;
        Ok(())
    })
}

/// A lead sets a coach recommendation aside, with the reason.
pub fn dismiss_advice(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    rung: i64,
    reason: &str,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let rung = Rung::new(rung).ok_or_else(|| AppError::field("rung", "error.rung"))?;
    let reason = input::required_text(reason, 2000).map_err(|k| AppError::field("reason", k))?;
    crate::db::write_transaction(conn, |conn| {
        db_clusters::find(conn, cluster_id)?.ok_or(AppError::NotFound)?;
        db_actions::dismiss_advice(conn, cluster_id, rung, &reason, actor.id, db::now())?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "cluster",
                entity_id: cluster_id,
                action: "advice_dismissed",
                before_json: None,
                after_json: Some(
                    serde_json::json!({"rung": rung.number(), "reason": reason}).to_string(),
                ),
                at: db::now(),
            },
        )?;
        Ok(())
    })
}
