//! The retrospective agenda: policies under post-launch watch. A launched mechanism
//! (rung 4) sets how many weeks each launched policy (rung 3) stays on the agenda.

use crate::db::DbConn;
use crate::db::actions::{self as db_actions, ActionRow};
use crate::domain::ladder::Rung;
use crate::domain::states::ActionStage;
use crate::domain::week::{WeekKey, current_week};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct AgendaItem {
    pub action_id: i64,
    pub cluster_id: i64,
    pub title: String,
    pub launched_on: String,
    /// This is week `week_no` of `of_weeks` under watch.
    pub week_no: u32,
    pub of_weeks: u32,
}

/// Resolved live clusters by the rung they stand on (0 to 6): the team's maturity.
pub fn resolved_by_rung(conn: &mut DbConn) -> AppResult<Vec<i64>> {
    let mut counts = vec![0i64; 7];
    for c in crate::db::clusters::live(conn)? {
        if c.state == crate::domain::states::ClusterState::Resolved {
            counts[c.rung.clamp(0, 6) as usize] += 1;
        }
    }
    Ok(counts)
}

/// Weeks under watch set by the latest launched mechanism, if any has launched.
pub fn watch_weeks(actions: &[ActionRow]) -> Option<u32> {
    actions
        .iter()
        .filter(|a| {
            a.rung == i32::from(Rung::MECHANISM.number()) && a.stage == ActionStage::Launched
        })
        .max_by_key(|a| (a.launched_on, a.id))
        .and_then(|a| a.retro_weeks)
        .map(|w| w.max(1) as u32)
}

pub fn agenda(
    conn: &mut DbConn,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<(Option<u32>, Vec<AgendaItem>)> {
    let actions = db_actions::all(conn)?;
    let Some(weeks) = watch_weeks(&actions) else {
        return Ok((None, Vec::new()));
    };
    let this_week = current_week(now, tz);
    let mut items = Vec::new();
    for a in actions
        .iter()
        .filter(|a| a.rung == i32::from(Rung::POLICY.number()) && a.stage == ActionStage::Launched)
    {
        let Some(on) = a.launched_on else { continue };
        let launch = WeekKey::of(on);
        // The weeks after the launch week: 1 ..= weeks.
        let mut w = launch;
        for n in 1..=weeks {
            w = w.next();
            if w == this_week {
                items.push(AgendaItem {
                    action_id: a.id,
                    cluster_id: a.cluster_id,
                    title: a.title.clone(),
                    launched_on: on.to_string(),
                    week_no: n,
                    of_weeks: weeks,
                });
            }
        }
    }
    Ok((Some(weeks), items))
}
