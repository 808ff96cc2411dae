//! Maintenance of `ClusterIndex` profiles and postings: interning, weight
//! updates, pruning, and the memory estimate.

use super::incident_terms::IncidentTerms;
use super::matcher::{Cluster, ClusterIndex, Entry, Posting, finish_vector};

/// A query incident's vector and the surface forms of its terms.
#[derive(Default)]
pub(crate) struct Query<'a> {
    pub terms: Vec<(u32, f32)>,
    pub unknown_sq: f32,
    /// Per known term occurrence: the term and the occurrence's index in `source`.
    surfaces: Vec<(u32, u32)>,
    source: Option<&'a IncidentTerms>,
}

impl Query<'_> {
    /// A query of normalised weights with no surface forms (another cluster's profile).
    pub fn from_terms(terms: Vec<(u32, f32)>) -> Self {
        Self {
            terms,
            ..Self::default()
        }
    }

    /// How the incident itself wrote a term ("审批", "approved").
    pub fn surface(&self, term: u32) -> &str {
        match (self.source, self.surfaces.iter().find(|s| s.0 == term)) {
            (Some(source), Some(&(_, i))) => source.surface(&source.occurrences()[i as usize]),
            _ => "",
        }
    }
}
use super::text;
use rustc_hash::FxHashMap;
use std::mem::size_of;

use super::matcher::{EPSILON, KEEP_TERMS, MAX_TERMS};

/// How much of their weight words no cluster has ever seen keep in a query's
/// norm. They are mostly names, typos and one-off details; counted in full
/// they made a described incident score lower than its bare title.
const UNKNOWN_SHARE: f32 = 0.5;

impl ClusterIndex {
    fn intern_key(&mut self, key: u64, explanatory: bool) -> u32 {
        if let Some(&id) = self.vocab.get(&key) {
            return id;
        }
        let id = self.explain.len() as u32;
        self.vocab.insert(key, id);
        self.explain.push(explanatory);
        self.df.push(0);
        id
    }

    /// The incident's normalised vector into `out`, interning new terms.
    /// Repeats are merged by term hash first: in a large index each
    /// vocabulary lookup is a cache miss, and incidents repeat terms a lot.
    pub(crate) fn vectorize(&mut self, terms: &IncidentTerms, out: &mut Vec<(u32, f32)>) {
        let mut raw: Vec<(u64, f32, bool)> = terms
            .occurrences()
            .iter()
            .map(|o| (o.key, o.weight, o.explanatory))
            .collect();
        raw.sort_unstable_by_key(|r| r.0);
        out.clear();
        let mut i = 0;
        while i < raw.len() {
            let (key, _, explanatory) = raw[i];
            let (mut max, mut sum) = (0.0f32, 0.0);
            while i < raw.len() && raw[i].0 == key {
                max = max.max(raw[i].1);
                sum += raw[i].1;
                i += 1;
            }
            out.push((self.intern_key(key, explanatory), text::damp(max, sum)));
        }
        // Each term is now one entry, so this only sorts and normalises.
        finish_vector(out, 0.0);
    }

    /// The incident's normalised vector over known terms, the squared
    /// normalised weight of terms the index has never seen (they still count
    /// in the query's norm: text no cluster shares lowers the similarity),
    /// and each known term's first surface form, for explanations.
    pub(crate) fn query_vector<'a>(&self, terms: &'a IncidentTerms) -> Query<'a> {
        let mut q = Query {
            source: Some(terms),
            ..Query::default()
        };
        let mut unknown: FxHashMap<&str, (f32, f32)> = FxHashMap::default();
        for (i, o) in terms.occurrences().iter().enumerate() {
            match self.vocab.get(&o.key) {
                Some(&id) => {
                    q.terms.push((id, o.weight));
                    q.surfaces.push((id, i as u32));
                }
                None => {
                    let e = unknown.entry(terms.term(o)).or_default();
                    *e = (e.0.max(o.weight), e.1 + o.weight);
                }
            }
        }
        let extra_sq: f32 = UNKNOWN_SHARE
            * unknown
                .values()
                .map(|&(max, sum)| text::damp(max, sum).powi(2))
                .sum::<f32>();
        let norm = finish_vector(&mut q.terms, extra_sq);
        q.unknown_sq = extra_sq / (norm * norm);
        q
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
            self.detach(cluster_id, false);
            let slot = self.slot_for(cluster_id, category);
            self.clusters[slot as usize].incidents = incidents;
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

    /// Removes a cluster's profile and postings; with `uncount`, its
    /// incidents also leave the document frequencies (terms pruned from the
    /// profile can't be uncounted: a small overcount, gone at the next rebuild).
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
        }
        if uncount {
            self.incidents = self.incidents.saturating_sub(c.incidents);
            let cat = self.categories.get_mut(&c.category);
            if let Some(cat) = cat {
                cat.incidents = cat.incidents.saturating_sub(c.incidents);
                for (t, e) in &terms {
                    if let Some(n) = cat.df.get_mut(t) {
                        *n = n.saturating_sub(e.count);
                    }
                }
            }
            for (t, e) in terms {
                self.df[t as usize] = self.df[t as usize].saturating_sub(e.count);
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
        // Give back what a long incident made the table grow to.
        c.terms.shrink_to(MAX_TERMS);
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
        let vocab = table::<u64, u32>(self.vocab.capacity())
            + self.explain.capacity()
            + self.df.capacity() * size_of::<u32>();
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
        size_of::<Self>() + vocab + clusters + postings + self.crossing.approx_memory_bytes()
    }
}
