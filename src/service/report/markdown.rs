//! The weekly report as Markdown, to paste into a chat or a wiki, in the reader's
//! language. Tables use the figures exactly as the JSON has them.

use super::{ActionLine, ClusterReport, GuardLine, VerdictLine, WeeklyReport};
use crate::domain::comparison::Comparison;
use crate::i18n::Lang;
use crate::service::retro::AgendaItem;
use chrono_tz::Tz;
use std::fmt::Write;

/// The report in Markdown; times in `tz`.
pub fn render(report: &WeeklyReport, lang: Lang, tz: Tz) -> String {
    let mut out = String::new();
    let t = |key: &str| lang.t(key);
    let _ = writeln!(
        out,
        "# {}\n",
        lang.t_with("report.title", &[("week", &report.week.to_string())])
    );
    let at = report.as_of.with_timezone(&tz).format("%Y-%m-%d %H:%M");
    let mut as_of = lang.t_with(
        "report.as_of",
        &[("at", &at.to_string()), ("zone", tz.name())],
    );
    if report.partial {
        as_of.push(' ');
        as_of.push_str(&t("report.partial"));
    }
    let _ = writeln!(out, "{as_of}\n");

    let _ = writeln!(out, "## {}\n", t("report.team"));
    let _ = writeln!(
        out,
        "| | {} | {} | {} | {} | {} |\n|---|---:|---:|---:|---:|---:|",
        t("report.this_week"),
        t("report.last_week"),
        t("report.last_year"),
        t("report.mean8"),
        t("report.change"),
    );
    let c = &report.team;
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        t("report.incidents"),
        c.this_week,
        c.last_week,
        c.same_week_last_year,
        mean(c.baseline_mean),
        change(c),
    );

    let top = &report.clusters[..report.clusters.len().min(super::TOP_CLUSTERS)];
    let _ = writeln!(
        out,
        "## {}\n",
        lang.t_with(
            "report.top",
            &[
                ("n", &top.len().to_string()),
                ("of", &report.clusters.len().to_string()),
            ],
        )
    );
    if top.is_empty() {
        let _ = writeln!(out, "{}\n", t("report.none"));
    } else {
        let _ = writeln!(
            out,
            "| # | {} | {} | {} | {} | {} | {} | {} | {} |\n|---|---|---:|---:|---:|---:|---:|---|---|",
            t("report.cluster"),
            t("report.this_week"),
            t("report.last_week"),
            t("report.last_year"),
            t("report.mean8"),
            t("report.change"),
            t("report.flags"),
            t("report.owner"),
        );
        for c in top {
            let f = &c.figures;
            let _ = writeln!(
                out,
                "| C{} | {} | {} | {} | {} | {} | {} | {} | {} |",
                c.id,
                cell(&c.title),
                f.this_week,
                f.last_week,
                f.same_week_last_year,
                mean(f.baseline_mean),
                change(f),
                flags(lang, c),
                c.owner.as_deref().unwrap_or("—"),
            );
        }
        out.push('\n');
        for c in top {
            let _ = writeln!(out, "- **C{} {}**: {}", c.id, c.title, advice(lang, c));
        }
        out.push('\n');
    }

    section(&mut out, lang, "report.launched", &report.launched, |a| {
        action(lang, a)
    });
    section(&mut out, lang, "report.verdicts", &report.verdicts, |v| {
        format!("{} — {}", action(lang, &v.action), verdict(lang, v))
    });
    section(&mut out, lang, "report.watched", &report.watched, |w| {
        format!("C{} {} — {}", w.cluster_id, w.title, watch(lang, w))
    });
    section(&mut out, lang, "report.guards", &report.guards, |g| {
        format!("{} — {}", action(lang, &g.action), guard(lang, g))
    });
    section(&mut out, lang, "report.overdue", &report.overdue, |a| {
        action(lang, a)
    });
    super::goals::markdown(&mut out, lang, &report.goals);
    let _ = writeln!(
        out,
        "{}\n",
        lang.t_with("report.triage", &[("n", &report.triage.to_string())])
    );
    super::meeting_text::markdown(&mut out, lang, tz, report);
    out
}

/// A cluster's flags in words: "spike, regressed".
pub fn flags(lang: Lang, c: &ClusterReport) -> String {
    c.flags
        .iter()
        .map(|f| lang.t(&format!("review.flag.{f}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "eliminated: 2.5 → 0.0 a week (rate ratio 0.00, p = 0.002)".
pub fn verdict(lang: Lang, v: &VerdictLine) -> String {
    lang.t_with(
        "report.verdict_line",
        &[
            ("verdict", &lang.t(&format!("verdict.{}", v.verdict))),
            ("before", &mean(v.before_rate)),
            ("after", &mean(v.after_rate)),
            (
                "ratio",
                &v.rate_ratio.map_or("—".into(), |r| format!("{r:.2}")),
            ),
            ("p", &v.p_value.map_or("—".into(), |p| format!("{p:.3}"))),
        ],
    )
}

/// "week 2 of 6 since the launch on 2026-11-02".
pub fn watch(lang: Lang, w: &AgendaItem) -> String {
    lang.t_with(
        "report.watch_line",
        &[
            ("n", &w.week_no.to_string()),
            ("of", &w.of_weeks.to_string()),
            ("on", &w.launched_on),
        ],
    )
}

/// "guard category data-fix: 2 before, 8 after (worsened)".
pub fn guard(lang: Lang, g: &GuardLine) -> String {
    let mut line = lang.t_with(
        "report.guard_line",
        &[
            ("metric", &g.guard.metric),
            ("before", &g.guard.before_count.to_string()),
            ("after", &g.guard.after_count.to_string()),
        ],
    );
    if g.guard.worsened {
        line.push_str(&lang.t("report.worsened"));
    }
    line
}

fn section<T>(
    out: &mut String,
    lang: Lang,
    heading: &str,
    items: &[T],
    line: impl Fn(&T) -> String,
) {
    let _ = writeln!(out, "## {}\n", lang.t(heading));
    if items.is_empty() {
        let _ = writeln!(out, "{}\n", lang.t("report.none"));
        return;
    }
    for item in items {
        let _ = writeln!(out, "- {}", line(item));
    }
    out.push('\n');
}

/// "[policy change] Approval SLA at noon (C12), owner zhao, due 2026-12-01".
pub fn action(lang: Lang, a: &ActionLine) -> String {
    let mut s = format!(
        "[{}] {} (C{} {})",
        lang.t(&format!("rung.{}", a.rung)),
        a.title,
        a.cluster_id,
        a.cluster_title
    );
    let owner = a.owner.as_deref().unwrap_or("—");
    let _ = write!(s, ", {} {owner}", lang.t("report.owner"));
    if let Some(on) = a.launched_on {
        let _ = write!(
            s,
            ", {}",
            lang.t_with("report.launched_on", &[("date", &on.to_string())])
        );
    } else if let Some(due) = a.due_on {
        let _ = write!(
            s,
            ", {}",
            lang.t_with("report.due", &[("date", &due.to_string())])
        );
    }
    s
}

/// The driver in one sentence, then the coach's advice.
pub fn advice(lang: Lang, c: &ClusterReport) -> String {
    let mut parts = Vec::new();
    if let Some(d) = &c.driver {
        parts.push(d.sentence(lang));
    }
    match c.recommended_rung {
        Some(rung) => parts.push(lang.t_with(
            "report.next_rung",
            &[
                ("rung", &rung.to_string()),
                ("name", &lang.t(&format!("rung.{rung}"))),
            ],
        )),
        None => {
            if let Some(reason) = c.advice {
                parts.push(lang.t(&format!("coach.reason.{reason}")));
            }
        }
    }
    parts.join(" ")
}

/// "+17 (+42%)", or "+3" when last week had none.
pub fn change(c: &Comparison) -> String {
    match c.percent {
        Some(p) => format!("{:+} ({:+.0}%)", c.delta, p),
        None => format!("{:+}", c.delta),
    }
}

/// A weekly mean or rate, to one decimal.
pub fn mean(x: f64) -> String {
    format!("{x:.1}")
}

/// Text safe inside a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
