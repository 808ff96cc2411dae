//! A goal tracked week by week (the seed's 节奏感: every goal quantified, broken into
//! stage targets, checked at each stage). From a start level in its start week to a
//! target value in its target week, each week in between has a target on the straight
//! line between them; a week whose count is above its target is behind.

use super::week::WeekKey;
use serde::Serialize;

/// The most weeks a goal may span: a year.
pub const MAX_WEEKS: u32 = 52;

/// A goal's line: the weekly count it starts from and the one it must reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GoalPlan {
    /// The week the goal starts in (its level there is `start_level`).
    pub start_week: WeekKey,
    pub start_level: f64,
    /// The week by which the count must be down to `target_value`.
    pub target_week: WeekKey,
    pub target_value: f64,
}

/// One week of a goal: its target and, once known, its count.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct WeeklyTarget {
    pub week: WeekKey,
    /// 1 for the first week after the start, up to the number of weeks.
    pub stage: u32,
    pub target: f64,
}

/// Why a goal cannot be planned: a message key.
pub type PlanError = &'static str;

impl GoalPlan {
    /// A plan, checked: the target week after the start week and at most `MAX_WEEKS` on,
    /// both levels finite and not negative.
    pub fn new(
        start_week: WeekKey,
        start_level: f64,
        target_week: WeekKey,
        target_value: f64,
    ) -> Result<Self, PlanError> {
        if !(start_level.is_finite() && start_level >= 0.0) {
            return Err("error.goal_start");
        }
        if !(target_value.is_finite() && target_value >= 0.0) {
            return Err("error.goal_value");
        }
        if target_week <= start_week || weeks_between(start_week, target_week) > MAX_WEEKS {
            return Err("error.goal_week");
        }
        Ok(Self {
            start_week,
            start_level,
            target_week,
            target_value,
        })
    }

    /// How many weekly stages the goal has (weeks after the start, up to the target's).
    pub fn weeks(&self) -> u32 {
        weeks_between(self.start_week, self.target_week)
    }

    /// Each week's target, from the first after the start to the target week: the
    /// straight line from the start level to the target value, to two decimals.
    pub fn weekly_targets(&self) -> Vec<WeeklyTarget> {
        let n = self.weeks();
        let mut week = self.start_week;
        (1..=n)
            .map(|k| {
                week = week.next();
                WeeklyTarget {
                    week,
                    stage: k,
                    target: self.target_at(k),
                }
            })
            .collect()
    }

    /// The target of stage `k` (0 is the start level, `weeks()` the target value).
    fn target_at(&self, k: u32) -> f64 {
        let n = f64::from(self.weeks());
        let t = self.start_level + (self.target_value - self.start_level) * f64::from(k) / n;
        (t * 100.0).round() / 100.0
    }

    /// The target of `week`, if the goal has one for it.
    pub fn target_for(&self, week: WeekKey) -> Option<f64> {
        if week <= self.start_week || week > self.target_week {
            return None;
        }
        Some(self.target_at(weeks_between(self.start_week, week)))
    }
}

/// Whether a week's count is behind its target: above it.
pub fn behind(actual: u64, target: f64) -> bool {
    actual as f64 > target
}

/// The target value of a goal written as a kind and a value: a weekly count below the
/// value, or a ratio of the start level.
pub fn target_value(kind: &str, value: f64, start_level: f64) -> Option<f64> {
    match kind {
        "weekly_rate_below" => Some(value),
        "rate_ratio_below" => Some((start_level * value * 100.0).round() / 100.0),
        _ => None,
    }
}

/// Whole weeks from `from` to `to` (0 when `to` is not after `from`).
pub fn weeks_between(from: WeekKey, to: WeekKey) -> u32 {
    if to <= from {
        return 0;
    }
    ((to.monday() - from.monday()).num_days() / 7) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(year: i32, week: u32) -> WeekKey {
        WeekKey::new(year, week).unwrap()
    }

    #[test]
    fn forty_a_week_down_to_ten_in_six_weeks_drops_five_a_week() {
        // 40 → 10 over 6 weeks: (10 - 40) / 6 = -5 a week, by hand.
        let plan = GoalPlan::new(w(2026, 6), 40.0, w(2026, 12), 10.0).unwrap();
        assert_eq!(plan.weeks(), 6);
        let targets: Vec<(String, u32, f64)> = plan
            .weekly_targets()
            .into_iter()
            .map(|t| (t.week.to_string(), t.stage, t.target))
            .collect();
        assert_eq!(
            targets,
            vec![
                ("2026-W07".into(), 1, 35.0),
                ("2026-W08".into(), 2, 30.0),
                ("2026-W09".into(), 3, 25.0),
                ("2026-W10".into(), 4, 20.0),
                ("2026-W11".into(), 5, 15.0),
                ("2026-W12".into(), 6, 10.0),
            ]
        );
        assert_eq!(plan.target_for(w(2026, 9)), Some(25.0));
        assert_eq!(plan.target_for(w(2026, 6)), None, "the start week has none");
        assert_eq!(plan.target_for(w(2026, 13)), None, "nor the week after");
    }

    #[test]
    fn uneven_steps_round_to_two_decimals_and_cross_the_year() {
        // 12 → 2 over 3 weeks (2026-W52, 2026-W53, 2027-W01): 12 - 10/3 = 8.666… → 8.67,
        // 12 - 20/3 = 5.333… → 5.33, then 2. 2026 has 53 ISO weeks.
        let plan = GoalPlan::new(w(2026, 51), 12.0, w(2027, 1), 2.0).unwrap();
        let targets: Vec<(String, f64)> = plan
            .weekly_targets()
            .into_iter()
            .map(|t| (t.week.to_string(), t.target))
            .collect();
        assert_eq!(
            targets,
            vec![
                ("2026-W52".into(), 8.67),
                ("2026-W53".into(), 5.33),
                ("2027-W01".into(), 2.0),
            ]
        );
    }

    #[test]
    fn a_ratio_goal_targets_a_share_of_the_start() {
        assert_eq!(target_value("rate_ratio_below", 0.25, 40.0), Some(10.0));
        assert_eq!(target_value("weekly_rate_below", 3.0, 40.0), Some(3.0));
        assert_eq!(target_value("other", 3.0, 40.0), None);
    }

    #[test]
    fn above_the_target_is_behind_and_on_it_is_not() {
        assert!(behind(26, 25.0));
        assert!(!behind(25, 25.0));
        assert!(behind(9, 8.67));
        assert!(!behind(8, 8.67));
    }

    #[test]
    fn a_plan_needs_a_later_target_week_within_a_year() {
        assert_eq!(
            GoalPlan::new(w(2026, 6), 40.0, w(2026, 6), 10.0),
            Err("error.goal_week")
        );
        assert_eq!(
            GoalPlan::new(w(2026, 6), 40.0, w(2027, 6), 10.0),
            Err("error.goal_week"),
            "2026 has 53 ISO weeks: 53 weeks on"
        );
        assert!(GoalPlan::new(w(2026, 6), 40.0, w(2027, 5), 10.0).is_ok());
        assert_eq!(
            GoalPlan::new(w(2026, 6), -1.0, w(2026, 8), 1.0),
            Err("error.goal_start")
        );
        assert_eq!(weeks_between(w(2026, 50), w(2027, 2)), 5);
    }
}
