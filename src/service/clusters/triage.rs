//! The triage queue: clusters started by an incident that matched nothing, each with
//! the clusters it most resembles; those that resemble the same cluster are gathered,
//! so that a lead merges "these 7 look like C1" in one step.

use super::placement::Suggestion;
use super::{newest_texts, texts_of};
use crate::db::clusters::{self as db_clusters, ClusterRow};
use crate::db::{DbConn, incidents};
use crate::domain::grouping::IncidentTerms;
use crate::error::AppResult;
use crate::service::grouping::GroupingCache;
use std::cmp::Reverse;
use std::collections::HashMap;

/// One queue item: a new cluster and the existing ones it most resembles.
#[derive(Debug, Clone)]
pub struct TriageItem {
    pub cluster: ClusterRow,
    pub first_incident: Option<incidents::IncidentRow>,
    pub suggestions: Vec<Suggestion>,
    /// Per suggested cluster, the words the two share ("礼品 ≈ gift").
    pub shared: Vec<(i64, Vec<String>)>,
}

impl TriageItem {
    /// The words this item shares with suggested cluster `cluster_id`.
    pub fn shared_with(&self, cluster_id: i64) -> &[String] {
        self.shared
            .iter()
            .find(|(id, _)| *id == cluster_id)
            .map_or(&[], |(_, words)| words.as_slice())
    }
}

/// Incidents of each side read for the shared words, and the words shown.
const SHARED_TEXTS: i64 = 5;
const SHARED_WORDS: usize = 4;

pub fn triage(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    limit: i64,
) -> AppResult<Vec<TriageItem>> {
    grouping.refresh(conn)?;
    let mut out = Vec::new();
    // Each suggested cluster's texts, read once however many items it is offered to.
    let mut texts: HashMap<i64, Vec<IncidentTerms>> = HashMap::new();
    for cluster in db_clusters::unconfirmed(conn, limit)? {
        let sample = incidents::of_cluster(conn, cluster.id, SHARED_TEXTS)?;
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
        let mut matches = grouping
            .with_index(|ix| ix.suggestions(cluster.category_id, &title, &body, 3, &[cluster.id]));
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
            .collect::<Vec<Suggestion>>();
        let own = if suggestions.is_empty() {
            Vec::new()
        } else {
            texts_of(&sample)
        };
        let mut shared = Vec::with_capacity(suggestions.len());
        for s in &suggestions {
            if let std::collections::hash_map::Entry::Vacant(e) = texts.entry(s.cluster_id) {
                e.insert(newest_texts(conn, s.cluster_id, SHARED_TEXTS)?);
            }
            let words = grouping.with_index(|ix| {
                ix.likeness(
                    cluster.id,
                    s.cluster_id,
                    &own,
                    &texts[&s.cluster_id],
                    SHARED_WORDS,
                )
            });
            shared.push((s.cluster_id, words));
        }
        out.push(TriageItem {
            first_incident: sample.last().cloned(),
            cluster,
            suggestions,
            shared,
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
    /// Gather look-alikes: each item is linked to its best suggestion (when it is not
    /// too weak), and the items linked together, directly or through one another, form
    /// a group when there are two or more of them. A group merges into the established
    /// cluster among them (one outside the queue), else into the one most of them look
    /// like. The largest group comes first; the rest stay single, newest first.
    pub fn gather(items: Vec<TriageItem>) -> Triage {
        let best: Vec<Option<Suggestion>> = items
            .iter()
            .map(|i| {
                i.suggestions
                    .first()
                    .filter(|s| s.score >= GATHER_FLOOR)
                    .cloned()
            })
            .collect();
        let mut links = Links::default();
        for (item, best) in items.iter().zip(&best) {
            links.add(item.cluster.id);
            if let Some(b) = best {
                links.join(item.cluster.id, b.cluster_id);
            }
        }
        // Each queue item's incidents and title.
        let queued: HashMap<i64, (i32, String)> = items
            .iter()
            .map(|i| {
                (
                    i.cluster.id,
                    (i.cluster.incident_count, i.cluster.title.clone()),
                )
            })
            .collect();
        let mut pointed: HashMap<i64, (usize, String)> = HashMap::new();
        for b in best.iter().flatten() {
            pointed
                .entry(b.cluster_id)
                .or_insert((0, b.title.clone()))
                .0 += 1;
        }
        // Each group's target: outside the queue first, then the most looked-like, then
        // the largest, then the oldest.
        let mut targets: HashMap<i64, i64> = HashMap::new();
        for &node in links.parent.clone().keys() {
            let root = links.root(node);
            let rank = |id: i64| {
                let in_queue = queued.get(&id);
                (
                    in_queue.is_some(),
                    Reverse(pointed.get(&id).map_or(0, |p| p.0)),
                    Reverse(in_queue.map_or(0, |i| i.0)),
                    id,
                )
            };
            let target = targets.entry(root).or_insert(node);
            if rank(node) < rank(*target) {
                *target = node;
            }
        }
        let mut groups: Vec<TriageGroup> = Vec::new();
        let mut single = Vec::new();
        let mut members: HashMap<i64, Vec<TriageItem>> = HashMap::new();
        for item in items {
            let target = targets[&links.root(item.cluster.id)];
            if target == item.cluster.id {
                single.push(item);
            } else {
                members.entry(target).or_default().push(item);
            }
        }
        for (target, items) in members {
            if items.len() < 2 {
                single.extend(items);
                continue;
            }
            let title = match queued.get(&target) {
                Some(i) => i.1.clone(),
                None => pointed
                    .get(&target)
                    .map(|p| p.1.clone())
                    .unwrap_or_default(),
            };
            groups.push(TriageGroup {
                into: Suggestion {
                    cluster_id: target,
                    title,
                    score: 1.0,
                },
                items,
            });
        }
        // A queue item that is its group's target is merged into, not listed alone.
        let targets_in_groups: Vec<i64> = groups.iter().map(|g| g.into.cluster_id).collect();
        single.retain(|i| !targets_in_groups.contains(&i.cluster.id));
        groups.sort_by_key(|g| (Reverse(g.items.len()), g.into.cluster_id));
        for group in &mut groups {
            group
                .items
                .sort_by_key(|i| Reverse(i.cluster.last_incident_at));
        }
        single.sort_by_key(|i| Reverse(i.cluster.last_incident_at));
        Triage { groups, single }
    }

    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.single.is_empty()
    }
}

/// Clusters linked into groups (a union-find over cluster ids).
#[derive(Default)]
struct Links {
    parent: HashMap<i64, i64>,
}

impl Links {
    fn add(&mut self, id: i64) {
        self.parent.entry(id).or_insert(id);
    }

    fn root(&mut self, id: i64) -> i64 {
        let mut root = id;
        while self.parent[&root] != root {
            root = self.parent[&root];
        }
        let mut at = id;
        while at != root {
            at = self.parent.insert(at, root).unwrap_or(root);
        }
        root
    }

    fn join(&mut self, a: i64, b: i64) {
        self.add(a);
        self.add(b);
        let (ra, rb) = (self.root(a), self.root(b));
        if ra != rb {
            self.parent.insert(ra.max(rb), ra.min(rb));
        }
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
            shared: Vec::new(),
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

    #[test]
    fn items_that_look_like_one_another_merge_into_the_one_most_like() {
        // 10 and 11 each look most like the other, 12 like 10: one group, into 10.
        let queue = vec![
            item(10, 30, Some((11, 0.5))),
            item(11, 29, Some((10, 0.5))),
            item(12, 28, Some((10, 0.4))),
        ];
        let triage = Triage::gather(queue);
        assert_eq!(triage.groups.len(), 1);
        assert_eq!(triage.groups[0].into.cluster_id, 10);
        assert_eq!(triage.groups[0].into.title, "C10");
        let ids: Vec<i64> = triage.groups[0]
            .items
            .iter()
            .map(|i| i.cluster.id)
            .collect();
        assert_eq!(ids, vec![11, 12]);
        assert!(triage.single.is_empty(), "the target is not listed alone");
        // With an established cluster among them, into that one.
        let queue = vec![
            item(10, 30, Some((11, 0.5))),
            item(11, 29, Some((10, 0.5))),
            item(12, 28, Some((1, 0.2))),
            item(13, 27, Some((12, 0.3))),
        ];
        let triage = Triage::gather(queue);
        let groups: Vec<(i64, usize)> = triage
            .groups
            .iter()
            .map(|g| (g.into.cluster_id, g.items.len()))
            .collect();
        assert_eq!(groups, vec![(1, 2)]);
        // 10 and 11 are a pair: one merges into the other, which is no group of two.
        let single: Vec<i64> = triage.single.iter().map(|i| i.cluster.id).collect();
        assert_eq!(single, vec![10, 11]);
    }
}
