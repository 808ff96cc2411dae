//! A report's cluster lines: each cluster of the week's family with its figures, and
//! the notable ones with the driver of their rise and the coach's advice.

use super::{ClusterReport, DriverLine};
use crate::db::DbConn;
use crate::domain::drivers::Headline;
use crate::domain::week::WeekKey;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::service::catalog::Catalog;
use crate::service::drivers::{self, Baseline, DriversView};
use crate::service::effects;
use crate::service::review::{ReviewCache, ReviewRow};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// What every cluster of one report is read with.
pub(super) struct Reading<'a> {
    pub(super) cache: &'a ReviewCache,
    pub(super) catalog: &'a Catalog,
    pub(super) week: WeekKey,
    pub(super) tz: Tz,
    pub(super) as_of: DateTime<Utc>,
}

impl Reading<'_> {
    /// A cluster's line; a `top` one with its drivers and the coach's advice.
    pub(super) fn cluster(
        &self,
        conn: &mut DbConn,
        row: ReviewRow,
        top: bool,
    ) -> AppResult<ClusterReport> {
        let (cache, week) = (self.cache, self.week);
        let driver = if top && row.line.cmp.delta > 0 {
            match drivers::view_cached(conn, cache, row.cluster.id, week, Baseline::LastWeek)? {
                Ok(view) => driver_line(&view, self.catalog),
                Err(_) => None,
            }
        } else {
            None
        };
        let coach = if top {
            Some(effects::coach(
                conn,
                row.cluster.id,
                self.tz,
                self.as_of,
                cache,
            )?)
        } else {
            None
        };
        Ok(self.line(row, driver, coach))
    }

    fn line(
        &self,
        row: ReviewRow,
        driver: Option<DriverLine>,
        coach: Option<effects::CoachView>,
    ) -> ClusterReport {
        let catalog = self.catalog;
        ClusterReport {
            id: row.cluster.id,
            category: catalog
                .category(row.cluster.category_id)
                .map(|c| c.slug.clone())
                .unwrap_or_default(),
            flags: row.flags(),
            title: row.cluster.title,
            state: row.cluster.state,
            rung: row.cluster.rung,
            owner: row.cluster.owner,
            figures: row.line.cmp,
            driver,
            recommended_rung: coach.as_ref().and_then(|c| c.recommended_rung),
            advice: coach.map(|c| c.reason),
        }
    }
}

fn driver_line(view: &DriversView, catalog: &Catalog) -> Option<DriverLine> {
    if view.this_week <= view.baseline_total {
        return None;
    }
    let Headline {
        dimension,
        values,
        hours,
        explained_share,
    } = view.headline.clone()?;
    let labels = [Lang::En, Lang::Zh].map(|lang| {
        values
            .iter()
            .map(|v| drivers::value_label(lang, catalog, &dimension, v))
            .collect()
    });
    Some(DriverLine {
        dimension,
        values,
        hours,
        explained_share,
        labels,
    })
}
