//! Whether each step worked: an action's effect on its cluster's weekly rate, the guard
//! metric of a weight tuning, and the coach's advice built from that evidence.

use crate::db::DbConn;
use crate::db::actions::{self as db_actions, ActionRow};
use crate::db::clusters as db_clusters;
use crate::db::schema::{category_weeks, cluster_weeks};
use crate::domain::coach::{self, Advice, Situation};
use crate::domain::effect::{self, Effect, Goal, GuardCheck, Verdict};
use crate::domain::ladder::Rung;
use crate::domain::states::ActionStage;
use crate::domain::states::ClusterState;
use crate::domain::week::{WeekKey, current_week};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;

/// The weeks an action is judged over: `t` before the launch week, `t` after it
/// (the launch week itself is left out as it settles).
#[derive(Debug, Clone, Serialize)]
pub struct Windows {
    pub launch_week: WeekKey,
    pub before: Vec<WeekKey>,
    pub after: Vec<WeekKey>,
    /// The first week at which the after-window is complete.
    pub review_week: WeekKey,
}

pub fn windows(launch_week: WeekKey, weeks: u32) -> Windows {
    let before = (1..=weeks).rev().map(|n| launch_week.minus(n)).collect();
    let mut after = Vec::new();
    let mut w = launch_week;
    for _ in 0..weeks {
        w = w.next();
        after.push(w);
    }
    Windows {
        launch_week,
        before,
        after,
        review_week: w.next(),
    }
}

fn keys(weeks: &[WeekKey]) -> Vec<String> {
    weeks.iter().map(|w| w.to_string()).collect()
}

pub fn cluster_count(conn: &mut DbConn, cluster_id: i64, weeks: &[WeekKey]) -> AppResult<u64> {
    let n: Option<i64> = cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(cluster_id))
        .filter(cluster_weeks::week_key.eq_any(keys(weeks)))
        .select(diesel::dsl::sum(cluster_weeks::incidents))
        .first(conn)?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

fn category_count(conn: &mut DbConn, category_id: i64, weeks: &[WeekKey]) -> AppResult<u64> {
    let n: Option<i64> = category_weeks::table
        .filter(category_weeks::category_id.eq(category_id))
        .filter(category_weeks::week_key.eq_any(keys(weeks)))
        .select(diesel::dsl::sum(category_weeks::incidents))
        .first(conn)?;
    Ok(n.unwrap_or(0).max(0) as u64)
}

/// An action's effect, or None before it launched.
#[derive(Debug, Clone, Serialize)]
pub struct EffectView {
    pub before_rate: f64,
    pub after_rate: f64,
    pub rate_ratio: Option<f64>,
    pub p_value: Option<f64>,
    pub verdict: &'static str,
    pub ci95: Option<(f64, f64)>,
    pub goal_met: Option<bool>,
    pub weeks_needed: Option<u32>,
    pub before_count: u64,
    pub after_count: u64,
    pub before_weeks: u32,
    pub after_weeks: u32,
    pub windows: Windows,
    pub guard: Option<GuardView>,
    #[serde(skip)]
    pub verdict_kind: Verdict,
}

#[derive(Debug, Clone, Serialize)]
pub struct GuardView {
    pub metric: String,
    pub before_count: u64,
    pub after_count: u64,
    pub ratio: Option<f64>,
    pub upper95: Option<f64>,
    pub margin: f64,
    pub worsened: bool,
    /// Weekly counts of the guard over both windows, oldest first.
    pub weekly: Vec<(String, u64)>,
}

pub fn goal_of(action: &ActionRow) -> Option<Goal> {
    match (action.goal_kind.as_deref(), action.goal_value) {
        (Some("weekly_rate_below"), Some(v)) => Some(Goal::WeeklyRateBelow(v)),
        (Some("rate_ratio_below"), Some(v)) => Some(Goal::RateRatioBelow(v)),
        _ => None,
    }
}

pub fn effect_of(
    conn: &mut DbConn,
    action: &ActionRow,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<Option<EffectView>> {
    let (Some(launched), ActionStage::Launched) = (action.launched_on, action.stage) else {
        return Ok(None);
    };
    let t = action.review_after_weeks.max(1) as u32;
    let w = windows(WeekKey::of(launched), t);
    let this_week = current_week(now, tz);
    let due = this_week >= w.review_week;
    // While pending, count only the after-weeks that are complete.
    let done: Vec<WeekKey> = w
        .after
        .iter()
        .copied()
        .filter(|wk| *wk < this_week)
        .collect();
    let cluster = db_clusters::survivor(conn, action.cluster_id)?
        .map(|c| c.id)
        .unwrap_or(action.cluster_id);
    let x = cluster_count(conn, cluster, &w.before)?;
    let y = cluster_count(conn, cluster, &done)?;
    let e: Effect = effect::evaluate(x, t, y, done.len() as u32, due, goal_of(action).as_ref());
    let guard = guard_of(conn, action, &w, &done)?;
    Ok(Some(EffectView {
        before_rate: e.before_rate,
        after_rate: e.after_rate,
        rate_ratio: e.rate_ratio,
        p_value: e.p_value,
        verdict: e.verdict.as_str(),
        ci95: e.ci95,
        goal_met: e.goal_met,
        weeks_needed: e.weeks_needed,
        before_count: x,
        after_count: y,
        before_weeks: t,
        after_weeks: done.len() as u32,
        windows: w,
        guard,
        verdict_kind: e.verdict,
    }))
}

fn guard_of(
    conn: &mut DbConn,
    action: &ActionRow,
    w: &Windows,
    done: &[WeekKey],
) -> AppResult<Option<GuardView>> {
    let count = |conn: &mut DbConn, weeks: &[WeekKey]| -> AppResult<u64> {
        match (action.guard_cluster_id, action.guard_category_id) {
            (Some(c), _) => cluster_count(conn, c, weeks),
            (None, Some(c)) => category_count(conn, c, weeks),
            _ => Ok(0),
        }
    };
    let metric = match (action.guard_cluster_id, action.guard_category_id) {
        (Some(c), _) => format!("cluster C{c}"),
        (None, Some(c)) => crate::db::catalog::categories(conn)?
            .into_iter()
            .find(|x| x.id == c)
            .map(|x| format!("category {}", x.slug))
            .unwrap_or_default(),
        _ => return Ok(None),
    };
    let margin = action.guard_margin.unwrap_or(0.2);
    let x = count(conn, &w.before)?;
    let y = count(conn, done)?;
    let check: GuardCheck =
        effect::guard_check(x, w.before.len() as u32, y, done.len() as u32, margin);
    let mut weekly = Vec::new();
    for wk in w.before.iter().chain(w.after.iter()) {
        weekly.push((wk.to_string(), count(conn, std::slice::from_ref(wk))?));
    }
    // With no after-week yet there is nothing to judge.
    let worsened = !done.is_empty() && check.worsened;
    Ok(Some(GuardView {
        metric,
        before_count: x,
        after_count: y,
        ratio: check.ratio,
        upper95: check.upper95,
        margin,
        worsened,
        weekly,
    }))
}

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
    review: &super::review::ReviewCache,
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
    review: &super::review::ReviewCache,
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
    let latest = latest_launched(&actions);
    let in_progress = actions
        .iter()
        .any(|(a, _)| !matches!(a.stage, ActionStage::Launched | ActionStage::Cancelled));
    let dismissed = db_actions::dismissed_advice(conn, cluster.id)?;
    let spike = spiked(conn, review, cluster.id, this_week.previous())?;
    let situation = Situation {
        state: cluster.state,
        current_rung: cluster.rung.number(),
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
            state: cluster.state,
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
            super::clusters::set_state(conn, None, &cluster, ClusterState::Resolved)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// Whether the weekly review flags the cluster as a spike in `week`.
fn spiked(
    conn: &mut DbConn,
    review: &super::review::ReviewCache,
    cluster_id: i64,
    week: WeekKey,
) -> AppResult<bool> {
    let figures = super::review::figures(conn, review, week)?;
    Ok(figures
        .clusters
        .iter()
        .any(|c| c.id == cluster_id && c.cmp.spike))
}

#[cfg(test)]
mod tests {
    use super::windows;

    #[test]
    fn windows_leave_the_launch_week_out() {
        let w = windows("2026-W10".parse().unwrap(), 4);
        let s = |v: &[crate::domain::week::WeekKey]| {
            v.iter().map(|w| w.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            s(&w.before),
            ["2026-W06", "2026-W07", "2026-W08", "2026-W09"]
        );
        assert_eq!(
            s(&w.after),
            ["2026-W11", "2026-W12", "2026-W13", "2026-W14"]
        );
        assert_eq!(w.review_week.to_string(), "2026-W15");
        let w = windows("2026-W01".parse().unwrap(), 2);
        assert_eq!(s(&w.before), ["2025-W51", "2025-W52"]);
    }
}
