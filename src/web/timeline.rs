//! A trail entry told in the reader's language: each stored change becomes a phrase
//! (a state by its name, a rung with its name, an owner by name, a score as a
//! percentage), and what only the machine needs (ids of rules, lists of moved incidents,
//! flags the entry's verb already says) is left out.

use super::session::PageCtx;
use crate::service::incidents::TimelineEntry;
use std::collections::HashMap;

/// The phrases that follow an entry's verb.
pub fn details(
    page: &PageCtx,
    entry: &TimelineEntry,
    people: &HashMap<i64, String>,
) -> Vec<String> {
    let t = |key: &str, args: &[(&str, &str)]| page.t_with(&format!("timeline_detail.{key}"), args);
    let mut out = Vec::new();
    for (field, before, after) in &entry.changes {
        let (b, a) = (before.as_str(), after.as_str());
        let phrase = match field.as_str() {
            // Said by the verb, or only for the machine.
            "confirmed" | "dismissed" | "split" | "by" | "moved" | "rule" | "action" => None,
            "title" if b.is_empty() => Some(t("title", &[("title", a)])),
            "title" => Some(t("title_changed", &[("from", b), ("to", a)])),
            "summary" if a.is_empty() => Some(t("summary_cleared", &[])),
            "summary" => Some(t("summary", &[("summary", a)])),
            "owner_id" => Some(match a.parse::<i64>().ok().and_then(|id| people.get(&id)) {
                Some(name) => t("owner", &[("name", name)]),
                None => t("no_owner", &[]),
            }),
            "state" | "from" | "to" if is_state(a) => {
                let name = |s: &str| page.t_in("state", s);
                Some(if b.is_empty() {
                    t("state", &[("to", &name(a))])
                } else {
                    t("state_changed", &[("from", &name(b)), ("to", &name(a))])
                })
            }
            // A weight tuning's revision: its weights, not clusters.
            "from" if entry.action == "weight" => Some(t("weight_from", &[("w", a)])),
            "to" if entry.action == "weight" => Some(t("weight_to", &[("w", a)])),
            "department" if entry.action == "signoff" => {
                Some(t("signed_for", &[("department", a)]))
            }
            "from" if is_stage(a) => Some(t("stage_from", &[("s", &page.t_in("stage", a))])),
            "to" if is_stage(a) => Some(t("stage_to", &[("s", &page.t_in("stage", a))])),
            "stage" if is_stage(a) => Some(t("stage", &[("s", &page.t_in("stage", a))])),
            "verdict" => Some(page.t_in("verdict", a)),
            // The scheduler's notes on an action name its cluster for the machine.
            "cluster_id"
                if matches!(entry.action.as_str(), "verdict" | "overdue" | "goal_behind") =>
            {
                None
            }
            "rung" => Some(t("rung", &[("n", a), ("name", &page.t_in("rung", a))])),
            "pattern" => Some(t("pattern", &[("pattern", a)])),
            "from" => Some(t("from_cluster", &[("id", a)])),
            "into" | "to" | "cluster_id" => Some(t("into_cluster", &[("id", a)])),
            "incidents" if a.parse::<i64>().is_ok() => {
                Some(page.t_with("clusters.incident_count", &[("n", a)]))
            }
            "incident" => Some(t("incident", &[("id", a)])),
            "score" => a
                .parse::<f64>()
                .ok()
                .map(|s| t("similarity", &[("p", &format!("{:.0}", s * 100.0))])),
            "terms" if !a.is_empty() => Some(t("terms", &[("terms", a)])),
            "reason" | "comment" | "note" if !a.is_empty() => Some(t("said", &[("text", a)])),
            _ => labelled(page, field, a),
        };
        out.extend(phrase);
    }
    out
}

/// The link an entry carries (an action it recorded), if any.
pub fn link(entry: &TimelineEntry) -> Option<String> {
    entry
        .changes
        .iter()
        .find(|(f, _, _)| f == "action")
        .and_then(|(_, _, id)| id.parse::<i64>().ok())
        .map(|id| format!("/actions/{id}"))
}

fn is_stage(s: &str) -> bool {
    crate::domain::states::ActionStage::parse(s).is_some()
}

fn is_state(s: &str) -> bool {
    crate::domain::states::ClusterState::parse(s).is_some()
}

/// Any other field: its label and value when the catalogue names it (yes or no for a
/// flag); left out when it has no name in the reader's language.
fn labelled(page: &PageCtx, field: &str, value: &str) -> Option<String> {
    let key = format!("field.{field}");
    let label = page.t(&key);
    if label == key || value.is_empty() {
        return None;
    }
    let value = match value {
        "true" => page.t("common.yes"),
        "false" => page.t("common.no"),
        other => other.to_string(),
    };
    Some(format!("{label}: {value}"))
}
