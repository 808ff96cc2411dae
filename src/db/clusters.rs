//! Clusters of recurring incidents and the rules that steer grouping.

use super::DbConn;
use super::prepared_rows::{self, Binder, RowsStatement, Values};
use super::schema::{cluster_rules, cluster_weeks, clusters, incidents};
use crate::domain::ladder::Rung;
use crate::domain::states::ClusterState;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = clusters)]
pub struct ClusterRow {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    pub summary: String,
    pub owner_id: Option<i64>,
    pub state: ClusterState,
    pub rung: Rung,
    pub confirmed: bool,
    pub dismissed: bool,
    pub merged_into: Option<i64>,
    pub incident_count: i32,
    pub last_incident_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = clusters)]
pub struct NewCluster<'a> {
    pub category_id: i64,
    pub title: &'a str,
    pub summary: &'a str,
    pub state: ClusterState,
    pub confirmed: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = clusters)]
pub struct ClusterChangeset {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub owner_id: Option<Option<i64>>,
    pub state: Option<ClusterState>,
    pub rung: Option<Rung>,
    pub confirmed: Option<bool>,
    pub dismissed: Option<bool>,
    pub merged_into: Option<Option<i64>>,
    pub resolved_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, new: &NewCluster<'_>) -> QueryResult<i64> {
    super::versions::counted_by_trigger();
    diesel::insert_into(clusters::table)
        .values(new)
        .returning(clusters::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ClusterRow>> {
    clusters::table
        .find(id)
        .select(ClusterRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_many(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<ClusterRow>> {
    clusters::table
        .filter(clusters::id.eq_any(ids))
        .select(ClusterRow::as_select())
        .load(conn)
}

/// Follow merges to the cluster that lives on (merge chains are short; cap the walk).
pub fn survivor(conn: &mut DbConn, id: i64) -> QueryResult<Option<ClusterRow>> {
    let mut current = find(conn, id)?;
    for _ in 0..16 {
        match current {
            Some(ClusterRow {
                merged_into: Some(next),
                ..
            }) => current = find(conn, next)?,
            other => return Ok(other),
        }
    }
    Ok(current)
}

pub fn update(conn: &mut DbConn, id: i64, changes: &ClusterChangeset) -> QueryResult<usize> {
    super::versions::counted_by_trigger();
    diesel::update(clusters::table.find(id))
        .set(changes)
        .execute(conn)
}

/// Add filings to several clusters' counts and last-seen times in one statement
/// (`prepared_rows`): (cluster, how many, the latest occurrence among them), each
/// cluster once.
pub fn add_filed(conn: &mut DbConn, counts: &[(i64, i32, NaiveDateTime)]) -> QueryResult<()> {
    prepared_rows::execute::<AddFiled>(conn, counts)?;
    Ok(())
}

/// `VALUES` columns are named column1, column2, … on both backends.
struct AddFiled;

impl RowsStatement for AddFiled {
    type Row<'a> = (i64, i32, NaiveDateTime);
    const HEAD: &'static str = "UPDATE clusters SET \
        incident_count = clusters.incident_count + v.column2, \
        last_incident_at = CASE WHEN clusters.last_incident_at IS NULL \
        OR clusters.last_incident_at < v.column3 THEN v.column3 \
        ELSE clusters.last_incident_at END \
        FROM (VALUES ";
    const TAIL: &'static str = ") AS v WHERE clusters.id = v.column1";
    fn bind<'b, DB: Binder>(
        (id, n, at): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values.bigint(id)?.integer(n)?.timestamp(at)?;
        Ok(())
    }
}

/// Keep the cluster's incident count and last-seen time current.
pub fn add_to_count(
    conn: &mut DbConn,
    id: i64,
    delta: i32,
    last_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    diesel::update(clusters::table.find(id))
        .set(clusters::incident_count.eq(clusters::incident_count + delta))
        .execute(conn)?;
    if let Some(at) = last_at {
        diesel::update(
            clusters::table.find(id).filter(
                clusters::last_incident_at
                    .is_null()
                    .or(clusters::last_incident_at.lt(at)),
            ),
        )
        .set(clusters::last_incident_at.eq(at))
        .execute(conn)?;
    }
    Ok(())
}

/// The triage queue: clusters started by an incident that matched nothing, most recent
/// and largest first.
pub fn unconfirmed(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<ClusterRow>> {
    clusters::table
        .filter(clusters::confirmed.eq(false))
        .filter(clusters::dismissed.eq(false))
        .filter(clusters::merged_into.is_null())
        .order((
            clusters::last_incident_at.desc(),
            clusters::incident_count.desc(),
            clusters::id.desc(),
        ))
        .limit(limit)
        .select(ClusterRow::as_select())
        .load(conn)
}

pub fn unconfirmed_count(conn: &mut DbConn) -> QueryResult<i64> {
    clusters::table
        .filter(clusters::confirmed.eq(false))
        .filter(clusters::dismissed.eq(false))
        .filter(clusters::merged_into.is_null())
        .count()
        .get_result(conn)
}

/// Live clusters (not merged away), for lists and pickers.
/// The newest live, undismissed clusters of a category.
pub fn newest_in_category(
    conn: &mut DbConn,
    category_id: i64,
    limit: i64,
) -> QueryResult<Vec<ClusterRow>> {
    clusters::table
        .filter(clusters::category_id.eq(category_id))
        .filter(clusters::merged_into.is_null())
        .filter(clusters::dismissed.eq(false))
        .order(clusters::id.desc())
        .limit(limit)
        .select(ClusterRow::as_select())
        .load(conn)
}

pub fn live(conn: &mut DbConn) -> QueryResult<Vec<ClusterRow>> {
    clusters::table
        .filter(clusters::merged_into.is_null())
        .order(clusters::id.asc())
        .select(ClusterRow::as_select())
        .load(conn)
}

/// Live clusters (not merged away) after id `after`, of one category or all, oldest first.
pub fn live_after(
    conn: &mut DbConn,
    category_id: Option<i64>,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<ClusterRow>> {
    let mut q = clusters::table
        .filter(clusters::merged_into.is_null())
        .filter(clusters::id.gt(after))
        .into_boxed();
    if let Some(category) = category_id {
        q = q.filter(clusters::category_id.eq(category));
    }
    q.order(clusters::id.asc())
        .limit(limit)
        .select(ClusterRow::as_select())
        .load(conn)
}

/// Each of `ids`' weeks with incidents: (cluster id, week, incidents, distinct
/// references), by cluster and week.
pub fn weeks_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<(i64, String, i32, i32)>> {
    cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq_any(ids))
        .filter(cluster_weeks::incidents.ne(0))
        .order((
            cluster_weeks::cluster_id.asc(),
            cluster_weeks::week_key.asc(),
        ))
        .select((
            cluster_weeks::cluster_id,
            cluster_weeks::week_key,
            cluster_weeks::incidents,
            cluster_weeks::refs,
        ))
        .load(conn)
}

/// (incident id, cluster id, category id, title, body)
pub type IndexedText = (i64, i64, i64, String, String);

/// The text of every incident in a live, undismissed cluster, for rebuilding the matcher.
pub fn texts_for_index(
    conn: &mut DbConn,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<IndexedText>> {
    indexable()
        .filter(incidents::id.gt(after_id))
        .order(incidents::id.asc())
        .limit(limit)
        .load(conn)
}

/// The same, for these incidents (those that are indexable).
pub fn texts_of(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<IndexedText>> {
    indexable()
        .filter(incidents::id.eq_any(ids))
        .order(incidents::id.asc())
        .load(conn)
}

/// Incidents in a live, undismissed cluster, not withdrawn, with what the index needs.
#[diesel::dsl::auto_type(no_type_alias)]
fn indexable() -> _ {
    incidents::table
        .inner_join(clusters::table.on(clusters::id.nullable().eq(incidents::cluster_id)))
        .filter(clusters::merged_into.is_null())
        .filter(clusters::dismissed.eq(false))
        // `IncidentStatus::Withdrawn` (auto_type takes literals, not paths).
        .filter(incidents::status.ne("withdrawn"))
        .select((
            incidents::id,
            clusters::id,
            clusters::category_id,
            incidents::title,
            incidents::body,
        ))
}

#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize)]
#[diesel(table_name = cluster_rules)]
pub struct RuleRow {
    pub id: i64,
    pub category_id: i64,
    pub pattern: String,
    pub cluster_id: i64,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn rules_for_category(conn: &mut DbConn, category_id: i64) -> QueryResult<Vec<RuleRow>> {
    cluster_rules::table
        .filter(cluster_rules::category_id.eq(category_id))
        .filter(cluster_rules::active.eq(true))
        .order(cluster_rules::id.asc())
        .select(RuleRow::as_select())
        .load(conn)
}

pub fn rules(conn: &mut DbConn) -> QueryResult<Vec<RuleRow>> {
    cluster_rules::table
        .order(cluster_rules::id.desc())
        .select(RuleRow::as_select())
        .load(conn)
}

pub fn insert_rule(
    conn: &mut DbConn,
    category_id: i64,
    pattern: &str,
    cluster_id: i64,
    created_by: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = diesel::insert_into(cluster_rules::table)
        .values((
            cluster_rules::category_id.eq(category_id),
            cluster_rules::pattern.eq(pattern),
            cluster_rules::cluster_id.eq(cluster_id),
            cluster_rules::created_by.eq(created_by),
            cluster_rules::created_at.eq(now),
        ))
        .returning(cluster_rules::id)
        .get_result(conn)?;
    super::versions::counted_by_trigger();
    Ok(id)
}

pub fn set_rule_active(conn: &mut DbConn, id: i64, active: bool) -> QueryResult<usize> {
    let changed = diesel::update(cluster_rules::table.find(id))
        .set(cluster_rules::active.eq(active))
        .execute(conn)?;
    super::versions::counted_by_trigger();
    Ok(changed)
}

/// Rules that pointed at a merged cluster now point at its survivor.
pub fn retarget_rules(conn: &mut DbConn, from: i64, into: i64) -> QueryResult<usize> {
    let changed = diesel::update(cluster_rules::table.filter(cluster_rules::cluster_id.eq(from)))
        .set(cluster_rules::cluster_id.eq(into))
        .execute(conn)?;
    super::versions::counted_by_trigger();
    Ok(changed)
}
