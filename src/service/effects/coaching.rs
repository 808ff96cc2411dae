//! The coach of a cluster: which rung it stands on, which to consider next and why,
//! from its actions' verdicts and its last weeks; and a cluster settled once its last
//! action's verdict is in (the scheduler's `verdicts` job).

use super::{EffectView, cluster_count, effect_of};
use crate::db::DbConn;
use crate::db::actions::{self as db_actions, ActionRow};
use crate::db::clusters as db_clusters;
use crate::domain::coach::{self, Advice, Situation};
use crate::domain::effect::Verdict;
use crate::domain::ladder::Rung;
use crate::domain::states::ActionStage;
use crate::domain::states::ClusterState;
use crate::domain::week::{WeekKey, current_week};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// The coach's answer with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct CoachView {
    pub current_rung: u8,
    pub recommended_rung: Option<u8>,
    pub question: Option<&'static str>,
    pub reason: &'static str,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub state: ClusterState,
    /// Whether the weekly review flagged a spike in the last complete week.
    pub spike: bool,
    pub last_four_weeks: Vec<(String, u32)>,
    pub latest_action: Option<LatestAction>,
    pub dismissed: Vec<(Rung, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LatestAction {
    pub id: i64,
    pub rung: Rung,
    pub title: String,
    pub verdict: &'static str,
    pub rate_ratio: Option<f64>,
    pub p_value: Option<f64>,
}

/// Advise on a cluster. Reading changes nothing: the scheduler settles the cluster's
/// state from the same evidence (`settle`).
pub fn coach(
    conn: &mut DbConn,
    cluster_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    review: &crate::service::review::ReviewCache,
) -> AppResult<CoachView> {
    Ok(coach_and_actions(conn, cluster_id, tz, now, review)?.0)
}

/// Every action of a cluster with its effect as of `now`.
pub fn actions_with_effects(
    conn: &mut DbConn,
    cluster_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<ActionsWithEffects> {
    let mut out = Vec::new();
    for a in db_actions::for_cluster(conn, cluster_id)? {
        let e = effect_of(conn, &a, tz, now)?;
        out.push((a, e));
    }
    Ok(out)
}

/// A cluster's actions, each with its effect (None before launch).
pub type ActionsWithEffects = Vec<(ActionRow, Option<EffectView>)>;

/// The coach's advice and the actions with their effects it was built from, each
/// effect computed once (the cluster page shows both).
pub fn coach_and_actions(
    conn: &mut DbConn,
    cluster_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
    review: &crate::service::review::ReviewCache,
) -> AppResult<(CoachView, ActionsWithEffects)> {
    let cluster = db_clusters::find(conn, cluster_id)?.ok_or(AppError::NotFound)?;
    let this_week = current_week(now, tz);
    let last_four: Vec<WeekKey> = (1..=4).rev().map(|n| this_week.minus(n)).collect();
    let mut counts = [0u32; 4];
    let mut last_four_weeks = Vec::new();
    for (i, wk) in last_four.iter().enumerate() {
        counts[i] = cluster_count(conn, cluster.id, std::slice::from_ref(wk))? as u32;
        last_four_weeks.push((wk.to_string(), counts[i]));
    }
    let actions = actions_with_effects(conn, cluster.id, tz, now)?;
    // As of a day in the past (a past week's retrospective), the actions launched after
    // it are not yet known, nor the rung and state they brought.
    let day = now.with_timezone(&tz).date_naive();
    let after_day = |a: &ActionRow| a.launched_on.is_some_and(|d| d > day);
    let known: ActionsWithEffects = actions
        .iter()
        .filter(|(a, _)| !after_day(a))
        .cloned()
        .collect();
    let latest = latest_launched(&known);
    let (state, rung) = if actions.iter().any(|(a, _)| after_day(a)) {
        let rung = known
            .iter()
            .filter(|(_, e)| e.is_some())
            .map(|(a, _)| a.rung)
            .max()
            .unwrap_or(Rung::ONE_OFF);
        let state = match &latest {
            Some((_, e)) if e.verdict_kind == Verdict::Eliminated => ClusterState::Resolved,
            Some(_) => ClusterState::Acting,
            None => ClusterState::Open,
        };
        (state, rung)
    } else {
        (cluster.state, cluster.rung)
    };
    let in_progress = actions
        .iter()
        .any(|(a, _)| !matches!(a.stage, ActionStage::Launched | ActionStage::Cancelled));
    let dismissed = db_actions::dismissed_advice(conn, cluster.id)?;
    let spike = spiked(conn, review, cluster.id, this_week.previous())?;
    let situation = Situation {
        state,
        current_rung: rung.number(),
        last_four_weeks: counts,
        spike,
        latest_launched: latest
            .as_ref()
            .map(|(a, e)| (a.rung.number(), e.verdict_kind)),
        action_in_progress: in_progress && latest.is_none(),
        dismissed_rungs: dismissed.iter().map(|(r, _)| r.number()).collect(),
    };
    let Advice {
        current_rung,
        recommended_rung,
        question,
        reason,
    } = coach::advise(&situation);
    let view = CoachView {
        current_rung,
        recommended_rung,
        question,
        reason,
        evidence: Evidence {
            state,
            spike,
            last_four_weeks,
            latest_action: latest.map(|(a, e)| LatestAction {
                id: a.id,
                rung: a.rung,
                title: a.title,
                verdict: e.verdict,
                rate_ratio: e.rate_ratio,
                p_value: e.p_value,
            }),
            dismissed,
        },
    };
    Ok((view, actions))
}

/// The launched action launched last (then the newest), with its effect.
pub fn latest_launched(actions: &ActionsWithEffects) -> Option<(ActionRow, EffectView)> {
    let mut latest: Option<(&ActionRow, &EffectView)> = None;
    for (a, e) in actions {
        let Some(e) = e else { continue };
        let newer = latest.is_none_or(|(b, _)| (a.launched_on, a.id) > (b.launched_on, b.id));
        if newer {
            latest = Some((a, e));
        }
    }
    latest.map(|(a, e)| (a.clone(), e.clone()))
}

/// Settle a cluster's state from its evidence as of `now` (the scheduler calls it): the
/// last launched action's `eliminated` verdict resolves an open or acting cluster, to be
/// watched for regression (a new incident flags it `regressed`). Whether it changed.
pub fn settle(conn: &mut DbConn, cluster_id: i64, tz: Tz, now: DateTime<Utc>) -> AppResult<bool> {
    let Some(cluster) = db_clusters::find(conn, cluster_id)? else {
        return Ok(false);
    };
    if cluster.merged_into.is_some()
        || cluster.dismissed
        || !matches!(cluster.state, ClusterState::Open | ClusterState::Acting)
    {
        return Ok(false);
    }
    let actions = actions_with_effects(conn, cluster.id, tz, now)?;
    match latest_launched(&actions) {
        Some((_, e)) if e.verdict_kind == Verdict::Eliminated => {
            crate::service::clusters::set_state(conn, None, &cluster, ClusterState::Resolved)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Whether the weekly review flags the cluster as a spike in `week`.
fn spiked(
    conn: &mut DbConn,
    review: &crate::service::review::ReviewCache,
    cluster_id: i64,
    week: WeekKey,
) -> AppResult<bool> {
    let figures = crate::service::review::figures(conn, review, week)?;
    Ok(figures
        .clusters
        .iter()
        .any(|c| c.id == cluster_id && c.cmp.spike))
}
