//! Filing throughput and load, on SQLite and PostgreSQL, each on a fresh database:
//!
//! - baseline: the same incident rows (and their tags) inserted by plain diesel, one
//!   transaction each, on one connection, no HTTP (SQLite WAL + synchronous=FULL,
//!   PostgreSQL synchronous_commit=on, exactly as rungs connects);
//! - rungs: `POST /api/v1/incidents` over HTTP from 32 concurrent clients;
//! - load: 64 clients filing and 8 reading (`GET /api/v1/incidents/{id}` and the
//!   `/incidents` page with a session) at once: no 5xx, every acknowledged id stored
//!   exactly once, as many rows as acknowledgements, rollups equal to a recount.
//!
//! Run: `cargo bench --bench filing` (options after `--`: `--seconds 10`,
//! `--load-seconds 30`, `--backends sqlite,postgres`, `--no-write`). The table goes to
//! stdout and into the "Filing" section of docs/PERFORMANCE.md.
//! PostgreSQL: RUNGS_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test).

use diesel::prelude::*;
use rungs::config::Config;
use rungs::db::incidents::NewIncident;
use rungs::db::{self, DatabaseUrl, DbConn};
use rungs::domain::week::LocalStamp;
use rungs::service;
use rungs::service::accounts::NewUserInput;
use rungs::startup::Application;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const LOAD_FILERS: usize = 64;
const LOAD_READERS: usize = 8;
const USERS: usize = 8;

struct Options {
    seconds: u64,
    load_seconds: u64,
    backends: Vec<String>,
    write: bool,
}

fn options() -> Options {
    let mut o = Options {
        seconds: 10,
        load_seconds: 30,
        backends: vec!["sqlite".into(), "postgres".into()],
        write: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--seconds" => {
                i += 1;
                o.seconds = args[i].parse().expect("--seconds N");
            }
            "--load-seconds" => {
                i += 1;
                o.load_seconds = args[i].parse().expect("--load-seconds N");
            }
            "--backends" => {
                i += 1;
                o.backends = args[i].split(',').map(str::to_string).collect();
            }
            "--no-write" => o.write = false,
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    o
}

/// A varied stream of incidents: a few recurring problems, each written many ways.
const TITLES: [&str; 8] = [
    "催审批：订单 {n} 审批进度怎么还没出来",
    "订单 {n} 审批还没过，客户在催",
    "Printer on floor {f} jams again (ticket {n})",
    "客户 {n} 要发票，财务还没开",
    "VPN drops on the sales laptops, case {n}",
    "Customer {n} asks where the delivery is",
    "仓库 {f} 号库位缺货，订单 {n} 发不出去",
    "Quote {n} waits for a price approval",
];

fn incident(client: usize, n: usize) -> (String, String, Vec<String>, String) {
    let title = TITLES[(client * 7 + n) % TITLES.len()]
        .replace("{n}", &(1000 + n).to_string())
        .replace("{f}", &(client % 5).to_string());
    let body = if n.is_multiple_of(3) {
        "客户一直在等 / the customer keeps waiting".to_string()
    } else {
        String::new()
    };
    let tags = vec![format!("team-{}", client % 4)];
    (title, body, tags, format!("bench-{client}-{n}"))
}

struct Fresh {
    url: String,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl Fresh {
    fn new(backend: &str, admin: &str) -> Fresh {
        if backend == "sqlite" {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("rungs.db").to_string_lossy().to_string();
            return Fresh {
                url,
                pg: None,
                _dir: Some(dir),
            };
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!(
            "rungs_bench_{}_{}",
            std::process::id(),
            nanos % 1_000_000_000
        );
        let mut conn = diesel::pg::PgConnection::establish(admin).expect("connect to PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create the bench database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin);
        Fresh {
            url: format!("{base}/{name}"),
            pg: Some((admin.to_string(), name)),
            _dir: None,
        }
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg
            && let Ok(mut conn) = diesel::pg::PgConnection::establish(admin)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

struct Measured {
    rate: f64,
    p50: f64,
    p99: f64,
    count: usize,
}

fn measured(count: usize, elapsed: Duration, mut lat: Vec<Duration>) -> Measured {
    lat.sort();
    Measured {
        rate: count as f64 / elapsed.as_secs_f64(),
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
        count,
    }
}

fn make_users(conn: &mut DbConn) -> Vec<(i64, String)> {
    (0..USERS)
        .map(|i| {
            let login = format!("bench{i}");
            let actor = service::accounts::create_user(
                conn,
                None,
                &NewUserInput {
                    login: login.clone(),
                    display_name: format!("Bench {i}"),
                    role: "member".into(),
                    department: "sales".into(),
                    password: "correct horse battery".into(),
                    language: "en".into(),
                },
            )
            .expect("create a user");
            let token = service::tokens::create(conn, None, actor.id, "bench").expect("token");
            (actor.id, token)
        })
        .collect()
}

/// Plain diesel: one incident (with its tags) per transaction, one connection, no HTTP.
fn baseline(backend: &str, admin: &str, seconds: u64) -> Measured {
    let fresh = Fresh::new(backend, admin);
    let pool = db::connect(&DatabaseUrl::parse(&fresh.url).unwrap(), 2).expect("database");
    let mut conn = pool.get().unwrap();
    let users = make_users(&mut conn);
    let category_id: i64 = {
        use rungs::db::schema::categories;
        categories::table
            .filter(categories::slug.eq("approval-chase"))
            .select(categories::id)
            .first(&mut **conn)
            .unwrap()
    };
    let mut lat = Vec::new();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut n = 0;
    while Instant::now() < deadline {
        let client = n % CLIENTS;
        let (title, body, tags, reference) = incident(client, n / CLIENTS);
        let now = db::now();
        let stamp = LocalStamp::of(now.and_utc(), chrono_tz::UTC);
        let week = stamp.week.to_string();
        let tag_text = tags.join(", ");
        let t = Instant::now();
        conn.transaction::<_, diesel::result::Error, _>(|c| {
            db::incidents::insert(
                c,
                &NewIncident {
                    title: &title,
                    body: &body,
                    category_id,
                    reporter_id: users[client % USERS].0,
                    department_id: None,
                    counterpart_id: None,
                    occurred_at: now,
                    local_date: stamp.date,
                    week_key: &week,
                    iso_weekday: stamp.weekday as i32,
                    local_hour: stamp.hour as i32,
                    tags: &tag_text,
                    external_ref: Some(&reference),
                    status: rungs::domain::states::IncidentStatus::Open,
                    search_text: &title,
                    created_at: now,
                    updated_at: now,
                    cluster_id: None,
                    join_reason: None,
                    join_score: None,
                    join_terms: None,
                    import_id: None,
                },
                &tags,
            )?;
            Ok(())
        })
        .expect("baseline insert");
        lat.push(t.elapsed());
        n += 1;
    }
    measured(n, start.elapsed(), lat)
}

struct Server {
    address: String,
    tokens: Vec<String>,
    pool: db::Pool,
    _fresh: Fresh,
}

async fn serve(backend: &str, admin: &str) -> Server {
    let fresh = Fresh::new(backend, admin);
    let mut config = Config::for_url(&fresh.url).expect("config");
    config.workers = None; // one per core, as `rungs serve`
    config.pool_size = 16;
    let app = Application::build(config).await.expect("rungs starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let pool = db::connect(&DatabaseUrl::parse(&fresh.url).unwrap(), 2).expect("database");
    let tokens = make_users(&mut pool.get().unwrap())
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    Server {
        address,
        tokens,
        pool,
        _fresh: fresh,
    }
}

#[derive(Default)]
struct Tally {
    acked: Vec<(i64, String)>,
    latencies: Vec<Duration>,
    statuses: HashMap<u16, u32>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.acked.extend(other.acked);
        self.latencies.extend(other.latencies);
        for (s, n) in other.statuses {
            *self.statuses.entry(s).or_default() += n;
        }
    }
}

async fn filers(
    server: &Server,
    clients: usize,
    seconds: u64,
    newest: Arc<AtomicI64>,
) -> Vec<tokio::task::JoinHandle<Tally>> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    (0..clients)
        .map(|c| {
            let (http, url, token, newest) = (
                http.clone(),
                format!("{}/api/v1/incidents", server.address),
                server.tokens[c % server.tokens.len()].clone(),
                newest.clone(),
            );
            tokio::spawn(async move {
                let mut t = Tally::default();
                let mut n = 0;
                while Instant::now() < deadline {
                    let (title, body, tags, reference) = incident(c, n);
                    let start = Instant::now();
                    let res = http
                        .post(&url)
                        .bearer_auth(&token)
                        .json(
                            &json!({"title": title, "body": body, "category": "approval-chase",
                            "tags": tags, "external_ref": reference}),
                        )
                        .send()
                        .await;
                    let Ok(res) = res else {
                        *t.statuses.entry(0).or_default() += 1;
                        continue;
                    };
                    let status = res.status().as_u16();
                    let body: Value = res.json().await.unwrap_or(Value::Null);
                    t.latencies.push(start.elapsed());
                    *t.statuses.entry(status).or_default() += 1;
                    if status == 201 {
                        let id = body["id"].as_i64().expect("an id");
                        newest.fetch_max(id, Ordering::Relaxed);
                        t.acked.push((id, reference));
                    }
                    n += 1;
                }
                t
            })
        })
        .collect()
}

async fn filing(server: &Server, seconds: u64) -> (Measured, Tally) {
    let start = Instant::now();
    let mut all = Tally::default();
    for h in filers(server, CLIENTS, seconds, Arc::new(AtomicI64::new(0))).await {
        all.merge(h.await.unwrap());
    }
    let elapsed = start.elapsed();
    let m = measured(all.acked.len(), elapsed, std::mem::take(&mut all.latencies));
    (m, all)
}

async fn login(base: &str) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let at = page.find(marker).expect("a CSRF token") + marker.len();
    let token = page[at..].split('"').next().unwrap();
    let res = client
        .post(format!("{base}/login"))
        .form(&[
            ("csrf_token", token),
            ("login", "bench0"),
            ("password", "correct horse battery"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303, "the bench user signs in");
    client
}

struct LoadResult {
    filed: Measured,
    read: Measured,
    statuses: HashMap<u16, u32>,
    problems: Vec<String>,
}

async fn load(server: &Server, seconds: u64) -> LoadResult {
    let newest = Arc::new(AtomicI64::new(0));
    let start = Instant::now();
    let filing = filers(server, LOAD_FILERS, seconds, newest.clone()).await;
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut readers = Vec::new();
    for r in 0..LOAD_READERS {
        let browser = login(&server.address).await;
        let (base, token, newest) = (
            server.address.clone(),
            server.tokens[0].clone(),
            newest.clone(),
        );
        readers.push(tokio::spawn(async move {
            let api = reqwest::Client::new();
            let mut t = Tally::default();
            let mut n = r as i64;
            while Instant::now() < deadline {
                let start = Instant::now();
                let res = if n % 2 == 0 {
                    browser.get(format!("{base}/incidents")).send().await
                } else {
                    let top = newest.load(Ordering::Relaxed).max(1);
                    let id = 1 + (n * 7919) % top;
                    api.get(format!("{base}/api/v1/incidents/{id}"))
                        .bearer_auth(&token)
                        .send()
                        .await
                };
                let status = match res {
                    Ok(res) => {
                        let s = res.status().as_u16();
                        let _ = res.bytes().await;
                        s
                    }
                    Err(_) => 0,
                };
                t.latencies.push(start.elapsed());
                *t.statuses.entry(status).or_default() += 1;
                n += 1;
            }
            t
        }));
    }
    let mut filed = Tally::default();
    for h in filing {
        filed.merge(h.await.unwrap());
    }
    let elapsed = start.elapsed();
    let mut read = Tally::default();
    for h in readers {
        read.merge(h.await.unwrap());
    }
    let mut statuses = filed.statuses.clone();
    for (s, n) in &read.statuses {
        *statuses.entry(*s).or_default() += n;
    }
    let mut problems = check(server, &filed.acked);
    if statuses.keys().any(|s| *s >= 500 || *s == 0) {
        problems.push(format!("5xx or transport errors: {statuses:?}"));
    }
    let read_count = read.latencies.len();
    LoadResult {
        filed: measured(
            filed.acked.len(),
            elapsed,
            std::mem::take(&mut filed.latencies),
        ),
        read: measured(read_count, elapsed, std::mem::take(&mut read.latencies)),
        statuses,
        problems,
    }
}

/// Every acknowledged id stored once with its own reference, nothing else stored, and
/// the rollups equal to a recount from the raw incidents.
fn check(server: &Server, acked: &[(i64, String)]) -> Vec<String> {
    use rungs::db::schema::incidents;
    let mut problems = Vec::new();
    let mut conn = server.pool.get().unwrap();
    let stored: Vec<(i64, Option<String>)> = incidents::table
        .select((incidents::id, incidents::external_ref))
        .load(&mut **conn)
        .unwrap();
    let ids: HashSet<i64> = acked.iter().map(|(id, _)| *id).collect();
    if ids.len() != acked.len() {
        problems.push("an id was acknowledged twice".into());
    }
    if stored.len() != acked.len() {
        problems.push(format!(
            "{} rows stored, {} acknowledged",
            stored.len(),
            acked.len()
        ));
    }
    let stored: HashMap<i64, Option<String>> = stored.into_iter().collect();
    let missing = acked
        .iter()
        .filter(|(id, r)| stored.get(id) != Some(&Some(r.clone())))
        .count();
    if missing > 0 {
        problems.push(format!(
            "{missing} acknowledged incidents missing or changed"
        ));
    }
    let refs: HashSet<&Option<String>> = stored.values().collect();
    if refs.len() != stored.len() {
        problems.push("an incident was stored twice".into());
    }
    match db::rollups::verify(&mut conn) {
        Ok(d) if d.is_empty() => {}
        Ok(d) => problems.push(format!("{} rollup counts differ from a recount", d.len())),
        Err(e) => problems.push(format!("rollup check failed: {e}")),
    }
    problems
}

fn main() {
    let o = options();
    let admin = std::env::var("RUNGS_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let nproc = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut filing_rows = Vec::new();
    let mut load_rows = Vec::new();
    let mut failed = false;
    for backend in &o.backends {
        eprintln!("{backend}: baseline, {} s", o.seconds);
        let base = baseline(backend, &admin, o.seconds);
        eprintln!("{backend}: rungs with {CLIENTS} clients, {} s", o.seconds);
        let (rungs, tally) = runtime.block_on(async {
            let server = serve(backend, &admin).await;
            let (m, tally) = filing(&server, o.seconds).await;
            let problems = check(&server, &tally.acked);
            (m, (tally, problems))
        });
        let (tally, problems) = tally;
        if !problems.is_empty() || tally.statuses.keys().any(|s| *s != 201) {
            failed = true;
            eprintln!(
                "{backend}: filing run problems: {problems:?} {:?}",
                tally.statuses
            );
        }
        filing_rows.push(format!(
            "| {backend} | plain diesel, 1 row per transaction, 1 connection, no HTTP | {:.0} | {:.2} | {:.2} | {} | 1.00 |",
            base.rate, base.p50, base.p99, base.count
        ));
        filing_rows.push(format!(
            "| {backend} | rungs `POST /api/v1/incidents`, {CLIENTS} clients, group commit | {:.0} | {:.2} | {:.2} | {} | {:.2} |",
            rungs.rate, rungs.p50, rungs.p99, rungs.count, rungs.rate / base.rate
        ));
        if o.load_seconds > 0 {
            eprintln!(
                "{backend}: load, {LOAD_FILERS} filers + {LOAD_READERS} readers, {} s",
                o.load_seconds
            );
            let l = runtime.block_on(async {
                let server = serve(backend, &admin).await;
                load(&server, o.load_seconds).await
            });
            let verdict = if l.problems.is_empty() {
                "none lost, none doubled, no 5xx, rollups = recount".to_string()
            } else {
                failed = true;
                l.problems.join("; ")
            };
            let mut statuses: Vec<_> = l.statuses.iter().collect();
            statuses.sort();
            load_rows.push(format!(
                "| {backend} | {:.0} filed/s, p50 {:.2} ms, p99 {:.2} ms | {:.0} reads/s, p50 {:.2} ms, p99 {:.2} ms | {} | {} |",
                l.filed.rate, l.filed.p50, l.filed.p99, l.read.rate, l.read.p50, l.read.p99,
                statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect::<Vec<_>>().join(", "),
                verdict
            ));
        }
    }
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let command = if args.is_empty() {
        "cargo bench --bench filing".to_string()
    } else {
        format!("cargo bench --bench filing -- {}", args.join(" "))
    };
    let mut out = format!(
        "Measured {date} on {nproc} cores (`nproc` = {nproc}; the machine is shared, so figures move between runs) with\n\
         `{command}` (release build). Each row on a fresh database; SQLite in WAL with\n\
         `synchronous=FULL`, PostgreSQL with `synchronous_commit=on`: every acknowledged incident is\n\
         on disk. The client runs on the same cores as the server.\n\n\
         | backend | what | incidents/s | p50 ms | p99 ms | incidents | × baseline |\n\
         |---|---|---:|---:|---:|---:|---:|\n"
    );
    for r in &filing_rows {
        out.push_str(r);
        out.push('\n');
    }
    if !load_rows.is_empty() {
        out.push_str(&format!(
            "\nLoad: {LOAD_FILERS} clients filing and {LOAD_READERS} reading (`GET /api/v1/incidents/{{id}}` and the \
             `/incidents` page with a session) for {} s; then every acknowledged id is looked up, the row count \
             compared with the acknowledgements, and the rollups recounted.\n\n\
             | backend | filing | reading | statuses | check |\n|---|---|---|---|---|\n",
            o.load_seconds
        ));
        for r in &load_rows {
            out.push_str(r);
            out.push('\n');
        }
    }
    println!("{out}");
    if o.write {
        write_section(&out);
    }
    if failed {
        eprintln!("FAILED: see the problems above");
        std::process::exit(1);
    }
}

/// Replace the text between the Filing markers of docs/PERFORMANCE.md (or add the section).
fn write_section(table: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PERFORMANCE.md");
    let (begin, end) = ("<!-- filing:begin -->", "<!-- filing:end -->");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|_| "# Performance\n".into());
    let doc = match (doc.find(begin), doc.find(end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{begin}\n{table}{}", &doc[..b], &doc[e..])
        }
        _ => format!("{}\n## Filing\n\n{begin}\n{table}{end}\n", doc.trim_end()),
    };
    std::fs::create_dir_all(concat!(env!("CARGO_MANIFEST_DIR"), "/docs")).unwrap();
    std::fs::write(path, doc).expect("write docs/PERFORMANCE.md");
}
