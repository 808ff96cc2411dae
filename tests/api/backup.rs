//! Backups restore: `rungs backup` copies a live SQLite database, `pg_dump` and
//! `pg_restore` a PostgreSQL one, and `rungs serve` on the copy answers as the original
//! did (the same clusters, the same action and its verdict, the same token).

use crate::child::ChildServer;
use crate::helpers::*;
use crate::scheduler::story;
use std::process::Command;

/// What a lead sees of the story, through the API of the server at `base`.
async fn seen(app: &TestApp, base: &str, token: &str, cluster: i64, action: i64) -> Vec<String> {
    let mut out = Vec::new();
    for path in [
        "/api/v1/clusters".to_string(),
        format!("/api/v1/clusters/{cluster}"),
        format!("/api/v1/actions/{action}"),
        "/api/v1/events?after=0".to_string(),
    ] {
        let res = app
            .api()
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{base}{path}: {}", res.status());
        out.push(res.text().await.unwrap());
    }
    out
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn a_backup_restores_to_a_database_that_answers_the_same() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "operations");
        let token = app.token(&lead);
        let (cluster, action, _) = story(&app, &token).await;
        // The event log is for admins; an admin reads it all.
        let admin = app.user("root", "admin", "operations");
        let token = app.token(&admin);
        let before = seen(&app, &app.address, &token, cluster, action).await;

        let scratch = tempfile::tempdir().unwrap();
        let (restored_url, pg_database) = match &backend {
            Backend::Sqlite => {
                // Online: the original server keeps running during the copy.
                let copy = scratch.path().join("copy.db").to_string_lossy().to_string();
                let rungs = env!("CARGO_BIN_EXE_rungs");
                run(Command::new(rungs).args([
                    "backup",
                    &copy,
                    "--database-url",
                    &app.database_url,
                ]));
                // A second backup to the same file is refused, not overwritten.
                let again = Command::new(rungs)
                    .args(["backup", &copy, "--database-url", &app.database_url])
                    .output()
                    .unwrap();
                assert!(!again.status.success());
                assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
                (copy, None)
            }
            Backend::Postgres(admin) => {
                let dump = scratch.path().join("rungs.dump");
                run(Command::new("pg_dump")
                    .args(["--format=custom", "--no-owner", "--file"])
                    .arg(&dump)
                    .arg(&app.database_url));
                let (url, name) = fresh_pg_database(admin);
                run(Command::new("pg_restore")
                    .args(["--no-owner", "--exit-on-error", "--dbname", &url])
                    .arg(&dump));
                (url, Some((admin.clone(), name)))
            }
        };
        // No scheduler on the copy: it would settle the story's verdict as it started.
        let restored = ChildServer::start_with(&restored_url, |command| {
            command.env("RUNGS_SCHEDULE_EVERY", "0");
        });
        let after = seen(&app, &restored.address, &token, cluster, action).await;
        drop(restored);
        if let Some((admin, name)) = pg_database {
            drop_pg_database(&admin, &name);
        }
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(
                b, a,
                "{}: the restored database answers the same",
                app.backend
            );
        }
        assert!(
            before[2].contains("\"verdict\":\"eliminated\""),
            "{}",
            before[2]
        );
    }
}
