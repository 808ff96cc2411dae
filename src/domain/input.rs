//! Input that cannot be invalid once parsed. Each error is a message key of the
//! catalogue (`locales/`), so forms and the API say the same thing in either language.

use chrono::format::{self, Item, Parsed, StrftimeItems};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Field name → message key. Empty means the input was accepted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, &'static str>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message_key: &'static str) {
        self.0.entry(field.to_string()).or_insert(message_key);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.get(field).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &'static str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Record the error of a parse, returning the value when it parsed.
    pub fn check<T>(&mut self, field: &str, result: Result<T, &'static str>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(key) => {
                self.add(field, key);
                None
            }
        }
    }

    pub fn single(field: &str, message_key: &'static str) -> Self {
        let mut e = Self::new();
        e.add(field, message_key);
        e
    }
}

fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// Trimmed, non-empty, at most `max` characters, no control characters.
pub fn required_text(raw: &str, max: usize) -> Result<String, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("error.required");
    }
    optional_text(t, max).map(|v| v.unwrap_or_default())
}

/// Like `required_text`, but empty becomes `None`.
pub fn optional_text(raw: &str, max: usize) -> Result<Option<String>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > max {
        return Err(match max {
            0..=100 => "error.too_long_100",
            101..=200 => "error.too_long_200",
            _ => "error.too_long_10000",
        });
    }
    if has_control(t) {
        return Err("error.control_chars");
    }
    Ok(Some(t.to_string()))
}

pub const TITLE_MAX: usize = 200;
pub const BODY_MAX: usize = 10_000;
pub const NAME_MAX: usize = 100;

/// A slug: lower-case letters, digits and dashes, 1 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("error.required");
        }
        let ok = s.len() <= 40
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err("error.slug")
        }
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A login: lower-case letters, digits, dot, dash, underscore; 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("error.required");
        }
        let ok = s.len() <= 64
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
        if ok { Ok(Self(s)) } else { Err("error.login") }
    }
}

impl AsRef<str> for Login {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A password of 8 to 1024 characters.
pub fn password(raw: &str) -> Result<String, &'static str> {
    let n = raw.chars().count();
    if n < 8 {
        Err("error.password_short")
    } else if n > 1024 || raw.contains('\0') {
        Err("error.password_long")
    } else {
        Ok(raw.to_string())
    }
}

/// Tags, comma-separated: trimmed, lower-cased, de-duplicated, at most 10 of 40 characters.
pub fn tags(raw: &str) -> Result<Vec<String>, &'static str> {
    let mut out: Vec<String> = Vec::new();
    for t in raw.split([',', '，']) {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40 || has_control(&t) {
            return Err("error.tag");
        }
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 10 {
        return Err("error.too_many_tags");
    }
    Ok(out)
}

/// The local forms `occurred_at` reads, parsed once (`NaiveDateTime::parse_from_str`
/// would parse the format for every value: an import reads a million).
static LOCAL_FORMATS: LazyLock<[Vec<Item<'static>>; 4]> = LazyLock::new(|| {
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .map(|f| StrftimeItems::new(f).collect())
});

/// `NaiveDateTime::parse_from_str` with the format already parsed.
fn local_datetime(s: &str, items: &[Item<'static>]) -> Option<NaiveDateTime> {
    let mut parsed = Parsed::new();
    format::parse(&mut parsed, s, items.iter()).ok()?;
    parsed.to_naive_datetime_with_offset(0).ok()
}

/// When an incident happened: RFC 3339, or a local `YYYY-MM-DDTHH:MM` in the organisation's
/// zone (what a browser's datetime-local field sends). Empty means now. From 2000 to a day ahead.
pub fn occurred_at(raw: &str, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>, &'static str> {
    let s = raw.trim();
    let at = if s.is_empty() {
        now
    } else if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        t.with_timezone(&Utc)
    } else {
        let local = LOCAL_FORMATS
            .iter()
            .find_map(|items| local_datetime(s, items))
            .ok_or("error.datetime")?;
        tz.from_local_datetime(&local)
            .earliest()
            .ok_or("error.datetime")?
            .with_timezone(&Utc)
    };
    // chrono reads a leap second (`23:59:60`) as a 61st second, which the backends
    // store differently: refuse it, as a clock that shows it is rare and a typo is not.
    if at.timestamp_subsec_nanos() >= 1_000_000_000 {
        return Err("error.datetime");
    }
    let floor = Utc
        .with_ymd_and_hms(2000, 1, 1, 0, 0, 0)
        .single()
        .ok_or("error.datetime")?;
    if at < floor || at > now + chrono::Duration::days(1) {
        return Err("error.datetime_range");
    }
    Ok(at)
}

/// A calendar day written `YYYY-MM-DD`, in the years 2000 to 9999.
pub fn calendar_date(raw: &str) -> Result<chrono::NaiveDate, &'static str> {
    let s = raw.trim();
    let (year, _) = s.split_once('-').ok_or("error.date")?;
    if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err("error.date");
    }
    let date = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "error.date")?;
    if !crate::domain::week::YEARS.contains(&chrono::Datelike::year(&date)) {
        return Err("error.datetime_range");
    }
    Ok(date)
}

/// The text of an incident, folded for search: lower-cased in Rust, so that
/// non-ASCII text matches alike on SQLite (whose `lower` is ASCII-only) and PostgreSQL.
/// Character by character, and final sigma as sigma (as Unicode case folding has it),
/// rather than `str::to_lowercase`'s final-sigma rule: a piece of a text (a search, a
/// rule's pattern) must fold to a piece of the folded text.
pub fn search_fold(parts: &[&str]) -> String {
    parts
        .join(" \u{1f} ")
        .chars()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ς' { 'σ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_edges() {
        assert_eq!(required_text("  hi ", 10), Ok("hi".into()));
        assert_eq!(required_text("   ", 10), Err("error.required"));
        assert_eq!(
            required_text(&"x".repeat(201), TITLE_MAX),
            Err("error.too_long_200")
        );
        assert_eq!(
            required_text(&"审".repeat(200), TITLE_MAX).map(|s| s.chars().count()),
            Ok(200)
        );
        assert_eq!(required_text("a\0b", 10), Err("error.control_chars"));
        assert_eq!(optional_text("", 10), Ok(None));
        assert_eq!(
            optional_text("line\nnext", 100),
            Ok(Some("line\nnext".into()))
        );
    }

    #[test]
    fn slugs_and_logins() {
        assert!(Slug::parse("approval-chase").is_ok());
        assert_eq!(Slug::parse("Sales"), Err("error.slug"));
        assert_eq!(Slug::parse("a b"), Err("error.slug"));
        assert_eq!(Slug::parse(""), Err("error.required"));
        assert_eq!(Login::parse(" Li.Wei ").unwrap().as_ref(), "li.wei");
        assert_eq!(Login::parse("李伟"), Err("error.login"));
    }

    #[test]
    fn tags_are_folded_and_bounded() {
        assert_eq!(
            tags(" Lunch, urgent，lunch ,"),
            Ok(vec!["lunch".into(), "urgent".into()])
        );
        assert_eq!(tags(""), Ok(vec![]));
        let many = (0..11)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(tags(&many), Err("error.too_many_tags"));
        assert_eq!(tags(&"x".repeat(41)), Err("error.tag"));
    }

    #[test]
    fn local_forms_read_as_chrono_reads_them() {
        let formats = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%dT%H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y-%m-%d %H:%M:%S",
        ];
        for s in [
            "2026-11-24T12:30",
            "2026-11-24 12:30:05",
            "2026-1-4 3:04",
            "2026-11-24 12:30:60",
            "2026-02-30 12:30",
            "2026-11-24 24:00",
            "2026-11-24  12:30",
            "2026-11-24 12:30 ",
            "12:30",
            "",
        ] {
            for (items, f) in LOCAL_FORMATS.iter().zip(formats) {
                assert_eq!(
                    local_datetime(s, items),
                    NaiveDateTime::parse_from_str(s, f).ok(),
                    "{s:?} as {f}"
                );
            }
        }
    }

    #[test]
    fn occurred_at_reads_both_forms() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let sh = chrono_tz::Asia::Shanghai;
        assert_eq!(occurred_at("", sh, now), Ok(now));
        assert_eq!(
            occurred_at("2026-11-24T12:30", sh, now),
            Ok(Utc.with_ymd_and_hms(2026, 11, 24, 4, 30, 0).unwrap())
        );
        assert_eq!(
            occurred_at("2026-11-24T12:30:00+08:00", chrono_tz::UTC, now),
            Ok(Utc.with_ymd_and_hms(2026, 11, 24, 4, 30, 0).unwrap())
        );
        assert_eq!(occurred_at("yesterday", sh, now), Err("error.datetime"));
        assert_eq!(
            occurred_at("1999-12-31T23:00:00Z", sh, now),
            Err("error.datetime_range")
        );
        assert_eq!(
            occurred_at("2026-11-26T12:00:00Z", sh, now),
            Err("error.datetime_range")
        );
    }

    #[test]
    fn a_leap_second_is_refused_in_either_form() {
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let utc = chrono_tz::UTC;
        assert_eq!(
            occurred_at("2016-12-31T23:59:60Z", utc, now),
            Err("error.datetime")
        );
        assert_eq!(
            occurred_at("2016-12-31 23:59:60", utc, now),
            Err("error.datetime")
        );
        assert!(occurred_at("2016-12-31T23:59:59Z", utc, now).is_ok());
    }

    #[test]
    fn calendar_dates_are_four_digit_years_from_2000() {
        assert_eq!(
            calendar_date("2026-03-05"),
            Ok(chrono::NaiveDate::from_ymd_opt(2026, 3, 5).unwrap())
        );
        assert_eq!(calendar_date("+262142-12-31"), Err("error.date"));
        assert_eq!(calendar_date("0000-01-01"), Err("error.datetime_range"));
        assert_eq!(calendar_date("1999-12-31"), Err("error.datetime_range"));
        assert_eq!(calendar_date("2026-02-30"), Err("error.date"));
        assert_eq!(calendar_date("2026-3-5x"), Err("error.date"));
    }

    #[test]
    fn a_folded_piece_is_in_the_folded_text() {
        assert_eq!(
            search_fold(&["审批 Approval", "SO-42"]),
            "审批 approval \u{1f} so-42"
        );
        // Sigma folds to σ wherever it stands, so "ΑΣ" is found in "ΑΣΑ" (`to_lowercase`
        // gives "ας" alone but "ασα" in the word), and "οδος" as typed finds "ΟΔΟΣ".
        let text = search_fold(&["ΟΔΟΣ ΑΣΑ"]);
        assert_eq!(text, "οδοσ ασα");
        for piece in ["ΑΣ", "ΟΔΟΣ", "οδος", "Σ Α"] {
            assert!(text.contains(&search_fold(&[piece])), "{piece}");
        }
        assert_eq!(search_fold(&[&text]), text);
    }

    #[test]
    fn passwords() {
        assert_eq!(password("short"), Err("error.password_short"));
        assert!(password("long enough").is_ok());
    }
}
