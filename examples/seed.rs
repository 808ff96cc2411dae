//! Fill an empty rungs database with a realistic load for the benchmark: N incidents in
//! M clusters over two years, written directly with SQL in large transactions, then the
//! rollups rebuilt from them (`rollups::rebuild_all`), as a real history would leave them.
//!
//! cargo run --release --example seed -- --database-url bench.db --incidents 1000000 --clusters 20000
//!
//! Prints `TOKEN=…` (an API token of the lead `bench`, password "bench password"), the
//! id of the busiest cluster and the week reviewed.

use diesel::connection::SimpleConnection;
use rungs::db::{self, DatabaseUrl, DbConn};
use rungs::domain::week::{WeekKey, last_complete_week};
use rungs::service::{self, accounts::NewUserInput};
use std::time::Instant;

const WEEKS: u32 = 104;
const ROWS_PER_STATEMENT: usize = 500;
const ROWS_PER_TRANSACTION: usize = 50_000;

/// xorshift64*: deterministic, so two runs seed the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn main() -> Result<(), String> {
    let url = arg("--database-url", "bench.db");
    let total: usize = arg("--incidents", "100000")
        .parse()
        .map_err(|_| "--incidents")?;
    let clusters: usize = arg("--clusters", &(total / 50).max(1).to_string())
        .parse()
        .map_err(|_| "--clusters")?;
    let started = Instant::now();
    let pool = db::connect(&DatabaseUrl::parse(&url)?, 1)?;
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let e = |e: rungs::error::AppError| e.to_string();

    let departments = db::catalog::departments(&mut conn).map_err(|e| e.to_string())?;
    let categories = db::catalog::categories(&mut conn).map_err(|e| e.to_string())?;
    let mut people = Vec::new();
    for i in 0..40 {
        let d = &departments[i % departments.len()];
        let actor = service::accounts::create_user(
            &mut conn,
            None,
            &NewUserInput {
                login: if i == 0 {
                    "bench".into()
                } else {
                    format!("p{i:02}")
                },
                display_name: format!("Person {i}"),
                role: if i == 0 {
                    "lead".into()
                } else {
                    "member".into()
                },
                department: d.slug.clone(),
                password: "bench password".into(),
                language: "en".into(),
            },
        )
        .map_err(e)?;
        people.push((actor.id, actor.department_id));
    }
    let token = service::tokens::create(&mut conn, None, people[0].0, "bench").map_err(e)?;
    let lead = people[0].0;

    let now = "2026-11-24 09:00:00";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut sql = String::from("BEGIN;");
    for i in 0..clusters {
        let category = categories[i % categories.len()].id;
        let owner = if i % 3 == 0 {
            lead.to_string()
        } else {
            "NULL".into()
        };
        let confirmed = if i % 10 == 9 { "FALSE" } else { "TRUE" };
        let state = ["open", "open", "acting", "resolved", "regressed"][i % 5];
        sql.push_str(&format!(
            "INSERT INTO clusters (category_id, title, summary, owner_id, state, rung, confirmed, \
             dismissed, incident_count, created_at, updated_at) VALUES ({category}, \
             'Recurring problem {i}', '', {owner}, '{state}', {}, {confirmed}, FALSE, 0, '{now}', '{now}');",
            i % 7
        ));
    }
    sql.push_str("COMMIT;");
    conn.batch_execute(&sql).map_err(|e| e.to_string())?;
    let first_cluster: i64 = first_id(&mut conn, "clusters")?;

    // Popularity by rank: Zipf with s = 0.9. Every tenth cluster only lives in the last
    // ten weeks, so some are new; three get a lunchtime spike in the last week.
    let weights: Vec<f64> = (1..=clusters).map(|r| 1.0 / (r as f64).powf(0.9)).collect();
    let sum: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(clusters);
    let mut acc = 0.0;
    for w in &weights {
        acc += w / sum;
        cdf.push(acc);
    }
    let last = last_complete_week(chrono::Utc::now(), chrono_tz::UTC);
    let weeks: Vec<WeekKey> = (0..WEEKS).rev().map(|n| last.minus(n)).collect();
    let spiking = [4usize, 49, 499];
    let tags = ["lunch", "urgent", "vip", "month-end", "repeat"];

    let mut rows = Vec::with_capacity(ROWS_PER_STATEMENT);
    let mut tag_rows: Vec<(usize, &str)> = Vec::new();
    let mut written = 0usize;
    let mut batch = String::from("BEGIN;");
    // The database is empty: incident ids start at 1 on both backends.
    let next_id = 1;
    while written < total {
        let u = rng.unit();
        let rank = cdf.partition_point(|c| *c < u).min(clusters - 1);
        let spike = written.is_multiple_of(400);
        let (rank, week, hour) = if spike {
            let r = spiking[(written / 400) % spiking.len()].min(clusters - 1);
            (r, weeks[weeks.len() - 1], 12 + rng.below(2) as u32)
        } else {
            let span = if rank % 10 == 9 { 10 } else { WEEKS as u64 };
            let w = weeks[weeks.len() - 1 - rng.below(span) as usize];
            let hour = [
                8, 9, 9, 10, 10, 11, 11, 12, 13, 14, 14, 15, 15, 16, 16, 17, 18,
            ][rng.below(17) as usize];
            (rank, w, hour)
        };
        let days = if rng.below(10) == 0 { 7 } else { 5 };
        let weekday = 1 + rng.below(days) as u32;
        let date = week.monday() + chrono::Duration::days(i64::from(weekday) - 1);
        let (reporter, department) = people[1 + rng.below(39) as usize];
        let counterpart = departments[rng.below(departments.len() as u64) as usize].id;
        let category = categories[rank % categories.len()].id;
        let r = if rng.below(2) == 0 {
            format!("'SO-{}'", rng.below(50_000))
        } else {
            "NULL".into()
        };
        let tag = (rng.below(3) == 0).then(|| tags[rng.below(tags.len() as u64) as usize]);
        if let Some(t) = tag {
            tag_rows.push((next_id as usize + written, t));
        }
        let minute = rng.below(60);
        rows.push(format!(
            "('Problem {rank} again', '', {category}, {reporter}, {dept}, {counterpart}, \
             '{date} {hour:02}:{minute:02}:00', '{date}', '{week}', {weekday}, {hour}, '{tag}', {r}, \
             'open', 'problem {rank} again', '{now}', '{now}', {cluster}, 'similar')",
            dept = department.map(|d| d.to_string()).unwrap_or("NULL".into()),
            tag = tag.unwrap_or(""),
            cluster = first_cluster + rank as i64,
        ));
        written += 1;
        if rows.len() == ROWS_PER_STATEMENT || written == total {
            batch.push_str(
                "INSERT INTO incidents (title, body, category_id, reporter_id, department_id, \
                 counterpart_id, occurred_at, local_date, week_key, iso_weekday, local_hour, tags, \
                 external_ref, status, search_text, created_at, updated_at, cluster_id, join_reason) VALUES ",
            );
            batch.push_str(&rows.join(","));
            batch.push(';');
            rows.clear();
            if !tag_rows.is_empty() {
                let values: Vec<String> = tag_rows
                    .iter()
                    .map(|(id, t)| format!("({id}, '{t}')"))
                    .collect();
                batch.push_str(&format!(
                    "INSERT INTO incident_tags (incident_id, tag) VALUES {};",
                    values.join(",")
                ));
                tag_rows.clear();
            }
        }
        if written.is_multiple_of(ROWS_PER_TRANSACTION) || written == total {
            batch.push_str("COMMIT;");
            conn.batch_execute(&batch).map_err(|e| e.to_string())?;
            batch = String::from("BEGIN;");
            eprintln!("{written} incidents ({:.0?})", started.elapsed());
        }
    }
    // Statistics first, or PostgreSQL plans the aggregate blind; one grouped pass, not
    // a correlated subquery per cluster.
    conn.batch_execute(
        "ANALYZE; BEGIN; UPDATE clusters SET incident_count = t.n, last_incident_at = t.last \
         FROM (SELECT cluster_id, COUNT(*) AS n, MAX(occurred_at) AS last FROM incidents \
         GROUP BY cluster_id) AS t WHERE t.cluster_id = clusters.id; COMMIT;",
    )
    .map_err(|e| e.to_string())?;
    eprintln!("rebuilding rollups ({:.0?})", started.elapsed());
    diesel::Connection::transaction(&mut **conn, |c: &mut DbConn| db::rollups::rebuild_all(c))
        .map_err(|e| e.to_string())?;
    conn.batch_execute("ANALYZE;").map_err(|e| e.to_string())?;
    eprintln!("seeded in {:.0?}", started.elapsed());
    println!("TOKEN={token}");
    println!("CLUSTER={first_cluster}");
    println!("WEEK={last}");
    Ok(())
}

/// The smallest id in a table (the first row this run wrote), via MIN.
fn first_id(conn: &mut DbConn, table: &str) -> Result<i64, String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
        id: Option<i64>,
    }
    let rows: Vec<Row> = diesel::sql_query(format!("SELECT MIN(id) AS id FROM {table}"))
        .load(conn)
        .map_err(|e| e.to_string())?;
    Ok(rows.first().and_then(|r| r.id).unwrap_or(1))
}
