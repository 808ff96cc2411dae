//! Storage: one connection type over SQLite and PostgreSQL, a pool, migrations,
//! and one module per aggregate with its queries.

pub mod actions;
pub mod audit;
pub mod backup;
pub mod catalog;
pub mod checkpoint;
pub mod clusters;
pub mod incident_batch;
pub mod incidents;
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

use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2;
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

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

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

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Self::Sqlite(_))
    }
}

/// An r2d2 manager that picks the backend from the URL itself (diesel's derived
/// `establish` tries each backend and loses the real error).
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self { url }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute("SET TIME ZONE 'UTC'; SET synchronous_commit = on;")
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
                // WAL with FULL sync: a write is on disk before it is acknowledged.
                conn.batch_execute(
                    // busy_timeout first: switching a new file to WAL takes a lock that
                    // the pool's other new connections must wait for, not fail on.
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Build a pool and bring the schema up to date.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<Pool, String> {
    // Switch a new SQLite file to WAL once, alone: the switch takes a lock that the pool's
    // connections, opening all at once, would otherwise trip over.
    if let DatabaseUrl::Sqlite(_) = url {
        r2d2::ManageConnection::connect(&ConnectionManager::new(url.clone()))
            .map_err(|e| format!("cannot open the database: {e}"))?;
    }
    // Connections open on demand and are not replaced in the background: a pool never
    // reconnects on its own to a database that went away (a dropped test database).
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(std::time::Duration::from_secs(15))
        .build(ConnectionManager::new(url.clone()))
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot open the database: {e}"))?;
    migrate(&mut conn)?;
    Ok(pool)
}

pub fn migrate(conn: &mut DbConn) -> Result<(), String> {
    let result = match conn {
        DbConn::Pg(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(lite) => lite.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| format!("migration failed: {e}"))
}

/// Whether a diesel error is a unique-constraint violation (a 409 to the user).
pub fn is_unique_violation(err: &diesel::result::Error) -> bool {
    matches!(
        err,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Now, in UTC, truncated to microseconds so both backends store the same value.
pub fn now() -> chrono::NaiveDateTime {
    truncate_micros(chrono::Utc::now().naive_utc())
}

pub fn truncate_micros(t: chrono::NaiveDateTime) -> chrono::NaiveDateTime {
    use chrono::Timelike;
    let nanos = t.nanosecond() / 1000 * 1000;
    t.with_nanosecond(nanos).unwrap_or(t)
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
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
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
