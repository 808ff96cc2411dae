//! Query side of `ClusterIndex`: candidate generation through the postings
//! under a work budget, then exact cosine rescoring of the best candidates.

use super::matcher::{ClusterIndex, Match, Posting, idf, size_factor};

/// Whose document frequencies weigh terms: the whole index's (matching a new
/// incident: a young category has too few incidents to know its common
/// words), or the category's own (comparing clusters: "流程" is rare in the
/// index but says nothing about which process question a cluster is about).

#[derive(Clone, Copy)]
pub(crate) enum Rarity {
    Index,
    Category,
}
use super::incident_terms::IncidentTerms;
use super::profile::Query;
use std::cell::RefCell;

/// Query-time bounds: at most this many candidate clusters accumulate scores,
/// and at most this many posting entries are visited; the query's heaviest
/// (rarest) terms go first, so what is skipped is common, low-IDF terms.
const MAX_CANDIDATES: usize = 2048;
const VISIT_BUDGET: usize = 32_000;
/// Candidates rescored exactly (current IDF, full norms) per returned match.
const RESCORE_FACTOR: usize = 8;
const RESCORE_MIN: usize = 16;
const EXPLAIN_TERMS: usize = 4;

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Per-thread score accumulator indexed by slot, and the query's IDF per term id; the
/// epoch stamp avoids clearing them between queries.
#[derive(Default)]
struct Scratch {
    /// Per slot: (epoch of the last write, accumulated score), side by side
    /// so a posting visit touches one cache line.
    acc: Vec<(u32, f32)>,
    /// Per term id: (epoch of the last write, the term's IDF in this query). The
    /// candidates of one category share most of their terms: each logarithm is taken
    /// once per query instead of once per candidate holding the term.
    idf: Vec<(u32, f32)>,
    epoch: u32,
    touched: Vec<u32>,
}

impl Scratch {
    fn begin(&mut self, slots: usize, terms: usize) {
        if self.acc.len() < slots {
            self.acc.resize(slots, (0, 0.0));
        }
        if self.idf.len() < terms {
            self.idf.resize(terms, (0, 0.0));
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.acc.iter_mut().for_each(|a| a.0 = 0);
            self.idf.iter_mut().for_each(|a| a.0 = 0);
            self.epoch = 1;
        }
        self.touched.clear();
    }

    #[inline]
    fn add(&mut self, slot: u32, v: f32) {
        let a = &mut self.acc[slot as usize];
        if a.0 == self.epoch {
            a.1 += v;
        } else if self.touched.len() < MAX_CANDIDATES {
            *a = (self.epoch, v);
            self.touched.push(slot);
        }
    }

    /// The term's IDF, computed by `idf_of` the first time in this query.
    #[inline]
    fn idf(&mut self, term: u32, idf_of: impl Fn(u32) -> f32) -> f32 {
        let a = &mut self.idf[term as usize];
        if a.0 != self.epoch {
            *a = (self.epoch, idf_of(term));
        }
        a.1
    }
}

struct QueryTerm {
    term: u32,
    /// tf * idf: the query's own weight for the term.
    w: f32,
    idf: f32,
}

impl ClusterIndex {
    /// Whether a query for `k` clusters of `category_id` can find any: checked
    /// before the text is tokenized.
    fn has_clusters(&self, category_id: i64, k: usize) -> bool {
        k > 0
            && self
                .categories
                .get(&category_id)
                .is_some_and(|c| c.clusters > 0)
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
        if !self.has_clusters(category_id, k) {
            return Vec::new();
        }
        self.best_matches_for_terms(category_id, &IncidentTerms::of(title, body), k, exclude)
    }

    /// The clusters a lead may move a text's incidents to (triage, merge candidates):
    /// `best_matches`, but the text also stands for the words that mixed incidents
    /// paired with its own (`crossing`), so a cluster written in the other language
    /// is offered too. Filing joins on `best_matches` alone.
    pub fn suggestions(
        &self,
        category_id: i64,
        title: &str,
        body: &str,
        k: usize,
        exclude: &[i64],
    ) -> Vec<Match> {
        if !self.has_clusters(category_id, k) {
            return Vec::new();
        }
        let terms = IncidentTerms::of(title, body);
        let mut query = self.query_vector(&terms);
        self.crossing
            .expand(&mut query.terms, super::crossing::gain());
        self.rank(category_id, &query, k, exclude, Rarity::Index, true)
    }

    /// `best_matches` with the text already tokenized (to be added after); `rank`
    /// answers nothing for a category without clusters.
    pub fn best_matches_for_terms(
        &self,
        category_id: i64,
        terms: &IncidentTerms,
        k: usize,
        exclude: &[i64],
    ) -> Vec<Match> {
        let query = self.query_vector(terms);
        self.rank(category_id, &query, k, exclude, Rarity::Index, true)
    }

    /// The `k` clusters of `category_id` most similar to a query vector (an
    /// incident's text, or another cluster's profile), best first. Without
    /// `all_terms`, the clusters' norms count whole terms only
    /// (`text::is_explanatory`), as a profile query holds.
    pub(crate) fn rank(
        &self,
        category_id: i64,
        query: &Query,
        k: usize,
        exclude: &[i64],
        rarity: Rarity,
        all_terms: bool,
    ) -> Vec<Match> {
        let Some(cat) = self.categories.get(&category_id) else {
            return Vec::new();
        };
        let idf_of = |t: u32| match rarity {
            Rarity::Index => self.idf_of(t),
            Rarity::Category => idf(cat.incidents, cat.df.get(&t).copied().unwrap_or(0)),
        };
        if k == 0 || cat.clusters == 0 {
            return Vec::new();
        }
        let unknown_idf = idf_of(u32::MAX);
        let mut q_norm_sq = f64::from(query.unknown_sq * unknown_idf * unknown_idf);
        let mut q: Vec<(QueryTerm, &[Posting])> = Vec::with_capacity(query.terms.len());
        for &(term, tf) in &query.terms {
            let list = cat.postings.get(&term).map_or(&[][..], Vec::as_slice);
            let idf = idf_of(term);
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
        let q_norm = q_norm_sq.sqrt().max(f64::MIN_POSITIVE);
        let mut scored: Vec<(f64, u32)> = SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            s.begin(self.clusters.len(), self.explain.len());
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
            let mut candidates: Vec<(f32, u32)> = s
                .touched
                .iter()
                .map(|&slot| {
                    let c = &self.clusters[slot as usize];
                    let approx =
                        s.acc[slot as usize].1 / (c.norm_sq.sqrt() as f32).max(f32::MIN_POSITIVE);
                    (approx * size_factor(c.incidents) as f32, slot)
                })
                .filter(|&(_, slot)| !exclude.contains(&self.clusters[slot as usize].id))
                .collect();
            let keep = (k * RESCORE_FACTOR).max(RESCORE_MIN);
            if candidates.len() > keep {
                candidates.select_nth_unstable_by(keep, |a, b| b.0.total_cmp(&a.0));
                candidates.truncate(keep);
            }
            candidates
                .iter()
                .map(|&(_, slot)| {
                    let idf = |t: u32| s.idf(t, idf_of);
                    (self.score(slot, &q, q_norm, idf, all_terms), slot)
                })
                .collect()
        });
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then(
                self.clusters[a.1 as usize]
                    .id
                    .cmp(&self.clusters[b.1 as usize].id),
            )
        });
        scored.truncate(k);
        scored
            .into_iter()
            .map(|(score, slot)| Match {
                cluster_id: self.clusters[slot as usize].id,
                score,
                matched_terms: self.explain(slot, &q, query),
            })
            .collect()
    }

    /// Exact cosine with current IDF (times the cluster-size factor).
    fn score(
        &self,
        slot: u32,
        q: &[(QueryTerm, &[Posting])],
        q_norm: f64,
        mut idf_of: impl FnMut(u32) -> f32,
        all_terms: bool,
    ) -> f64 {
        let c = &self.clusters[slot as usize];
        let c_norm_sq: f64 = c
            .terms
            .iter()
            .filter(|&(&t, _)| all_terms || self.explain[t as usize])
            .map(|(&t, e)| f64::from(e.weight * idf_of(t)).powi(2))
            .sum();
        let dot: f64 = q
            .iter()
            .filter_map(|(qt, _)| {
                c.terms
                    .get(&qt.term)
                    .map(|e| f64::from(qt.w * qt.idf * e.weight))
            })
            .sum();
        let cosine = (dot / (q_norm * c_norm_sq.sqrt().max(f64::MIN_POSITIVE))).clamp(0.0, 1.0);
        cosine * size_factor(c.incidents)
    }

    /// The shared terms that contributed most, as the incident wrote them.
    fn explain(&self, slot: u32, q: &[(QueryTerm, &[Posting])], query: &Query) -> Vec<String> {
        let c = &self.clusters[slot as usize];
        let mut parts: Vec<(f64, u32)> = q
            .iter()
            .filter_map(|(qt, _)| {
                c.terms
                    .get(&qt.term)
                    .map(|e| (f64::from(qt.w * qt.idf * e.weight), qt.term))
            })
            .collect();
        parts.sort_by(|a, b| b.0.total_cmp(&a.0));
        // Words and bigrams explain best; single characters only if nothing else.
        let mut matched_terms: Vec<String> = Vec::new();
        for explanatory in [true, false] {
            for &(_, t) in &parts {
                if matched_terms.len() == EXPLAIN_TERMS {
                    break;
                }
                if self.explain[t as usize] != explanatory {
                    continue;
                }
                let shown = query.surface(t);
                if !shown.is_empty() && !matched_terms.iter().any(|m| m == shown) {
                    matched_terms.push(shown.to_string());
                }
            }
            if !matched_terms.is_empty() {
                break;
            }
        }
        matched_terms
    }

    pub(super) fn idf_of(&self, term: u32) -> f32 {
        idf(
            self.incidents,
            self.df.get(term as usize).copied().unwrap_or(0),
        )
    }

    #[cfg(test)]
    pub(crate) fn idf_of_text(&self, term: &str) -> f32 {
        self.idf_of(
            self.vocab
                .get(&super::matcher::term_key(term))
                .copied()
                .unwrap_or(u32::MAX),
        )
    }
}
