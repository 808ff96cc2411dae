//! The weekly review's caches: a week's figures, rendered tables and drivers, each kept
//! under the versions (rows in `settings`, bumped in the writing transaction) that say
//! when it went stale. Several processes over one database stay correct.

use super::review::WeekFigures;
use crate::domain::week::WeekKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The rollups' version and the grouping version a week's figures were computed at.
pub type Versions = (i64, i64);

/// Weeks computed by this process, each under the versions it was computed at.
#[derive(Default)]
pub struct ReviewCache {
    weeks: Mutex<Vec<(WeekKey, Versions, Arc<WeekFigures>)>>,
    /// Rendered review tables, by a key that names everything they depend on.
    pages: Mutex<HashMap<String, Arc<String>>>,
    drivers: Mutex<HashMap<DriversKey, (Versions, DriversFound)>>,
}

type DriversKey = (i64, WeekKey, crate::service::drivers::Baseline);
/// A cluster's drivers, or the id it was merged into.
type DriversFound = Result<Arc<crate::service::drivers::DriversView>, i64>;

/// Drivers kept at most (clusters × weeks × baselines looked at).
const CACHED_DRIVERS: usize = 1024;

/// Rendered tables kept at most (weeks × filters × pages × languages in use).
const CACHED_PAGES: usize = 64;

/// A few weeks are looked at at once (this one, last one, the week picker's neighbours).
const CACHED_WEEKS: usize = 8;

impl ReviewCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn get(&self, week: WeekKey, version: Versions) -> Option<Arc<WeekFigures>> {
        let weeks = self.weeks.lock().unwrap_or_else(|e| e.into_inner());
        weeks
            .iter()
            .find(|(w, v, _)| *w == week && *v == version)
            .map(|(_, _, f)| f.clone())
    }

    /// A rendered table; `key` must include every version it depends on.
    pub fn page(&self, key: &str) -> Option<Arc<String>> {
        let pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        pages.get(key).cloned()
    }

    pub(crate) fn drivers(&self, key: &DriversKey, version: Versions) -> Option<DriversFound> {
        let drivers = self.drivers.lock().unwrap_or_else(|e| e.into_inner());
        match drivers.get(key) {
            Some((v, found)) if *v == version => Some(found.clone()),
            _ => None,
        }
    }

    pub(crate) fn put_drivers(&self, key: DriversKey, version: Versions, found: DriversFound) {
        let mut drivers = self.drivers.lock().unwrap_or_else(|e| e.into_inner());
        if drivers.len() >= CACHED_DRIVERS {
            drivers.retain(|_, (v, _)| *v == version);
            if drivers.len() >= CACHED_DRIVERS {
                drivers.clear();
            }
        }
        drivers.insert(key, (version, found));
    }

    pub fn put_page(&self, key: String, html: Arc<String>) {
        let mut pages = self.pages.lock().unwrap_or_else(|e| e.into_inner());
        if pages.len() >= CACHED_PAGES {
            pages.clear();
        }
        pages.insert(key, html);
    }

    pub(crate) fn put(&self, week: WeekKey, version: Versions, figures: Arc<WeekFigures>) {
        let mut weeks = self.weeks.lock().unwrap_or_else(|e| e.into_inner());
        weeks.retain(|(w, v, _)| *w != week && *v == version);
        if weeks.len() >= CACHED_WEEKS {
            weeks.remove(0);
        }
        weeks.push((week, version, figures));
    }
}
