//! Jobs over the ladder's actions: verdicts that became due, and actions past due.

use super::Progress;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::jobs::JobRow;
use crate::db::{self, DbConn, actions as db_actions};
use crate::domain::effect::Verdict;
use crate::domain::states::ActionStage;
use crate::error::AppResult;
use crate::service::effects;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

fn record(
    conn: &mut DbConn,
    action_id: i64,
    what: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: None,
            entity: "action",
            entity_id: action_id,
            action: what,
            before_json: None,
            after_json: Some(after.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}

/// The actions among `ids` that already have a `what` event: each is recorded once.
fn recorded(conn: &mut DbConn, ids: &[i64], what: &str) -> AppResult<BTreeSet<i64>> {
    Ok(audit::actions_of(conn, "action", ids, &[what])?
        .into_iter()
        .map(|(id, _, _)| id)
        .collect())
}

/// Each launched action whose verdict came due gets a `verdict` event (once); each
/// cluster whose last launched action eliminated it is resolved.
pub fn verdicts(
    conn: &mut DbConn,
    _row: &JobRow,
    now: DateTime<Utc>,
    tz: Tz,
) -> AppResult<Progress> {
    let launched: Vec<_> = db_actions::all(conn)?
        .into_iter()
        .filter(|a| a.stage == ActionStage::Launched && a.launched_on.is_some())
        .collect();
    let ids: Vec<i64> = launched.iter().map(|a| a.id).collect();
    let done = recorded(conn, &ids, "verdict")?;
    let mut changes = 0;
    for action in &launched {
        if done.contains(&action.id) {
            continue;
        }
        let Some(effect) = effects::effect_of(conn, action, tz, now)? else {
            continue;
        };
        if effect.verdict_kind == Verdict::Pending {
            continue;
        }
        record(
            conn,
            action.id,
            "verdict",
            serde_json::json!({
                "cluster_id": action.cluster_id,
                "title": action.title,
                "rung": action.rung,
                "verdict": effect.verdict,
                "rate_ratio": effect.rate_ratio,
                "p_value": effect.p_value,
                "before_rate": effect.before_rate,
                "after_rate": effect.after_rate,
            }),
        )?;
        changes += 1;
    }
    let clusters: BTreeSet<i64> = launched.iter().map(|a| a.cluster_id).collect();
    for cluster in clusters {
        if effects::settle(conn, cluster, tz, now)? {
            changes += 1;
        }
    }
    Ok(Progress {
        changes,
        ..Default::default()
    })
}

/// Each action not launched (nor cancelled) by its due date gets an `overdue` event,
/// once, the day after the date in the organisation's zone.
pub fn overdue(
    conn: &mut DbConn,
    _row: &JobRow,
    now: DateTime<Utc>,
    tz: Tz,
) -> AppResult<Progress> {
    let today = now.with_timezone(&tz).date_naive();
    let late: Vec<_> = db_actions::all(conn)?
        .into_iter()
        .filter(|a| !matches!(a.stage, ActionStage::Launched | ActionStage::Cancelled))
        .filter(|a| a.due_on.is_some_and(|due| due < today))
        .collect();
    let ids: Vec<i64> = late.iter().map(|a| a.id).collect();
    let done = recorded(conn, &ids, "overdue")?;
    let mut changes = 0;
    for action in late.iter().filter(|a| !done.contains(&a.id)) {
        record(
            conn,
            action.id,
            "overdue",
            serde_json::json!({
                "cluster_id": action.cluster_id,
                "title": action.title,
                "rung": action.rung,
                "due_on": action.due_on,
                "stage": action.stage,
                "owner_id": action.owner_id,
            }),
        )?;
        changes += 1;
    }
    Ok(Progress {
        changes,
        period: Some(today.to_string()),
        ..Default::default()
    })
}
