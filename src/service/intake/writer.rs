//! Group commit: the process's one writer thread.
//!
//! Requests queue their filings; the writer takes every filing waiting (up to
//! `MAX_BATCH`) into one transaction, files them (`write::write`), commits (one sync:
//! SQLite WAL with `synchronous=FULL`, PostgreSQL with `synchronous_commit=on`) and only
//! then answers each request. If the batch fails, each of its filings is tried again in
//! a transaction of its own, so that one filing cannot sink the others; a fault of the
//! database (read-only, locked, full, disconnected) is answered to all at once.
//!
//! Several processes over one PostgreSQL each have their own writer; write transactions
//! take turns (`db::write_transaction`), and the rollups and cluster counts are upserts
//! and increments, so their batches add up.

use super::write::{Filed, write};
use super::{Filer, Filing, RawIncident};
use crate::db::checkpoint::{self, Checkpointer};
use crate::db::fault::{Fault, LastFault};
use crate::db::versions::LocalChanges;
use crate::db::{ConnectionManager, DbConn};
use crate::error::{AppError, AppResult};
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use diesel::connection::SimpleConnection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most filings written in one transaction.
pub const MAX_BATCH: usize = 256;

struct Job {
    filing: Filing,
    reply: oneshot::Sender<AppResult<Filed>>,
}

/// The way in for requests: the sending end of this process's filing writer.
pub struct Intake {
    jobs: mpsc::Sender<Job>,
    /// SQLite's checkpoints, kept off the writer's commits.
    _checkpointer: Option<Checkpointer>,
    /// The fault the writer's last batch met, if it has not written since.
    fault: Arc<LastFault>,
}

impl Intake {
    /// Start the writer thread with a connection of its own (not one of the pool's).
    pub fn start(
        manager: ConnectionManager,
        grouping: Arc<GroupingCache>,
        directory: Arc<Directory>,
    ) -> Result<Self, String> {
        let conn = writer_connection(&manager)
            .map_err(|e| format!("cannot open the database for the filing writer: {e}"))?;
        let checkpointer = Checkpointer::start(manager.url())?;
        let (jobs, rx) = mpsc::channel();
        let fault = Arc::new(LastFault::default());
        let writer = Writer {
            manager,
            conn: Some(conn),
            grouping,
            directory,
            fault: fault.clone(),
        };
        std::thread::Builder::new()
            .name("rungs-filing-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| format!("cannot start the filing writer: {e}"))?;
        Ok(Self {
            jobs,
            _checkpointer: checkpointer,
            fault,
        })
    }

    /// The fault the writer met last, while it has not written since.
    pub fn last_fault(&self) -> Option<Fault> {
        self.fault.get()
    }

    /// File `raw` for `filer` and wait until its batch has committed: the filing's
    /// answer (filed, or refused with its reasons) comes only after the commit.
    pub async fn file(&self, filer: Filer, raw: RawIncident) -> AppResult<Filed> {
        let filing = Filing {
            filer,
            raw,
            at: crate::clock::now(),
            imported: None,
        };
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { filing, reply })
            .map_err(|_| AppError::internal("the filing writer has stopped"))?;
        answer
            .await
            .map_err(|_| AppError::internal("the filing writer dropped a filing"))?
    }
}

/// Why a batch was not written, and whether its commit had been sent: a connection
/// lost before the commit wrote nothing, and the batch may be written again; one lost
/// during the commit may have committed, and is not.
#[derive(Debug)]
enum Failed {
    BeforeCommit(AppError),
    AtCommit(AppError),
}

impl Failed {
    fn into_error(self) -> AppError {
        match self {
            Failed::BeforeCommit(e) | Failed::AtCommit(e) => e,
        }
    }

    fn fault(&self) -> Option<Fault> {
        match self {
            Failed::BeforeCommit(AppError::Unavailable(f))
            | Failed::AtCommit(AppError::Unavailable(f)) => Some(*f),
            _ => None,
        }
    }
}

/// File a batch in one transaction of its own on `conn` (SQLite takes the write lock at
/// BEGIN), and tell the grouping index whether it committed.
fn write_batch(
    conn: &mut DbConn,
    changes: &LocalChanges,
    grouping: &GroupingCache,
    directory: &Directory,
    batch: &[&Filing],
) -> Result<Vec<AppResult<Filed>>, Failed> {
    let mut body_done = false;
    let result = crate::db::write_transaction(conn, |conn| {
        let answers = write(conn, grouping, directory, batch)?;
        body_done = true;
        Ok::<_, AppError>(answers)
    });
    changes.publish();
    match &result {
        Ok(answers) => {
            grouping.committed(answers.iter().filter_map(|a| a.as_ref().ok().map(|f| f.id)))
        }
        // The index may hold filings that were rolled back.
        Err(_) => grouping.invalidate(),
    }
    result.map_err(|e| {
        if body_done {
            Failed::AtCommit(e)
        } else {
            Failed::BeforeCommit(e)
        }
    })
}

/// The writer's own connection. On SQLite its scratch space (the statement journals of
/// its multi-row upserts, the subquery of `clusters::add_filed`) is kept in memory:
/// otherwise SQLite creates and deletes a temporary file for them in every batch. These
/// are not the database's journal: durability is the WAL's, unchanged. Its checkpoints
/// are left to `db::checkpoint`.
fn writer_connection(manager: &ConnectionManager) -> Result<DbConn, String> {
    let mut conn = manager.establish().map_err(|e| e.to_string())?;
    if let DbConn::Sqlite(c) = &mut conn {
        c.batch_execute(&format!(
            "PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = {};",
            checkpoint::WRITER_AUTOCHECKPOINT
        ))
        .map_err(|e| e.to_string())?;
    }
    Ok(conn)
}

struct Writer {
    manager: ConnectionManager,
    conn: Option<DbConn>,
    grouping: Arc<GroupingCache>,
    directory: Arc<Directory>,
    fault: Arc<LastFault>,
}

impl Writer {
    /// Until every sender is gone (the server stopped).
    fn run(mut self, rx: mpsc::Receiver<Job>) {
        while let Ok(first) = rx.recv() {
            let mut jobs = vec![first];
            while jobs.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => jobs.push(job),
                    Err(_) => break,
                }
            }
            // A panic answers this batch's requests with an error (their senders are
            // dropped) and leaves the writer running, on a fresh connection.
            if catch_unwind(AssertUnwindSafe(|| self.batch(jobs))).is_err() {
                tracing::error!("the filing writer panicked; reconnecting");
                self.grouping.invalidate();
                self.conn = None;
            }
        }
    }

    fn connection(&mut self) -> AppResult<&mut DbConn> {
        if self.conn.is_none() {
            let conn = writer_connection(&self.manager).map_err(|e| {
                tracing::warn!(error = %e, "the filing writer cannot connect");
                AppError::Unavailable(Fault::Unreachable)
            })?;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("just connected"))
    }

    fn batch(&mut self, jobs: Vec<Job>) {
        let filings: Vec<&Filing> = jobs.iter().map(|j| &j.filing).collect();
        let mut result = self.write_batch(&filings);
        // A PostgreSQL connection dropped before the commit was sent: nothing of the
        // batch was written, so it is written again, once, on a new connection.
        if let Err(Failed::BeforeCommit(AppError::Unavailable(Fault::ConnectionLost))) = result {
            self.conn = None;
            result = self.write_batch(&filings);
        }
        match result {
            Ok(written) => {
                // Writes work again: the pool's connections opened during the fault
                // (perhaps read-only) are replaced.
                if self.fault.get().is_some_and(Fault::stales_connections) {
                    self.manager.retire_all();
                }
                self.fault.clear();
                for (job, answer) in jobs.into_iter().zip(written) {
                    let _ = job.reply.send(answer);
                }
            }
            // A fault of the database (read-only, locked, full, disconnected) is the
            // same for every filing: all hear it at once, and the connection is replaced
            // so that writes resume as soon as the cause goes away.
            Err(failed) if failed.fault().is_some() => {
                let fault = failed.fault().expect("matched a fault");
                crate::db::fault::note(fault);
                self.fault.set(fault);
                self.conn = None;
                for job in jobs {
                    let _ = job.reply.send(Err(AppError::Unavailable(fault)));
                }
            }
            Err(failed) => {
                let e = failed.into_error();
                tracing::warn!(error = %e, filings = jobs.len(), "a filing batch failed");
                self.drop_if_broken();
                let mut jobs = jobs;
                if jobs.len() == 1
                    && let Some(job) = jobs.pop()
                {
                    let _ = job.reply.send(Err(e));
                    return;
                }
                // One by one, so that one bad filing cannot sink the others.
                let (grouping, directory) = (self.grouping.clone(), self.directory.clone());
                let changes = self.manager.changes().clone();
                for job in jobs {
                    let result = self.connection().and_then(|conn| {
                        write_batch(conn, &changes, &grouping, &directory, &[&job.filing])
                            .map_err(Failed::into_error)
                            .and_then(|mut answers| answers.remove(0))
                    });
                    if result.is_err() {
                        self.drop_if_broken();
                    }
                    let _ = job.reply.send(result);
                }
            }
        }
    }

    /// Write one batch on the writer's connection (connecting first if it has none).
    fn write_batch(&mut self, filings: &[&Filing]) -> Result<Vec<AppResult<Filed>>, Failed> {
        let (grouping, directory) = (self.grouping.clone(), self.directory.clone());
        let changes = self.manager.changes().clone();
        let conn = self.connection().map_err(Failed::BeforeCommit)?;
        write_batch(conn, &changes, &grouping, &directory, filings)
    }

    fn drop_if_broken(&mut self) {
        if let Some(conn) = self.conn.as_mut()
            && conn.batch_execute("SELECT 1").is_err()
        {
            self.conn = None;
        }
    }
}
