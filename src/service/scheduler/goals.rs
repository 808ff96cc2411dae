//! Goals behind: at the close of each week, every goal whose count that week was above
//! its weekly target gets a `goal_behind` event, once per action and week, so that a
//! goal falling behind is flagged before its review date, not after.

use super::Progress;
use crate::db::actions as db_actions;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::jobs::JobRow;
use crate::db::{self, DbConn};
use crate::domain::states::ActionStage;
use crate::domain::week::{WeekKey, current_week};
use crate::error::AppResult;
use crate::service::goals;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;

/// Weeks a run catches up at most (after an instance was down long).
const CATCH_UP_WEEKS: u32 = 4;

/// Every week closed since the last run (the last closed one on the first run).
pub fn behind(conn: &mut DbConn, row: &JobRow, now: DateTime<Utc>, tz: Tz) -> AppResult<Progress> {
    let closed = current_week(now, tz).previous();
    let mut week = match row
        .last_period
        .as_deref()
        .and_then(|p| p.parse::<WeekKey>().ok())
    {
        Some(last) if last >= closed => {
            return Ok(Progress {
                period: row.last_period.clone(),
                ..Default::default()
            });
        }
        Some(last) => last.next().max(closed.minus(CATCH_UP_WEEKS - 1)),
        None => closed,
    };
    let actions: HashMap<i64, db_actions::ActionRow> = db_actions::all(conn)?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    // A cancelled action's goal is no longer followed.
    let cluster_of: HashMap<i64, i64> = actions
        .values()
        .filter(|a| a.stage != ActionStage::Cancelled)
        .map(|a| (a.id, a.cluster_id))
        .collect();
    let mut changes = 0;
    loop {
        for s in goals::newly_behind(conn, week, &cluster_of)? {
            let title = actions
                .get(&s.action_id)
                .map(|a| a.title.clone())
                .unwrap_or_default();
            goals::record_behind(conn, week, &s)?;
            audit::record(
                conn,
                &NewAuditEvent {
                    actor_id: None,
                    entity: "action",
                    entity_id: s.action_id,
                    action: "goal_behind",
                    before_json: None,
                    after_json: Some(
                        serde_json::json!({
                            "cluster_id": s.cluster_id,
                            "title": title,
                            "week": week.to_string(),
                            "actual": s.actual,
                            "target": s.target,
                            "stage": s.stage,
                            "of_stages": s.of_stages,
                            "target_week": s.target_week.to_string(),
                            "target_value": s.target_value,
                        })
                        .to_string(),
                    ),
                    at: db::now(),
                },
            )?;
            changes += 1;
        }
        if week >= closed {
            break;
        }
        week = week.next();
    }
    Ok(Progress {
        period: Some(closed.to_string()),
        changes,
        ..Default::default()
    })
}
