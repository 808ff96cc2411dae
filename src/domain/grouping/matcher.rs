//! `ClusterIndex`: matches a new incident against cluster profiles by TF-IDF
//! cosine similarity without scanning every cluster. Each cluster's profile is
//! the sum of its incidents' (L2-normalised) term vectors, capped to its
//! heaviest terms; an inverted index per category maps a term to the clusters
//! holding it, with the weight. IDF comes from the posting-list lengths at
//! query time, so inserts never trigger a rebuild. The index is a cache: it is
//! rebuilt from the database at start and kept fresh by the calls below.

use super::profile::Query;
use super::text;
use rustc_hash::FxHashMap;
use std::cell::RefCell;

/// Auto-join threshold on the cosine score, chosen by sweeping the eval set
/// (`cargo run --release --example grouping_eval`): the best pairwise F1 that
/// keeps wrong joins under 3% and right-or-one-click at or above 95%.
pub const DEFAULT_JOIN_THRESHOLD: f64 = 0.30;

/// A profile is pruned back to its `KEEP_TERMS` heaviest terms once it
/// passes `MAX_TERMS`, so memory per cluster is bounded and pruning is
/// amortised over many inserts.
pub(crate) const MAX_TERMS: usize = 112;
pub(crate) const KEEP_TERMS: usize = 80;
/// A weight this small is float residue of removals, not a real term.
pub(crate) const EPSILON: f32 = 1e-4;
/// Query-time bounds: at most this many candidate clusters accumulate scores,
/// and at most this many posting entries are visited; the query's heaviest
/// (rarest) terms go first, so what is skipped is common, low-IDF terms.
const MAX_CANDIDATES: usize = 2048;
const VISIT_BUDGET: usize = 40_000;
/// Candidates rescored exactly (current IDF, full norms) per returned match.
const RESCORE_FACTOR: usize = 8;
const RESCORE_MIN: usize = 24;
const EXPLAIN_TERMS: usize = 4;

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
    /// Cosine similarity in [0, 1].
    pub score: f64,
    /// The top shared terms by contribution, in display form ("审批", "approval").
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

fn size_factor(incidents: u32) -> f64 {
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

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread score accumulator indexed by slot; the epoch stamp avoids
/// clearing it between queries.
#[derive(Default)]
struct Scratch {
    acc: Vec<f32>,
    stamp: Vec<u32>,
    epoch: u32,
    touched: Vec<u32>,
}

impl Scratch {
    fn begin(&mut self, slots: usize) {
        if self.acc.len() < slots {
            self.acc.resize(slots, 0.0);
            self.stamp.resize(slots, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.epoch = 1;
        }
        self.touched.clear();
    }

    #[inline]
    fn add(&mut self, slot: u32, v: f32) {
        let s = slot as usize;
        if self.stamp[s] == self.epoch {
            self.acc[s] += v;
        } else if self.touched.len() < MAX_CANDIDATES {
            self.stamp[s] = self.epoch;
            self.acc[s] = v;
            self.touched.push(slot);
        }
    }
}

struct QueryTerm {
    term: u32,
    /// tf * idf: the query's own weight for the term.
    w: f32,
    idf: f32,
}

impl ClusterIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an incident's text to a cluster's profile, creating the cluster
    /// (in `category_id`) if it is new. A cluster lives in one category; an
    /// incident filed with another category moves the cluster there.
    pub fn add_incident(&mut self, cluster_id: i64, category_id: i64, title: &str, body: &str) {
        let mut v = Vec::with_capacity(64);
        text::for_each_term(title, body, |t, w, _| v.push((self.intern(t), w)));
        finish_vector(&mut v, 0.0);
        let slot = self.slot_for(cluster_id, category_id);
        self.clusters[slot as usize].incidents += 1;
        self.incidents += 1;
        for &(t, _) in &v {
            self.df[t as usize] += 1;
        }
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
        let v = self.query_vector(title, body).terms;
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

    /// The `k` clusters of `category_id` most similar to the text, best
    /// first, leaving out `exclude` (e.g. clusters a lead split it from).
    pub fn best_matches(
        &self,
        category_id: i64,
        title: &str,
        body: &str,
        k: usize,
        exclude: &[i64],
    ) -> Vec<Match> {
        let Some(cat) = self.categories.get(&category_id) else {
            return Vec::new();
        };
        if k == 0 || cat.clusters == 0 {
            return Vec::new();
        }
        let query = self.query_vector(title, body);
        let unknown_idf = self.idf_of(u32::MAX);
        let mut q_norm_sq = f64::from(query.unknown_sq * unknown_idf * unknown_idf);
        let mut q: Vec<(QueryTerm, &[Posting])> = Vec::with_capacity(query.terms.len());
        for &(term, tf) in &query.terms {
            let list = cat.postings.get(&term).map_or(&[][..], Vec::as_slice);
            let idf = self.idf_of(term);
            q_norm_sq += f64::from(tf * idf).powi(2);
            if !list.is_empty() {
                q.push((
                    QueryTerm {
                        term,
                        w: tf * idf,
                        idf,
                    },
                    list,
                ));
            }
        }
        if q.is_empty() {
            return Vec::new();
        }
        // Heaviest contributions first: they create the candidates.
        q.sort_unstable_by(|a, b| (b.0.w * b.0.idf).total_cmp(&(a.0.w * a.0.idf)));
        let mut candidates: Vec<(f32, u32)> = SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.begin(self.clusters.len());
            let mut visited = 0;
            for (qt, list) in &q {
                if visited > 0 && visited + list.len() > VISIT_BUDGET {
                    continue;
                }
                visited += list.len();
                let f = qt.w * qt.idf;
                for p in list.iter() {
                    s.add(p.slot, f * p.weight);
                }
            }
            let s = &*s;
            s.touched
                .iter()
                .map(|&slot| {
                    let c = &self.clusters[slot as usize];
                    let approx =
                        s.acc[slot as usize] / (c.norm_sq.sqrt() as f32).max(f32::MIN_POSITIVE);
                    (approx * size_factor(c.incidents) as f32, slot)
                })
                .filter(|&(_, slot)| !exclude.contains(&self.clusters[slot as usize].id))
                .collect()
        });
        let keep = (k * RESCORE_FACTOR).max(RESCORE_MIN);
        if candidates.len() > keep {
            candidates.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0));
            candidates.truncate(keep);
        }
        let q_norm = q_norm_sq.sqrt().max(f64::MIN_POSITIVE);
        let mut out: Vec<Match> = candidates
            .iter()
            .map(|&(_, slot)| self.rescore(slot, &q, q_norm, &query))
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.cluster_id.cmp(&b.cluster_id))
        });
        out.truncate(k);
        out
    }

    /// Exact cosine with current IDF, and the terms that contributed most.
    fn rescore(
        &self,
        slot: u32,
        q: &[(QueryTerm, &[Posting])],
        q_norm: f64,
        query: &Query,
    ) -> Match {
        let c = &self.clusters[slot as usize];
        let c_norm_sq: f64 = c
            .terms
            .iter()
            .map(|(&t, e)| f64::from(e.weight * self.idf_of(t)).powi(2))
            .sum();
        let mut parts: Vec<(f64, u32)> = q
            .iter()
            .filter_map(|(qt, _)| {
                c.terms
                    .get(&qt.term)
                    .map(|e| (f64::from(qt.w * qt.idf * e.weight), qt.term))
            })
            .collect();
        let dot: f64 = parts.iter().map(|p| p.0).sum();
        let cosine = (dot / (q_norm * c_norm_sq.sqrt().max(f64::MIN_POSITIVE))).clamp(0.0, 1.0);
        let score = cosine * size_factor(c.incidents);
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Words and bigrams explain best; single characters only if nothing else.
        let mut matched_terms: Vec<String> = Vec::new();
        for explanatory in [true, false] {
            for &(_, t) in &parts {
                let shown = query.surface(t);
                if matched_terms.len() < EXPLAIN_TERMS
                    && self.explain[t as usize] == explanatory
                    && !shown.is_empty()
                    && !matched_terms.iter().any(|m| m == shown)
                {
                    matched_terms.push(shown.to_string());
                }
            }
            if !matched_terms.is_empty() {
                break;
            }
        }
        Match {
            cluster_id: c.id,
            score,
            matched_terms,
        }
    }

    fn idf_of(&self, term: u32) -> f32 {
        idf(
            self.incidents,
            self.df.get(term as usize).copied().unwrap_or(0),
        )
    }

    #[cfg(test)]
    fn idf_of_text(&self, term: &str) -> f32 {
        self.idf_of(self.vocab.get(&term_key(term)).copied().unwrap_or(u32::MAX))
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
