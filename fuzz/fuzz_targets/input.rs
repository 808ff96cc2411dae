//! The parsers of typed input (`domain::input`, and the ladder's `parse_date`) on
//! arbitrary text.
//!
//! Input: one byte picks a bound and a time zone, the rest is the text (read lossily as
//! UTF-8), cut at the first 0xFF byte into a text and a needle.
//!
//! Asserts:
//! - `required_text`/`optional_text`: an accepted value is the trimmed input, non-empty,
//!   at most `max` characters, with no control character but newline, return and tab;
//!   `required_text` rejects only with a catalogue key, and blank input as required.
//! - `tags`: at most 10, each non-empty, trimmed, lower-case, at most 40 characters, no
//!   comma of either width, no repeats, each found in the lower-cased input.
//! - `occurred_at` (fixed `now`, several zones): empty is `now`; anything accepted lies
//!   from 2000 to a day after `now`; an accepted instant written back as RFC 3339 reads
//!   as the same instant; errors are `error.datetime` or `error.datetime_range`.
//! - `search_fold`: lower-cases (idempotent), keeps the parts in order with the
//!   separator, and a piece of the text, folded, is found in the folded text (what the
//!   incident search and the clusters' rules rely on).
//! - `Slug`, `Login`, `password`: accepted values keep to their documented alphabets
//!   and lengths.
//! - `service::ladder::parse_date`: an accepted date lies in the years 2000 to 2100.
#![no_main]

use chrono::{Datelike, TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use rungs::domain::input::{self, Login, Slug};

const ZONES: [chrono_tz::Tz; 4] = [
    chrono_tz::UTC,
    chrono_tz::Asia::Shanghai,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
];

const KEYS: [&str; 5] = [
    "error.required",
    "error.too_long_100",
    "error.too_long_200",
    "error.too_long_10000",
    "error.control_chars",
];

fuzz_target!(|data: &[u8]| {
    let Some((&knob, rest)) = data.split_first() else {
        return;
    };
    let (a, b) = match rest.iter().position(|&x| x == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    let s = String::from_utf8_lossy(a);
    let needle = String::from_utf8_lossy(b);
    let max = [
        0,
        1,
        5,
        40,
        input::NAME_MAX,
        input::TITLE_MAX,
        input::BODY_MAX,
    ][usize::from(knob % 7)];
    let tz = ZONES[usize::from(knob / 7) % ZONES.len()];
    check_text(&s, max);
    check_tags(&s);
    check_occurred_at(&s, tz);
    check_search_fold(&s, &needle);
    check_small_parsers(&s, tz);
});

fn has_bad_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn check_text(s: &str, max: usize) {
    match input::optional_text(s, max) {
        Ok(None) => assert!(s.trim().is_empty()),
        Ok(Some(v)) => {
            assert!(!v.is_empty() && v == s.trim() && v.chars().count() <= max);
            assert!(!has_bad_control(&v), "{v:?}");
        }
        Err(k) => assert!(KEYS.contains(&k) && k != "error.required", "{k}"),
    }
    match input::required_text(s, max) {
        Ok(v) => {
            assert!(!v.is_empty() && v == s.trim() && v.chars().count() <= max);
            assert!(!has_bad_control(&v), "{v:?}");
        }
        Err("error.required") => assert!(s.trim().is_empty()),
        Err(k) => assert!(KEYS.contains(&k), "{k}"),
    }
}

fn check_tags(s: &str) {
    match input::tags(s) {
        Ok(tags) => {
            assert!(tags.len() <= 10, "{tags:?}");
            let lower = s.to_lowercase();
            for (i, t) in tags.iter().enumerate() {
                assert!(
                    !t.is_empty() && t.trim() == t && t.chars().count() <= 40,
                    "{t:?}"
                );
                assert!(!t.contains([',', '，']), "{t:?}");
                assert_eq!(&t.to_lowercase(), t);
                assert!(!tags[..i].contains(t), "repeat {t:?}");
                assert!(lower.contains(t.as_str()), "{t:?} not in {lower:?}");
            }
        }
        Err(k) => assert!(matches!(k, "error.tag" | "error.too_many_tags"), "{k}"),
    }
}

fn check_occurred_at(s: &str, tz: chrono_tz::Tz) {
    let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
    let floor = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    match input::occurred_at(s, tz, now) {
        Ok(at) => {
            assert!(
                at >= floor && at <= now + chrono::Duration::days(1),
                "{s:?} -> {at}"
            );
            if s.trim().is_empty() {
                assert_eq!(at, now);
            }
            assert_eq!(
                input::occurred_at(&at.to_rfc3339(), tz, now),
                Ok(at),
                "{s:?}"
            );
        }
        Err(k) => assert!(
            matches!(k, "error.datetime" | "error.datetime_range"),
            "{k}"
        ),
    }
}

fn check_search_fold(s: &str, needle: &str) {
    let folded = input::search_fold(&[s]);
    assert_eq!(input::search_fold(&[&folded]), folded, "idempotent: {s:?}");
    let two = input::search_fold(&[s, needle]);
    assert_eq!(
        two,
        format!("{} \u{1f} {}", folded, input::search_fold(&[needle]))
    );
    // Any piece of the text (on char boundaries), folded, is in the folded text.
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    if chars.is_empty() {
        return;
    }
    let k = needle.len() % chars.len();
    let from = chars[k].0;
    let to = chars
        .get(k + 1 + needle.chars().count() % 8)
        .map_or(s.len(), |&(i, _)| i);
    let piece = &s[from..to];
    let f = input::search_fold(&[piece]);
    assert!(
        folded.contains(&f),
        "{piece:?} folds to {f:?}, not in {folded:?} (from {s:?})"
    );
}

fn check_small_parsers(s: &str, tz: chrono_tz::Tz) {
    if let Ok(slug) = Slug::parse(s) {
        let v = slug.as_ref();
        assert!(
            !v.is_empty() && v.len() <= 40 && !v.starts_with('-'),
            "{v:?}"
        );
        assert!(
            v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        );
    }
    if let Ok(login) = Login::parse(s) {
        let v = login.as_ref();
        assert!(!v.is_empty() && v.len() <= 64, "{v:?}");
        assert!(
            v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        );
    }
    match input::password(s) {
        Ok(p) => assert!(p == s && (8..=1024).contains(&s.chars().count()) && !s.contains('\0')),
        Err(k) => assert!(matches!(k, "error.password_short" | "error.password_long")),
    }
    match rungs::service::ladder::parse_date(s, tz) {
        Ok(Some(d)) => assert!((2000..=2100).contains(&d.year()), "{s:?} -> {d}"),
        Ok(None) => assert!(s.trim().is_empty()),
        Err(k) => assert!(matches!(k, "error.date" | "error.datetime_range"), "{k}"),
    }
}
