//! The labelled sets of the grouping evaluation: parsing, the fixed shuffle,
//! the split into a tuning half and a held-out half, and pairwise scores.

use rustc_hash::FxHashMap;

#[derive(Clone, Debug)]
pub struct EvalIncident {
    pub group: String,
    pub category: String,
    pub lang: String,
    pub title: String,
    pub body: String,
}

/// Parses the TSV (header `group category lang title body`; body may be empty).
pub fn parse_tsv(text: &str) -> Result<Vec<EvalIncident>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 || f.len() > 5 {
            return Err(format!(
                "line {}: expected 5 tab-separated fields, got {}",
                n + 1,
                f.len()
            ));
        }
        let s = |i: usize| f.get(i).copied().unwrap_or("").to_string();
        out.push(EvalIncident {
            group: s(0),
            category: s(1),
            lang: s(2),
            title: s(3),
            body: s(4),
        });
    }
    Ok(out)
}

/// xorshift64*: a fixed, dependency-free shuffle order.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0), bias negligible for small n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// Splits a set into a tuning half and a held-out half by a hash of each row
/// (FNV-1a of its group, title and body), so the split is fixed, needs no
/// seed, and does not move when rows are added elsewhere in the file.
/// Weights and thresholds are chosen on the tuning half only.
pub fn halves(set: &[EvalIncident]) -> (Vec<EvalIncident>, Vec<EvalIncident>) {
    set.iter()
        .cloned()
        .partition(|inc| row_hash(inc).is_multiple_of(2))
}

fn row_hash(inc: &EvalIncident) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [&inc.group, &inc.title, &inc.body] {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Pairwise precision and recall of a clustering against true groups.
pub fn pairwise(assigned: &[usize], groups: &[usize]) -> (f64, f64) {
    let pairs = |n: usize| (n * n.saturating_sub(1) / 2) as f64;
    let mut both: FxHashMap<(usize, usize), usize> = FxHashMap::default();
    let mut by_cluster: FxHashMap<usize, usize> = FxHashMap::default();
    let mut by_group: FxHashMap<usize, usize> = FxHashMap::default();
    for (&c, &g) in assigned.iter().zip(groups) {
        *both.entry((c, g)).or_default() += 1;
        *by_cluster.entry(c).or_default() += 1;
        *by_group.entry(g).or_default() += 1;
    }
    let tp: f64 = both.values().map(|&n| pairs(n)).sum();
    let same_cluster: f64 = by_cluster.values().map(|&n| pairs(n)).sum();
    let same_group: f64 = by_group.values().map(|&n| pairs(n)).sum();
    let p = if same_cluster > 0.0 {
        tp / same_cluster
    } else {
        1.0
    };
    let r = if same_group > 0.0 {
        tp / same_group
    } else {
        1.0
    };
    (p, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairwise_scores() {
        // Perfect grouping, then everything in one cluster.
        assert_eq!(pairwise(&[0, 0, 1, 1], &[5, 5, 6, 6]), (1.0, 1.0));
        let (p, r) = pairwise(&[0, 0, 0, 0], &[5, 5, 6, 6]);
        assert!((p - 2.0 / 6.0).abs() < 1e-9 && r == 1.0);
        // All singletons: nothing claimed, nothing found.
        assert_eq!(pairwise(&[0, 1, 2, 3], &[5, 5, 6, 6]), (1.0, 0.0));
    }

    #[test]
    fn shuffle_is_a_fixed_permutation() {
        let mut a: Vec<usize> = (0..100).collect();
        let mut b = a.clone();
        XorShift::new(9).shuffle(&mut a);
        XorShift::new(9).shuffle(&mut b);
        assert_eq!(a, b);
        assert_ne!(a, (0..100).collect::<Vec<_>>());
        a.sort_unstable();
        assert_eq!(a, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn tsv_errors_name_the_line() {
        assert!(
            parse_tsv("group\tcategory\tlang\ttitle\tbody\na\tb\n")
                .unwrap_err()
                .contains("line 2")
        );
        let ok = parse_tsv("h\na\tb\tzh\t标题\t\n").unwrap();
        assert_eq!(ok[0].title, "标题");
    }

    #[test]
    fn halves_are_fixed_and_cover_the_set() {
        let rows: String = (0..200)
            .map(|i| format!("g{}\tc\ten\ttitle {i}\t\n", i % 7))
            .collect();
        let set = parse_tsv(&format!("h\n{rows}")).unwrap();
        let (a, b) = halves(&set);
        assert_eq!(a.len() + b.len(), 200);
        assert!(a.len().abs_diff(b.len()) < 40, "{} {}", a.len(), b.len());
        let (a2, _) = halves(&set);
        assert_eq!(
            a.iter().map(|i| &i.title).collect::<Vec<_>>(),
            a2.iter().map(|i| &i.title).collect::<Vec<_>>()
        );
    }
}
