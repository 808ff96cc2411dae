//! The Chinese–English bridge: Chinese dictionary words (two to four
//! characters) and the English content words of their glosses, from
//! CC-CEDICT (`data/lexicon/cedict_bridge.tsv`, CC BY-SA 4.0, made by
//! `tools/cedict_bridge.py`). A Chinese word found in a text also emits the
//! terms its English words emit in an English text (their stems, or the
//! hand-written lexicon's concept where it has one), so "空调坏了" and "the
//! air conditioning is broken" share the term of "conditioning". The hand
//! lexicon (`lexicon.rs`) wins where both know a word, and the bridge's terms
//! weigh less than its concepts: a dictionary gloss is a translation, not a
//! word a team uses about its problem.

use super::lexicon;
use rustc_hash::FxHashMap;
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU32, Ordering};

const SOURCE: &str = include_str!("../../../data/lexicon/cedict_bridge.tsv");

/// Chinese words of the bridge are two to four characters long.
const MIN_CHARS: usize = 2;
const MAX_CHARS: usize = 4;

/// The weight of one bridge term, relative to an English word's. Chosen on
/// the tuning halves (`cargo run --release --example grouping_eval --
/// --sweep-bridge`: 0.4 to 0.6 measure alike, 1.0 less well).
pub const DEFAULT_WEIGHT: f32 = 0.5;

/// The bridge terms' weight (`f32` bits); 0 switches the bridge off.
static WEIGHT: AtomicU32 = AtomicU32::new(DEFAULT_WEIGHT.to_bits());

/// An English term that more than this many Chinese words of the bridge
/// emit ("condition", "system") is generic: it would join unrelated
/// problems, and is left out. Chosen on the tuning halves (`--
/// --bridge-spread N`: 10 to 18 measure alike; from 20, and with the weight of
/// such terms lowered instead of cut, two problems of the chat set's merge).
/// The generator already drops words of more than 100 senses.
pub const DEFAULT_MAX_SPREAD: u32 = 12;
static MAX_SPREAD: AtomicU32 = AtomicU32::new(DEFAULT_MAX_SPREAD);

/// Sets the spread above which a term is left out, for measuring.
pub fn set_max_spread(n: u32) {
    MAX_SPREAD.store(n, Ordering::Relaxed);
}

/// The weight of a bridge term, or 0 when the bridge is off (also when the
/// bilingual word list is: `-- --monolingual`).
pub fn weight() -> f32 {
    if lexicon::bilingual() {
        f32::from_bits(WEIGHT.load(Ordering::Relaxed))
    } else {
        0.0
    }
}

/// Sets the bridge terms' weight, for measuring (0: off).
pub fn set_weight(w: f32) {
    WEIGHT.store(w.max(0.0).to_bits(), Ordering::Relaxed);
}

struct Bridge {
    /// Packed characters of a word (`key`) -> its range in `terms`.
    words: FxHashMap<u64, (u32, u32)>,
    /// Each term with how many Chinese words emit it.
    terms: Vec<(Box<str>, u32)>,
}

/// Up to four characters of the Basic Multilingual Plane in one key; `None`
/// for other characters (the bridge holds none).
fn key(chars: &[char]) -> Option<u64> {
    let mut k = 0u64;
    for &c in chars {
        let c = u32::from(c);
        if c > 0xFFFF {
            return None;
        }
        k = (k << 16) | u64::from(c);
    }
    Some(k | ((chars.len() as u64) << 62))
}

static BRIDGE: LazyLock<Bridge> = LazyLock::new(|| parse(SOURCE));

fn parse(source: &str) -> Bridge {
    let mut words = FxHashMap::default();
    let mut terms: Vec<(Box<str>, u32)> = Vec::new();
    let mut stem = String::new();
    for line in source.lines().filter(|l| !l.starts_with('#')) {
        let Some((zh, en)) = line.split_once('\t') else {
            continue;
        };
        let chars: Vec<char> = zh.chars().collect();
        if !(MIN_CHARS..=MAX_CHARS).contains(&chars.len()) || is_zh_stop(&chars) {
            continue;
        }
        let Some(k) = key(&chars) else { continue };
        let start = terms.len();
        for word in en.split_whitespace() {
            if lexicon::is_en_stop(word) || lexicon::is_negation(word) {
                continue;
            }
            lexicon::stem_into(word, &mut stem);
            if lexicon::is_en_stop(&stem) {
                continue; // "knowing" is "know"
            }
            let term: Box<str> = match lexicon::en_concept(&stem) {
                Some(c) => format!("{}{c}", lexicon::CONCEPT_MARK).into(),
                None => stem.as_str().into(),
            };
            if !terms[start..].iter().any(|(t, _)| *t == term) {
                terms.push((term, 0));
            }
        }
        if terms.len() > start {
            words.insert(k, (start as u32, terms.len() as u32));
        }
    }
    let mut spread: FxHashMap<&str, u32> = FxHashMap::default();
    for (t, _) in &terms {
        *spread.entry(t).or_default() += 1;
    }
    let counts: Vec<u32> = terms.iter().map(|(t, _)| spread[&**t]).collect();
    for ((_, n), c) in terms.iter_mut().zip(counts) {
        *n = c;
    }
    Bridge { words, terms }
}

/// A word the tokenizer drops as a stop word is not bridged either.
fn is_zh_stop(chars: &[char]) -> bool {
    lexicon::zh_lookup(chars, 0).0 == chars.len()
}

/// The longest bridge word starting at `run[i]`: its length and the terms
/// its English words emit, generic ones left out.
pub fn lookup(run: &[char], i: usize) -> Option<(usize, impl Iterator<Item = &'static str>)> {
    let bridge = &*BRIDGE;
    let longest = MAX_CHARS.min(run.len() - i);
    let max_spread = MAX_SPREAD.load(Ordering::Relaxed);
    (MIN_CHARS..=longest).rev().find_map(|len| {
        let (from, to) = *bridge.words.get(&key(&run[i..i + len])?)?;
        let terms = bridge.terms[from as usize..to as usize]
            .iter()
            .filter(move |(_, n)| *n <= max_spread)
            .map(|(t, _)| &**t);
        Some((len, terms))
    })
}

/// How many Chinese words the bridge holds.
pub fn len() -> usize {
    BRIDGE.words.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms_of(zh: &str) -> Vec<String> {
        let run: Vec<char> = zh.chars().collect();
        match lookup(&run, 0) {
            Some((len, terms)) if len == run.len() => terms.map(str::to_string).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn loads_the_dictionary() {
        assert!(len() > 50_000, "{} words", len());
    }

    #[test]
    fn chinese_words_emit_their_english_stems() {
        assert!(terms_of("空调").contains(&"conditioner".to_string()));
        assert!(terms_of("条码").contains(&"barcod".to_string()));
        // A gloss word of the hand-written word list emits its concept.
        assert!(terms_of("密码").contains(&"@password".to_string()));
    }

    #[test]
    fn finds_the_longest_word() {
        let run: Vec<char> = "打印机坏了".chars().collect();
        assert_eq!(lookup(&run, 0).map(|(l, _)| l), Some(3));
    }

    #[test]
    fn stop_words_and_generic_glosses_do_not_bridge() {
        // 已经 "already" is a stop word in both languages.
        assert!(terms_of("已经").is_empty());
        for (t, _) in &BRIDGE.terms {
            assert!(!lexicon::is_en_stop(t), "{t}");
        }
    }
}
