//! The triage queue: clusters started by an incident that matched nothing, each with
//! the clusters it most resembles; those that resemble the same cluster are gathered,
//! so that a lead merges "these 7 look like C1" in one step.

use super::placement::Suggestion;
use crate::db::clusters::{self as db_clusters, ClusterRow};
use crate::db::{DbConn, incidents};
use crate::error::AppResult;
use crate::service::grouping::GroupingCache;

/// One queue item: a new cluster and the existing ones it most resembles.
#[derive(Debug, Clone)]
pub struct TriageItem {
    pub cluster: ClusterRow,
    pub first_incident: Option<incidents::IncidentRow>,
    pub suggestions: Vec<Suggestion>,
}

pub fn triage(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    limit: i64,
) -> AppResult<Vec<TriageItem>> {
    grouping.refresh(conn)?;
    let mut out = Vec::new();
    for cluster in db_clusters::unconfirmed(conn, limit)? {
        let sample = incidents::of_cluster(conn, cluster.id, 5)?;
        let title = sample
            .iter()
            .map(|i| i.title.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let body = sample
            .iter()
            .map(|i| i.body.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut matches =
            grouping.best_matches(cluster.category_id, &title, &body, 3, &[cluster.id]);
        // A cluster that shares next to nothing is no suggestion.
        matches.retain(|m| m.score >= SUGGESTION_FLOOR);
        let found = db_clusters::find_many(
            conn,
            &matches.iter().map(|m| m.cluster_id).collect::<Vec<_>>(),
        )?;
        let suggestions = matches
            .iter()
            .filter_map(|m| {
                found
                    .iter()
                    .find(|c| c.id == m.cluster_id && c.merged_into.is_none())
                    .map(|c| Suggestion {
                        cluster_id: c.id,
                        title: c.title.clone(),
                        score: (m.score * 1000.0).round() / 1000.0,
                    })
            })
            .collect();
        out.push(TriageItem {
            first_incident: sample.last().cloned(),
            cluster,
            suggestions,
        });
    }
    Ok(out)
}

/// Below this a cluster is not suggested at all (it would show as "0% alike").
const SUGGESTION_FLOOR: f64 = 0.02;

/// A suggestion this weak gathers nothing: the item stays on its own.
const GATHER_FLOOR: f64 = 0.1;

/// Queue items whose best suggestion is the same cluster.
#[derive(Debug, Clone)]
pub struct TriageGroup {
    pub into: Suggestion,
    pub items: Vec<TriageItem>,
}

/// The queue as a lead works it: the look-alike groups, then the items on their own.
#[derive(Debug, Clone, Default)]
pub struct Triage {
    pub groups: Vec<TriageGroup>,
    pub single: Vec<TriageItem>,
}

impl Triage {
    /// Gather the items whose best suggestion is the same cluster (two or more), the
    /// largest group first; the rest stay single, in the queue's order.
    pub fn gather(items: Vec<TriageItem>) -> Triage {
        let mut groups: Vec<TriageGroup> = Vec::new();
        let mut single = Vec::new();
        for item in items {
            let best = item.suggestions.first().filter(|s| s.score >= GATHER_FLOOR);
            let Some(best) = best.cloned() else {
                single.push(item);
                continue;
            };
            match groups
                .iter_mut()
                .find(|g| g.into.cluster_id == best.cluster_id)
            {
                Some(group) => group.items.push(item),
                None => groups.push(TriageGroup {
                    into: best,
                    items: vec![item],
                }),
            }
        }
        let (mut gathered, alone): (Vec<_>, Vec<_>) =
            groups.into_iter().partition(|g| g.items.len() > 1);
        gathered.sort_by_key(|g| std::cmp::Reverse(g.items.len()));
        let mut alone: Vec<TriageItem> = alone.into_iter().flat_map(|g| g.items).collect();
        alone.extend(single);
        alone.sort_by_key(|i| std::cmp::Reverse(i.cluster.last_incident_at));
        Triage {
            groups: gathered,
            single: alone,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.single.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ladder::Rung;
    use crate::domain::states::ClusterState;
    use chrono::NaiveDate;

    fn item(id: i64, day: u32, best: Option<(i64, f64)>) -> TriageItem {
        let at = NaiveDate::from_ymd_opt(2026, 11, day)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        TriageItem {
            cluster: ClusterRow {
                id,
                category_id: 1,
                title: format!("C{id}"),
                summary: String::new(),
                owner_id: None,
                state: ClusterState::default(),
                rung: Rung::ONE_OFF,
                confirmed: false,
                dismissed: false,
                merged_into: None,
                incident_count: 1,
                last_incident_at: Some(at),
                resolved_at: None,
                created_at: at,
                updated_at: at,
            },
            first_incident: None,
            suggestions: best
                .map(|(cluster_id, score)| Suggestion {
                    cluster_id,
                    title: format!("C{cluster_id}"),
                    score,
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn items_that_look_like_one_cluster_are_gathered_largest_group_first() {
        let queue = vec![
            item(10, 30, Some((1, 0.2))),
            item(11, 29, Some((2, 0.25))),
            item(12, 28, Some((1, 0.15))),
            item(13, 27, None),
            item(14, 26, Some((2, 0.2))),
            item(15, 25, Some((1, 0.3))),
            item(16, 24, Some((3, 0.2))),
            item(17, 23, Some((1, 0.05))),
        ];
        let triage = Triage::gather(queue);
        let groups: Vec<(i64, Vec<i64>)> = triage
            .groups
            .iter()
            .map(|g| {
                (
                    g.into.cluster_id,
                    g.items.iter().map(|i| i.cluster.id).collect(),
                )
            })
            .collect();
        assert_eq!(groups, vec![(1, vec![10, 12, 15]), (2, vec![11, 14])]);
        // Alone: a group of one, no suggestion, a suggestion too weak; newest first.
        let single: Vec<i64> = triage.single.iter().map(|i| i.cluster.id).collect();
        assert_eq!(single, vec![13, 16, 17]);
    }
}
