//! Whether each step worked: an action's effect on its cluster's weekly rate and the
//! guard metric of a weight tuning; the coach's advice built from them is in `coaching`.

use crate::db::DbConn;
use crate::db::actions::ActionRow;
use crate::db::clusters as db_clusters;
use crate::db::schema::{category_weeks, cluster_weeks};
use crate::domain::effect::{self, Effect, Goal, GuardCheck, Verdict};
use crate::domain::states::ActionStage;
use crate::domain::week::{WeekKey, current_week};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;

mod coaching;
pub use coaching::*;

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
