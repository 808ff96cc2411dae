//! Imports running in the background of this process, for the page: started by one
//! request, then read (never changed) by the page's `GET` as it refreshes, until done.
//! A check (`Options::dry_run`: every row read and checked, nothing written) runs the
//! same way and ends with its report.
//!
//! An import is one transaction, so what it has written is seen by nobody until it
//! commits; how far it has come lives only here, in the process that runs it (a page
//! served by another process says it knows no such import). Stopping it, or the process
//! ending, rolls the transaction back: nothing is left half-written.

use super::{Options, Progress, Report, import_file};
use crate::db::Pool;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::grouping::GroupingCache;
use rustc_hash::FxHashMap;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a finished import is still shown.
const KEPT: Duration = Duration::from_secs(3600);

/// Where an import is.
#[derive(Debug, Clone)]
pub enum JobState {
    Running,
    /// A check read every row and wrote nothing: what it found (bad rows, if any).
    Checked(Box<Report>),
    /// Written and committed, as this import record.
    Imported(i64),
    /// Rows refused while filing (the catalogue changed since the check): nothing written.
    Bad(Box<Report>),
    /// Stopped on request: nothing written.
    Stopped,
    /// The database or the file failed, or what was asked was wrong (a message key,
    /// such as an unknown login for unknown reporters): nothing written.
    Failed(Option<&'static str>),
}

struct Job {
    owner: i64,
    upload: Upload,
    options: Options,
    started: Instant,
    /// When the current pass began, and the last word of how far it has come.
    pass_started: Instant,
    progress: Option<Progress>,
    state: JobState,
    finished: Option<Instant>,
    stop: Arc<AtomicBool>,
}

/// The uploaded file a job reads: where it is, and the name the page knows it by.
#[derive(Debug, Clone)]
pub struct Upload {
    pub id: String,
    pub path: PathBuf,
}

/// What the page shows of an import.
#[derive(Debug, Clone)]
pub struct ImportJob {
    pub id: u64,
    /// The upload's name, to check or import it again.
    pub upload: String,
    /// How it was asked for (`dry_run`: a check).
    pub options: Options,
    pub state: JobState,
    pub progress: Option<Progress>,
    /// Rows a second in the current pass.
    pub rate: f64,
    /// Seconds until the current pass ends, at that rate (once the rows are counted).
    pub seconds_left: Option<u64>,
    pub seconds: u64,
}

/// This process's imports, by a number of its own.
#[derive(Default)]
pub struct Running {
    jobs: Mutex<FxHashMap<u64, Job>>,
    next: AtomicU64,
}

impl Running {
    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<u64, Job>> {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start importing `upload` (removed once imported), or checking it when
    /// `options.dry_run`, on a blocking thread; the job's number, to follow it with `view`.
    pub fn start(
        self: &Arc<Self>,
        pool: Pool,
        grouping: Arc<GroupingCache>,
        importer: Actor,
        upload: Upload,
        options: Options,
    ) -> AppResult<u64> {
        importer.require(Role::Lead)?;
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let stop = Arc::new(AtomicBool::new(false));
        let now = Instant::now();
        {
            let mut jobs = self.lock();
            jobs.retain(|_, j| j.finished.is_none_or(|at| at.elapsed() < KEPT));
            jobs.insert(
                id,
                Job {
                    owner: importer.id,
                    upload: upload.clone(),
                    options: options.clone(),
                    started: now,
                    pass_started: now,
                    progress: None,
                    state: JobState::Running,
                    finished: None,
                    stop: stop.clone(),
                },
            );
        }
        let running = self.clone();
        let path = upload.path;
        actix_web::rt::task::spawn_blocking(move || {
            let mut tell = |p: &Progress| running.told(id, p, &stop);
            let result = crate::service::on_connection(&pool, |conn| {
                import_file(conn, &grouping, &importer, &path, &options, &mut tell)
            });
            let state = match result {
                Ok(report) if report.stopped => JobState::Stopped,
                Ok(report) if options.dry_run => JobState::Checked(Box::new(report)),
                Ok(report) => match report.import_id {
                    Some(import_id) => {
                        let _ = std::fs::remove_file(&path);
                        JobState::Imported(import_id)
                    }
                    None => JobState::Bad(Box::new(report)),
                },
                Err(e) => {
                    tracing::warn!(error = %e, "an import failed");
                    let reason = match &e {
                        AppError::Invalid(fields) => fields.iter().map(|(_, key)| key).next(),
                        _ => None,
                    };
                    JobState::Failed(reason)
                }
            };
            if let Some(job) = running.lock().get_mut(&id) {
                job.state = state;
                job.finished = Some(Instant::now());
            }
        });
        Ok(id)
    }

    fn told(&self, id: u64, progress: &Progress, stop: &AtomicBool) -> ControlFlow<()> {
        if let Some(job) = self.lock().get_mut(&id) {
            if job.progress.is_none_or(|p| p.phase != progress.phase) {
                job.pass_started = Instant::now();
            }
            job.progress = Some(*progress);
        }
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// How import `id` is doing, for the person who started it (or an admin).
    pub fn view(&self, viewer: &Actor, id: u64) -> AppResult<ImportJob> {
        let jobs = self.lock();
        let job = Self::visible(&jobs, viewer, id)?;
        let pass = job.pass_started.elapsed().as_secs_f64();
        let rows = job.progress.map(|p| p.rows).unwrap_or(0);
        let rate = if pass > 0.0 { rows as f64 / pass } else { 0.0 };
        let seconds_left = job
            .progress
            .and_then(|p| p.total_rows.map(|t| t.saturating_sub(p.rows)))
            .filter(|_| rate > 0.0 && matches!(job.state, JobState::Running))
            .map(|left| (left as f64 / rate).ceil() as u64);
        Ok(ImportJob {
            id,
            upload: job.upload.id.clone(),
            options: job.options.clone(),
            state: job.state.clone(),
            progress: job.progress,
            rate,
            seconds_left,
            seconds: job
                .finished
                .unwrap_or_else(Instant::now)
                .duration_since(job.started)
                .as_secs(),
        })
    }

    /// Ask import `id` to stop: it rolls back at its next word of progress.
    pub fn stop(&self, viewer: &Actor, id: u64) -> AppResult<()> {
        let jobs = self.lock();
        Self::visible(&jobs, viewer, id)?
            .stop
            .store(true, Ordering::Relaxed);
        Ok(())
    }

    fn visible<'j>(jobs: &'j FxHashMap<u64, Job>, viewer: &Actor, id: u64) -> AppResult<&'j Job> {
        viewer.require(Role::Lead)?;
        jobs.get(&id)
            .filter(|j| j.owner == viewer.id || viewer.role == Role::Admin)
            .ok_or(AppError::NotFound)
    }
}
