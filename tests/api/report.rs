//! The retrospective's report of a week: the same figures in every format (JSON, CSV,
//! Markdown, HTML), in the weekly review's API and from the command line; the page in
//! both languages for everyone signed in.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashMap;

const WEEK: &str = "2026-W45";

/// A time in 2026 (UTC, the organisation's zone here). 2026-W45 runs from Monday
/// 2 November to Sunday 8 November; 2026-W44 from 26 October.
fn at(month: u32, day: u32, hour: u32) -> String {
    format!("2026-{month:02}-{day:02}T{hour:02}:20:00Z")
}

async fn get(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let res = app
        .api()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status(), res.text().await.unwrap())
}

/// Figures by cluster id: (this week, last week, same week last year, delta).
type Figures = HashMap<i64, (u64, u64, u64, i64)>;

fn from_json(report: &Value) -> Figures {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let n = |k: &str| c[k].as_u64().unwrap();
            (
                c["id"].as_i64().unwrap(),
                (
                    n("this_week"),
                    n("last_week"),
                    n("same_week_last_year"),
                    c["delta"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

fn from_csv(text: &str) -> Figures {
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (id, tw, lw, ly, d) = (
        col("cluster_id"),
        col("this_week"),
        col("last_week"),
        col("same_week_last_year"),
        col("delta"),
    );
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| !r[id].is_empty() && r[col("action_id")].is_empty())
        .map(|r| {
            (
                r[id].parse().unwrap(),
                (
                    r[tw].parse().unwrap(),
                    r[lw].parse().unwrap(),
                    r[ly].parse().unwrap(),
                    r[d].parse().unwrap(),
                ),
            )
        })
        .collect()
}

/// The Markdown table's rows `| C12 | title | 6 | 2 | 0 | … | +4 (+200%) | …`.
fn from_markdown(text: &str) -> Figures {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let id = cells.get(1)?.strip_prefix('C')?.parse().ok()?;
            let delta = cells[7]
                .split(' ')
                .next()?
                .trim_start_matches('+')
                .parse()
                .ok()?;
            Some((
                id,
                (
                    cells[3].parse().ok()?,
                    cells[4].parse().ok()?,
                    cells[5].parse().ok()?,
                    delta,
                ),
            ))
        })
        .collect()
}

/// The HTML table's rows: the cluster link, then the figures' cells.
fn from_html(text: &str) -> Figures {
    text.split("<tr><td><a href=\"/clusters/")
        .skip(1)
        .filter_map(|row| {
            let id = row.split('"').next()?.parse().ok()?;
            let nums: Vec<&str> = row
                .split("<td class=\"num\">")
                .skip(1)
                .map(|c| c.split("</td>").next().unwrap_or(""))
                .collect();
            let delta = nums.get(4)?.split(' ').next()?.trim_start_matches('+');
            Some((
                id,
                (
                    nums[0].parse().ok()?,
                    nums[1].parse().ok()?,
                    nums[2].parse().ok()?,
                    delta.parse().ok()?,
                ),
            ))
        })
        .collect()
}

/// Goals by action id: (the week's target, its count, behind).
type Goals = HashMap<i64, (f64, u64, bool)>;

fn goals_from_json(report: &Value) -> Goals {
    report["goals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_i64().unwrap(),
                (
                    g["target"].as_f64().unwrap(),
                    g["actual"].as_u64().unwrap(),
                    g["behind"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

/// The goal rows: those naming an `action_id`.
fn goals_from_csv(text: &str) -> Goals {
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| !r[col("action_id")].is_empty())
        .map(|r| {
            (
                r[col("action_id")].parse().unwrap(),
                (
                    r[col("target")].parse().unwrap(),
                    r[col("this_week")].parse().unwrap(),
                    &r[col("flags")] == "behind",
                ),
            )
        })
        .collect()
}

/// The goals' table rows `| A12 | action | 1/4 | 10 | 7 | on track |`.
fn goals_from_markdown(text: &str) -> Goals {
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let id = cells.get(1)?.strip_prefix('A')?.parse().ok()?;
            let n = cells.len();
            let standing = cells[n - 2];
            Some((
                id,
                (
                    cells[n - 4].parse().ok()?,
                    cells[n - 3].parse().ok()?,
                    standing == "behind" || standing == "落后",
                ),
            ))
        })
        .collect()
}

/// The goals' table: the action link, then stage, target and count cells.
fn goals_from_html(text: &str) -> Goals {
    let section = text.split("id=\"goals-h\"").nth(1).unwrap_or("");
    let section = section.split("</section>").next().unwrap_or("");
    section
        .split("<tr><td><a href=\"/actions/")
        .skip(1)
        .filter_map(|row| {
            let id = row.split('"').next()?.parse().ok()?;
            let nums: Vec<&str> = row
                .split("<td class=\"num\">")
                .skip(1)
                .map(|c| c.split("</td>").next().unwrap_or(""))
                .collect();
            Some((
                id,
                (
                    nums.get(1)?.parse().ok()?,
                    nums.get(2)?.parse().ok()?,
                    row.contains('▲'),
                ),
            ))
        })
        .collect()
}

#[tokio::test]
async fn every_format_of_a_weeks_report_has_the_same_figures() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "sales");
        let member = app.user("li", "member", "sales");
        let (lead_token, member_token) = (app.token(&lead), app.token(&member));
        // Chases: 2 the week before, 7 in W45, five of them over lunch (one a day).
        // Printer jams: 3 and 1. A VPN problem only in W45.
        let mut filings = vec![];
        for (day, hour) in [(27, 10), (29, 15)] {
            filings.push(("催审批 订单还没批", "approval-chase", at(10, day, hour)));
        }
        for (day, hour) in [(2, 12), (3, 13), (4, 12), (5, 13), (6, 12), (2, 9), (4, 16)] {
            filings.push(("催审批 订单还没批", "approval-chase", at(11, day, hour)));
        }
        for day in [26, 28, 30] {
            filings.push((
                "Printer on floor 3 jams again",
                "system-bug",
                at(10, day, 11),
            ));
        }
        filings.push(("Printer on floor 3 jams again", "system-bug", at(11, 4, 11)));
        filings.push(("VPN drops every hour", "system-bug", at(11, 6, 9)));
        let mut cluster_of = HashMap::new();
        for (title, category, when) in &filings {
            let (status, body) = app
                .post_incident(
                    &member_token,
                    json!({"title": title, "category": category, "occurred_at": when}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{}", ctx(&body.to_string()));
            cluster_of.insert(*title, body["cluster_id"].as_i64().unwrap());
        }
        let chases = cluster_of["催审批 订单还没批"];
        let (status, action) = {
            let res = app
                .api()
                .post(app.url(&format!("/api/v1/clusters/{chases}/actions")))
                .bearer_auth(&lead_token)
                .json(&json!({"rung": 1, "title": "Staff the approval desk over lunch", "owner": "zhao",
                    "launched_at": "2026-11-04", "review_after_weeks": 2}))
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        };
        assert!(status.is_success(), "{}", ctx(&action.to_string()));
        // A goal from 12 a week (launched in W44) to 4 by W48: 10, 8, 6, 4; W45 has 7.
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/clusters/{chases}/actions")))
            .bearer_auth(&lead_token)
            .json(&json!({"rung": 1, "title": "Answer chases with the approval's status", "launched_at": "2026-10-28",
                "goal_kind": "weekly_rate_below", "goal_value": 4.0, "goal_start": 12.0, "goal_week": "2026-W48"}))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", ctx("the goal"));
        let goal_id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

        let (status, json_text) = get(
            &app,
            &member_token,
            &format!("/api/v1/reports/weekly/{WEEK}?format=json"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", ctx(&json_text));
        let report: Value = serde_json::from_str(&json_text).unwrap();
        let figures = from_json(&report);
        let goals = goals_from_json(&report);
        assert_eq!(
            goals,
            HashMap::from([(goal_id, (10.0, 7, false))]),
            "{}",
            ctx("the goal's week")
        );
        assert_eq!(figures[&chases], (7, 2, 0, 5), "{}", ctx("the chases"));
        assert_eq!(
            figures[&cluster_of["Printer on floor 3 jams again"]],
            (1, 3, 0, -2),
            "{}",
            ctx("the printer")
        );
        assert_eq!(report["team"]["this_week"], 9, "{}", ctx("the team"));
        assert_eq!(report["team"]["last_week"], 5, "{}", ctx("the team"));
        // The most notable first; its rise explained by the lunch hours.
        assert_eq!(report["clusters"][0]["id"], chases, "{}", ctx("order"));
        let driver = &report["clusters"][0]["driver"];
        assert_eq!(driver["dimension"], "hour", "{}", ctx(&driver.to_string()));
        let launched = report["launched"].as_array().unwrap();
        assert_eq!(launched.len(), 1, "{}", ctx("the launch"));
        assert_eq!(launched[0]["owner"], "zhao");
        assert_eq!(report["partial"], false);

        // The weekly review's API says the same.
        let review = app
            .get_json(&lead_token, &format!("/api/v1/clusters?week={WEEK}"))
            .await;
        assert_eq!(from_json(&review), figures, "{}", ctx("review API"));

        let (status, csv_text) = get(
            &app,
            &member_token,
            &format!("/api/v1/reports/weekly/{WEEK}?format=csv"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(from_csv(&csv_text), figures, "{}", ctx("CSV"));
        assert_eq!(goals_from_csv(&csv_text), goals, "{}", ctx("CSV goals"));

        for lang in ["en", "zh-CN"] {
            let (status, md) = get(
                &app,
                &member_token,
                &format!("/api/v1/reports/weekly/{WEEK}?format=md&lang={lang}"),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(from_markdown(&md), figures, "{}", ctx(&md));
            assert_eq!(goals_from_markdown(&md), goals, "{}", ctx(&md));
            let (status, html) = get(
                &app,
                &member_token,
                &format!("/api/v1/reports/weekly/{WEEK}?format=html&lang={lang}"),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(from_html(&html), figures, "{}", ctx("HTML"));
            assert_eq!(goals_from_html(&html), goals, "{}", ctx("HTML goals"));
            assert!(html.contains("@page"), "{}", ctx("laid out for A4"));
            if lang == "zh-CN" {
                assert!(
                    md.contains("周复盘") && html.contains("周复盘"),
                    "{}",
                    ctx(&md)
                );
                assert!(md.contains("12:00 至 13:59"), "{}", ctx(&md));
            } else {
                assert!(md.contains("between 12:00 and 13:59"), "{}", ctx(&md));
            }
        }

        // The command line prints the same CSV.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_rungs"))
            .args([
                "report",
                "--week",
                WEEK,
                "--format",
                "csv",
                "--database-url",
                &app.database_url,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            ctx(&String::from_utf8_lossy(&out.stderr))
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            csv_text,
            "{}",
            ctx("CLI")
        );

        // Bad weeks and formats are refused with their field named.
        let bad = app
            .get_json(&member_token, "/api/v1/reports/weekly/2026-W60?format=md")
            .await;
        assert!(
            bad["fields"]["week"].is_string(),
            "{}",
            ctx(&bad.to_string())
        );
        let bad = app
            .get_json(
                &member_token,
                &format!("/api/v1/reports/weekly/{WEEK}?format=pdf"),
            )
            .await;
        assert!(
            bad["fields"]["format"].is_string(),
            "{}",
            ctx(&bad.to_string())
        );
        assert_eq!(
            get(&app, "no-token", &format!("/api/v1/reports/weekly/{WEEK}"))
                .await
                .0,
            StatusCode::UNAUTHORIZED
        );

        // The page: members read it, in their language; `/retro` opens the last week.
        let (browser, _) = app.signed_in("wang", "member").await;
        let page = browser.get(&format!("/retro/{WEEK}")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", ctx(&page.body));
        assert_eq!(from_html(&page.body), figures, "{}", ctx("the page"));
        assert_eq!(
            goals_from_html(&page.body),
            goals,
            "{}",
            ctx("the page's goals")
        );
        browser
            .submit("/account", "/account/language", &[("language", "zh-CN")])
            .await;
        let zh = browser.get(&format!("/retro/{WEEK}")).await;
        assert!(zh.body.contains("周复盘"), "{}", ctx("in Chinese"));
        let latest = browser.get("/retro").await;
        assert_eq!(latest.status, StatusCode::SEE_OTHER);
        let download = browser
            .get(&format!("/retro/{WEEK}/report?format=csv"))
            .await;
        assert_eq!(download.body, csv_text, "{}", ctx("the page's download"));
    }
}

/// A built report is kept while nothing it shows has changed: a meeting's notes, written
/// with no change counter moved, still reach the next view (its event is newer), on
/// either backend.
#[tokio::test]
async fn a_kept_report_shows_the_next_change() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let (status, body) = app
            .post_incident(
                &token,
                json!({"title": "催审批 订单 77", "category": "approval-chase"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let week = rungs::domain::week::current_week(chrono::Utc::now(), chrono_tz::UTC);
        let path = format!("/api/v1/reports/weekly/{week}?format=json");
        let (status, first) = get(&app, &token, &path).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        let (_, again) = get(&app, &token, &path).await;
        let notes = |text: &str| {
            serde_json::from_str::<Value>(text).unwrap()["meeting"]["notes"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(notes(&first), notes(&again));
        assert_eq!(notes(&again), "");

        rungs::service::meetings::save(
            &mut app.conn(),
            &lead,
            week,
            &rungs::service::meetings::MeetingInput {
                attendees: vec!["zhao".into()],
                notes: "Lunch cover from Monday".into(),
            },
        )
        .unwrap();
        let (_, after) = get(&app, &token, &path).await;
        assert_eq!(notes(&after), "Lunch cover from Monday", "{}", app.backend);
    }
}

/// A past week's report shows that week as it stood at its end, not as later changes
/// left it: the cluster's state and rung, the actions launched and overdue. This week's
/// report shows them as they are now.
#[tokio::test]
async fn a_past_weeks_report_shows_that_week_not_today() {
    use chrono::{Duration, Utc};
    use rungs::domain::week::current_week;
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let now = Utc::now();
        let this_week = current_week(now, chrono_tz::UTC);
        let (last_week, two_back) = (this_week.minus(1), this_week.minus(2));
        let monday = |w: rungs::domain::week::WeekKey| w.monday();
        // Chases in each of the last two weeks, so the cluster is in both reports.
        let mut cluster = 0;
        for (week, n) in [(two_back, 2), (last_week, 3)] {
            for i in 0..n {
                let at = monday(week) + Duration::days(i);
                let (status, body) = app
                    .post_incident(
                        &token,
                        json!({"title": "催审批 订单还没批", "category": "approval-chase",
                            "occurred_at": format!("{at}T10:15:00Z")}),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{}", ctx(&body.to_string()));
                cluster = body["cluster_id"].as_i64().unwrap();
            }
        }
        // Two weeks ago the meeting decided something, closed today.
        let decided = rungs::service::meetings::decide(
            &mut app.conn(),
            &lead,
            two_back,
            &rungs::service::meetings::DecisionInput {
                body: "Ask the approval desk for a lunch rota".into(),
                cluster: None,
                action: Default::default(),
            },
            chrono_tz::UTC,
            Default::default(),
        )
        .unwrap();
        rungs::service::meetings::close_decision(&mut app.conn(), &lead, decided.0).unwrap();
        // Today: a process change launched (the cluster acts, its rung rises), and a
        // feature recorded today with a due date two weeks ago (overdue now, not then).
        let today = now.date_naive();
        for body in [
            json!({"rung": 1, "title": "Lunch rota", "launched_at": today.to_string()}),
            json!({"rung": 2, "title": "Show approval progress", "owner": "zhao",
                "due_on": monday(two_back).to_string()}),
        ] {
            let res = app
                .api()
                .post(app.url(&format!("/api/v1/clusters/{cluster}/actions")))
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert!(
                res.status().is_success(),
                "{}",
                ctx(&res.text().await.unwrap())
            );
        }
        let report = |week: rungs::domain::week::WeekKey| {
            let (app, token) = (&app, &token);
            async move {
                let (status, text) = get(
                    app,
                    token,
                    &format!("/api/v1/reports/weekly/{week}?format=json"),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{text}");
                serde_json::from_str::<Value>(&text).unwrap()
            }
        };
        let line = |r: &Value| {
            r["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == cluster)
                .cloned()
                .unwrap_or(Value::Null)
        };
        let titles = |list: &Value| -> Vec<String> {
            list.as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    a["title"]
                        .as_str()
                        .unwrap_or(a["body"].as_str().unwrap_or(""))
                        .to_string()
                })
                .collect()
        };

        let past = report(last_week).await;
        let then = line(&past);
        assert_eq!(
            (then["state"].clone(), then["rung"].clone()),
            (json!("open"), json!(0)),
            "{}",
            ctx(&then.to_string())
        );
        assert!(
            past["launched"].as_array().unwrap().is_empty(),
            "{}",
            ctx(&past["launched"].to_string())
        );
        assert!(
            past["overdue"].as_array().unwrap().is_empty(),
            "{}",
            ctx(&past["overdue"].to_string())
        );
        // Decisions are shown with their status now (the meeting asks what is still
        // open): the one closed today is not.
        assert!(
            past["open_decisions"].as_array().unwrap().is_empty(),
            "{}",
            ctx(&past["open_decisions"].to_string())
        );

        let current = report(this_week).await;
        let now_line = line(&current);
        if now_line.is_null() {
            // No chase this week: the cluster is not in this week's family; its state now
            // is on the cluster itself.
            let stored = rungs::db::clusters::find(&mut app.conn(), cluster)
                .unwrap()
                .unwrap();
            assert_eq!(
                stored.state.as_str(),
                "acting",
                "{}",
                ctx("the cluster now")
            );
        }
        assert_eq!(
            titles(&current["launched"]),
            ["Lunch rota"],
            "{}",
            ctx(&current["launched"].to_string())
        );
        assert_eq!(
            titles(&current["overdue"]),
            ["Show approval progress"],
            "{}",
            ctx(&current["overdue"].to_string())
        );
        assert!(
            current["open_decisions"].as_array().unwrap().is_empty(),
            "{}",
            ctx(&current["open_decisions"].to_string())
        );
    }
}
