//! Incidents and their tags.

use super::DbConn;
use super::rollups::Facts;
use super::schema::{departments, incident_tags, incidents, users};
use crate::domain::states::{IncidentStatus, JoinReason};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = incidents)]
pub struct IncidentRow {
    pub id: i64,
    pub title: String,
    pub body: String,
    pub category_id: i64,
    pub reporter_id: i64,
    pub department_id: Option<i64>,
    pub counterpart_id: Option<i64>,
    pub occurred_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub week_key: String,
    pub iso_weekday: i32,
    pub local_hour: i32,
    pub tags: String,
    pub external_ref: Option<String>,
    pub status: IncidentStatus,
    pub handled_note: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub cluster_id: Option<i64>,
    pub join_reason: Option<JoinReason>,
    pub join_score: Option<f64>,
    pub join_terms: Option<String>,
}

/// A new incident's row. `None` is written as NULL (not DEFAULT), so that many rows can
/// go into one multi-row INSERT on SQLite too.
#[derive(Debug, Insertable)]
#[diesel(table_name = incidents, treat_none_as_default_value = false)]
pub struct NewIncident<'a> {
    pub title: &'a str,
    pub body: &'a str,
    pub category_id: i64,
    pub reporter_id: i64,
    pub department_id: Option<i64>,
    pub counterpart_id: Option<i64>,
    pub occurred_at: NaiveDateTime,
    pub local_date: NaiveDate,
    pub week_key: &'a str,
    pub iso_weekday: i32,
    pub local_hour: i32,
    pub tags: &'a str,
    pub external_ref: Option<&'a str>,
    pub status: IncidentStatus,
    pub search_text: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub cluster_id: Option<i64>,
    pub join_reason: Option<JoinReason>,
    pub join_score: Option<f64>,
    pub join_terms: Option<&'a str>,
    /// The import that brought it, if it came from a spreadsheet.
    pub import_id: Option<i64>,
}

pub fn insert(conn: &mut DbConn, new: &NewIncident<'_>, tags: &[String]) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(incidents::table)
        .values(new)
        .returning(incidents::id)
        .get_result(conn)?;
    for tag in tags {
        diesel::insert_into(incident_tags::table)
            .values((
                incident_tags::incident_id.eq(id),
                incident_tags::tag.eq(tag),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<IncidentRow>> {
    incidents::table
        .find(id)
        .select(IncidentRow::as_select())
        .first(conn)
        .optional()
}

/// What the incident list can be narrowed by.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    pub week: Option<String>,
    pub category_id: Option<i64>,
    pub department_id: Option<i64>,
    pub status: Option<String>,
    pub reporter_id: Option<i64>,
    /// Already folded with `domain::input::search_fold`.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Queryable)]
pub struct IncidentListRow {
    pub id: i64,
    pub title: String,
    pub category_id: i64,
    pub department_id: Option<i64>,
    pub counterpart_id: Option<i64>,
    pub occurred_at: NaiveDateTime,
    pub week_key: String,
    pub status: IncidentStatus,
    pub reporter_login: String,
}

fn filtered(filter: &IncidentFilter) -> incidents::BoxedQuery<'static, super::MultiBackend> {
    let mut q = incidents::table.into_boxed();
    if let Some(w) = &filter.week {
        q = q.filter(incidents::week_key.eq(w.clone()));
    }
    if let Some(c) = filter.category_id {
        q = q.filter(incidents::category_id.eq(c));
    }
    if let Some(d) = filter.department_id {
        q = q.filter(
            incidents::department_id
                .eq(d)
                .or(incidents::counterpart_id.eq(d)),
        );
    }
    if let Some(s) = &filter.status {
        q = q.filter(incidents::status.eq(s.clone()));
    }
    if let Some(r) = filter.reporter_id {
        q = q.filter(incidents::reporter_id.eq(r));
    }
    if let Some(t) = &filter.text {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        q = q.filter(
            incidents::search_text
                .like(format!("%{escaped}%"))
                .escape('\\'),
        );
    }
    q
}

pub fn count(conn: &mut DbConn, filter: &IncidentFilter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

pub fn list(
    conn: &mut DbConn,
    filter: &IncidentFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<IncidentListRow>> {
    let ids: Vec<i64> = filtered(filter)
        .select(incidents::id)
        .order((incidents::occurred_at.desc(), incidents::id.desc()))
        .limit(limit)
        .offset(offset)
        .load(conn)?;
    let mut rows: Vec<IncidentListRow> = incidents::table
        .inner_join(users::table)
        .filter(incidents::id.eq_any(&ids))
        .select((
            incidents::id,
            incidents::title,
            incidents::category_id,
            incidents::department_id,
            incidents::counterpart_id,
            incidents::occurred_at,
            incidents::week_key,
            incidents::status,
            users::login,
        ))
        .load(conn)?;
    rows.sort_by_key(|r| std::cmp::Reverse((r.occurred_at, r.id)));
    Ok(rows)
}

pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    status: IncidentStatus,
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(incidents::table.find(id))
        .set((
            incidents::status.eq(status),
            incidents::handled_note.eq(note),
            incidents::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Id and instant of incidents after `after_id`, for recomputing local stamps in batches.
pub fn instants_after(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<(i64, NaiveDateTime)>> {
    incidents::table
        .filter(incidents::id.gt(after_id))
        .order(incidents::id.asc())
        .limit(limit)
        .select((incidents::id, incidents::occurred_at))
        .load(conn)
}

pub fn set_stamp(
    conn: &mut DbConn,
    id: i64,
    date: NaiveDate,
    week_key: &str,
    weekday: i32,
    hour: i32,
) -> QueryResult<usize> {
    diesel::update(incidents::table.find(id))
        .set((
            incidents::local_date.eq(date),
            incidents::week_key.eq(week_key),
            incidents::iso_weekday.eq(weekday),
            incidents::local_hour.eq(hour),
        ))
        .execute(conn)
}

pub fn total(conn: &mut DbConn) -> QueryResult<i64> {
    incidents::table.count().get_result(conn)
}

/// What an incident contributes to the weekly rollups.
pub fn facts(conn: &mut DbConn, id: i64) -> QueryResult<Option<Facts>> {
    let Some(row) = find(conn, id)? else {
        return Ok(None);
    };
    let slug = |conn: &mut DbConn, d: Option<i64>| -> QueryResult<Option<String>> {
        match d {
            Some(d) => departments::table
                .find(d)
                .select(departments::slug)
                .first(conn)
                .optional(),
            None => Ok(None),
        }
    };
    let department = slug(conn, row.department_id)?;
    let counterpart = slug(conn, row.counterpart_id)?;
    let reporter = users::table
        .find(row.reporter_id)
        .select(users::login)
        .first(conn)?;
    let tags = incident_tags::table
        .filter(incident_tags::incident_id.eq(id))
        .order(incident_tags::tag.asc())
        .select(incident_tags::tag)
        .load(conn)?;
    Ok(Some(Facts {
        cluster_id: row.cluster_id,
        category_id: row.category_id,
        week: row.week_key,
        hour: row.local_hour,
        weekday: row.iso_weekday,
        department,
        counterpart,
        reporter,
        tags,
        external_ref: row.external_ref,
    }))
}

/// Move incidents to another cluster (the rollups are the caller's to move).
pub fn set_cluster(
    conn: &mut DbConn,
    ids: &[i64],
    cluster_id: i64,
    reason: JoinReason,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(incidents::table.filter(incidents::id.eq_any(ids)))
        .set((
            incidents::cluster_id.eq(cluster_id),
            incidents::join_reason.eq(reason),
            incidents::join_score.eq(None::<f64>),
            incidents::join_terms.eq(None::<String>),
            incidents::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Every incident of a cluster moves to another (a merge keeps each incident's own reason).
/// Every incident of a cluster (withdrawn ones too), by id.
pub fn ids_of_cluster(conn: &mut DbConn, cluster_id: i64) -> QueryResult<Vec<i64>> {
    incidents::table
        .filter(incidents::cluster_id.eq(cluster_id))
        .order(incidents::id.asc())
        .select(incidents::id)
        .load(conn)
}

pub fn move_all(conn: &mut DbConn, from: i64, into: i64) -> QueryResult<usize> {
    diesel::update(incidents::table.filter(incidents::cluster_id.eq(from)))
        .set(incidents::cluster_id.eq(into))
        .execute(conn)
}

/// The incidents of a cluster, newest first.
pub fn of_cluster(conn: &mut DbConn, cluster_id: i64, limit: i64) -> QueryResult<Vec<IncidentRow>> {
    of_cluster_from(conn, cluster_id, limit, 0)
}

/// How many incidents a cluster holds (withdrawn ones too, as its page lists them).
pub fn count_of_cluster(conn: &mut DbConn, cluster_id: i64) -> QueryResult<i64> {
    incidents::table
        .filter(incidents::cluster_id.eq(cluster_id))
        .count()
        .get_result(conn)
}

/// A page of a cluster's incidents, newest first, after skipping `offset`.
pub fn of_cluster_from(
    conn: &mut DbConn,
    cluster_id: i64,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<IncidentRow>> {
    incidents::table
        .filter(incidents::cluster_id.eq(cluster_id))
        .order((incidents::occurred_at.desc(), incidents::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(IncidentRow::as_select())
        .load(conn)
}

/// Up to `limit` incidents after id `after`, in id order: a page of an export.
/// The incidents `filter` lets through after id `after`, oldest id first.
pub fn page_after(
    conn: &mut DbConn,
    filter: &IncidentFilter,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<IncidentRow>> {
    filtered(filter)
        .filter(incidents::id.gt(after))
        .order(incidents::id.asc())
        .limit(limit)
        .select(IncidentRow::as_select())
        .load(conn)
}
