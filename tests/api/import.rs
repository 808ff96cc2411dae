//! A team's spreadsheet imported in one step through the intake: GBK with CRLF and
//! Chinese headers, UTF-16 tab-separated text, all or nothing when one row is bad, an
//! import withdrawn as a whole with the rollups corrected, and the command's dry run.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use rungs::db;
use rungs::error::AppError;
use rungs::service::accounts::Actor;
use rungs::service::grouping::GroupingCache;
use rungs::service::import::{self, Options, Report};
use std::path::Path;

fn file(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(app: &TestApp, actor: &Actor, path: &Path, options: Options) -> Report {
    let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
    import::import_file(
        &mut app.elsewhere(),
        &grouping,
        actor,
        path,
        &options,
        &mut import::quietly,
    )
    .expect("the file is read")
}

fn verify_clean(app: &TestApp, what: &str) {
    let differences = db::rollups::verify(&mut app.elsewhere()).unwrap();
    assert!(
        differences.is_empty(),
        "{}: {what}: {differences:?}",
        app.backend
    );
}

fn scalar(app: &TestApp, sql: &str) -> i64 {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<N>(&mut *app.conn())
        .unwrap()
        .n
}

/// A team's register as WPS saves it: GBK, CRLF, Chinese headers, dates written four
/// ways, people by display name, a body with a line break inside quotes.
const REGISTER: &str = "标题,描述,类别,发生时间,部门,对方部门,报告人,标签,单号,状态\r\n\
三楼打印机卡纸,早上又卡了,其他,2025/3/3 09:15,sales,Operations,li name,打印机,PR-1,未处理\r\n\
三楼打印机又卡纸了,\"换了纸盒\r\n还是卡\",其他,2025年3月4日,sales,,wang,打印机；三楼,PR-2,已处理\r\n\
合同审批一直没人批,催了三次,催审批,2025-03-05 14:20,sales,approval,li,,HT-77,\r\n\
报销系统登录不了,,系统故障,45722.5,hr,,wang name,,,open\r\n";

#[tokio::test]
async fn a_gbk_register_with_crlf_and_chinese_headers_imports_and_groups() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "sales");
        app.user("li", "member", "sales");
        let wang = app.user("wang", "member", "hr");
        app.elsewhere()
            .batch_execute("UPDATE settings SET value = 'Asia/Shanghai' WHERE key = 'timezone'")
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let (gbk, _, lossy) = encoding_rs::GBK.encode(REGISTER);
        assert!(!lossy);
        let path = file(dir.path(), "汇总记录表.csv", &gbk);
        let report = run(&app, &lead, &path, Options::default());
        assert!(
            report.bad.is_empty(),
            "{}",
            at(&format!("{:?}", report.bad))
        );
        assert_eq!(
            report.summary(),
            "read as GBK, 4 rows, comma-separated",
            "{}",
            at("the shape said")
        );
        let import_id = report.import_id.expect("imported");
        assert_eq!(app.count("incidents"), 4, "{}", at("every row filed"));
        assert_eq!(
            scalar(
                &app,
                &format!("SELECT COUNT(*) AS n FROM incidents WHERE import_id = {import_id}")
            ),
            4,
            "{}",
            at("each names its import")
        );
        // The two printer jams share a cluster; the approval chase does not.
        let printers = scalar(
            &app,
            "SELECT COUNT(DISTINCT cluster_id) AS n FROM incidents WHERE title LIKE '%打印机%'",
        );
        assert_eq!(printers, 1, "{}", at("the jams grouped"));
        // Read in the organisation's time zone: 09:15 in Shanghai is 01:15 UTC.
        let mut conn = app.elsewhere();
        let rows = db::incidents::list(&mut conn, &db::incidents::IncidentFilter::default(), 10, 0)
            .unwrap();
        let first = rows
            .iter()
            .find(|r| r.title == "三楼打印机卡纸")
            .expect("first row");
        assert_eq!(
            first.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            "2025-03-03 01:15",
            "{}",
            at("local time")
        );
        let second = db::incidents::find(
            &mut conn,
            rows.iter()
                .find(|r| r.title == "三楼打印机又卡纸了")
                .unwrap()
                .id,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            second.body,
            "换了纸盒\r\n还是卡",
            "{}",
            at("quoted line break kept")
        );
        assert_eq!(second.status.as_str(), "handled", "{}", at("status"));
        assert_eq!(second.tags, "打印机, 三楼", "{}", at("tags split"));
        assert_eq!(second.reporter_id, wang.id, "{}", at("reporter by login"));
        let excel = rows.iter().find(|r| r.title == "报销系统登录不了").unwrap();
        assert_eq!(
            excel.occurred_at.format("%Y-%m-%d %H:%M").to_string(),
            "2025-03-06 04:00",
            "{}",
            at("Excel serial 45722.5 is noon in Shanghai")
        );
        verify_clean(&app, "after an import of old weeks");
    }
}

#[tokio::test]
async fn utf16_tab_separated_text_from_excel_imports() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let admin = app.user("boss", "admin", "operations");
        app.user("chen", "member", "product");
        let text = "Title\tCategory\tOccurred at\tReporter\tExternal ref\r\n\
                    Invoice total wrong in ledger\tdata-fix\t2025-11-03T10:00:00Z\tchen\tINV-9\r\n\
                    How do I request leave?\tProcess question\t2025-11-04 16:45\t\t\r\n";
        let mut bytes = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "unicode.txt", &bytes);
        let report = run(&app, &admin, &path, Options::default());
        assert!(report.bad.is_empty(), "{}: {:?}", app.backend, report.bad);
        assert_eq!(
            report.summary(),
            "read as UTF-16, 2 rows, tab-separated",
            "{}",
            app.backend
        );
        assert_eq!(app.count("incidents"), 2, "{}", app.backend);
        assert_eq!(
            scalar(
                &app,
                &format!(
                    "SELECT COUNT(*) AS n FROM incidents WHERE reporter_id = {}",
                    admin.id
                )
            ),
            1,
            "{}: a row without a reporter is the importer's",
            app.backend
        );
        verify_clean(&app, "utf-16 import");
    }
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_is_named() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "sales");
        let text = "\u{feff}标题;类别;发生时间;报告人\n\
                    客户要发票;其他;2025-06-02 10:00;zhao\n\
                    审批单卡在财务;催审批;2025-06-03;zhao\n\
                    系统又慢了;系统故障;2025-13-40;zhao\n\
                    请假流程怎么走;流程咨询;2025/6/5 8:30;zhao\n";
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "bad.csv", text.as_bytes());
        let report = run(&app, &lead, &path, Options::default());
        assert_eq!(report.rows, 4, "{}", at("every row read"));
        assert_eq!(report.bad_rows, 1, "{}", at("one bad row"));
        let bad = &report.bad[0];
        assert_eq!(
            (bad.row, bad.column.as_str(), bad.value.as_str(), bad.reason),
            (4, "发生时间", "2025-13-40", "import.error.date"),
            "{}",
            at("named by row, column, value and reason")
        );
        assert!(report.import_id.is_none(), "{}", at("no import"));
        assert_eq!(app.count("incidents"), 0, "{}", at("nothing filed"));
        assert_eq!(app.count("imports"), 0, "{}", at("no import record"));
        let csv = import::bad_rows_csv(&report.bad, rungs::i18n::Lang::En).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(
            csv.contains("4,发生时间,2025-13-40,\"Not a date"),
            "{}",
            at(&csv)
        );

        // An unknown person is reported too, unless filed under a named account.
        let text = "title,category,occurred_at,reporter\n\
                    Chasing the PO again,approval-chase,2025-06-02 10:00,Liu Yang\n";
        let path = file(dir.path(), "people.csv", text.as_bytes());
        let report = run(&app, &lead, &path, Options::default());
        assert_eq!(
            report.bad[0].reason,
            "import.error.unknown_reporter",
            "{}",
            at("unknown")
        );
        let report = run(
            &app,
            &lead,
            &path,
            Options {
                unknown_reporters_as: Some("zhao".into()),
                ..Options::default()
            },
        );
        assert!(
            report.import_id.is_some(),
            "{}",
            at(&format!("{:?}", report.bad))
        );
        let body: String = {
            let mut conn = app.elsewhere();
            let rows =
                db::incidents::list(&mut conn, &db::incidents::IncidentFilter::default(), 1, 0)
                    .unwrap();
            db::incidents::find(&mut conn, rows[0].id)
                .unwrap()
                .unwrap()
                .body
        };
        assert!(
            body.contains("Liu Yang"),
            "{}",
            at("the original name kept")
        );
    }
}

#[tokio::test]
async fn withdrawing_an_import_corrects_the_rollups() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "sales");
        let member = app.user("li", "member", "sales");
        // Filed by hand before, so the week keeps counting it after the withdrawal.
        let (status, _) = app
            .post_incident(
                &app.token(&member),
                serde_json::json!({"title": "合同审批没人批", "category": "approval-chase"}),
            )
            .await;
        assert!(status.is_success(), "{}", at("filed by hand"));
        let mut text = String::from("标题,类别,发生时间,报告人\n");
        for day in 1..=9 {
            text.push_str(&format!(
                "合同审批又卡住了 {day},催审批,2025-09-0{day} 11:00,li\n"
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = file(dir.path(), "september.csv", text.as_bytes());
        let report = run(&app, &lead, &path, Options::default());
        let import_id = report.import_id.expect("imported");
        assert_eq!(app.count("incidents"), 10, "{}", at("nine imported"));
        let counted = || {
            scalar(
                &app,
                "SELECT CAST(COALESCE(SUM(incidents), 0) AS BIGINT) AS n FROM cluster_weeks",
            )
        };
        assert_eq!(counted(), 10, "{}", at("counted in the weeks"));
        verify_clean(&app, "after the import");

        assert!(
            matches!(
                import::withdraw(&mut app.elsewhere(), &member, import_id),
                Err(AppError::Forbidden)
            ),
            "{}",
            at("a member may not withdraw")
        );
        let withdrawn = import::withdraw(&mut app.elsewhere(), &lead, import_id).unwrap();
        assert_eq!(withdrawn, 9, "{}", at("all nine withdrawn"));
        assert_eq!(counted(), 1, "{}", at("the weeks corrected"));
        verify_clean(&app, "after the withdrawal");
        assert_eq!(
            scalar(
                &app,
                "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'withdrawn'"
            ),
            10,
            "{}",
            at("each incident and the import on the trail")
        );
        assert_eq!(
            import::withdraw(&mut app.elsewhere(), &lead, import_id).unwrap(),
            0,
            "{}",
            at("twice changes nothing")
        );
        let list = import::list(&mut app.elsewhere(), &lead).unwrap();
        assert!(
            list[0].withdrawn_at.is_some(),
            "{}",
            at("listed as withdrawn")
        );
    }
}

#[tokio::test]
async fn the_command_checks_without_writing_on_a_dry_run() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        app.user("boss", "admin", "operations");
        let dir = tempfile::tempdir().unwrap();
        let good = file(
            dir.path(),
            "good.csv",
            "标题;类别;发生时间\r\n权限申请没回复;催审批;2025-02-03 09:00\r\n数据填错了;数据修改;2025-02-04\r\n"
                .as_bytes(),
        );
        let rungs = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_rungs"))
                .arg("--database-url")
                .arg(&app.database_url)
                .args(args)
                .output()
                .unwrap()
        };
        let out = rungs(&["import", good.to_str().unwrap(), "--dry-run"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{}",
            at(&String::from_utf8_lossy(&out.stderr))
        );
        assert!(
            stdout.contains("read as UTF-8, 2 rows, semicolon-separated"),
            "{}",
            at(&stdout)
        );
        assert_eq!(
            app.count("incidents"),
            0,
            "{}",
            at("a dry run writes nothing")
        );
        assert_eq!(app.count("imports"), 0, "{}", at("and records nothing"));

        let bad = file(
            dir.path(),
            "bad.csv",
            "标题,类别,发生时间\n权限申请没回复,催审批,2025-02-03\n数据填错了,没有这类,2025-02-04\n".as_bytes(),
        );
        let out = rungs(&["import", bad.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success(),
            "{}",
            at("a bad row fails the command")
        );
        assert!(
            stderr.contains("row 3, column \"类别\", value \"没有这类\""),
            "{}",
            at(&stderr)
        );
        assert_eq!(app.count("incidents"), 0, "{}", at("nothing written"));

        let out = rungs(&["import", good.to_str().unwrap(), "--as", "boss"]);
        assert!(
            out.status.success(),
            "{}",
            at(&String::from_utf8_lossy(&out.stderr))
        );
        assert_eq!(app.count("incidents"), 2, "{}", at("imported"));
        let out = rungs(&["export"]);
        let exported = String::from_utf8_lossy(&out.stdout);
        assert!(
            exported.starts_with('\u{feff}') && exported.contains("权限申请没回复"),
            "{}",
            at(&exported)
        );
        let out = rungs(&["imports", "list"]);
        let listed = String::from_utf8_lossy(&out.stdout);
        assert!(
            listed.contains("good.csv") && listed.contains("live"),
            "{}",
            at(&listed)
        );
        let out = rungs(&["imports", "withdraw", "1"]);
        assert!(
            out.status.success(),
            "{}",
            at(&String::from_utf8_lossy(&out.stderr))
        );
        assert_eq!(
            scalar(
                &app,
                "SELECT COUNT(*) AS n FROM incidents WHERE status = 'withdrawn'"
            ),
            2,
            "{}",
            at("withdrawn from the command line")
        );
    }
}

/// An import stopped while it writes (as the page's Stop button or an interrupted
/// process does) leaves nothing: no incident, no cluster, no import, no trail, clean
/// rollups; the same file then imports whole.
#[tokio::test]
async fn an_import_stopped_midway_leaves_nothing_half_written() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let lead = app.user("zhao", "lead", "sales");
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = String::from("title,category,occurred_at,external_ref\n");
        for n in 0..700 {
            let title = ["打印机卡纸", "VPN drops again", "合同审批没人批"][n % 3];
            sheet.push_str(&format!(
                "{title} {n},approval-chase,2025-06-{:02} 10:00,R-{n}\n",
                1 + n % 28
            ));
        }
        let path = file(dir.path(), "big.csv", sheet.as_bytes());
        let before = (app.count("clusters"), app.count("audit_events"));
        let mut words = Vec::new();
        let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
        let report = import::import_file(
            &mut app.elsewhere(),
            &grouping,
            &lead,
            &path,
            &Options::default(),
            &mut |p: &import::Progress| {
                words.push(*p);
                if p.phase == import::Phase::Filing && p.rows > 0 {
                    std::ops::ControlFlow::Break(())
                } else {
                    std::ops::ControlFlow::Continue(())
                }
            },
        )
        .expect("stopping is not a failure");
        assert!(report.stopped, "{}", at("said stopped"));
        assert_eq!(report.import_id, None, "{}", at("no import"));
        let checked = words
            .iter()
            .rfind(|p| p.phase == import::Phase::Checking)
            .expect("pass 1 told");
        assert_eq!(
            (checked.rows, checked.total_rows),
            (700, Some(700)),
            "{}",
            at("pass 1 counted every row")
        );
        let written = words.last().unwrap();
        assert!(
            written.phase == import::Phase::Filing && written.rows > 0,
            "{}",
            at(&format!("stopped after rows were written: {written:?}"))
        );
        assert_eq!(app.count("incidents"), 0, "{}", at("no incident kept"));
        assert_eq!(app.count("imports"), 0, "{}", at("no import record"));
        assert_eq!(
            (app.count("clusters"), app.count("audit_events")),
            before,
            "{}",
            at("no cluster, no trail")
        );
        verify_clean(&app, "after the stop");
        let report = run(&app, &lead, &path, Options::default());
        assert!(report.import_id.is_some(), "{}", at("then imported whole"));
        assert_eq!(app.count("incidents"), 700, "{}", at("every row"));
        verify_clean(&app, "after the import");
    }
}
