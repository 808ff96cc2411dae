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

/// One rung of the team's ladder: the clusters standing on it (the highest rung they
/// launched an action on) and how many of them are resolved.
#[derive(Debug, Clone, Serialize)]
pub struct RungCount {
    pub rung: Rung,
    pub standing: i64,
    pub resolved: i64,
}

/// The team's ladder page: the clusters by rung, the maturity, and the agenda.
#[derive(Debug, Clone, Serialize)]
pub struct TeamLadder {
    /// Rungs 0 to 6, each with its clusters.
    pub rungs: Vec<RungCount>,
    /// Live clusters (not dismissed), and those standing on rung 2 or above.
    pub clusters: i64,
    pub climbed: i64,
    /// Resolved clusters, and those resolved at rung 2 or above.
    pub resolved: i64,
    pub resolved_mature: i64,
    /// Weeks a launched policy stays on the retrospective agenda (set by a mechanism).
    pub watch_weeks: Option<u32>,
    pub agenda: Vec<AgendaItem>,
}

/// The rung from which a fix holds for good: features, policies, mechanisms, KPIs.
const MATURE: Rung = Rung::FEATURE;

pub fn team_ladder(conn: &mut DbConn, tz: Tz, now: DateTime<Utc>) -> AppResult<TeamLadder> {
    let mut rungs: Vec<RungCount> = Rung::ALL
        .iter()
        .map(|&rung| RungCount {
            rung,
            standing: 0,
            resolved: 0,
        })
        .collect();
    for c in crate::db::clusters::live(conn)?
        .into_iter()
        .filter(|c| !c.dismissed)
    {
        let row = &mut rungs[usize::from(c.rung.number())];
        row.standing += 1;
        if c.state == crate::domain::states::ClusterState::Resolved {
            row.resolved += 1;
        }
    }
    let sum = |f: fn(&RungCount) -> i64, from: Rung| -> i64 {
        rungs.iter().filter(|r| r.rung >= from).map(f).sum()
    };
    let (clusters, climbed) = (
        sum(|r| r.standing, Rung::ONE_OFF),
        sum(|r| r.standing, MATURE),
    );
    let (resolved, resolved_mature) = (
        sum(|r| r.resolved, Rung::ONE_OFF),
        sum(|r| r.resolved, MATURE),
    );
    let (watch_weeks, agenda) = agenda(conn, tz, now)?;
    Ok(TeamLadder {
        rungs,
        clusters,
        climbed,
        resolved,
        resolved_mature,
        watch_weeks,
        agenda,
    })
}

/// Weeks under watch set by the latest launched mechanism, if any has launched.
pub fn watch_weeks(actions: &[ActionRow]) -> Option<u32> {
    actions
        .iter()
        .filter(|a| a.rung == Rung::MECHANISM && a.stage == ActionStage::Launched)
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
        .filter(|a| a.rung == Rung::POLICY && a.stage == ActionStage::Launched)
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
