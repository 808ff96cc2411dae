//! Spikes: at the close of each week, the clusters the review flags (`spike` events);
//! during the week, an early warning for a cluster already far above its baseline.

use super::Progress;
use crate::db::audit;
use crate::db::jobs::JobRow;
use crate::db::{DbConn, clusters as db_clusters};
use crate::domain::comparison::Comparison;
use crate::domain::week::{WeekKey, current_week};
use crate::error::AppResult;
use crate::service::review::{self, ReviewCache};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

/// Weeks a closed-week run catches up at most (after an instance was down long).
const CATCH_UP_WEEKS: u32 = 4;

/// Early warning: this week so far is already a spike and at least this many times the
/// baseline's weekly mean.
const FAR_ABOVE: f64 = 3.0;

fn record(
    conn: &mut DbConn,
    cluster_id: i64,
    what: &str,
    week: WeekKey,
    cmp: &Comparison,
) -> AppResult<()> {
    let Some(cluster) = db_clusters::find(conn, cluster_id)? else {
        return Ok(());
    };
    crate::service::clusters::record_event(
        conn,
        cluster_id,
        what,
        serde_json::json!({
            "week": week.to_string(),
            "title": cluster.title,
            "this_week": cmp.this_week,
            "last_week": cmp.last_week,
            "baseline_mean": cmp.baseline_mean,
            "q_value": cmp.q_value,
        }),
    )
}

/// Every week closed since the last run (the last closed one on the first run): a
/// `spike` event per flagged cluster.
pub fn closed_weeks(
    conn: &mut DbConn,
    row: &JobRow,
    now: DateTime<Utc>,
    tz: Tz,
) -> AppResult<Progress> {
    let closed = current_week(now, tz).previous();
    let mut week = match row
        .last_period
        .as_deref()
        .and_then(|p| p.parse::<WeekKey>().ok())
    {
        Some(last) if last >= closed => {
            return Ok(Progress {
                period: row.last_period.clone(),
                ..Default::default()
            });
        }
        Some(last) => last.next().max(closed.minus(CATCH_UP_WEEKS - 1)),
        None => closed,
    };
    let cache = ReviewCache::default();
    let mut changes = 0;
    loop {
        let figures = review::figures(conn, &cache, week)?;
        for line in figures.clusters.iter().filter(|c| c.cmp.spike) {
            record(conn, line.id, "spike", week, &line.cmp)?;
            changes += 1;
        }
        if week >= closed {
            break;
        }
        week = week.next();
    }
    Ok(Progress {
        period: Some(closed.to_string()),
        changes,
        ..Default::default()
    })
}

/// This week so far: an `early_warning` event for each cluster already far above its
/// baseline, once per cluster and week.
pub fn early_warning(
    conn: &mut DbConn,
    _row: &JobRow,
    now: DateTime<Utc>,
    tz: Tz,
) -> AppResult<Progress> {
    let week = current_week(now, tz);
    let figures = review::figures(conn, &ReviewCache::default(), week)?;
    let far: Vec<_> = figures
        .clusters
        .iter()
        .filter(|c| {
            c.cmp.spike && c.cmp.this_week as f64 >= FAR_ABOVE * c.cmp.baseline_mean.max(1.0)
        })
        .collect();
    let ids: Vec<i64> = far.iter().map(|c| c.id).collect();
    let label = week.to_string();
    let warned: BTreeSet<i64> = audit::actions_of(conn, "cluster", &ids, &["early_warning"])?
        .into_iter()
        .filter(|(_, _, after)| {
            after
                .as_deref()
                .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
                .is_some_and(|a| a["week"] == label.as_str())
        })
        .map(|(id, _, _)| id)
        .collect();
    let mut changes = 0;
    for line in far.into_iter().filter(|c| !warned.contains(&c.id)) {
        record(conn, line.id, "early_warning", week, &line.cmp)?;
        changes += 1;
    }
    Ok(Progress {
        period: Some(label),
        changes,
        ..Default::default()
    })
}
