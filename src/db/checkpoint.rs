//! SQLite checkpoints off the filing writer's path.
//!
//! In WAL mode every commit appends pages to the WAL, and a checkpoint copies them back
//! into the database file and syncs it. By default the connection whose commit takes the
//! WAL past 1,000 pages runs that checkpoint inside its commit: for the filing writer,
//! every dozen batches one of them also waits for a few megabytes to be written and
//! synced, while every filing queued behind it waits too. Here a thread of its own, on
//! its own connection, runs a PASSIVE checkpoint every `EVERY` (PASSIVE never blocks the
//! writer or a reader), and the writer's own automatic checkpoint is moved out to
//! `WRITER_AUTOCHECKPOINT` pages, a safety net should this thread fall behind.
//! Durability is unchanged: a commit is synced in the WAL before it is acknowledged.

use super::{ConnectionManager, DatabaseUrl, DbConn};
use diesel::connection::SimpleConnection;
use std::sync::{Arc, Weak};
use std::time::Duration;

const EVERY: Duration = Duration::from_millis(50);
/// WAL pages past which the writer checkpoints itself (about 40 MB).
pub const WRITER_AUTOCHECKPOINT: u32 = 10_000;

/// Keeps the checkpoint thread running; it ends soon after this is dropped.
pub struct Checkpointer {
    _alive: Arc<()>,
}

impl Checkpointer {
    /// A thread for SQLite; nothing for PostgreSQL, which checkpoints on its own.
    pub fn start(url: &DatabaseUrl) -> Result<Option<Self>, String> {
        if !matches!(url, DatabaseUrl::Sqlite(_)) {
            return Ok(None);
        }
        let mut conn = ConnectionManager::new(url.clone())
            .establish()
            .map_err(|e| format!("cannot open the database for checkpoints: {e}"))?;
        let alive = Arc::new(());
        let watch = Arc::downgrade(&alive);
        std::thread::Builder::new()
            .name("rungs-checkpoint".into())
            .spawn(move || run(&mut conn, &watch))
            .map_err(|e| format!("cannot start the checkpoint thread: {e}"))?;
        Ok(Some(Self { _alive: alive }))
    }
}

fn run(conn: &mut DbConn, alive: &Weak<()>) {
    let mut failing = false;
    while alive.strong_count() > 0 {
        std::thread::sleep(EVERY);
        match conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            Ok(()) => failing = false,
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(error = %e, "a WAL checkpoint failed; the writer's own will run");
            }
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Pages reach the database file only through a checkpoint: with the writing
    /// connection's own checkpoints off, the file grows only if the thread runs them.
    #[test]
    fn the_thread_copies_committed_pages_into_the_database_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ckpt.db");
        let url = DatabaseUrl::parse(path.to_str().unwrap()).unwrap();
        let mut writer = ConnectionManager::new(url.clone()).establish().unwrap();
        writer
            .batch_execute(
                "PRAGMA wal_autocheckpoint = 0; \
                 CREATE TABLE t (x BLOB); \
                 WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 500) \
                 INSERT INTO t SELECT randomblob(4000) FROM s;",
            )
            .unwrap();
        let size = || std::fs::metadata(&path).unwrap().len();
        assert!(size() < 1_000_000, "nothing checkpointed yet: {}", size());
        let checkpointer = Checkpointer::start(&url).unwrap();
        assert!(checkpointer.is_some(), "SQLite gets a checkpoint thread");
        let start = Instant::now();
        while size() < 2_000_000 && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(size() >= 2_000_000, "the thread checkpointed: {}", size());
    }

    #[test]
    fn postgresql_checkpoints_on_its_own() {
        let url = DatabaseUrl::parse("postgres://nobody@127.0.0.1:1/none").unwrap();
        assert!(Checkpointer::start(&url).unwrap().is_none());
    }
}
