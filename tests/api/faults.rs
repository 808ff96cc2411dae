//! Faults of the database outside the request: each answers 503 with a reason the
//! operator can act on, within seconds, `/healthz` says so, and writes work again by
//! themselves as soon as the cause goes away.

use crate::child::ChildServer;
use crate::helpers::*;
use diesel::{Connection, RunQueryDsl};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a fault may keep a request waiting: a few seconds, not a minute.
const ANSWER_WITHIN: Duration = Duration::from_secs(15);

struct Answer {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

async fn file(base: &str, token: &str, title: &str) -> Answer {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/incidents"))
        .bearer_auth(token)
        .json(&json!({"title": title, "category": "approval-chase", "body": "x".repeat(200)}))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    Answer {
        status,
        body: res.json().await.unwrap_or(Value::Null),
        retry_after,
    }
}

async fn health(base: &str) -> (StatusCode, Value) {
    let res = reqwest::get(format!("{base}/healthz")).await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

/// File until it is accepted (the cause went away), for at most five seconds.
async fn heals(base: &str, token: &str) -> bool {
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(5) {
        if file(base, token, "Approval chase after the fault")
            .await
            .status
            == StatusCode::CREATED
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    false
}

fn assert_unavailable(a: &Answer, reason: &str, backend: &str) {
    assert_eq!(
        a.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{backend}: {}",
        a.body
    );
    let said = a.body["error"].as_str().unwrap_or_default();
    assert!(
        said.contains(reason),
        "{backend}: {said:?} names {reason:?}"
    );
    assert!(a.retry_after.is_some(), "{backend}: Retry-After");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// The database file made read-only for as long as this lives: immutable (`chattr +i`,
/// which binds root too), or without write permission when not running as root.
struct ReadOnlyFile(String);

impl ReadOnlyFile {
    fn make(path: &str) -> Option<Self> {
        let chattr = Command::new("chattr").args(["+i", path]).status();
        if chattr.is_ok_and(|s| s.success()) {
            return Some(Self(path.into()));
        }
        if is_root() {
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).ok()?;
        Some(Self(path.into()))
    }
}

impl Drop for ReadOnlyFile {
    fn drop(&mut self) {
        let _ = Command::new("chattr").args(["-i", &self.0]).status();
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&self.0, std::fs::Permissions::from_mode(0o644));
    }
}

fn pg_admin(app: &TestApp) -> (diesel::PgConnection, String) {
    let admin = std::env::var("RUNGS_TEST_POSTGRES_URL").expect("the PostgreSQL URL");
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    (diesel::PgConnection::establish(&admin).unwrap(), name)
}

/// Every server connection to the test's database is closed by PostgreSQL.
fn terminate_backends(app: &TestApp) -> usize {
    #[derive(diesel::QueryableByName)]
    struct Done {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        done: bool,
    }
    let (mut conn, name) = pg_admin(app);
    let rows: Vec<Done> = diesel::sql_query(format!(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity \
         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .load(&mut conn)
    .unwrap();
    rows.iter().filter(|r| r.done).count()
}

#[tokio::test]
async fn a_database_read_only_at_start_answers_503_and_heals_when_writable() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = app.user("li", "member", "sales");
        let token = app.token(&member);
        let postgres = app.backend == "postgres";
        // Read-only before the server starts: the file, or the database's sessions.
        let read_only = if postgres {
            let (mut conn, name) = pg_admin(&app);
            diesel::sql_query(format!(
                "ALTER DATABASE {name} SET default_transaction_read_only = on"
            ))
            .execute(&mut conn)
            .unwrap();
            None
        } else {
            match ReadOnlyFile::make(&app.database_url) {
                Some(f) => Some(f),
                None => {
                    println!("sqlite: skipped, the file cannot be made read-only here");
                    continue;
                }
            }
        };
        let server = ChildServer::start(&app.database_url);

        let began = Instant::now();
        let a = file(&server.address, &token, "Approval chase while read-only").await;
        assert!(began.elapsed() < ANSWER_WITHIN);
        assert_unavailable(&a, "read-only", app.backend);
        let (status, h) = health(&server.address).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}: {h}",
            app.backend
        );
        assert_eq!(h["fault"], "read_only", "{}: {h}", app.backend);
        // The filing form comes back with what was typed and the reason, in the
        // reader's language.
        let b = Browser::at(&server.address);
        b.login("li", PASSWORD).await;
        let page = b
            .submit(
                "/incidents/new",
                "/incidents",
                &[
                    ("title", "订单 7731 催审批"),
                    ("category", "approval-chase"),
                ],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            app.backend
        );
        assert!(
            page.body.contains("the database is read-only"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("value=\"订单 7731 催审批\""),
            "typed title kept"
        );
        assert!(page.retry_after.is_some());

        // The cause goes away: writes work again, without a restart.
        if postgres {
            let (mut conn, name) = pg_admin(&app);
            diesel::sql_query(format!(
                "ALTER DATABASE {name} RESET default_transaction_read_only"
            ))
            .execute(&mut conn)
            .unwrap();
        }
        drop(read_only);
        assert!(
            heals(&server.address, &token).await,
            "{}: healed",
            app.backend
        );
        let (status, h) = health(&server.address).await;
        assert_eq!(status, StatusCode::OK, "{}: {h}", app.backend);
        assert_eq!(app.count("incidents"), 1, "{}", app.backend);
    }
}

/// Another process holds the write lock (SQLite: `BEGIN IMMEDIATE` in Python's sqlite3;
/// PostgreSQL: `LOCK TABLE` in psql): filings wait a few seconds, then hear why.
#[tokio::test]
async fn a_lock_held_by_another_process_answers_503_within_seconds_and_heals() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let member = app.user("li", "member", "sales");
        let token = app.token(&member);
        assert_eq!(
            file(&app.address, &token, "warm").await.status,
            StatusCode::CREATED
        );
        let Some(mut holder) = hold_lock(&app) else {
            println!(
                "{}: skipped, no python3 or psql to hold the lock",
                app.backend
            );
            continue;
        };
        let began = Instant::now();
        let a = file(&app.address, &token, "Approval chase while locked").await;
        let waited = began.elapsed();
        assert!(waited < ANSWER_WITHIN, "{}: waited {waited:?}", app.backend);
        assert_unavailable(&a, "locked by another process", app.backend);
        let _ = holder.kill();
        let _ = holder.wait();
        assert!(heals(&app.address, &token).await, "{}: healed", app.backend);
        assert_eq!(app.count("incidents"), 2, "{}", app.backend);
    }
}

/// A child process that holds the database's write lock until killed; None when the
/// tool it needs is missing.
fn hold_lock(app: &TestApp) -> Option<Child> {
    let mut child = if app.backend == "postgres" {
        let mut psql = Command::new("psql")
            .args([app.database_url.as_str(), "-q", "-v", "ON_ERROR_STOP=1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        writeln!(
            psql.stdin.as_mut().unwrap(),
            "BEGIN; LOCK TABLE incidents IN ACCESS EXCLUSIVE MODE; \\echo locked"
        )
        .ok()?;
        psql
    } else {
        Command::new("python3")
            .args([
                "-c",
                "import sqlite3, sys, time\n\
                 c = sqlite3.connect(sys.argv[1], isolation_level=None)\n\
                 c.execute('BEGIN IMMEDIATE')\n\
                 print('locked', flush=True)\n\
                 time.sleep(120)",
                app.database_url.as_str(),
            ])
            .stdout(Stdio::piped())
            .spawn()
            .ok()?
    };
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .ok()?;
    assert_eq!(line.trim(), "locked", "the lock holder started");
    Some(child)
}

/// PostgreSQL closes the server's connections (a restart, a failover, an
/// administrator's `pg_terminate_backend`): the next filing and the next read succeed,
/// and under a steady load with drops no request fails with a 500.
#[tokio::test]
async fn dropped_postgres_connections_are_replaced_without_a_500() {
    for backend in backends() {
        if !matches!(backend, Backend::Postgres(_)) {
            println!("sqlite: skipped, it has no server connections to drop");
            continue;
        }
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "sales");
        let token = app.token(&lead);
        for round in 0..3 {
            let a = file(&app.address, &token, "Approval chase before a drop").await;
            assert_eq!(a.status, StatusCode::CREATED, "round {round}: {}", a.body);
            assert!(terminate_backends(&app) > 0);
            let a = file(&app.address, &token, "Approval chase after a drop").await;
            assert_eq!(a.status, StatusCode::CREATED, "round {round}: {}", a.body);
            terminate_backends(&app);
            let v = app
                .get_json(&token, &format!("/api/v1/incidents/{}", a.body["id"]))
                .await;
            assert_eq!(v["id"], a.body["id"], "round {round}: {v}");
        }

        // Eight filers and two readers for four seconds, connections dropped every 500 ms.
        let stop = Instant::now() + Duration::from_secs(4);
        let mut workers = Vec::new();
        for w in 0..10 {
            let (base, token) = (app.address.clone(), token.clone());
            workers.push(tokio::spawn(async move {
                let (mut statuses, mut acked) = (Vec::new(), 0);
                while Instant::now() < stop {
                    let status = if w < 8 {
                        let a = file(&base, &token, "Approval chase under drops").await;
                        acked += usize::from(a.status == StatusCode::CREATED);
                        a.status
                    } else {
                        reqwest::Client::new()
                            .get(format!("{base}/api/v1/clusters"))
                            .bearer_auth(&token)
                            .send()
                            .await
                            .unwrap()
                            .status()
                    };
                    statuses.push(status.as_u16());
                }
                (statuses, acked)
            }));
        }
        while Instant::now() < stop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            terminate_backends(&app);
        }
        let (mut statuses, mut acked) = (Vec::new(), 0);
        for w in workers {
            let (s, a) = w.await.unwrap();
            statuses.extend(s);
            acked += a;
        }
        let unavailable = statuses.iter().filter(|s| **s == 503).count();
        println!(
            "postgres: {} requests under drops, {acked} filed, {unavailable} answered 503",
            statuses.len()
        );
        assert!(
            statuses.iter().all(|s| [200, 201, 503].contains(s)),
            "{statuses:?}"
        );
        assert!(
            unavailable * 50 <= statuses.len(),
            "at most 2% told to retry: {unavailable} of {}",
            statuses.len()
        );
        // Every acknowledged filing is there, once (6 from the rounds above).
        assert_eq!(app.count("incidents") as usize, acked + 6);
    }
}

/// The disk fills up (SQLite on a small tmpfs): 503 "the disk is full", `/healthz`
/// says so, and filing works again once space is freed.
#[tokio::test]
async fn a_full_disk_answers_503_and_heals_when_space_is_freed() {
    for backend in backends() {
        if !matches!(backend, Backend::Sqlite) {
            println!("postgres: skipped, its disk is the database server's");
            continue;
        }
        let Some(disk) = SmallDisk::mount(8) else {
            println!("sqlite: skipped, no tmpfs can be mounted here (needs root)");
            continue;
        };
        let url = format!("{}/rungs.db", disk.path);
        let server = ChildServer::start(&url);
        let pool = rungs::db::connect(&rungs::db::DatabaseUrl::parse(&url).unwrap(), 2).unwrap();
        let token = {
            let mut conn = pool.get().unwrap();
            let li = rungs::service::accounts::create_user(
                &mut conn,
                None,
                &rungs::service::accounts::NewUserInput {
                    login: "li".into(),
                    display_name: "Li".into(),
                    role: "member".into(),
                    department: "sales".into(),
                    password: PASSWORD.into(),
                    language: "en".into(),
                },
            )
            .unwrap();
            rungs::service::tokens::create(&mut conn, None, li.id, "disk").unwrap()
        };
        drop(pool);
        assert_eq!(
            file(&server.address, &token, "warm").await.status,
            StatusCode::CREATED
        );
        let filler = disk.fill_but(96 * 1024);
        let mut full = None;
        for i in 0..400 {
            let res = reqwest::Client::new()
                .post(server.url("/api/v1/incidents"))
                .bearer_auth(&token)
                .json(
                    &json!({"title": format!("Approval chase {i}"), "category": "approval-chase",
                    "body": "审批".repeat(4000)}),
                )
                .send()
                .await
                .unwrap();
            if res.status() != StatusCode::CREATED {
                let status = res.status();
                let retry_after = res
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok()?.parse().ok());
                full = Some(Answer {
                    status,
                    body: res.json().await.unwrap_or(Value::Null),
                    retry_after,
                });
                break;
            }
        }
        let full = full.expect("the disk filled up");
        assert_unavailable(&full, "the disk is full", "sqlite");
        let (status, h) = health(&server.address).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{h}");
        assert_eq!(h["fault"], "disk_full", "{h}");
        std::fs::remove_file(filler).unwrap();
        assert!(
            heals(&server.address, &token).await,
            "healed once space was freed"
        );
        assert_eq!(health(&server.address).await.0, StatusCode::OK);
        drop(server);
    }
}

/// A tmpfs of a few MiB, unmounted when dropped.
struct SmallDisk {
    path: String,
}

impl SmallDisk {
    fn mount(mib: u32) -> Option<Self> {
        if !is_root() {
            return None;
        }
        let dir = tempfile::tempdir().ok()?.keep();
        let path = dir.to_string_lossy().to_string();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs", &path])
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Self { path })
    }

    /// Fill the disk with one file until `left` bytes remain; the file's path. It
    /// writes until the disk is full, then gives `left` bytes back, so what the server
    /// writes meanwhile cannot make it overshoot.
    fn fill_but(&self, left: u64) -> String {
        let path = format!("{}/filler", self.path);
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 16 * 1024];
        let mut written = 0u64;
        while f.write_all(&chunk).is_ok() {
            written += chunk.len() as u64;
        }
        let _ = f.sync_all();
        f.set_len(written.saturating_sub(left)).unwrap();
        f.sync_all().unwrap();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").args(["-l", &self.path]).status();
        let _ = std::fs::remove_dir(&self.path);
    }
}
