//! The lead's week in the browser's terms: the cluster page answers first (drivers before
//! the incidents, which are paged), each refused form keeps its errors to itself, refusals
//! are whole pages in the reader's language with a way on, destructive changes ask first
//! and can be undone, and the team ladder counts the clusters on each rung.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn file(app: &TestApp, token: &str, title: &str, category: &str) -> i64 {
    let (status, filed) = app
        .post_incident(token, json!({"title": title, "category": category}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    filed["cluster_id"].as_i64().unwrap()
}

/// The part of a page from `start` to the end of the form or section it opens.
fn part<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} in the page"));
    let rest = &body[from..];
    &rest[..rest.find(end).map(|i| i + end.len()).unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_refused_form_shows_all_its_errors_and_no_other_form_does() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let cluster = file(&app, &token, "催审批 订单审批进度", "approval-chase").await;
        let path = format!("/clusters/{cluster}");

        // An action with a bad owner, no title and two numbers that are not numbers.
        let page = lead
            .submit(
                &path,
                &format!("{path}/actions"),
                &[
                    ("rung", "1"),
                    ("title", ""),
                    ("owner", "nobody"),
                    ("goal_kind", "weekly_rate_below"),
                    ("goal_value", "abc"),
                    ("review_after_weeks", "x"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        let action = part(&page.body, "id=\"form-action\"", "</form>");
        for message in [
            "This is required.",
            "No such login.",
            "Must be a number.",
            "Must be an integer.",
        ] {
            assert!(
                action.contains(message),
                "{}: {message} under the action form",
                app.backend
            );
        }
        assert!(
            action.contains("value=\"nobody\""),
            "what was typed is kept"
        );
        let edit = part(&page.body, "id=\"form-edit\"", "</form>");
        assert!(!edit.contains("field-error"), "{}: {edit}", app.backend);
        assert!(
            edit.contains("value=\"催审批 订单审批进度\""),
            "the edit form shows the stored title"
        );

        // The lead tools refused: their errors there, the action form closed and clean.
        let page = lead
            .submit(
                &path,
                &format!("{path}/edit"),
                &[("title", ""), ("owner", "nobody")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let edit = part(&page.body, "id=\"form-edit\"", "</form>");
        assert!(
            edit.contains("This is required.") && edit.contains("No such login."),
            "{edit}"
        );
        let action = part(&page.body, "id=\"form-action\"", "</form>");
        assert!(!action.contains("field-error"), "{}: {action}", app.backend);
        assert!(!action.contains("value=\"nobody\""));
        assert_eq!(app.count("actions"), 0, "nothing was written");
    }
}

#[tokio::test]
async fn the_cluster_page_puts_the_drivers_first_and_pages_the_incidents() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let mut cluster = 0;
        for n in 0..30 {
            cluster = file(
                &app,
                &token,
                &format!("催审批 订单 {n} 审批进度"),
                "approval-chase",
            )
            .await;
        }
        let page = lead.get(&format!("/clusters/{cluster}")).await;
        assert_eq!(page.status, StatusCode::OK);
        let drivers = page
            .body
            .find("id=\"drivers\"")
            .expect("drivers on the page");
        let incidents = page
            .body
            .find("id=\"incidents\"")
            .expect("incidents on the page");
        assert!(
            drivers < incidents,
            "{}: drivers come before the incidents",
            app.backend
        );
        let listed = part(&page.body, "id=\"incidents\"", "</table>");
        let rows = listed.matches("href=\"/incidents/").count();
        assert!(
            rows <= 25,
            "{}: a page of incidents, not {rows}",
            app.backend
        );
        assert!(
            page.body.contains("rel=\"next\""),
            "a link to the older incidents"
        );
        let second = lead.get(&format!("/clusters/{cluster}?page=2")).await;
        let listed = part(&second.body, "id=\"incidents\"", "</table>");
        let more = listed.matches("href=\"/incidents/").count();
        assert_eq!(
            rows + more,
            app.count("incidents") as usize,
            "{}",
            app.backend
        );
    }
}

#[tokio::test]
async fn a_blocked_launch_is_a_page_in_the_readers_language_with_a_way_on() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let res = lead
            .submit("/account", "/account/language", &[("language", "zh-CN")])
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER);
        let cluster = file(&app, &token, "催审批 订单审批进度", "approval-chase").await;
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/clusters/{cluster}/actions")))
            .bearer_auth(&token)
            .json(&json!({"rung": 3, "title": "锁客政策", "departments": ["sales", "hr"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
        let action = format!("/actions/{id}");

        let page = lead
            .submit(
                &action,
                &format!("{action}/advance"),
                &[("stage", "launched")],
            )
            .await;
        assert_eq!(page.status, StatusCode::CONFLICT, "{}", app.backend);
        assert!(page.body.contains("lang=\"zh-CN\""), "{}", page.body);
        assert!(
            page.body.contains("政策要等每个相关部门都签字同意"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("<nav aria-label=\"main\""),
            "the navigation"
        );
        assert!(
            page.body.contains(&format!("href=\"{action}#signoffs\"")),
            "a link to sign-off"
        );
        assert!(
            !page.body.contains("signed off, with no objection"),
            "no English"
        );

        // Departments by their Chinese names, under the label for one's own department.
        let page = lead.get(&action).await;
        let signoffs = part(&page.body, "id=\"signoffs\"", "</section>");
        assert!(signoffs.contains("<th>部门</th>"), "{signoffs}");
        assert!(
            signoffs.contains("人力资源") && signoffs.contains("销售"),
            "{signoffs}"
        );
        assert!(
            !signoffs.contains("等待方部门") && !signoffs.contains(">HR<"),
            "{signoffs}"
        );

        // The sign-off form offers a person only the departments they may sign for.
        let (hr, _) = {
            let actor = app.user("wang", "member", "hr");
            let b = app.browser();
            b.login("wang", PASSWORD).await;
            (b, actor)
        };
        let form = hr.get(&action).await;
        let signoffs = part(&form.body, "id=\"signoffs\"", "</section>");
        assert!(signoffs.contains("<option value=\"hr\""), "{signoffs}");
        assert!(!signoffs.contains("<option value=\"sales\""), "{signoffs}");
        let (engineer, _) = {
            let actor = app.user("sun", "member", "product");
            let b = app.browser();
            b.login("sun", PASSWORD).await;
            (b, actor)
        };
        let form = engineer.get(&action).await;
        let signoffs = part(&form.body, "id=\"signoffs\"", "</section>");
        assert!(!signoffs.contains("name=\"department\""), "{signoffs}");
        assert!(
            signoffs.contains("Each involved department signs for itself"),
            "{signoffs}"
        );
    }
}

#[tokio::test]
async fn a_week_that_does_not_exist_answers_a_page_that_offers_the_current_week() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, _) = app.signed_in("zhao", "lead").await;
        let page = lead.get("/review?week=2026-W60").await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.body.contains("a week is written YYYY-Www"),
            "{}",
            page.body
        );
        assert!(page.body.contains("<nav aria-label=\"main\""));
        assert!(
            page.body
                .contains("<a href=\"/review\">Show the current week</a>"),
            "{}",
            page.body
        );
        // A page refused by role has the frame too.
        let (member, _) = app.signed_in("li", "member").await;
        let page = member.get("/review").await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(
            page.body.contains("<nav aria-label=\"main\""),
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn merge_and_dismiss_ask_first_say_what_they_did_and_can_be_undone() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let a = file(&app, &token, "报销单审批被驳回", "approval-chase").await;
        let b = file(&app, &token, "Login page returns 500", "approval-chase").await;
        assert_ne!(a, b);
        let into = b.to_string();

        // The first click only asks.
        let page = lead
            .submit(
                &format!("/clusters/{a}"),
                &format!("/clusters/{a}/merge"),
                &[("into", &into)],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", app.backend);
        assert!(
            page.body.contains(&format!("Merge C{a} into C{b}?")),
            "{}",
            page.body
        );
        assert!(page.body.contains("name=\"confirm\" value=\"yes\""));
        let still = app.get_json(&token, &format!("/api/v1/clusters/{a}")).await;
        assert!(
            still["merged_into"].is_null(),
            "nothing merged yet: {still}"
        );

        let page = lead
            .submit(
                &format!("/clusters/{a}"),
                &format!("/clusters/{a}/merge"),
                &[("into", &into), ("confirm", "yes")],
            )
            .await;
        assert_redirect_to(&page, &format!("/clusters/{b}"));
        let survivor = lead.get(&format!("/clusters/{b}")).await;
        assert!(
            survivor
                .body
                .contains(&format!("C{a} was merged into C{b}.")),
            "{}",
            survivor.body
        );
        assert!(
            survivor
                .body
                .contains(&format!("action=\"/clusters/{a}/unmerge\""))
        );
        // Said once.
        let again = lead.get(&format!("/clusters/{b}")).await;
        assert!(!again.body.contains("was merged into"));

        let page = lead
            .submit(
                &format!("/clusters/{b}"),
                &format!("/clusters/{a}/unmerge"),
                &[],
            )
            .await;
        assert_redirect_to(&page, &format!("/clusters/{a}"));
        let back = app.get_json(&token, &format!("/api/v1/clusters/{a}")).await;
        assert!(back["merged_into"].is_null(), "{}: {back}", app.backend);
        assert_eq!(back["incident_count"], 1, "{back}");

        // Dismiss asks, then says so with a way to restore.
        let page = lead
            .submit(
                &format!("/clusters/{a}"),
                &format!("/clusters/{a}/dismiss"),
                &[("back", "cluster")],
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains(&format!("Dismiss C{a} as a one-off?")));
        let page = lead
            .submit(
                &format!("/clusters/{a}"),
                &format!("/clusters/{a}/dismiss"),
                &[("back", "cluster"), ("confirm", "yes")],
            )
            .await;
        assert_redirect_to(&page, &format!("/clusters/{a}"));
        let shown = lead.get(&format!("/clusters/{a}")).await;
        assert!(
            shown
                .body
                .contains(&format!("C{a} was dismissed as a one-off."))
        );
        assert!(
            shown
                .body
                .contains(&format!("action=\"/clusters/{a}/restore\""))
        );
        let page = lead
            .submit(
                &format!("/clusters/{a}"),
                &format!("/clusters/{a}/restore"),
                &[],
            )
            .await;
        assert_redirect_to(&page, &format!("/clusters/{a}"));
        let restored = app.get_json(&token, &format!("/api/v1/clusters/{a}")).await;
        assert_eq!(restored["dismissed"], false, "{restored}");
    }
}

#[tokio::test]
async fn the_team_ladder_counts_each_cluster_on_its_rung() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let cluster = file(&app, &token, "催审批 订单审批进度", "approval-chase").await;
        let last_week = (chrono::Utc::now() - chrono::Duration::days(7))
            .date_naive()
            .to_string();
        for (rung, title) in [(1, "Staff the desk"), (2, "Show approval progress")] {
            let res = app
                .api()
                .post(app.url(&format!("/api/v1/clusters/{cluster}/actions")))
                .bearer_auth(&token)
                .json(&json!({"rung": rung, "title": title, "launched_at": last_week}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED, "{}", app.backend);
        }
        let page = lead.get("/ladder").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("<title>Team ladder · rungs</title>"),
            "a plain tab title"
        );
        assert!(
            page.body
                .contains("<strong>100%</strong> <span class=\"muted\">(1 / 1)</span>"),
            "{}",
            page.body
        );
        let row = part(&page.body, "<span class=\"rung-no\">2</span>", "</tr>");
        assert!(
            row.contains("<td class=\"num\">1</td>"),
            "{}: {row}",
            app.backend
        );
    }
}

#[tokio::test]
async fn the_timeline_speaks_the_readers_language() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        lead.submit("/account", "/account/language", &[("language", "zh-CN")])
            .await;
        let cluster = file(&app, &token, "催审批 订单审批进度", "approval-chase").await;
        let path = format!("/clusters/{cluster}");
        let page = lead
            .submit(
                &path,
                &format!("{path}/edit"),
                &[("title", "催审批"), ("owner", "zhao")],
            )
            .await;
        assert_redirect_to(&page, &path);
        lead.submit("/triage", &format!("{path}/confirm"), &[])
            .await;
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/clusters/{cluster}/actions")))
            .bearer_auth(&token)
            .json(&json!({"rung": 1, "title": "午休时安排审批值班"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let page = lead.get(&path).await;
        let timeline = part(&page.body, "class=\"timeline\"", "</ol>");
        assert!(
            timeline.contains("负责人：zhao name"),
            "{}: {timeline}",
            app.backend
        );
        assert!(timeline.contains("第 1 级：流程改进"), "{timeline}");
        for english in ["→ true", "false", "owner_id", "action:", "rung:", "open →"] {
            assert!(
                !timeline.contains(english),
                "{}: {english} in {timeline}",
                app.backend
            );
        }
    }
}

#[tokio::test]
async fn the_login_page_offers_both_languages_and_admins_name_departments_in_chinese() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (admin, _) = app.signed_in("root", "admin").await;
        let page = app.browser().get("/login?next=/review").await;
        assert!(
            page.body
                .contains("href=\"/login?lang=zh-CN&#38;next=%2Freview\""),
            "{}",
            page.body
        );
        let page = app.browser().get("/login?lang=zh-CN").await;
        assert!(page.body.contains("<html lang=\"zh-CN\">"), "{}", page.body);
        assert!(
            page.body.contains("href=\"/login?lang=en&#38;next="),
            "and back to English"
        );

        // An admin gives a department a Chinese name; a reader of Chinese sees it.
        let id = rungs::db::catalog::department_by_slug(&mut app.conn(), "operations")
            .unwrap()
            .unwrap()
            .id;
        let res = admin
            .submit(
                "/admin",
                &format!("/admin/departments/{id}"),
                &[("name", "Operations"), ("name_zh", "运营中心")],
            )
            .await;
        assert_redirect_to(&res, "/admin");
        let page = admin.get("/admin").await;
        assert!(page.body.contains("value=\"运营中心\""), "{}", app.backend);
        admin
            .submit("/account", "/account/language", &[("language", "zh-CN")])
            .await;
        let page = admin.get("/incidents/new").await;
        assert!(
            page.body.contains(">运营中心</option>"),
            "{}: {}",
            app.backend,
            page.body
        );
    }
}
