//! Where a new incident goes: a lead's rule, else the most similar cluster, else a new one.

use super::{record, set_state};
use crate::db::clusters::{self as db_clusters, ClusterRow, NewCluster, RuleRow};
use crate::db::{self, DbConn};
use crate::domain::grouping::IncidentTerms;
use crate::domain::states::{ClusterState, JoinReason};
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::grouping::GroupingCache;
use crate::telemetry::metrics::GROUPING;
use rustc_hash::FxHashMap;
use serde::Serialize;

/// A cluster a new incident resembles.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub cluster_id: i64,
    pub title: String,
    pub score: f64,
}

/// Where a new incident goes, and why.
#[derive(Debug, Clone)]
pub struct Placement {
    /// An existing cluster, or None to start a new unconfirmed one.
    pub cluster_id: Option<i64>,
    pub reason: JoinReason,
    pub score: Option<f64>,
    pub terms: Vec<String>,
    pub suggestions: Vec<Suggestion>,
}

/// Decide where an incident goes: a lead's rule first, then similarity.
/// `titles` names the clusters given (those that exist).
pub fn place<'r>(
    grouping: &GroupingCache,
    titles: impl FnOnce(&[i64]) -> AppResult<FxHashMap<i64, String>>,
    rules: impl IntoIterator<Item = &'r RuleRow>,
    category_id: i64,
    terms: &IncidentTerms,
    folded: &str,
) -> AppResult<Placement> {
    let matches = grouping.best_matches_for_terms(category_id, terms, 3, &[]);
    let mut found = if matches.is_empty() {
        FxHashMap::default()
    } else {
        titles(&matches.iter().map(|m| m.cluster_id).collect::<Vec<_>>())?
    };
    let suggestions: Vec<Suggestion> = matches
        .iter()
        .filter_map(|m| {
            found.remove(&m.cluster_id).map(|title| Suggestion {
                cluster_id: m.cluster_id,
                title,
                score: (m.score * 1000.0).round() / 1000.0,
            })
        })
        .collect();
    for rule in rules {
        if !rule.pattern.is_empty() && folded.contains(&rule.pattern) {
            return Ok(Placement {
                cluster_id: Some(rule.cluster_id),
                reason: JoinReason::Rule,
                score: None,
                terms: vec![rule.pattern.clone()],
                suggestions,
            });
        }
    }
    match matches.first() {
        Some(best) if best.score >= grouping.threshold => Ok(Placement {
            cluster_id: Some(best.cluster_id),
            reason: JoinReason::Similar,
            score: Some(best.score),
            terms: best.matched_terms.clone(),
            suggestions,
        }),
        _ => Ok(Placement {
            cluster_id: None,
            reason: JoinReason::New,
            score: None,
            terms: vec![],
            suggestions,
        }),
    }
}

/// Inside the filing transaction: the live cluster to join (following merges), or a new
/// unconfirmed one named after the incident. A resolved cluster that gets a new incident
/// has regressed. `placed` is the placement's cluster row when the caller has already
/// read it in this transaction.
pub fn cluster_for_new_incident(
    conn: &mut DbConn,
    actor: &Actor,
    placement: &Placement,
    placed: Option<ClusterRow>,
    category_id: i64,
    title: &str,
) -> AppResult<i64> {
    let now = db::now();
    let target = match (placement.cluster_id, placed) {
        (Some(id), Some(row)) if row.id == id && row.merged_into.is_none() => Some(row),
        (Some(id), _) => db_clusters::survivor(conn, id)?,
        (None, _) => None,
    };
    if let Some(cluster) = target
        && !cluster.dismissed
    {
        if cluster.state == ClusterState::Resolved {
            set_state(conn, Some(actor), &cluster, ClusterState::Regressed)?;
        }
        let outcome = if placement.reason == JoinReason::Rule {
            "rule"
        } else {
            "joined"
        };
        GROUPING.with_label_values(&[outcome]).inc();
        return Ok(cluster.id);
    }
    let id = db_clusters::insert(
        conn,
        &NewCluster {
            category_id,
            title,
            summary: "",
            state: ClusterState::Open,
            confirmed: false,
            created_at: now,
            updated_at: now,
        },
    )?;
    GROUPING.with_label_values(&["new"]).inc();
    record(
        conn,
        Some(actor),
        id,
        "created",
        None,
        Some(serde_json::json!({ "title": title })),
    )?;
    Ok(id)
}
