//! The weekly review's caches: a week's figures and drivers, and the retrospective's
//! built report, each kept under the versions (rows in `settings`, bumped in the writing
//! transaction; for the report also the newest event) that say when it went stale.
//! Several processes over one database stay correct.

use super::report::{ReportLabel, WeeklyReport};
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
    drivers: Mutex<HashMap<DriversKey, (Versions, DriversFound)>>,
    reports: Mutex<Vec<(WeekKey, ReportLabel, Arc<WeeklyReport>)>>,
}

type DriversKey = (i64, WeekKey, crate::service::drivers::Baseline);
/// A cluster's drivers, or the id it was merged into.
type DriversFound = Result<Arc<crate::service::drivers::DriversView>, i64>;

/// Drivers kept at most (clusters × weeks × baselines looked at).
const CACHED_DRIVERS: usize = 1024;

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

    /// The week's built report, if it was built under `label`.
    pub(crate) fn report(&self, week: WeekKey, label: &ReportLabel) -> Option<Arc<WeeklyReport>> {
        let reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        reports
            .iter()
            .find(|(w, l, _)| *w == week && l == label)
            .map(|(_, _, r)| r.clone())
    }

    pub(crate) fn put_report(&self, week: WeekKey, label: ReportLabel, report: Arc<WeeklyReport>) {
        let mut reports = self.reports.lock().unwrap_or_else(|e| e.into_inner());
        reports.retain(|(w, l, _)| *w != week && *l == label);
        if reports.len() >= CACHED_WEEKS {
            reports.remove(0);
        }
        reports.push((week, label, report));
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
