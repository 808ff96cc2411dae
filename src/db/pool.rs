//! The connection pool: our own r2d2 manager, which picks the backend from the URL
//! itself (diesel's derived `establish` tries each backend and loses the real error),
//! sets each connection up, and replaces connections that a fault has made stale.
//!
//! Each connection remembers the pool's generation when it was opened. A fault that a
//! new connection may not have (the file was read-only when it was opened, the
//! PostgreSQL session was read-only or was dropped) moves the generation on
//! (`Managed::retire_all`), and so does the filing writer's first write after a fault:
//! every older connection is then closed when it is next handed out or handed back,
//! and a new one sees the database as it is now.

use super::versions::LocalChanges;
use super::{DatabaseUrl, DbConn, migrate};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2;
use diesel::sqlite::SqliteConnection;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub type Pool = r2d2::Pool<ConnectionManager>;
pub type PooledConn = r2d2::PooledConnection<ConnectionManager>;

/// The longest a request waits for a connection; SQLite's `busy_timeout` (5 s) and
/// PostgreSQL's `lock_timeout` (5 s) bound the wait for another process's lock. Past
/// these the user hears why (503).
pub const CONNECTION_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Shared by every clone of this manager and every connection it opened.
    generation: Arc<AtomicU64>,
    /// This running rungs' changes of the counters, shared the same way.
    changes: Arc<LocalChanges>,
}

/// A pooled connection: the connection, and the generation it was opened in.
pub struct Managed {
    conn: DbConn,
    born: u64,
    generation: Arc<AtomicU64>,
    changes: Arc<LocalChanges>,
}

impl Managed {
    /// After a unit of work on this connection: see `LocalChanges::publish`.
    pub fn publish_changes(&self) {
        self.changes.publish();
    }

    /// Every connection of this pool opened until now is replaced (see the module's
    /// comment); this one too, when it is handed back.
    pub fn retire_all(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    fn stale(&self) -> bool {
        self.born < self.generation.load(Ordering::Relaxed)
    }
}

impl std::ops::Deref for Managed {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Managed {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            generation: Arc::default(),
            changes: Arc::default(),
        }
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The changes of the counters made through this manager's connections.
    pub fn changes(&self) -> &Arc<LocalChanges> {
        &self.changes
    }

    /// The pool's connections opened until now are replaced (see the module's comment).
    pub fn retire_all(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
    }

    /// A new connection, set up, outside the pool (the filing writer's, the
    /// checkpointer's).
    pub fn establish(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                let mut conn =
                    PgConnection::establish(url).map_err(r2d2::Error::ConnectionError)?;
                // A lock held elsewhere (another session's LOCK TABLE) is waited for as
                // long as SQLite's busy_timeout, then told (503).
                conn.batch_execute(
                    "SET TIME ZONE 'UTC'; SET synchronous_commit = on; SET lock_timeout = '5s';",
                )
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
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Managed;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Managed, r2d2::Error> {
        // The generation is read before connecting: a fault while this connection opens
        // makes it stale rather than letting it pass for new.
        let born = self.generation.load(Ordering::Relaxed);
        Ok(Managed {
            conn: self.establish()?,
            born,
            generation: self.generation.clone(),
            changes: self.changes.clone(),
        })
    }

    fn is_valid(&self, conn: &mut Managed) -> Result<(), r2d2::Error> {
        if conn.stale() {
            return Err(r2d2::Error::QueryError(
                diesel::result::Error::BrokenTransactionManager,
            ));
        }
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Managed) -> bool {
        conn.stale()
    }
}

/// Build a pool and bring the schema up to date.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<Pool, String> {
    connect_with(ConnectionManager::new(url.clone()), max_size)
}

/// `connect` with a given manager, whose clones (the filing writer's) share its
/// generation.
pub fn connect_with(manager: ConnectionManager, max_size: u32) -> Result<Pool, String> {
    // Switch a new SQLite file to WAL once, alone: the switch takes a lock that the pool's
    // connections, opening all at once, would otherwise trip over.
    if let DatabaseUrl::Sqlite(_) = manager.url() {
        manager
            .establish()
            .map_err(|e| format!("cannot open the database: {e}"))?;
    }
    // Connections open on demand and are not replaced in the background: a pool never
    // reconnects on its own to a database that went away (a dropped test database).
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(CONNECTION_WAIT)
        .event_handler(Box::new(crate::telemetry::metrics::PoolEvents))
        .build(manager)
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot open the database: {e}"))?;
    migrate(&mut conn)?;
    Ok(pool)
}
