//! Change counters kept as rows of `settings`, moved by the database itself: triggers on
//! the accounts, the catalogue, the clusters and the rollups (migrations 000012 and
//! 000016) count every change in its own transaction, so a change made with plain SQL
//! counts too. Only `grouping_version` is bumped by Rust (`bump`), because it counts
//! decisions (a merge, a split), not rows. A process that keeps an in-memory copy reads
//! the counters first and reloads the copy when its counter has moved. Reading the
//! counter before the data means a copy is never labelled newer than it is.

use super::DbConn;
use super::schema::settings;
use diesel::prelude::*;
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

/// Users and API tokens.
pub const ACCOUNTS: &str = "accounts_version";
/// Departments, categories, grouping rules and the time zone.
pub const CATALOG: &str = "catalog_version";
/// Every change to the weekly rollups.
pub const ROLLUPS: &str = "rollups_version";
/// Structural changes to clusters (merge, split, move, dismiss): the matcher rebuilds.
pub const GROUPING: &str = "grouping_version";
/// Any change to a cluster's row (title, state, owner, rung).
pub const CLUSTERS: &str = "clusters_version";

/// Count one more change of `key`.
pub fn bump(conn: &mut DbConn, key: &'static str) -> QueryResult<()> {
    // One UPDATE: concurrent changes from several processes each count.
    let increment = Increment { key };
    match conn {
        DbConn::Sqlite(c) => increment.execute(c)?,
        DbConn::Pg(c) => increment.execute(c)?,
    };
    note_bump();
    Ok(())
}

/// `settings.value += 1` for one key, as a statement type of its own, so that it stays
/// prepared (diesel's query builder cannot keep an update with a literal SQL value).
struct Increment {
    key: &'static str,
}

impl diesel::query_builder::QueryId for Increment {
    type QueryId = Increment;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> diesel::query_builder::QueryFragment<DB> for Increment
where
    DB: diesel::backend::Backend,
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, DB>,
    ) -> QueryResult<()> {
        out.push_sql(
            "UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = ",
        );
        out.push_bind_param::<diesel::sql_types::Text, str>(self.key)
    }
}

impl<Conn> RunQueryDsl<Conn> for Increment {}

/// A write to a table whose counter the database keeps (accounts, catalogue): this
/// process re-reads the counters right after the commit (`LocalChanges::publish`), rather than
/// when PostgreSQL's notice arrives. The counter itself moves without it.
pub(super) fn counted_by_trigger() {
    note_bump();
}

/// This thread's unit of work changed a counter (published by `LocalChanges::publish`).
pub(super) fn note_bump() {
    BUMPED.set(true);
}

thread_local! {
    /// Whether this thread bumped a counter since it last published.
    static BUMPED: Cell<bool> = const { Cell::new(false) };
}

/// The units of work of one running rungs that moved a counter: its one owner, shared by
/// its pool's connections, its filing writer and its `VersionFeed` (each running rungs has
/// its own, so several in one test process do not disturb each other).
#[derive(Debug, Default)]
pub struct LocalChanges(AtomicU64);

impl LocalChanges {
    /// Call after a unit of work has committed (or rolled back) on this thread: if it
    /// moved a counter, the remembered counters are stale (`VersionFeed`). A change is
    /// noted inside its transaction, so telling at the change itself would let a request
    /// re-read the old value before the commit and keep it.
    pub fn publish(&self) {
        if BUMPED.replace(false) {
            self.0.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// How many units of work have moved a counter so far.
    pub fn count(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}

/// The counters in one read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    pub accounts: i64,
    pub catalog: i64,
    pub rollups: i64,
    pub grouping: i64,
    pub clusters: i64,
}

/// `settings` is a handful of rows: all of them are read by one statement without
/// parameters, which the connection prepares once and keeps.
impl Versions {
    /// What a week's figures and a cluster's drivers depend on: the rollups and the
    /// clusters' structure.
    pub fn weekly(&self) -> (i64, i64) {
        (self.rollups, self.grouping)
    }
}

pub fn read(conn: &mut DbConn) -> QueryResult<Versions> {
    let rows: Vec<(String, String)> = settings::table
        .select((settings::key, settings::value))
        .load(conn)?;
    let mut v = Versions::default();
    for (key, value) in rows {
        let n = value.parse().unwrap_or(0);
        match key.as_str() {
            ACCOUNTS => v.accounts = n,
            CATALOG => v.catalog = n,
            ROLLUPS => v.rollups = n,
            GROUPING => v.grouping = n,
            CLUSTERS => v.clusters = n,
            _ => {}
        }
    }
    Ok(v)
}
