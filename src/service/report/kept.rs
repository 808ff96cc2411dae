//! A week's report as it was built, kept while what it shows holds (`ReportLabel`): the
//! retrospective's page, the API and the command all read it through `of_week`.

use super::{WeeklyReport, as_of, weekly};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::service::review::{self, ReviewCache};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// The report of the week written `YYYY-Www` (the last complete week when none is
/// given), in the organisation's time zone `tz`.
pub fn of_week(
    conn: &mut DbConn,
    cache: &ReviewCache,
    raw_week: Option<&str>,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<WeeklyReport> {
    let week = review::week_in(raw_week, tz)?;
    let as_of = as_of(week, tz, now);
    let label = ReportLabel {
        versions: crate::db::versions::read(conn)?,
        last_event: crate::db::audit::last_id(conn)?,
        tz,
        day: as_of.with_timezone(&tz).date_naive(),
    };
    if let Some(hit) = cache.report(week, &label) {
        let mut report = (*hit).clone();
        report.as_of = as_of;
        return Ok(report);
    }
    let report = weekly(conn, cache, week, tz, now)?;
    cache.put_report(week, label, std::sync::Arc::new(report.clone()));
    Ok(report)
}

/// What a built report depends on, so that a cached one is shown only while it holds:
/// the change counters (figures, clusters, people, catalogue), the newest event (every
/// change to actions, meetings and goals writes one in its transaction), the zone, and
/// the day it is seen on (what is due or overdue).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLabel {
    versions: crate::db::versions::Versions,
    last_event: i64,
    tz: Tz,
    day: NaiveDate,
}
