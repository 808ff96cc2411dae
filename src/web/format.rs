//! How times and numbers are written on pages.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `2026-11-24 12:30` in the organisation's zone.
pub fn local_datetime(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// The value a datetime-local field wants.
pub fn local_input_value(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}
