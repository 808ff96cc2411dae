//! An action's goal in the API: its line from the start level to the target value and
//! each week's target beside the cluster's count.

use crate::domain::week::WeekKey;
use crate::service::goals::{GoalProgress, GoalWeek};
use serde::Serialize;
use utoipa::ToSchema;

/// A goal broken into weekly targets: a straight line from `start_level` in
/// `start_week` to `target_value` in `target_week`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Goal {
    #[schema(value_type = String, example = "2026-W06")]
    pub start_week: WeekKey,
    /// The weekly count the goal starts from.
    pub start_level: f64,
    #[schema(value_type = String, example = "2026-W12")]
    pub target_week: WeekKey,
    pub target_value: f64,
    /// How many weeks so far had a count above their target.
    pub behind_weeks: usize,
    /// One per week after the start week, up to the target week.
    pub weekly_targets: Vec<WeeklyTarget>,
}

/// One week of a goal.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeeklyTarget {
    #[schema(value_type = String, example = "2026-W07")]
    pub week: WeekKey,
    /// 1 for the first week after the start.
    pub stage: u32,
    /// The week's target, to two decimals.
    pub target: f64,
    /// The cluster's incidents that week (so far, while it runs); null for a week to come.
    pub actual: Option<u64>,
    /// Whether the week has ended.
    pub closed: bool,
    /// `actual` is above `target`.
    pub behind: bool,
}

impl From<GoalProgress> for Goal {
    fn from(g: GoalProgress) -> Self {
        Self {
            behind_weeks: g.behind_weeks(),
            start_week: g.plan.start_week,
            start_level: g.plan.start_level,
            target_week: g.plan.target_week,
            target_value: g.plan.target_value,
            weekly_targets: g.weeks.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<GoalWeek> for WeeklyTarget {
    fn from(w: GoalWeek) -> Self {
        Self {
            week: w.week,
            stage: w.stage,
            target: w.target,
            actual: w.actual,
            closed: w.closed,
            behind: w.behind,
        }
    }
}
