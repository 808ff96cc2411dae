//! A cluster as its page and the API show it.

use crate::db::clusters::{self as db_clusters, ClusterRow};
use crate::db::{DbConn, users};
use crate::error::{AppError, AppResult};
use crate::service::grouping::GroupingCache;
use serde::Serialize;

/// The cluster that lives on after `id`'s merges (itself when it was never merged).
pub fn survivor(conn: &mut DbConn, id: i64) -> AppResult<Option<ClusterRow>> {
    Ok(db_clusters::survivor(conn, id)?)
}

/// A cluster as its page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterView {
    #[serde(flatten)]
    pub cluster: ClusterRow,
    pub category: String,
    pub owner: Option<String>,
    /// Incidents per ISO week, oldest first, over the weeks that have any.
    pub weekly: Vec<WeekCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WeekCount {
    pub week: String,
    pub incidents: i32,
}

pub fn view(conn: &mut DbConn, id: i64) -> AppResult<ClusterView> {
    use crate::db::schema::cluster_weeks;
    use diesel::prelude::*;
    let cluster = db_clusters::find(conn, id)?.ok_or(AppError::NotFound)?;
    let category = crate::db::catalog::categories(conn)?
        .into_iter()
        .find(|c| c.id == cluster.category_id)
        .map(|c| c.slug)
        .unwrap_or_default();
    let owner = match cluster.owner_id {
        Some(o) => users::find(conn, o)?.map(|u| u.login),
        None => None,
    };
    let weekly = cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(id))
        .filter(cluster_weeks::incidents.ne(0))
        .order(cluster_weeks::week_key.asc())
        .select((cluster_weeks::week_key, cluster_weeks::incidents))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .map(|(week, incidents)| WeekCount { week, incidents })
        .collect();
    Ok(ClusterView {
        cluster,
        category,
        owner,
        weekly,
    })
}

/// Incidents of a cluster in one week (for "this looks like: … (41 this week)").
pub fn count_in_week(conn: &mut DbConn, cluster_id: i64, week: &str) -> AppResult<i32> {
    use crate::db::schema::cluster_weeks;
    use diesel::prelude::*;
    Ok(cluster_weeks::table
        .filter(cluster_weeks::cluster_id.eq(cluster_id))
        .filter(cluster_weeks::week_key.eq(week))
        .select(cluster_weeks::incidents)
        .first::<i32>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Confirmed, undismissed, live clusters, largest first; of one category when its slug
/// is given (an unknown slug lists them all).
pub fn confirmed(
    conn: &mut DbConn,
    catalog: &crate::service::catalog::Catalog,
    category: &str,
) -> AppResult<Vec<ClusterRow>> {
    let id = catalog
        .categories
        .iter()
        .find(|c| c.slug == category)
        .map(|c| c.id);
    let mut clusters: Vec<_> = db_clusters::live(conn)?
        .into_iter()
        .filter(|c| c.confirmed && !c.dismissed && id.is_none_or(|id| c.category_id == id))
        .collect();
    clusters.sort_by_key(|c| std::cmp::Reverse((c.incident_count, c.id)));
    Ok(clusters)
}

/// Clusters a lead may want to merge this one into: the most similar live ones of its
/// category (by the matcher), then the newest others, `limit` of each at most. Never
/// every cluster: a category can hold thousands.
pub fn merge_candidates(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    cluster: &ClusterRow,
    limit: usize,
) -> AppResult<Vec<ClusterRow>> {
    let similar: Vec<i64> = grouping
        .with_index(|ix| {
            ix.suggestions(
                cluster.category_id,
                &cluster.title,
                &cluster.summary,
                limit,
                &[cluster.id],
            )
        })
        .into_iter()
        .map(|m| m.cluster_id)
        .collect();
    let mut found = db_clusters::find_many(conn, &similar)?;
    found.sort_by_key(|c| similar.iter().position(|&id| id == c.id));
    found.extend(db_clusters::newest_in_category(
        conn,
        cluster.category_id,
        limit as i64 + 1,
    )?);
    let mut seen = std::collections::HashSet::new();
    found.retain(|c| {
        c.id != cluster.id
            && c.category_id == cluster.category_id
            && c.merged_into.is_none()
            && !c.dismissed
            && seen.insert(c.id)
    });
    Ok(found)
}

/// Merge cluster `from` into `into`, and show the survivor.
pub fn merge_shown(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &crate::service::accounts::Actor,
    from: i64,
    into: i64,
) -> AppResult<ClusterView> {
    super::merge(conn, grouping, actor, from, into)?;
    view(conn, into)
}

/// Undo the consolidation's merge of cluster `id`, and show it again.
pub fn unmerge_shown(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &crate::service::accounts::Actor,
    id: i64,
) -> AppResult<ClusterView> {
    super::undo_merge(conn, grouping, actor, id)?;
    view(conn, id)
}

/// The clusters `ids` as stored, for a page that names them (a confirmation); a missing
/// one is left out.
pub fn rows(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<ClusterRow>> {
    Ok(db_clusters::find_many(conn, ids)?)
}
