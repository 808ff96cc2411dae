//! Consolidation: clusters about the same problem come together as evidence
//! accumulates. At filing time an incident joins a cluster only when its own
//! short text is clearly alike, so a recurring problem starts several small
//! clusters ("催审批", "approval pending 3 days", "chasing PR again"); once each
//! has a few incidents their profiles say much more than any one text did.
//! A pass compares each movable cluster's profile (an unconfirmed cluster)
//! with every cluster of its category and merges the pairs that are alike:
//! agglomerative clustering with centroid linkage (a profile is the sum of its
//! incidents' vectors), in rounds, each round merging disjoint pairs best
//! first, until no pair reaches the threshold. A cluster of one or two
//! incidents whose best partner stands clearly above every other cluster of
//! the category needs less than the threshold (`CLEAR_LEAD`). A profile
//! written in one language also stands for the other language's words that
//! mixed incidents paired with its own (`crossing`), so a Chinese cluster and
//! an English one about the same problem can meet.

use super::matcher::{ClusterIndex, size_factor};
use super::profile::Query;
use super::query::Rarity;
use rustc_hash::{FxHashMap, FxHashSet};

/// Merge threshold on `PlannedMerge::score`, chosen on the tuning halves of
/// both labelled sets (`cargo run --release --example grouping_eval`).
pub const DEFAULT_MERGE_THRESHOLD: f64 = 0.225;

const RARITY: Rarity = Rarity::Category;

/// A cluster of this many incidents or fewer is not a profile yet but one or
/// two texts: it is filed again, matched as its incidents were at filing
/// (the whole index's IDF, every term), against clusters that have grown
/// since; this caught more of the stragglers, at the same wrong merges, than
/// comparing profiles.
const REFILE_MAX_INCIDENTS: u32 = 2;
/// Puts a re-filing's matcher score on the scale of profile similarity, so
/// that at the default thresholds a small cluster joins another when its
/// text now reaches the join threshold against it (0.65 to 0.9 tried on the
/// tuning halves: higher merged more, and more wrongly).
const REFILE_SCALE: f64 = DEFAULT_MERGE_THRESHOLD / super::DEFAULT_JOIN_THRESHOLD;

/// A small cluster's best partner is clear when the second-best scores at
/// most this share of it: one or two texts that resemble one cluster and
/// nothing else of the category most likely belong there, even when they
/// share few words with it. Such a partner needs only `CLEAR_FACTOR` of the
/// threshold. Chosen on the tuning halves of both labelled sets (shares 0.25
/// to 0.45, factors 0.2 to 0.8, sizes 1 to 4 tried): a share of 0.4 or
/// clusters of three let wrong merges past 3% on one set or the other; the
/// same rule for every cluster, at any share, merged 5-13% wrongly.
const CLEAR_LEAD: f64 = 0.35;
const CLEAR_FACTOR: f64 = 0.4;

/// Rounds of one pass: each round at least halves what can still merge in
/// practice; the bound keeps a pass's time predictable.
const MAX_ROUNDS: usize = 12;

/// Profile terms sent as the query: the heaviest carry nearly all the cosine.
const QUERY_TERMS: usize = 48;

/// One merge the pass decided, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct PlannedMerge {
    pub from: i64,
    pub into: i64,
    /// Profile cosine, discounted for small clusters on both sides.
    pub score: f64,
}

/// What a pass may do: which clusters may be merged away (`movable`: the
/// unconfirmed ones; any cluster may absorb them), and which pairs a lead has
/// kept apart (a split or an undone merge), as (smaller id, larger id).
#[derive(Default)]
pub struct Scope {
    pub movable: FxHashSet<i64>,
    pub kept_apart: FxHashSet<(i64, i64)>,
}

impl Scope {
    fn apart(&self, a: i64, b: i64) -> bool {
        self.kept_apart.contains(&(a.min(b), a.max(b)))
    }
}

impl ClusterIndex {
    /// The category a cluster is in.
    pub fn category_of(&self, cluster_id: i64) -> Option<i64> {
        self.by_id
            .get(&cluster_id)
            .map(|&s| self.clusters[s as usize].category)
    }

    /// The clusters of the same category most like `cluster_id`'s profile,
    /// best first, without itself and `exclude`. Scores are the cosine of the
    /// profiles' whole terms times both clusters' size factors, or for a
    /// small cluster its re-filing score (`REFILE_MAX_INCIDENTS`).
    pub fn similar_clusters(&self, cluster_id: i64, k: usize, exclude: &[i64]) -> Vec<(i64, f64)> {
        let Some(&slot) = self.by_id.get(&cluster_id) else {
            return Vec::new();
        };
        let c = &self.clusters[slot as usize];
        if c.incidents == 0 || c.terms.is_empty() {
            return Vec::new();
        }
        let refile = c.incidents <= REFILE_MAX_INCIDENTS;
        let mut terms: Vec<(u32, f32)> = c
            .terms
            .iter()
            .filter(|&(&t, _)| refile || self.explain[t as usize])
            .map(|(&t, e)| (t, e.weight))
            .collect();
        if terms.len() > QUERY_TERMS {
            terms.select_nth_unstable_by(QUERY_TERMS, |a, b| b.1.total_cmp(&a.1));
            terms.truncate(QUERY_TERMS);
        }
        // A cluster written in one language also stands for the other's words
        // that mixed incidents paired with its own.
        self.crossing.expand(&mut terms, super::crossing::gain());
        let norm = terms
            .iter()
            .map(|e| e.1 * e.1)
            .sum::<f32>()
            .sqrt()
            .max(f32::MIN_POSITIVE);
        terms.iter_mut().for_each(|e| e.1 /= norm);
        terms.sort_unstable_by_key(|e| e.0);
        let query = Query::from_terms(terms);
        let mut skip = exclude.to_vec();
        skip.push(cluster_id);
        if refile {
            return self
                .rank(c.category, &query, k, &skip, Rarity::Index, true)
                .into_iter()
                .map(|m| (m.cluster_id, m.score * REFILE_SCALE))
                .collect();
        }
        let own = size_factor(c.incidents).sqrt();
        self.rank(c.category, &query, k, &skip, RARITY, false)
            .into_iter()
            .map(|m| (m.cluster_id, m.score * own))
            .collect()
    }
}

/// One round: each movable cluster's best partner at or above `threshold`,
/// best pairs first, no cluster in two merges.
pub fn merge_round(index: &ClusterIndex, scope: &Scope, threshold: f64) -> Vec<PlannedMerge> {
    let mut movable: Vec<i64> = scope.movable.iter().copied().collect();
    movable.sort_unstable();
    disjoint_best_first(
        movable
            .into_iter()
            .filter_map(|id| best_partner(index, scope, id, threshold))
            .collect(),
    )
}

/// The merge of a movable cluster with its most similar cluster, if that one
/// reaches `threshold` and a lead has not kept the two apart. The survivor is
/// the partner that may not move, else the larger (ties: the older, lower id).
pub fn best_partner(
    index: &ClusterIndex,
    scope: &Scope,
    id: i64,
    threshold: f64,
) -> Option<PlannedMerge> {
    if !index.contains(id) {
        return None;
    }
    let apart: Vec<i64> = scope
        .kept_apart
        .iter()
        .filter_map(|&(a, b)| (a == id).then_some(b).or((b == id).then_some(a)))
        .collect();
    let near = index.similar_clusters(id, 2, &apart);
    let &(other, score) = near.first()?;
    let second = near.get(1).map_or(0.0, |e| e.1);
    if score < partner_threshold(index.incident_count(id), threshold, score, second)
        || scope.apart(id, other)
    {
        return None;
    }
    let (from, into) = survivor_order(index, scope, id, other);
    Some(PlannedMerge { from, into, score })
}

/// The threshold `id`'s best partner must reach: a small cluster whose best
/// partner stands clearly above the runner-up (`CLEAR_LEAD`) needs less.
fn partner_threshold(incidents: u32, threshold: f64, best: f64, second: f64) -> f64 {
    if incidents <= REFILE_MAX_INCIDENTS && second <= best * CLEAR_LEAD {
        threshold * CLEAR_FACTOR
    } else {
        threshold
    }
}

/// Pairs best first, keeping only those that share no cluster with a better one.
pub fn disjoint_best_first(mut pairs: Vec<PlannedMerge>) -> Vec<PlannedMerge> {
    pairs.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.from.cmp(&b.from))
            .then(a.into.cmp(&b.into))
    });
    let mut used: FxHashSet<i64> = FxHashSet::default();
    pairs.retain(|m| {
        let fresh = !used.contains(&m.from) && !used.contains(&m.into);
        if fresh {
            used.insert(m.from);
            used.insert(m.into);
        }
        fresh
    });
    pairs
}

/// (from, into) for a pair where `a` may move.
fn survivor_order(index: &ClusterIndex, scope: &Scope, a: i64, b: i64) -> (i64, i64) {
    if !scope.movable.contains(&b) {
        return (a, b);
    }
    let (na, nb) = (index.incident_count(a), index.incident_count(b));
    if nb > na || (nb == na && b < a) {
        (a, b)
    } else {
        (b, a)
    }
}

/// A whole pass on an index of its own (the evaluation's, or a copy): rounds
/// until nothing merges. Returns the merges in order; the index has them.
/// A lead's kept-apart pairs follow the survivors.
pub fn consolidate(
    index: &mut ClusterIndex,
    scope: &mut Scope,
    threshold: f64,
) -> Vec<PlannedMerge> {
    let mut done = Vec::new();
    for level in levels(threshold) {
        for _ in 0..MAX_ROUNDS {
            let round = merge_round(index, scope, level);
            if round.is_empty() {
                break;
            }
            for m in &round {
                apply(index, scope, m);
            }
            done.extend(round);
        }
    }
    done
}

/// The thresholds a pass goes down through to `threshold`: the surest pairs
/// merge first, so that the doubtful ones are judged against profiles that
/// already hold several incidents (an approximation of merging the single
/// best pair at a time, at a fraction of the queries).
pub fn levels(threshold: f64) -> impl Iterator<Item = f64> {
    LEVELS.iter().map(move |f| threshold * f)
}

const LEVELS: [f64; 6] = [3.0, 2.2, 1.7, 1.35, 1.15, 1.0];

/// Applies one planned merge to the index and the scope.
pub fn apply(index: &mut ClusterIndex, scope: &mut Scope, m: &PlannedMerge) {
    index.merge(m.from, m.into);
    scope.follow(m);
}

impl Scope {
    /// After a merge: `from` is gone, and pairs kept apart from it are kept
    /// apart from its survivor.
    pub fn follow(&mut self, m: &PlannedMerge) {
        self.movable.remove(&m.from);
        let moved: Vec<(i64, i64)> = self
            .kept_apart
            .iter()
            .copied()
            .filter(|&(a, b)| a == m.from || b == m.from)
            .collect();
        for (a, b) in moved {
            self.kept_apart.remove(&(a, b));
            let other = if a == m.from { b } else { a };
            if other != m.into {
                self.kept_apart
                    .insert((other.min(m.into), other.max(m.into)));
            }
        }
    }
}

/// Where each cluster ended after `merges` (following chains).
pub fn survivors(merges: &[PlannedMerge]) -> FxHashMap<i64, i64> {
    let mut to: FxHashMap<i64, i64> = FxHashMap::default();
    for m in merges {
        to.insert(m.from, m.into);
    }
    let keys: Vec<i64> = to.keys().copied().collect();
    for k in keys {
        let mut end = to[&k];
        while let Some(&next) = to.get(&end) {
            end = next;
        }
        to.insert(k, end);
    }
    to
}

#[cfg(test)]
#[path = "consolidate_tests.rs"]
mod tests;
