//! What every handler shares: the pool and this process's caches and workers. Nothing
//! here is the only copy of anything: several rungs processes may serve one database.

use crate::db::Pool;
use crate::db::version_feed::VersionFeed;
use crate::error::AppResult;
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use crate::service::intake::Intake;
use crate::service::sign_in_guard::SignInGuard;
use crate::service::{self};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// What every handler shares. Nothing here is the only copy of anything: several
/// rungs processes may serve one PostgreSQL database.
pub struct AppState {
    pub pool: Pool,
    /// The matcher's index: a cache of the database, refreshed from it.
    pub grouping: Arc<GroupingCache>,
    /// This process's filing writer (group commit).
    pub intake: Intake,
    /// The weekly review's figures: a cache validated against the rollups' version.
    pub review: Arc<service::review::ReviewCache>,
    /// People and the catalogue, validated against their change counters.
    pub directory: Arc<Directory>,
    /// The change counters, kept in memory while PostgreSQL announces their changes.
    pub feed: Arc<VersionFeed>,
    /// Limits on sign-in attempts, failed API tokens and password hashing.
    pub guard: SignInGuard,
    /// Imports running in this process, and how far each has come (for its page).
    pub imports: Arc<service::import::Running>,
    users_exist: AtomicBool,
}

impl AppState {
    pub fn new(
        pool: Pool,
        grouping: Arc<GroupingCache>,
        directory: Arc<Directory>,
        intake: Intake,
        feed: Arc<VersionFeed>,
    ) -> Self {
        Self {
            pool,
            grouping,
            intake,
            review: Arc::default(),
            directory,
            feed,
            guard: SignInGuard::default(),
            imports: Arc::default(),
            users_exist: AtomicBool::new(false),
        }
    }

    /// Whether anybody has been created yet (cached once true: users are never deleted).
    pub async fn has_users(&self) -> AppResult<bool> {
        if self.users_exist.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let exists = service::run(&self.pool, service::accounts::has_users).await?;
        if exists {
            self.mark_has_users();
        }
        Ok(exists)
    }

    pub fn mark_has_users(&self) {
        self.users_exist.store(true, Ordering::Relaxed);
    }
}
