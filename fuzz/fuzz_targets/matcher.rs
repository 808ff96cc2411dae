//! The grouping index (`domain::grouping::ClusterIndex`, `IndexBuilder`) under a fuzzed
//! sequence of filings, withdrawals, merges, removals and queries, checked against a
//! model of which clusters hold how many incidents.
//!
//! Input: a stream of operations; each text is either raw bytes (lossy UTF-8) or words
//! picked from a small Chinese and English vocabulary, so that clusters share terms.
//!
//! Asserts:
//! - after every operation: the clusters the index contains, their incident counts, the
//!   total incident count and `stats().clusters` agree with the model;
//! - `best_matches(category, title, body, k, exclude)`: at most `k` results, best first,
//!   no cluster twice, none excluded, each a cluster of the index in that category;
//!   each score finite, in [0, 1] and at most the cluster-size factor n / (n + 0.5);
//!   at most 4 explanation terms, non-empty and distinct;
//! - when only filings happened and no profile can have been pruned, `IndexBuilder` over
//!   the same filings gives the same `stats()` and the same scores (within 1e-4).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rungs::domain::grouping::{ClusterIndex, IndexBuilder, text};
use std::collections::{BTreeMap, BTreeSet};

const WORDS: [&str; 32] = [
    "审批",
    "进度",
    "催",
    "订单",
    "客户",
    "驳回",
    "原因",
    "系统",
    "打不开",
    "报错",
    "机房",
    "空调",
    "请假",
    "的",
    "了",
    "还没",
    "approval",
    "order",
    "chasing",
    "stuck",
    "login",
    "log in",
    "rejected",
    "printer",
    "jammed",
    "slow",
    "1182",
    "SO-2026-0042",
    "can't",
    "ＯＡ",
    "e\u{301}",
    " ",
];

/// Fewer than `KEEP_TERMS` (80) distinct terms in every profile: nothing was pruned.
const UNPRUNED: usize = 80;

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn text(&mut self) -> Option<String> {
        let head = self.byte()?;
        let n = usize::from(head & 0x3F);
        if head & 0x40 == 0 {
            let n = n.min(self.0.len());
            let (t, rest) = self.0.split_at(n);
            self.0 = rest;
            Some(String::from_utf8_lossy(t).into_owned())
        } else {
            let mut s = String::new();
            for _ in 0..n % 12 {
                s.push_str(WORDS[usize::from(self.byte()?) % WORDS.len()]);
            }
            Some(s)
        }
    }
}

#[derive(Clone)]
struct Filing {
    cluster: i64,
    title: String,
    body: String,
}

#[derive(Default)]
struct Model {
    /// Cluster -> (category, incidents).
    clusters: BTreeMap<i64, (i64, u32)>,
    filings: Vec<Filing>,
    only_adds: bool,
    adds: Vec<(i64, i64, String, String)>,
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mut ix = ClusterIndex::new();
    let mut m = Model {
        only_adds: true,
        ..Model::default()
    };
    let mut ops = 0;
    while let Some(op) = input.byte() {
        ops += 1;
        if ops > 64 {
            break;
        }
        let cluster = i64::from(op >> 3 & 7);
        match op & 7 {
            0..=2 => {
                let category = i64::from(op >> 6 & 1);
                let (Some(title), Some(body)) = (input.text(), input.text()) else {
                    break;
                };
                ix.add_incident(cluster, category, &title, &body);
                let c = m.clusters.entry(cluster).or_insert((category, 0));
                *c = (category, c.1 + 1);
                m.adds
                    .push((cluster, category, title.clone(), body.clone()));
                m.filings.push(Filing {
                    cluster,
                    title,
                    body,
                });
            }
            3 => {
                // Withdraw an incident that was filed (and is still in the index).
                if m.filings.is_empty() {
                    continue;
                }
                let f = m.filings.remove(usize::from(op >> 3) % m.filings.len());
                ix.remove_incident(f.cluster, &f.title, &f.body);
                if let Some(c) = m.clusters.get_mut(&f.cluster) {
                    c.1 -= 1;
                }
                m.only_adds = false;
            }
            4 => {
                let Some(b) = input.byte() else { break };
                let into = i64::from(b & 7);
                ix.merge(cluster, into);
                if cluster != into {
                    if let Some((cat, n)) = m.clusters.remove(&cluster) {
                        match m.clusters.get_mut(&into) {
                            Some(c) => c.1 += n,
                            None => {
                                m.clusters.insert(into, (cat, n));
                            }
                        }
                        for f in m.filings.iter_mut().filter(|f| f.cluster == cluster) {
                            f.cluster = into;
                        }
                    }
                }
                m.only_adds = false;
            }
            5 => {
                ix.remove_cluster(cluster);
                m.clusters.remove(&cluster);
                m.filings.retain(|f| f.cluster != cluster);
                m.only_adds = false;
            }
            _ => {
                let (Some(b), Some(title), Some(body)) = (input.byte(), input.text(), input.text())
                else {
                    break;
                };
                let category = i64::from(op >> 6 & 1);
                let k = usize::from(b % 6);
                // Bits 3 to 7 exclude clusters 0 to 4.
                let exclude: Vec<i64> = (0..5).filter(|i| b >> (3 + i) & 1 == 1).collect();
                check_query(&ix, &m, category, &title, &body, k, &exclude);
            }
        }
        check_counts(&ix, &m);
    }
    if m.only_adds && !m.adds.is_empty() {
        check_bulk(&ix, &m);
    }
});

fn check_counts(ix: &ClusterIndex, m: &Model) {
    assert_eq!(ix.cluster_count(), m.clusters.len());
    assert_eq!(ix.stats().clusters, m.clusters.len());
    for id in 0..8 {
        assert_eq!(
            ix.contains(id),
            m.clusters.contains_key(&id),
            "cluster {id}"
        );
        let n = m.clusters.get(&id).map_or(0, |c| c.1);
        assert_eq!(ix.incident_count(id), n, "cluster {id}");
    }
    let total: u32 = m.clusters.values().map(|c| c.1).sum();
    assert_eq!(ix.stats().incidents, total as usize);
}

fn check_query(
    ix: &ClusterIndex,
    m: &Model,
    category: i64,
    title: &str,
    body: &str,
    k: usize,
    exclude: &[i64],
) {
    let found = ix.best_matches(category, title, body, k, exclude);
    assert!(found.len() <= k, "{found:?}");
    assert!(
        found.windows(2).all(|w| w[0].score >= w[1].score),
        "{found:?}"
    );
    let ids: BTreeSet<i64> = found.iter().map(|f| f.cluster_id).collect();
    assert_eq!(ids.len(), found.len(), "{found:?}");
    for f in &found {
        assert!(!exclude.contains(&f.cluster_id), "{found:?} {exclude:?}");
        let &(cat, n) = m
            .clusters
            .get(&f.cluster_id)
            .expect("a cluster of the index");
        assert_eq!(cat, category, "{found:?}");
        let size = f64::from(n.max(1)) / (f64::from(n.max(1)) + 0.5);
        assert!(
            f.score.is_finite() && f.score >= 0.0 && f.score <= size + 1e-9,
            "{f:?} n={n}"
        );
        assert!(f.matched_terms.len() <= 4, "{f:?}");
        let terms: BTreeSet<&String> = f.matched_terms.iter().collect();
        assert_eq!(terms.len(), f.matched_terms.len(), "{f:?}");
        assert!(f.matched_terms.iter().all(|t| !t.is_empty()), "{f:?}");
    }
}

/// The bulk builder agrees with the live index when no profile was pruned.
fn check_bulk(ix: &ClusterIndex, m: &Model) {
    let mut profiles: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for (cluster, _, title, body) in &m.adds {
        let p = profiles.entry(*cluster).or_default();
        p.extend(text::terms(title, body).into_iter().map(|(t, _)| t));
    }
    if profiles.values().any(|p| p.len() >= UNPRUNED) {
        return;
    }
    let mut b = IndexBuilder::new();
    for (cluster, category, title, body) in &m.adds {
        b.add_incident(*cluster, *category, title, body);
    }
    let bulk = b.finish();
    assert_eq!(bulk.stats(), ix.stats());
    for (_, _, title, body) in m.adds.iter().take(4) {
        for category in [0, 1] {
            let a = ix.best_matches(category, title, body, 8, &[]);
            let b = bulk.best_matches(category, title, body, 8, &[]);
            assert_eq!(a.len(), b.len(), "{a:?} {b:?}");
            for (x, y) in a.iter().zip(&b) {
                assert!((x.score - y.score).abs() < 1e-4, "{a:?} {b:?}");
            }
        }
    }
}
