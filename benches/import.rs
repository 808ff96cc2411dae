//! Importing a large spreadsheet on SQLite, beside a plain-diesel baseline of the same
//! rows, in one run, each on a fresh database:
//!
//! - baseline: every row of the file read with the `csv` crate and inserted by plain
//!   diesel (`db::incidents::insert`, the incident and its tags) in one transaction:
//!   no checks, no grouping, no rollups, no trail;
//! - import: `service::import::import_file`, as `rungs import` runs it: both passes
//!   (every row checked, then every row filed through `intake::write` with grouping,
//!   rollups and the trail, in one transaction), then `rollups verify` must be clean.
//!
//! The file is a register as a team keeps it (Chinese headers, UTF-8, dates written as
//! `2025/3/5 12:30`, varied titles and bodies over a few hundred recurring problems, so
//! grouping has real work). Peak memory is each phase's high-water mark of resident
//! memory (`VmHWM`, reset between phases through `/proc/self/clear_refs`).
//!
//! Run: `cargo bench --bench import` (options after `--`: `--rows N`, default
//! 1,000,000; `--no-write` leaves docs/PERFORMANCE.md alone). The table goes to stdout
//! and into the "Importing a spreadsheet" section of docs/PERFORMANCE.md.

use diesel::prelude::*;
use rungs::db::incidents::NewIncident;
use rungs::db::{self, DatabaseUrl, DbConn};
use rungs::domain::states::IncidentStatus;
use rungs::domain::week::LocalStamp;
use rungs::service;
use rungs::service::accounts::{Actor, NewUserInput};
use rungs::service::grouping::GroupingCache;
use rungs::service::import::{Options, Phase, Progress};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Duration, Instant};

struct BenchOptions {
    rows: usize,
    write: bool,
}

fn options() -> BenchOptions {
    let mut o = BenchOptions {
        rows: 1_000_000,
        write: true,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--rows" => {
                i += 1;
                o.rows = args[i].replace([',', '_'], "").parse().expect("--rows N");
            }
            "--no-write" => o.write = false,
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    o
}

/// A small deterministic generator (xorshift), so every run files the same rows.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn pick<'a>(&mut self, of: &[&'a str]) -> &'a str {
        of[self.roll(of.len())]
    }
}

const THINGS: [&str; 24] = [
    "打印机",
    "报销系统",
    "合同审批",
    "门禁卡",
    "会议室投影",
    "VPN",
    "工资条",
    "采购单",
    "发票",
    "邮箱",
    "OA 流程",
    "客户资料",
    "库存表",
    "出差申请",
    "考勤机",
    "the printer",
    "the expense tool",
    "the CRM",
    "the sales laptops",
    "the warehouse scanner",
    "报价单",
    "发货单",
    "退款申请",
    "入职手续",
];
const TROUBLES: [&str; 14] = [
    "又卡住了",
    "登录不了",
    "一直没人批",
    "数据填错了",
    "打不开",
    "很慢",
    "报错 500",
    "找不到入口",
    "重复提交",
    "权限不够",
    "keeps crashing",
    "cannot sign in",
    "is waiting for approval",
    "shows the wrong figures",
];
const PLACES: [&str; 9] = [
    "三楼",
    "二楼东侧",
    "财务部",
    "销售部",
    "仓库",
    "深圳办公室",
    "北京总部",
    "floor 2",
    "the Shanghai office",
];
const ASIDES: [&str; 8] = [
    "客户一直在等",
    "已经第{n}次了",
    "上周也出现过",
    "麻烦尽快处理",
    "the customer keeps calling",
    "happened again this morning",
    "李经理说先记下来",
    "影响了{n}个订单",
];
const CATEGORIES: [&str; 5] = ["其他", "系统故障", "催审批", "数据修改", "流程咨询"];
const DEPARTMENTS: [&str; 5] = ["sales", "approval", "product", "hr", "operations"];
const TAGS: [&str; 6] = ["urgent", "客户", "月底", "repeat", "财务", ""];
const STATUSES: [&str; 2] = ["未处理", "已处理"];
const HEADERS: &str = "标题,描述,类别,发生时间,部门,报告人,标签,单号,状态";

/// Write the register: `rows` rows after the header. Returns its size in bytes.
fn register(path: &Path, rows: usize, reporters: &[String]) -> u64 {
    let file = std::fs::File::create(path).expect("create the register");
    let mut out = std::io::BufWriter::new(file);
    writeln!(out, "{HEADERS}").unwrap();
    let mut dice = Dice(0x9e37_79b9_7f4a_7c15);
    for n in 1..=rows {
        let (thing, trouble) = (dice.pick(&THINGS), dice.pick(&TROUBLES));
        let place = dice.pick(&PLACES);
        let title = format!("{place}{thing}{trouble}");
        let aside = dice
            .pick(&ASIDES)
            .replace("{n}", &(2 + dice.roll(30)).to_string());
        let body = format!(
            "{thing}{trouble}，{aside}。单据 {}",
            10_000 + dice.roll(90_000)
        );
        let day = format!(
            "2025/{}/{} {}:{:02}",
            1 + dice.roll(12),
            1 + dice.roll(28),
            7 + dice.roll(14),
            dice.roll(60)
        );
        writeln!(
            out,
            "{title},\"{body}\",{},{day},{},{},{},REF-{n},{}",
            dice.pick(&CATEGORIES),
            dice.pick(&DEPARTMENTS),
            reporters[dice.roll(reporters.len())],
            dice.pick(&TAGS),
            dice.pick(&STATUSES),
        )
        .unwrap();
    }
    out.flush().unwrap();
    std::fs::metadata(path).unwrap().len()
}

/// A fresh SQLite database with an admin and a few reporters.
fn fresh(dir: &Path, name: &str) -> (db::Pool, Actor, Vec<Actor>) {
    let url = dir.join(name).to_string_lossy().to_string();
    let pool = db::connect(&DatabaseUrl::parse(&url).unwrap(), 2).expect("database");
    let mut conn = pool.get().unwrap();
    let mut user = |login: &str, role: &str| {
        service::accounts::create_user(
            &mut conn,
            None,
            &NewUserInput {
                login: login.into(),
                display_name: format!("{login} name"),
                role: role.into(),
                department: "sales".into(),
                password: "correct horse battery".into(),
                language: "zh".into(),
            },
        )
        .expect("create a user")
    };
    let admin = user("boss", "admin");
    let reporters = (0..6)
        .map(|i| user(&format!("staff{i}"), "member"))
        .collect();
    drop(conn);
    (pool, admin, reporters)
}

/// Resident memory's high-water mark of this process, in MB; `reset` starts it again.
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Plain diesel: every row read and inserted as it stands, in one transaction.
fn baseline(conn: &mut DbConn, path: &Path, reporters: &[Actor]) -> usize {
    use rungs::db::schema::{categories, departments};
    let category_ids: Vec<(String, i64)> = categories::table
        .select((categories::name_zh, categories::id))
        .load(conn)
        .unwrap();
    let department_ids: Vec<(String, i64)> = departments::table
        .select((departments::slug, departments::id))
        .load(conn)
        .unwrap();
    let find = |list: &[(String, i64)], key: &str| {
        list.iter()
            .find(|(k, _)| k == key)
            .map(|(_, id)| *id)
            .unwrap_or(list[0].1)
    };
    let mut csv = csv::Reader::from_path(path).expect("read the register");
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        while csv.read_record(&mut record).expect("a record") {
            let at = chrono::NaiveDateTime::parse_from_str(&record[3], "%Y/%m/%d %H:%M")
                .expect("a time");
            let stamp = LocalStamp::of(at.and_utc(), chrono_tz::Asia::Shanghai);
            let week = stamp.week.to_string();
            let reporter = reporters
                .iter()
                .find(|r| r.login == record[5])
                .map(|r| r.id)
                .unwrap_or(reporters[0].id);
            let tags: Vec<String> = Some(record[6].to_string())
                .filter(|t| !t.is_empty())
                .into_iter()
                .collect();
            db::incidents::insert(
                conn,
                &NewIncident {
                    title: &record[0],
                    body: &record[1],
                    category_id: find(&category_ids, &record[2]),
                    reporter_id: reporter,
                    department_id: Some(find(&department_ids, &record[4])),
                    counterpart_id: None,
                    occurred_at: at,
                    local_date: stamp.date,
                    week_key: &week,
                    iso_weekday: stamp.weekday as i32,
                    local_hour: stamp.hour as i32,
                    tags: &record[6],
                    external_ref: Some(&record[7]),
                    status: if &record[8] == "已处理" {
                        IncidentStatus::Handled
                    } else {
                        IncidentStatus::Open
                    },
                    search_text: &record[0],
                    created_at: at,
                    updated_at: at,
                    cluster_id: None,
                    join_reason: None,
                    join_score: None,
                    join_terms: None,
                    import_id: None,
                },
                &tags,
            )?;
            n += 1;
        }
        Ok(())
    })
    .expect("baseline insert");
    n
}

struct Measured {
    what: &'static str,
    rows: usize,
    elapsed: Duration,
    peak_mb: f64,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("register.csv");

    let (pool, _, reporters) = fresh(dir.path(), "baseline.db");
    let logins: Vec<String> = reporters.iter().map(|r| r.display_name.clone()).collect();
    let t = Instant::now();
    let size = register(&path, o.rows, &logins);
    eprintln!(
        "register: {} rows, {:.1} MB, written in {:.1} s",
        o.rows,
        size as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    eprintln!("baseline: plain diesel");
    let mut results = Vec::new();
    {
        let mut conn = pool.get().unwrap();
        // The baseline reads the reporters by login; the file names them.
        let by_name: Vec<Actor> = reporters
            .iter()
            .map(|r| Actor {
                login: r.display_name.clone(),
                ..r.clone()
            })
            .collect();
        reset_peak();
        let t = Instant::now();
        let rows = baseline(&mut conn, &path, &by_name);
        results.push(Measured {
            what: "baseline: plain diesel inserts",
            rows,
            elapsed: t.elapsed(),
            peak_mb: peak_mb(),
        });
    }
    drop(pool);

    eprintln!("import: rungs import");
    let (pool, admin, _) = fresh(dir.path(), "import.db");
    let mut conn = pool.get().unwrap();
    let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
    let options = Options {
        file_name: "register.csv".into(),
        ..Options::default()
    };
    let mut checked_at = None;
    let started = Instant::now();
    let mut progress = |p: &Progress| {
        if p.phase == Phase::Checking && p.total_rows.is_some() {
            checked_at = Some(started.elapsed());
        }
        ControlFlow::Continue(())
    };
    reset_peak();
    let report =
        service::import::import_file(&mut conn, &grouping, &admin, &path, &options, &mut progress)
            .expect("import");
    let elapsed = started.elapsed();
    let peak = peak_mb();
    assert!(report.bad.is_empty(), "bad rows: {:?}", &report.bad[..]);
    assert!(report.import_id.is_some(), "imported");
    let checking = checked_at.unwrap_or_default();
    results.push(Measured {
        what: "rungs import (both passes)",
        rows: report.rows as usize,
        elapsed,
        peak_mb: peak,
    });
    let problems = db::rollups::verify(&mut conn).expect("verify");
    let clusters: i64 = {
        use rungs::db::schema::clusters;
        clusters::table.count().get_result(&mut **conn).unwrap()
    };
    let filed: i64 = {
        use rungs::db::schema::incidents;
        incidents::table.count().get_result(&mut **conn).unwrap()
    };

    let mut out = format!(
        "`cargo bench --bench import -- --rows {}`: a {:.0} MB UTF-8 register with Chinese \
         headers, {} rows; SQLite, fresh database each, one run.\n\n\
         | what | rows | seconds | rows/s | × baseline | peak RSS MB |\n\
         |---|---|---|---|---|---|\n",
        o.rows,
        size as f64 / 1e6,
        o.rows
    );
    let base = results[0].rate();
    for m in &results {
        out.push_str(&format!(
            "| {} | {} | {:.1} | {:.0} | {:.2} | {:.0} |\n",
            m.what,
            m.rows,
            m.elapsed.as_secs_f64(),
            m.rate(),
            m.rate() / base,
            m.peak_mb
        ));
    }
    let filing = elapsed.saturating_sub(checking);
    out.push_str(&format!(
        "\nOf the import: pass 1 (read, map, check every row) {:.1} s, pass 2 (file every \
         row: grouping, rollups, trail; one transaction) {:.1} s = {:.0} rows/s. {} incidents \
         in {} clusters; `rollups verify`: {}.\n",
        checking.as_secs_f64(),
        filing.as_secs_f64(),
        report.rows as f64 / filing.as_secs_f64(),
        filed,
        clusters,
        if problems.is_empty() {
            "clean".to_string()
        } else {
            format!("{} problems", problems.len())
        }
    ));
    println!("{out}");
    if o.write {
        write_section(&out);
    }
    if !problems.is_empty() || filed as usize != o.rows {
        eprintln!("FAILED: {problems:?}");
        std::process::exit(1);
    }
}

/// Replace the text between the import markers of docs/PERFORMANCE.md (or add them at
/// the end of the "Importing a spreadsheet" section).
fn write_section(table: &str) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PERFORMANCE.md");
    let (begin, end) = ("<!-- import:begin -->", "<!-- import:end -->");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|_| "# Performance\n".into());
    let doc = match (doc.find(begin), doc.find(end)) {
        (Some(b), Some(e)) if b < e => {
            format!("{}{begin}\n{table}{}", &doc[..b], &doc[e..])
        }
        _ => format!(
            "{}\n\n## Importing a million rows (`cargo bench --bench import`)\n\n{begin}\n{table}{end}\n",
            doc.trim_end()
        ),
    };
    std::fs::write(path, doc).expect("write docs/PERFORMANCE.md");
}
