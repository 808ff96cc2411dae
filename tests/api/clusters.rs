use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn file(app: &TestApp, token: &str, title: &str, body: &str, category: &str) -> Value {
    let (status, v) = app
        .post_incident(token, json!({"title": title, "body": body, "category": category, "occurred_at": "2026-11-18T04:30:00Z"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    v
}

#[tokio::test]
async fn differently_written_incidents_about_one_problem_share_a_cluster() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let first = file(
            &app,
            &token,
            "催审批：订单 1182 审批进度怎么还没出来",
            "客户一直在等，审批还没过",
            "approval-chase",
        )
        .await;
        assert!(first["cluster_id"].is_i64(), "{first}");
        assert_eq!(first["joined"], false, "the first one starts a cluster");
        let cluster = first["cluster_id"].as_i64().unwrap();
        let second = file(
            &app,
            &token,
            "订单 2231 审批进度还没出来，催一下审批",
            "客户在等审批进度",
            "approval-chase",
        )
        .await;
        assert_eq!(
            second["cluster_id"].as_i64(),
            Some(cluster),
            "{}: {second}",
            app.backend
        );
        assert_eq!(second["joined"], true);
        let third = file(
            &app,
            &token,
            "审批进度 催审批 订单 3390",
            "",
            "approval-chase",
        )
        .await;
        assert_eq!(
            third["cluster_id"].as_i64(),
            Some(cluster),
            "{}: {third}",
            app.backend
        );

        // A different problem of the same category starts its own, unconfirmed cluster,
        // and still comes back with ranked suggestions.
        let other = file(
            &app,
            &token,
            "审批系统登录不上，页面报错 500",
            "approval system down, error 500 on login",
            "approval-chase",
        )
        .await;
        assert_ne!(
            other["cluster_id"].as_i64(),
            Some(cluster),
            "{}: {other}",
            app.backend
        );
        assert_eq!(other["joined"], false);
        let suggestions = other["suggestions"].as_array().unwrap();
        for pair in suggestions.windows(2) {
            assert!(
                pair[0]["score"].as_f64() >= pair[1]["score"].as_f64(),
                "ranked: {other}"
            );
        }

        // The incident says why it joined.
        let got: Value = app
            .get_json(&token, &format!("/api/v1/incidents/{}", second["id"]))
            .await;
        assert_eq!(got["cluster_id"].as_i64(), Some(cluster));
        assert_eq!(got["join_reason"], "similar");
        assert!(got["join_score"].as_f64().unwrap() > 0.0);
        assert!(
            !got["join_terms"].as_str().unwrap_or("").is_empty(),
            "{got}"
        );

        let c: Value = app
            .get_json(&token, &format!("/api/v1/clusters/{cluster}"))
            .await;
        assert_eq!(c["id"].as_i64(), Some(cluster));
        assert_eq!(c["category"], "approval-chase");
        assert_eq!(c["state"], "open");
        assert_eq!(c["rung"], 0);
        assert_eq!(c["incident_count"], 3);
        assert_eq!(c["weekly"], json!([{"week": "2026-W47", "incidents": 3}]));

        // An older incident joins: the count grows, the last-seen time stays the latest;
        // a newer one moves it.
        let last_seen = |app: &TestApp| {
            let row = rungs::db::clusters::find(&mut app.conn(), cluster)
                .unwrap()
                .unwrap();
            (
                row.incident_count,
                row.last_incident_at.map(|t| t.to_string()),
            )
        };
        for (occurred, count, last) in [
            ("2026-11-16T01:00:00Z", 4, "2026-11-18 04:30:00"),
            ("2026-11-19T09:15:00Z", 5, "2026-11-19 09:15:00"),
        ] {
            let (status, v) = app
                .post_incident(
                    &token,
                    json!({"title": "催审批：订单 1190 审批进度怎么还没出来", "body": "客户一直在等，审批还没过",
                           "category": "approval-chase", "occurred_at": occurred}),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{v}");
            assert_eq!(v["cluster_id"], json!(cluster), "{}: {v}", app.backend);
            assert_eq!(
                last_seen(&app),
                (count, Some(last.to_string())),
                "{}",
                app.backend
            );
        }
    }
}

#[tokio::test]
async fn merge_and_split_keep_every_incident_and_link_with_a_trail() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let a = file(
            &app,
            &token,
            "报销单审批被驳回",
            "reimbursement rejected again",
            "approval-chase",
        )
        .await;
        let b = file(
            &app,
            &token,
            "Login page returns 500",
            "cannot sign in to the CRM",
            "approval-chase",
        )
        .await;
        let (ca, cb) = (
            a["cluster_id"].as_i64().unwrap(),
            b["cluster_id"].as_i64().unwrap(),
        );
        assert_ne!(ca, cb);

        // Merge b into a through the API.
        let res = app
            .api()
            .post(app.url(&format!("/api/v1/clusters/{cb}/merge")))
            .bearer_auth(&token)
            .json(&json!({"into": ca}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{}", app.backend);
        let merged: Value = res.json().await.unwrap();
        assert_eq!(merged["incident_count"], 2);
        // The old id and URL lead to the survivor.
        let page = lead.get(&format!("/clusters/{cb}")).await;
        assert_eq!(page.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/clusters/{ca}").as_str())
        );
        let res = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url(&format!("/api/v1/clusters/{cb}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
        for incident in [&a, &b] {
            let got: Value = app
                .get_json(&token, &format!("/api/v1/incidents/{}", incident["id"]))
                .await;
            assert_eq!(got["cluster_id"].as_i64(), Some(ca));
        }

        // The merge picker starts on no cluster: one click merges nothing away.
        let page = lead.get(&format!("/clusters/{ca}")).await;
        assert!(
            page.body.contains(
                "<select id=\"into\" name=\"into\" required><option value=\"\" selected>"
            ),
            "{}",
            page.body
        );
        let refused = lead
            .submit(
                &format!("/clusters/{ca}"),
                &format!("/clusters/{ca}/merge"),
                &[("into", "")],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );

        // A move acts on the cluster in its address: one that does not exist moves
        // nothing, even with incidents of another cluster ticked.
        let page = lead
            .submit(
                &format!("/clusters/{ca}"),
                "/clusters/99999/move",
                &[
                    (format!("incident_{}", b["id"]).as_str(), "on"),
                    ("target", "new"),
                    ("confirm", "yes"),
                    ("title", "Moved from nowhere"),
                ],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", app.backend);
        let got = app
            .get_json(&token, &format!("/api/v1/incidents/{}", b["id"]))
            .await;
        assert_eq!(got["cluster_id"].as_i64(), Some(ca), "{}", app.backend);

        // Split b's incident back out into a new cluster, from the cluster page.
        let page = lead
            .submit(
                &format!("/clusters/{ca}"),
                &format!("/clusters/{ca}/move"),
                &[
                    (format!("incident_{}", b["id"]).as_str(), "on"),
                    ("target", "new"),
                    ("confirm", "yes"),
                    ("title", "CRM login down"),
                ],
            )
            .await;
        assert_redirect_to(&page, "/clusters/");
        let new_cluster: i64 = page
            .location
            .unwrap()
            .trim_start_matches("/clusters/")
            .parse()
            .unwrap();
        assert_ne!(new_cluster, ca);
        let got: Value = app
            .get_json(&token, &format!("/api/v1/incidents/{}", b["id"]))
            .await;
        assert_eq!(got["cluster_id"].as_i64(), Some(new_cluster));
        assert_eq!(got["join_reason"], "lead");
        assert_eq!(app.count("incidents"), 2, "nothing lost");
        // The new cluster cannot give away a's incident, which is not in it.
        let page = lead
            .submit(
                &format!("/clusters/{new_cluster}"),
                &format!("/clusters/{new_cluster}/move"),
                &[
                    (format!("incident_{}", a["id"]).as_str(), "on"),
                    ("target", "new"),
                    ("confirm", "yes"),
                    ("title", "Not mine to move"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            app.backend
        );
        assert!(page.body.contains("not in this cluster"), "{}", page.body);
        let got = app
            .get_json(&token, &format!("/api/v1/incidents/{}", a["id"]))
            .await;
        assert_eq!(got["cluster_id"].as_i64(), Some(ca), "{}", app.backend);

        // The trail names who did it.
        let page = lead.get(&format!("/clusters/{ca}")).await;
        assert!(
            page.body.contains("merged another cluster into it"),
            "{}",
            app.backend
        );
        assert!(page.body.contains("moved an incident out"));
        assert!(page.body.contains("zhao"));
        let page = lead.get(&format!("/incidents/{}", b["id"])).await;
        assert!(page.body.contains("moved it"));

        // The rollups still equal what the raw incidents say.
        let diff = rungs::db::rollups::verify(&mut app.conn()).unwrap();
        assert!(diff.is_empty(), "{}: {diff:?}", app.backend);
    }
}

#[tokio::test]
async fn the_triage_queue_is_for_leads_and_confirms_merges_and_dismisses() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (member, member_actor) = app.signed_in("li", "member").await;
        let (lead, _) = app.signed_in("zhao", "lead").await;
        let token = app.token(&member_actor);
        assert_eq!(member.get("/triage").await.status, StatusCode::FORBIDDEN);
        let first = file(
            &app,
            &token,
            "客户资料手机号填错了要改",
            "need to fix the customer's phone number",
            "data-fix",
        )
        .await;
        let second = file(
            &app,
            &token,
            "合同金额录错，需要后台修改",
            "contract amount entered wrong",
            "data-fix",
        )
        .await;
        let third = file(
            &app,
            &token,
            "打印机卡纸",
            "printer jam on floor 3",
            "other",
        )
        .await;
        let page = lead.get("/triage").await;
        assert_eq!(page.status, StatusCode::OK);
        for v in [&first, &second, &third] {
            assert!(
                page.body
                    .contains(&format!("/clusters/{}", v["cluster_id"])),
                "{}: queue lists every new cluster",
                app.backend
            );
        }
        // A member cannot act on the queue.
        let res = member
            .submit(
                "/incidents/new",
                &format!("/clusters/{}/confirm", first["cluster_id"]),
                &[],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN);

        let res = lead
            .submit(
                "/triage",
                &format!("/clusters/{}/confirm", first["cluster_id"]),
                &[],
            )
            .await;
        assert_redirect_to(&res, "/triage");
        let into = first["cluster_id"].to_string();
        let res = lead
            .submit(
                "/triage",
                &format!("/clusters/{}/merge", second["cluster_id"]),
                &[
                    ("into", into.as_str()),
                    ("back", "triage"),
                    ("confirm", "yes"),
                ],
            )
            .await;
        assert_redirect_to(&res, "/triage");
        let res = lead
            .submit(
                "/triage",
                &format!("/clusters/{}/dismiss", third["cluster_id"]),
                &[("confirm", "yes")],
            )
            .await;
        assert_redirect_to(&res, "/triage");
        let page = lead.get("/triage").await;
        assert!(page.body.contains("Nothing to triage."), "{}", app.backend);
        // Dismissed stays readable, nothing deleted.
        assert_eq!(
            lead.get(&format!("/clusters/{}", third["cluster_id"]))
                .await
                .status,
            StatusCode::OK
        );
        assert_eq!(app.count("incidents"), 3);
    }
}

#[tokio::test]
async fn a_rule_is_applied_before_similarity() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let (lead, lead_actor) = app.signed_in("zhao", "lead").await;
        let token = app.token(&lead_actor);
        let target = file(&app, &token, "VIP customer escalation", "", "other").await;
        let cluster = target["cluster_id"].as_i64().unwrap();
        let page = lead
            .submit(
                &format!("/clusters/{cluster}"),
                &format!("/clusters/{cluster}/rules"),
                &[("pattern", "工单号")],
            )
            .await;
        assert_redirect_to(&page, &format!("/clusters/{cluster}"));
        let ruled = file(
            &app,
            &token,
            "打印机又坏了 工单号 7781",
            "nothing like the other",
            "other",
        )
        .await;
        assert_eq!(
            ruled["cluster_id"].as_i64(),
            Some(cluster),
            "{}: {ruled}",
            app.backend
        );
        let got: Value = app
            .get_json(&token, &format!("/api/v1/incidents/{}", ruled["id"]))
            .await;
        assert_eq!(got["join_reason"], "rule");
        // Another category is not touched by the rule.
        let elsewhere = file(&app, &token, "工单号 7781 数据要改", "", "data-fix").await;
        assert_ne!(elsewhere["cluster_id"].as_i64(), Some(cluster));
    }
}

#[tokio::test]
async fn a_resolved_cluster_that_gets_a_new_incident_has_regressed() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        let first = file(&app, &token, "催审批 订单审批进度", "", "approval-chase").await;
        let id = first["cluster_id"].as_i64().unwrap();
        {
            let mut conn = app.conn();
            let row = rungs::db::clusters::find(&mut conn, id).unwrap().unwrap();
            rungs::service::clusters::set_state(
                &mut conn,
                None,
                &row,
                rungs::domain::states::ClusterState::Resolved,
            )
            .unwrap();
        }
        let again = file(
            &app,
            &token,
            "又来催审批 订单审批进度",
            "",
            "approval-chase",
        )
        .await;
        assert_eq!(again["cluster_id"].as_i64(), Some(id));
        let c: Value = app
            .get_json(&token, &format!("/api/v1/clusters/{id}"))
            .await;
        assert_eq!(c["state"], "regressed", "{}", app.backend);
    }
}

#[tokio::test]
async fn two_processes_over_one_database_see_each_others_clusters() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let actor = app.user("li", "member", "sales");
        let token = app.token(&actor);
        // Another process: the real binary, over the same database.
        let second_process = crate::child::ChildServer::start(&app.database_url);
        let second = second_process.address.clone();
        let first = file(
            &app,
            &token,
            "催审批：订单审批进度怎么还没出来",
            "",
            "approval-chase",
        )
        .await;
        // Filed through the other process: it must find the cluster the first one made.
        let res = app
            .api()
            .post(format!("{second}/api/v1/incidents"))
            .bearer_auth(&token)
            .json(&json!({"title": "订单审批进度还没出来，催审批", "category": "approval-chase"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let v: Value = res.json().await.unwrap();
        assert_eq!(v["cluster_id"], first["cluster_id"], "{}: {v}", app.backend);
    }
}
