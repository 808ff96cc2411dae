//! The grouping text pipeline (`domain::grouping::text`) on arbitrary text.
//!
//! Input: two little-endian bytes give a byte bound (0..4096), the rest is a title and a
//! body separated by the first 0xFF byte (never part of UTF-8), read lossily as UTF-8.
//!
//! Asserts:
//! - `truncate_utf8(s, max)` is a prefix of `s` of at most `max` bytes (so on a char
//!   boundary), all of `s` when it fits, and the longest such prefix otherwise.
//! - `normalize(s, max)` cuts first: it equals `normalize` of the cut text with no bound;
//!   each input character gives at most one output character, so the output has no more
//!   characters than the cut and at most 3/2 of its bytes (Ⱥ → ⱥ is the worst case); it
//!   holds no ASCII upper case, no control character, no full-width form or ideographic
//!   space, none of the combining marks and invisible characters it drops; and it is
//!   idempotent.
//! - `terms(title, body)` is sorted and without repeats; every term is non-empty with a
//!   finite positive weight; a term is either a concept (`@` and a non-empty name), or a
//!   unigram or bigram of CJK characters (as `is_cjk` has them), or a Latin word of at
//!   most 40 letters and digits with no decimal digit (numbers and ids are dropped), so
//!   no text can forge a concept; the terms are those `for_each_term` reports, whose
//!   surfaces are non-empty; only the first `MAX_TITLE_BYTES` of the title and
//!   `MAX_BODY_BYTES` of the body count; a callback that tokenizes again gets the same
//!   terms.
//! - `display_term` strips exactly the concept mark; `is_explanatory` means two or more
//!   characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rungs::domain::grouping::lexicon::CONCEPT_MARK;
use rungs::domain::grouping::text::{self, MAX_BODY_BYTES, MAX_TITLE_BYTES};
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let max = usize::from(u16::from_le_bytes([data[0], data[1]])) % 4096;
    let rest = &data[2..];
    let (t, b) = match rest.iter().position(|&x| x == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let title = String::from_utf8_lossy(t);
    let body = String::from_utf8_lossy(b);
    check_truncate(&title, max);
    check_truncate(&body, max);
    check_normalize(&title, max);
    check_normalize(&body, usize::MAX);
    check_terms(&title, &body);
});

fn check_truncate(s: &str, max: usize) {
    let t = text::truncate_utf8(s, max);
    assert!(t.len() <= max && s.starts_with(t), "{s:?} {max}");
    if s.len() <= max {
        assert_eq!(t, s);
    } else {
        let next = s[t.len()..].chars().next().expect("s is longer than t");
        assert!(
            t.len() + next.len_utf8() > max,
            "{s:?} cut to {t:?} at {max}"
        );
    }
}

/// The characters `normalize` documents as dropped (combining marks and invisible
/// format characters).
fn dropped(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x200B..=0x200F
        | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0xFEFF)
}

fn check_normalize(s: &str, max: usize) {
    let n = text::normalize(s, max);
    let cut = text::truncate_utf8(s, max);
    assert_eq!(
        n,
        text::normalize(cut, usize::MAX),
        "cut first: {s:?} {max}"
    );
    assert!(n.chars().count() <= cut.chars().count(), "{cut:?} -> {n:?}");
    assert!(2 * n.len() <= 3 * cut.len(), "{cut:?} -> {n:?}");
    for c in n.chars() {
        assert!(
            !c.is_ascii_uppercase()
                && !c.is_control()
                && !dropped(c)
                && !matches!(c as u32, 0xFF01..=0xFF5E | 0x3000),
            "{c:?} in {n:?} from {cut:?}"
        );
    }
    assert_eq!(text::normalize(&n, usize::MAX), n, "idempotent: {cut:?}");
}

fn check_terms(title: &str, body: &str) {
    let terms = text::terms(title, body);
    assert!(terms.windows(2).all(|w| w[0].0 < w[1].0), "{terms:?}");
    for (t, w) in &terms {
        assert!(!t.is_empty(), "{terms:?}");
        assert!(w.is_finite() && *w > 0.0, "{t:?}: {w}");
        if let Some(name) = t.strip_prefix(CONCEPT_MARK) {
            assert!(!name.is_empty() && text::display_term(t) == name, "{t:?}");
        } else {
            assert_eq!(text::display_term(t), t);
            let n = t.chars().count();
            if t.chars().any(text::is_cjk) {
                // The CJK blocks as `is_cjk` has them, unassigned code points included.
                assert!(n <= 2 && t.chars().all(text::is_cjk), "{t:?}");
            } else {
                assert!(n <= 40 && t.chars().all(char::is_alphanumeric), "{t:?}");
                // Decimal digits of any script: numeric, yet not letters (Ⅻ is both).
                assert!(
                    !t.chars().any(|c| c.is_numeric() && !c.is_alphabetic()),
                    "number kept: {t:?} from {title:?} / {body:?}"
                );
            }
        }
        assert_eq!(text::is_explanatory(t), t.chars().count() >= 2);
    }
    let mut seen = BTreeSet::new();
    let mut again = None;
    text::for_each_term(title, body, |t, w, surface| {
        assert!(!t.is_empty() && !surface.is_empty() && w.is_finite() && w > 0.0);
        seen.insert(t.to_owned());
        if again.is_none() {
            again = Some(text::terms(title, body));
        }
    });
    let names: BTreeSet<String> = terms.iter().map(|(t, _)| t.clone()).collect();
    assert_eq!(seen, names);
    if let Some(again) = again {
        assert_eq!(again, terms, "a nested tokenization differs");
    }
    if title.len() > MAX_TITLE_BYTES || body.len() > MAX_BODY_BYTES {
        let cut = text::terms(
            text::truncate_utf8(title, MAX_TITLE_BYTES),
            text::truncate_utf8(body, MAX_BODY_BYTES),
        );
        assert_eq!(cut, terms, "only the heads count");
    }
}
