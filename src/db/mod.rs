//! Storage: one connection type over SQLite and PostgreSQL, a pool, migrations,
//! and one module per aggregate with its queries.

pub mod actions;
pub mod audit;
pub mod backup;
pub mod catalog;
pub mod checkpoint;
pub mod clusters;
pub mod fault;
pub mod goals;
pub mod imports;
pub mod incident_batch;
pub mod incidents;
pub mod jobs;
pub mod meetings;
mod pool;
pub mod prepared_rows;
pub mod review;
mod rollup_statements;
pub mod rollups;
pub mod schema;
pub mod settings;
pub mod tokens;
pub mod users;
pub mod version_feed;
pub mod versions;
pub mod webhooks;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend. PostgreSQL first, SQLite last, as diesel's
/// `MultiConnection` wants the most capable backend to lead.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// SQLite writes `?`, PostgreSQL `$1, $2, …`.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

pub use pool::{
    CONNECTION_WAIT, ConnectionManager, Managed, Pool, PooledConn, connect, connect_with,
};

/// Where the data lives, decided from the URL's scheme alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("the database URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_string()));
        }
        if url.contains("://") && !url.starts_with("sqlite://") && !url.starts_with("file://") {
            return Err(format!(
                "unsupported database URL {url:?}: use postgres://… or an SQLite file path"
            ));
        }
        // A key=value conninfo string would otherwise become an SQLite file by that name.
        if url.contains('=') && url.contains(' ') {
            return Err(format!(
                "{url:?} looks like a PostgreSQL conninfo string: write it as postgres://user@host/db"
            ));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("file://"))
            .unwrap_or(url);
        Ok(Self::Sqlite(path.to_string()))
    }
}

pub fn migrate(conn: &mut DbConn) -> Result<(), String> {
    // Nothing to do is found out by reading alone, so that a database that is read-only
    // for now still starts (and serves reads, and says why it cannot write).
    if pending_migrations(conn).is_some_and(|n| n == 0) {
        return Ok(());
    }
    let result = match conn {
        // Another copy starting at the same time may be migrating: wait for it.
        DbConn::Pg(pg) => pg
            .batch_execute("SET lock_timeout = 0")
            .map_err(Into::into)
            .and_then(|()| pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()))
            .and_then(|()| {
                pg.batch_execute("SET lock_timeout = '5s'")
                    .map_err(Into::into)
            }),
        DbConn::Sqlite(lite) => lite.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| format!("migration failed: {e}"))
}

/// How many of the embedded migrations the database has not run, read without writing;
/// None when that cannot be read (a new database).
fn pending_migrations(conn: &mut DbConn) -> Option<usize> {
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let applied: Vec<Applied> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations")
        .load(conn)
        .ok()?;
    let applied: Vec<String> = applied.into_iter().map(|a| a.version).collect();
    let embedded = match conn {
        DbConn::Pg(_) => versions::<diesel::pg::Pg>(&POSTGRES_MIGRATIONS)?,
        DbConn::Sqlite(_) => versions::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS)?,
    };
    Some(embedded.iter().filter(|v| !applied.contains(v)).count())
}

fn versions<DB: diesel::backend::Backend>(source: &EmbeddedMigrations) -> Option<Vec<String>> {
    diesel::migration::MigrationSource::<DB>::migrations(source)
        .ok()
        .map(|all| all.iter().map(|m| m.name().version().to_string()).collect())
}

/// Whether a diesel error is a unique-constraint violation (a 409 to the user).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Now (`clock::now`), in UTC, truncated to microseconds so both backends store the
/// same value.
pub fn now() -> chrono::NaiveDateTime {
    truncate_micros(crate::clock::now().naive_utc())
}

pub fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond() / 1000 * 1000;
    t.with_nanosecond(nanos).unwrap_or(t)
}

/// PostgreSQL's write transactions take turns, as SQLite's do: each begins by taking one
/// transaction-level advisory lock. So the event log's ids (`audit`) commit in the order
/// they were given, and no two write transactions of rungs can wait on each other's rows.
/// ("rungswr1")
const WRITERS_IN_TURN: &str = "SELECT pg_advisory_xact_lock(8247619683196826161)";

/// SQLite's page cache for one large write, in KiB (the connection's default is 2 MB).
const BULK_CACHE_KIB: i64 = 64 * 1024;

/// `write_transaction` for one very large write (an import of a whole register). On
/// SQLite the pages it changes stay in memory, in a larger page cache and with statement
/// journals in memory, rather than being spilled to temporary files and read back (a
/// profile of a 15,000-row import: a fifth of its time in `pwrite`/`pread` of spilled
/// pages and statement journals); the connection's settings are put back after.
pub fn bulk_write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    if sqlite {
        conn.batch_execute(&format!(
            "PRAGMA cache_size = -{BULK_CACHE_KIB}; PRAGMA temp_store = MEMORY;"
        ))?;
    }
    let result = write_transaction(conn, f);
    if sqlite {
        // Pooled connections go back as they were opened.
        let _ = conn.batch_execute("PRAGMA cache_size = -2000; PRAGMA temp_store = DEFAULT;");
    }
    result
}

/// A write transaction. On SQLite it begins IMMEDIATE, taking the write lock up front
/// (waiting up to busy_timeout): a deferred transaction that read first could not upgrade
/// to writing once another writer committed, and would fail at once with SQLITE_BUSY.
/// Nested `transaction` calls inside become savepoints, as usual.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Pg(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            if let Err(e) = c.batch_execute(WRITERS_IN_TURN) {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                return Err(e.into());
            }
        }
    }
    let result = f(conn);
    let finish = match (&result, &mut *conn) {
        (Ok(_), DbConn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConn::Pg(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConn::Pg(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (result, finish) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_their_backend() {
        assert!(matches!(
            DatabaseUrl::parse("postgres://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgresql://u@h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("rungs.db"),
            Ok(DatabaseUrl::Sqlite("rungs.db".into()))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://x.db"),
            Ok(DatabaseUrl::Sqlite("x.db".into()))
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("host=localhost dbname=x").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    /// `.cargo/config.toml` builds SQLite with the query planner stability guarantee, so
    /// that statements with a bound LIMIT stay prepared.
    #[test]
    fn sqlite_keeps_its_plans_whatever_is_bound() {
        #[derive(diesel::QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        use diesel::{Connection, RunQueryDsl};
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options")
            .load(&mut conn)
            .unwrap();
        assert!(
            options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "{:?}",
            options
                .iter()
                .map(|o| &o.compile_options)
                .collect::<Vec<_>>()
        );
    }
}
