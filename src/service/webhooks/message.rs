//! What a delivery says: the event's kind, a `text` in the endpoint's language (chat
//! tools that accept a `text` field show it) and the structured data.

use crate::db::audit::EventRow;
use crate::domain::states::ClusterState;
use crate::i18n::Lang;
use serde_json::{Value, json};

/// The kinds an endpoint may ask for.
pub const KINDS: [&str; 7] = [
    "cluster.spike",
    "cluster.regressed",
    "cluster.resolved",
    "action.overdue",
    "action.verdict",
    "goal.behind",
    "incident.filed",
];

/// The webhook kind an event of the log is, if any, and its data.
pub fn kind_of(event: &EventRow) -> Option<(&'static str, Value)> {
    let after: Value = event
        .after_json
        .as_deref()
        .and_then(|a| serde_json::from_str(a).ok())
        .unwrap_or(Value::Null);
    let state = after["state"].as_str().and_then(ClusterState::parse);
    let kind = match (event.entity.as_str(), event.action.as_str(), state) {
        ("cluster", "spike" | "early_warning", _) => "cluster.spike",
        ("cluster", "state_changed", Some(ClusterState::Resolved)) => "cluster.resolved",
        ("cluster", "state_changed", Some(ClusterState::Regressed)) => "cluster.regressed",
        ("action", "overdue", _) => "action.overdue",
        ("action", "verdict", _) => "action.verdict",
        ("action", "goal_behind", _) => "goal.behind",
        ("incident", "filed", _) => "incident.filed",
        _ => return None,
    };
    let mut data = json!({
        "event_id": event.id,
        "at": event.at.and_utc(),
        "entity": event.entity,
        "entity_id": event.entity_id,
    });
    if let (Value::Object(d), Value::Object(a)) = (&mut data, after) {
        for (k, v) in a {
            d.entry(k).or_insert(v);
        }
    }
    if event.action == "early_warning" {
        data["early_warning"] = Value::Bool(true);
    }
    Some((kind, data))
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The human summary. `title` is the cluster's (or incident's, or action's) title.
pub fn text(lang: Lang, kind: &str, data: &Value, base_url: &str) -> String {
    let key = match kind {
        "cluster.spike" if data["early_warning"] == true => "webhook.text.early_warning",
        "cluster.spike" => "webhook.text.spike",
        "cluster.regressed" => "webhook.text.regressed",
        "cluster.resolved" => "webhook.text.resolved",
        "action.overdue" => "webhook.text.overdue",
        "action.verdict" => "webhook.text.verdict",
        "goal.behind" => "webhook.text.goal_behind",
        "incident.filed" => "webhook.text.filed",
        _ => "webhook.text.test",
    };
    let link = match data["entity"].as_str() {
        // Without --public-url there is no address to link to.
        _ if base_url.is_empty() => String::new(),
        Some("cluster") => format!("{base_url}/clusters/{}", s(&data["entity_id"])),
        Some("action") => format!("{base_url}/actions/{}", s(&data["entity_id"])),
        Some("incident") => format!("{base_url}/incidents/{}", s(&data["entity_id"])),
        _ => base_url.to_string(),
    };
    let verdict = data["verdict"]
        .as_str()
        .map(|v| lang.t(&format!("verdict.{v}")))
        .unwrap_or_default();
    let text = lang.t_with(
        key,
        &[
            ("title", &s(&data["title"])),
            ("week", &s(&data["week"])),
            ("n", &s(&data["this_week"])),
            ("due", &s(&data["due_on"])),
            ("verdict", &verdict),
            ("actual", &s(&data["actual"])),
            ("target", &s(&data["target"])),
            ("target_value", &s(&data["target_value"])),
            ("target_week", &s(&data["target_week"])),
            ("link", &link),
        ],
    );
    text.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_speaks_the_endpoints_language_and_links_only_with_a_public_url() {
        let data = json!({"entity": "cluster", "entity_id": 7, "title": "催审批", "week": "2026-W49", "this_week": 12});
        assert_eq!(
            text(Lang::En, "cluster.spike", &data, ""),
            "Spike: 催审批 had 12 incidents in 2026-W49, well above usual."
        );
        assert_eq!(
            text(
                Lang::Zh,
                "cluster.spike",
                &data,
                "https://rungs.example.com"
            ),
            "激增：催审批 在 2026-W49 有 12 起事件，明显高于往常。https://rungs.example.com/clusters/7"
        );
    }

    #[test]
    fn a_goal_behind_says_its_week_count_and_target_in_both_languages() {
        let data = json!({"entity": "action", "entity_id": 3, "title": "Lunch rota", "week": "2026-W08",
            "actual": 34, "target": 30.0, "target_value": 10.0, "target_week": "2026-W12"});
        assert_eq!(
            text(Lang::En, "goal.behind", &data, ""),
            "Goal behind: \"Lunch rota\" had 34 in 2026-W08 against a target of 30.0 (on the way to 10.0 by 2026-W12)."
        );
        assert_eq!(
            text(Lang::Zh, "goal.behind", &data, "https://r.example"),
            "目标落后：“Lunch rota”在 2026-W08 有 34 起，阶段目标为 30.0（目标：2026-W12 前降到 10.0）。https://r.example/actions/3"
        );
    }
}
