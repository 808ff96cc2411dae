//! The report's goals: every goal with a target in the week, its count beside it, the
//! ones behind first (the retrospective's "goals behind" list), in every format.

use super::ActionLine;
use crate::db::DbConn;
use crate::db::actions::ActionRow;
use crate::domain::states::ActionStage;
use crate::domain::week::WeekKey;
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::service::goals;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct GoalLine {
    #[serde(flatten)]
    pub action: ActionLine,
    /// This week is stage `stage` of `of_stages`.
    pub stage: u32,
    pub of_stages: u32,
    /// The week's target and its count (so far, while the week runs).
    pub target: f64,
    pub actual: u64,
    /// The count is above the target.
    pub behind: bool,
    /// Where the goal ends: its value by its week.
    pub target_week: WeekKey,
    pub target_value: f64,
}

/// The goals with a target in `week` (of actions not cancelled), those behind first,
/// then by action.
pub fn lines(
    conn: &mut DbConn,
    week: WeekKey,
    actions: &[ActionRow],
    line: impl Fn(&ActionRow) -> ActionLine,
) -> AppResult<Vec<GoalLine>> {
    let by_id: HashMap<i64, &ActionRow> = actions.iter().map(|a| (a.id, a)).collect();
    // A cancelled action's goal is no longer followed.
    let cluster_of: HashMap<i64, i64> = actions
        .iter()
        .filter(|a| a.stage != ActionStage::Cancelled)
        .map(|a| (a.id, a.cluster_id))
        .collect();
    let mut out: Vec<GoalLine> = goals::standings(conn, week, &cluster_of)?
        .into_iter()
        .filter_map(|s| {
            let a = by_id.get(&s.action_id)?;
            Some(GoalLine {
                action: line(a),
                stage: s.stage,
                of_stages: s.of_stages,
                target: s.target,
                actual: s.actual,
                behind: s.behind,
                target_week: s.target_week,
                target_value: s.target_value,
            })
        })
        .collect();
    out.sort_by_key(|g| (!g.behind, g.action.id));
    Ok(out)
}

/// A target to at most two decimals: "10", "8.67".
pub fn number(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The goals as a Markdown table: the action, the stage, the target, the count and
/// its standing. Rows start with `A<id>` (the clusters' table's with `C<id>`).
pub fn markdown(out: &mut String, lang: Lang, goals: &[GoalLine]) {
    use std::fmt::Write;
    let _ = writeln!(out, "## {}\n", lang.t("report.goals"));
    if goals.is_empty() {
        let _ = writeln!(out, "{}\n", lang.t("report.none"));
        return;
    }
    let _ = writeln!(out, "{}\n", summary(lang, goals));
    let _ = writeln!(
        out,
        "| # | {} | {} | {} | {} | {} |\n|---|---|---:|---:|---:|---|",
        lang.t("report.goal_col_action"),
        lang.t("report.goal_col_week"),
        lang.t("report.goal_col_target"),
        lang.t("report.goal_col_actual"),
        lang.t("report.goal_col_status"),
    );
    for g in goals {
        let _ = writeln!(
            out,
            "| A{} | {} | {}/{} | {} | {} | {} |",
            g.action.id,
            super::markdown::action(lang, &g.action).replace('|', "\\|"),
            g.stage,
            g.of_stages,
            number(g.target),
            g.actual,
            standing(lang, g),
        );
    }
    out.push('\n');
}

/// "1 of 2 goals behind their weekly target."
pub fn summary(lang: Lang, goals: &[GoalLine]) -> String {
    let behind = goals.iter().filter(|g| g.behind).count();
    lang.t_with(
        "report.goals_behind",
        &[("n", &behind.to_string()), ("of", &goals.len().to_string())],
    )
}

/// "behind" or "on track".
pub fn standing(lang: Lang, g: &GoalLine) -> String {
    lang.t(if g.behind {
        "report.goal_behind"
    } else {
        "report.goal_on_track"
    })
}

/// "week 2 of 6: 34 against a target of 30 (10 by 2026-W12)".
pub fn sentence(lang: Lang, g: &GoalLine) -> String {
    lang.t_with(
        "report.goal_line",
        &[
            ("n", &g.stage.to_string()),
            ("of", &g.of_stages.to_string()),
            ("actual", &g.actual.to_string()),
            ("target", &number(g.target)),
            ("final", &number(g.target_value)),
            ("by", &g.target_week.to_string()),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::number;

    #[test]
    fn targets_show_without_trailing_zeros() {
        assert_eq!(number(10.0), "10");
        assert_eq!(number(8.67), "8.67");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(0.0), "0");
    }
}
