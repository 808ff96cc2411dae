use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn a_rejected_form_keeps_every_typed_value_and_says_what_is_wrong() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        let long_ref = "R".repeat(150);
        let page = b
            .submit(
                "/incidents/new",
                "/incidents",
                &[
                    ("title", ""),
                    ("body", "客户订单审批进度怎么还没出来"),
                    ("category", "approval-chase"),
                    ("occurred_at", "not a time"),
                    ("department", "sales"),
                    ("counterpart", "approval"),
                    ("tags", "lunch, urgent"),
                    ("external_ref", &long_ref),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        let body = &page.body;
        assert!(body.contains("客户订单审批进度怎么还没出来"), "body kept");
        assert!(body.contains("value=\"not a time\""), "time kept");
        assert!(body.contains("value=\"lunch, urgent\""), "tags kept");
        assert!(body.contains(&long_ref), "reference kept");
        assert!(
            body.contains("value=\"approval\" selected"),
            "counterpart kept"
        );
        assert!(
            body.contains("value=\"approval-chase\" checked"),
            "category kept"
        );
        assert!(body.contains("This is required."), "title message");
        assert!(body.contains("Give a date and time"), "time message");
        assert!(
            body.contains("At most 100 characters."),
            "reference message"
        );
        assert_eq!(app.count("incidents"), 0, "nothing was written");
    }
}

#[tokio::test]
async fn filing_from_the_form_records_the_incident_with_its_trail() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, me) = app.signed_in("li", "member").await;
        let form = b.get("/incidents/new").await;
        assert!(
            form.body.contains("value=\"sales\" selected"),
            "the reporter's department is prefilled"
        );
        let page = b
            .submit(
                "/incidents/new",
                "/incidents",
                &[
                    ("title", "催审批 order 1182"),
                    ("body", "chasing approval again"),
                    ("category", "approval-chase"),
                    ("counterpart", "approval"),
                    ("tags", "Lunch"),
                    ("external_ref", "SO-1182"),
                ],
            )
            .await;
        assert_redirect_to(&page, "/incidents/");
        let location = page.location.unwrap();
        let show = b.get(&location).await;
        assert_eq!(show.status, StatusCode::OK);
        assert!(show.body.contains("Filed."));
        assert!(show.body.contains("催审批 order 1182"));
        assert!(show.body.contains("SO-1182"));
        assert!(show.body.contains("lunch"), "tags are folded to lower case");
        assert!(
            show.body.contains("filed it"),
            "the timeline shows the filing"
        );
        let id: i64 = location
            .trim_start_matches("/incidents/")
            .split('?')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let mut conn = app.conn();
        let row = rungs::db::incidents::find(&mut conn, id).unwrap().unwrap();
        assert_eq!(row.reporter_id, me.id);
        assert_eq!(row.status, rungs::domain::states::IncidentStatus::Open);
        assert_eq!(app.count("incident_tags"), 1);
        assert!(
            app.count("audit_events") >= 2,
            "the user and the incident are on the trail"
        );
    }
}

#[tokio::test]
async fn script_in_a_title_comes_back_escaped() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        let evil = "<script>alert('x')</script>";
        let page = b
            .submit(
                "/incidents/new",
                "/incidents",
                &[("title", evil), ("category", "other"), ("body", evil)],
            )
            .await;
        let show = b.get(page.location.as_deref().unwrap()).await;
        assert!(
            !show.body.contains(evil),
            "{}: raw script on the incident page",
            app.backend
        );
        assert!(
            show.body.contains("&#60;script&#62;"),
            "escaped, not dropped"
        );
        let list = b.get("/incidents").await;
        assert!(!list.body.contains(evil), "raw script on the list");
        assert!(list.body.contains("&#60;script&#62;"));
    }
}

#[tokio::test]
async fn an_oversized_form_gets_413_and_writes_nothing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, _) = app.signed_in("li", "member").await;
        let huge = "x".repeat(200_000);
        let page = b
            .submit(
                "/incidents/new",
                "/incidents",
                &[("title", "big"), ("category", "other"), ("body", &huge)],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{}",
            app.backend
        );
        assert_eq!(app.count("incidents"), 0);
    }
}

#[tokio::test]
async fn handling_and_withdrawing_follow_who_may_and_show_on_the_timeline() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (owner, _) = app.signed_in("li", "member").await;
        let (stranger, _) = app.signed_in("wang", "member").await;
        let (lead, _) = app.signed_in("zhao", "lead").await;
        let page = owner
            .submit(
                "/incidents/new",
                "/incidents",
                &[("title", "Order stuck"), ("category", "approval-chase")],
            )
            .await;
        let path = page
            .location
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let status_path = format!("{path}/status");

        // Another member may read it but not change it.
        assert_eq!(stranger.get(&path).await.status, StatusCode::OK);
        let page = stranger
            .submit(
                &path,
                &status_path,
                &[("status", "withdrawn"), ("note", "")],
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", app.backend);

        // Handling needs a note.
        let page = owner
            .submit(&path, &status_path, &[("status", "handled"), ("note", "")])
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);

        let page = lead
            .submit(
                &path,
                &status_path,
                &[("status", "handled"), ("note", "Called the approval desk")],
            )
            .await;
        assert_redirect_to(&page, &path);
        let show = owner.get(&path).await;
        assert!(show.body.contains("Called the approval desk"));
        assert!(show.body.contains("marked it handled"));
        assert!(show.body.contains("zhao"), "the timeline names who did it");
        assert!(
            show.body.contains("Handling note:"),
            "the timeline names fields in words"
        );

        let page = owner
            .submit(&path, &status_path, &[("status", "open"), ("note", "")])
            .await;
        assert_redirect_to(&page, &path);
        let page = owner
            .submit(
                &path,
                &status_path,
                &[("status", "withdrawn"), ("note", "")],
            )
            .await;
        assert_redirect_to(&page, &path);
        let show = owner.get(&path).await;
        assert!(show.body.contains("withdrew it"));
        assert_eq!(app.count("incidents"), 1, "nothing is deleted");
    }
}

#[tokio::test]
async fn the_list_filters_and_pages() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (b, actor) = app.signed_in("li", "member").await;
        let token = app.token(&actor);
        for i in 0..55 {
            let category = if i % 5 == 0 {
                "system-bug"
            } else {
                "approval-chase"
            };
            let (status, _) = app
                .post_incident(&token, serde_json::json!({"title": format!("审批进度 {i}"), "category": category, "occurred_at": "2026-11-18T04:00:00Z"}))
                .await;
            assert_eq!(status, StatusCode::CREATED);
        }
        app.post_incident(&token, serde_json::json!({"title": "Login page down", "category": "system-bug", "occurred_at": "2026-11-10T04:00:00Z"})).await;
        let page = b.get("/incidents").await;
        assert!(page.body.contains("56 incidents"), "{}", app.backend);
        assert!(page.body.contains("page=2"), "a second page");
        let page = b.get("/incidents?page=2").await;
        assert_eq!(
            page.body.matches("<tr>").count(),
            6 + 1,
            "six rows and the header on page 2"
        );
        let page = b.get("/incidents?category=system-bug").await;
        assert!(page.body.contains("12 incidents"), "11 + 1 system bugs");
        let page = b.get("/incidents?week=2026-W46").await;
        assert!(page.body.contains(">1 incident</p>") && page.body.contains("Login page down"));
        let page = b
            .get("/incidents?q=%E5%AE%A1%E6%89%B9%E8%BF%9B%E5%BA%A6%205")
            .await; // "审批进度 5"
        assert!(page.body.contains("审批进度 5"));
        assert!(!page.body.contains("审批进度 6<"));
        let page = b.get("/incidents?q=LOGIN").await;
        assert!(page.body.contains("Login page down"), "search ignores case");
        let page = b.get("/incidents?q=100%25").await;
        assert!(page.body.contains("0 incidents"), "% is searched literally");
    }
}
