//! The ways spreadsheets write a time, turned into the one the intake reads: a time
//! with an offset is passed on as it is; one without is written `YYYY-MM-DD HH:MM:SS`
//! and read by the intake in the organisation's time zone.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// `2026-03-05T12:30:00+08:00` and `…Z` (kept), `2026-03-05 12:30`, `2026/3/5 12:30`,
/// `2026-03-05`, `2026.3.5`, `2026年3月5日 12时30分`, and Excel's serial numbers
/// (`46086.5`). `None` when it is none of these.
pub fn normalise(raw: &str) -> Option<String> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
        return Some(s.to_string());
    }
    if let Some(at) = excel_serial(s) {
        return Some(format(at));
    }
    let s = s
        .replace(['年', '月', '/', '.'], "-")
        .replace(['日', '号'], " ")
        .replace(['时', '点'], ":")
        .replace(['分', '秒'], " ")
        .replace('T', " ");
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let time = parts.collect::<Vec<_>>().join(":").replace("::", ":");
    let date = parse_date(date)?;
    let time = if time.is_empty() {
        NaiveTime::MIN
    } else {
        parse_time(&time)?
    };
    Some(format(date.and_time(time)))
}

fn format(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    let mut numbers = s
        .trim_end_matches('-')
        .split('-')
        .map(|n| n.parse::<u32>().ok());
    let (y, m, d) = (numbers.next()??, numbers.next()??, numbers.next()??);
    if numbers.next().is_some() || !(1000..=9999).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let mut numbers = s
        .trim_end_matches(':')
        .split(':')
        .map(|n| n.parse::<u32>().ok());
    let h = numbers.next()??;
    let m = numbers.next().unwrap_or(Some(0))?;
    let sec = numbers.next().unwrap_or(Some(0))?;
    if numbers.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_opt(h, m, sec)
}

/// Excel's day numbers (days since 1899-12-30, the fraction the time of day), for
/// the years 1954 to 2173 so that a plain number is not read as a date by mistake.
fn excel_serial(s: &str) -> Option<NaiveDateTime> {
    let n: f64 = s.parse().ok()?;
    if !(20_000.0..=100_000.0).contains(&n) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
    let seconds = (n * 86_400.0).round() as i64;
    epoch.checked_add_signed(Duration::seconds(seconds))
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn every_way_people_write_it() {
        let n = |s: &str| normalise(s).unwrap_or_else(|| format!("none for {s}"));
        assert_eq!(n("2026/3/5 12:30"), "2026-03-05 12:30:00");
        assert_eq!(n("2026-03-05"), "2026-03-05 00:00:00");
        assert_eq!(n("2026年3月5日"), "2026-03-05 00:00:00");
        assert_eq!(n("2026年3月5日 9:05"), "2026-03-05 09:05:00");
        assert_eq!(n("2026年3月5日 14时20分"), "2026-03-05 14:20:00");
        assert_eq!(n("2026.03.05 08:00:59"), "2026-03-05 08:00:59");
        assert_eq!(n("2026-03-05T12:30"), "2026-03-05 12:30:00");
        assert_eq!(n("2026-03-05T12:30:00+08:00"), "2026-03-05T12:30:00+08:00");
        assert_eq!(n("46086.5"), "2026-03-05 12:00:00");
        assert_eq!(n("46086"), "2026-03-05 00:00:00");
        assert_eq!(normalise("3月5日"), None);
        assert_eq!(normalise("2026/2/30"), None);
        assert_eq!(normalise("12"), None);
        assert_eq!(normalise("yesterday"), None);
    }
}
