//! The scheduler inside `rungs serve`: jobs that change state because time passed, not
//! because someone opened a page. Verdicts that became due settle their clusters,
//! actions past their due date are flagged, each closed week's spikes (and a mid-week
//! early warning) and the goals behind their weekly target go on the trail, and the
//! event log is tallied for the metrics.
//!
//! Several instances may run it over one PostgreSQL: each job is done by whoever holds
//! its lease (`db::jobs::claim`, one conditional UPDATE), and its changes, with what it
//! reached (`last_period`, `event_cursor`), commit in one write transaction, which on
//! PostgreSQL waits for every other writer (`db::write_transaction`). So a run that
//! died before its commit is done again in full by the next one, and a committed one is
//! never repeated, whichever instance comes next.

mod actions;
mod goals;
mod spikes;
mod tally;

use crate::db::{self, DbConn, Pool, jobs};
use crate::error::AppResult;
use crate::service::organisation;
use crate::telemetry::metrics::{SCHEDULER_RUNS, SCHEDULER_SECONDS};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::time::Duration;

/// What a job reached in one run, stored with its changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    pub period: Option<String>,
    pub event_cursor: i64,
    /// How many things the run changed or recorded.
    pub changes: usize,
}

/// One job: its name (its row in `scheduled_jobs`) and its work, run inside the job's
/// write transaction with the row as the last run left it.
struct Job {
    name: &'static str,
    run: fn(&mut DbConn, &jobs::JobRow, DateTime<Utc>, Tz) -> AppResult<Progress>,
}

const JOBS: &[Job] = &[
    Job {
        name: "verdicts",
        run: actions::verdicts,
    },
    Job {
        name: "overdue",
        run: actions::overdue,
    },
    Job {
        name: "spikes",
        run: spikes::closed_weeks,
    },
    Job {
        name: "early_warning",
        run: spikes::early_warning,
    },
    Job {
        name: "goals",
        run: goals::behind,
    },
    Job {
        name: "tally",
        run: tally::events,
    },
    Job {
        name: "webhooks",
        run: crate::service::webhooks::enqueue,
    },
];

/// The jobs' names, as their rows and metrics know them.
pub fn job_names() -> impl Iterator<Item = &'static str> {
    JOBS.iter().map(|j| j.name)
}

/// How long a lease lasts: longer than any run, so that only a dead instance loses it.
const LEASE: Duration = Duration::from_secs(300);

/// What happened to one job in one pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Done(Progress),
    /// Another instance holds the job's lease.
    Busy,
    Failed(String),
}

/// Run every job once, as of `now`, for the instance called `owner`.
pub fn run_due(pool: &Pool, owner: &str, now: DateTime<Utc>) -> Vec<(&'static str, Outcome)> {
    JOBS.iter()
        .map(|job| {
            let started = std::time::Instant::now();
            let outcome = match run_one(pool, job, owner, now) {
                Ok(outcome) => outcome,
                Err(e) => Outcome::Failed(e.to_string()),
            };
            let label = match &outcome {
                Outcome::Done(progress) => {
                    let took = started.elapsed();
                    SCHEDULER_SECONDS
                        .with_label_values(&[job.name])
                        .observe(took.as_secs_f64());
                    tracing::debug!(
                        job = job.name,
                        changes = progress.changes,
                        ms = took.as_millis() as u64,
                        "a scheduled job ran"
                    );
                    "done"
                }
                Outcome::Busy => "busy",
                Outcome::Failed(e) => {
                    tracing::error!(job = job.name, error = %e, "a scheduled job failed");
                    "failed"
                }
            };
            SCHEDULER_RUNS.with_label_values(&[job.name, label]).inc();
            (job.name, outcome)
        })
        .collect()
}

fn run_one(pool: &Pool, job: &Job, owner: &str, now: DateTime<Utc>) -> AppResult<Outcome> {
    let mut conn = pool.get()?;
    let at = now.naive_utc();
    let until = at + chrono::Duration::from_std(LEASE).unwrap_or_default();
    if !jobs::claim(&mut conn, job.name, owner, db::now(), until)? {
        return Ok(Outcome::Busy);
    }
    let result = db::write_transaction(&mut conn, |conn| -> AppResult<Progress> {
        let tz = organisation::timezone(conn)?;
        let row = jobs::find(conn, job.name)?
            .ok_or_else(|| crate::error::AppError::internal("a scheduled job has no row"))?;
        let progress = (job.run)(conn, &row, now, tz)?;
        jobs::finish(
            conn,
            job.name,
            db::now(),
            progress.period.as_deref(),
            progress.event_cursor,
        )?;
        Ok(progress)
    });
    conn.publish_changes();
    jobs::release(&mut conn, job.name, owner)?;
    result.map(Outcome::Done)
}

/// The scheduler's thread: a pass every `every`, from the start.
pub struct Scheduler;

impl Scheduler {
    pub fn start(pool: Pool, every: Duration) -> Result<(), String> {
        // Leases name their holder: this process, told apart from others on this host.
        let owner = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "rungs".into()),
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        );
        std::thread::Builder::new()
            .name("scheduler".into())
            .spawn(move || {
                loop {
                    run_due(&pool, &owner, Utc::now());
                    std::thread::sleep(every);
                }
            })
            .map(|_| ())
            .map_err(|e| format!("cannot start the scheduler: {e}"))
    }
}
