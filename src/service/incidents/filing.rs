//! Writing prepared filings (`prepare`), alone or in a batch.

use super::{Filer, IncidentSnapshot, PreparedFiling, RawIncident, prepare};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters as db_clusters;
use crate::db::incident_batch;
use crate::db::incidents::NewIncident;
use crate::db::versions::{self, Versions};
use crate::db::{self, DbConn, rollups};
use crate::domain::states::IncidentStatus;
use crate::domain::week::{LocalStamp, WeekKey};
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::clusters::{self, Suggestion};
use crate::service::directory::Directory;
use crate::service::filing_queue::{self, Written};
use crate::service::grouping::GroupingCache;
use crate::service::snapshot;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the filer is told back.
#[derive(Debug, Clone, Serialize)]
pub struct Filed {
    pub id: i64,
    pub week: WeekKey,
    pub local_hour: u32,
    pub cluster_id: Option<i64>,
    /// Whether the incident joined an existing cluster (else it started a new one).
    pub joined: bool,
    pub suggestions: Vec<Suggestion>,
}

/// File an incident on this connection, in a transaction of its own (the server files
/// through `filing_queue::FilingQueue`, which writes many filings per transaction).
pub fn file(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    raw: &RawIncident,
    now: DateTime<Utc>,
) -> AppResult<Filed> {
    let directory = Directory::new();
    let filer = Filer::Person(actor.clone());
    // Checked again only if another process changed the catalogue in between.
    for _ in 0..filing_queue::MAX_RECHECKS {
        let versions = versions::read(conn)?;
        let prepared = prepare(conn, grouping, &directory, &versions, &filer, raw, now)?;
        if let Written::Filed(filed) =
            filing_queue::write_one(conn, grouping, &directory, &prepared)?
        {
            return Ok(filed);
        }
    }
    Err(filing_queue::kept_changing())
}

/// Write a batch of prepared filings; call inside a transaction. The organisation's
/// time zone, the departments and the clusters the batch was placed in are read once per
/// batch, and the incidents, their tags, their audit events and each rollup table are
/// written with one statement each, so a batch costs a handful of statements whatever
/// its size. A filing whose placement was "new" is matched again against the index,
/// which by then holds the batch's earlier filings, so that two similar incidents of one
/// batch do not start two clusters.
pub fn write_batch(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    versions: &Versions,
    batch: &[&PreparedFiling],
) -> AppResult<Vec<Filed>> {
    use rustc_hash::FxHashMap;
    use std::collections::BTreeMap;
    // `versions` were read inside the transaction: a time-zone change cannot slip in
    // before the commit.
    let known = directory.known(conn, versions)?;
    let tz = known.timezone;
    let departments: FxHashMap<i64, &str> = known
        .catalog
        .departments
        .iter()
        .map(|d| (d.id, d.slug.as_str()))
        .collect();
    let ids = incident_batch::reserve_ids(conn, batch.len())?;
    let mut placed: Vec<i64> = batch
        .iter()
        .filter_map(|f| f.placement.cluster_id)
        .collect();
    placed.sort_unstable();
    placed.dedup();
    let mut placed: FxHashMap<i64, db_clusters::ClusterRow> =
        db_clusters::find_many(conn, &placed)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
    // Placement cluster -> the live cluster it resolved to, for this transaction.
    let mut live: FxHashMap<i64, i64> = FxHashMap::default();
    let mut counts: BTreeMap<i64, (i32, chrono::NaiveDateTime)> = BTreeMap::new();
    let mut all_facts = Vec::with_capacity(batch.len());
    let mut rows = Vec::with_capacity(batch.len());
    let mut out = Vec::with_capacity(batch.len());
    let written = db::now();
    for (f, &id) in batch.iter().zip(&ids) {
        let actor = &f.actor;
        let stamp = LocalStamp::of(f.occurred.and_utc(), tz);
        let mut placement = f.placement.clone();
        if placement.cluster_id.is_none()
            && let Some(best) = grouping
                .best_matches(f.category_id, &f.title, &f.body, 1, &[])
                .into_iter()
                .next()
            && best.score >= grouping.threshold
        {
            placement.cluster_id = Some(best.cluster_id);
            placement.reason = "similar";
            placement.score = Some(best.score);
            placement.terms = best.matched_terms;
        }
        let cluster_id = match placement.cluster_id.and_then(|c| live.get(&c).copied()) {
            Some(id) => id,
            None => {
                let row = placement.cluster_id.and_then(|c| placed.remove(&c));
                let id = clusters::cluster_for_new_incident(
                    conn,
                    actor,
                    &placement,
                    row,
                    f.category_id,
                    &f.title,
                )?;
                if let Some(placed_in) = placement.cluster_id {
                    live.insert(placed_in, id);
                }
                id
            }
        };
        let count = counts.entry(cluster_id).or_insert((0, f.occurred));
        count.0 += 1;
        count.1 = count.1.max(f.occurred);
        let mut tags = f.tags.clone();
        tags.sort();
        all_facts.push(rollups::Facts {
            cluster_id: Some(cluster_id),
            category_id: f.category_id,
            week: stamp.week.to_string(),
            hour: stamp.hour as i32,
            weekday: stamp.weekday as i32,
            department: f
                .department_id
                .and_then(|d| departments.get(&d).map(|s| s.to_string())),
            counterpart: f
                .counterpart_id
                .and_then(|d| departments.get(&d).map(|s| s.to_string())),
            reporter: actor.login.clone(),
            tags,
            external_ref: f.external_ref.clone(),
        });
        // Later filings of this batch (and other requests) match against it at once.
        grouping.add_written(id, cluster_id, f.category_id, &f.title, &f.body);
        let joined = placement.cluster_id.is_some();
        let terms = placement.terms.join(", ");
        rows.push((
            id,
            stamp,
            cluster_id,
            placement.reason,
            placement.score,
            terms,
        ));
        let suggestions = placement
            .suggestions
            .into_iter()
            .filter(|s| !joined || s.cluster_id != cluster_id)
            .collect();
        out.push(Filed {
            id,
            week: stamp.week,
            local_hour: stamp.hour,
            cluster_id: Some(cluster_id),
            joined,
            suggestions,
        });
    }
    let tag_texts: Vec<String> = batch.iter().map(|f| f.tags.join(", ")).collect();
    let new_rows: Vec<(i64, NewIncident<'_>)> = batch
        .iter()
        .zip(&rows)
        .zip(&all_facts)
        .zip(&tag_texts)
        .map(
            |(((f, (id, stamp, cluster_id, reason, score, terms)), facts), tag_text)| {
                (
                    *id,
                    NewIncident {
                        title: &f.title,
                        body: &f.body,
                        category_id: f.category_id,
                        reporter_id: f.actor.id,
                        department_id: f.department_id,
                        counterpart_id: f.counterpart_id,
                        occurred_at: f.occurred,
                        local_date: stamp.date,
                        week_key: &facts.week,
                        iso_weekday: stamp.weekday as i32,
                        local_hour: stamp.hour as i32,
                        tags: tag_text,
                        external_ref: f.external_ref.as_deref(),
                        status: IncidentStatus::Open,
                        search_text: &f.search,
                        created_at: written,
                        updated_at: written,
                        cluster_id: Some(*cluster_id),
                        join_reason: Some(*reason),
                        join_score: *score,
                        join_terms: Some(terms.as_str()).filter(|t| !t.is_empty()),
                    },
                )
            },
        )
        .collect();
    let tags: Vec<(i64, &str)> = batch
        .iter()
        .zip(&ids)
        .flat_map(|(f, &id)| f.tags.iter().map(move |t| (id, t.as_str())))
        .collect();
    incident_batch::insert_many(conn, &new_rows, &tags)?;
    let events: Vec<NewAuditEvent<'_>> = batch
        .iter()
        .zip(&ids)
        .map(|(f, &id)| NewAuditEvent {
            actor_id: Some(f.actor.id),
            entity: "incident",
            entity_id: id,
            action: "filed",
            before_json: None,
            after_json: snapshot(&IncidentSnapshot {
                title: &f.title,
                body: &f.body,
                category: &f.category_slug,
                status: IncidentStatus::Open,
                handled_note: None,
            }),
            at: written,
        })
        .collect();
    audit::record_many(conn, &events)?;
    let counts: Vec<_> = counts
        .into_iter()
        .map(|(id, (n, last))| (id, n, last))
        .collect();
    db_clusters::add_filed(conn, &counts)?;
    rollups::apply_many(conn, &all_facts, 1)?;
    Ok(out)
}
