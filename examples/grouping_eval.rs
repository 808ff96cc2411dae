//! Prints the threshold sweep of the grouping evaluation and the figures at
//! `DEFAULT_JOIN_THRESHOLD`. Run: `cargo run --release --example grouping_eval`

use rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD;
use rungs::domain::grouping::eval;

fn main() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/grouping_eval.tsv");
    let text = std::fs::read_to_string(path).expect("read data/grouping_eval.tsv");
    let set = eval::parse_tsv(&text).expect("parse eval set");
    let groups: std::collections::BTreeSet<&str> = set.iter().map(|i| i.group.as_str()).collect();
    let count = |l: &str| set.iter().filter(|i| i.lang == l).count();
    println!(
        "{} incidents ({} zh, {} en, {} mixed) in {} groups; {} shuffled filings pooled\n",
        set.len(),
        count("zh"),
        count("en"),
        count("mixed"),
        groups.len(),
        eval::SEEDS.len()
    );
    let thresholds: Vec<f64> = (4..=25).map(|t| f64::from(t) * 0.02).collect();
    let reports = eval::sweep(&set, &thresholds, &eval::SEEDS);
    print!("{}", eval::format_table(&reports));
    match eval::choose(&reports) {
        Some(best) => println!(
            "\nbest F1 meeting the targets with {} points to spare: threshold {:.2} (F1 {:.3})",
            eval::MARGIN_PP,
            best.threshold,
            best.f1
        ),
        None => println!("\nno threshold meets the targets"),
    }
    let current = eval::evaluate(&set, DEFAULT_JOIN_THRESHOLD, &eval::SEEDS);
    println!("\nat DEFAULT_JOIN_THRESHOLD = {DEFAULT_JOIN_THRESHOLD}:");
    print!("{}", eval::format_table(std::slice::from_ref(&current)));
    println!("by language of the incident filed (right, one click, wrong, missed):");
    for (lang, c) in &current.by_lang {
        let n = c.iter().sum::<usize>().max(1) as f64;
        println!("  {lang:6} {c:?}  wrong {:.2}%", 100.0 * c[2] as f64 / n);
    }
}
