//! Filing an incident, reading it, listing them, and the rung-0 one-off fix.

use super::accounts::Actor;
use super::catalog::Catalog;
use super::clusters::{self, Suggestion};
use super::grouping::GroupingCache;
use super::{filing_queue, organisation, snapshot};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters as db_clusters;
use crate::db::incidents::{self, IncidentFilter, IncidentRow, NewIncident};
use crate::db::{self, DbConn, catalog, rollups, users};
use crate::domain::input::{self, BODY_MAX, FieldErrors, Slug, TITLE_MAX};
use crate::domain::role::Role;
use crate::domain::week::{LocalStamp, WeekKey};
use crate::error::{AppError, AppResult};
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

#[derive(Serialize)]
struct IncidentSnapshot<'a> {
    title: &'a str,
    body: &'a str,
    category: &'a str,
    status: &'a str,
    handled_note: Option<&'a str>,
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

/// Validate a filing and place it (rules, then similarity): every read a filing needs,
/// and no write. The reporter's department is used when none is given.
#[tracing::instrument(skip(conn, grouping, raw), fields(actor = %actor.login))]
pub fn prepare(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    raw: &RawIncident,
    now: DateTime<Utc>,
) -> AppResult<PreparedFiling> {
    let tz = organisation::timezone(conn)?;
    let mut errors = FieldErrors::new();
    let title = errors.check("title", input::required_text(&raw.title, TITLE_MAX));
    let body = errors.check("body", input::optional_text(&raw.body, BODY_MAX));
    let occurred = errors.check("occurred_at", input::occurred_at(&raw.occurred_at, tz, now));
    let tags = errors.check("tags", input::tags(&raw.tags));
    let external_ref = errors.check("external_ref", input::optional_text(&raw.external_ref, 100));
    let category = match errors.check("category", Slug::parse(&raw.category)) {
        Some(slug) => match catalog::category_by_slug(conn, slug.as_ref())? {
            Some(c) if c.active => Some(c),
            _ => {
                errors.add("category", "error.unknown_category");
                None
            }
        },
        None => None,
    };
    let department =
        super::catalog::department_field(conn, &mut errors, "department", &raw.department)?;
    let counterpart =
        super::catalog::department_field(conn, &mut errors, "counterpart", &raw.counterpart)?;
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
    grouping.refresh(conn)?;
    let placement = clusters::place(conn, grouping, category.id, &title, &body, &search)?;
    Ok(PreparedFiling {
        department_id: department.or(actor.department_id),
        counterpart_id: counterpart,
        actor: actor.clone(),
        title,
        body,
        category_id: category.id,
        category_slug: category.slug,
        occurred,
        tags,
        external_ref,
        search,
        placement,
    })
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
    let prepared = prepare(conn, grouping, actor, raw, now)?;
    let mut filed = filing_queue::write_one(conn, grouping, &prepared)?;
    Ok(filed.remove(0))
}

/// Write a batch of prepared filings; call inside a transaction. The organisation's
/// time zone and the departments are read once per batch. A filing whose placement was
/// "new" is matched again against the index, which by then holds the batch's earlier
/// filings, so that two similar incidents of one batch do not start two clusters.
pub fn write_batch(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    batch: &[&PreparedFiling],
) -> AppResult<Vec<Filed>> {
    use rustc_hash::FxHashMap;
    use std::collections::BTreeMap;
    let tz = organisation::timezone(conn)?;
    let departments: FxHashMap<i64, String> = catalog::departments(conn)?
        .into_iter()
        .map(|d| (d.id, d.slug))
        .collect();
    // Placement cluster -> the live cluster it resolved to, for this transaction.
    let mut live: FxHashMap<i64, i64> = FxHashMap::default();
    let mut counts: BTreeMap<i64, (i32, chrono::NaiveDateTime)> = BTreeMap::new();
    let mut all_facts = Vec::with_capacity(batch.len());
    let mut out = Vec::with_capacity(batch.len());
    for f in batch {
        let actor = &f.actor;
        let stamp = LocalStamp::of(f.occurred.and_utc(), tz);
        let week = stamp.week.to_string();
        let tag_text = f.tags.join(", ");
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
                let id = clusters::cluster_for_new_incident(
                    conn,
                    actor,
                    &placement,
                    f.category_id,
                    &f.title,
                )?;
                if placement.cluster_id == Some(id) {
                    live.insert(id, id);
                }
                id
            }
        };
        let terms = placement.terms.join(", ");
        let written = db::now();
        let new = NewIncident {
            title: &f.title,
            body: &f.body,
            category_id: f.category_id,
            reporter_id: actor.id,
            department_id: f.department_id,
            counterpart_id: f.counterpart_id,
            occurred_at: f.occurred,
            local_date: stamp.date,
            week_key: &week,
            iso_weekday: stamp.weekday as i32,
            local_hour: stamp.hour as i32,
            tags: &tag_text,
            external_ref: f.external_ref.as_deref(),
            status: "open",
            search_text: &f.search,
            created_at: written,
            updated_at: written,
            cluster_id: Some(cluster_id),
            join_reason: Some(placement.reason),
            join_score: placement.score,
            join_terms: Some(terms.as_str()).filter(|t| !t.is_empty()),
        };
        let id = incidents::insert(conn, &new, &f.tags)?;
        let count = counts.entry(cluster_id).or_insert((0, f.occurred));
        count.0 += 1;
        count.1 = count.1.max(f.occurred);
        let mut tags = f.tags.clone();
        tags.sort();
        all_facts.push(rollups::Facts {
            cluster_id: Some(cluster_id),
            category_id: f.category_id,
            week,
            hour: stamp.hour as i32,
            weekday: stamp.weekday as i32,
            department: f.department_id.and_then(|d| departments.get(&d).cloned()),
            counterpart: f.counterpart_id.and_then(|d| departments.get(&d).cloned()),
            reporter: actor.login.clone(),
            tags,
            external_ref: f.external_ref.clone(),
        });
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
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
            },
        )?;
        // Later filings of this batch (and other requests) match against it at once.
        grouping.add_written(id, cluster_id, f.category_id, &f.title, &f.body);
        let joined = placement.cluster_id.is_some();
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
    for (cluster_id, (n, last)) in counts {
        db_clusters::add_to_count(conn, cluster_id, n, Some(last))?;
    }
    rollups::apply_many(conn, &all_facts, 1)?;
    Ok(out)
}

/// An incident as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category: String,
    pub category_name_en: String,
    pub category_name_zh: String,
    pub reporter: String,
    pub reporter_name: String,
    pub reporter_id: i64,
    pub department: Option<String>,
    pub counterpart: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub local_date: String,
    pub week: String,
    pub weekday: i32,
    pub local_hour: i32,
    pub tags: Vec<String>,
    pub external_ref: Option<String>,
    pub status: String,
    pub handled_note: Option<String>,
    pub cluster_id: Option<i64>,
    /// How it came to its cluster: similar, rule, new, lead.
    pub join_reason: Option<String>,
    pub join_score: Option<f64>,
    pub join_terms: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn view(conn: &mut DbConn, id: i64) -> AppResult<IncidentView> {
    let row = incidents::find(conn, id)?.ok_or(AppError::NotFound)?;
    let catalog = Catalog::load(conn)?;
    let reporter = users::find(conn, row.reporter_id)?.ok_or(AppError::NotFound)?;
    Ok(to_view(
        row,
        &catalog,
        reporter.login,
        reporter.display_name,
    ))
}

fn to_view(
    row: IncidentRow,
    catalog: &Catalog,
    reporter: String,
    reporter_name: String,
) -> IncidentView {
    let category = catalog.category(row.category_id);
    IncidentView {
        id: row.id,
        category: category.map(|c| c.slug.clone()).unwrap_or_default(),
        category_name_en: category.map(|c| c.name_en.clone()).unwrap_or_default(),
        category_name_zh: category.map(|c| c.name_zh.clone()).unwrap_or_default(),
        department: catalog
            .department_slug(row.department_id)
            .map(str::to_string),
        counterpart: catalog
            .department_slug(row.counterpart_id)
            .map(str::to_string),
        tags: row
            .tags
            .split(", ")
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        title: row.title,
        body: row.body,
        reporter,
        reporter_name,
        reporter_id: row.reporter_id,
        occurred_at: row.occurred_at.and_utc(),
        local_date: row.local_date.to_string(),
        week: row.week_key,
        weekday: row.iso_weekday,
        local_hour: row.local_hour,
        external_ref: row.external_ref,
        status: row.status,
        handled_note: row.handled_note,
        cluster_id: row.cluster_id,
        join_reason: row.join_reason,
        join_score: row.join_score,
        join_terms: row.join_terms,
        created_at: row.created_at.and_utc(),
        updated_at: row.updated_at.and_utc(),
    }
}

/// Mark handled (the one-off fix, with its note) or withdrawn: the reporter or a lead.
pub fn set_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    status: &str,
    note: &str,
) -> AppResult<()> {
    if !matches!(status, "handled" | "withdrawn" | "open") {
        return Err(AppError::field("status", "error.status"));
    }
    let note = input::optional_text(note, BODY_MAX).map_err(|k| AppError::field("note", k))?;
    if status == "handled" && note.is_none() {
        return Err(AppError::field("note", "error.required"));
    }
    crate::db::write_transaction(conn, |conn| {
        let row = incidents::find(conn, id)?.ok_or(AppError::NotFound)?;
        if row.reporter_id != actor.id {
            actor.require(Role::Lead)?;
        }
        if row.status == status {
            return Ok(());
        }
        let now = db::now();
        // Withdrawn incidents leave the counts; a reopened one comes back.
        let counted_before = row.status != "withdrawn";
        let counted_after = status != "withdrawn";
        if counted_before != counted_after {
            let delta = if counted_after { 1 } else { -1 };
            if let Some(facts) = incidents::facts(conn, id)? {
                rollups::apply(conn, &facts, delta)?;
            }
            if let Some(cluster_id) = row.cluster_id {
                db_clusters::add_to_count(conn, cluster_id, delta, None)?;
            }
        }
        incidents::set_status(conn, id, status, note.as_deref(), now)?;
        let category = catalog::categories(conn)?
            .into_iter()
            .find(|c| c.id == row.category_id)
            .map(|c| c.slug)
            .unwrap_or_default();
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "incident",
                entity_id: id,
                action: status,
                before_json: snapshot(&IncidentSnapshot {
                    title: &row.title,
                    body: &row.body,
                    category: &category,
                    status: &row.status,
                    handled_note: row.handled_note.as_deref(),
                }),
                after_json: snapshot(&IncidentSnapshot {
                    title: &row.title,
                    body: &row.body,
                    category: &category,
                    status,
                    handled_note: note.as_deref(),
                }),
                at: now,
            },
        )?;
        Ok(())
    })
}

/// One line of a timeline: who did what, and which fields changed.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub changes: Vec<(String, String, String)>,
}

pub fn timeline(conn: &mut DbConn, entity: &str, id: i64) -> AppResult<Vec<TimelineEntry>> {
    Ok(audit::for_entity(conn, entity, id)?
        .into_iter()
        .map(|e| TimelineEntry {
            at: e.at.and_utc(),
            actor: e.actor_login.unwrap_or_else(|| "rungs".into()),
            changes: diff(e.before_json.as_deref(), e.after_json.as_deref()),
            action: e.action,
        })
        .collect())
}

/// The fields that differ between two JSON snapshots (all of `after` when there is no before).
fn diff(before: Option<&str>, after: Option<&str>) -> Vec<(String, String, String)> {
    let parse = |s: Option<&str>| -> serde_json::Map<String, serde_json::Value> {
        s.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default()
    };
    let (b, a) = (parse(before), parse(after));
    let text = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), text(b.get(k)), text(Some(v))))
        .collect()
}

/// A page of the incident list.
#[derive(Debug, Clone)]
pub struct IncidentPage {
    pub rows: Vec<incidents::IncidentListRow>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

pub const PAGE_SIZE: i64 = 50;

pub fn list(conn: &mut DbConn, filter: &IncidentFilter, page: i64) -> AppResult<IncidentPage> {
    let total = incidents::count(conn, filter)?;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let rows = incidents::list(conn, filter, PAGE_SIZE, (page - 1) * PAGE_SIZE)?;
    Ok(IncidentPage {
        rows,
        total,
        page,
        pages,
    })
}

#[cfg(test)]
mod tests {
    use super::diff;

    #[test]
    fn diff_names_changed_fields() {
        let d = diff(
            Some(r#"{"status":"open","title":"a"}"#),
            Some(r#"{"status":"handled","title":"a"}"#),
        );
        assert_eq!(d, vec![("status".into(), "open".into(), "handled".into())]);
        let d = diff(None, Some(r#"{"title":"a"}"#));
        assert_eq!(d, vec![("title".into(), String::new(), "a".into())]);
    }
}
