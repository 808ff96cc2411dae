//! A week as it stood at its end. A past week's report shows the clusters' states and
//! rungs, and the actions' stages, as they were then, not as later changes left them:
//! states are read back from the trail (every change of state is recorded there with its
//! before), rungs and stages from the actions' dated steps.

use crate::db::DbConn;
use crate::db::actions::{self as db_actions, ActionRow};
use crate::db::audit;
use crate::domain::ladder::Rung;
use crate::domain::states::{ActionStage, ClusterState};
use crate::error::AppResult;
use crate::service::review::ReviewRow;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::HashMap;

/// What changed after the report's moment, to be set back.
pub struct Then {
    /// The report's last day, in the organisation's zone.
    pub day: NaiveDate,
    /// The state of each cluster whose state changed since, as it was.
    states: HashMap<i64, ClusterState>,
    /// Each action's stage on `day` (none: not yet recorded).
    stages: HashMap<i64, Option<ActionStage>>,
    /// Each cluster's highest rung launched by `day`, for the clusters with a launch since.
    rungs: HashMap<i64, Rung>,
}

impl Then {
    /// As things are now (the running week), on `day`.
    pub fn now(day: NaiveDate) -> Self {
        Then {
            day,
            states: HashMap::new(),
            stages: HashMap::new(),
            rungs: HashMap::new(),
        }
    }

    /// The clusters `ids` and every action, as of `as_of` (its day `day`).
    pub fn read(
        conn: &mut DbConn,
        ids: &[i64],
        actions: &[ActionRow],
        as_of: DateTime<Utc>,
        day: NaiveDate,
    ) -> AppResult<Self> {
        let mut states = HashMap::new();
        let changes =
            audit::changes_after(conn, "cluster", ids, "state_changed", as_of.naive_utc())?;
        for (id, before) in changes {
            if let std::collections::hash_map::Entry::Vacant(e) = states.entry(id) {
                e.insert(state_in(before.as_deref()).unwrap_or(ClusterState::Open));
            }
        }
        let mut stages = HashMap::with_capacity(actions.len());
        for a in actions {
            let steps = db_actions::steps(conn, a.id)?;
            let steps: Vec<_> = steps.iter().map(|s| (s.stage, s.on_date)).collect();
            stages.insert(a.id, stage_on(&steps, day));
        }
        let launched_by = |a: &ActionRow| a.launched_on.is_some_and(|d| d <= day);
        let mut rungs: HashMap<i64, Rung> = HashMap::new();
        for a in actions
            .iter()
            .filter(|a| a.launched_on.is_some_and(|d| d > day))
        {
            rungs.entry(a.cluster_id).or_insert(Rung::ONE_OFF);
        }
        for a in actions.iter().filter(|a| launched_by(a)) {
            if let Some(r) = rungs.get_mut(&a.cluster_id) {
                *r = (*r).max(a.rung);
            }
        }
        Ok(Then {
            day,
            states,
            stages,
            rungs,
        })
    }

    /// A review line with its cluster's state and rung as they were then.
    pub fn row(&self, mut row: ReviewRow) -> ReviewRow {
        let id = row.cluster.id;
        row.cluster.state = self.states.get(&id).copied().unwrap_or(row.cluster.state);
        row.cluster.rung = self.rungs.get(&id).copied().unwrap_or(row.cluster.rung);
        row.regressed = row.cluster.state == ClusterState::Regressed && row.line.cmp.this_week > 0;
        row
    }

    /// The action's stage then, while it was recorded and neither launched nor
    /// cancelled; `None` otherwise.
    pub fn open_stage(&self, action: &ActionRow) -> Option<ActionStage> {
        self.stages
            .get(&action.id)
            .copied()
            .unwrap_or(Some(action.stage))
            .filter(|s| !matches!(s, ActionStage::Launched | ActionStage::Cancelled))
    }

    /// Whether the action had been launched by then (and not withdrawn since).
    pub fn launched(&self, action: &ActionRow) -> bool {
        action.stage == ActionStage::Launched && action.launched_on.is_some_and(|d| d <= self.day)
    }
}

fn state_in(before_json: Option<&str>) -> Option<ClusterState> {
    let before: serde_json::Value = serde_json::from_str(before_json?).ok()?;
    ClusterState::parse(before["state"].as_str()?)
}

/// The stage of the last step dated on or before `day`; steps are in the order recorded.
fn stage_on(steps: &[(ActionStage, NaiveDate)], day: NaiveDate) -> Option<ActionStage> {
    steps
        .iter()
        .rev()
        .find(|(_, on)| *on <= day)
        .map(|(stage, _)| *stage)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_stage_is_the_last_step_dated_by_the_day() {
        let steps = [
            (ActionStage::Proposed, d("2026-03-02")),
            (ActionStage::Scheduled, d("2026-03-09")),
            (ActionStage::Launched, d("2026-03-16")),
        ];
        assert_eq!(stage_on(&steps, d("2026-03-01")), None);
        assert_eq!(
            stage_on(&steps, d("2026-03-02")),
            Some(ActionStage::Proposed)
        );
        assert_eq!(
            stage_on(&steps, d("2026-03-15")),
            Some(ActionStage::Scheduled)
        );
        assert_eq!(
            stage_on(&steps, d("2026-12-01")),
            Some(ActionStage::Launched)
        );
        // A launch recorded first and dated later, then a step recorded after it with an
        // earlier date: on each day the latest recorded step of those dated by then.
        let backdated = [
            (ActionStage::Planned, d("2026-03-10")),
            (ActionStage::Launched, d("2026-03-02")),
        ];
        assert_eq!(
            stage_on(&backdated, d("2026-03-05")),
            Some(ActionStage::Launched)
        );
        assert_eq!(
            stage_on(&backdated, d("2026-03-12")),
            Some(ActionStage::Launched)
        );
    }

    #[test]
    fn a_state_is_read_from_the_changes_before() {
        assert_eq!(
            state_in(Some(r#"{"state":"resolved"}"#)),
            Some(ClusterState::Resolved)
        );
        assert_eq!(state_in(Some("{}")), None);
        assert_eq!(state_in(None), None);
    }
}
