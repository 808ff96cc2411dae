//! What the API answers about the weekly review and a cluster's drivers.

use crate::domain::comparison::{Comparison, Reading};
use crate::domain::ladder::Rung;
use crate::domain::states::ClusterState;
use crate::domain::week::WeekKey;
use crate::service::catalog::Catalog;
use crate::service::drivers::DriversView;
use crate::service::review::{CategoryLine, ReviewRow, WeekFigures};
use serde::Serialize;
use utoipa::ToSchema;

/// A week against last week, the same week last year and the eight-week baseline.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekComparison {
    pub this_week: u64,
    pub last_week: u64,
    pub same_week_last_year: u64,
    pub baseline_mean: f64,
    /// This week minus last week.
    pub delta: i64,
    /// The change against last week in percent; none when last week had none.
    pub percent_change: Option<f64>,
    /// One-sided exact p-value of the rise over last week.
    pub p_value: f64,
    /// One-sided exact p-value of the rise over the eight-week baseline.
    pub baseline_p_value: f64,
    /// The larger of the two, Benjamini–Hochberg adjusted across the week's clusters.
    pub q_value: f64,
    pub reading: WeekReading,
}

/// What the p-value means: `unusual`, `within_noise`, or `too_few_to_tell` with about
/// how many more incidents this week would be significant.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekReading {
    #[schema(example = "within_noise")]
    pub verdict: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needed: Option<u64>,
}

impl From<&Comparison> for WeekComparison {
    fn from(c: &Comparison) -> Self {
        let (verdict, needed) = match c.reading {
            Reading::Unusual => ("unusual", None),
            Reading::WithinNoise => ("within_noise", None),
            Reading::TooFewToTell { needed } => ("too_few_to_tell", Some(needed)),
        };
        Self {
            this_week: c.this_week,
            last_week: c.last_week,
            same_week_last_year: c.same_week_last_year,
            baseline_mean: c.baseline_mean,
            delta: c.delta,
            percent_change: c.percent,
            p_value: c.p_value,
            baseline_p_value: c.baseline_p_value,
            q_value: c.q_value,
            reading: WeekReading { verdict, needed },
        }
    }
}

/// The weekly review: every live cluster's week, each category's and the team's.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewWeek {
    #[schema(value_type = String, example = "2026-W49")]
    pub week: WeekKey,
    #[schema(value_type = String)]
    pub previous_week: WeekKey,
    #[schema(value_type = String)]
    pub same_week_last_year: WeekKey,
    /// The weeks of every `series`, oldest first.
    #[schema(value_type = Vec<String>)]
    pub series_weeks: Vec<WeekKey>,
    /// The largest change first.
    pub clusters: Vec<ReviewCluster>,
    pub categories: Vec<ReviewCategory>,
    pub team: ReviewTeam,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewCluster {
    pub id: i64,
    pub title: String,
    /// The category's slug.
    pub category: Option<String>,
    /// Any of `new`, `spike`, `regressed`.
    pub flags: Vec<&'static str>,
    #[schema(value_type = i32, minimum = 0, maximum = 6)]
    pub rung: Rung,
    #[schema(value_type = String, example = "open")]
    pub state: ClusterState,
    pub confirmed: bool,
    /// The owner's login.
    pub owner: Option<String>,
    pub distinct_refs: u64,
    /// Incidents per week of `series_weeks`.
    pub series: Vec<u64>,
    #[serde(flatten)]
    pub comparison: WeekComparison,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewCategory {
    pub category: Option<String>,
    /// `spike` when the category rose unusually.
    pub flags: Vec<&'static str>,
    pub series: Vec<u64>,
    #[serde(flatten)]
    pub comparison: WeekComparison,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewTeam {
    pub series: Vec<u64>,
    #[serde(flatten)]
    pub comparison: WeekComparison,
}

impl ReviewWeek {
    pub fn new(figures: &WeekFigures, rows: &[ReviewRow], catalog: &Catalog) -> Self {
        let slug = |id: i64| catalog.category(id).map(|c| c.slug.clone());
        let category = |line: &CategoryLine| ReviewCategory {
            category: slug(line.category_id),
            flags: if line.cmp.spike {
                vec!["spike"]
            } else {
                vec![]
            },
            series: line.series.clone(),
            comparison: (&line.cmp).into(),
        };
        Self {
            week: figures.week,
            previous_week: figures.previous_week,
            same_week_last_year: figures.same_week_last_year,
            series_weeks: figures.series_weeks.clone(),
            clusters: rows
                .iter()
                .map(|row| ReviewCluster {
                    id: row.cluster.id,
                    title: row.cluster.title.clone(),
                    category: slug(row.cluster.category_id),
                    flags: row.flags(),
                    rung: row.cluster.rung,
                    state: row.cluster.state,
                    confirmed: row.cluster.confirmed,
                    owner: row.cluster.owner.clone(),
                    distinct_refs: row.line.distinct_refs,
                    series: row.line.series.clone(),
                    comparison: (&row.line.cmp).into(),
                })
                .collect(),
            categories: figures.categories.iter().map(category).collect(),
            team: ReviewTeam {
                series: figures.team.series.clone(),
                comparison: (&figures.team.cmp).into(),
            },
        }
    }
}

/// What drove a cluster's change this week against its baseline (Adtributor).
#[derive(Debug, Serialize, ToSchema)]
pub struct Drivers {
    pub cluster_id: i64,
    #[schema(value_type = String, example = "2026-W49")]
    pub week: WeekKey,
    /// The week or weeks compared with, e.g. `2026-W48` or `2026-W40..2026-W48`.
    pub baseline_week: String,
    /// `last_week` or `mean8`.
    pub baseline: &'static str,
    pub this_week_total: f64,
    pub baseline_total: f64,
    /// The leading explanation when the cluster rose.
    pub headline: Option<Headline>,
    /// Ranked: the value that best explains the change first.
    pub drivers: Vec<Driver>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Headline {
    /// `hour`, `weekday`, `department`, `counterpart`, `reporter`, `tag` or `ref`.
    pub dimension: String,
    pub values: Vec<String>,
    /// For `hour`: the first and last hour of the run, inclusive.
    pub hours: Option<[u8; 2]>,
    pub explained_share: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Driver {
    pub dimension: String,
    pub value: String,
    pub this_week: f64,
    pub baseline: f64,
    pub explained_share: f64,
    pub surprise: f64,
}

impl From<&DriversView> for Drivers {
    fn from(v: &DriversView) -> Self {
        let round = |x: f64| (x * 1e6).round() / 1e6;
        Self {
            cluster_id: v.cluster_id,
            week: v.week,
            baseline_week: v.baseline.label(v.week),
            baseline: v.baseline.as_str(),
            this_week_total: v.this_week,
            baseline_total: round(v.baseline_total),
            headline: v.headline.as_ref().map(|h| Headline {
                dimension: h.dimension.clone(),
                values: h.values.clone(),
                hours: h.hours.map(|(a, b)| [a, b]),
                explained_share: round(h.explained_share),
            }),
            drivers: v
                .drivers
                .iter()
                .map(|d| Driver {
                    dimension: d.dimension.clone(),
                    value: d.value.clone(),
                    this_week: d.this_week,
                    baseline: round(d.baseline),
                    explained_share: round(d.explained_share),
                    surprise: d.surprise,
                })
                .collect(),
        }
    }
}
