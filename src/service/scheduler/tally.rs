//! The event log tallied for the metrics: incidents filed and events read, counted once
//! across every instance (the job's cursor is in the database).

use super::Progress;
use crate::db::jobs::JobRow;
use crate::db::{DbConn, audit};
use crate::error::AppResult;
use crate::telemetry::metrics::{EVENTS_CONSUMED, INCIDENTS_FILED};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Events read per run at most; the rest wait for the next run.
const BATCH: i64 = 10_000;

pub fn events(
    conn: &mut DbConn,
    row: &JobRow,
    _now: DateTime<Utc>,
    _tz: Tz,
) -> AppResult<Progress> {
    let events = audit::after(conn, row.event_cursor, BATCH)?;
    let filed = events
        .iter()
        .filter(|e| e.entity == "incident" && e.action == "filed")
        .count();
    INCIDENTS_FILED.inc_by(filed as u64);
    EVENTS_CONSUMED
        .with_label_values(&["tally"])
        .inc_by(events.len() as u64);
    Ok(Progress {
        event_cursor: events.last().map_or(row.event_cursor, |e| e.id),
        changes: events.len(),
        period: None,
    })
}
