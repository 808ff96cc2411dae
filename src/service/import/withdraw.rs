//! Past imports, and withdrawing one as a whole: each of its incidents marked withdrawn
//! by the incidents' own status change (rollups and cluster counts corrected, each on
//! the trail), and the import marked, in one transaction.

use crate::db::audit::{self, NewAuditEvent};
use crate::db::{self, DbConn, imports};
use crate::domain::role::Role;
use crate::domain::states::IncidentStatus;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::incidents;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// An import as the list of past imports shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportView {
    pub id: i64,
    pub by: String,
    pub file_name: String,
    pub encoding: String,
    pub delimiter: String,
    pub rows: i64,
    pub at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// Every import, newest first: leads and admins.
pub fn list(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<ImportView>> {
    actor.require(Role::Lead)?;
    Ok(imports::list(conn)?
        .into_iter()
        .map(|(row, by)| ImportView {
            id: row.id,
            by,
            file_name: row.file_name,
            encoding: row.encoding,
            delimiter: row.delimiter,
            rows: row.rows,
            at: row.created_at.and_utc(),
            withdrawn_at: row.withdrawn_at.map(|t| t.and_utc()),
        })
        .collect())
}

/// Withdraw import `id` as a whole (a lead or an admin); returns how many incidents were
/// withdrawn. Withdrawing it again changes nothing.
pub fn withdraw(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<usize> {
    actor.require(Role::Lead)?;
    db::write_transaction(conn, |conn| {
        let import = imports::find(conn, id)?.ok_or(AppError::NotFound)?;
        if import.withdrawn_at.is_some() {
            return Ok(0);
        }
        let ids = imports::live_incidents(conn, id)?;
        for &incident in &ids {
            incidents::set_status_in(conn, actor, incident, IncidentStatus::Withdrawn, None)?;
        }
        let now = db::now();
        imports::mark_withdrawn(conn, id, actor.id, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "import",
                entity_id: id,
                action: "withdrawn",
                before_json: None,
                after_json: crate::service::snapshot(&serde_json::json!({
                    "file_name": import.file_name,
                    "incidents": ids.len(),
                })),
                at: now,
            },
        )?;
        Ok(ids.len())
    })
}
