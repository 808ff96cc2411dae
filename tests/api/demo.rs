//! The demo tells the whole approval story, and every page renders it.

use crate::helpers::*;
use reqwest::StatusCode;
use rungs::service::grouping::GroupingCache;

#[tokio::test]
async fn the_demo_tells_the_approval_story_and_every_page_renders_it() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let logins = {
            let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
            rungs::service::demo::load(&mut app.conn(), &grouping, chrono::Utc::now())
                .expect("demo loads")
        };
        assert_eq!(logins.len(), 7);
        assert!(app.count("incidents") > 150, "{}", app.backend);
        assert_eq!(app.count("actions"), 6);
        assert_eq!(app.count("action_signoffs"), 4);
        // A second load refuses: the demo goes only into an empty database.
        let grouping = GroupingCache::new(0.3);
        assert!(
            rungs::service::demo::load(&mut app.conn(), &grouping, chrono::Utc::now()).is_err()
        );

        let lead = app.browser();
        lead.login("lead", rungs::service::demo::PASSWORD).await;
        let story = rungs::db::clusters::find(&mut app.conn(), 1)
            .unwrap()
            .unwrap();
        assert_eq!(
            (story.state, story.rung),
            (
                rungs::domain::states::ClusterState::Regressed,
                rungs::domain::ladder::Rung::WEIGHT
            ),
            "{}",
            app.backend
        );
        // Every approval chase, in Chinese or English, ends in the story's one cluster.
        let chase_clusters: Vec<(i64, i32)> = rungs::db::clusters::live(&mut app.conn())
            .unwrap()
            .into_iter()
            .filter(|c| c.category_id == story.category_id && c.incident_count > 0)
            .map(|c| (c.id, c.incident_count))
            .collect();
        let sample: Vec<String> = chase_clusters
            .iter()
            .flat_map(|&(id, _)| {
                rungs::db::incidents::of_cluster(&mut app.conn(), id, 3)
                    .unwrap()
                    .into_iter()
                    .map(move |i| format!("C{id}: {}", i.title))
            })
            .collect();
        assert_eq!(
            chase_clusters,
            [(1, story.incident_count)],
            "{}: {sample:?}",
            app.backend
        );
        for path in [
            "/incidents",
            "/clusters",
            "/triage",
            "/ladder",
            "/clusters/1",
            "/clusters/1/ladder",
            "/account",
        ] {
            let page = lead.get(path).await;
            assert_eq!(page.status, StatusCode::OK, "{} {path}", app.backend);
        }
        for id in 1..=6 {
            let page = lead.get(&format!("/actions/{id}")).await;
            assert_eq!(page.status, StatusCode::OK, "action {id}");
        }
        let policy = lead.get("/actions/3").await;
        assert!(
            policy.body.contains("签字确认") || policy.body.contains("Sign-offs"),
            "the lead reads Chinese by preference"
        );
        let tuning = lead.get("/actions/6").await;
        assert!(
            tuning.body.contains("verdict-worse"),
            "{}: the guard metric worsened",
            app.backend
        );
    }
}
