//! ISO weeks and the local time facts each incident carries.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc, Weekday};
use chrono_tz::Tz;
use std::fmt;
use std::str::FromStr;

/// An ISO week, written `2026-W48`. Orders by year, then week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WeekKey {
    year: i32,
    week: u32,
}

impl WeekKey {
    pub fn new(year: i32, week: u32) -> Option<Self> {
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon).map(|_| Self { year, week })
    }

    pub fn of(date: NaiveDate) -> Self {
        let iso = date.iso_week();
        Self {
            year: iso.year(),
            week: iso.week(),
        }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn week(&self) -> u32 {
        self.week
    }

    /// The Monday that starts the week.
    pub fn monday(&self) -> NaiveDate {
        NaiveDate::from_isoywd_opt(self.year, self.week, Weekday::Mon)
            .expect("a WeekKey is always a real ISO week")
    }

    pub fn previous(&self) -> Self {
        Self::of(self.monday() - chrono::Duration::days(7))
    }

    pub fn next(&self) -> Self {
        Self::of(self.monday() + chrono::Duration::days(7))
    }

    /// `n` weeks back (n may be 0).
    pub fn minus(&self, n: u32) -> Self {
        Self::of(self.monday() - chrono::Duration::days(7 * i64::from(n)))
    }

    /// The same ISO week a year earlier; week 53 maps to week 52 when that year has none.
    pub fn same_week_last_year(&self) -> Self {
        Self::new(self.year - 1, self.week)
            .or_else(|| Self::new(self.year - 1, 52))
            .expect("every ISO year has a week 52")
    }
}

impl fmt::Display for WeekKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year, self.week)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeekParseError;

impl fmt::Display for WeekParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a week is written YYYY-Www, for example 2026-W48, in the years 2000 to 9999")
    }
}

/// The years a week or a date typed by someone may fall in: earlier or later ones are
/// typing mistakes, and their neighbours (`previous`, a year back) would leave the
/// four-digit years that weeks are written and sorted by.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=9999;

impl FromStr for WeekKey {
    type Err = WeekParseError;

    /// `YYYY-Www`, with the year in `YEARS`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (year, week) = s.trim().split_once(['-']).ok_or(WeekParseError)?;
        let week = week.strip_prefix(['W', 'w']).ok_or(WeekParseError)?;
        if year.len() != 4 || week.len() != 2 {
            return Err(WeekParseError);
        }
        if !year.bytes().all(|b| b.is_ascii_digit()) || !week.bytes().all(|b| b.is_ascii_digit()) {
            return Err(WeekParseError);
        }
        let year: i32 = year.parse().map_err(|_| WeekParseError)?;
        let week: u32 = week.parse().map_err(|_| WeekParseError)?;
        if !YEARS.contains(&year) {
            return Err(WeekParseError);
        }
        Self::new(year, week).ok_or(WeekParseError)
    }
}

impl serde::Serialize for WeekKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The local facts of an instant in the organisation's time zone, stored with
/// each incident so that weekly queries are plain indexed GROUP BYs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalStamp {
    pub date: NaiveDate,
    pub week: WeekKey,
    /// ISO weekday, 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    pub hour: u32,
}

impl LocalStamp {
    pub fn of(instant: DateTime<Utc>, tz: Tz) -> Self {
        let local = instant.with_timezone(&tz);
        let date = local.date_naive();
        Self {
            date,
            week: WeekKey::of(date),
            weekday: local.weekday().number_from_monday(),
            hour: local.hour(),
        }
    }
}

/// The week that holds `instant` in `tz`.
pub fn current_week(instant: DateTime<Utc>, tz: Tz) -> WeekKey {
    LocalStamp::of(instant, tz).week
}

/// The last complete week before the one holding `instant`.
pub fn last_complete_week(instant: DateTime<Utc>, tz: Tz) -> WeekKey {
    current_week(instant, tz).previous()
}

/// Parse an IANA time zone name.
pub fn parse_timezone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn new_year_in_shanghai_is_still_week_53_of_2026() {
        // 2026-12-31T17:30Z is 2027-01-01 01:30 in Shanghai, a Friday of ISO week 2026-W53.
        let s = LocalStamp::of(utc(2026, 12, 31, 17, 30), chrono_tz::Asia::Shanghai);
        assert_eq!(s.date, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(s.week.to_string(), "2026-W53");
        assert_eq!(s.weekday, 5);
        assert_eq!(s.hour, 1);
    }

    #[test]
    fn week_boundary_mid_day_in_utc() {
        // Sunday 2026-11-29 23:30 in New York is Monday 04:30 UTC: still W48 locally.
        let s = LocalStamp::of(utc(2026, 11, 30, 4, 30), chrono_tz::America::New_York);
        assert_eq!(s.week.to_string(), "2026-W48");
        assert_eq!(s.weekday, 7);
        assert_eq!(s.hour, 23);
        let u = LocalStamp::of(utc(2026, 11, 30, 4, 30), chrono_tz::UTC);
        assert_eq!(u.week.to_string(), "2026-W49");
        assert_eq!(u.weekday, 1);
    }

    #[test]
    fn weeks_parse_and_print() {
        let w: WeekKey = "2026-W48".parse().unwrap();
        assert_eq!(w.to_string(), "2026-W48");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        assert!("2026-W54".parse::<WeekKey>().is_err());
        assert!(
            "2025-W53".parse::<WeekKey>().is_err(),
            "2025 has 52 ISO weeks"
        );
        assert!(
            "2026-W53".parse::<WeekKey>().is_ok(),
            "2026 has 53 ISO weeks"
        );
        assert!("2026W48".parse::<WeekKey>().is_err());
        assert!("2026-W4".parse::<WeekKey>().is_err());
        assert!("".parse::<WeekKey>().is_err());
        // Years outside 2000..=9999, and signs, are typing mistakes.
        assert!("0000-W01".parse::<WeekKey>().is_err());
        assert!("1999-W52".parse::<WeekKey>().is_err());
        assert!("+999-W01".parse::<WeekKey>().is_err());
        assert!("2026-W+1".parse::<WeekKey>().is_err());
        assert!("2000-W01".parse::<WeekKey>().is_ok());
        assert!("9999-W52".parse::<WeekKey>().is_ok());
        assert_eq!(
            "2026-w05".parse::<WeekKey>().unwrap().to_string(),
            "2026-W05"
        );
    }

    #[test]
    fn weeks_step_across_years() {
        let w: WeekKey = "2027-W01".parse().unwrap();
        assert_eq!(w.previous().to_string(), "2026-W53");
        assert_eq!(w.previous().next(), w);
        let w: WeekKey = "2026-W01".parse().unwrap();
        assert_eq!(w.previous().to_string(), "2025-W52");
        assert_eq!(w.minus(8).to_string(), "2025-W45");
        assert_eq!(w.minus(0), w);
    }

    #[test]
    fn same_week_last_year_falls_back_from_53() {
        let w: WeekKey = "2026-W53".parse().unwrap();
        assert_eq!(w.same_week_last_year().to_string(), "2025-W52");
        let w: WeekKey = "2026-W48".parse().unwrap();
        assert_eq!(w.same_week_last_year().to_string(), "2025-W48");
    }

    #[test]
    fn weeks_order_as_time_does() {
        let a: WeekKey = "2025-W52".parse().unwrap();
        let b: WeekKey = "2026-W01".parse().unwrap();
        assert!(a < b);
        assert!(
            a.to_string() < b.to_string(),
            "the text form sorts the same way"
        );
    }

    #[test]
    fn time_zones_parse() {
        assert_eq!(
            parse_timezone("Asia/Shanghai"),
            Some(chrono_tz::Asia::Shanghai)
        );
        assert_eq!(parse_timezone("Mars/Olympus"), None);
    }
}
