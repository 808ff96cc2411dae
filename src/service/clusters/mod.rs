//! Clusters: where a new incident goes, and the lead's tools to curate them
//! (confirm, dismiss, rename, merge, split, move, rules). Every change is audited.

mod consolidation;
mod curation;
mod page;
mod placement;
mod regroup;
mod triage;
mod views;

pub use consolidation::{Consolidator, UndoableMerge, consolidate, undo_merge, undoable_merges};
pub use curation::*;
pub use page::{ClusterPage, WeekTarget, page};
pub use placement::*;
pub use regroup::*;
pub use triage::*;
pub use views::*;

use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters::{self as db_clusters, ClusterChangeset};
/// The row types pages show, named through the service.
pub use crate::db::clusters::{ClusterRow, RuleRow};
use crate::db::{self, DbConn};
use crate::domain::grouping::IncidentTerms;
use crate::domain::states::ClusterState;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;

/// A cluster's `limit` newest incidents, tokenized: what the words two clusters share
/// are read from (`ClusterIndex::likeness`).
fn newest_texts(conn: &mut DbConn, cluster_id: i64, limit: i64) -> AppResult<Vec<IncidentTerms>> {
    Ok(texts_of(&db::incidents::of_cluster(
        conn, cluster_id, limit,
    )?))
}

/// Incidents tokenized, as the matcher reads them.
fn texts_of(incidents: &[db::incidents::IncidentRow]) -> Vec<IncidentTerms> {
    incidents
        .iter()
        .map(|i| IncidentTerms::of(&i.title, &i.body))
        .collect()
}

/// Change a cluster's state, with its trail.
pub fn set_state(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    cluster: &ClusterRow,
    state: ClusterState,
) -> AppResult<()> {
    let now = db::now();
    db_clusters::update(
        conn,
        cluster.id,
        &ClusterChangeset {
            state: Some(state),
            resolved_at: Some(if state == ClusterState::Resolved {
                Some(now)
            } else {
                cluster.resolved_at
            }),
            updated_at: Some(now),
            ..Default::default()
        },
    )?;
    record(
        conn,
        actor,
        cluster.id,
        "state_changed",
        Some(serde_json::json!({ "state": cluster.state })),
        Some(serde_json::json!({ "state": state })),
    )
}

/// A system event on a cluster's trail (no actor): what the scheduler notices.
pub fn record_event(
    conn: &mut DbConn,
    cluster_id: i64,
    action: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    record(conn, None, cluster_id, action, None, Some(after))
}

pub(super) fn record(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    cluster_id: i64,
    action: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: actor.map(|a| a.id),
            entity: "cluster",
            entity_id: cluster_id,
            action,
            before_json: before.map(|v| v.to_string()),
            after_json: after.map(|v| v.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}

pub(super) fn live(conn: &mut DbConn, id: i64) -> AppResult<ClusterRow> {
    match db_clusters::find(conn, id)? {
        Some(c) if c.merged_into.is_none() => Ok(c),
        Some(_) => Err(AppError::Conflict("conflict.cluster_merged")),
        None => Err(AppError::NotFound),
    }
}
