//! Prints the grouping evaluation on the three labelled sets, each split into
//! a tuning half and a held-out half, judged at filing time and settled (after
//! the consolidation pass), at the default thresholds. With `--sweep`, first a
//! sweep of both thresholds on the tuning halves of the first two sets only:
//! the third (`grouping_eval_ops.tsv`, other problems in other words) is never
//! tuned on, not even its tuning half. With `--monolingual`,
//! Chinese and English words of one concept no longer share a term: what the
//! bilingual word list and the CC-CEDICT bridge buy; with `--no-bridge`, the
//! word list without the bridge. `--bridge W`, `--join J` and `--merge M` set
//! the bridge terms' weight and the thresholds; `--tuning-only` prints the
//! tuning halves only (for choosing them); `--sweep-bridge` sweeps the bridge
//! weight on the tuning halves of the first two sets at the thresholds given.
//! Run: `cargo run --release --example grouping_eval [-- --sweep] [-- --monolingual]`

use rungs::domain::grouping::bridge;
use rungs::domain::grouping::eval::{self, EvalIncident, EvalReport, Settings};
use std::fmt::Write as _;

const SETS: [(&str, &str); 3] = [
    ("project set", "data/grouping_eval.tsv"),
    ("chat set", "data/grouping_eval_chat.tsv"),
    ("ops set (never tuned on)", "data/grouping_eval_ops.tsv"),
];
/// The sets whose tuning halves the sweep may use.
const TUNED_ON: usize = 2;

fn load(path: &str) -> Vec<EvalIncident> {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("read {full}: {e}"));
    eval::parse_tsv(&text).unwrap_or_else(|e| panic!("parse {full}: {e}"))
}

fn describe(set: &[EvalIncident]) -> String {
    let groups: std::collections::BTreeSet<&str> = set.iter().map(|i| i.group.as_str()).collect();
    let count = |l: &str| set.iter().filter(|i| i.lang == l).count();
    format!(
        "{} incidents ({} zh, {} en, {} mixed) in {} problems",
        set.len(),
        count("zh"),
        count("en"),
        count("mixed"),
        groups.len()
    )
}

/// The value after `--name`, parsed.
fn arg(name: &str) -> Option<f64> {
    let args: Vec<String> = std::env::args().collect();
    let i = args.iter().position(|a| a == name)?;
    let v = args.get(i + 1)?;
    Some(v.parse().unwrap_or_else(|e| panic!("{name} {v}: {e}")))
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn main() {
    let sweep = flag("--sweep");
    if flag("--monolingual") {
        rungs::domain::grouping::lexicon::set_bilingual(false);
        println!("monolingual: Chinese concepts do not share terms with English ones");
    }
    if flag("--no-bridge") {
        bridge::set_weight(0.0);
    }
    if let Some(g) = arg("--crossing") {
        rungs::domain::grouping::crossing::set_gain(g as f32);
    }
    if flag("--no-crossing") {
        rungs::domain::grouping::crossing::set_gain(0.0);
    }
    if let Some(n) = arg("--bridge-spread") {
        bridge::set_max_spread(n as u32);
    }
    if let Some(w) = arg("--bridge") {
        bridge::set_weight(w as f32);
    }
    println!(
        "bridge ({} Chinese words) weight {:.2}",
        bridge::len(),
        bridge::weight()
    );
    let mut s = Settings::DEFAULT;
    s.join = arg("--join").unwrap_or(s.join);
    s.merge = arg("--merge").unwrap_or(s.merge);
    let sets: Vec<(&str, Vec<EvalIncident>, Vec<EvalIncident>)> = SETS
        .iter()
        .map(|(name, path)| {
            let (tuning, held_out) = eval::halves(&load(path));
            (*name, tuning, held_out)
        })
        .collect();
    println!("{} shuffled filings pooled per figure\n", eval::SEEDS.len());
    if sweep {
        sweep_tuning(&sets[..TUNED_ON]);
    }
    if flag("--sweep-bridge") {
        sweep_bridge(&sets[..TUNED_ON], s);
    }
    if flag("--show") {
        show_tuning(&sets[..TUNED_ON], s);
        return;
    }
    println!(
        "at the defaults (join {:.2}, merge {:.2}):",
        s.join, s.merge
    );
    for (name, tuning, held_out) in &sets {
        let halves = [("tuning half", tuning), ("held-out half", held_out)];
        let shown = if flag("--tuning-only") { 1 } else { 2 };
        for (half, set) in halves.into_iter().take(shown) {
            println!("\n{name}, {half}: {}", describe(set));
            let r = eval::evaluate(set, s, &eval::SEEDS);
            print!("{}{}", format_header(), format_row(&r));
            println!(
                "targets (settled F1 >= 0.75, wrong < 3%, right or one click >= 95%, clusters <= 2x problems): {}",
                if r.meets_targets_by(0.0) {
                    "met"
                } else {
                    "not met"
                }
            );
            println!("  by language, settled (right, one click, wrong, missed):");
            for (lang, c) in &r.settled.by_lang {
                println!("    {lang:6} {c:?}");
            }
        }
    }
}

/// One report on a line: filing and settled figures.
fn brief(r: &EvalReport) -> String {
    format!(
        "[filing wrong {:.2}% r+1 {:.2}% F1 {:.3} | settled wrong {:.2}% r+1 {:.2}% F1 {:.3} clusters {:.1}/{}]",
        r.filing.wrong_pct(),
        r.filing.right_or_one_click_pct(),
        r.filing.f1,
        r.settled.wrong_pct(),
        r.settled.right_or_one_click_pct(),
        r.settled.f1,
        r.settled.clusters,
        r.problems
    )
}

/// Every pair of thresholds on the tuning halves of the sets given; the best is
/// the one with the highest worse settled F1 among those meeting the targets.
fn sweep_tuning(sets: &[(&str, Vec<EvalIncident>, Vec<EvalIncident>)]) {
    let seeds = &eval::SEEDS[..8];
    let mut best: Option<(f64, Settings)> = None;
    println!("sweep on the tuning halves ({} filings each):", seeds.len());
    for join in (11..=22).map(|t| f64::from(t) * 0.02) {
        for merge in (2..=12).map(|t| f64::from(t) * 0.025) {
            let settings = Settings { join, merge };
            let reports: Vec<EvalReport> = sets
                .iter()
                .map(|(_, tuning, _)| eval::evaluate(tuning, settings, seeds))
                .collect();
            let worst = reports
                .iter()
                .map(|r| r.settled.f1)
                .fold(f64::INFINITY, f64::min);
            let ok = reports.iter().all(|r| r.meets_targets_by(eval::MARGIN_PP));
            println!(
                "join {join:.2} merge {merge:.2}: {} {}",
                reports.iter().map(brief).collect::<Vec<_>>().join(" "),
                if ok { "ok" } else { "-" }
            );
            if ok && best.is_none_or(|(f, _)| worst > f) {
                best = Some((worst, settings));
            }
        }
    }
    match best {
        Some((f1, s)) => println!(
            "\nbest: join {:.2} merge {:.2} (worse settled F1 of the two tuning halves {f1:.3})\n",
            s.join, s.merge
        ),
        None => println!("\nno setting meets the targets on both tuning halves\n"),
    }
}

/// The bridge terms' weight from 0 (off) to 1 on the tuning halves given, at
/// the thresholds given.
fn sweep_bridge(sets: &[(&str, Vec<EvalIncident>, Vec<EvalIncident>)], settings: Settings) {
    let seeds = &eval::SEEDS[..8];
    println!(
        "bridge weight on the tuning halves ({} filings each, join {:.2}, merge {:.3}):",
        seeds.len(),
        settings.join,
        settings.merge
    );
    let before = bridge::weight();
    for w in [0.0, 0.25, 0.4, 0.5, 0.6, 0.75, 1.0] {
        bridge::set_weight(w);
        let rows: Vec<String> = sets
            .iter()
            .map(|(_, tuning, _)| brief(&eval::evaluate(tuning, settings, seeds)))
            .collect();
        println!("bridge {w:.2}: {}", rows.join(" "));
    }
    bridge::set_weight(before);
    println!();
}

/// `--show`: the settled clusters of one filing of each tuning half given, problem
/// by problem, with each incident's text, to read what the grouping did.
fn show_tuning(sets: &[(&str, Vec<EvalIncident>, Vec<EvalIncident>)], settings: Settings) {
    for (name, tuning, _) in sets {
        println!("{name}, tuning half, one filing order:");
        let clusters = eval::settled_clusters(tuning, settings, eval::SEEDS[0]);
        let mut groups: Vec<&str> = tuning.iter().map(|i| i.group.as_str()).collect();
        groups.sort_unstable();
        groups.dedup();
        for g in groups {
            println!("\n  problem {g}:");
            for c in clusters
                .iter()
                .filter(|c| c.iter().any(|&i| tuning[i].group == g))
            {
                let own = c.iter().filter(|&&i| tuning[i].group == g).count();
                println!("    cluster of {} ({} of this problem):", c.len(), own);
                for &i in c.iter().take(6) {
                    let inc = &tuning[i];
                    let mark = if inc.group == g { " " } else { "!" };
                    println!(
                        "     {mark} [{}] {} | {}",
                        inc.category,
                        inc.title,
                        inc.body.chars().take(60).collect::<String>()
                    );
                }
            }
        }
    }
}

/// The columns of `format_row`.
fn format_header() -> &'static str {
    "join  merge  when     wrong%  right+1click%  right  1click  wrong  missed  clusters/problems  P      R      F1\n"
}

/// A report's filing and settled figures, a line each.
fn format_row(r: &EvalReport) -> String {
    let mut s = String::new();
    for (when, f) in [("filing", &r.filing), ("settled", &r.settled)] {
        let _ = writeln!(
            s,
            "{:4.2}  {:5.2}  {:7}  {:6.2}  {:13.2}  {:5}  {:6}  {:5}  {:6}  {:8.1}/{:<8}  {:.3}  {:.3}  {:.3}",
            r.settings.join,
            r.settings.merge,
            when,
            f.wrong_pct(),
            f.right_or_one_click_pct(),
            f.counts[0],
            f.counts[1],
            f.counts[2],
            f.counts[3],
            f.clusters,
            r.problems,
            f.precision,
            f.recall,
            f.f1,
        );
    }
    s
}
