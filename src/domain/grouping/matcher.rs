//! `ClusterIndex`: matches a new incident against cluster profiles by TF-IDF
//! cosine similarity without scanning every cluster. Each cluster's profile is
//! the sum of its incidents' (L2-normalised) term vectors, capped to its
//! heaviest terms; an inverted index per category maps a term to the clusters
//! holding it, with the weight. Document frequencies are counted as incidents
//! come and go and IDF is computed from them at query time, so no insert
//! triggers a rebuild. The index is a cache: it is rebuilt from the database
//! at start (`IndexBuilder`) and kept fresh by the calls below. Queries are
//! in `query.rs`, profile upkeep in `profile.rs`.

use super::incident_terms::IncidentTerms;
use super::text;
use rustc_hash::FxHashMap;

/// Auto-join threshold on `Match::score`, chosen together with
/// `consolidate::DEFAULT_MERGE_THRESHOLD` on the tuning halves of both labelled
/// sets (`cargo run --release --example grouping_eval -- --sweep`): the lowest
/// threshold that keeps wrong joins under 3% at filing time on both (0.30 let
/// 3.2% through on the chat set); consolidation then brings the small clusters
/// it leaves together. Held-out figures: docs/PERFORMANCE.md.
pub const DEFAULT_JOIN_THRESHOLD: f64 = 0.32;

/// A profile is pruned back to its `KEEP_TERMS` heaviest terms once it
/// passes `MAX_TERMS`, so memory per cluster is bounded and pruning is
/// amortised over many inserts.
pub(crate) const MAX_TERMS: usize = 112;
pub(crate) const KEEP_TERMS: usize = 80;
/// A weight this small is float residue of removals, not a real term.
pub(crate) const EPSILON: f32 = 1e-4;

/// Sizes of an index (see `ClusterIndex::stats`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IndexStats {
    pub clusters: usize,
    pub incidents: usize,
    /// Distinct terms ever seen (the vocabulary only grows until a rebuild).
    pub terms: usize,
    /// Term entries over all cluster profiles (= posting entries).
    pub profile_entries: usize,
    /// Distinct (category, term) posting lists.
    pub postings: usize,
}

/// A cluster an incident resembles, with the terms that made it so.
#[derive(Clone, Debug, PartialEq)]
pub struct Match {
    pub cluster_id: i64,
    /// TF-IDF cosine similarity times the cluster-size factor
    /// n / (n + 0.5), in [0, 1]; compare with `DEFAULT_JOIN_THRESHOLD`.
    pub score: f64,
    /// The top shared terms by contribution, as the incident wrote them
    /// ("审批", "进度", "approval status"): for "joined because: ...".
    pub matched_terms: Vec<String>,
}

#[derive(Clone, Copy)]
pub(crate) struct Posting {
    pub slot: u32,
    pub weight: f32,
}

/// A term's weight in a profile and where its posting sits in the term's
/// list, so weight updates and removals are O(1).
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub weight: f32,
    pub pos: u32,
    /// Incidents of this cluster holding the term: what leaves the document
    /// frequencies when the cluster is removed.
    pub count: u32,
}

#[derive(Default)]
pub(crate) struct Cluster {
    pub id: i64,
    pub category: i64,
    pub live: bool,
    pub incidents: u32,
    pub terms: FxHashMap<u32, Entry>,
    /// Sum of squared raw weights, kept incrementally: ranks candidates
    /// cheaply before exact rescoring.
    pub norm_sq: f64,
}

#[derive(Default)]
pub(crate) struct Category {
    pub postings: FxHashMap<u32, Vec<Posting>>,
    pub clusters: u32,
    /// Per term: incidents of this category holding it, and the category's
    /// incidents (for comparing clusters, `Rarity::Category`). Moves of a
    /// cluster between categories leave them behind until the next rebuild.
    pub df: FxHashMap<u32, u32>,
    pub incidents: u32,
}

/// In-process inverted index over cluster profiles. See the module docs.
#[derive(Default)]
pub struct ClusterIndex {
    /// Term -> id, keyed by a 64-bit hash of the term: the strings are never
    /// needed again (explanations use the query's own words), and a hash
    /// key saves their memory and the string compares (a collision between
    /// two of a million terms has odds of about 1 in 10^7).
    pub(crate) vocab: FxHashMap<u64, u32>,
    /// Per term id: whether it reads well in an explanation.
    pub(crate) explain: Vec<bool>,
    pub(crate) clusters: Vec<Cluster>,
    pub(crate) free: Vec<u32>,
    pub(crate) by_id: FxHashMap<i64, u32>,
    pub(crate) categories: FxHashMap<i64, Category>,
    /// Per term id: how many incidents in the index hold the term, and how
    /// many incidents there are (the IDF statistics).
    pub(crate) df: Vec<u32>,
    pub(crate) incidents: u32,
    /// Chinese–English pairs learnt from mixed incidents (`crossing.rs`).
    pub(crate) crossing: super::crossing::Crossing,
}

pub(crate) fn term_key(term: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(term)
}

/// Smoothed IDF over all incidents of all categories. Incidents rather than
/// clusters, and all categories rather than one, because an index starts
/// empty: with a handful of clusters per category, cluster counts cannot yet
/// tell "订单" (in every category) from "驳回"; incident counts across the
/// whole index learn it within a few dozen filings. Measured on the eval set
/// against per-category and per-cluster variants, this was clearly best.
/// The +0.5 floor (rather than the usual +1) lets common terms fade further.
pub(crate) fn idf(n: u32, df: u32) -> f32 {
    ((n as f32 + 1.0) / (df as f32 + 1.0)).ln() + 0.5
}

/// A one-incident cluster's profile is a single noisy text; scores against
/// small clusters are discounted by n / (n + SIZE_PRIOR): 0.67 for one
/// incident, 0.8 for two, 0.95 for ten. This keeps an early stray word from
/// gluing two problems together while big clusters match at full strength.
const SIZE_PRIOR: f64 = 0.5;

pub(crate) fn size_factor(incidents: u32) -> f64 {
    let n = f64::from(incidents.max(1));
    n / (n + SIZE_PRIOR)
}

/// Sorts, merges repeats (damped, see `text::damp`) and L2-normalises a
/// term vector; `extra_sq` is the squared weight of terms kept out of it.
pub(crate) fn finish_vector(v: &mut Vec<(u32, f32)>, extra_sq: f32) -> f32 {
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
    let mut out = 0;
    let mut i = 0;
    while i < v.len() {
        let (t, max) = v[i];
        let mut sum = 0.0;
        while i < v.len() && v[i].0 == t {
            sum += v[i].1;
            i += 1;
        }
        v[out] = (t, text::damp(max, sum));
        out += 1;
    }
    v.truncate(out);
    let sq = extra_sq + v.iter().map(|e| e.1 * e.1).sum::<f32>();
    let norm = sq.sqrt().max(f32::MIN_POSITIVE);
    v.iter_mut().for_each(|e| e.1 /= norm);
    norm
}

/// Adds (`sign` 1) or takes away (-1) one incident's terms in a category's
/// document frequencies.
pub(crate) fn count_in_category(cat: &mut Category, terms: &[(u32, f32)], sign: i32) {
    cat.incidents = cat.incidents.saturating_add_signed(sign);
    for &(t, _) in terms {
        let n = cat.df.entry(t).or_default();
        *n = n.saturating_add_signed(sign);
        if *n == 0 {
            cat.df.remove(&t);
        }
    }
}

impl ClusterIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an incident's text to a cluster's profile, creating the cluster
    /// (in `category_id`) if it is new. A cluster lives in one category; an
    /// incident filed with another category moves the cluster there.
    pub fn add_incident(&mut self, cluster_id: i64, category_id: i64, title: &str, body: &str) {
        self.add_incident_terms(cluster_id, category_id, &IncidentTerms::of(title, body));
    }

    /// `add_incident` with the text already tokenized (as it was to match it).
    pub fn add_incident_terms(&mut self, cluster_id: i64, category_id: i64, terms: &IncidentTerms) {
        let mut v = Vec::with_capacity(64);
        self.vectorize(terms, &mut v);
        let vocab = &self.vocab;
        self.crossing.count(terms, |k| vocab.get(&k).copied(), 1);
        let slot = self.slot_for(cluster_id, category_id);
        self.clusters[slot as usize].incidents += 1;
        self.incidents += 1;
        for &(t, _) in &v {
            self.df[t as usize] += 1;
        }
        count_in_category(self.categories.entry(category_id).or_default(), &v, 1);
        for (t, w) in v {
            self.add_weight(slot, t, w, 1);
        }
        if self.clusters[slot as usize].terms.len() > MAX_TERMS {
            self.prune(slot);
        }
    }

    /// Subtracts an incident's text from a cluster's profile (the incident
    /// moved out or was withdrawn). The cluster stays, even when empty.
    pub fn remove_incident(&mut self, cluster_id: i64, title: &str, body: &str) {
        let Some(&slot) = self.by_id.get(&cluster_id) else {
            return;
        };
        let terms = IncidentTerms::of(title, body);
        let vocab = &self.vocab;
        self.crossing.count(&terms, |k| vocab.get(&k).copied(), -1);
        let v = self.query_vector(&terms).terms;
        let category = self.clusters[slot as usize].category;
        if let Some(cat) = self.categories.get_mut(&category) {
            count_in_category(cat, &v, -1);
        }
        self.incidents = self.incidents.saturating_sub(1);
        for &(t, _) in &v {
            self.df[t as usize] = self.df[t as usize].saturating_sub(1);
        }
        for (t, w) in v {
            if self.clusters[slot as usize].terms.contains_key(&t) {
                self.add_weight(slot, t, -w, -1);
            }
        }
        let c = &mut self.clusters[slot as usize];
        c.incidents = c.incidents.saturating_sub(1);
        if c.incidents == 0 {
            // Whatever is left is float residue.
            let terms: Vec<u32> = c.terms.keys().copied().collect();
            terms.into_iter().for_each(|t| self.remove_term(slot, t));
        }
    }

    /// Adds `from`'s profile to `into`'s and drops `from` (a lead's merge).
    pub fn merge(&mut self, from: i64, into: i64) {
        let Some(&from_slot) = self.by_id.get(&from) else {
            return;
        };
        if from == into {
            return;
        }
        let Some(&into_slot) = self.by_id.get(&into) else {
            // Nothing to merge into yet: the profile simply changes its id.
            self.by_id.remove(&from);
            self.by_id.insert(into, from_slot);
            self.clusters[from_slot as usize].id = into;
            return;
        };
        let moved: Vec<(u32, Entry)> = self.clusters[from_slot as usize]
            .terms
            .iter()
            .map(|(&t, e)| (t, *e))
            .collect();
        let incidents = self.clusters[from_slot as usize].incidents;
        // The incidents stay in the index: document frequencies don't change.
        self.detach(from, false);
        self.clusters[into_slot as usize].incidents += incidents;
        for (t, e) in moved {
            self.add_weight(into_slot, t, e.weight, e.count as i32);
        }
        if self.clusters[into_slot as usize].terms.len() > MAX_TERMS {
            self.prune(into_slot);
        }
    }

    /// Drops a cluster and its incidents from the index.
    pub fn remove_cluster(&mut self, cluster_id: i64) {
        self.detach(cluster_id, true);
    }

    /// Sizes of the index's parts, for metrics and capacity planning.
    pub fn stats(&self) -> IndexStats {
        IndexStats {
            clusters: self.by_id.len(),
            incidents: self.incidents as usize,
            terms: self.explain.len(),
            profile_entries: self.clusters.iter().map(|c| c.terms.len()).sum(),
            postings: self.categories.values().map(|c| c.postings.len()).sum(),
        }
    }

    /// Clusters in the index (including empty ones not yet removed).
    pub fn cluster_count(&self) -> usize {
        self.by_id.len()
    }

    pub fn contains(&self, cluster_id: i64) -> bool {
        self.by_id.contains_key(&cluster_id)
    }

    /// Incidents added to a cluster (minus those removed), merges included.
    pub fn incident_count(&self, cluster_id: i64) -> u32 {
        self.by_id
            .get(&cluster_id)
            .map_or(0, |&s| self.clusters[s as usize].incidents)
    }
}

#[cfg(test)]
#[path = "matcher_tests.rs"]
mod tests;
