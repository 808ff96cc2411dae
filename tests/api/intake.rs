//! The intake checks every filing inside the transaction that writes it: what was
//! changed a moment before, even with plain SQL by another process, is honoured; a
//! refused filing does not hold back the others of its batch; and the filings of one
//! batch are placed one after another, so similar ones share a cluster.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use rungs::db::{self, ConnectionManager, DatabaseUrl};
use rungs::error::AppError;
use rungs::service::directory::Directory;
use rungs::service::grouping::GroupingCache;
use rungs::service::intake::{self, Filer, Filing, Intake, RawIncident};
use std::sync::Arc;

fn raw(title: &str, category: &str) -> RawIncident {
    RawIncident {
        title: title.into(),
        category: category.into(),
        ..RawIncident::default()
    }
}

fn intake_on(app: &TestApp) -> Intake {
    let url = DatabaseUrl::parse(&app.database_url).unwrap();
    Intake::start(
        ConnectionManager::new(url),
        Arc::new(GroupingCache::new(
            rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD,
        )),
        Arc::new(Directory::new()),
    )
    .unwrap()
}

#[tokio::test]
async fn changes_made_with_sql_are_honoured_by_the_next_filing() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let li = app.user("li", "member", "sales");
        let wang = app.user("wang", "member", "sales");
        let (li_token, wang_token) = (app.token(&li), app.token(&wang));
        let intake = intake_on(&app);
        let chase = raw("订单 1001 审批还没过", "approval-chase");

        // Remembered after a first filing each.
        for token in [&li_token, &wang_token] {
            let filed = intake
                .file(Filer::Token(token.clone()), chase.clone())
                .await;
            assert!(filed.is_ok(), "{}", at(&format!("{filed:?}")));
        }
        assert_eq!(app.count("incidents"), 2, "{}", at("two filed"));

        // li's token revoked by plain SQL, as an operator might.
        app.elsewhere()
            .batch_execute(&format!(
                "UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP WHERE user_id = {}",
                li.id
            ))
            .unwrap();
        let refused = intake
            .file(Filer::Token(li_token.clone()), chase.clone())
            .await;
        assert!(
            matches!(refused, Err(AppError::Unauthorized)),
            "{}",
            at(&format!("a revoked token: {refused:?}"))
        );

        // The category switched off by plain SQL: wang's filing names it.
        app.elsewhere()
            .batch_execute("UPDATE categories SET active = FALSE WHERE slug = 'approval-chase'")
            .unwrap();
        match intake
            .file(Filer::Token(wang_token.clone()), chase.clone())
            .await
        {
            Err(AppError::Invalid(fields)) => assert_eq!(
                fields.get("category"),
                Some("error.unknown_category"),
                "{}",
                at(&format!("{fields:?}"))
            ),
            other => panic!("{}", at(&format!("a retired category: {other:?}"))),
        }
        assert_eq!(app.count("incidents"), 2, "{}", at("nothing written since"));
        // wang may still file in another category.
        let filed = intake
            .file(Filer::Token(wang_token), raw("系统又卡住了", "system-bug"))
            .await;
        assert!(filed.is_ok(), "{}", at(&format!("{filed:?}")));
        assert_eq!(app.count("incidents"), 3, "{}", at("the other category"));
    }
}

#[tokio::test]
async fn refused_filings_do_not_hold_back_the_others() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let li = app.user("li", "member", "sales");
        let token = app.token(&li);
        let intake = Arc::new(intake_on(&app));
        let mut tasks = Vec::new();
        for i in 0..40 {
            let (intake, token) = (intake.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let filing = match i % 4 {
                    0 => raw("", "approval-chase"),
                    1 => raw(&format!("Order {i} waits for approval"), "no-such-thing"),
                    _ => raw(&format!("Order {i} waits for approval"), "approval-chase"),
                };
                let filer = if i == 2 {
                    Filer::Token("not-a-token".into())
                } else {
                    Filer::Token(token)
                };
                (i, intake.file(filer, filing).await)
            }));
        }
        let mut filed = 0;
        for task in tasks {
            let (i, answer) = task.await.unwrap();
            match (i % 4, i, answer) {
                (0, _, Err(AppError::Invalid(f))) => assert!(f.get("title").is_some()),
                (1, _, Err(AppError::Invalid(f))) => assert!(f.get("category").is_some()),
                (_, 2, Err(AppError::Unauthorized)) => {}
                (_, i, Ok(_)) if i % 4 >= 2 && i != 2 => filed += 1,
                (_, i, other) => panic!("{}", at(&format!("filing {i}: {other:?}"))),
            }
        }
        assert_eq!(filed, 19, "{}", at("every good filing filed"));
        assert_eq!(app.count("incidents"), 19, "{}", at("and nothing else"));
    }
}

#[tokio::test]
async fn similar_filings_of_one_batch_share_a_cluster() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let li = app.user("li", "member", "sales");
        let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
        let directory = Directory::new();
        let now = chrono::Utc::now();
        let filings: Vec<Filing> = [
            "Chasing approval for order 1321",
            "Chasing approval for order 1400 again",
            "Printer on floor 3 is jammed",
        ]
        .iter()
        .map(|title| Filing {
            filer: Filer::Person(li.clone()),
            raw: raw(title, "approval-chase"),
            at: now,
            imported: None,
        })
        .collect();
        let batch: Vec<&Filing> = filings.iter().collect();
        let mut conn = app.elsewhere();
        grouping.refresh(&mut conn).unwrap();
        let answers = db::write_transaction(&mut conn, |conn| {
            intake::write(conn, &grouping, &directory, &batch)
        })
        .unwrap();
        let clusters: Vec<i64> = answers
            .into_iter()
            .map(|a| a.expect("filed").cluster_id.expect("clustered"))
            .collect();
        assert_eq!(clusters[0], clusters[1], "{}", at("the two chases"));
        assert_ne!(clusters[0], clusters[2], "{}", at("the printer"));
        assert_eq!(app.count("incidents"), 3, "{}", at("all three"));
    }
}
