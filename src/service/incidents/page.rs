//! An incident's page: the incident, its trail, and the cluster it is in now (followed
//! through merges) with that cluster's count in the incident's week.

use super::{IncidentView, TimelineEntry, timeline, view};
use crate::db::DbConn;
use crate::db::clusters::ClusterRow;
use crate::error::AppResult;
use crate::service::catalog::Catalog;
use crate::service::clusters;

pub struct IncidentShown {
    pub incident: IncidentView,
    pub timeline: Vec<TimelineEntry>,
    pub cluster: Option<ClusterRow>,
    /// Incidents of that cluster in the incident's week.
    pub this_week: i32,
}

pub fn shown(conn: &mut DbConn, id: i64, catalog: &Catalog) -> AppResult<IncidentShown> {
    let incident = view(conn, id, catalog)?;
    let cluster = match incident.cluster_id {
        Some(c) => clusters::survivor(conn, c)?,
        None => None,
    };
    let this_week = match &cluster {
        Some(c) => clusters::count_in_week(conn, c.id, &incident.week)?,
        None => 0,
    };
    Ok(IncidentShown {
        timeline: timeline(conn, "incident", id)?,
        incident,
        cluster,
        this_week,
    })
}
