//! Incidents exported as CSV from the API (UTF-8 with a BOM) import again into an empty
//! database with every field kept.

use crate::helpers::*;
use rungs::service::grouping::GroupingCache;
use rungs::service::import::{self, Options};

async fn export(app: &TestApp, token: &str) -> String {
    let res = app
        .api()
        .get(app.url("/api/v1/incidents.csv"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}: the export", app.backend);
    let bytes = res.bytes().await.unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf"),
        "{}: a BOM for Excel",
        app.backend
    );
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn import_into(app: &TestApp, login: &str, path: &std::path::Path) {
    let actor = rungs::service::accounts::actor(
        &mut app.elsewhere(),
        rungs::db::users::find_by_login(&mut app.elsewhere(), login)
            .unwrap()
            .unwrap()
            .id,
    )
    .unwrap()
    .unwrap();
    let report = import::import_file(
        &mut app.elsewhere(),
        &GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD),
        &actor,
        path,
        &Options::default(),
        &mut import::quietly,
    )
    .unwrap();
    assert!(
        report.import_id.is_some(),
        "{}: {:?}",
        app.backend,
        report.bad
    );
}

/// Every column but the ids (which the second database gives anew).
fn without_ids(csv: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            r.iter()
                .enumerate()
                .filter(|(i, _)| *i != 0 && *i != 11)
                .map(|(_, v)| v.to_string())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn an_export_imports_again_with_every_field() {
    for backend in backends() {
        let first = TestApp::spawn(&backend).await;
        let lead = first.user("zhao", "lead", "sales");
        first.user("li", "member", "hr");
        let sheet = "标题,描述,类别,发生时间,部门,对方部门,报告人,标签,单号,状态\n\
                     月底报表数据对不上,\"差了 3 笔，\n已核对\",数据修改,2025-10-30 17:05,sales,approval,li,报表, R-31,已处理\n\
                     门禁卡刷不开,,其他,2025/11/3 8:40,hr,,zhao,,,\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sheet.csv");
        std::fs::write(&path, sheet).unwrap();
        import_into(&first, "zhao", &path);
        let exported = export(&first, &first.token(&lead)).await;
        assert_eq!(
            without_ids(&exported).len(),
            2,
            "{}: both rows",
            first.backend
        );

        let second = TestApp::spawn(&backend).await;
        let lead2 = second.user("zhao", "lead", "sales");
        second.user("li", "member", "hr");
        let again = dir.path().join("exported.csv");
        std::fs::write(&again, &exported).unwrap();
        import_into(&second, "zhao", &again);
        let round = export(&second, &second.token(&lead2)).await;
        assert_eq!(
            without_ids(&round),
            without_ids(&exported),
            "{}: every field kept",
            second.backend
        );
        // The weekly review of both databases is the same, week by week.
        for week in ["2025-W44", "2025-W45"] {
            let path = format!("/api/v1/clusters?week={week}");
            let before = first.get_json(&first.token(&lead), &path).await;
            let after = second.get_json(&second.token(&lead2), &path).await;
            assert!(
                before["clusters"].as_array().is_some_and(|c| !c.is_empty()),
                "{before}"
            );
            assert_eq!(before, after, "{}: the review of {week}", second.backend);
        }
    }
}

/// The export streams in pieces as it reads: a file larger than one piece arrives whole
/// (every row, in order), and who may not export is told so before any row is sent.
#[tokio::test]
async fn a_large_export_streams_whole_and_a_member_is_refused_first() {
    for backend in backends() {
        let app = TestApp::spawn(&backend).await;
        let lead = app.user("zhao", "lead", "sales");
        let member = app.user("li", "member", "hr");
        let refused = app
            .api()
            .get(app.url("/api/v1/incidents.csv"))
            .bearer_auth(app.token(&member))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "{}: a member", app.backend);
        let mut sheet = String::from("标题,描述,类别,发生时间,单号\n");
        let long = "仓库扫码枪又连不上，".repeat(12);
        for n in 0..1500 {
            sheet.push_str(&format!(
                "扫码枪连不上 {n},\"{long}{n}\",其他,2025-09-{:02} 08:30,S-{n}\n",
                1 + n % 28
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sheet.csv");
        std::fs::write(&path, &sheet).unwrap();
        import_into(&app, "zhao", &path);
        let exported = export(&app, &app.token(&lead)).await;
        assert!(
            exported.len() > 3 * 64 * 1024,
            "{}: larger than several pieces ({} bytes)",
            app.backend,
            exported.len()
        );
        let rows = without_ids(&exported);
        assert_eq!(rows.len(), 1500, "{}: every row", app.backend);
        assert!(
            rows.iter()
                .enumerate()
                .all(|(n, r)| r[0] == format!("扫码枪连不上 {n}") && r[1].ends_with(&n.to_string())),
            "{}: in order, whole",
            app.backend
        );
    }
}
