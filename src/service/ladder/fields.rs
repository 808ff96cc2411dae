//! Fields an action shares between its recording and its revision: the owner, and the
//! goal as typed, checked and planned week by week.

use crate::db::{DbConn, users};
use crate::domain::goal::GoalPlan;
use crate::domain::input::FieldErrors;
use crate::domain::week::WeekKey;
use crate::error::AppResult;
use chrono::NaiveDate;

/// The owner named by `login`; an unknown login is noted in `errors`.
pub(super) fn owner(
    conn: &mut DbConn,
    errors: &mut FieldErrors,
    login: &str,
) -> AppResult<Option<i64>> {
    match users::find_by_login(conn, login.trim())? {
        Some(u) => Ok(Some(u.id)),
        None => {
            errors.add("owner", "error.unknown_user");
            Ok(None)
        }
    }
}

/// A goal as typed: its kind and value (both or neither), the level it starts from and
/// the week it is due, each checked.
pub(super) struct TypedGoal {
    kind: Option<String>,
    value: Option<f64>,
    start: Option<f64>,
    week: Option<WeekKey>,
}

impl TypedGoal {
    pub(super) fn read(
        errors: &mut FieldErrors,
        kind: &str,
        value: Option<f64>,
        start: Option<f64>,
        week: &str,
    ) -> Self {
        let (kind, value) = match (kind.trim(), value) {
            ("", None) => (None, None),
            (kind @ ("weekly_rate_below" | "rate_ratio_below"), Some(v))
                if v.is_finite() && (0.0..1e6).contains(&v) =>
            {
                (Some(kind.to_string()), Some(v))
            }
            ("weekly_rate_below" | "rate_ratio_below", _) => {
                errors.add("goal_value", "error.goal_value");
                (None, None)
            }
            _ => {
                errors.add("goal_kind", "error.goal_kind");
                (None, None)
            }
        };
        if let Some(s) = start
            && !(s.is_finite() && (0.0..1e6).contains(&s))
        {
            errors.add("goal_start", "error.goal_start");
        }
        let week = match week.trim() {
            "" => None,
            w => match w.parse::<WeekKey>() {
                Ok(week) => Some(week),
                Err(_) => {
                    errors.add("goal_week", "error.goal_week");
                    None
                }
            },
        };
        TypedGoal {
            kind,
            value,
            start,
            week,
        }
    }

    /// The kind and value as stored on the action.
    pub(super) fn stored(&self) -> (Option<String>, Option<f64>) {
        (self.kind.clone(), self.value)
    }

    /// The goal's plan week by week, when there is a goal; a plan that cannot be made
    /// (a target week before its start, say) is noted in `errors`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn plan(
        &self,
        conn: &mut DbConn,
        errors: &mut FieldErrors,
        cluster_id: i64,
        due_on: Option<NaiveDate>,
        launched_on: Option<NaiveDate>,
        review_after_weeks: u32,
        today: NaiveDate,
    ) -> AppResult<Option<GoalPlan>> {
        let (Some(kind), Some(value)) = (&self.kind, self.value) else {
            return Ok(None);
        };
        let facts = crate::service::goals::GoalFacts {
            kind,
            value,
            start_level: self.start,
            target_week: self.week,
            due_on,
            launched_on,
            review_after_weeks,
            today,
        };
        match crate::service::goals::plan(conn, cluster_id, &facts)? {
            Ok(plan) => Ok(Some(plan)),
            Err((field, key)) => {
                errors.add(field, key);
                Ok(None)
            }
        }
    }
}
