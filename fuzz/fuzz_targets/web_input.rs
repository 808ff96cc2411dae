//! What reaches the pages from the address bar and from form bodies, on arbitrary bytes:
//! the clean-text check every form body and query string passes first
//! (`web::request::is_clean_text`), and the week picker's `YYYY-Www` (`WeekKey`), which
//! the review, the drivers and the API read from `?week=`.
//!
//! Input: the whole input is the raw query string or form body; its lossy UTF-8 reading
//! is also tried as a week.
//!
//! Asserts:
//! - `is_clean_text` agrees with an independent decoder (the percent-encoding crate's):
//!   the percent-decoded bytes are UTF-8 without NUL exactly when it says so.
//! - `WeekKey::from_str`: an accepted week is a real ISO week; written back
//!   (`2026-W48`) it reads as the same week; the week after and the week before are 7
//!   days away and undo each other; the same week last year lies in the year before.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rungs::domain::week::WeekKey;
use rungs::web::request::is_clean_text;

fuzz_target!(|data: &[u8]| {
    let decoded: Vec<u8> = percent_encoding::percent_decode(data).collect();
    let clean = !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok();
    assert_eq!(is_clean_text(data), clean, "is_clean_text on {data:?}");

    let text = String::from_utf8_lossy(data);
    let Ok(week) = text.parse::<WeekKey>() else {
        return;
    };
    let written = week.to_string();
    assert_eq!(written.parse::<WeekKey>(), Ok(week), "{text:?} written as {written}");
    let monday = week.monday();
    assert_eq!(WeekKey::of(monday), week);
    // Within the years a week can be written in (four digits) on both sides.
    if (1001..=9998).contains(&week.year()) {
        let (next, previous) = (week.next(), week.previous());
        assert_eq!((next.monday() - monday).num_days(), 7);
        assert_eq!((monday - previous.monday()).num_days(), 7);
        assert_eq!(next.previous(), week);
        assert_eq!(previous.next(), week);
        assert!(previous < week && week < next, "weeks order as time does");
        assert_eq!(
            next.to_string().parse::<WeekKey>(),
            Ok(next),
            "the next week's link of {written}"
        );
        let last_year = week.same_week_last_year();
        assert_eq!(last_year.year(), week.year() - 1);
    }
});
