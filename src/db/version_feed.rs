//! The change counters (`db::versions`) without a read per request, on PostgreSQL.
//!
//! A trigger announces every committed change to `settings` on the channel
//! `rungs_settings` (migration 000008). Each process keeps one connection that LISTENs
//! there; while it is connected, a request takes the counters from memory and reads them
//! again only after a notice, a reconnection, or a change this process made itself.
//! Another process's change is seen as soon as its notice arrives (within about
//! `POLL`); this process's own changes at once. While the listener is down every
//! request reads the counters, as before.
//!
//! On SQLite every request reads the counters, so every change is seen at once; the
//! read costs microseconds, and a request makes it on its own thread through a
//! connection of that thread's (`without_pool`), not through a trip to the blocking
//! pool, which costs more than the read.

use super::versions::{self, LocalChanges, Versions};
use super::{DatabaseUrl, DbConn};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, QueryResult};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// The channel the trigger on `settings` notifies.
pub const CHANNEL: &str = "rungs_settings";
/// How often the listener collects notices. libpq can only be asked, not waited on,
/// through diesel; asking costs one non-blocking read.
const POLL: Duration = Duration::from_millis(2);
/// How often an idle listener checks that its connection is alive.
const PING_EVERY: Duration = Duration::from_secs(5);
/// The longest wait between attempts to reconnect.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub struct VersionFeed {
    /// Moves on every notice and every reconnection: with this running rungs' own
    /// changes (`changes`), a remembered read is good while their sum stands.
    notices: AtomicU64,
    changes: Arc<LocalChanges>,
    /// Whether a listener is connected; until it is, nothing is remembered.
    listening: AtomicBool,
    /// The last read, with the sum it was read under.
    remembered: Mutex<Option<(u64, Versions)>>,
    /// SQLite: the file, whose counters a request reads on its own thread.
    sqlite: Option<String>,
}

impl VersionFeed {
    /// A feed that remembers nothing: every request reads the counters.
    pub fn reading_always() -> Arc<Self> {
        Arc::default()
    }

    /// For PostgreSQL, a feed with its listener thread (which ends with the feed); for
    /// SQLite, one that reads always, on the request's own thread when it can.
    /// `changes` are the ones this running rungs makes (`ConnectionManager::changes`).
    pub fn start(url: &DatabaseUrl, changes: Arc<LocalChanges>) -> Result<Arc<Self>, String> {
        match url {
            DatabaseUrl::Postgres(url) => {
                let feed = Arc::new(Self {
                    changes,
                    ..Self::default()
                });
                let (weak, url) = (Arc::downgrade(&feed), url.clone());
                std::thread::Builder::new()
                    .name("rungs-version-feed".into())
                    .spawn(move || listen(&weak, &url))
                    .map_err(|e| format!("cannot start the change listener: {e}"))?;
                Ok(feed)
            }
            DatabaseUrl::Sqlite(path) => Ok(Arc::new(Self {
                sqlite: Some(path.clone()),
                changes,
                ..Self::default()
            })),
        }
    }

    /// The counters without a trip to the blocking pool: remembered (PostgreSQL), or
    /// read now on this thread (SQLite: a read of one small table, which the WAL's
    /// writers do not block). `None` means ask `current` on the pool.
    pub fn without_pool(&self) -> Option<Versions> {
        if let Some(versions) = self.remembered() {
            return Some(versions);
        }
        read_on_this_thread(self.sqlite.as_deref()?)
    }

    fn stamp(&self) -> u64 {
        self.notices
            .load(Ordering::Acquire)
            .wrapping_add(self.changes.count())
    }

    /// The counters, if a read is remembered that no later change has overtaken.
    pub fn remembered(&self) -> Option<Versions> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let stamp = self.stamp();
        match *self.lock() {
            Some((at, versions)) if at == stamp => Some(versions),
            _ => None,
        }
    }

    /// The counters: remembered, or read now (and remembered while listening).
    pub fn current(&self, conn: &mut DbConn) -> QueryResult<Versions> {
        if let Some(versions) = self.remembered() {
            return Ok(versions);
        }
        // The stamp is taken before the read: a notice that arrives during it leaves
        // this read labelled older than the notice, so it is read again next time.
        let stamp = self.stamp();
        let versions = versions::read(conn)?;
        if self.listening.load(Ordering::Acquire) {
            let mut remembered = self.lock();
            if remembered.is_none_or(|(at, _)| at <= stamp) {
                *remembered = Some((stamp, versions));
            }
        }
        Ok(versions)
    }

    /// Something changed: forget the remembered read.
    pub fn notice(&self) {
        self.notices.fetch_add(1, Ordering::AcqRel);
    }

    /// Whether a listener is connected (remembered reads are in use).
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Acquire)
    }

    fn set_listening(&self, on: bool) {
        self.notice();
        self.listening.store(on, Ordering::Release);
        self.notice();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(u64, Versions)>> {
        self.remembered.lock().unwrap_or_else(|e| e.into_inner())
    }
}

thread_local! {
    /// This thread's connection for reading SQLite's counters, with the file it is on.
    static READER: RefCell<Option<(String, DbConn)>> = const { RefCell::new(None) };
}

/// SQLite's counters, read on this thread through a connection of its own (opened on
/// first use; dropped on an error, and `None` returned so the caller asks the pool).
fn read_on_this_thread(path: &str) -> Option<Versions> {
    READER.with(|reader| {
        let mut reader = reader.borrow_mut();
        if reader.as_ref().is_none_or(|(on, _)| on != path) {
            let mut conn = SqliteConnection::establish(path).ok()?;
            // Never wait long on this thread: a busy file is read through the pool.
            conn.batch_execute("PRAGMA busy_timeout = 50; PRAGMA query_only = ON;")
                .ok()?;
            *reader = Some((path.to_string(), DbConn::Sqlite(conn)));
        }
        let (_, conn) = reader.as_mut()?;
        match versions::read(conn) {
            Ok(versions) => Some(versions),
            Err(e) => {
                tracing::warn!(error = %e, "reading the change counters on a worker failed");
                *reader = None;
                None
            }
        }
    })
}

/// The listener thread: connect, LISTEN, collect notices; on any failure stop
/// remembering, and reconnect with a growing wait. Ends when the feed is dropped.
fn listen(feed: &Weak<VersionFeed>, url: &str) {
    let mut backoff = Duration::from_millis(50);
    loop {
        match connect(url) {
            Ok(mut conn) => {
                let Some(f) = feed.upgrade() else { return };
                // LISTEN is in force before anything is remembered: no change can fall
                // between the last read and the first notice.
                f.set_listening(true);
                drop(f);
                backoff = Duration::from_millis(50);
                let lost = collect(feed, &mut conn);
                let Some(f) = feed.upgrade() else { return };
                f.set_listening(false);
                match lost {
                    Some(e) => {
                        tracing::warn!(error = %e, "the change listener lost its connection")
                    }
                    None => return,
                }
            }
            Err(e) => tracing::warn!(error = %e, "the change listener cannot connect"),
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(MAX_BACKOFF);
        if feed.strong_count() == 0 {
            return;
        }
    }
}

fn connect(url: &str) -> Result<PgConnection, String> {
    let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

/// Collect notices until the connection fails (its error) or the feed is gone (`None`).
fn collect(feed: &Weak<VersionFeed>, conn: &mut PgConnection) -> Option<String> {
    let mut pinged = Instant::now();
    loop {
        std::thread::sleep(POLL);
        let f = feed.upgrade()?;
        let mut heard = false;
        for notice in conn.notifications_iter() {
            match notice {
                Ok(_) => heard = true,
                Err(e) => return Some(e.to_string()),
            }
        }
        if heard {
            f.notice();
        }
        if pinged.elapsed() >= PING_EVERY {
            if let Err(e) = conn.batch_execute("SELECT 1") {
                return Some(e.to_string());
            }
            pinged = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listening() -> VersionFeed {
        let feed = VersionFeed::default();
        feed.set_listening(true);
        feed
    }

    fn remember(feed: &VersionFeed, versions: Versions) {
        *feed.lock() = Some((feed.stamp(), versions));
    }

    #[test]
    fn nothing_is_remembered_without_a_listener() {
        let feed = VersionFeed::default();
        remember(&feed, Versions::default());
        assert_eq!(feed.remembered(), None);
    }

    #[test]
    fn a_notice_or_a_lost_listener_forgets_the_read() {
        let feed = listening();
        let v = Versions {
            accounts: 3,
            ..Versions::default()
        };
        remember(&feed, v);
        assert_eq!(feed.remembered(), Some(v));
        feed.notice();
        assert_eq!(feed.remembered(), None);
        remember(&feed, v);
        feed.set_listening(false);
        assert_eq!(feed.remembered(), None);
        feed.set_listening(true);
        assert_eq!(feed.remembered(), None, "a reconnection reads again");
    }

    #[test]
    fn a_local_change_forgets_the_read_once_published() {
        let feed = listening();
        remember(&feed, Versions::default());
        versions::note_bump();
        feed.changes.publish();
        assert_eq!(feed.remembered(), None);
    }
}
