//! What time it is: the system's clock, unless this thread has pinned another moment.
//!
//! Every time rungs records (the trail, an incident's filing, a stage, a sign-off, a
//! meeting) is read here, so that code telling a story after the fact (the demo) can
//! record each step at the moment it happened in the story, through the same service
//! functions a user's request goes through. A request's own thread never pins, so it
//! records the system's time.

use chrono::{DateTime, Utc};
use std::cell::Cell;

thread_local! {
    static PINNED: Cell<Option<DateTime<Utc>>> = const { Cell::new(None) };
}

/// Now: the moment pinned on this thread, else the system's clock.
pub fn now() -> DateTime<Utc> {
    PINNED.with(Cell::get).unwrap_or_else(Utc::now)
}

/// A moment pinned on this thread until the guard is dropped; the moment pinned before
/// it (if any) then holds again.
#[must_use = "the clock is pinned only while the guard lives"]
pub struct Pin {
    previous: Option<DateTime<Utc>>,
}

/// Pin this thread's clock at `at` while the returned guard lives.
pub fn pin(at: DateTime<Utc>) -> Pin {
    Pin {
        previous: PINNED.with(|p| p.replace(Some(at))),
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        PINNED.with(|p| p.set(self.previous));
    }
}

/// Run `f` with this thread's clock pinned at `at`.
pub fn pinned<T>(at: DateTime<Utc>, f: impl FnOnce() -> T) -> T {
    let _pin = pin(at);
    f()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_pin_holds_while_it_lives_and_restores_the_one_before() {
        let a = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap();
        let b = Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0).unwrap();
        let outer = pin(a);
        assert_eq!(now(), a);
        assert_eq!(pinned(b, now), b);
        assert_eq!(now(), a);
        drop(outer);
        assert!(now() > b, "the system's clock again");
    }

    #[test]
    fn a_pin_is_this_threads_only() {
        let a = Utc.with_ymd_and_hms(2025, 3, 4, 5, 6, 7).unwrap();
        let _pin = pin(a);
        let other = std::thread::spawn(now).join().unwrap();
        assert!(other > a);
    }
}
