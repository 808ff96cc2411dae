//! Grouping: text features that work for Chinese and English alike (`text`), and the
//! in-process index that matches a new incident against cluster profiles (`matcher`),
//! rebuilt at start with `IndexBuilder`. `eval` measures quality on a labelled set.

mod builder;
pub mod eval;
pub mod lexicon;
pub mod matcher;
mod profile;
mod query;
pub mod text;

pub use builder::IndexBuilder;
pub use matcher::{ClusterIndex, DEFAULT_JOIN_THRESHOLD, IndexStats, Match};

/// The quality targets on the labelled set (`data/grouping_eval.tsv`), at the default
/// threshold. `cargo run --release --example grouping_eval` prints the full sweep.
#[cfg(test)]
mod quality {
    use super::{DEFAULT_JOIN_THRESHOLD, eval};

    fn load() -> Vec<eval::EvalIncident> {
        eval::parse_tsv(include_str!("../../../data/grouping_eval.tsv")).expect("parse eval set")
    }

    #[test]
    fn eval_set_is_large_varied_and_balanced() {
        let set = load();
        assert!(set.len() >= 400, "{} incidents", set.len());
        let groups: std::collections::BTreeSet<&str> =
            set.iter().map(|i| i.group.as_str()).collect();
        assert!(groups.len() >= 20, "{} groups", groups.len());
        let zh = set.iter().filter(|i| i.lang == "zh").count();
        let en = set.iter().filter(|i| i.lang == "en").count();
        assert!(zh.abs_diff(en) <= set.len() / 20, "zh {zh} en {en}");
        let cats: std::collections::BTreeSet<&str> =
            set.iter().map(|i| i.category.as_str()).collect();
        assert_eq!(cats.len(), 5, "{cats:?}");
    }

    #[test]
    fn default_threshold_meets_the_targets() {
        let set = load();
        let r = eval::evaluate(&set, DEFAULT_JOIN_THRESHOLD, &eval::SEEDS);
        assert!(r.wrong_pct() < 3.0, "wrong {:.2}%", r.wrong_pct());
        assert!(
            r.right_or_one_click_pct() >= 95.0,
            "right or one click {:.2}%",
            r.right_or_one_click_pct()
        );
        assert!(r.precision > 0.9, "pairwise precision {:.3}", r.precision);
        assert!(r.f1 > 0.45, "pairwise F1 {:.3}", r.f1);
    }

    #[test]
    fn filing_order_is_reproducible() {
        let set = load();
        let a = eval::evaluate_once(&set, DEFAULT_JOIN_THRESHOLD, 3);
        let b = eval::evaluate_once(&set, DEFAULT_JOIN_THRESHOLD, 3);
        assert_eq!(a.counts, b.counts);
        assert_eq!(a.counts.iter().sum::<usize>(), set.len());
    }
}
