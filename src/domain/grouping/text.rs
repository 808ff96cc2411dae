//! Normaliser and tokenizer for incident text in Simplified Chinese, English
//! and both mixed. CJK runs become character unigrams and bigrams (Chinese has
//! no spaces, so n-grams stand in for words); Latin text becomes lightly
//! stemmed words; words of the bilingual lexicon (`lexicon.rs`) in either
//! language become shared concept terms ("审批", "approved" -> `@approval`),
//! counted once instead of as their n-grams or word. Numbers and order ids
//! are dropped: every category mentions them, so they would only make
//! unrelated incidents look alike.

use super::bridge;
use super::clean;
use super::lexicon::{self, CONCEPT_MARK};
use rustc_hash::FxHashMap;
use std::cell::RefCell;

/// Inputs are cut to these sizes first: the head of an incident says what it
/// is about, and the cut bounds the work for pasted logs.
pub const MAX_TITLE_BYTES: usize = 1024;
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// Title words say what the incident is; the body adds context and noise.
pub const TITLE_WEIGHT: f32 = 2.0;
/// A body's weight shrinks with its length (by the square root of
/// `BODY_REFERENCE_CHARS` over its length), so that a long description adds
/// evidence to the title instead of drowning it in one-off words.
const BODY_REFERENCE_CHARS: f32 = 40.0;
/// Character trigrams of Latin words (with word boundaries), so that a
/// truncated or misspelt word ("requisiti", "approvl") still shares most of
/// its trigrams with the full form. Light: a word's trigrams together weigh
/// about as much as the word.
const LATIN_TRIGRAM: f32 = 0.15;
const MIN_TRIGRAM_WORD: usize = 4;
/// A single Han character is ambiguous (审 in 审批 and 审核), a bigram much
/// less; unigrams mostly serve one-character words and typos.
const CJK_UNIGRAM: f32 = 0.15;
const CJK_BIGRAM: f32 = 1.0;
const WORD: f32 = 1.0;
/// Concepts are the only bridge between a Chinese and an English incident,
/// and stand for a whole dictionary word; measured, 2 beat 1.5 and 3.
const CONCEPT: f32 = 2.0;
/// An English dictionary word becomes its concept at a word's weight: it
/// replaces one word. A Chinese one replaces a bigram and its unigrams,
/// and Chinese text yields more terms per idea, hence the heavier `CONCEPT`.
const EN_CONCEPT: f32 = WORD;
/// Longer "words" are hashes, URLs or base64, not language.
const MAX_WORD_CHARS: usize = 40;

/// Full-width ASCII forms (U+FF01..U+FF5E) to ASCII, and the ideographic
/// space to a space, as Chinese input methods type "ＯＡ" and "，".
pub fn fold_fullwidth(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// Combining marks and invisible format characters: dropped, so "cafe\u{301}"
/// stays one word and a zero-width joiner never splits one.
fn is_transparent(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200B..=0x200F
        | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0xFEFF)
}

/// Han ideographs, kana and Hangul: scripts written without spaces.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF
        | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Characters that glue an id together ("SO-2026-0042", "order#1182").
fn is_joiner(c: char) -> bool {
    matches!(c, '-' | '_' | '/' | '.' | '#' | ':' | '+' | '&' | '\\')
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// The longest prefix of `s` of at most `max` bytes that ends on a char boundary.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Truncates, folds full-width forms, drops combining marks and invisible
/// characters, turns control characters into spaces and lower-cases.
pub fn normalize(text: &str, max_bytes: usize) -> String {
    let mut chars = Vec::new();
    normalize_into(text, max_bytes, &mut chars);
    chars.into_iter().collect()
}

/// `normalize` into a reusable buffer of characters, which is what the
/// tokenizer scans.
fn normalize_into(text: &str, max_bytes: usize, out: &mut Vec<char>) {
    out.clear();
    for c in truncate_utf8(text, max_bytes).chars() {
        let c = fold_fullwidth(c);
        if c.is_ascii() {
            out.push(if c.is_ascii_control() {
                ' '
            } else {
                c.to_ascii_lowercase()
            });
        } else if is_cjk(c) {
            out.push(c); // no case, and the common case: skip the tables
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.extend(c.to_lowercase().filter(|&l| !is_transparent(l)));
        }
    }
    clean::collapse_repeats(out);
}

/// A term's weight in one incident from its heaviest occurrence and the sum
/// of all: repeats add sub-linearly (the fifth "审批" says little more),
/// while a single title or concept occurrence keeps its full weight.
pub fn damp(max: f32, sum: f32) -> f32 {
    if max <= 0.0 {
        return 0.0;
    }
    max * (1.0 + (sum / max).ln())
}

/// The terms of an incident with their weights (repeats merged and damped),
/// sorted by term. Title terms weigh `TITLE_WEIGHT` times more.
pub fn terms(title: &str, body: &str) -> Vec<(String, f32)> {
    let mut acc: FxHashMap<String, (f32, f32)> = FxHashMap::default();
    for_each_term(title, body, |t, w, _| match acc.get_mut(t) {
        Some(v) => *v = (v.0.max(w), v.1 + w),
        None => {
            acc.insert(t.to_owned(), (w, w));
        }
    });
    let mut out: Vec<(String, f32)> = acc
        .into_iter()
        .map(|(t, (max, sum))| (t, damp(max, sum)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The form of a term to show people: concepts lose their mark
/// ("@approval" -> "approval"); n-grams and words are shown as they are.
/// (`Match::matched_terms` goes further and shows the incident's own words.)
pub fn display_term(term: &str) -> &str {
    term.strip_prefix(CONCEPT_MARK).unwrap_or(term)
}

/// Whether a term reads well on its own in "joined because: ...": words,
/// bigrams and concepts do; single Han characters and character trigrams do
/// not. These whole terms are also all that consolidation compares: the
/// fuzzy ones are there for a typo in one short text, and in a profile they
/// mostly echo the words beside them.
pub fn is_explanatory(term: &str) -> bool {
    term.chars().nth(1).is_some() && !term.starts_with(lexicon::GRAM_MARK)
}

/// Calls `f(term, weight, surface)` for every term occurrence, without
/// allocating per term. `surface` is the text as written (lower-cased,
/// unstemmed; for a concept, the dictionary word that produced it), for
/// explanations in the reporter's own words.
pub fn for_each_term<F: FnMut(&str, f32, &str)>(title: &str, body: &str, mut f: F) {
    thread_local! {
        static BUFFERS: RefCell<Buffers> = RefCell::default();
    }
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut b) => tokenize(&mut b, title, body, &mut f),
        // A callback that tokenizes again gets buffers of its own.
        Err(_) => tokenize(&mut Buffers::default(), title, body, &mut f),
    });
}

fn tokenize<F: FnMut(&str, f32, &str)>(b: &mut Buffers, title: &str, body: &str, f: &mut F) {
    let mut chars = std::mem::take(&mut b.chars);
    let mut t = Tokenizer { f, b };
    normalize_into(title, MAX_TITLE_BYTES, &mut chars);
    t.field(&chars, TITLE_WEIGHT);
    t.b.prev.clear();
    normalize_into(body, MAX_BODY_BYTES, &mut chars);
    clean::cut_signoff(&mut chars);
    t.field(&chars, body_weight(&chars));
    t.b.prev.clear();
    b.chars = chars;
}

/// The weight of a body's terms: full for a short note, less for a long one
/// (see `BODY_REFERENCE_CHARS`).
fn body_weight(chars: &[char]) -> f32 {
    let len = chars.iter().filter(|c| !c.is_whitespace()).count() as f32;
    (BODY_REFERENCE_CHARS / len.max(1.0)).sqrt().min(1.0)
}

mod tokenizer;
use tokenizer::{Buffers, Tokenizer};

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
