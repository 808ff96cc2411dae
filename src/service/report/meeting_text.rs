//! The meeting in the report's words: held or not, who attended, the notes, its
//! decisions and the earlier ones still open, each with its action's stage now. The
//! Markdown report and the HTML page say the same lines.

use super::WeeklyReport;
use crate::i18n::Lang;
use crate::service::meetings::{DecisionLine, MeetingView};
use chrono_tz::Tz;
use std::fmt::Write;

/// "Held on 2026-11-09 10:30 by zhao." or "Not held yet."
pub fn held(lang: Lang, tz: Tz, m: &MeetingView) -> String {
    match (m.is_held(), m.held_at) {
        (true, Some(at)) => lang.t_with(
            "report.meeting_held",
            &[
                (
                    "at",
                    &at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                ),
                ("by", m.held_by.as_deref().unwrap_or("—")),
            ],
        ),
        _ => lang.t("report.meeting_open"),
    }
}

/// "Staff the desk over lunch (open) — action: [process change] (C3), owner zhao, due
/// 2026-11-20, now planned".
pub fn decision(lang: Lang, d: &DecisionLine) -> String {
    let mut s = format!(
        "{} ({})",
        d.body,
        lang.t(&format!("decision_state.{}", d.state))
    );
    if let Some(a) = &d.action {
        // The action's title only when it says more than the decision.
        let title = if a.title == d.body {
            String::new()
        } else {
            format!(" {}", a.title)
        };
        let mut action = format!(
            "[{}]{title} (C{})",
            lang.t(&format!("rung.{}", a.rung)),
            a.cluster_id
        );
        let _ = write!(
            action,
            ", {} {}",
            lang.t("report.owner"),
            a.owner.as_deref().unwrap_or("—")
        );
        if let Some(due) = a.due_on {
            let _ = write!(
                action,
                ", {}",
                lang.t_with("report.due", &[("date", &due.to_string())])
            );
        }
        let _ = write!(
            s,
            " — {}",
            lang.t_with(
                "report.decision_action",
                &[
                    ("action", &action),
                    ("stage", &lang.t(&format!("stage.{}", a.stage))),
                ],
            )
        );
    }
    s
}

/// An earlier decision, with the week of its meeting first.
pub fn earlier(lang: Lang, d: &DecisionLine) -> String {
    format!("{}: {}", d.week, decision(lang, d))
}

/// The meeting's sections of the Markdown report.
pub fn markdown(out: &mut String, lang: Lang, tz: Tz, report: &WeeklyReport) {
    let m = &report.meeting;
    let _ = writeln!(out, "## {}\n", lang.t("report.meeting"));
    let _ = writeln!(out, "{}\n", held(lang, tz, m));
    let attendees = if m.attendees.is_empty() {
        lang.t("report.none")
    } else {
        m.attendee_names()
    };
    let _ = writeln!(out, "**{}**: {attendees}\n", lang.t("report.attendees"));
    if !m.notes.trim().is_empty() {
        let _ = writeln!(out, "**{}**:\n", lang.t("report.notes"));
        for line in m.notes.lines() {
            let _ = writeln!(out, "> {line}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "### {}\n", lang.t("report.decisions"));
    list(out, lang, &m.decisions, |d| decision(lang, d));
    let _ = writeln!(out, "## {}\n", lang.t("report.open_decisions"));
    list(out, lang, &report.open_decisions, |d| earlier(lang, d));
}

fn list(
    out: &mut String,
    lang: Lang,
    items: &[DecisionLine],
    line: impl Fn(&DecisionLine) -> String,
) {
    if items.is_empty() {
        let _ = writeln!(out, "{}\n", lang.t("report.none"));
        return;
    }
    for d in items {
        let _ = writeln!(out, "- {}", line(d));
    }
    out.push('\n');
}
