//! A cluster's way up the ladder: its incidents in every week from the first (or the
//! first launch) to now, with no gaps, and its actions with their effects.

use crate::db::DbConn;
use crate::db::actions::ActionRow;
use crate::db::clusters::ClusterRow;
use crate::domain::week::{WeekKey, current_week};
use crate::error::{AppError, AppResult};
use crate::service::effects::{self, EffectView};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// At most three years of weeks on one chart.
const MAX_WEEKS: usize = 156;

pub struct ClusterHistory {
    pub cluster: ClusterRow,
    /// Each week and its incidents, oldest first.
    pub weeks: Vec<(WeekKey, i32)>,
    pub actions: Vec<(ActionRow, Option<EffectView>)>,
    /// The weekly targets of the actions' goals.
    pub targets: std::collections::HashMap<WeekKey, f64>,
}

/// Cluster `id`'s history as on `now`; not found once it was merged away.
pub fn history(
    conn: &mut DbConn,
    id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<ClusterHistory> {
    let view = crate::service::clusters::view(conn, id)?;
    if view.cluster.merged_into.is_some() {
        return Err(AppError::NotFound);
    }
    let actions = effects::actions_with_effects(conn, id, tz, now)?;
    let first = view
        .weekly
        .first()
        .and_then(|w| w.week.parse().ok())
        .into_iter()
        .chain(
            actions
                .iter()
                .filter_map(|(a, _)| a.launched_on.map(WeekKey::of)),
        )
        .min();
    let last = current_week(now, tz);
    let mut weeks = Vec::new();
    if let Some(mut w) = first {
        while w <= last && weeks.len() < MAX_WEEKS {
            let n = view
                .weekly
                .iter()
                .find(|c| c.week == w.to_string())
                .map(|c| c.incidents)
                .unwrap_or(0);
            weeks.push((w, n));
            w = w.next();
        }
    }
    let ids: Vec<i64> = actions.iter().map(|(a, _)| a.id).collect();
    let targets = crate::service::goals::cluster_targets(conn, &ids)?;
    Ok(ClusterHistory {
        cluster: view.cluster,
        weeks,
        actions,
        targets,
    })
}
