//! Everything a cluster's page shows, read in one trip to the database.

use super::views::{ClusterView, merge_candidates, view};
use crate::db::DbConn;
use crate::db::clusters::{self as db_clusters, ClusterRow, RuleRow};
use crate::db::incidents::{self, IncidentRow};
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::service::drivers::{Baseline, DriversView};
use crate::service::effects::{self, ActionsWithEffects, CoachView};
use crate::service::grouping::GroupingCache;
use crate::service::incidents::TimelineEntry;
use crate::service::review::{ReviewCache, week_in};
use chrono_tz::Tz;
use std::collections::HashMap;

/// Incidents listed per page of the cluster's page, newest first.
pub const INCIDENTS_PER_PAGE: i64 = 25;
/// Merge targets offered (the most similar, then the newest).
const MERGE_CHOICES: usize = 25;

pub struct ClusterPage {
    pub view: ClusterView,
    /// One page of the incidents, newest first.
    pub incidents: Vec<IncidentRow>,
    /// Which page of incidents that is (1-based), and how many there are.
    pub incident_page: i64,
    pub incident_pages: i64,
    pub timeline: Vec<TimelineEntry>,
    pub siblings: Vec<ClusterRow>,
    pub rules: Vec<RuleRow>,
    pub coach: CoachView,
    pub actions: ActionsWithEffects,
    /// The drivers of the week asked for (of the last complete week when that week
    /// cannot be read); none when the cluster has no incidents to compare.
    pub drivers: Option<DriversView>,
    /// Merges a consolidation made into this cluster, which a lead may undo.
    pub undoable: Vec<crate::service::clusters::UndoableMerge>,
    /// The names of the people the timeline names by id (owners).
    pub people: HashMap<i64, String>,
    /// The last `WEEKS_SHOWN` weeks with incidents, newest first, each beside its goal's
    /// weekly target (from the actions' goals).
    pub weeks: Vec<WeekTarget>,
}

/// Weeks in the cluster page's weekly table.
pub const WEEKS_SHOWN: usize = 12;

/// A week's count beside its goal's target, if a goal has one that week.
#[derive(Debug, Clone)]
pub struct WeekTarget {
    pub week: String,
    pub incidents: i32,
    pub target: Option<f64>,
}

impl WeekTarget {
    /// Its count is above its goal's target.
    pub fn behind(&self) -> bool {
        self.target.is_some_and(|t| f64::from(self.incidents) > t)
    }
}

/// A cluster's page, or the id of the cluster it was merged into.
#[allow(clippy::too_many_arguments)]
pub fn page(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    review: &ReviewCache,
    id: i64,
    week: Option<&str>,
    baseline: &str,
    incident_page: i64,
    tz: Tz,
) -> AppResult<Result<ClusterPage, i64>> {
    let view = view(conn, id)?;
    if let Some(into) = view.cluster.merged_into {
        return Ok(Err(into));
    }
    let week = match week_in(week, tz) {
        Ok(w) => w,
        Err(_) => week_in(None, tz)?,
    };
    let baseline = Baseline::parse(baseline).unwrap_or_default();
    let drivers = match crate::service::drivers::view(conn, id, week, baseline) {
        Ok(v) => Some(v),
        Err(AppError::NotFound) => None,
        Err(e) => return Err(e),
    };
    let (coach, actions) = effects::coach_and_actions(conn, id, tz, chrono::Utc::now(), review)?;
    let listed = incidents::count_of_cluster(conn, id)?;
    let incident_pages = ((listed + INCIDENTS_PER_PAGE - 1) / INCIDENTS_PER_PAGE).max(1);
    let incident_page = incident_page.clamp(1, incident_pages);
    let timeline = crate::service::incidents::timeline(conn, "cluster", id)?;
    let people = crate::service::incidents::people_named(conn, &timeline)?;
    let action_ids: Vec<i64> = actions.iter().map(|(a, _)| a.id).collect();
    let targets = crate::service::goals::cluster_targets(conn, &action_ids)?;
    let weeks = view
        .weekly
        .iter()
        .rev()
        .take(WEEKS_SHOWN)
        .map(|w| WeekTarget {
            week: w.week.clone(),
            incidents: w.incidents,
            target: w
                .week
                .parse::<WeekKey>()
                .ok()
                .and_then(|k| targets.get(&k).copied()),
        })
        .collect();
    Ok(Ok(ClusterPage {
        weeks,
        people,
        incidents: incidents::of_cluster_from(
            conn,
            id,
            INCIDENTS_PER_PAGE,
            (incident_page - 1) * INCIDENTS_PER_PAGE,
        )?,
        incident_page,
        incident_pages,
        timeline,
        siblings: merge_candidates(conn, grouping, &view.cluster, MERGE_CHOICES)?,
        rules: db_clusters::rules(conn)?
            .into_iter()
            .filter(|r| r.cluster_id == id)
            .collect(),
        undoable: super::undoable_merges(conn, id)?,
        view,
        coach,
        actions,
        drivers,
    }))
}
