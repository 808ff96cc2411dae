//! Maintenance of `ClusterIndex` profiles and postings: interning, weight
//! updates, pruning, and the memory estimate.

use super::matcher::{Cluster, ClusterIndex, Entry, Posting};
use super::text;
use rustc_hash::FxHashMap;
use std::mem::size_of;

const KEEP_TERMS: usize = 128;
const EPSILON: f32 = 1e-4;

impl ClusterIndex {
    pub(crate) fn intern(&mut self, term: &str, surface: &str) -> u32 {
        if let Some(&id) = self.vocab.get(term) {
            return id;
        }
        let id = self.display.len() as u32;
        self.vocab.insert(term.into(), id);
        let shown = if term.starts_with(super::lexicon::CONCEPT_MARK) {
            text::display_term(term)
        } else {
            surface
        };
        self.display
            .push((shown.into(), text::is_explanatory(term)));
        id
    }

    /// The incident's normalised vector over known terms, and the squared
    /// normalised weight of terms the index has never seen (they still count
    /// in the query's norm: text no cluster shares lowers the similarity).
    pub(crate) fn query_vector(&self, title: &str, body: &str) -> (Vec<(u32, f32)>, f32) {
        let mut v = Vec::with_capacity(64);
        let mut unknown: FxHashMap<String, f32> = FxHashMap::default();
        text::for_each_term(title, body, |t, w, _| match self.vocab.get(t) {
            Some(&id) => v.push((id, w)),
            None => *unknown.entry(t.to_owned()).or_default() += w,
        });
        let extra_sq: f32 = unknown.values().map(|&w| text::damp(w).powi(2)).sum();
        let norm = super::matcher::finish_vector(&mut v, extra_sq);
        (v, extra_sq / (norm * norm))
    }

    /// The slot of a cluster, created (or moved to `category`) as needed.
    pub(crate) fn slot_for(&mut self, cluster_id: i64, category: i64) -> u32 {
        if let Some(&slot) = self.by_id.get(&cluster_id) {
            let c = &self.clusters[slot as usize];
            if c.category == category {
                return slot;
            }
            // Moving category: re-post the profile under the new category.
            let moved: Vec<(u32, Entry)> = c.terms.iter().map(|(&t, e)| (t, *e)).collect();
            let incidents = c.incidents;
            self.remove_cluster(cluster_id);
            let slot = self.slot_for(cluster_id, category);
            self.clusters[slot as usize].incidents = incidents;
            self.count_in(category, incidents, &moved);
            for (t, e) in moved {
                self.add_weight(slot, t, e.weight, e.count as i32);
            }
            return slot;
        }
        let slot = self.free.pop().unwrap_or_else(|| {
            self.clusters.push(Cluster::default());
            (self.clusters.len() - 1) as u32
        });
        let c = &mut self.clusters[slot as usize];
        c.id = cluster_id;
        c.category = category;
        c.live = true;
        self.categories.entry(category).or_default().clusters += 1;
        self.by_id.insert(cluster_id, slot);
        slot
    }

    /// Adds `delta` to a term's weight in a profile (negative to subtract),
    /// keeping its posting in step; a weight that falls to ~0 leaves.
    pub(crate) fn add_weight(&mut self, slot: u32, term: u32, delta: f32, count: i32) {
        let c = &mut self.clusters[slot as usize];
        let Some(cat) = self.categories.get_mut(&c.category) else {
            return;
        };
        match c.terms.get_mut(&term) {
            Some(e) => {
                let old = e.weight;
                e.weight += delta;
                e.count = e.count.saturating_add_signed(count);
                let new = e.weight;
                c.norm_sq += f64::from(new * new - old * old);
                if new <= EPSILON {
                    self.remove_term(slot, term);
                } else if let Some(list) = cat.postings.get_mut(&term) {
                    list[e.pos as usize].weight = new;
                }
            }
            None if delta > EPSILON => {
                let list = cat.postings.entry(term).or_default();
                let count = count.max(0) as u32;
                c.terms.insert(
                    term,
                    Entry {
                        weight: delta,
                        pos: list.len() as u32,
                        count,
                    },
                );
                list.push(Posting {
                    slot,
                    weight: delta,
                });
                c.norm_sq += f64::from(delta * delta);
            }
            None => {}
        }
    }

    /// Drops a term from a profile and its posting (swap-remove, then fix
    /// the position recorded by the cluster whose posting moved).
    pub(crate) fn remove_term(&mut self, slot: u32, term: u32) {
        let c = &mut self.clusters[slot as usize];
        let Some(e) = c.terms.remove(&term) else {
            return;
        };
        c.norm_sq = (c.norm_sq - f64::from(e.weight * e.weight)).max(0.0);
        let Some(cat) = self.categories.get_mut(&c.category) else {
            return;
        };
        let Some(list) = cat.postings.get_mut(&term) else {
            return;
        };
        let pos = e.pos as usize;
        list.swap_remove(pos);
        if let Some(moved) = list.get(pos) {
            if let Some(me) = self.clusters[moved.slot as usize].terms.get_mut(&term) {
                me.pos = pos as u32;
            }
        } else if list.is_empty() {
            cat.postings.remove(&term);
        }
    }

    /// Adds a moved profile's incidents to a category's document frequencies.
    pub(crate) fn count_in(&mut self, category: i64, incidents: u32, terms: &[(u32, Entry)]) {
        let cat = self.categories.entry(category).or_default();
        cat.incidents += incidents;
        for (t, e) in terms {
            *cat.df.entry(*t).or_default() += e.count;
        }
    }

    /// Removes a cluster's profile and postings; with `uncount`, its
    /// incidents also leave the category's document frequencies (terms
    /// pruned from the profile can't be uncounted: a small, safe overcount).
    pub(crate) fn detach(&mut self, cluster_id: i64, uncount: bool) {
        let Some(slot) = self.by_id.remove(&cluster_id) else {
            return;
        };
        let terms: Vec<(u32, Entry)> = self.clusters[slot as usize]
            .terms
            .iter()
            .map(|(&t, e)| (t, *e))
            .collect();
        for &(t, _) in &terms {
            self.remove_term(slot, t);
        }
        let c = &mut self.clusters[slot as usize];
        if let Some(cat) = self.categories.get_mut(&c.category) {
            cat.clusters -= 1;
            if uncount {
                cat.incidents = cat.incidents.saturating_sub(c.incidents);
                for (t, e) in terms {
                    if let Some(df) = cat.df.get_mut(&t) {
                        *df = df.saturating_sub(e.count);
                        if *df == 0 {
                            cat.df.remove(&t);
                        }
                    }
                }
            }
        }
        *c = Cluster::default();
        self.free.push(slot);
    }

    /// Keeps a profile's `KEEP_TERMS` heaviest terms. The lightest terms of
    /// a large cluster are one-off words of single incidents; they barely
    /// move its cosine.
    pub(crate) fn prune(&mut self, slot: u32) {
        let c = &self.clusters[slot as usize];
        let mut w: Vec<(f32, u32)> = c.terms.iter().map(|(&t, e)| (e.weight, t)).collect();
        if w.len() <= KEEP_TERMS {
            return;
        }
        w.select_nth_unstable_by(KEEP_TERMS, |a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        for &(_, t) in &w[KEEP_TERMS..] {
            self.remove_term(slot, t);
        }
        let c = &mut self.clusters[slot as usize];
        c.norm_sq = c
            .terms
            .values()
            .map(|e| f64::from(e.weight * e.weight))
            .sum();
    }

    /// An estimate of the heap the index holds: hash tables by bucket count,
    /// vectors by capacity, strings by length.
    pub fn approx_memory_bytes(&self) -> usize {
        fn table<K, V>(cap: usize) -> usize {
            let buckets = if cap == 0 {
                0
            } else {
                (cap * 8 / 7).next_power_of_two().max(4)
            };
            buckets * (size_of::<(K, V)>() + 1)
        }
        let vocab = table::<Box<str>, u32>(self.vocab.capacity())
            + self.vocab.keys().map(|k| k.len()).sum::<usize>()
            + self.display.capacity() * size_of::<(Box<str>, bool)>()
            + self.display.iter().map(|d| d.0.len()).sum::<usize>();
        let clusters = self.clusters.capacity() * size_of::<Cluster>()
            + self
                .clusters
                .iter()
                .map(|c| table::<u32, Entry>(c.terms.capacity()))
                .sum::<usize>()
            + table::<i64, u32>(self.by_id.capacity())
            + self.free.capacity() * 4;
        let postings: usize = self
            .categories
            .values()
            .map(|cat| {
                table::<u32, Vec<Posting>>(cat.postings.capacity())
                    + cat
                        .postings
                        .values()
                        .map(|l| l.capacity() * size_of::<Posting>())
                        .sum::<usize>()
            })
            .sum();
        size_of::<Self>() + vocab + clusters + postings
    }
}
