//! The retrospective's meeting on `/retro/{week}`: leads record attendees, notes and
//! decisions, turn a decision into an action, hold the meeting, reopen and correct it,
//! all on the trail; members read it; the next week lists the decisions still open.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const WEEK: &str = "2026-W45";
const NEXT: &str = "2026-W46";

async fn meeting(app: &TestApp, token: &str, week: &str) -> Value {
    app.get_json(token, &format!("/api/v1/meetings/{week}"))
        .await
}

/// The meeting's events in the log, by their verb, oldest first.
async fn meeting_events(app: &TestApp, admin_token: &str) -> Vec<String> {
    let page = app
        .get_json(admin_token, "/api/v1/events?after=0&limit=500")
        .await;
    page["events"]
        .as_array()
        .expect("the event log")
        .iter()
        .filter(|e| e["entity"] == "meeting")
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_meeting_is_held_reopened_and_corrected_on_the_trail() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let (lead, _) = app.signed_in("zhao", "lead").await;
        let (member, member_actor) = app.signed_in("li", "member").await;
        let admin = app.user("root", "admin", "sales");
        let (member_token, admin_token) = (app.token(&member_actor), app.token(&admin));
        let (status, filed) = app
            .post_incident(
                &member_token,
                json!({"title": "催审批 订单还没批", "category": "approval-chase",
                    "occurred_at": "2026-11-03T12:20:00Z"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}", ctx(&filed.to_string()));
        let cluster = filed["cluster_id"].as_i64().unwrap().to_string();
        let page_path = format!("/retro/{WEEK}");

        // Reading the page and the API writes nothing.
        let (events, meetings) = (app.count("audit_events"), app.count("meetings"));
        let page = lead.get(&page_path).await;
        assert_eq!(page.status, StatusCode::OK, "{}", ctx(&page.body));
        assert!(
            page.body.contains("form-meeting"),
            "{}",
            ctx("the lead's form")
        );
        let empty = meeting(&app, &member_token, WEEK).await;
        assert_eq!(empty["state"], "open", "{}", ctx(&empty.to_string()));
        assert_eq!(app.count("audit_events"), events, "{}", ctx("a GET wrote"));
        assert_eq!(app.count("meetings"), meetings, "{}", ctx("a GET wrote"));

        // Attendees and notes.
        let saved = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/meeting"),
                &[
                    ("attendee_zhao", "on"),
                    ("attendee_li", "on"),
                    ("notes", "Lunch chases doubled."),
                ],
            )
            .await;
        assert_redirect_to(&saved, &format!("/retro/{WEEK}"));
        let page = lead.get(&page_path).await;
        assert!(
            page.body.contains("The meeting of 2026-W45 is saved."),
            "{}",
            ctx("the flash")
        );

        // A decision, and one that becomes an action in the same step.
        let decided = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/decisions"),
                &[("decision", "Ask finance about the lunch rota")],
            )
            .await;
        assert_redirect_to(&decided, &format!("/retro/{WEEK}"));
        let actions = app.count("actions");
        // A refused decision keeps what was typed and writes nothing.
        let refused = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/decisions"),
                &[
                    ("decision", ""),
                    ("cluster", &cluster),
                    ("rung", "1"),
                    ("owner", "zhao"),
                    ("due_on", "2026-11-20"),
                    ("goal_kind", "weekly_rate_below"),
                    ("goal_value", "three"),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx(&refused.body)
        );
        assert!(refused.body.contains("2026-11-20"), "{}", ctx("typed kept"));
        assert!(refused.body.contains("field-error"), "{}", ctx("errors"));
        assert_eq!(app.count("actions"), actions, "{}", ctx("nothing written"));
        assert_eq!(app.count("meeting_decisions"), 1, "{}", ctx("one decision"));
        let decided = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/decisions"),
                &[
                    ("decision", "Staff the approval desk over lunch"),
                    ("cluster", &cluster),
                    ("rung", "1"),
                    ("owner", "zhao"),
                    ("due_on", "2026-11-20"),
                    ("goal_kind", "weekly_rate_below"),
                    ("goal_value", "3"),
                ],
            )
            .await;
        assert_redirect_to(&decided, &format!("/retro/{WEEK}"));
        let m = meeting(&app, &member_token, WEEK).await;
        assert_eq!(
            m["attendees"].as_array().unwrap().len(),
            2,
            "{}",
            ctx(&m.to_string())
        );
        assert_eq!(m["notes"], "Lunch chases doubled.");
        let decisions = m["decisions"].as_array().unwrap();
        assert_eq!(decisions.len(), 2, "{}", ctx(&m.to_string()));
        assert!(decisions[0]["action"].is_null());
        let action_id = decisions[1]["action"]["id"].as_i64().expect("its action");
        assert_eq!(decisions[1]["action"]["stage"], "planned");
        let action = app
            .get_json(&member_token, &format!("/api/v1/actions/{action_id}"))
            .await;
        assert_eq!(action["title"], "Staff the approval desk over lunch");
        assert_eq!(action["cluster_id"].to_string(), cluster);
        assert_eq!(action["goal_kind"], "weekly_rate_below");
        assert_eq!(action["due_on"], "2026-11-20");

        // The first decision becomes an action later, from its own form.
        let first = decisions[0]["id"].as_i64().unwrap();
        let made = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/decisions/{first}/action"),
                &[("cluster", &cluster), ("rung", "1"), ("owner", "zhao")],
            )
            .await;
        assert_redirect_to(&made, &format!("/retro/{WEEK}"));
        let m = meeting(&app, &member_token, WEEK).await;
        assert!(
            m["decisions"][0]["action"]["id"].is_i64(),
            "{}",
            ctx(&m.to_string())
        );

        // A member reads the meeting and cannot change it.
        let read = member.get(&page_path).await;
        assert_eq!(read.status, StatusCode::OK);
        assert!(read.body.contains("Staff the approval desk over lunch"));
        assert!(!read.body.contains("form-meeting"), "{}", ctx("no form"));
        for (action, fields) in [
            (
                format!("/retro/{WEEK}/meeting"),
                vec![("notes", "mine now")],
            ),
            (format!("/retro/{WEEK}/meeting/hold"), vec![]),
            (format!("/retro/{WEEK}/decisions"), vec![("decision", "x")]),
        ] {
            let refused = member.submit(&page_path, &action, &fields).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", ctx(&action));
        }

        // Held: kept as it is until reopened.
        let held = lead
            .submit(&page_path, &format!("/retro/{WEEK}/meeting/hold"), &[])
            .await;
        assert_redirect_to(&held, &format!("/retro/{WEEK}"));
        let page = lead.get(&page_path).await;
        assert!(page.body.contains("is held and kept"), "{}", ctx("flash"));
        assert!(page.body.contains("form-reopen"), "{}", ctx("reopen form"));
        let refused = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/decisions"),
                &[("decision", "One more")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", ctx("held"));
        let m = meeting(&app, &member_token, WEEK).await;
        assert_eq!(m["state"], "held");
        assert_eq!(m["held_by"], "zhao");

        // Reopened and corrected, then held again.
        let reopened = lead
            .submit(&page_path, &format!("/retro/{WEEK}/meeting/reopen"), &[])
            .await;
        assert_redirect_to(&reopened, &format!("/retro/{WEEK}"));
        let second = m["decisions"][1]["id"].as_i64().unwrap();
        let corrected = lead
            .submit(
                &page_path,
                &format!("/retro/{WEEK}/decisions/{second}"),
                &[("decision", "Staff the approval desk from 12:00 to 14:00")],
            )
            .await;
        assert_redirect_to(&corrected, &format!("/retro/{WEEK}"));
        lead.submit(&page_path, &format!("/retro/{WEEK}/meeting/hold"), &[])
            .await;

        // Every change is in the event log and on the page's trail.
        let verbs = meeting_events(&app, &admin_token).await;
        assert_eq!(
            verbs,
            [
                "attendees_changed",
                "notes_changed",
                "decision_added",
                "decision_added",
                "decision_action",
                "held",
                "reopened",
                "decision_changed",
                "held",
            ],
            "{}",
            ctx("the meeting's events")
        );
        for lang in ["en", "zh-CN"] {
            member
                .submit("/account", "/account/language", &[("language", lang)])
                .await;
            let page = member.get(&page_path).await;
            let phrases: &[&str] = if lang == "en" {
                &[
                    "held the meeting",
                    "reopened the meeting",
                    "corrected a decision",
                    "turned a decision into an action",
                    "Staff the approval desk from 12:00 to 14:00",
                ]
            } else {
                &[
                    "召开并确认了会议",
                    "重新打开会议",
                    "更正了一项决定",
                    "参会人",
                ]
            };
            for phrase in phrases {
                assert!(page.body.contains(phrase), "{}", ctx(phrase));
            }
        }

        // The next week lists the decisions still open, with their actions' stage now.
        let next = meeting(&app, &member_token, NEXT).await;
        let open = next["open_decisions"].as_array().unwrap();
        assert_eq!(open.len(), 2, "{}", ctx(&next.to_string()));
        assert_eq!(open[1]["week"], WEEK);
        assert_eq!(open[1]["action"]["stage"], "planned");
        let next_path = format!("/retro/{NEXT}");
        let page = lead.get(&next_path).await;
        assert!(
            page.body.contains("Open decisions from earlier meetings")
                && page
                    .body
                    .contains("Staff the approval desk from 12:00 to 14:00"),
            "{}",
            ctx("the next week's page")
        );
        // Closed as done from the next week's page: no longer listed.
        let closed = lead
            .submit(
                &next_path,
                &format!("/retro/{NEXT}/decisions/{first}/close"),
                &[],
            )
            .await;
        assert_redirect_to(&closed, &next_path);
        let next = meeting(&app, &member_token, NEXT).await;
        assert_eq!(next["open_decisions"].as_array().unwrap().len(), 1);
        assert_eq!(
            meeting_events(&app, &admin_token).await.last().unwrap(),
            "decision_closed"
        );

        // The report of the week and of the next say the same, in every format.
        let report = app
            .get_json(&member_token, &format!("/api/v1/reports/weekly/{WEEK}"))
            .await;
        assert_eq!(
            report["meeting"]["state"],
            "held",
            "{}",
            ctx(&report.to_string())
        );
        assert_eq!(report["meeting"]["decisions"].as_array().unwrap().len(), 2);
        let next_report = app
            .get_json(&member_token, &format!("/api/v1/reports/weekly/{NEXT}"))
            .await;
        assert_eq!(next_report["open_decisions"].as_array().unwrap().len(), 1);
        // The CSV's decision rows name the same decisions and actions as the JSON.
        let csv_text = app
            .api()
            .get(app.url(&format!("/api/v1/reports/weekly/{WEEK}?format=csv")))
            .bearer_auth(&member_token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut reader =
            csv::Reader::from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
        let (title, decision, action) = (col("title"), col("decision_id"), col("action_id"));
        let from_csv: Vec<(i64, i64)> = reader
            .records()
            .map(Result::unwrap)
            .filter(|r| &r[title] == "(decision)")
            .map(|r| (r[decision].parse().unwrap(), r[action].parse().unwrap()))
            .collect();
        let from_json: Vec<(i64, i64)> = report["meeting"]["decisions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                (
                    d["id"].as_i64().unwrap(),
                    d["action"]["id"].as_i64().unwrap(),
                )
            })
            .collect();
        assert_eq!(from_csv, from_json, "{}", ctx(&csv_text));
        for format in ["md", "csv", "html"] {
            let text = app
                .api()
                .get(app.url(&format!("/api/v1/reports/weekly/{WEEK}?format={format}")))
                .bearer_auth(&member_token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                text.contains("Staff the approval desk from 12:00 to 14:00"),
                "{}",
                ctx(&text)
            );
            assert!(text.contains("zhao"), "{}", ctx("attendees"));
        }
    }
}

async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = app.api().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The same meeting through the API, as a chat bot or another tool would keep it:
/// attendees and notes, a decision that becomes an action, held, reopened, a decision
/// closed; members only read; every change on the trail.
#[tokio::test]
async fn a_meeting_is_recorded_held_and_reopened_through_the_api() {
    use reqwest::Method;
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let ctx = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "operations");
        let member = app.user("li", "member", "sales");
        let admin = app.user("root", "admin", "operations");
        let (token, member_token, admin_token) =
            (app.token(&lead), app.token(&member), app.token(&admin));
        let (status, filed) = app
            .post_incident(
                &member_token,
                json!({"title": "催审批 订单 4711", "category": "approval-chase",
                    "occurred_at": "2026-11-04T12:20:00Z"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{}", ctx(&filed.to_string()));
        let cluster = filed["cluster_id"].as_i64().unwrap();
        let at = |p: &str| format!("/api/v1/meetings/{WEEK}{p}");

        let record = json!({"attendees": ["zhao", "li"], "notes": "Chases at lunch."});
        let (status, _) = send(
            &app,
            &member_token,
            Method::PUT,
            &at(""),
            Some(record.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{}", ctx("a member"));
        let (status, body) = send(
            &app,
            &token,
            Method::PUT,
            "/api/v1/meetings/W45",
            Some(record.clone()),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx(&body.to_string())
        );
        let (status, m) = send(&app, &token, Method::PUT, &at(""), Some(record)).await;
        assert_eq!(status, StatusCode::OK, "{}", ctx(&m.to_string()));
        assert_eq!(m["notes"], "Chases at lunch.");
        assert_eq!(m["attendees"].as_array().unwrap().len(), 2);

        // A decision with an action on the cluster; one with a cluster but no action is
        // refused, naming the action.
        let (status, body) = send(
            &app,
            &token,
            Method::POST,
            &at("/decisions"),
            Some(json!({"text": "Staff the desk at lunch", "cluster": cluster})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx(&body.to_string())
        );
        assert!(
            body.to_string().contains("action"),
            "{}",
            ctx(&body.to_string())
        );
        let (status, m) = send(
            &app,
            &token,
            Method::POST,
            &at("/decisions"),
            Some(
                json!({"text": "Staff the desk at lunch", "cluster": cluster,
                "action": {"rung": 1, "owner": "zhao"}}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{}", ctx(&m.to_string()));
        let decision = &m["decisions"][0];
        assert_eq!(decision["action"]["rung"], 1, "{}", ctx(&m.to_string()));
        assert_eq!(
            decision["action"]["title"],
            "Staff the desk at lunch",
            "{}",
            ctx("the title is the decision's text")
        );
        let decision_id = decision["id"].as_i64().unwrap();

        // Held: kept as recorded; a change is refused until it is reopened.
        let (status, m) = send(
            &app,
            &token,
            Method::POST,
            &at("/state"),
            Some(json!({"state": "held"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", ctx(&m.to_string()));
        assert_eq!(
            (m["state"].as_str(), m["held_by"].as_str()),
            (Some("held"), Some("zhao"))
        );
        let (status, _) = send(
            &app,
            &token,
            Method::PUT,
            &at(""),
            Some(json!({"attendees": ["zhao"], "notes": "changed"})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{}", ctx("a held meeting"));
        let (status, _) = send(
            &app,
            &token,
            Method::POST,
            &at("/state"),
            Some(json!({"state": "closed"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            ctx("not a state")
        );
        let (status, m) = send(
            &app,
            &token,
            Method::POST,
            &at("/state"),
            Some(json!({"state": "open"})),
        )
        .await;
        assert_eq!(
            (status, m["state"].as_str()),
            (StatusCode::OK, Some("open")),
            "{}",
            ctx(&m.to_string())
        );

        // The next week lists the decision until it is closed.
        assert_eq!(
            meeting(&app, &member_token, NEXT).await["open_decisions"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let (status, m) = send(
            &app,
            &token,
            Method::POST,
            &format!("/api/v1/decisions/{decision_id}/close"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{}", ctx(&m.to_string()));
        assert_eq!(m["decisions"][0]["state"], "done");
        let (status, _) = send(
            &app,
            &token,
            Method::POST,
            &format!("/api/v1/decisions/{decision_id}/close"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{}", ctx("closed already"));
        assert!(
            meeting(&app, &member_token, NEXT).await["open_decisions"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        let events = meeting_events(&app, &admin_token).await;
        for verb in ["held", "reopened", "decision_closed"] {
            assert!(
                events.iter().any(|e| e == verb),
                "{}",
                ctx(&format!("{verb} in {events:?}"))
            );
        }
    }
}
