//! Consolidation in the server: after filings, unconfirmed clusters about the same
//! problem are merged (`domain::grouping::consolidate`), so that a lead opening rungs
//! sees about one cluster per problem without doing the merges. Each merge is a system
//! merge on the trail (no actor, with its score and terms, and the incidents it moved),
//! and a lead can undo it; an undone merge, and a lead's moves between two clusters,
//! keep that pair apart from then on. Runs on a thread of its own (`Consolidator`),
//! never in a request.

use super::regroup::{merge_rows, move_incidents};
use super::{live, newest_texts, record};
use crate::db::clusters::{self as db_clusters, ClusterChangeset};
use crate::db::{self, DbConn, Pool, audit, incidents};
use crate::domain::grouping::consolidate::{self, PlannedMerge, Scope};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::grouping::{self, GroupingCache};
use rustc_hash::FxHashSet;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Unconfirmed clusters a pass may merge away, those with the latest incidents first.
const MOVABLE_LIMIT: i64 = 20_000;
/// Rounds at one level of a pass (see `consolidate::levels`).
const MAX_ROUNDS: usize = 12;
/// Clusters whose partners are looked up under one hold of the matcher's lock, so
/// that filings wait at most a few milliseconds behind a pass.
const CHUNK: usize = 64;
/// Incidents of each side whose words may explain a merge, and the reasons kept.
const LIKENESS_TEXTS: i64 = 20;
const LIKENESS_TERMS: usize = 5;

/// One pass over every category: returns the merges made.
pub fn consolidate(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    threshold: f64,
) -> AppResult<Vec<PlannedMerge>> {
    grouping.refresh(conn)?;
    let movable: FxHashSet<i64> = db_clusters::unconfirmed(conn, MOVABLE_LIMIT)?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut done = Vec::new();
    if movable.len() < 2 && grouping.cluster_count() < 2 {
        return Ok(done);
    }
    let ids: Vec<i64> = movable.iter().copied().collect();
    let mut scope = Scope {
        kept_apart: kept_apart(conn, &ids)?,
        movable,
    };
    for level in consolidate::levels(threshold) {
        for _ in 0..MAX_ROUNDS {
            let mut ids: Vec<i64> = scope.movable.iter().copied().collect();
            ids.sort_unstable();
            let mut pairs = Vec::new();
            for chunk in ids.chunks(CHUNK) {
                pairs.extend(grouping.with_index(|ix| {
                    chunk
                        .iter()
                        .filter_map(|&id| consolidate::best_partner(ix, &scope, id, level))
                        .collect::<Vec<_>>()
                }));
            }
            let round = consolidate::disjoint_best_first(pairs);
            if round.is_empty() {
                break;
            }
            for m in &round {
                if system_merge(conn, grouping, m)? {
                    scope.follow(m);
                    done.push(m.clone());
                } else {
                    // Confirmed, dismissed or merged meanwhile: not this pass's to move.
                    scope.movable.remove(&m.from);
                }
            }
            grouping.refresh(conn)?;
        }
    }
    if !done.is_empty() {
        tracing::info!(merges = done.len(), "consolidation merged clusters");
    }
    Ok(done)
}

/// Pairs a lead has kept apart: moved incidents between (either way), or a
/// consolidation's merge undone.
fn kept_apart(conn: &mut DbConn, ids: &[i64]) -> AppResult<FxHashSet<(i64, i64)>> {
    let mut out = FxHashSet::default();
    let events = audit::actions_of(
        conn,
        "cluster",
        ids,
        &["incident_moved_out", "incidents_moved_in", "merge_undone"],
    )?;
    for (id, action, after) in events {
        let after: serde_json::Value = after
            .and_then(|a| serde_json::from_str(&a).ok())
            .unwrap_or_default();
        let others: Vec<i64> = match action.as_str() {
            "incident_moved_out" => after["to"].as_i64().into_iter().collect(),
            "incidents_moved_in" => after["from"]
                .as_array()
                .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
                .unwrap_or_default(),
            _ => after["into"].as_i64().into_iter().collect(),
        };
        for other in others.into_iter().filter(|&o| o != id) {
            out.insert((id.min(other), id.max(other)));
        }
    }
    Ok(out)
}

/// One planned merge, if both clusters are still as planned: `from` live, unconfirmed
/// and not dismissed, `into` live and in the same category.
fn system_merge(conn: &mut DbConn, grouping: &GroupingCache, m: &PlannedMerge) -> AppResult<bool> {
    let done = crate::db::write_transaction(conn, |conn| {
        let (Some(a), Some(b)) = (
            db_clusters::find(conn, m.from)?,
            db_clusters::find(conn, m.into)?,
        ) else {
            return Ok::<_, AppError>(None);
        };
        let still = a.merged_into.is_none()
            && !a.confirmed
            && !a.dismissed
            && b.merged_into.is_none()
            && !b.dismissed
            && a.category_id == b.category_id;
        if !still {
            return Ok(None);
        }
        let terms = likeness(conn, grouping, m)?;
        let why = serde_json::json!({
            "by": "consolidation",
            "score": (m.score * 1000.0).round() / 1000.0,
            "terms": terms.join(", "),
        });
        merge_rows(conn, None, &a, &b, Some(why))?;
        Ok(Some(grouping::bump_version(conn)?))
    })?;
    match done {
        Some(version) => {
            grouping.structural(version, |index| index.merge(m.from, m.into));
            Ok(true)
        }
        None => Ok(false),
    }
}

/// What the two clusters of a merge share, in their incidents' words ("审批 ≈ approval").
fn likeness(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    m: &PlannedMerge,
) -> AppResult<Vec<String>> {
    let from = newest_texts(conn, m.from, LIKENESS_TEXTS)?;
    let into = newest_texts(conn, m.into, LIKENESS_TEXTS)?;
    Ok(grouping.with_index(|ix| ix.likeness(m.from, m.into, &from, &into, LIKENESS_TERMS)))
}

/// Undo a merge of `from` (a consolidation's, or a lead's that listed the incidents it
/// moved): `from` is live again with the incidents the merge moved that are still in the
/// survivor, confirmed as it was before (a consolidation's: unconfirmed, in the queue),
/// and the two are kept apart from then on. Older merges are undone by a split.
pub fn undo_merge(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    from: i64,
) -> AppResult<i64> {
    actor.require(Role::Lead)?;
    let (version, survivor, moved) = crate::db::write_transaction(conn, |conn| {
        let a = db_clusters::find(conn, from)?.ok_or(AppError::NotFound)?;
        let Some(into) = a.merged_into else {
            return Err(AppError::Conflict("conflict.not_merged"));
        };
        let event = audit::for_entity(conn, "cluster", from)?
            .into_iter()
            .rev()
            .find(|e| e.action == "merged_into")
            .and_then(|e| e.after_json)
            .and_then(|j| serde_json::from_str::<serde_json::Value>(&j).ok())
            .unwrap_or_default();
        if event["into"].as_i64() != Some(into) || !event["moved"].is_array() {
            return Err(AppError::Conflict("conflict.merge_not_undoable"));
        }
        let survivor = live_survivor(conn, into)?;
        let still: FxHashSet<i64> = incidents::ids_of_cluster(conn, survivor)?
            .into_iter()
            .collect();
        let moved: Vec<i64> = event["moved"]
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_i64()).collect())
            .unwrap_or_default();
        let moved: Vec<i64> = moved.into_iter().filter(|id| still.contains(id)).collect();
        db_clusters::update(
            conn,
            from,
            &ClusterChangeset {
                merged_into: Some(None),
                confirmed: Some(event["confirmed"].as_bool().unwrap_or(false)),
                updated_at: Some(db::now()),
                ..Default::default()
            },
        )?;
        for (id, other) in [(from, survivor), (survivor, from)] {
            record(
                conn,
                Some(actor),
                id,
                "merge_undone",
                None,
                Some(serde_json::json!({"into": other})),
            )?;
        }
        Ok((grouping::bump_version(conn)?, survivor, moved))
    })?;
    // `from` has no incidents until they move back; the next refresh sees it.
    grouping.structural(version, |_| {});
    if !moved.is_empty() {
        move_incidents(conn, grouping, actor, survivor, &moved, Some(from), "")?;
    }
    Ok(from)
}

/// A consolidation's merge into a cluster that a lead may undo: the merged cluster, and
/// the words the two shared when they were merged ("资料 ≈ 文件").
#[derive(Debug, Clone)]
pub struct UndoableMerge {
    pub from: i64,
    pub title: String,
    pub shared: String,
}

/// The clusters a consolidation merged straight into `id` that are still merged there,
/// with their titles and the words they shared: what a lead can undo on `id`'s page.
pub fn undoable_merges(conn: &mut DbConn, id: i64) -> AppResult<Vec<UndoableMerge>> {
    // Merged cluster -> the words of its (latest) merge into `id`.
    let mut shared: HashMap<i64, String> = HashMap::new();
    for e in audit::for_entity(conn, "cluster", id)? {
        let after: serde_json::Value = e
            .after_json
            .and_then(|j| serde_json::from_str(&j).ok())
            .unwrap_or_default();
        if e.action == "absorbed"
            && after["by"] == "consolidation"
            && let Some(f) = after["from"].as_i64()
        {
            let words = after["terms"].as_str().unwrap_or_default().to_string();
            shared.insert(f, words);
        }
    }
    let ids: Vec<i64> = shared.keys().copied().collect();
    Ok(db_clusters::find_many(conn, &ids)?
        .into_iter()
        .filter(|c| c.merged_into == Some(id))
        .map(|c| UndoableMerge {
            shared: shared.remove(&c.id).unwrap_or_default(),
            from: c.id,
            title: c.title,
        })
        .collect())
}

/// The live cluster `id` ended in, following merges.
fn live_survivor(conn: &mut DbConn, id: i64) -> AppResult<i64> {
    match db_clusters::survivor(conn, id)? {
        Some(c) => Ok(c.id),
        None => live(conn, id).map(|c| c.id),
    }
}

/// Runs a pass every `every` on a thread of its own, when incidents were filed since
/// the last one (by this process or another).
pub struct Consolidator;

impl Consolidator {
    /// The thread ends once the server has dropped its matcher.
    pub fn start(
        pool: Pool,
        grouping: &Arc<GroupingCache>,
        every: Duration,
        threshold: f64,
    ) -> Result<(), String> {
        let weak = Arc::downgrade(grouping);
        std::thread::Builder::new()
            .name("rungs-consolidation".into())
            .spawn(move || {
                let mut seen = None;
                loop {
                    std::thread::sleep(every);
                    let Some(grouping) = weak.upgrade() else {
                        return;
                    };
                    let mut conn = match pool.get() {
                        Ok(conn) => conn,
                        Err(e) => {
                            tracing::warn!(error = %e, "consolidation: no connection");
                            continue;
                        }
                    };
                    if let Err(e) = grouping.refresh(&mut conn) {
                        tracing::warn!(error = %e, "consolidation: refresh failed");
                        continue;
                    }
                    let now = Some(grouping.watermark());
                    if now == seen {
                        continue;
                    }
                    match consolidate(&mut conn, &grouping, threshold) {
                        Ok(_) => seen = now,
                        Err(e) => tracing::warn!(error = %e, "consolidation pass failed"),
                    }
                }
            })
            .map_err(|e| format!("cannot start the consolidation thread: {e}"))?;
        Ok(())
    }
}
