//! The change counters (`db::versions`) without a read per request, on PostgreSQL.
//!
//! A trigger announces every committed change to `settings` on the channel
//! `rungs_settings` (migration 000008). Each process keeps one connection that LISTENs
//! there; while it is connected, a request takes the counters from memory and reads them
//! again only after a notice, a reconnection, or a change this process made itself.
//! Another process's change is seen as soon as its notice arrives (within about
//! `POLL`); this process's own changes at once. While the listener is down, and always
//! on SQLite (where the read costs microseconds and one process serves the file), every
//! request reads the counters, as before.

use super::versions::{self, Versions};
use super::{DatabaseUrl, DbConn};
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::{Connection, QueryResult};
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
    /// Moves on every notice and every reconnection: with this process's own changes
    /// (`versions::local_changes`), a remembered read is good while their sum stands.
    notices: AtomicU64,
    /// Whether a listener is connected; until it is, nothing is remembered.
    listening: AtomicBool,
    /// The last read, with the sum it was read under.
    remembered: Mutex<Option<(u64, Versions)>>,
}

impl VersionFeed {
    /// A feed that remembers nothing: every request reads the counters.
    pub fn reading_always() -> Arc<Self> {
        Arc::default()
    }

    /// For PostgreSQL, a feed with its listener thread (which ends with the feed); for
    /// SQLite, one that reads always.
    pub fn start(url: &DatabaseUrl) -> Result<Arc<Self>, String> {
        let feed = Self::reading_always();
        if let DatabaseUrl::Postgres(url) = url {
            let (weak, url) = (Arc::downgrade(&feed), url.clone());
            std::thread::Builder::new()
                .name("rungs-version-feed".into())
                .spawn(move || listen(&weak, &url))
                .map_err(|e| format!("cannot start the change listener: {e}"))?;
        }
        Ok(feed)
    }

    fn stamp(&self) -> u64 {
        self.notices
            .load(Ordering::Acquire)
            .wrapping_add(versions::local_changes())
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
        versions::publish_local();
        assert_eq!(feed.remembered(), None);
    }
}
