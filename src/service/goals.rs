//! Goals tracked week by week: an action's goal planned when it is recorded (start
//! level, target value, target week), each week's count from the rollups beside its
//! target, and the weeks a goal fell behind (recorded by the scheduler's `goals` job).

use crate::db::DbConn;
use crate::db::clusters as db_clusters;
use crate::db::goals::{self as db_goals, BehindRow, GoalRow};
use crate::db::schema::cluster_weeks;
use crate::domain::comparison::BASELINE_WEEKS;
use crate::domain::goal::{self, GoalPlan};
use crate::domain::week::{WeekKey, current_week};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// What an action's goal is planned from, as recorded.
pub struct GoalFacts<'a> {
    pub kind: &'a str,
    pub value: f64,
    /// The level to start from; else the cluster's baseline weekly mean.
    pub start_level: Option<f64>,
    /// The target week; else the due date's week, else the review's.
    pub target_week: Option<WeekKey>,
    pub due_on: Option<NaiveDate>,
    pub launched_on: Option<NaiveDate>,
    pub review_after_weeks: u32,
    pub today: NaiveDate,
}

/// A goal's plan for a cluster: it starts in the launch week (or this week when the
/// action is not launched yet), from the mean of the `BASELINE_WEEKS` weeks before it.
/// The error names the field at fault and its message key.
pub fn plan(
    conn: &mut DbConn,
    cluster_id: i64,
    facts: &GoalFacts<'_>,
) -> AppResult<Result<GoalPlan, (&'static str, &'static str)>> {
    let this_week = WeekKey::of(facts.today);
    let start_week = facts
        .launched_on
        .map(WeekKey::of)
        .unwrap_or(this_week)
        .min(this_week);
    let start_level = match facts.start_level {
        Some(level) => level,
        None => {
            let weeks: Vec<WeekKey> = (1..=BASELINE_WEEKS).map(|n| start_week.minus(n)).collect();
            let n = super::effects::cluster_count(conn, cluster_id, &weeks)?;
            ((n as f64 / f64::from(BASELINE_WEEKS)) * 100.0).round() / 100.0
        }
    };
    let Some(target_value) = goal::target_value(facts.kind, facts.value, start_level) else {
        return Ok(Err(("goal_kind", "error.goal_kind")));
    };
    let target_week = match (facts.target_week, facts.due_on.map(WeekKey::of)) {
        (Some(week), _) => week,
        (None, Some(due)) if due > start_week => due,
        _ => {
            let mut week = start_week;
            for _ in 0..facts.review_after_weeks.max(1) {
                week = week.next();
            }
            week
        }
    };
    Ok(
        GoalPlan::new(start_week, start_level, target_week, target_value).map_err(|key| {
            let field = match key {
                "error.goal_start" => "goal_start",
                "error.goal_value" => "goal_value",
                _ => "goal_week",
            };
            (field, key)
        }),
    )
}

/// Store an action's plan (inside the action's own transaction).
pub fn store(conn: &mut DbConn, action_id: i64, plan: &GoalPlan) -> AppResult<()> {
    db_goals::insert(
        conn,
        &GoalRow {
            action_id,
            start_week: plan.start_week.to_string(),
            start_level: plan.start_level,
            target_week: plan.target_week.to_string(),
            target_value: plan.target_value,
        },
    )?;
    Ok(())
}

/// An action's stored plan, if it has a goal.
pub fn stored_plan(conn: &mut DbConn, action_id: i64) -> AppResult<Option<GoalPlan>> {
    db_goals::find(conn, action_id)?
        .as_ref()
        .map(plan_of)
        .transpose()
}

fn plan_of(row: &GoalRow) -> AppResult<GoalPlan> {
    let week = |s: &str| {
        s.parse::<WeekKey>()
            .map_err(|_| AppError::internal("a goal's stored week is not a week"))
    };
    Ok(GoalPlan {
        start_week: week(&row.start_week)?,
        start_level: row.start_level,
        target_week: week(&row.target_week)?,
        target_value: row.target_value,
    })
}

/// One week of a goal: its target beside its count.
#[derive(Debug, Clone, Serialize)]
pub struct GoalWeek {
    pub week: WeekKey,
    /// 1 for the first week after the start.
    pub stage: u32,
    pub target: f64,
    /// The cluster's count that week; None for a week still to come.
    pub actual: Option<u64>,
    /// Whether the week has ended.
    pub closed: bool,
    /// Its count is above its target.
    pub behind: bool,
}

/// An action's goal and its weeks, as the action page, the API and the chart show it.
#[derive(Debug, Clone, Serialize)]
pub struct GoalProgress {
    #[serde(flatten)]
    pub plan: GoalPlan,
    pub weeks: Vec<GoalWeek>,
}

impl GoalProgress {
    /// The weeks behind so far.
    pub fn behind_weeks(&self) -> usize {
        self.weeks.iter().filter(|w| w.behind).count()
    }
}

/// The counts of a cluster (or the one it was merged into) in `weeks`, by week.
fn counts(
    conn: &mut DbConn,
    cluster_id: i64,
    weeks: &[WeekKey],
) -> AppResult<HashMap<String, u64>> {
    let cluster = db_clusters::survivor(conn, cluster_id)?
        .map(|c| c.id)
        .unwrap_or(cluster_id);
    let keys: Vec<String> = weeks.iter().map(|w| w.to_string()).collect();
    Ok(cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(cluster))
        .filter(cluster_weeks::week_key.eq_any(keys))
        .select((cluster_weeks::week_key, cluster_weeks::incidents))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .map(|(w, n)| (w, n.max(0) as u64))
        .collect())
}

/// An action's goal week by week as of `now`, or None when it has no goal.
pub fn progress(
    conn: &mut DbConn,
    action_id: i64,
    cluster_id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<Option<GoalProgress>> {
    let Some(row) = db_goals::find(conn, action_id)? else {
        return Ok(None);
    };
    let plan = plan_of(&row)?;
    let this_week = current_week(now, tz);
    let targets = plan.weekly_targets();
    let known: Vec<WeekKey> = targets
        .iter()
        .map(|t| t.week)
        .filter(|w| *w <= this_week)
        .collect();
    let counts = counts(conn, cluster_id, &known)?;
    let weeks = targets
        .into_iter()
        .map(|t| {
            let actual = (t.week <= this_week)
                .then(|| counts.get(&t.week.to_string()).copied().unwrap_or(0));
            GoalWeek {
                week: t.week,
                stage: t.stage,
                target: t.target,
                actual,
                closed: t.week < this_week,
                behind: actual.is_some_and(|n| goal::behind(n, t.target)),
            }
        })
        .collect();
    Ok(Some(GoalProgress { plan, weeks }))
}

/// A goal's standing in one week, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct WeekStanding {
    pub action_id: i64,
    pub cluster_id: i64,
    pub stage: u32,
    pub of_stages: u32,
    pub target: f64,
    pub actual: u64,
    pub behind: bool,
    pub target_week: WeekKey,
    pub target_value: f64,
}

/// Every goal with a target in `week`, its count beside it. `cluster_of` gives each
/// action's cluster.
pub fn standings(
    conn: &mut DbConn,
    week: WeekKey,
    cluster_of: &HashMap<i64, i64>,
) -> AppResult<Vec<WeekStanding>> {
    let mut out = Vec::new();
    for row in db_goals::running_in(conn, &week.to_string())? {
        let Some(&cluster_id) = cluster_of.get(&row.action_id) else {
            continue;
        };
        let plan = plan_of(&row)?;
        let Some(target) = plan.target_for(week) else {
            continue;
        };
        let actual = counts(conn, cluster_id, &[week])?
            .values()
            .copied()
            .sum::<u64>();
        out.push(WeekStanding {
            action_id: row.action_id,
            cluster_id,
            stage: goal::weeks_between(plan.start_week, week),
            of_stages: plan.weeks(),
            target,
            actual,
            behind: goal::behind(actual, target),
            target_week: plan.target_week,
            target_value: plan.target_value,
        });
    }
    Ok(out)
}

/// The goals found behind in a closed `week` that were not recorded yet: the scheduler
/// records each with its event. `cluster_of` gives each action's cluster.
pub fn newly_behind(
    conn: &mut DbConn,
    week: WeekKey,
    cluster_of: &HashMap<i64, i64>,
) -> AppResult<Vec<WeekStanding>> {
    let known: Vec<i64> = db_goals::behind_in(conn, &week.to_string())?
        .into_iter()
        .map(|b| b.action_id)
        .collect();
    Ok(standings(conn, week, cluster_of)?
        .into_iter()
        .filter(|s| s.behind && !known.contains(&s.action_id))
        .collect())
}

pub fn record_behind(conn: &mut DbConn, week: WeekKey, s: &WeekStanding) -> AppResult<()> {
    db_goals::record_behind(
        conn,
        &BehindRow {
            action_id: s.action_id,
            week_key: week.to_string(),
            actual: s.actual as i64,
            target: s.target,
            at: crate::db::now(),
        },
    )?;
    Ok(())
}

/// The weekly targets of a cluster's goals, by week (a later action's where two
/// overlap), for the cluster's chart.
pub fn cluster_targets(conn: &mut DbConn, action_ids: &[i64]) -> AppResult<HashMap<WeekKey, f64>> {
    let mut ids = action_ids.to_vec();
    ids.sort_unstable();
    let mut out = HashMap::new();
    for id in ids {
        if let Some(row) = db_goals::find(conn, id)? {
            for t in plan_of(&row)?.weekly_targets() {
                out.insert(t.week, t.target);
            }
        }
    }
    Ok(out)
}
