//! Filing an incident, reading it, listing them, and the rung-0 one-off fix.

mod filters;
mod page;
pub use filters::Filters;
pub use page::{IncidentShown, shown};

use super::accounts::Actor;
use super::catalog::Catalog;
use super::snapshot;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::clusters as db_clusters;
use crate::db::incidents;
pub use crate::db::incidents::{IncidentFilter, IncidentListRow, IncidentRow};
use crate::db::{self, DbConn, catalog, rollups, users};
use crate::domain::input::{self, BODY_MAX};
use crate::domain::role::Role;
use crate::domain::states::{IncidentStatus, JoinReason};
use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the audit trail keeps of an incident.
#[derive(Serialize)]
pub(crate) struct IncidentSnapshot<'a> {
    pub(crate) title: &'a str,
    pub(crate) body: &'a str,
    pub(crate) category: &'a str,
    pub(crate) status: IncidentStatus,
    pub(crate) handled_note: Option<&'a str>,
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
    pub status: IncidentStatus,
    pub handled_note: Option<String>,
    pub cluster_id: Option<i64>,
    /// How it came to its cluster: similar, rule, new, lead.
    pub join_reason: Option<JoinReason>,
    pub join_score: Option<f64>,
    pub join_terms: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Incident `id`, its category and department named from `catalog` (the request's).
pub fn view(conn: &mut DbConn, id: i64, catalog: &Catalog) -> AppResult<IncidentView> {
    let row = incidents::find(conn, id)?.ok_or(AppError::NotFound)?;
    let reporter = users::find(conn, row.reporter_id)?.ok_or(AppError::NotFound)?;
    Ok(to_view(row, catalog, reporter.login, reporter.display_name))
}

pub(crate) fn to_view(
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
    let status =
        IncidentStatus::parse(status).ok_or_else(|| AppError::field("status", "error.status"))?;
    let note = input::optional_text(note, BODY_MAX).map_err(|k| AppError::field("note", k))?;
    if status == IncidentStatus::Handled && note.is_none() {
        return Err(AppError::field("note", "error.required"));
    }
    crate::db::write_transaction(conn, |conn| {
        set_status_in(conn, actor, id, status, note.as_deref())
    })
}

/// Change an incident's status inside the caller's write transaction: the rollups and
/// its cluster's count follow whether it counts, and the change goes on the trail. The
/// reporter may do it, else a lead. (An import's withdrawal runs it for every incident.)
pub(crate) fn set_status_in(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    status: IncidentStatus,
    note: Option<&str>,
) -> AppResult<()> {
    let row = incidents::find(conn, id)?.ok_or(AppError::NotFound)?;
    if row.reporter_id != actor.id {
        actor.require(Role::Lead)?;
    }
    if row.status == status {
        return Ok(());
    }
    let now = db::now();
    // Withdrawn incidents leave the counts; a reopened one comes back.
    let (counted_before, counted_after) = (row.status.counts(), status.counts());
    if counted_before != counted_after {
        let delta = if counted_after { 1 } else { -1 };
        if let Some(facts) = incidents::facts(conn, id)? {
            rollups::apply(conn, &facts, delta)?;
        }
        if let Some(cluster_id) = row.cluster_id {
            db_clusters::add_to_count(conn, cluster_id, delta, None)?;
        }
    }
    incidents::set_status(conn, id, status, note, now)?;
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
            action: status.as_str(),
            before_json: snapshot(&IncidentSnapshot {
                title: &row.title,
                body: &row.body,
                category: &category,
                status: row.status,
                handled_note: row.handled_note.as_deref(),
            }),
            after_json: snapshot(&IncidentSnapshot {
                title: &row.title,
                body: &row.body,
                category: &category,
                status,
                handled_note: note,
            }),
            at: now,
        },
    )?;
    Ok(())
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

/// The display names of the people a timeline names by id (owners given or taken).
pub fn people_named(
    conn: &mut DbConn,
    timeline: &[TimelineEntry],
) -> AppResult<std::collections::HashMap<i64, String>> {
    let mut people = std::collections::HashMap::new();
    for (_, before, after) in timeline
        .iter()
        .flat_map(|e| e.changes.iter())
        .filter(|(field, _, _)| field == "owner_id")
    {
        for id in [before, after]
            .into_iter()
            .filter_map(|v| v.parse::<i64>().ok())
        {
            if let std::collections::hash_map::Entry::Vacant(slot) = people.entry(id)
                && let Some(u) = crate::db::users::find(conn, id)?
            {
                slot.insert(u.display_name);
            }
        }
    }
    Ok(people)
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

impl IncidentPage {
    /// No incidents: the list when its filters named nothing known.
    pub fn empty() -> Self {
        Self {
            rows: Vec::new(),
            total: 0,
            page: 1,
            pages: 1,
        }
    }
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
