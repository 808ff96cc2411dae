//! A filing checked from memory (`incidents::prepare_from_memory`) is written only if
//! the accounts and the catalogue it was checked against have not changed since: the
//! writer compares the counters in its transaction and sends the filing back to be
//! checked against the database.

use crate::helpers::*;
use chrono::Utc;
use rungs::db::{self, ConnectionManager, DatabaseUrl};
use rungs::error::AppError;
use rungs::service::directory::Directory;
use rungs::service::filing_queue::{self, FilingQueue, Written};
use rungs::service::grouping::GroupingCache;
use rungs::service::incidents::{self, Filer, RawIncident};
use rungs::service::tokens;
use std::sync::Arc;

fn raw(title: &str, category: &str) -> RawIncident {
    RawIncident {
        title: title.into(),
        category: category.into(),
        ..RawIncident::default()
    }
}

fn incident_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    db::schema::incidents::table
        .count()
        .get_result(&mut **app.elsewhere())
        .unwrap()
}

#[tokio::test]
async fn a_filing_checked_from_memory_is_checked_again_when_its_counters_moved() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let admin = app.user("root", "admin", "sales");
        let li = app.user("li", "member", "sales");
        let wang = app.user("wang", "member", "sales");
        let (li_token, wang_token) = (app.token(&li), app.token(&wang));
        let grouping = Arc::new(GroupingCache::new(
            rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD,
        ));
        let directory = Arc::new(Directory::new());
        let url = DatabaseUrl::parse(&app.database_url).unwrap();
        let queue = FilingQueue::start(
            ConnectionManager::new(url),
            grouping.clone(),
            directory.clone(),
        )
        .unwrap();
        let from_memory = |filer: &Filer, raw: &RawIncident| {
            grouping.refresh(&mut app.elsewhere()).unwrap();
            incidents::prepare_from_memory(&grouping, &directory, filer, raw, Utc::now())
        };
        let li_files = Filer::Token(li_token.clone());
        let chase = raw("订单 1001 审批还没过", "approval-chase");

        // Nothing is remembered before the first filing, which reads the database.
        assert!(from_memory(&li_files, &chase).is_none(), "{}", at("cold"));
        let first = queue.file(&app.pool, li_files.clone(), chase.clone()).await;
        assert!(first.is_ok(), "{}", at(&format!("{first:?}")));
        // It started a cluster, whose title the next filing, suggested it, reads.
        assert!(
            from_memory(&li_files, &chase).is_none(),
            "{}",
            at("no title")
        );
        let second = queue.file(&app.pool, li_files.clone(), chase.clone()).await;
        assert!(second.is_ok(), "{}", at(&format!("{second:?}")));
        let warm = from_memory(&li_files, &chase).expect("remembered after one filing");
        assert_eq!(warm.actor.id, li.id, "{}", at("the token's owner"));
        let written = filing_queue::write_one(&mut app.elsewhere(), &grouping, &directory, &warm);
        assert!(
            matches!(written, Ok(Written::Filed(_))),
            "{}",
            at(&format!("{written:?}"))
        );
        assert_eq!(incident_count(&app), 3, "{}", at("three filed"));
        // A filing that memory would refuse is checked against the database instead.
        assert!(
            from_memory(&li_files, &raw("x", "no-such-category")).is_none(),
            "{}",
            at("refusals come from the database")
        );

        // Revoked elsewhere: memory has not heard, but the writer has.
        let token_id = db::tokens::for_user(&mut app.elsewhere(), li.id).unwrap()[0].id;
        tokens::revoke(&mut app.elsewhere(), &admin, token_id).unwrap();
        let stale = from_memory(&li_files, &chase).expect("memory has not heard yet");
        let refused = queue.file(&app.pool, li_files.clone(), chase.clone()).await;
        assert!(
            matches!(refused, Err(AppError::Unauthorized)),
            "{}",
            at(&format!("{refused:?}"))
        );
        let written = filing_queue::write_one(&mut app.elsewhere(), &grouping, &directory, &stale);
        assert!(
            matches!(written, Ok(Written::Recheck)),
            "{}",
            at(&format!("{written:?}"))
        );
        assert!(
            from_memory(&li_files, &chase).is_none(),
            "{}",
            at("the writer's read of the counters forgot the revoked token")
        );
        assert_eq!(incident_count(&app), 3, "{}", at("nothing written for li"));

        // A category switched off elsewhere: the same for the catalogue.
        let wang_files = Filer::Token(wang_token);
        let filed = queue
            .file(&app.pool, wang_files.clone(), chase.clone())
            .await;
        assert!(filed.is_ok(), "{}", at(&format!("{filed:?}")));
        let category = app.switch_off_category(&admin, "approval-chase");
        let stale = from_memory(&wang_files, &chase).expect("memory has not heard yet");
        assert_eq!(stale.category_id, category);
        let refused = queue
            .file(&app.pool, wang_files.clone(), chase.clone())
            .await;
        match &refused {
            Err(AppError::Invalid(fields)) => assert!(
                fields.get("category").is_some(),
                "{}",
                at(&format!("{fields:?}"))
            ),
            other => panic!("{}", at(&format!("a retired category: {other:?}"))),
        }
        let written = filing_queue::write_one(&mut app.elsewhere(), &grouping, &directory, &stale);
        assert!(
            matches!(written, Ok(Written::Recheck)),
            "{}",
            at(&format!("{written:?}"))
        );
        assert_eq!(incident_count(&app), 4, "{}", at("nothing written after"));
    }
}
