//! What the retrospective's page shows: the week's report (with its meeting), the
//! meeting's trail, and the people who can be marked as attending.

use crate::db::DbConn;
use crate::error::AppResult;
use crate::service::incidents::{self, TimelineEntry};
use crate::service::report::{self, WeeklyReport};
use crate::service::review::ReviewCache;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub struct RetroPage {
    pub report: WeeklyReport,
    /// The meeting's changes, oldest first.
    pub trail: Vec<TimelineEntry>,
    /// Active people: (id, login, name), by login.
    pub people: Vec<(i64, String, String)>,
}

/// The page of the week written `raw_week` (the last complete week when none).
pub fn page(
    conn: &mut DbConn,
    cache: &ReviewCache,
    raw_week: &str,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<RetroPage> {
    let report = report::of_week(conn, cache, Some(raw_week), tz, now)?;
    let trail = match report.meeting.id {
        Some(id) => incidents::timeline(conn, "meeting", id)?,
        None => Vec::new(),
    };
    let people = crate::db::users::list(conn)?
        .into_iter()
        .filter(|u| u.active)
        .map(|u| (u.id, u.login, u.display_name))
        .collect();
    Ok(RetroPage {
        report,
        trail,
        people,
    })
}
