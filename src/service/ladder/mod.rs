//! The ladder's use cases: record an action at a rung, move it through its workflow
//! (feature stages, policy sign-offs, weight revisions), and comment on it.

use super::accounts::Actor;
use crate::db::actions as db_actions;
pub use crate::db::actions::{ActionRow, Comment, Signoff, Step, WeightRevision};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters::{self as db_clusters, ClusterChangeset};
use crate::db::{self, DbConn};
use crate::domain::ladder::Rung;
use crate::domain::states::ActionStage;
use crate::domain::states::ClusterState;
use crate::error::{AppError, AppResult};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

mod fields;
mod history;
mod page;
mod record;
mod revise;
mod shown;
mod workflow;
pub use history::{ClusterHistory, history};
pub use page::{ActionPage, action_page};
pub use record::{create, create_after, create_within};
pub use revise::{ActionRevision, revise};
pub use shown::*;

pub use workflow::*;

/// An action as typed into the form or sent to the API.
#[derive(Debug, Clone, Default)]
pub struct ActionInput {
    pub rung: Option<i64>,
    pub title: String,
    pub why: String,
    pub owner: String,
    pub due_on: String,
    pub goal_kind: String,
    pub goal_value: Option<f64>,
    /// The weekly count the goal starts from; empty for the cluster's baseline.
    pub goal_start: Option<f64>,
    /// The week the goal is due (`2026-W12`); empty for the due date's or review's week.
    pub goal_week: String,
    pub launched_on: String,
    pub review_after_weeks: Option<i64>,
    pub departments: Vec<String>,
    pub retro_weeks: Option<i64>,
    pub kpi_department: String,
    pub kpi_item: String,
    pub kpi_definition: String,
    pub kpi_weight: Option<f64>,
    pub guard_cluster: Option<i64>,
    pub guard_category: String,
    pub guard_margin: Option<f64>,
}

/// A date as `YYYY-MM-DD`, or an RFC 3339 instant read in the organisation's zone.
pub fn parse_date(raw: &str, tz: Tz) -> Result<Option<NaiveDate>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&tz).date_naive())
        })
        .ok_or("error.date")?;
    if !(2000..=2100).contains(&date.year()) {
        return Err("error.datetime_range");
    }
    Ok(Some(date))
}

use chrono::Datelike;

fn audit_action(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    action: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: Some(actor.id),
            entity: "action",
            entity_id: id,
            action,
            before_json: None,
            after_json: Some(after.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}

/// A cluster with an action under way is `acting`; a launch lifts its rung.
fn after_stage(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    rung: Rung,
    stage: ActionStage,
) -> AppResult<()> {
    let cluster = db_clusters::find(conn, cluster_id)?.ok_or(AppError::NotFound)?;
    let mut changes = ClusterChangeset {
        updated_at: Some(db::now()),
        ..Default::default()
    };
    let launched = stage == ActionStage::Launched;
    if launched && rung > cluster.rung {
        changes.rung = Some(rung);
    }
    if cluster.state == ClusterState::Open || (launched && cluster.state == ClusterState::Regressed)
    {
        super::clusters::set_state(conn, Some(actor), &cluster, ClusterState::Acting)?;
    }
    db_clusters::update(conn, cluster_id, &changes)?;
    Ok(())
}

fn load(conn: &mut DbConn, id: i64) -> AppResult<(ActionRow, Rung)> {
    let action = db_actions::find(conn, id)?.ok_or(AppError::NotFound)?;
    let rung = Some(action.rung)
        .filter(|r| *r >= Rung::PROCESS)
        .ok_or_else(|| AppError::internal("bad rung stored"))?;
    Ok((action, rung))
}

#[cfg(test)]
mod tests {
    use super::parse_date;
    use chrono_tz::UTC;

    #[test]
    fn dates_keep_to_2000_to_2100() {
        assert_eq!(parse_date(" ", UTC), Ok(None));
        assert!(parse_date("2026-11-24", UTC).unwrap().is_some());
        assert_eq!(parse_date("1999-12-31", UTC), Err("error.datetime_range"));
        assert_eq!(parse_date("2101-01-01", UTC), Err("error.datetime_range"));
        // A year before the common era is out of range, not its number of years BCE.
        assert_eq!(parse_date("-2050-01-01", UTC), Err("error.datetime_range"));
        assert_eq!(parse_date("-1999-06-01", UTC), Err("error.datetime_range"));
    }
}
