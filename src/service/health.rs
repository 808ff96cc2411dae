//! `/healthz`: whether rungs can do its work now, and if not, why.

use crate::db::fault::Fault;
use crate::db::{DbConn, Pool};
use crate::error::AppError;

/// What the probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Ok,
    Faulty(Fault),
}

/// Try a write and take it back: the write lock is taken (SQLite: another process's
/// lock, a read-only file) and a row is changed (PostgreSQL: a read-only session or
/// server), then everything is rolled back, so nothing changes. A full disk shows only
/// when pages are written, which a rolled-back probe never does: `last_write` is the
/// fault the filing writer met last, if it has not written since.
pub async fn check(pool: &Pool, last_write: Option<Fault>) -> Health {
    let probed = super::run(pool, |conn| match probe(conn) {
        Err(Probe::Failed(e)) => Err(e),
        _ => Ok(()),
    })
    .await;
    match probed {
        Err(AppError::Unavailable(fault)) => Health::Faulty(fault),
        Err(e) => {
            tracing::error!(error = %e, "the health probe failed");
            Health::Faulty(Fault::Unreachable)
        }
        Ok(()) => match last_write {
            Some(fault @ (Fault::DiskFull | Fault::Storage)) => Health::Faulty(fault),
            _ => Health::Ok,
        },
    }
}

enum Probe {
    RolledBack,
    Failed(AppError),
}

impl From<diesel::result::Error> for Probe {
    fn from(e: diesel::result::Error) -> Self {
        Probe::Failed(e.into())
    }
}

fn probe(conn: &mut DbConn) -> Result<(), Probe> {
    use diesel::connection::SimpleConnection;
    crate::db::write_transaction(conn, |conn| {
        conn.batch_execute(&format!(
            "UPDATE settings SET value = value WHERE key = '{}'",
            crate::db::settings::SESSION_KEY
        ))?;
        Err::<(), _>(Probe::RolledBack)
    })
}
