//! Weekly rollups, kept current in the same transaction as every write, so that the
//! weekly review reads a few indexed rows instead of aggregating raw incidents.

use super::DbConn;
use super::prepared_rows;
use super::rollup_statements::{
    AddCategoryWeeks, AddClusterWeeks, AddDistinctRefs, AddRefs, AddValues,
};
use super::schema::{category_weeks, cluster_week_values, cluster_weeks};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::collections::BTreeMap;

/// The dimensions a rise is explained by, as stored in `cluster_week_values`.
pub const DIMENSIONS: [&str; 6] = [
    "hour",
    "weekday",
    "department",
    "counterpart",
    "reporter",
    "tag",
];
/// Distinct external references are counted as one more dimension.
pub const REF: &str = "ref";

/// What one incident contributes to the rollups.
#[derive(Debug, Clone)]
pub struct Facts {
    pub cluster_id: Option<i64>,
    pub category_id: i64,
    pub week: String,
    pub hour: i32,
    pub weekday: i32,
    pub department: Option<String>,
    pub counterpart: Option<String>,
    pub reporter: String,
    pub tags: Vec<String>,
    pub external_ref: Option<String>,
}

impl Facts {
    /// Its values of `DIMENSIONS` (its reference is counted apart).
    fn values(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![
            ("hour", self.hour.to_string()),
            ("weekday", self.weekday.to_string()),
        ];
        if let Some(d) = &self.department {
            v.push(("department", d.clone()));
        }
        if let Some(c) = &self.counterpart {
            v.push(("counterpart", c.clone()));
        }
        v.push(("reporter", self.reporter.clone()));
        v.extend(self.tags.iter().map(|t| ("tag", t.clone())));
        v
    }
}

/// Add (`delta` = 1) or take away (`delta` = -1) one incident's counts.
pub fn apply(conn: &mut DbConn, facts: &Facts, delta: i32) -> QueryResult<()> {
    apply_many(conn, std::slice::from_ref(facts), delta)
}

/// Add or take away several incidents' counts: each counter is summed first, then each
/// rollup table gets one multi-row upsert (`prepared_rows`), its rows in key order, the
/// tables in the order merges take them too (category weeks, cluster weeks, values), so
/// concurrent writers lock rows in the same order and no statement touches a row twice.
/// A reference's row that goes from no incident to some (or back) then counts in its
/// cluster week's `refs`, as the upsert returns it: exact with several writers too,
/// since each row's new count is read under that row's lock, and the cluster week's
/// row is already this transaction's.
pub fn apply_many(conn: &mut DbConn, many: &[Facts], delta: i32) -> QueryResult<()> {
    let mut tally = Tally::default();
    for facts in many {
        tally.add(facts, delta);
    }
    tally.apply(conn)
}

/// Counts summed over many incidents before they are written (`apply_many` in steps):
/// a large import adds each batch's facts here and writes them once, so each rollup row
/// is upserted once per import instead of once per batch.
#[derive(Debug, Default)]
pub struct Tally {
    categories: BTreeMap<(i64, String), i32>,
    weeks: BTreeMap<(i64, String), i32>,
    values: BTreeMap<(i64, String, &'static str, String), i32>,
    refs: BTreeMap<(i64, String, String), i32>,
}

impl Tally {
    /// Count one incident in (`delta` = 1) or out (-1).
    pub fn add(&mut self, facts: &Facts, delta: i32) {
        let week = &facts.week;
        *self
            .categories
            .entry((facts.category_id, week.clone()))
            .or_default() += delta;
        let Some(cluster_id) = facts.cluster_id else {
            return;
        };
        *self.weeks.entry((cluster_id, week.clone())).or_default() += delta;
        for (dimension, value) in facts.values() {
            *self
                .values
                .entry((cluster_id, week.clone(), dimension, value))
                .or_default() += delta;
        }
        if let Some(r) = &facts.external_ref {
            *self
                .refs
                .entry((cluster_id, week.clone(), r.clone()))
                .or_default() += delta;
        }
    }

    /// Rows the tally would write.
    pub fn len(&self) -> usize {
        self.categories.len() + self.weeks.len() + self.values.len() + self.refs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.categories.is_empty()
    }

    /// Write the counts (see `apply_many`), leaving the tally empty.
    pub fn apply(&mut self, conn: &mut DbConn) -> QueryResult<()> {
        if self.is_empty() {
            return Ok(());
        }
        let Tally {
            categories,
            weeks,
            values,
            mut refs,
        } = std::mem::take(self);
        super::versions::counted_by_trigger();
        let categories: Vec<_> = categories
            .iter()
            .map(|((id, week), n)| (*id, week.as_str(), *n))
            .collect();
        prepared_rows::execute::<AddCategoryWeeks>(conn, &categories)?;
        let weeks: Vec<_> = weeks
            .iter()
            .map(|((id, week), n)| (*id, week.as_str(), *n))
            .collect();
        prepared_rows::execute::<AddClusterWeeks>(conn, &weeks)?;
        refs.retain(|_, n| *n != 0);
        let rows: Vec<_> = refs
            .iter()
            .map(|((id, week, r), &n)| (*id, week.as_str(), REF, r.as_str(), n))
            .collect();
        // Cluster week -> change in its distinct references.
        let mut distinct: BTreeMap<(i64, String), i32> = BTreeMap::new();
        for (id, week, r, now) in prepared_rows::load::<AddRefs>(conn, &rows)? {
            let Some(&n) = refs.get(&(id, week.clone(), r)) else {
                continue;
            };
            let change = match (n > 0, now) {
                (true, now) if now == n => 1,
                (false, 0) => -1,
                _ => 0,
            };
            if change != 0 {
                *distinct.entry((id, week)).or_default() += change;
            }
        }
        let distinct: Vec<_> = distinct
            .iter()
            .map(|((id, week), n)| (*id, week.as_str(), *n))
            .collect();
        prepared_rows::execute::<AddDistinctRefs>(conn, &distinct)?;
        let values: Vec<_> = values
            .iter()
            .map(|((id, week, dimension, value), n)| {
                (*id, week.as_str(), *dimension, value.as_str(), *n)
            })
            .collect();
        prepared_rows::execute::<AddValues>(conn, &values)?;
        Ok(())
    }
}

/// Move every count of cluster `from` onto cluster `into` (a merge).
pub fn move_cluster(conn: &mut DbConn, from: i64, into: i64) -> QueryResult<()> {
    super::versions::counted_by_trigger();
    let weeks = "INSERT INTO cluster_weeks (cluster_id, week_key, incidents) \
         SELECT ?, week_key, incidents FROM cluster_weeks WHERE cluster_id = ? \
         ON CONFLICT (cluster_id, week_key) DO UPDATE SET incidents = cluster_weeks.incidents + excluded.incidents";
    let values = "INSERT INTO cluster_week_values (cluster_id, week_key, dimension, value, incidents) \
         SELECT ?, week_key, dimension, value, incidents FROM cluster_week_values WHERE cluster_id = ? \
         ON CONFLICT (cluster_id, week_key, dimension, value) \
         DO UPDATE SET incidents = cluster_week_values.incidents + excluded.incidents";
    for sql in [weeks, values] {
        match conn {
            DbConn::Sqlite(c) => diesel::sql_query(sql)
                .bind::<BigInt, _>(into)
                .bind::<BigInt, _>(from)
                .execute(c)?,
            DbConn::Pg(c) => diesel::sql_query(super::numbered(sql))
                .bind::<BigInt, _>(into)
                .bind::<BigInt, _>(from)
                .execute(c)?,
        };
    }
    diesel::delete(cluster_weeks::table.filter(cluster_weeks::cluster_id.eq(from)))
        .execute(conn)?;
    diesel::delete(cluster_week_values::table.filter(cluster_week_values::cluster_id.eq(from)))
        .execute(conn)?;
    // A reference both clusters had is one reference of the merged cluster.
    let recount = format!("UPDATE cluster_weeks SET refs = {DISTINCT_REFS} WHERE cluster_id = ?");
    match conn {
        DbConn::Sqlite(c) => diesel::sql_query(recount)
            .bind::<BigInt, _>(into)
            .execute(c)?,
        DbConn::Pg(c) => diesel::sql_query(super::numbered(&recount))
            .bind::<BigInt, _>(into)
            .execute(c)?,
    };
    Ok(())
}

/// A `cluster_weeks` row's distinct references, counted from its reference rows.
const DISTINCT_REFS: &str = "(SELECT COUNT(*) FROM cluster_week_values v \
     WHERE v.cluster_id = cluster_weeks.cluster_id AND v.week_key = cluster_weeks.week_key \
     AND v.dimension = 'ref' AND v.incidents > 0)";

/// Recompute every rollup from the raw incidents (after a time-zone change, or to check).
pub fn rebuild_all(conn: &mut DbConn) -> QueryResult<()> {
    let live = "i.status <> 'withdrawn'";
    let clustered = "i.cluster_id IS NOT NULL AND i.status <> 'withdrawn'";
    let value = |dimension: &str, expr: &str, join: &str, filter: &str| {
        format!(
            "INSERT INTO cluster_week_values (cluster_id, week_key, dimension, value, incidents) \
             SELECT i.cluster_id, i.week_key, '{dimension}', {expr}, COUNT(*) FROM incidents i {join} \
             WHERE {clustered}{filter} GROUP BY i.cluster_id, i.week_key, {expr};"
        )
    };
    let sql = [
        "DELETE FROM cluster_week_values; DELETE FROM cluster_weeks; DELETE FROM category_weeks;".to_string(),
        format!(
            "INSERT INTO category_weeks (category_id, week_key, incidents) \
             SELECT i.category_id, i.week_key, COUNT(*) FROM incidents i WHERE {live} GROUP BY i.category_id, i.week_key;"
        ),
        format!(
            "INSERT INTO cluster_weeks (cluster_id, week_key, incidents, refs) \
             SELECT i.cluster_id, i.week_key, COUNT(*), COUNT(DISTINCT i.external_ref) FROM incidents i \
             WHERE {clustered} GROUP BY i.cluster_id, i.week_key;"
        ),
        value("hour", "CAST(i.local_hour AS TEXT)", "", ""),
        value("weekday", "CAST(i.iso_weekday AS TEXT)", "", ""),
        value("department", "d.slug", "JOIN departments d ON d.id = i.department_id", ""),
        value("counterpart", "d.slug", "JOIN departments d ON d.id = i.counterpart_id", ""),
        value("reporter", "u.login", "JOIN users u ON u.id = i.reporter_id", ""),
        value("tag", "t.tag", "JOIN incident_tags t ON t.incident_id = i.id", ""),
        value(REF, "i.external_ref", "", " AND i.external_ref IS NOT NULL"),
    ]
    .concat();
    super::versions::counted_by_trigger();
    conn.batch_execute(&sql)
}

/// The settings row that counts changes of the rollups (see the 000003_review migration).
pub const VERSION_KEY: &str = super::versions::ROLLUPS;

/// How many times the rollups have changed (a cache key for weekly figures).
pub fn version(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(super::settings::get(conn, VERSION_KEY)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}

type Snapshot = BTreeMap<String, i32>;

fn snapshot(conn: &mut DbConn) -> QueryResult<Snapshot> {
    let mut out = Snapshot::new();
    for (c, w, n, refs) in cluster_weeks::table
        .select((
            cluster_weeks::cluster_id,
            cluster_weeks::week_key,
            cluster_weeks::incidents,
            cluster_weeks::refs,
        ))
        .load::<(i64, String, i32, i32)>(conn)?
    {
        if n != 0 {
            out.insert(format!("cluster {c} {w}"), n);
        }
        if refs != 0 {
            out.insert(format!("cluster {c} {w} distinct refs"), refs);
        }
    }
    for (c, w, d, v, n) in cluster_week_values::table
        .select((
            cluster_week_values::cluster_id,
            cluster_week_values::week_key,
            cluster_week_values::dimension,
            cluster_week_values::value,
            cluster_week_values::incidents,
        ))
        .load::<(i64, String, String, String, i32)>(conn)?
    {
        if n != 0 {
            out.insert(format!("cluster {c} {w} {d}={v}"), n);
        }
    }
    for (c, w, n) in category_weeks::table
        .select((
            category_weeks::category_id,
            category_weeks::week_key,
            category_weeks::incidents,
        ))
        .load::<(i64, String, i32)>(conn)?
    {
        if n != 0 {
            out.insert(format!("category {c} {w}"), n);
        }
    }
    Ok(out)
}

/// Recompute the rollups from the raw incidents inside a transaction that is rolled
/// back, and list every count that differs from the stored one (empty: all equal).
pub fn verify(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    let mut differences = Vec::new();
    let result = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        let stored = snapshot(conn)?;
        rebuild_all(conn)?;
        let fresh = snapshot(conn)?;
        for key in stored.keys().chain(fresh.keys()) {
            let (a, b) = (stored.get(key), fresh.get(key));
            if a != b
                && !differences
                    .iter()
                    .any(|d: &String| d.starts_with(key.as_str()))
            {
                differences.push(format!("{key}: stored {a:?}, recomputed {b:?}"));
            }
        }
        Err(diesel::result::Error::RollbackTransaction)
    });
    match result {
        Err(diesel::result::Error::RollbackTransaction) | Ok(()) => Ok(differences),
        Err(e) => Err(e),
    }
}
