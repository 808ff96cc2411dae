//! The event log: every change a person or rungs made, in the order it committed
//! (`db::audit`). Read after the last id seen, it misses nothing and sees nothing that
//! did not commit: for integrations that poll the API today, and for the scheduler and
//! webhooks to come.

use super::accounts::Actor;
use crate::db::{DbConn, audit};
use crate::domain::role::Role;
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Most events one read returns.
pub const MAX_PAGE: i64 = 500;

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who did it; none when rungs itself did.
    pub actor: Option<String>,
    /// What it happened to: `incident`, `cluster`, `action`, `user`, `token`, …
    pub entity: String,
    pub entity_id: i64,
    /// What happened: `filed`, `merged`, `state_changed`, `stage`, …
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl From<audit::EventRow> for Event {
    fn from(row: audit::EventRow) -> Self {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        Event {
            id: row.id,
            at: row.at.and_utc(),
            actor: row.actor_login,
            entity: row.entity,
            entity_id: row.entity_id,
            action: row.action,
            before: json(row.before_json),
            after: json(row.after_json),
        }
    }
}

/// The events after id `after`, oldest first, at most `limit` (capped at `MAX_PAGE`).
/// The log names people and shows every change, so it is for admins.
pub fn since(conn: &mut DbConn, actor: &Actor, after: i64, limit: i64) -> AppResult<Vec<Event>> {
    actor.require(Role::Admin)?;
    let limit = limit.clamp(1, MAX_PAGE);
    Ok(audit::after(conn, after.max(0), limit)?
        .into_iter()
        .map(Event::from)
        .collect())
}
