//! The drivers section of a cluster's page: what drove its change in a week, as a
//! sentence to read aloud, two charts (hour of day, weekday) with their tables, and
//! the ranked values.

use super::charts::{PairedBars, fmt_count, paired_bars};
use super::session::PageCtx;
use crate::service::catalog::Catalog;
use crate::service::drivers::{self, Baseline, DriversView, value_label};

/// How many ranked values the page lists.
const LISTED: usize = 10;

pub struct ChartRow {
    pub label: String,
    pub this_week: String,
    pub baseline: String,
}

pub struct DriverRow {
    pub dimension: String,
    pub value: String,
    pub this_week: String,
    pub baseline: String,
    pub share: String,
    pub surprise: String,
}

/// Everything the section shows, worded in the reader's language.
pub struct DriversPanel {
    pub week: String,
    pub previous: String,
    pub next: String,
    pub baseline: &'static str,
    /// The other baseline, for the switch link.
    pub switch_to: &'static str,
    pub baseline_label: String,
    pub this_week: String,
    pub baseline_total: String,
    pub sentence: String,
    pub hours_svg: String,
    pub hours: Vec<ChartRow>,
    pub weekdays_svg: String,
    pub weekdays: Vec<ChartRow>,
    pub drivers: Vec<DriverRow>,
}

fn percent(share: f64) -> String {
    format!("{:.0}", share * 100.0)
}

/// "68% of the rise came between 12:00 and 13:59".
pub fn sentence(page: &PageCtx, catalog: &Catalog, view: &DriversView) -> String {
    let baseline = page.t_in("review.against", view.baseline.as_str());
    if view.this_week <= view.baseline_total {
        return page.t_with("review.no_rise", &[("baseline", &baseline)]);
    }
    if !crate::domain::drivers::rise_to_explain(view.this_week, view.baseline_total) {
        return page.t_with(
            "review.rise_too_small",
            &[
                ("baseline", &baseline),
                ("n", &format!("{:.0}", crate::domain::drivers::MIN_RISE)),
            ],
        );
    }
    match &view.headline {
        Some(h) => {
            let labels: Vec<String> = h
                .values
                .iter()
                .map(|v| value_label(page.lang, catalog, &h.dimension, v))
                .collect();
            drivers::sentence(page.lang, h, &labels, &baseline)
        }
        None => page.t_with("review.spread_out", &[("baseline", &baseline)]),
    }
}

fn chart_rows(labels: &[String], values: &[(f64, f64)]) -> Vec<ChartRow> {
    labels
        .iter()
        .zip(values)
        .map(|(label, (tw, bl))| ChartRow {
            label: label.clone(),
            this_week: fmt_count(*tw),
            baseline: fmt_count(*bl),
        })
        .collect()
}

pub fn panel(page: &PageCtx, catalog: &Catalog, view: &DriversView) -> DriversPanel {
    let this_label = page.t_with("review.this_week_of", &[("week", &view.week.to_string())]);
    let base_label = page.t_in("review.against", view.baseline.as_str());
    let hour_labels: Vec<String> = (0..24).map(|h| h.to_string()).collect();
    let day_labels: Vec<String> = (1..=7)
        .map(|d| page.t_in("review.weekday", d.to_string()))
        .collect();
    let hours_svg = paired_bars(&PairedBars {
        id: "hours",
        title: &page.t("review.hours_chart"),
        labels: hour_labels.clone(),
        values: &view.hours,
        this_week_label: &this_label,
        baseline_label: &base_label,
    });
    let weekdays_svg = paired_bars(&PairedBars {
        id: "weekdays",
        title: &page.t("review.weekdays_chart"),
        labels: day_labels.clone(),
        values: &view.weekdays,
        this_week_label: &this_label,
        baseline_label: &base_label,
    });
    let hour_names: Vec<String> = (0..24).map(|h| format!("{h:02}:00")).collect();
    DriversPanel {
        week: view.week.to_string(),
        previous: view.week.previous().to_string(),
        next: view.week.next().to_string(),
        baseline: view.baseline.as_str(),
        switch_to: other_baseline(view.baseline.as_str()),
        baseline_label: view.baseline.label(view.week),
        this_week: fmt_count(view.this_week),
        baseline_total: fmt_count((view.baseline_total * 10.0).round() / 10.0),
        sentence: sentence(page, catalog, view),
        hours_svg,
        hours: chart_rows(&hour_names, &view.hours),
        weekdays_svg,
        weekdays: chart_rows(&day_labels, &view.weekdays),
        drivers: view
            .drivers
            .iter()
            .take(LISTED)
            .map(|d| DriverRow {
                dimension: page.t_in("review.dimension", &d.dimension),
                value: value_label(page.lang, catalog, &d.dimension, &d.value),
                this_week: fmt_count(d.this_week),
                baseline: fmt_count((d.baseline * 10.0).round() / 10.0),
                share: percent(d.explained_share),
                surprise: format!("{:.3}", d.surprise),
            })
            .collect(),
    }
}

fn other_baseline(b: &str) -> &'static str {
    if b == Baseline::Mean8.as_str() {
        Baseline::LastWeek.as_str()
    } else {
        Baseline::Mean8.as_str()
    }
}

/// `?week=YYYY-Www&baseline=last_week|mean8&page=N` on a cluster's page; a week that does
/// not parse falls back to the last complete week (the page is still worth showing), a
/// page of incidents that does not parse to the first.
#[derive(Debug, Default, serde::Deserialize)]
pub struct DriversQuery {
    pub week: Option<String>,
    #[serde(default)]
    pub baseline: String,
    pub page: Option<String>,
}
