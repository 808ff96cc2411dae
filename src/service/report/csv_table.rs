//! The week's figures as CSV, for a spreadsheet: the team first, then every cluster in
//! the review, with the same numbers and names as the JSON report; then every goal with
//! a target this week (its row names the action in `action_id`, its count in `this_week`,
//! its target in `target` and `behind` or `on_track` in `flags`); then the meeting (its
//! state and attendees), its decisions and earlier ones still open, in the meeting's
//! columns of rows whose cluster is empty.

use super::WeeklyReport;
use crate::domain::comparison::Comparison;
use crate::error::{AppError, AppResult};

/// The header row: stable names, in English, like the API's fields.
pub const COLUMNS: [&str; 25] = [
    "week",
    "cluster_id",
    "title",
    "category",
    "state",
    "rung",
    "owner",
    "this_week",
    "last_week",
    "same_week_last_year",
    "baseline_mean",
    "delta",
    "percent_change",
    "p_value",
    "baseline_p_value",
    "q_value",
    "flags",
    "attendees",
    "decision_id",
    "decision",
    "decision_state",
    "decision_week",
    "action_id",
    "action_stage",
    "target",
];

/// Cells of the meeting's columns and the goal's target on a figures row.
const MEETING_COLUMNS: usize = 8;
/// Cells of the figures' columns after the title (category to flags).
const FIGURE_COLUMNS: usize = 14;

/// The CSV text (UTF-8, with a byte-order mark so that Excel reads it as UTF-8).
pub fn render(report: &WeeklyReport) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| AppError::internal(format!("writing the report's CSV: {e}"));
    w.write_record(COLUMNS).map_err(io)?;
    let week = report.week.to_string();
    let team = figures(&report.team);
    let mut row = vec![week.clone(), String::new(), "(team)".into()];
    row.extend(["", "", "", ""].map(String::from));
    row.extend(team);
    row.push(String::new());
    row.extend(std::iter::repeat_n(String::new(), MEETING_COLUMNS));
    w.write_record(&row).map_err(io)?;
    for c in &report.clusters {
        let mut row = vec![
            week.clone(),
            c.id.to_string(),
            c.title.clone(),
            c.category.clone(),
            c.state.as_str().to_string(),
            c.rung.to_string(),
            c.owner.clone().unwrap_or_default(),
        ];
        row.extend(figures(&c.figures));
        row.push(c.flags.join(" "));
        row.extend(std::iter::repeat_n(String::new(), MEETING_COLUMNS));
        w.write_record(&row).map_err(io)?;
    }
    for g in &report.goals {
        let a = &g.action;
        let mut row = vec![
            week.clone(),
            a.cluster_id.to_string(),
            a.title.clone(),
            String::new(),
            String::new(),
            a.rung.to_string(),
            a.owner.clone().unwrap_or_default(),
            g.actual.to_string(),
        ];
        row.extend(std::iter::repeat_n(String::new(), 8));
        row.push(if g.behind { "behind" } else { "on_track" }.into());
        // The meeting's columns, but for the action's id; then the target.
        row.extend(std::iter::repeat_n(String::new(), 5));
        row.push(a.id.to_string());
        row.push(String::new());
        row.push(g.target.to_string());
        w.write_record(&row).map_err(io)?;
    }
    let m = &report.meeting;
    let logins: Vec<&str> = m.attendees.iter().map(|a| a.login.as_str()).collect();
    let mut row = vec![week.clone(), String::new(), "(meeting)".into()];
    row.extend(std::iter::repeat_n(String::new(), FIGURE_COLUMNS));
    row[4] = m.state.as_str().to_string();
    row.push(logins.join(" "));
    row.extend(std::iter::repeat_n(String::new(), MEETING_COLUMNS - 1));
    w.write_record(&row).map_err(io)?;
    let decisions = m.decisions.iter().map(|d| ("(decision)", d));
    let earlier = report.open_decisions.iter().map(|d| ("(open decision)", d));
    for (label, d) in decisions.chain(earlier) {
        let mut row = vec![week.clone(), String::new(), label.into()];
        row.extend(std::iter::repeat_n(String::new(), FIGURE_COLUMNS + 1));
        row.extend([
            d.id.to_string(),
            d.body.clone(),
            d.state.as_str().to_string(),
            d.week.to_string(),
            d.action
                .as_ref()
                .map(|a| a.id.to_string())
                .unwrap_or_default(),
            d.action
                .as_ref()
                .map(|a| a.stage.as_str().to_string())
                .unwrap_or_default(),
            String::new(),
        ]);
        w.write_record(&row).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal(format!("writing the report's CSV: {e}")))?;
    let text = String::from_utf8(bytes).map_err(AppError::internal)?;
    Ok(format!("\u{feff}{text}"))
}

fn figures(c: &Comparison) -> Vec<String> {
    vec![
        c.this_week.to_string(),
        c.last_week.to_string(),
        c.same_week_last_year.to_string(),
        c.baseline_mean.to_string(),
        c.delta.to_string(),
        c.percent.map(|p| p.to_string()).unwrap_or_default(),
        c.p_value.to_string(),
        c.baseline_p_value.to_string(),
        c.q_value.to_string(),
    ]
}
