//! Why two clusters are alike, in words a lead reads: the terms both profiles
//! weigh most, and where the two are written differently, both spellings side
//! by side: a concept of the word list met in two languages ("审批 ≈ approval")
//! or a pair the mixed incidents taught (`crossing`: "报关 ≈ customs"). The
//! consolidation pass writes these on the trail with each merge it makes, so a
//! Chinese cluster merged into an English one says what brought them together.

use super::incident_terms::IncidentTerms;
use super::matcher::ClusterIndex;
use rustc_hash::FxHashMap;

/// A term id's surface as the given texts wrote it (the first spelling met).
type Surfaces<'t> = FxHashMap<u32, &'t str>;

impl ClusterIndex {
    /// Up to `n` reasons why cluster `a` is like cluster `b`, heaviest first.
    /// `a_texts` and `b_texts` are some of each cluster's incidents, tokenized: a
    /// term is shown in the spelling its own side used, and a term that neither
    /// side's texts spell is left out (the index keeps no words, only their keys).
    pub fn likeness(
        &self,
        a: i64,
        b: i64,
        a_texts: &[IncidentTerms],
        b_texts: &[IncidentTerms],
        n: usize,
    ) -> Vec<String> {
        let (Some(&sa), Some(&sb)) = (self.by_id.get(&a), self.by_id.get(&b)) else {
            return Vec::new();
        };
        let (ca, cb) = (&self.clusters[sa as usize], &self.clusters[sb as usize]);
        let (words_a, words_b) = (self.surfaces(a_texts), self.surfaces(b_texts));
        let gain = super::crossing::gain();
        let mut parts: Vec<(f32, String)> = Vec::new();
        for (&t, e) in &ca.terms {
            if !self.explain[t as usize] {
                continue;
            }
            let Some(&word) = words_a.get(&t) else {
                continue;
            };
            let weight = e.weight * self.idf_of(t);
            if let Some(f) = cb.terms.get(&t) {
                let label = match words_b.get(&t) {
                    Some(&other) if !other.eq_ignore_ascii_case(word) => {
                        format!("{word} ≈ {other}")
                    }
                    _ => word.to_string(),
                };
                parts.push((weight * f.weight * self.idf_of(t), label));
            }
            for (u, strength) in self.crossing.partners(t) {
                // A partner `a` holds itself is counted as a shared term.
                if ca.terms.contains_key(&u) {
                    continue;
                }
                let (Some(f), Some(&other)) = (cb.terms.get(&u), words_b.get(&u)) else {
                    continue;
                };
                let w = weight * strength * gain * f.weight * self.idf_of(u);
                parts.push((w, format!("{word} ≈ {other}")));
            }
        }
        parts.sort_by(|x, y| y.0.total_cmp(&x.0).then_with(|| x.1.cmp(&y.1)));
        let mut out: Vec<String> = Vec::with_capacity(n);
        for (_, label) in parts {
            if out.len() == n {
                break;
            }
            if !out.contains(&label) {
                out.push(label);
            }
        }
        out
    }

    fn surfaces<'t>(&self, texts: &'t [IncidentTerms]) -> Surfaces<'t> {
        let mut out = Surfaces::default();
        for terms in texts {
            for o in terms.occurrences() {
                if let Some(&id) = self.vocab.get(&o.key) {
                    out.entry(id).or_insert_with(|| terms.surface(o));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::incident_terms::IncidentTerms;
    use super::super::matcher::ClusterIndex;

    fn texts(titles: &[&str]) -> Vec<IncidentTerms> {
        titles.iter().map(|t| IncidentTerms::of(t, "")).collect()
    }

    /// An index of one category holding each cluster's titles.
    fn index(clusters: &[(i64, &[&str])]) -> ClusterIndex {
        let mut ix = ClusterIndex::new();
        for &(id, titles) in clusters {
            for t in titles {
                ix.add_incident(id, 1, t, "");
            }
        }
        ix
    }

    #[test]
    fn shared_words_come_first_in_their_own_spelling() {
        let a = ["打印机卡纸了", "打印机又卡纸"];
        let b = ["三楼打印机卡纸", "打印机卡纸 急"];
        let ix = index(&[(1, &a), (2, &b), (3, &["报销单据丢了"])]);
        let why = ix.likeness(1, 2, &texts(&a), &texts(&b), 3);
        assert!(!why.is_empty(), "{why:?}");
        assert!(
            why.iter().any(|w| w.contains("打印")),
            "the printer is the shared word: {why:?}"
        );
        // A cluster about something else shares nothing worth saying.
        let none = ix.likeness(1, 3, &texts(&a), &texts(&["报销单据丢了"]), 3);
        assert!(none.iter().all(|w| !w.contains("打印")), "{none:?}");
    }

    #[test]
    fn a_pair_learnt_from_mixed_incidents_is_shown_as_both_words() {
        let zh = ["报关资料谁准备", "报关资料在哪里"];
        let en = [
            "customs paperwork for export",
            "who prepares customs paperwork",
        ];
        let ix = index(&[(1, &zh), (2, &en), (5, &["报关 customs 问题"])]);
        let why = ix.likeness(1, 2, &texts(&zh), &texts(&en), 5);
        assert!(
            why.iter()
                .any(|w| w.contains("报关") && w.contains("customs")),
            "{why:?}"
        );
        // The other way round, each side in its own words.
        let back = ix.likeness(2, 1, &texts(&en), &texts(&zh), 5);
        assert!(
            back.iter()
                .any(|w| w.starts_with("customs") && w.contains("报关")),
            "{back:?}"
        );
    }

    #[test]
    fn unknown_clusters_have_no_reasons() {
        let ix = ClusterIndex::new();
        assert!(ix.likeness(1, 2, &[], &[], 3).is_empty());
    }
}
