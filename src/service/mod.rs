//! The use cases, one path for each thing a user can do, used alike by the web
//! pages, the API, the command line and the demo. Each owns its transaction.

pub mod accounts;
pub mod catalog;
pub mod clusters;
pub mod demo;
pub mod directory;
pub mod drivers;
pub mod effects;
pub mod events;
pub mod export;
pub mod goals;
pub mod grouping;
pub mod health;
pub mod import;
pub mod incidents;
pub mod intake;
pub mod ladder;
pub mod meetings;
pub mod organisation;
pub mod report;
pub mod retro;
pub mod review;
pub mod review_cache;
pub mod scheduler;
pub mod sign_in;
pub mod sign_in_guard;
pub mod tokens;
pub mod webhooks;

use crate::db::{DbConn, Pool};
use crate::error::{AppError, AppResult};

/// Run blocking database work on the blocking pool, never on the async executor.
pub async fn run<T, F>(pool: &Pool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || on_connection(&pool, f))
        .await
        .map_err(AppError::internal)?
}

/// `f` on a pooled connection, on this (blocking) thread: its changes announced after,
/// and a connection that may carry a fault replaced.
pub fn on_connection<T>(pool: &Pool, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    let mut conn = pool.get()?;
    let result = f(&mut conn);
    conn.publish_changes();
    // Connections that may carry the fault are replaced, so the next request sees
    // the database as it is then (writable again, reconnected).
    if let Err(AppError::Unavailable(fault)) = &result {
        crate::db::fault::note(*fault);
        if fault.stales_connections() {
            conn.retire_all();
        }
    }
    result
}

/// A JSON snapshot for the audit trail.
pub(crate) fn snapshot<T: serde::Serialize>(value: &T) -> Option<String> {
    serde_json::to_string(value).ok()
}
