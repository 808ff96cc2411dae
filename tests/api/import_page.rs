//! The import page: a lead uploads a spreadsheet whose title column has a name rungs
//! does not know, follows its check on the job's page, maps it by hand, sees the first
//! rows as they will be filed, imports, and withdraws the import; a check of a file with
//! a bad row names the row and writes nothing; a member is not let in.

use crate::helpers::*;
use reqwest::StatusCode;

fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect(name) + marker.len();
    page[start..].split('"').next().unwrap().to_string()
}

/// A multipart upload as a browser sends it: the token first, then the file. The answer's
/// status and where it sends the browser (the check's page).
async fn upload(
    browser: &Browser,
    csrf: &str,
    name: &str,
    bytes: &[u8],
) -> (StatusCode, Option<String>) {
    let boundary = "rungs-test-boundary-7f3a";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = browser
        .client
        .post(format!("{}/import/check", browser.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (res.status(), location)
}

/// Upload `bytes` and follow the check to its report.
async fn checked(browser: &Browser, csrf: &str, name: &str, bytes: &[u8]) -> String {
    let (status, job) = upload(browser, csrf, name, bytes).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the upload answers at once");
    let job = job.expect("to the check's page");
    assert!(job.starts_with("/import/jobs/"), "{job}");
    finished(browser, &job).await
}

/// The job's page (a check or an import), read as it refreshes itself, until it is done.
async fn finished(browser: &Browser, job: &str) -> String {
    for _ in 0..600 {
        let page = browser.get(job).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        if !page.body.contains("http-equiv=\"refresh\"") {
            return page.body;
        }
        assert!(
            page.body.contains("import-progress"),
            "a running import shows how far it has come: {}",
            page.body
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

#[tokio::test]
async fn a_lead_maps_previews_imports_and_withdraws_from_the_page() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let (member, _) = app.signed_in("li", "member").await;
        assert_eq!(
            member.get("/import").await.status,
            StatusCode::FORBIDDEN,
            "{}",
            at("a member is not let in")
        );
        let (lead, _) = app.signed_in("zhao", "lead").await;
        let form = lead.get("/import").await;
        assert_eq!(form.status, StatusCode::OK, "{}", at("the page"));
        let csrf = form.csrf();
        assert_eq!(
            upload(&lead, "wrong", "x.csv", b"a,b\n").await.0,
            StatusCode::FORBIDDEN,
            "{}",
            at("an upload without the token")
        );
        let sheet = "事件名称,类别,发生时间\r\n供应商付款审批卡住,催审批,2025/8/11 10:00\r\n付款审批又没人批,催审批,2025/8/12 15:30\r\n";
        let page = checked(&lead, &csrf, "八月.csv", sheet.as_bytes()).await;
        assert!(
            page.contains("Read as UTF-8, 2 rows, comma-separated."),
            "{}",
            at(&page)
        );
        assert!(
            page.contains("bad-rows.csv"),
            "{}",
            at("the bad rows to download")
        );
        let upload_id = field(&page, "upload");
        let mapped = [
            ("csrf_token", csrf.as_str()),
            ("upload", upload_id.as_str()),
            ("file_name", "八月.csv"),
            ("col_0", "事件名称"),
            ("map_0", "title"),
            ("col_1", "类别"),
            ("map_1", "category"),
            ("col_2", "发生时间"),
            ("map_2", "occurred_at"),
        ];
        let mut dry = mapped.to_vec();
        dry.push(("dry_run", "1"));
        let again = lead.post_raw("/import/run", &dry).await;
        assert_redirect_to(&again, "/import/jobs/");
        let preview = finished(&lead, again.location.as_deref().unwrap()).await;
        assert!(
            preview.contains("供应商付款审批卡住") && preview.contains("2025-08-11 10:00:00"),
            "{}",
            at("the first rows as they will be filed")
        );
        assert_eq!(
            app.count("incidents"),
            0,
            "{}",
            at("a check writes nothing")
        );
        let started = lead.post_raw("/import/run", &mapped).await;
        assert_redirect_to(&started, "/import/jobs/");
        let job = started.location.clone().unwrap();
        assert_eq!(
            member.get(&job).await.status,
            StatusCode::FORBIDDEN,
            "{}",
            at("a member does not follow an import")
        );
        let done = finished(&lead, &job).await;
        assert!(
            done.contains("Imported as import #1: 2 rows"),
            "{}",
            at(&done)
        );
        assert_eq!(app.count("incidents"), 2, "{}", at("imported"));
        assert_eq!(
            lead.get(&job)
                .await
                .body
                .matches("Imported as import #1")
                .count(),
            1,
            "{}",
            at("reading the page again changes nothing")
        );
        let list = lead.get("/import").await;
        assert!(list.body.contains("八月.csv"), "{}", at("listed"));
        let withdrawn = lead
            .post_raw("/import/1/withdraw", &[("csrf_token", csrf.as_str())])
            .await;
        assert_redirect_to(&withdrawn, "/import");
        let list = lead.get("/import").await;
        assert!(
            !list.body.contains("/import/1/withdraw"),
            "{}",
            at("withdrawn")
        );
    }
}

#[tokio::test]
async fn a_check_runs_in_the_background_and_ends_with_its_report() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let at = |what: &str| format!("{}: {what}", app.backend);
        let (member, _) = app.signed_in("li", "member").await;
        let (lead, _) = app.signed_in("zhao", "lead").await;
        let csrf = lead.get("/import").await.csrf();

        // A good file, GBK with Chinese headers and CRLF: its report, nothing written.
        let good = "标题,类别,发生时间\r\n供应商付款审批卡住,催审批,2025/8/11 10:00\r\n付款审批又没人批,催审批,2025/8/12 15:30\r\n";
        let (gbk, _, lossy) = encoding_rs::GBK.encode(good);
        assert!(!lossy);
        let (status, job) = upload(&lead, &csrf, "八月.csv", &gbk).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{}", at("answered at once"));
        let job = job.unwrap();
        assert_eq!(
            member.get(&job).await.status,
            StatusCode::FORBIDDEN,
            "{}",
            at("a member does not follow a check")
        );
        let (other_lead, _) = app.signed_in("qian", "lead").await;
        assert_eq!(
            other_lead.get(&job).await.status,
            StatusCode::NOT_FOUND,
            "{}",
            at("another lead does not see someone else's check")
        );
        let report = finished(&lead, &job).await;
        assert!(
            report.contains("Read as GBK, 2 rows, comma-separated."),
            "{}",
            at(&report)
        );
        assert!(
            !report.contains("Bad rows") && report.contains("name=\"dry_run\""),
            "{}",
            at("no bad rows; checked again or imported from here")
        );
        assert!(
            report.contains("供应商付款审批卡住") && report.contains("2025-08-11 10:00:00"),
            "{}",
            at("the first rows as they will be filed")
        );
        assert!(
            finished(&lead, &job)
                .await
                .contains("Read as GBK, 2 rows, comma-separated."),
            "{}",
            at("the report is read again as it was")
        );
        assert_eq!(
            app.count("incidents"),
            0,
            "{}",
            at("a check writes nothing")
        );
        assert_eq!(app.count("imports"), 0, "{}", at("no import record"));

        // A file with one bad row: the row named, nothing written, no import offered.
        let bad = "\u{feff}标题;类别;发生时间\n\
                   客户要发票;其他;2025-06-02 10:00\n\
                   审批单卡在财务;催审批;2025-06-03\n\
                   系统又慢了;系统故障;2025-13-40\n";
        let report = checked(&lead, &csrf, "bad.csv", bad.as_bytes()).await;
        assert!(
            report.contains("Read as UTF-8, 3 rows, semicolon-separated."),
            "{}",
            at(&report)
        );
        assert!(
            report.contains("Bad rows, nothing imported (1)")
                && report.contains("<td>4</td><td>发生时间</td><td>2025-13-40</td><td>Not a date"),
            "{}",
            at(&report)
        );
        assert!(
            report.contains("download=\"bad-rows.csv\"")
                && report.contains(&*urlencoding::encode("4,发生时间,2025-13-40")),
            "{}",
            at("the bad rows as a CSV to download")
        );
        assert!(
            !report.contains(">Import</button>"),
            "{}",
            at("a file with bad rows is not offered for import")
        );
        assert_eq!(app.count("incidents"), 0, "{}", at("nothing written"));
        assert_eq!(app.count("imports"), 0, "{}", at("no import record"));
    }
}
