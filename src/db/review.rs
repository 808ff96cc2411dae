//! The weekly review's reads: rollup rows for a handful of weeks across all clusters in
//! one query, through the `week_key` indexes; never raw incidents.

use super::DbConn;
use super::schema::{category_weeks, cluster_week_values, cluster_weeks, clusters, users};
use crate::domain::ladder::Rung;
use crate::domain::states::ClusterState;
use diesel::prelude::*;
use std::collections::HashSet;

/// Bind lists are cut to this size (SQLite and PostgreSQL both accept far more).
const CHUNK: usize = 1000;

/// (cluster id, category id, week, incidents)
pub type ClusterWeekRow = (i64, i64, String, i32);

/// Every live cluster's counts in `weeks` (not dismissed, not merged away).
pub fn cluster_weeks_in(conn: &mut DbConn, weeks: &[String]) -> QueryResult<Vec<ClusterWeekRow>> {
    cluster_weeks::table
        .inner_join(clusters::table)
        .filter(cluster_weeks::week_key.eq_any(weeks))
        .filter(cluster_weeks::incidents.ne(0))
        .filter(clusters::dismissed.eq(false))
        .filter(clusters::merged_into.is_null())
        .select((
            cluster_weeks::cluster_id,
            clusters::category_id,
            cluster_weeks::week_key,
            cluster_weeks::incidents,
        ))
        .load(conn)
}

/// Which of `ids` had any incident in a week before `week`.
pub fn seen_before(conn: &mut DbConn, ids: &[i64], week: &str) -> QueryResult<HashSet<i64>> {
    let mut out = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            cluster_weeks::table
                .filter(cluster_weeks::cluster_id.eq_any(chunk))
                .filter(cluster_weeks::week_key.lt(week))
                .filter(cluster_weeks::incidents.ne(0))
                .select(cluster_weeks::cluster_id)
                .distinct()
                .load::<i64>(conn)?,
        );
    }
    Ok(out)
}

/// Distinct external references per cluster in `week` (counted on write).
pub fn distinct_refs(conn: &mut DbConn, week: &str) -> QueryResult<Vec<(i64, i32)>> {
    cluster_weeks::table
        .filter(cluster_weeks::week_key.eq(week))
        .filter(cluster_weeks::refs.gt(0))
        .select((cluster_weeks::cluster_id, cluster_weeks::refs))
        .load(conn)
}

/// Clusters with incidents in `week` reported from the department `slug`, through the
/// partial index of department rows (whose condition the query repeats word for word,
/// so that both backends see it applies).
pub fn clusters_from_department(
    conn: &mut DbConn,
    week: &str,
    slug: &str,
) -> QueryResult<HashSet<i64>> {
    Ok(cluster_week_values::table
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "dimension = 'department'",
        ))
        .filter(cluster_week_values::week_key.eq(week))
        .filter(cluster_week_values::value.eq(slug))
        .filter(cluster_week_values::incidents.gt(0))
        .select(cluster_week_values::cluster_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// (category id, week, incidents)
pub fn category_weeks_in(
    conn: &mut DbConn,
    weeks: &[String],
) -> QueryResult<Vec<(i64, String, i32)>> {
    category_weeks::table
        .filter(category_weeks::week_key.eq_any(weeks))
        .select((
            category_weeks::category_id,
            category_weeks::week_key,
            category_weeks::incidents,
        ))
        .load(conn)
}

/// One cluster's weekly totals in `weeks`.
pub fn one_cluster_weeks(
    conn: &mut DbConn,
    cluster_id: i64,
    weeks: &[String],
) -> QueryResult<Vec<(String, i32)>> {
    cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(cluster_id))
        .filter(cluster_weeks::week_key.eq_any(weeks))
        .select((cluster_weeks::week_key, cluster_weeks::incidents))
        .load(conn)
}

/// (week, dimension, value, incidents) of one cluster in `weeks`, distinct references
/// left out; read through the primary key (cluster_id, week_key, …).
pub fn one_cluster_values(
    conn: &mut DbConn,
    cluster_id: i64,
    weeks: &[String],
) -> QueryResult<Vec<(String, String, String, i32)>> {
    cluster_week_values::table
        .filter(cluster_week_values::cluster_id.eq(cluster_id))
        .filter(cluster_week_values::week_key.eq_any(weeks))
        .filter(cluster_week_values::dimension.ne(super::rollups::REF))
        .filter(cluster_week_values::incidents.ne(0))
        .select((
            cluster_week_values::week_key,
            cluster_week_values::dimension,
            cluster_week_values::value,
            cluster_week_values::incidents,
        ))
        .load(conn)
}

/// What a review row shows of a cluster, as it is now (no timestamps: parsing them is
/// most of the cost of reading a full `ClusterRow`).
#[derive(Debug, Clone, Queryable)]
pub struct ShownCluster {
    pub id: i64,
    pub category_id: i64,
    pub title: String,
    pub state: ClusterState,
    pub rung: Rung,
    pub confirmed: bool,
    pub dismissed: bool,
    pub merged_into: Option<i64>,
    /// The owner's login.
    pub owner: Option<String>,
}

/// The clusters `ids` as they are now, with their owner's login.
pub fn shown_clusters(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<ShownCluster>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            clusters::table
                .left_join(users::table.on(clusters::owner_id.eq(users::id.nullable())))
                .filter(clusters::id.eq_any(chunk))
                .select((
                    clusters::id,
                    clusters::category_id,
                    clusters::title,
                    clusters::state,
                    clusters::rung,
                    clusters::confirmed,
                    clusters::dismissed,
                    clusters::merged_into,
                    users::login.nullable(),
                ))
                .load::<ShownCluster>(conn)?,
        );
    }
    Ok(out)
}
