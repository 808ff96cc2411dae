//! Clusters: where a new incident goes, and the lead's tools to curate them
//! (confirm, dismiss, rename, merge, split, move, rules). Every change is audited.

use super::accounts::Actor;
use super::grouping::{self, GroupingCache};
use super::snapshot;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters::{self as db_clusters, ClusterChangeset, ClusterRow, NewCluster};
use crate::db::{self, DbConn, incidents, rollups, users};
use crate::domain::input::{self, NAME_MAX, TITLE_MAX};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
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
    pub reason: &'static str,
    pub score: Option<f64>,
    pub terms: Vec<String>,
    pub suggestions: Vec<Suggestion>,
}

/// Decide where an incident goes: a lead's rule first, then similarity.
pub fn place(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    category_id: i64,
    title: &str,
    body: &str,
    folded: &str,
) -> AppResult<Placement> {
    let matches = grouping.best_matches(category_id, title, body, 3, &[]);
    let found = if matches.is_empty() {
        Vec::new()
    } else {
        db_clusters::find_many(
            conn,
            &matches.iter().map(|m| m.cluster_id).collect::<Vec<_>>(),
        )?
    };
    let suggestions: Vec<Suggestion> = matches
        .iter()
        .filter_map(|m| {
            found
                .iter()
                .find(|c| c.id == m.cluster_id)
                .map(|c| Suggestion {
                    cluster_id: c.id,
                    title: c.title.clone(),
                    score: (m.score * 1000.0).round() / 1000.0,
                })
        })
        .collect();
    for rule in db_clusters::rules_for_category(conn, category_id)? {
        if !rule.pattern.is_empty() && folded.contains(&rule.pattern) {
            return Ok(Placement {
                cluster_id: Some(rule.cluster_id),
                reason: "rule",
                score: None,
                terms: vec![rule.pattern],
                suggestions,
            });
        }
    }
    match matches.first() {
        Some(best) if best.score >= grouping.threshold => Ok(Placement {
            cluster_id: Some(best.cluster_id),
            reason: "similar",
            score: Some(best.score),
            terms: best.matched_terms.clone(),
            suggestions,
        }),
        _ => Ok(Placement {
            cluster_id: None,
            reason: "new",
            score: None,
            terms: vec![],
            suggestions,
        }),
    }
}

/// Inside the filing transaction: the live cluster to join (following merges), or a new
/// unconfirmed one named after the incident. A resolved cluster that gets a new incident
/// has regressed.
pub fn cluster_for_new_incident(
    conn: &mut DbConn,
    actor: &Actor,
    placement: &Placement,
    category_id: i64,
    title: &str,
) -> AppResult<i64> {
    let now = db::now();
    if let Some(id) = placement.cluster_id
        && let Some(cluster) = db_clusters::survivor(conn, id)?
        && !cluster.dismissed
    {
        if cluster.state == "resolved" {
            set_state(conn, Some(actor), &cluster, "regressed")?;
        }
        return Ok(cluster.id);
    }
    let id = db_clusters::insert(
        conn,
        &NewCluster {
            category_id,
            title,
            summary: "",
            state: "open",
            confirmed: false,
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
        Some(serde_json::json!({ "title": title })),
    )?;
    Ok(id)
}

/// Change a cluster's state, with its trail.
pub fn set_state(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    cluster: &ClusterRow,
    state: &str,
) -> AppResult<()> {
    let now = db::now();
    db_clusters::update(
        conn,
        cluster.id,
        &ClusterChangeset {
            state: Some(state.into()),
            resolved_at: Some(if state == "resolved" {
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

fn record(
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

fn live(conn: &mut DbConn, id: i64) -> AppResult<ClusterRow> {
    match db_clusters::find(conn, id)? {
        Some(c) if c.merged_into.is_none() => Ok(c),
        Some(_) => Err(AppError::Conflict(
            "that cluster was merged into another".into(),
        )),
        None => Err(AppError::NotFound),
    }
}

pub fn confirm(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require(Role::Lead)?;
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, id)?;
        let changes = ClusterChangeset {
            confirmed: Some(true),
            dismissed: Some(false),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "confirmed",
            Some(serde_json::json!({"confirmed": c.confirmed})),
            Some(serde_json::json!({"confirmed": true})),
        )
    })
}

/// A one-off, dismissed as noise: out of the queue and out of matching; nothing deleted.
pub fn dismiss(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    id: i64,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let version = crate::db::write_transaction(conn, |conn| {
        live(conn, id)?;
        let changes = ClusterChangeset {
            dismissed: Some(true),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "dismissed",
            None,
            Some(serde_json::json!({"dismissed": true})),
        )?;
        grouping::bump_version(conn)
    })?;
    grouping.structural(version, |index| index.remove_cluster(id));
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ClusterEdit {
    pub title: String,
    pub summary: String,
    /// A login, or empty for nobody.
    pub owner: String,
}

pub fn edit(conn: &mut DbConn, actor: &Actor, id: i64, edit: &ClusterEdit) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let mut errors = input::FieldErrors::new();
    let title = errors.check("title", input::required_text(&edit.title, TITLE_MAX));
    let summary = errors.check("summary", input::optional_text(&edit.summary, 2000));
    let owner = if edit.owner.trim().is_empty() {
        None
    } else {
        match users::find_by_login(conn, edit.owner.trim())? {
            Some(u) => Some(u.id),
            None => {
                errors.add("owner", "error.unknown_user");
                None
            }
        }
    };
    let (Some(title), Some(summary)) = (title, summary) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let summary = summary.unwrap_or_default();
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, id)?;
        let changes = ClusterChangeset {
            title: Some(title.clone()),
            summary: Some(summary.clone()),
            owner_id: Some(owner),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "edited",
            Some(
                serde_json::json!({"title": c.title, "summary": c.summary, "owner_id": c.owner_id}),
            ),
            Some(serde_json::json!({"title": title, "summary": summary, "owner_id": owner})),
        )
    })
}

/// Merge `from` into `into`: every incident, count and rule moves; `from` redirects.
pub fn merge(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    from: i64,
    into: i64,
) -> AppResult<ClusterRow> {
    actor.require(Role::Lead)?;
    if from == into {
        return Err(AppError::field("into", "error.merge_self"));
    }
    let (version, survivor) = crate::db::write_transaction(conn, |conn| {
        let a = live(conn, from)?;
        let b = match db_clusters::find(conn, into)? {
            Some(b) if b.merged_into.is_none() => b,
            Some(_) => {
                return Err(AppError::Conflict(
                    "the target cluster was merged into another".into(),
                ));
            }
            None => return Err(AppError::field("into", "error.unknown_cluster")),
        };
        if a.category_id != b.category_id {
            return Err(AppError::field("into", "error.merge_category"));
        }
        let now = db::now();
        let moved = incidents::move_all(conn, from, into)?;
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
        record(
            conn,
            Some(actor),
            from,
            "merged_into",
            None,
            Some(serde_json::json!({"into": into, "title": b.title, "incidents": moved})),
        )?;
        record(
            conn,
            Some(actor),
            into,
            "absorbed",
            None,
            Some(serde_json::json!({"from": from, "title": a.title, "incidents": moved})),
        )?;
        let version = grouping::bump_version(conn)?;
        Ok((version, live(conn, into)?))
    })?;
    grouping.structural(version, |index| index.merge(from, into));
    Ok(survivor)
}

/// Move incidents out of their cluster into `target` (an existing cluster), or into a new
/// confirmed cluster titled `new_title`. The matcher forgets their text in the old
/// cluster, so it does not pull such incidents back.
pub fn move_incidents(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
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
        let mut moved = Vec::new();
        for &id in incident_ids {
            let row = incidents::find(conn, id)?.ok_or(AppError::NotFound)?;
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
                        state: "open",
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
            let live_incident = row.status != "withdrawn";
            if let (Some(facts), true) = (incidents::facts(conn, row.id)?, live_incident) {
                rollups::apply(conn, &facts, -1)?;
            }
            incidents::set_cluster(conn, &[row.id], target_id, "lead", now)?;
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
        record(
            conn,
            Some(actor),
            target_id,
            "incidents_moved_in",
            None,
            Some(serde_json::json!({"incidents": incident_ids})),
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

/// "Category X and text containing Y joins cluster Z", checked before similarity.
pub fn add_rule(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    pattern: &str,
) -> AppResult<i64> {
    actor.require(Role::Lead)?;
    let pattern =
        input::required_text(pattern, NAME_MAX).map_err(|k| AppError::field("pattern", k))?;
    let folded = input::search_fold(&[&pattern]);
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, cluster_id)?;
        let id = db_clusters::insert_rule(
            conn,
            c.category_id,
            &folded,
            cluster_id,
            actor.id,
            db::now(),
        )?;
        record(
            conn,
            Some(actor),
            cluster_id,
            "rule_added",
            None,
            Some(serde_json::json!({"rule": id, "pattern": folded})),
        )?;
        Ok(id)
    })
}

pub fn set_rule_active(
    conn: &mut DbConn,
    actor: &Actor,
    rule_id: i64,
    active: bool,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    crate::db::write_transaction(conn, |conn| {
        if db_clusters::set_rule_active(conn, rule_id, active)? == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
}

/// A cluster as its page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    #[serde(flatten)]
    pub cluster: ClusterRow,
    pub category: String,
    pub owner: Option<String>,
    /// Incidents per ISO week, oldest first, over the weeks that have any.
    pub weekly: Vec<WeekCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekCount {
    pub week: String,
    pub incidents: i32,
}

pub fn view(conn: &mut DbConn, id: i64) -> AppResult<ClusterView> {
    use crate::db::schema::cluster_weeks;
    use diesel::prelude::*;
    let cluster = db_clusters::find(conn, id)?.ok_or(AppError::NotFound)?;
    let category = crate::db::catalog::categories(conn)?
        .into_iter()
        .find(|c| c.id == cluster.category_id)
        .map(|c| c.slug)
        .unwrap_or_default();
    let owner = match cluster.owner_id {
        Some(o) => users::find(conn, o)?.map(|u| u.login),
        None => None,
    };
    let weekly = cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(id))
        .filter(cluster_weeks::incidents.ne(0))
        .order(cluster_weeks::week_key.asc())
        .select((cluster_weeks::week_key, cluster_weeks::incidents))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .map(|(week, incidents)| WeekCount { week, incidents })
        .collect();
    Ok(ClusterView {
        cluster,
        category,
        owner,
        weekly,
    })
}

/// One queue item: a new cluster and the existing ones it most resembles.
#[derive(Debug, Clone)]
pub struct TriageItem {
    pub cluster: ClusterRow,
    pub first_incident: Option<incidents::IncidentRow>,
    pub suggestions: Vec<Suggestion>,
}

pub fn triage(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    limit: i64,
) -> AppResult<Vec<TriageItem>> {
    grouping.refresh(conn)?;
    let mut out = Vec::new();
    for cluster in db_clusters::unconfirmed(conn, limit)? {
        let sample = incidents::of_cluster(conn, cluster.id, 5)?;
        let title = sample
            .iter()
            .map(|i| i.title.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let body = sample
            .iter()
            .map(|i| i.body.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let matches = grouping.best_matches(cluster.category_id, &title, &body, 3, &[cluster.id]);
        let found = db_clusters::find_many(
            conn,
            &matches.iter().map(|m| m.cluster_id).collect::<Vec<_>>(),
        )?;
        let suggestions = matches
            .iter()
            .filter_map(|m| {
                found
                    .iter()
                    .find(|c| c.id == m.cluster_id && c.merged_into.is_none())
                    .map(|c| Suggestion {
                        cluster_id: c.id,
                        title: c.title.clone(),
                        score: (m.score * 1000.0).round() / 1000.0,
                    })
            })
            .collect();
        out.push(TriageItem {
            first_incident: sample.last().cloned(),
            cluster,
            suggestions,
        });
    }
    Ok(out)
}

/// Incidents of a cluster in one week (for "this looks like: … (41 this week)").
pub fn count_in_week(conn: &mut DbConn, cluster_id: i64, week: &str) -> AppResult<i32> {
    use crate::db::schema::cluster_weeks;
    use diesel::prelude::*;
    Ok(cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(cluster_id))
        .filter(cluster_weeks::week_key.eq(week))
        .select(cluster_weeks::incidents)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(0))
}
