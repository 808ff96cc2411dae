//! Filing an incident: validate and place it in the request, write it (alone or in a batch).

use super::IncidentSnapshot;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters as db_clusters;
use crate::db::incident_batch;
use crate::db::incidents::NewIncident;
use crate::db::versions::{self, Versions};
use crate::db::{self, DbConn, rollups};
use crate::domain::input::{self, BODY_MAX, FieldErrors, Slug, TITLE_MAX};
use crate::domain::week::{LocalStamp, WeekKey};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::clusters::{self, Suggestion};
use crate::service::directory::{Directory, Known};
use crate::service::grouping::GroupingCache;
use crate::service::{filing_queue, snapshot};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An incident as typed into the form or sent to the API: every field as text, so a
/// rejected form can be shown again exactly as it was typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RawIncident {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub counterpart: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub external_ref: String,
}

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

/// A filing that passed validation and was matched against the clusters, ready for the
/// writer. Everything here was worked out in the request, off the write lock.
#[derive(Debug, Clone)]
pub struct PreparedFiling {
    pub actor: Actor,
    pub title: String,
    pub body: String,
    pub category_id: i64,
    pub category_slug: String,
    /// UTC, truncated to microseconds.
    pub occurred: chrono::NaiveDateTime,
    pub tags: Vec<String>,
    pub external_ref: Option<String>,
    pub search: String,
    /// The given department, else the reporter's.
    pub department_id: Option<i64>,
    pub counterpart_id: Option<i64>,
    pub placement: clusters::Placement,
}

/// How late another process's filings may reach the index used to place a filing in
/// the request (the writer catches up before every batch).
const PLACEMENT_FRESHNESS: std::time::Duration = std::time::Duration::from_millis(20);

/// Validate a filing and place it (rules, then similarity): every read a filing needs,
/// and no write. The reporter's department is used when none is given.
#[tracing::instrument(skip(conn, grouping, directory, raw), fields(actor = %actor.login))]
pub fn prepare(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    versions: &Versions,
    actor: &Actor,
    raw: &RawIncident,
    now: DateTime<Utc>,
) -> AppResult<PreparedFiling> {
    let known = directory.known(conn, versions)?;
    let known = known.as_ref();
    let tz = known.timezone;
    let mut errors = FieldErrors::new();
    let title = errors.check("title", input::required_text(&raw.title, TITLE_MAX));
    let body = errors.check("body", input::optional_text(&raw.body, BODY_MAX));
    let occurred = errors.check("occurred_at", input::occurred_at(&raw.occurred_at, tz, now));
    let tags = errors.check("tags", input::tags(&raw.tags));
    let external_ref = errors.check("external_ref", input::optional_text(&raw.external_ref, 100));
    let category = match errors.check("category", Slug::parse(&raw.category)) {
        Some(slug) => match known.category_by_slug(slug.as_ref()) {
            Some(c) if c.active => Some(c),
            _ => {
                errors.add("category", "error.unknown_category");
                None
            }
        },
        None => None,
    };
    let department = department_field(known, &mut errors, "department", &raw.department);
    let counterpart = department_field(known, &mut errors, "counterpart", &raw.counterpart);
    let (Some(title), Some(body), Some(occurred), Some(tags), Some(external_ref), Some(category)) =
        (title, body, occurred, tags, external_ref, category)
    else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let body = body.unwrap_or_default();
    let occurred = db::truncate_micros(occurred.naive_utc());
    let tag_text = tags.join(", ");
    let search = input::search_fold(&[
        &title,
        &body,
        &tag_text,
        external_ref.as_deref().unwrap_or(""),
    ]);
    // Matching reads the in-process index outside the write transaction.
    grouping.refresh_within(conn, PLACEMENT_FRESHNESS)?;
    let rules = known.rules_for_category(category.id);
    let titles = |ids: &[i64]| directory.cluster_titles(conn, versions, ids);
    let placement = clusters::place(grouping, titles, rules, category.id, &title, &body, &search)?;
    Ok(PreparedFiling {
        department_id: department.or(actor.department_id),
        counterpart_id: counterpart,
        actor: actor.clone(),
        title,
        body,
        category_id: category.id,
        category_slug: category.slug.clone(),
        occurred,
        tags,
        external_ref,
        search,
        placement,
    })
}

/// A department named by slug in a form or API field: its id, `None` when the field is
/// empty, and a message on `field` when the slug is malformed or unknown.
fn department_field(
    known: &Known,
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
) -> Option<i64> {
    if raw.trim().is_empty() {
        return None;
    }
    let slug = errors.check(field, Slug::parse(raw))?;
    match known.department_by_slug(slug.as_ref()) {
        Some(d) => Some(d.id),
        None => {
            errors.add(field, "error.unknown_department");
            None
        }
    }
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
    let versions = versions::read(conn)?;
    let prepared = prepare(conn, grouping, &directory, &versions, actor, raw, now)?;
    let mut filed = filing_queue::write_one(conn, grouping, &directory, &prepared)?;
    Ok(filed.remove(0))
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
    batch: &[&PreparedFiling],
) -> AppResult<Vec<Filed>> {
    use rustc_hash::FxHashMap;
    use std::collections::BTreeMap;
    // Read inside the transaction: a time-zone change cannot slip in before the commit.
    let known = directory.known_now(conn)?;
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
                        status: "open",
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
                status: "open",
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
