//! Regrouping by a lead: merging one cluster into another, and moving incidents to
//! another cluster or a new one (a split). Counts, rollups and rules follow; all on the trail.

use super::{live, record};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters::{self as db_clusters, ClusterChangeset, ClusterRow, NewCluster};
use crate::db::{self, DbConn, incidents, rollups};
use crate::domain::input::{self, NAME_MAX, TITLE_MAX};
use crate::domain::role::Role;
use crate::domain::states::{ClusterState, JoinReason};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::grouping::{self, GroupingCache};
use crate::service::snapshot;

/// Merge `from` into `into`: every incident, count and rule moves; `from` redirects.
pub fn merge(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    from: i64,
    into: i64,
) -> AppResult<ClusterRow> {
    merge_many(conn, grouping, actor, &[from], into)
}

/// Merge each of `from` into `into` in one transaction (triage's "these look like C1"):
/// all of them or, if any cannot be merged, none.
pub fn merge_many(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    from: &[i64],
    into: i64,
) -> AppResult<ClusterRow> {
    actor.require(Role::Lead)?;
    if from.is_empty() {
        return Err(AppError::field("clusters", "error.choose_clusters"));
    }
    if from.contains(&into) {
        return Err(AppError::field("into", "error.merge_self"));
    }
    let (version, survivor) = crate::db::write_transaction(conn, |conn| {
        for &id in from {
            let a = live(conn, id)?;
            let b = match db_clusters::find(conn, into)? {
                Some(b) if b.merged_into.is_none() => b,
                Some(_) => return Err(AppError::Conflict("conflict.target_merged")),
                None => return Err(AppError::field("into", "error.unknown_cluster")),
            };
            if a.category_id != b.category_id {
                return Err(AppError::field("into", "error.merge_category"));
            }
            merge_rows(conn, Some(actor), &a, &b, None)?;
        }
        let version = grouping::bump_version(conn)?;
        Ok((version, live(conn, into)?))
    })?;
    grouping.structural(version, |index| {
        for &id in from {
            index.merge(id, into);
        }
    });
    Ok(survivor)
}

/// The writes of a merge of `a` into `b` (same category, both live), inside the
/// caller's transaction: every incident, count, rule and action moves, `a` redirects,
/// and both trails say so. A lead's merge (`system` None) makes `b` triaged: a queue
/// item merged into it. A consolidation (`system`: its score and terms) leaves that to
/// a lead, adds its reasons to both trails and lists the incidents it moved on `a`'s,
/// so that a lead can undo it. Returns the incidents moved.
pub(super) fn merge_rows(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    a: &ClusterRow,
    b: &ClusterRow,
    system: Option<serde_json::Value>,
) -> AppResult<Vec<i64>> {
    let (from, into) = (a.id, b.id);
    let now = db::now();
    let ids = incidents::ids_of_cluster(conn, from)?;
    incidents::move_all(conn, from, into)?;
    rollups::move_cluster(conn, from, into)?;
    db_clusters::retarget_rules(conn, from, into)?;
    crate::db::actions::move_cluster(conn, from, into)?;
    db_clusters::add_to_count(conn, into, a.incident_count, a.last_incident_at)?;
    db_clusters::add_to_count(conn, from, -a.incident_count, None)?;
    db_clusters::update(
        conn,
        from,
        &ClusterChangeset {
            merged_into: Some(Some(into)),
            updated_at: Some(now),
            ..Default::default()
        },
    )?;
    if system.is_none() {
        // A queue item merged into a confirmed cluster is triaged.
        db_clusters::update(
            conn,
            into,
            &ClusterChangeset {
                confirmed: Some(true),
                updated_at: Some(now),
                ..Default::default()
            },
        )?;
    }
    let with = |mut v: serde_json::Value| {
        if let (Some(v), Some(w)) = (
            v.as_object_mut(),
            system.as_ref().and_then(|s| s.as_object()),
        ) {
            v.extend(w.clone());
        }
        v
    };
    // The incidents moved and whether `a` was confirmed: what an undo puts back.
    let trail = serde_json::json!({
        "into": into,
        "title": b.title,
        "incidents": ids.len(),
        "moved": ids,
        "confirmed": a.confirmed,
    });
    record(conn, actor, from, "merged_into", None, Some(with(trail)))?;
    record(
        conn,
        actor,
        into,
        "absorbed",
        None,
        Some(with(
            serde_json::json!({"from": from, "title": a.title, "incidents": ids.len()}),
        )),
    )?;
    Ok(ids)
}

/// Move incidents out of their cluster into `target` (an existing cluster), or into a new
/// confirmed cluster titled `new_title`. The matcher forgets their text in the old
/// cluster, so it does not pull such incidents back.
pub fn move_incidents(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    from: i64,
    incident_ids: &[i64],
    target: Option<i64>,
    new_title: &str,
) -> AppResult<i64> {
    actor.require(Role::Lead)?;
    if incident_ids.is_empty() {
        return Err(AppError::field("incidents", "error.choose_incidents"));
    }
    let new_title = if target.is_none() {
        Some(
            input::required_text(new_title, NAME_MAX.max(TITLE_MAX))
                .map_err(|k| AppError::field("title", k))?,
        )
    } else {
        None
    };
    let (version, target_id, moved) = crate::db::write_transaction(conn, |conn| {
        live(conn, from)?;
        let mut moved = Vec::new();
        for &id in incident_ids {
            let row = incidents::find(conn, id)?.ok_or(AppError::NotFound)?;
            // Only the cluster in the address gives up incidents.
            if row.cluster_id != Some(from) {
                return Err(AppError::field("incidents", "error.not_in_cluster"));
            }
            moved.push(row);
        }
        let category_id = moved[0].category_id;
        let now = db::now();
        let target_id = match target {
            Some(t) => {
                let c = live(conn, t)?;
                if c.category_id != category_id {
                    return Err(AppError::field("into", "error.merge_category"));
                }
                t
            }
            None => {
                let title = new_title.clone().unwrap_or_default();
                let id = db_clusters::insert(
                    conn,
                    &NewCluster {
                        category_id,
                        title: &title,
                        summary: "",
                        state: ClusterState::Open,
                        confirmed: true,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                record(
                    conn,
                    Some(actor),
                    id,
                    "created",
                    None,
                    Some(serde_json::json!({"title": title, "split": true})),
                )?;
                id
            }
        };
        for row in &moved {
            if row.category_id != category_id {
                return Err(AppError::field("incidents", "error.merge_category"));
            }
            if row.cluster_id == Some(target_id) {
                continue;
            }
            let live_incident = row.status.counts();
            if let (Some(facts), true) = (incidents::facts(conn, row.id)?, live_incident) {
                rollups::apply(conn, &facts, -1)?;
            }
            incidents::set_cluster(conn, &[row.id], target_id, JoinReason::Lead, now)?;
            if live_incident {
                if let Some(facts) = incidents::facts(conn, row.id)? {
                    rollups::apply(conn, &facts, 1)?;
                }
                if let Some(old) = row.cluster_id {
                    db_clusters::add_to_count(conn, old, -1, None)?;
                }
                db_clusters::add_to_count(conn, target_id, 1, Some(row.occurred_at))?;
            }
            audit::record(
                conn,
                &NewAuditEvent {
                    actor_id: Some(actor.id),
                    entity: "incident",
                    entity_id: row.id,
                    action: "moved",
                    before_json: snapshot(&serde_json::json!({"cluster_id": row.cluster_id})),
                    after_json: snapshot(&serde_json::json!({"cluster_id": target_id})),
                    at: now,
                },
            )?;
            if let Some(old) = row.cluster_id {
                record(
                    conn,
                    Some(actor),
                    old,
                    "incident_moved_out",
                    None,
                    Some(serde_json::json!({"incident": row.id, "to": target_id})),
                )?;
            }
        }
        // Where they came from: consolidation keeps these clusters apart.
        let mut sources: Vec<i64> = moved.iter().filter_map(|r| r.cluster_id).collect();
        sources.sort_unstable();
        sources.dedup();
        sources.retain(|&c| c != target_id);
        record(
            conn,
            Some(actor),
            target_id,
            "incidents_moved_in",
            None,
            Some(serde_json::json!({"incidents": incident_ids, "from": sources})),
        )?;
        Ok::<_, AppError>((grouping::bump_version(conn)?, target_id, moved))
    })?;
    grouping.structural(version, |index| {
        for row in &moved {
            if let Some(old) = row.cluster_id
                && old != target_id
            {
                index.remove_incident(old, &row.title, &row.body);
                index.add_incident(target_id, row.category_id, &row.title, &row.body);
            }
        }
    });
    Ok(target_id)
}
