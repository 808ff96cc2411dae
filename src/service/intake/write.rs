//! Filing inside a write transaction: each filing recognised, checked and placed in
//! turn, then all that were accepted written with a handful of statements; a large
//! import does so batch after batch in one transaction (`Writing`).

use super::check::{Checked, check};
use super::{Filer, Filing};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::incidents::NewIncident;
use crate::db::versions::{self, Versions};
use crate::db::{self, DbConn, clusters as db_clusters, incident_batch, rollups};
use crate::domain::grouping::IncidentTerms;
use crate::domain::states::IncidentStatus;
use crate::domain::week::{LocalStamp, WeekKey};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::catalog::Catalog;
use crate::service::clusters::{self, Placement, Suggestion};
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use crate::service::incidents::IncidentSnapshot;
use crate::service::snapshot;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;

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

/// A filing accepted in this transaction, with everything its rows need.
struct Accepted {
    id: i64,
    actor: Actor,
    checked: Checked,
    stamp: LocalStamp,
    cluster_id: i64,
    placement: Placement,
    status: IncidentStatus,
    import_id: Option<i64>,
}

/// File `filings` in order; call inside a write transaction (`db::write_transaction`).
/// Each gets its own answer: filed, or refused (an unknown token, a bad field) without
/// holding back the others. An `Err` of the whole means the database failed, and the
/// transaction must roll back. Each filing is placed against the index after the
/// filings before it, so two similar incidents of one batch share a cluster. The caller
/// tells the index of the commit (`GroupingCache::committed`) or of the rollback
/// (`invalidate`).
pub fn write(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    filings: &[&Filing],
) -> AppResult<Vec<AppResult<Filed>>> {
    let mut writing = Writing::begin(conn, grouping, directory)?;
    let answers = writing.file(conn, filings)?;
    writing.finish(conn)?;
    Ok(answers)
}

/// Rollup rows summed before they are written (a bound on the tally's memory).
const TALLY_ROWS: usize = 200_000;

/// `write` in steps, for many batches in one transaction (an import): what the
/// transaction sees of the counters, the catalogue and the index is read once at
/// `begin`, the clusters each placement resolved to are remembered from batch to batch,
/// and the rollups are summed over the batches and written at `finish` (or whenever
/// `TALLY_ROWS` have gathered). Nobody else writes while the transaction holds the write
/// lock, so nothing read at `begin` goes stale before the commit.
#[must_use = "call `finish` before the commit, or the rollups are not written"]
pub struct Writing<'a> {
    grouping: &'a GroupingCache,
    directory: &'a Directory,
    versions: Versions,
    known: Arc<Catalog>,
    /// Placement cluster -> the live cluster it resolved to, in this transaction.
    live: FxHashMap<i64, i64>,
    tally: rollups::Tally,
}

impl<'a> Writing<'a> {
    /// Begin filing in this write transaction.
    pub fn begin(
        conn: &mut DbConn,
        grouping: &'a GroupingCache,
        directory: &'a Directory,
    ) -> AppResult<Self> {
        // The counters as this transaction sees them: the catalogue and the people below
        // are exactly what is committed, whoever changed them last.
        let versions = versions::read(conn)?;
        directory.observe(&versions);
        // Other processes' filings, so that this batch can join their clusters. (A
        // failed read ends the transaction on PostgreSQL: it fails the batch.)
        grouping.refresh_at(conn, versions.grouping)?;
        let known = directory.known(conn, &versions)?;
        Ok(Self {
            grouping,
            directory,
            versions,
            known,
            live: FxHashMap::default(),
            tally: rollups::Tally::default(),
        })
    }

    /// File a batch: each filing recognised, checked and placed in turn, then the
    /// accepted ones written with a handful of statements.
    pub fn file(
        &mut self,
        conn: &mut DbConn,
        filings: &[&Filing],
    ) -> AppResult<Vec<AppResult<Filed>>> {
        let (grouping, directory, versions) = (self.grouping, self.directory, &self.versions);
        let known = self.known.clone();
        let ids = incident_batch::reserve_ids(conn, filings.len())?;
        let mut answers = Vec::with_capacity(filings.len());
        let mut accepted = Vec::with_capacity(filings.len());
        for (filing, &id) in filings.iter().zip(&ids) {
            let actor = match &filing.filer {
                Filer::Token(token) => directory.token_actor(conn, versions, token)?,
                Filer::Person(actor) => Some(actor.clone()),
            };
            let Some(actor) = actor else {
                answers.push(Err(AppError::Unauthorized));
                continue;
            };
            let checked = match check(&known, &filing.raw, filing.at) {
                Ok(checked) => checked,
                Err(errors) => {
                    answers.push(Err(AppError::Invalid(errors)));
                    continue;
                }
            };
            // Tokenized once: matched, then added to the index.
            let terms = IncidentTerms::of(&checked.title, &checked.body);
            let placement = clusters::place(
                grouping,
                |ids| directory.cluster_titles(conn, versions, ids),
                known.rules_for_category(checked.category_id),
                checked.category_id,
                &terms,
                &checked.search,
            )?;
            let cluster_id = match placement
                .cluster_id
                .and_then(|c| self.live.get(&c).copied())
            {
                Some(live_id) => live_id,
                None => {
                    let live_id = clusters::cluster_for_new_incident(
                        conn,
                        &actor,
                        &placement,
                        None,
                        checked.category_id,
                        &checked.title,
                    )?;
                    self.live
                        .insert(placement.cluster_id.unwrap_or(live_id), live_id);
                    live_id
                }
            };
            // Later filings of this batch match against it at once.
            grouping.add_written(id, cluster_id, checked.category_id, &terms);
            let stamp = LocalStamp::of(checked.occurred.and_utc(), known.timezone);
            answers.push(Ok(filed(id, &stamp, cluster_id, &placement)));
            accepted.push(Accepted {
                id,
                actor,
                checked,
                stamp,
                cluster_id,
                placement,
                // An import gives open or handled (both counted in the rollups below).
                status: filing
                    .imported
                    .map(|i| i.status)
                    .filter(|s| s.counts())
                    .unwrap_or(IncidentStatus::Open),
                import_id: filing.imported.map(|i| i.import_id),
            });
        }
        insert(conn, &known, &accepted, &mut self.tally)?;
        if self.tally.len() >= TALLY_ROWS {
            self.tally.apply(conn)?;
        }
        Ok(answers)
    }

    /// Write the rollups summed so far; call before the transaction commits.
    pub fn finish(mut self, conn: &mut DbConn) -> AppResult<()> {
        self.tally.apply(conn)?;
        Ok(())
    }
}

/// The answer for an accepted filing: its cluster, and the other clusters it resembles.
fn filed(id: i64, stamp: &LocalStamp, cluster_id: i64, placement: &Placement) -> Filed {
    let joined = placement.cluster_id.is_some();
    Filed {
        id,
        week: stamp.week,
        local_hour: stamp.hour,
        cluster_id: Some(cluster_id),
        joined,
        suggestions: placement
            .suggestions
            .iter()
            .filter(|s| !joined || s.cluster_id != cluster_id)
            .cloned()
            .collect(),
    }
}

/// The accepted filings' rows: incidents, tags, the trail's events, cluster counts and
/// weekly rollups, one statement each whatever the number of filings.
fn insert(
    conn: &mut DbConn,
    known: &Catalog,
    accepted: &[Accepted],
    tally: &mut rollups::Tally,
) -> AppResult<()> {
    if accepted.is_empty() {
        return Ok(());
    }
    let written = db::now();
    let department = |id: Option<i64>| known.department_slug(id).map(str::to_string);
    let facts: Vec<rollups::Facts> = accepted
        .iter()
        .map(|a| {
            let mut tags = a.checked.tags.clone();
            tags.sort();
            rollups::Facts {
                cluster_id: Some(a.cluster_id),
                category_id: a.checked.category_id,
                week: a.stamp.week.to_string(),
                hour: a.stamp.hour as i32,
                weekday: a.stamp.weekday as i32,
                department: department(department_of(a)),
                counterpart: department(a.checked.counterpart_id),
                reporter: a.actor.login.clone(),
                tags,
                external_ref: a.checked.external_ref.clone(),
            }
        })
        .collect();
    let tag_texts: Vec<String> = accepted.iter().map(|a| a.checked.tags.join(", ")).collect();
    let terms: Vec<String> = accepted
        .iter()
        .map(|a| a.placement.terms.join(", "))
        .collect();
    let rows: Vec<(i64, NewIncident<'_>)> = accepted
        .iter()
        .zip(&facts)
        .zip(tag_texts.iter().zip(&terms))
        .map(|((a, facts), (tags, terms))| {
            let c = &a.checked;
            let row = NewIncident {
                title: &c.title,
                body: &c.body,
                category_id: c.category_id,
                reporter_id: a.actor.id,
                department_id: department_of(a),
                counterpart_id: c.counterpart_id,
                occurred_at: c.occurred,
                local_date: a.stamp.date,
                week_key: &facts.week,
                iso_weekday: a.stamp.weekday as i32,
                local_hour: a.stamp.hour as i32,
                tags,
                external_ref: c.external_ref.as_deref(),
                status: a.status,
                search_text: &c.search,
                created_at: written,
                updated_at: written,
                cluster_id: Some(a.cluster_id),
                join_reason: Some(a.placement.reason),
                join_score: a.placement.score,
                join_terms: Some(terms.as_str()).filter(|t| !t.is_empty()),
                import_id: a.import_id,
            };
            (a.id, row)
        })
        .collect();
    let tags: Vec<(i64, &str)> = accepted
        .iter()
        .flat_map(|a| a.checked.tags.iter().map(move |t| (a.id, t.as_str())))
        .collect();
    incident_batch::insert_many(conn, &rows, &tags)?;
    let events: Vec<NewAuditEvent<'_>> = accepted
        .iter()
        .map(|a| NewAuditEvent {
            actor_id: Some(a.actor.id),
            entity: "incident",
            entity_id: a.id,
            action: "filed",
            before_json: None,
            after_json: snapshot(&IncidentSnapshot {
                title: &a.checked.title,
                body: &a.checked.body,
                category: &a.checked.category_slug,
                status: a.status,
                handled_note: None,
            }),
            at: written,
        })
        .collect();
    audit::record_many(conn, &events)?;
    let mut counts: BTreeMap<i64, (i32, chrono::NaiveDateTime)> = BTreeMap::new();
    for a in accepted {
        let count = counts
            .entry(a.cluster_id)
            .or_insert((0, a.checked.occurred));
        count.0 += 1;
        count.1 = count.1.max(a.checked.occurred);
    }
    let counts: Vec<_> = counts
        .into_iter()
        .map(|(id, (n, last))| (id, n, last))
        .collect();
    db_clusters::add_filed(conn, &counts)?;
    for facts in &facts {
        tally.add(facts, 1);
    }
    Ok(())
}

/// The department an incident counts under: the one given, else the reporter's.
fn department_of(a: &Accepted) -> Option<i64> {
    a.checked.department_id.or(a.actor.department_id)
}
