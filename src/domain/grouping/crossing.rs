//! Chinese–English pairs learnt from the incidents themselves. A mixed incident
//! ("出口 customs 资料要哪些", "manager休假 approval 没人处理") says that its Chinese
//! words and its English words are about one thing; counted over the index's mixed
//! incidents, the pairs become a translation that the word lists lack, in the team's
//! own words. Consolidation uses them to compare a cluster written in one language
//! with a cluster written in the other (`ClusterIndex::similar_clusters`): each
//! term of a profile also stands for its partners, at `GAIN` of its weight times the
//! pair's strength. Filing does not use them: an incident joins a cluster on its own
//! words only, so learnt pairs cannot make a filing join wrongly.

use super::incident_terms::IncidentTerms;
use super::text;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU32, Ordering};

/// Terms of each side an incident pairs at most (its heaviest): a long mixed text
/// would otherwise pair every word with every other.
const MAX_SIDE_TERMS: usize = 8;
/// Partners kept per term; later ones are not counted. Bounds memory on a large
/// index, where common words meet many others.
const MAX_PARTNERS: usize = 24;
/// Partner terms a profile's query gains at most (the heaviest): each costs the
/// query a posting list, and the lightest add next to nothing to a cosine.
const MAX_ADDED: usize = 24;

/// A partner's share of the profile term's weight, times the pair's strength.
/// Chosen on the tuning halves of the first two labelled sets (`cargo run
/// --release --example grouping_eval -- --crossing G`): 0.35 to 0.7 measure
/// alike; 0.25 buys less, 2 and more lets wrong merges rise on the project set.
pub const DEFAULT_GAIN: f32 = 0.5;
static GAIN: AtomicU32 = AtomicU32::new(DEFAULT_GAIN.to_bits());

/// The partners' gain (0: learnt pairs are not used).
pub fn gain() -> f32 {
    f32::from_bits(GAIN.load(Ordering::Relaxed))
}

/// Sets the partners' gain, for measuring (0: off).
pub fn set_gain(g: f32) {
    GAIN.store(g.max(0.0).to_bits(), Ordering::Relaxed);
}

/// Which side of the bridge a term stands on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Han,
    Latin,
}

/// A Chinese word (a bigram or a longer word of the word list) or an English word
/// of three letters or more. Concepts of the word list are shared by both
/// languages already; single characters and grams are fragments.
fn side_of(term: &str) -> Option<Side> {
    if !text::is_explanatory(term) || term.starts_with(super::lexicon::CONCEPT_MARK) {
        return None;
    }
    let first = term.chars().next()?;
    if text::is_cjk(first) {
        Some(Side::Han)
    } else if term.len() >= 3 && term.bytes().all(|b| b.is_ascii_lowercase()) {
        Some(Side::Latin)
    } else {
        None
    }
}

/// Pair counts over the mixed incidents of the index, in both directions.
#[derive(Default)]
pub(crate) struct Crossing {
    /// Term -> the other side's terms it met, with the incidents holding both.
    pairs: FxHashMap<u32, Vec<(u32, u32)>>,
    /// Term -> the mixed incidents holding it.
    mixed: FxHashMap<u32, u32>,
}

impl Crossing {
    /// Counts (`sign` 1) or uncounts (-1) an incident's pairs; `id_of` gives a
    /// term's id in the index's vocabulary.
    pub fn count(&mut self, terms: &IncidentTerms, id_of: impl Fn(u64) -> Option<u32>, sign: i32) {
        let mut han: Vec<(f32, u32)> = Vec::new();
        let mut latin: Vec<(f32, u32)> = Vec::new();
        for o in terms.occurrences() {
            let Some(side) = side_of(terms.term(o)) else {
                continue;
            };
            let Some(id) = id_of(o.key) else { continue };
            let list = match side {
                Side::Han => &mut han,
                Side::Latin => &mut latin,
            };
            match list.iter_mut().find(|e| e.1 == id) {
                Some(e) => e.0 = e.0.max(o.weight),
                None => list.push((o.weight, id)),
            }
        }
        if han.is_empty() || latin.is_empty() {
            return;
        }
        for list in [&mut han, &mut latin] {
            list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            list.truncate(MAX_SIDE_TERMS);
            for &(_, t) in list.iter() {
                let n = self.mixed.entry(t).or_default();
                *n = n.saturating_add_signed(sign);
                if *n == 0 {
                    self.mixed.remove(&t);
                }
            }
        }
        for &(_, h) in &han {
            for &(_, l) in &latin {
                self.bump(h, l, sign);
                self.bump(l, h, sign);
            }
        }
    }

    fn bump(&mut self, a: u32, b: u32, sign: i32) {
        let list = self.pairs.entry(a).or_default();
        match list.iter().position(|e| e.0 == b) {
            Some(i) => {
                list[i].1 = list[i].1.saturating_add_signed(sign);
                if list[i].1 == 0 {
                    list.swap_remove(i);
                }
            }
            None if sign > 0 && list.len() < MAX_PARTNERS => list.push((b, 1)),
            None => {}
        }
        if list.is_empty() {
            self.pairs.remove(&a);
        }
    }

    /// The other side's terms `term` has met, with the pair's strength: the
    /// incidents holding both over the geometric mean of those holding each (1 for
    /// two words that only ever appear together).
    pub fn partners(&self, term: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
        let own = self.mixed.get(&term).copied().unwrap_or(0);
        self.pairs
            .get(&term)
            .into_iter()
            .flatten()
            .map(move |&(other, n)| {
                let theirs = self.mixed.get(&other).copied().unwrap_or(0);
                let mean = ((own as f32) * (theirs as f32)).sqrt().max(1.0);
                (other, (n as f32 / mean).min(1.0))
            })
    }

    /// `terms` (a profile's, normalised) with each term's partners added at `gain`
    /// of its weight times the pair's strength, where that is more than the
    /// partner's own weight.
    pub fn expand(&self, terms: &mut Vec<(u32, f32)>, gain: f32) {
        if gain <= 0.0 || self.pairs.is_empty() {
            return;
        }
        let mut extra: FxHashMap<u32, f32> = FxHashMap::default();
        for &(t, w) in terms.iter() {
            for (u, strength) in self.partners(t) {
                let e = extra.entry(u).or_default();
                *e = e.max(w * strength * gain);
            }
        }
        let mut extra: Vec<(u32, f32)> = extra.into_iter().collect();
        if extra.len() > MAX_ADDED {
            extra.select_nth_unstable_by(MAX_ADDED, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            extra.truncate(MAX_ADDED);
        }
        for (u, w) in extra {
            match terms.iter_mut().find(|e| e.0 == u) {
                Some(e) => e.1 = e.1.max(w),
                None => terms.push((u, w)),
            }
        }
    }

    /// An estimate of the heap held: the tables by bucket count, the lists by capacity.
    pub fn approx_memory_bytes(&self) -> usize {
        fn buckets(cap: usize) -> usize {
            if cap == 0 {
                0
            } else {
                (cap * 8 / 7).next_power_of_two().max(4)
            }
        }
        let lists: usize = self.pairs.values().map(|l| l.capacity() * 8).sum();
        buckets(self.pairs.capacity()) * (4 + 24 + 1) + lists + buckets(self.mixed.capacity()) * 9
    }
}

#[cfg(test)]
mod tests {
    use super::super::matcher::ClusterIndex;

    #[test]
    fn mixed_incidents_teach_pairs_that_bring_two_languages_together() {
        // Two problems of one category: customs papers and parking, each written in
        // Chinese by some and in English by others, sharing no word list concept.
        let mut ix = ClusterIndex::new();
        ix.add_incident(1, 1, "报关资料谁准备", "");
        ix.add_incident(1, 1, "报关资料在哪里", "");
        ix.add_incident(2, 1, "customs paperwork for export", "");
        ix.add_incident(2, 1, "who prepares customs paperwork", "");
        ix.add_incident(3, 1, "停车位不够", "");
        ix.add_incident(4, 1, "no parking space left", "");
        let before = ix.similar_clusters(1, 3, &[]);
        assert!(!before.iter().any(|m| m.0 == 2), "{before:?}");
        // Mixed incidents, filed elsewhere, pair 报关 with customs and 停车 with parking.
        ix.add_incident(5, 1, "报关 customs 问题", "");
        ix.add_incident(6, 1, "停车 parking 问题", "");
        // (The mixed incidents' own clusters left out: they are alike by construction.)
        let after = ix.similar_clusters(1, 3, &[5, 6]);
        assert_eq!(after.first().map(|m| m.0), Some(2), "{after:?}");
        let parking = ix.similar_clusters(3, 3, &[5, 6]);
        assert!(!parking.iter().any(|m| m.0 == 2), "{parking:?}");
        // A lead is offered the English cluster for a Chinese text; filing would not
        // join it.
        let offered = ix.suggestions(1, "报关资料", "", 3, &[1, 5, 6]);
        assert_eq!(
            offered.first().map(|m| m.cluster_id),
            Some(2),
            "{offered:?}"
        );
        let joined = ix.best_matches(1, "报关资料", "", 3, &[1, 5, 6]);
        assert!(!joined.iter().any(|m| m.cluster_id == 2), "{joined:?}");
        // Withdrawn, the mixed incident teaches nothing any more.
        ix.remove_incident(5, "报关 customs 问题", "");
        let again = ix.similar_clusters(1, 3, &[5, 6]);
        assert!(!again.iter().any(|m| m.0 == 2), "{again:?}");
    }
}
