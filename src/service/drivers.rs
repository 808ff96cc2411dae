//! What drove a cluster's change in a week: its rollup values over hour, weekday,
//! department, counterpart, reporter and tag against last week or the eight-week mean,
//! ranked by Adtributor (`domain::drivers`).

use super::review::ReviewCache;
use crate::db::{DbConn, review as q, rollups};
use crate::domain::comparison::BASELINE_WEEKS;
use crate::domain::drivers::{self, DimensionCounts, Driver, Headline, ValueCounts};
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service::catalog::Catalog;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What this week is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    #[default]
    LastWeek,
    /// The mean of the eight weeks before.
    Mean8,
}

impl Baseline {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "" | "last_week" => Some(Self::LastWeek),
            "mean8" => Some(Self::Mean8),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::LastWeek => "last_week",
            Self::Mean8 => "mean8",
        }
    }

    fn weeks(&self) -> u32 {
        match self {
            Self::LastWeek => 1,
            Self::Mean8 => BASELINE_WEEKS,
        }
    }

    /// `2026-W46`, or `2026-W39..2026-W46` for a span.
    pub fn label(&self, week: WeekKey) -> String {
        match self {
            Self::LastWeek => week.previous().to_string(),
            Self::Mean8 => format!("{}..{}", week.minus(self.weeks()), week.previous()),
        }
    }
}

/// A cluster's drivers in one week.
#[derive(Debug, Clone)]
pub struct DriversView {
    pub cluster_id: i64,
    pub week: WeekKey,
    pub baseline: Baseline,
    pub this_week: f64,
    /// The baseline's total (a mean for `Mean8`).
    pub baseline_total: f64,
    /// Ranked: the value that best explains the change first.
    pub drivers: Vec<Driver>,
    pub headline: Option<Headline>,
    /// (this week, baseline) per local hour 0–23.
    pub hours: Vec<(f64, f64)>,
    /// (this week, baseline) per ISO weekday, Monday first.
    pub weekdays: Vec<(f64, f64)>,
}

/// A cluster's drivers, or the cluster it was merged into; cached under the rollups' and
/// the grouping version (drivers read nothing else), so a repeated view costs one read.
pub fn view_cached(
    conn: &mut DbConn,
    cache: &ReviewCache,
    cluster_id: i64,
    week: WeekKey,
    baseline: Baseline,
) -> AppResult<Result<Arc<DriversView>, i64>> {
    let versions = crate::db::versions::read(conn)?.weekly();
    let key = (cluster_id, week, baseline);
    if let Some(hit) = cache.drivers(&key, versions) {
        return Ok(hit);
    }
    let found = match crate::db::clusters::find(conn, cluster_id)? {
        None => return Err(AppError::NotFound),
        Some(c) => match c.merged_into {
            Some(into) => Err(into),
            None => Ok(Arc::new(view(conn, cluster_id, week, baseline)?)),
        },
    };
    cache.put_drivers(key, versions, found.clone());
    Ok(found)
}

pub fn view(
    conn: &mut DbConn,
    cluster_id: i64,
    week: WeekKey,
    baseline: Baseline,
) -> AppResult<DriversView> {
    crate::db::clusters::find(conn, cluster_id)?.ok_or(AppError::NotFound)?;
    let this_key = week.to_string();
    let keys: Vec<String> = (0..=baseline.weeks())
        .map(|n| week.minus(n).to_string())
        .collect();
    let scale = 1.0 / f64::from(baseline.weeks());
    let mut this_week = 0.0;
    let mut baseline_total = 0.0;
    for (w, n) in q::one_cluster_weeks(conn, cluster_id, &keys)? {
        if w == this_key {
            this_week += f64::from(n);
        } else {
            baseline_total += f64::from(n) * scale;
        }
    }
    // dimension -> value -> (this week, baseline)
    let mut counts: BTreeMap<String, BTreeMap<String, (f64, f64)>> = BTreeMap::new();
    for (w, dimension, value, n) in q::one_cluster_values(conn, cluster_id, &keys)? {
        let cell = counts
            .entry(dimension)
            .or_default()
            .entry(value)
            .or_default();
        if w == this_key {
            cell.0 += f64::from(n);
        } else {
            cell.1 += f64::from(n) * scale;
        }
    }
    let dimensions: Vec<DimensionCounts> = rollups::DIMENSIONS
        .iter()
        .filter_map(|d| {
            let values = counts.get(*d)?;
            Some(DimensionCounts {
                dimension: d.to_string(),
                values: values
                    .iter()
                    .map(|(v, (tw, bl))| ValueCounts {
                        value: v.clone(),
                        this_week: *tw,
                        baseline: *bl,
                    })
                    .collect(),
            })
        })
        .collect();
    let drivers = drivers::explain(&dimensions, this_week, baseline_total);
    let headline = if drivers::rise_to_explain(this_week, baseline_total) {
        drivers::headline(&drivers)
    } else {
        None
    };
    let series = |dimension: &str, values: std::ops::RangeInclusive<u32>| -> Vec<(f64, f64)> {
        let found = counts.get(dimension);
        values
            .map(|v| {
                found
                    .and_then(|m| m.get(&v.to_string()))
                    .copied()
                    .unwrap_or((0.0, 0.0))
            })
            .collect()
    };
    Ok(DriversView {
        cluster_id,
        week,
        baseline,
        this_week,
        baseline_total,
        hours: series("hour", 0..=23),
        weekdays: series("weekday", 1..=7),
        drivers,
        headline,
    })
}

/// Cluster `cluster_id`'s drivers in the week asked for (`YYYY-Www`, else the last
/// complete one), or the survivor's id when the cluster was merged.
pub fn shown(
    conn: &mut DbConn,
    cache: &ReviewCache,
    cluster_id: i64,
    raw_week: Option<&str>,
    tz: chrono_tz::Tz,
    baseline: Baseline,
) -> AppResult<Result<Arc<DriversView>, i64>> {
    let week = super::review::week_in(raw_week, tz)?;
    view_cached(conn, cache, cluster_id, week, baseline)
}

/// A value as a reader knows it: hours as clock times, weekdays and departments by name.
pub fn value_label(lang: Lang, catalog: &Catalog, dimension: &str, value: &str) -> String {
    match dimension {
        "hour" => format!("{value:0>2}:00"),
        "weekday" => lang.t(&format!("review.weekday.{value}")),
        "department" | "counterpart" => catalog
            .department_by_slug(value)
            .map(|d| d.label(lang).to_string())
            .unwrap_or_else(|| value.to_string()),
        _ => value.to_string(),
    }
}

/// The driver in one sentence, in `lang`: "68% of the rise against last week came between
/// 12:00 and 13:59", or the share and the values (`labels`, as `value_label` names them)
/// of another dimension. `against` is the baseline, already worded.
pub fn sentence(lang: Lang, h: &Headline, labels: &[String], against: &str) -> String {
    let share = format!("{:.0}", h.explained_share * 100.0);
    // More than all of the rise: these values rose further while the rest fell.
    let more = if share.parse::<u32>().is_ok_and(|p| p > 100) {
        "_more"
    } else {
        ""
    };
    match h.hours {
        Some((from, to)) => lang.t_with(
            &format!("review.headline_hours{more}"),
            &[
                ("share", &share),
                ("from", &format!("{from:02}:00")),
                ("to", &format!("{to:02}:59")),
                ("baseline", against),
            ],
        ),
        None => lang.t_with(
            &format!("review.headline_values{more}"),
            &[
                ("share", &share),
                (
                    "dimension",
                    &lang.t(&format!("review.dimension.{}", h.dimension)),
                ),
                ("values", &labels.join(&lang.t("review.list_separator"))),
                ("baseline", against),
            ],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lunch(share: f64) -> Headline {
        Headline {
            dimension: "hour".into(),
            values: vec!["12".into(), "13".into()],
            hours: Some((12, 13)),
            explained_share: share,
        }
    }

    #[test]
    fn a_share_past_the_whole_rise_is_said_as_all_of_it_and_more() {
        assert_eq!(
            sentence(Lang::En, &lunch(0.68), &[], "last week"),
            "68% of the rise against last week came between 12:00 and 13:59."
        );
        assert_eq!(
            sentence(Lang::En, &lunch(1.06), &[], "last week"),
            "All of the rise against last week came between 12:00 and 13:59, and more (106% of it: the other hours fell)."
        );
        // Exactly all of it, as rounded, is still a share.
        assert!(
            sentence(Lang::Zh, &lunch(1.004), &[], "上周").starts_with("相对上周的上升中，100%")
        );
    }
}
