//! Every page of the demo that a lead reading Chinese can reach speaks Chinese: no state
//! names, stages, join reasons, decisions, slugs or booleans in English where a word of
//! the interface stands alone or on either side of an arrow. The lead's own words (titles,
//! notes, logins) are theirs and stay as written.

use crate::helpers::*;
use reqwest::StatusCode;
use rungs::domain::states::{
    ActionStage, ClusterState, IncidentStatus, JoinReason, SignoffDecision,
};
use rungs::service::grouping::GroupingCache;
use std::collections::{BTreeSet, HashSet, VecDeque};

/// Pages a crawl may open: the interface, never a way out or a download.
fn crawlable(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && ![
            "/logout", "/login", "/api/", "/metrics", "/healthz", "/assets", "/static",
        ]
        .iter()
        .any(|p| path.starts_with(p))
        && !path.contains("/report")
        && !path.contains(".csv")
        && !path.contains(".json")
        && !path.contains("lang=")
}

fn links(body: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.replace("&#38;", "&").replace("&amp;", "&"))
        .map(|href| href.split('#').next().unwrap_or_default().to_string())
        .filter(|href| crawlable(href))
        .collect()
}

/// The text between tags, outside scripts and styles, each piece trimmed.
fn text_nodes(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    let mut skip_until: Option<&str> = None;
    while let Some(open) = rest.find('<') {
        if skip_until.is_none() {
            let text = rest[..open].trim();
            if !text.is_empty() {
                out.push(text.replace("&#38;", "&").replace("&amp;", "&"));
            }
        }
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        match skip_until {
            Some(end) if tag.eq_ignore_ascii_case(end) => skip_until = None,
            Some(_) => {}
            None if tag.starts_with("script") => skip_until = Some("/script"),
            None if tag.starts_with("style") => skip_until = Some("/style"),
            None => {}
        }
        rest = &rest[open + close + 1..];
    }
    out
}

#[tokio::test]
async fn the_demos_chinese_pages_name_no_state_slug_or_boolean_in_english() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let logins: HashSet<String> = {
            let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
            rungs::service::demo::load(&mut app.conn(), &grouping, chrono::Utc::now())
                .expect("demo loads")
                .into_iter()
                .map(|(login, _)| login)
                .collect()
        };
        let catalog = rungs::service::catalog::Catalog::load(&mut app.conn()).unwrap();
        let mut english: BTreeSet<String> = ["true", "false"].map(String::from).into();
        english.extend(ClusterState::ALL.iter().map(|s| s.as_str().to_string()));
        english.extend(ActionStage::ALL.iter().map(|s| s.as_str().to_string()));
        english.extend(IncidentStatus::ALL.iter().map(|s| s.as_str().to_string()));
        english.extend(JoinReason::ALL.iter().map(|s| s.as_str().to_string()));
        english.extend(SignoffDecision::ALL.iter().map(|s| s.as_str().to_string()));
        english.extend(catalog.categories.iter().map(|c| c.slug.clone()));
        english.extend(catalog.departments.iter().map(|d| d.slug.clone()));
        // A login is the person's own word, and one of them is also a department's slug.
        english.retain(|w| !logins.contains(w));

        let lead = app.browser();
        lead.login("lead", rungs::service::demo::PASSWORD).await;
        let mut queue: VecDeque<String> = [
            "/review",
            "/clusters",
            "/triage",
            "/ladder",
            "/retro",
            "/incidents",
            "/account",
        ]
        .map(String::from)
        .into();
        let mut seen: HashSet<String> = queue.iter().cloned().collect();
        let mut pages = 0;
        let mut found = Vec::new();
        // A few pages of each kind (`/incidents/N`, `/clusters/N?week=…`), so the crawl
        // reaches every kind of page before its budget runs out.
        let mut kinds: std::collections::HashMap<String, usize> = Default::default();
        let kind = |path: &str| -> String {
            let (path, query) = path.split_once('?').unwrap_or((path, ""));
            let keys: Vec<&str> = query
                .split('&')
                .filter_map(|kv| kv.split('=').next())
                .collect();
            let path: String = path
                .split('/')
                .map(|part| {
                    if part.chars().any(|c| c.is_ascii_digit()) {
                        "N"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            format!("{path}?{}", keys.join("&"))
        };
        while let Some(path) = queue.pop_front() {
            if pages == 150 {
                break;
            }
            let page = lead.get(&path).await;
            if page.status != StatusCode::OK {
                continue;
            }
            pages += 1;
            assert!(
                page.body.contains("<html lang=\"zh-CN\">"),
                "{}: {path} is not in Chinese",
                app.backend
            );
            for node in text_nodes(&page.body) {
                let sides: Vec<&str> = if node.contains('→') {
                    node.split('→').map(str::trim).collect()
                } else {
                    vec![node.as_str()]
                };
                for side in sides {
                    let word = side.trim_end_matches([':', '：', ',', '，']);
                    if english.contains(word) {
                        found.push(format!("{path}: {node:?}"));
                    }
                }
            }
            for link in links(&page.body) {
                let taken = kinds.entry(kind(&link)).or_default();
                if *taken < 4 && seen.insert(link.clone()) {
                    *taken += 1;
                    queue.push_back(link);
                }
            }
        }
        eprintln!(
            "{}: {pages} Chinese pages of {} kinds crawled",
            app.backend,
            kinds.len()
        );
        assert!(pages >= 25, "{}: only {pages} pages crawled", app.backend);
        assert!(
            found.is_empty(),
            "{}: English words of the interface on Chinese pages ({pages} pages):\n{}",
            app.backend,
            found.join("\n")
        );
    }
}
