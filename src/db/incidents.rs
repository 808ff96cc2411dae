//! Incidents and their tags.

use super::DbConn;
use super::schema::{incident_tags, incidents, users};
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
    pub status: String,
    pub handled_note: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = incidents)]
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
    pub status: &'a str,
    pub search_text: &'a str,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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
    pub status: String,
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
    status: &str,
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
