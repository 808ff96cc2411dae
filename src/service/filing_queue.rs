//! Group commit for filing.
//!
//! A request validates its filing and matches it against the clusters on the blocking
//! pool (`incidents::prepare`, reads only), then hands it to this process's single
//! writer: an OS thread that owns one connection. The writer takes every filing queued
//! (up to `MAX_BATCH`), writes them in one transaction, commits (one sync: SQLite WAL
//! with `synchronous=FULL`, PostgreSQL with `synchronous_commit=on`), and only then
//! answers each request. If the batch fails, each of its filings is retried in a
//! transaction of its own, so that one bad filing cannot sink the others.
//!
//! Several processes over one PostgreSQL each have their own writer; the rollups and
//! cluster counts are upserts and increments, so their batches add up.

use super::directory::Directory;
use super::grouping::GroupingCache;
use super::incidents::{self, Filed, PreparedFiling, RawIncident};
use super::{self as service, accounts::Actor};
use crate::db::checkpoint::{self, Checkpointer};
use crate::db::{ConnectionManager, DbConn, Pool};
use crate::error::{AppError, AppResult};
use diesel::connection::SimpleConnection;
use diesel::r2d2::ManageConnection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Most filings written in one transaction.
pub const MAX_BATCH: usize = 256;

struct Job {
    filing: PreparedFiling,
    reply: oneshot::Sender<AppResult<Filed>>,
}

/// The sending end of this process's filing writer.
pub struct FilingQueue {
    jobs: mpsc::Sender<Job>,
    grouping: Arc<GroupingCache>,
    directory: Arc<Directory>,
    /// SQLite's checkpoints, kept off the writer's commits.
    _checkpointer: Option<Checkpointer>,
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
        let (writer_grouping, writer_directory) = (grouping.clone(), directory.clone());
        std::thread::Builder::new()
            .name("rungs-filing-writer".into())
            .spawn(move || Writer::new(manager, conn, writer_grouping, writer_directory).run(rx))
            .map_err(|e| format!("cannot start the filing writer: {e}"))?;
        Ok(Self {
            jobs,
            grouping,
            directory,
            _checkpointer: checkpointer,
        })
    }

    /// Validate and place `raw` on the blocking pool, then queue it for the writer and
    /// wait until its batch has committed.
    pub async fn file(&self, pool: &Pool, actor: Actor, raw: RawIncident) -> AppResult<Filed> {
        let (grouping, directory) = (self.grouping.clone(), self.directory.clone());
        let filing = service::run(pool, move |conn| {
            let versions = crate::db::versions::read(conn)?;
            let now = chrono::Utc::now();
            incidents::prepare(conn, &grouping, &directory, &versions, &actor, &raw, now)
        })
        .await?;
        self.submit(filing).await
    }

    /// Queue a prepared filing and wait for its batch to commit.
    pub async fn submit(&self, filing: PreparedFiling) -> AppResult<Filed> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { filing, reply })
            .map_err(|_| AppError::internal("the filing writer has stopped"))?;
        answer
            .await
            .map_err(|_| AppError::internal("the filing writer dropped a filing"))?
    }
}

/// Write prepared filings in one transaction of their own on `conn` (SQLite takes the
/// write lock at BEGIN). On failure the grouping index is invalidated, since it may hold
/// filings that were rolled back.
pub fn write_one(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    filing: &PreparedFiling,
) -> AppResult<Vec<Filed>> {
    write(conn, grouping, directory, &[filing])
}

fn write(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    batch: &[&PreparedFiling],
) -> AppResult<Vec<Filed>> {
    let result = crate::db::write_transaction(conn, |conn| {
        incidents::write_batch(conn, grouping, directory, batch)
    });
    crate::db::versions::publish_local();
    match &result {
        Ok(filed) => grouping.committed(filed.iter().map(|f| f.id)),
        Err(_) => grouping.invalidate(),
    }
    result
}

/// The writer's own connection. On SQLite its scratch space (the statement journals of
/// its multi-row upserts, the subquery of `clusters::add_filed`) is kept in memory:
/// otherwise SQLite creates and deletes a temporary file for them in every batch. These
/// are not the database's journal: durability is the WAL's, unchanged. Its checkpoints
/// are left to `db::checkpoint`.
fn writer_connection(manager: &ConnectionManager) -> Result<DbConn, String> {
    let mut conn = manager.connect().map_err(|e| e.to_string())?;
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
}

impl Writer {
    fn new(
        manager: ConnectionManager,
        conn: DbConn,
        grouping: Arc<GroupingCache>,
        directory: Arc<Directory>,
    ) -> Self {
        Self {
            manager,
            conn: Some(conn),
            grouping,
            directory,
        }
    }

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
            let conn = writer_connection(&self.manager).map_err(AppError::internal)?;
            self.conn = Some(conn);
        }
        Ok(self.conn.as_mut().expect("just connected"))
    }

    fn batch(&mut self, jobs: Vec<Job>) {
        let (grouping, directory) = (self.grouping.clone(), self.directory.clone());
        let conn = match self.connection() {
            Ok(conn) => conn,
            Err(e) => {
                tracing::error!(error = %e, "the filing writer cannot connect");
                for job in jobs {
                    let _ = job.reply.send(Err(AppError::internal(&e)));
                }
                return;
            }
        };
        // Other processes' filings, before matching this batch's new ones again.
        if let Err(e) = grouping.refresh(conn) {
            tracing::warn!(error = %e, "grouping refresh before a batch failed");
        }
        let filings: Vec<&PreparedFiling> = jobs.iter().map(|j| &j.filing).collect();
        let result = write(conn, &grouping, &directory, &filings);
        match result {
            Ok(filed) => {
                for (job, filed) in jobs.into_iter().zip(filed) {
                    let _ = job.reply.send(Ok(filed));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, filings = jobs.len(), "a filing batch failed");
                if conn.batch_execute("SELECT 1").is_err() {
                    self.conn = None;
                }
                let mut jobs = jobs;
                if jobs.len() == 1
                    && let Some(job) = jobs.pop()
                {
                    let _ = job.reply.send(Err(e));
                    return;
                }
                // One by one, so that one bad filing cannot sink the others.
                for job in jobs {
                    let result = self
                        .connection()
                        .and_then(|conn| write_one(conn, &grouping, &directory, &job.filing))
                        .map(|mut filed| filed.remove(0));
                    if result.is_err()
                        && let Some(conn) = self.conn.as_mut()
                        && conn.batch_execute("SELECT 1").is_err()
                    {
                        self.conn = None;
                    }
                    let _ = job.reply.send(result);
                }
            }
        }
    }
}
