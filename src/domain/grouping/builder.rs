//! Bulk loading of a `ClusterIndex` at start, from the database. Profiles are
//! accumulated without any posting-list upkeep and the postings are laid out
//! once at the end, at their exact sizes: this is what makes a rebuild of a
//! million incidents take seconds and leave no slack in memory.

use super::matcher::{Cluster, ClusterIndex, Entry, KEEP_TERMS, MAX_TERMS, Posting};
use rustc_hash::FxHashMap;

/// While loading, a profile may grow to this many terms before it is cut
/// back to `KEEP_TERMS` (cheap here: no postings to fix). 224 entries fill a
/// 256-bucket table exactly; cutting *before* the insert that would pass it
/// keeps tables from doubling to 512 buckets (which doubled peak memory).
const LOAD_MAX_TERMS: usize = 224;

/// Builds a `ClusterIndex` from existing incidents:
/// `let mut b = IndexBuilder::new(); b.add_incident(..); let index = b.finish();`
/// The result is the same as calling `ClusterIndex::add_incident` for each,
/// up to when profiles get pruned.
#[derive(Default)]
pub struct IndexBuilder {
    ix: ClusterIndex,
    v: Vec<(u32, f32)>,
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_incident(&mut self, cluster_id: i64, category_id: i64, title: &str, body: &str) {
        let ix = &mut self.ix;
        let v = &mut self.v;
        let terms = super::incident_terms::IncidentTerms::of(title, body);
        ix.vectorize(&terms, v);
        let vocab = &ix.vocab;
        ix.crossing.count(&terms, |k| vocab.get(&k).copied(), 1);
        let slot = match ix.by_id.get(&cluster_id) {
            Some(&slot) => slot as usize,
            None => {
                ix.clusters.push(Cluster {
                    id: cluster_id,
                    category: category_id,
                    live: true,
                    ..Cluster::default()
                });
                ix.by_id.insert(cluster_id, (ix.clusters.len() - 1) as u32);
                ix.clusters.len() - 1
            }
        };
        super::matcher::count_in_category(ix.categories.entry(category_id).or_default(), v, 1);
        let c = &mut ix.clusters[slot];
        // As in the live index, the latest incident's category wins.
        c.category = category_id;
        c.incidents += 1;
        ix.incidents += 1;
        if c.terms.len() + v.len() > LOAD_MAX_TERMS && c.terms.len() > KEEP_TERMS {
            keep_heaviest(c);
        }
        for &(t, w) in v.iter() {
            ix.df[t as usize] += 1;
            let e = c.terms.entry(t).or_insert(Entry {
                weight: 0.0,
                pos: 0,
                count: 0,
            });
            e.weight += w;
            e.count += 1;
        }
        if c.terms.len() > LOAD_MAX_TERMS {
            keep_heaviest(c); // one very long incident
        }
    }

    /// Prunes the profiles and lays out the postings.
    pub fn finish(self) -> ClusterIndex {
        let mut ix = self.ix;
        let mut lengths: FxHashMap<(i64, u32), u32> = FxHashMap::default();
        for c in &mut ix.clusters {
            if c.terms.len() > MAX_TERMS {
                keep_heaviest(c);
            }
            c.terms.shrink_to(0);
            c.norm_sq = c
                .terms
                .values()
                .map(|e| f64::from(e.weight * e.weight))
                .sum();
            for &t in c.terms.keys() {
                *lengths.entry((c.category, t)).or_default() += 1;
            }
        }
        for ((category, t), n) in lengths {
            let cat = ix.categories.entry(category).or_default();
            cat.postings.insert(t, Vec::with_capacity(n as usize));
        }
        for (slot, c) in ix.clusters.iter_mut().enumerate() {
            let cat = ix.categories.entry(c.category).or_default();
            cat.clusters += 1;
            for (t, e) in c.terms.iter_mut() {
                let list = cat.postings.get_mut(t).expect("counted above");
                e.pos = list.len() as u32;
                list.push(Posting {
                    slot: slot as u32,
                    weight: e.weight,
                });
            }
        }
        ix
    }
}

/// Keeps a profile's `KEEP_TERMS` heaviest terms (no postings exist yet),
/// and gives back the table an unusually long incident made grow.
fn keep_heaviest(c: &mut Cluster) {
    let mut w: Vec<f32> = c.terms.values().map(|e| e.weight).collect();
    let (_, &mut cut, _) = w.select_nth_unstable_by(KEEP_TERMS, |a, b| b.total_cmp(a));
    let mut above = w.iter().filter(|&&x| x > cut).count();
    // Ties at the cut are kept until KEEP_TERMS is reached.
    c.terms.retain(|_, e| {
        if e.weight > cut {
            true
        } else if e.weight == cut && above < KEEP_TERMS {
            above += 1;
            true
        } else {
            false
        }
    });
    c.terms.shrink_to(LOAD_MAX_TERMS);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_build_matches_incremental_build() {
        let texts = [
            (1, 1, "催审批", "客户订单审批进度怎么还没出来"),
            (1, 1, "chasing approval for order 1182", ""),
            (2, 1, "审批被驳回了", "驳回原因没写"),
            (3, 2, "OA系统打不开", "审批页面报错 500"),
            (2, 1, "approval rejected", "no reason given"),
        ];
        let mut live = ClusterIndex::new();
        let mut bulk = IndexBuilder::new();
        for (c, cat, t, b) in texts {
            live.add_incident(c, cat, t, b);
            bulk.add_incident(c, cat, t, b);
        }
        let bulk = bulk.finish();
        assert_eq!(bulk.stats(), live.stats());
        for (q, cat) in [
            ("审批进度", 1),
            ("rejected again", 1),
            ("系统报错", 2),
            ("nothing shared", 1),
        ] {
            let a = live.best_matches(cat, q, "", 3, &[]);
            let b = bulk.best_matches(cat, q, "", 3, &[]);
            assert_eq!(a.len(), b.len(), "{q}");
            for (x, y) in a.iter().zip(&b) {
                assert_eq!(x.cluster_id, y.cluster_id, "{q}");
                assert!((x.score - y.score).abs() < 1e-5, "{q}: {x:?} {y:?}");
            }
        }
        // The built index keeps working incrementally.
        let mut bulk = bulk;
        bulk.add_incident(4, 1, "合同法务审核", "");
        bulk.merge(2, 1);
        assert_eq!(bulk.cluster_count(), 3);
    }

    #[test]
    fn bulk_profiles_are_bounded() {
        let mut b = IndexBuilder::new();
        for i in 0..500u32 {
            let word: String = (0..8)
                .map(|k| char::from_u32(0x4E00 + (i * 11 + k * 131) % 20000).unwrap())
                .collect();
            b.add_incident(1, 1, "审批", &word);
        }
        let ix = b.finish();
        assert!(ix.stats().profile_entries <= MAX_TERMS);
        assert_eq!(ix.best_matches(1, "审批", "", 1, &[])[0].cluster_id, 1);
    }
}
