//! Group commit for filing.
//!
//! A request validates its filing and matches it against the clusters
//! (`incidents::prepare`, reads only): from memory on its own thread when the filer and
//! the catalogue are remembered, else on the blocking pool. It then hands the filing to
//! this process's single writer: an OS thread that owns one connection. The writer
//! takes every filing queued (up to `MAX_BATCH`), reads the change counters in its
//! transaction, sends back any filing checked under counters that have moved since
//! (the request checks it again from the database), writes the rest, commits (one
//! sync: SQLite WAL with `synchronous=FULL`, PostgreSQL with `synchronous_commit=on`),
//! and only then answers each request. If the batch fails, each of its filings is
//! retried in a transaction of its own, so that one bad filing cannot sink the others.
//!
//! Several processes over one PostgreSQL each have their own writer; the rollups and
//! cluster counts are upserts and increments, so their batches add up.

use super::directory::Directory;
use super::grouping::GroupingCache;
use super::incidents::{self, Filed, Filer, PreparedFiling, RawIncident};
use super::{self as service};
use crate::db::checkpoint::{self, Checkpointer};
use crate::db::fault::{Fault, LastFault};
use crate::db::{ConnectionManager, DbConn, Pool};
use crate::error::{AppError, AppResult};
use diesel::connection::SimpleConnection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most filings written in one transaction.
pub const MAX_BATCH: usize = 256;

/// How many times a filing is checked again because the accounts or the catalogue
/// changed between its checks and its write, before the request gives up.
pub const MAX_RECHECKS: usize = 3;

/// What the writer did with a filing.
#[derive(Debug)]
pub enum Written {
    Filed(Filed),
    /// Not written: it was checked under change counters that have since moved.
    Recheck,
}

/// The answer when a filing had to be checked again `MAX_RECHECKS` times.
pub fn kept_changing() -> AppError {
    AppError::internal("the accounts or the catalogue kept changing while the incident was filed")
}

struct Job {
    filing: PreparedFiling,
    reply: oneshot::Sender<AppResult<Written>>,
}

/// The sending end of this process's filing writer.
pub struct FilingQueue {
    jobs: mpsc::Sender<Job>,
    grouping: Arc<GroupingCache>,
    directory: Arc<Directory>,
    /// SQLite's checkpoints, kept off the writer's commits.
    _checkpointer: Option<Checkpointer>,
    /// The fault the writer's last batch met, if it has not written since.
    fault: Arc<LastFault>,
}

impl FilingQueue {
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
            grouping: grouping.clone(),
            directory: directory.clone(),
            fault: fault.clone(),
        };
        std::thread::Builder::new()
            .name("rungs-filing-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| format!("cannot start the filing writer: {e}"))?;
        Ok(Self {
            jobs,
            grouping,
            directory,
            _checkpointer: checkpointer,
            fault,
        })
    }

    /// The fault the writer met last, while it has not written since.
    pub fn last_fault(&self) -> Option<Fault> {
        self.fault.get()
    }

    /// File `raw` for `filer` and wait until its batch has committed: checked and placed
    /// from memory when the filer and the catalogue are remembered, else (and whenever
    /// the writer sends it back) on the blocking pool, reading the counters afresh.
    pub async fn file(&self, pool: &Pool, filer: Filer, raw: RawIncident) -> AppResult<Filed> {
        let remembered =
            incidents::prepare_from_memory(&self.grouping, &self.directory, &filer, &raw, now());
        let mut filing = match remembered {
            Some(filing) => filing,
            None => self.prepare(pool, &filer, &raw).await?,
        };
        for _ in 0..MAX_RECHECKS {
            match self.submit(filing).await? {
                Written::Filed(filed) => return Ok(filed),
                Written::Recheck => filing = self.prepare(pool, &filer, &raw).await?,
            }
        }
        Err(kept_changing())
    }

    /// Check and place a filing on the blocking pool, under the counters as they are now.
    async fn prepare(
        &self,
        pool: &Pool,
        filer: &Filer,
        raw: &RawIncident,
    ) -> AppResult<PreparedFiling> {
        let (grouping, directory) = (self.grouping.clone(), self.directory.clone());
        let (filer, raw) = (filer.clone(), raw.clone());
        service::run(pool, move |conn| {
            let versions = crate::db::versions::read(conn)?;
            incidents::prepare(conn, &grouping, &directory, &versions, &filer, &raw, now())
        })
        .await
    }

    /// Queue a prepared filing and wait for its batch to commit.
    async fn submit(&self, filing: PreparedFiling) -> AppResult<Written> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { filing, reply })
            .map_err(|_| AppError::internal("the filing writer has stopped"))?;
        answer
            .await
            .map_err(|_| AppError::internal("the filing writer dropped a filing"))?
    }
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

/// Write prepared filings in one transaction of their own on `conn` (SQLite takes the
/// write lock at BEGIN). On failure the grouping index is invalidated, since it may hold
/// filings that were rolled back.
pub fn write_one(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    filing: &PreparedFiling,
) -> AppResult<Written> {
    let mut written = write(conn, grouping, directory, &[filing]).map_err(Failed::into_error)?;
    Ok(written.remove(0))
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

/// Write the filings whose checks still hold under the counters read in the
/// transaction; the others are sent back.
fn write(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    batch: &[&PreparedFiling],
) -> Result<Vec<Written>, Failed> {
    let mut body_done = false;
    let result = crate::db::write_transaction(conn, |conn| {
        let versions = crate::db::versions::read(conn)?;
        directory.observe(&versions);
        // Other processes' filings, before matching this batch's new ones again.
        if let Err(e) = grouping.refresh_at(conn, versions.grouping) {
            tracing::warn!(error = %e, "grouping refresh before a batch failed");
        }
        let holds: Vec<bool> = batch.iter().map(|f| f.under.holds(&versions)).collect();
        let current: Vec<&PreparedFiling> = batch
            .iter()
            .zip(&holds)
            .filter_map(|(f, &holds)| holds.then_some(*f))
            .collect();
        let mut filed = if current.is_empty() {
            Vec::new()
        } else {
            incidents::write_batch(conn, grouping, directory, &versions, &current)?
        }
        .into_iter();
        body_done = true;
        Ok::<_, AppError>(
            holds
                .into_iter()
                .map(|holds| {
                    if holds {
                        Written::Filed(filed.next().expect("one filed per current filing"))
                    } else {
                        Written::Recheck
                    }
                })
                .collect::<Vec<_>>(),
        )
    });
    crate::db::versions::publish_local();
    match &result {
        Ok(written) => grouping.committed(written.iter().filter_map(|w| match w {
            Written::Filed(f) => Some(f.id),
            Written::Recheck => None,
        })),
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
        let filings: Vec<&PreparedFiling> = jobs.iter().map(|j| &j.filing).collect();
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
                for (job, written) in jobs.into_iter().zip(written) {
                    let _ = job.reply.send(Ok(written));
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
                for job in jobs {
                    let result = self
                        .connection()
                        .and_then(|conn| write_one(conn, &grouping, &directory, &job.filing));
                    if result.is_err() {
                        self.drop_if_broken();
                    }
                    let _ = job.reply.send(result);
                }
            }
        }
    }

    /// Write one batch on the writer's connection (connecting first if it has none).
    fn write_batch(&mut self, filings: &[&PreparedFiling]) -> Result<Vec<Written>, Failed> {
        let (grouping, directory) = (self.grouping.clone(), self.directory.clone());
        let conn = self.connection().map_err(Failed::BeforeCommit)?;
        write(conn, &grouping, &directory, filings)
    }

    fn drop_if_broken(&mut self) {
        if let Some(conn) = self.conn.as_mut()
            && conn.batch_execute("SELECT 1").is_err()
        {
            self.conn = None;
        }
    }
}
