//! The lead's week in headless Chromium, on the demo, in English and in Chinese, at a
//! laptop's and a phone's width: the weekly review → a cluster (its drivers on the first
//! screen at 1280×900, before the incidents) → an action form sent wrong (its errors under
//! it and nowhere else) → a policy launched before sign-off (a page in the reader's
//! language with the navigation and a way on) → a merge that asks first and is undone →
//! the team ladder. Screenshots under target/browser-screenshots-lead-week/.

use crate::browser::{Journey, LAPTOP, PHONE, Result, chromium, driver, drivers_first};
use crate::helpers::*;
use reqwest::StatusCode;
use rungs::service::grouping::GroupingCache;
use serde_json::{Value, json};
use std::path::PathBuf;

macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}

/// The clusters and the action the walk works on, made before it.
struct Stage {
    /// A small cluster merged and brought back on every walk.
    merged: i64,
    into: i64,
    /// A policy with no sign-off yet.
    policy: i64,
}

fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let target = exe.ancestors().nth(3).expect("under target/").to_path_buf();
    let dir = target.join("browser-screenshots-lead-week");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the screenshots' folder");
    dir
}

async fn filed(app: &TestApp, token: &str, title: &str) -> i64 {
    let (status, body) = app
        .post_incident(token, json!({"title": title, "category": "data-fix"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{title}: {body}");
    body["cluster_id"].as_i64().expect("a cluster")
}

/// The demo, and beside it two unlike incidents (two clusters) and an unsigned policy.
async fn stage(app: &TestApp) -> Stage {
    let grouping = GroupingCache::new(rungs::domain::grouping::DEFAULT_JOIN_THRESHOLD);
    rungs::service::demo::load(&mut app.conn(), &grouping, chrono::Utc::now()).expect("demo");
    let lead = rungs::db::users::find_by_login(&mut app.conn(), "lead")
        .unwrap()
        .expect("the demo's lead");
    let lead = rungs::service::accounts::Actor::try_from(lead).unwrap();
    let token = app.token(&lead);
    let merged = filed(app, &token, "Warehouse stock count off by one pallet").await;
    let into = filed(app, &token, "出口报关单据缺少签章").await;
    assert_ne!(merged, into);
    let res = app
        .api()
        .post(app.url("/api/v1/clusters/1/actions"))
        .bearer_auth(&token)
        .json(
            &json!({"rung": 3, "title": "Lunch cover rota", "departments": ["approval", "sales"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let policy = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    Stage {
        merged,
        into,
        policy,
    }
}

async fn html_lang(j: &Journey) -> Result<String> {
    Ok(j.c
        .execute("return document.documentElement.lang", vec![])
        .await?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

async fn count(j: &Journey, selector: &str) -> Result<usize> {
    Ok(j.c
        .find_all(fantoccini::Locator::Css(selector))
        .await?
        .len())
}

/// Choose the interface's language on the account page.
async fn speak(j: &Journey, lang: &str) -> Result {
    j.goto("/account").await?;
    j.at("/account").await?;
    j.css("select[name=language]")
        .await?
        .select_by_value(lang)
        .await?;
    j.follow("form[action='/account/language'] button[type=submit]")
        .await?;
    j.at("/account").await?;
    check!(html_lang(j).await? == lang, "the account page in {lang}");
    Ok(())
}

async fn walk(j: &mut Journey, s: &Stage, lang: &str, width: &str) -> Result {
    let zh = lang == "zh-CN";
    let name = |step: &str| format!("{step}-{lang}-{width}");

    // The review; the first cluster it lists.
    j.goto("/review").await?;
    j.at("/review").await?;
    check!(html_lang(j).await? == lang, "the review in {lang}");
    j.shot(&name("review")).await?;
    j.follow("main table a[href^='/clusters/']").await?;
    let cluster = j.at("/clusters/").await?;
    let cluster = cluster.split('?').next().unwrap_or_default().to_string();
    drivers_first(j, &cluster).await?;
    j.shot(&name("cluster")).await?;

    // An action with no title and an unknown owner: the errors stay under its form.
    j.goto(&cluster).await?;
    j.at(&cluster).await?;
    if j.css("details#new-action")
        .await?
        .attr("open")
        .await?
        .is_none()
    {
        j.click("details#new-action summary").await?;
    }
    let form = "form[action$='/actions']";
    j.type_into(&format!("{form} input[name=owner]"), "nobody")
        .await?;
    j.follow(&format!("{form} button[type=submit]")).await?;
    j.at(&cluster).await?;
    let under_action = count(j, "#form-action .field-error").await?;
    let under_tools = count(j, "#form-edit .field-error").await?;
    check!(
        under_action >= 2 && under_tools == 0,
        "errors: {under_action} under the action form, {under_tools} under the lead tools"
    );
    let said = j.css("#form-action").await?.text().await?;
    let expected = if zh {
        "没有这个登录名"
    } else {
        "No such login."
    };
    check!(said.contains(expected), "in {lang}: {said}");
    j.shot(&name("action-refused")).await?;

    // A policy launched before every department signed: a page that explains, with a
    // way on, in the reader's language.
    let action = format!("/actions/{}", s.policy);
    j.goto(&action).await?;
    j.at(&action).await?;
    j.css("form[action$='/advance'] select[name=stage]")
        .await?
        .select_by_value("launched")
        .await?;
    j.follow("form[action$='/advance'] button[type=submit]")
        .await?;
    let text = j.text().await?;
    let expected = if zh {
        "政策要等每个相关部门都签字同意"
    } else {
        "A policy launches only after every involved department has signed off"
    };
    check!(
        text.contains(expected),
        "the blocked launch explains: {text}"
    );
    check!(html_lang(j).await? == lang, "the blocked launch in {lang}");
    check!(
        count(j, "nav[aria-label=main] a").await? >= 3,
        "the blocked launch keeps the navigation"
    );
    j.shot(&name("launch-blocked")).await?;
    j.follow(&format!("a[href='{action}#signoffs']")).await?;
    j.at(&action).await?;

    // A merge asks first, says what it did, and is undone.
    let merged = format!("/clusters/{}", s.merged);
    j.goto(&merged).await?;
    j.at(&merged).await?;
    j.css("#form-merge select[name=into]")
        .await?
        .select_by_value(&s.into.to_string())
        .await?;
    j.follow("#form-merge button[type=submit]").await?;
    check!(
        count(j, "form input[name=confirm][value=yes]").await? == 1,
        "the merge asks first"
    );
    check!(html_lang(j).await? == lang, "the question in {lang}");
    j.shot(&name("merge-confirm")).await?;
    j.follow("section.confirm button[type=submit]").await?;
    j.at(&format!("/clusters/{}", s.into)).await?;
    let flash = j.css(".flash").await?.text().await?;
    check!(
        flash.contains(&format!("C{}", s.merged)),
        "the merge says so: {flash}"
    );
    j.shot(&name("merged")).await?;
    j.follow(".flash form button[type=submit]").await?;
    j.at(&merged).await?;
    check!(
        count(j, "#form-merge").await? == 1,
        "the undone cluster stands again with its tools"
    );

    // The team ladder counts every cluster on its rung.
    j.goto("/ladder").await?;
    j.at("/ladder").await?;
    let standing: Vec<i64> = {
        let mut v = Vec::new();
        for cell in
            j.c.find_all(fantoccini::Locator::Css("main table tbody td.num"))
                .await?
        {
            v.push(cell.text().await?.trim().parse().unwrap_or(0));
        }
        v
    };
    check!(
        standing.iter().sum::<i64>() > 0,
        "the team ladder counts clusters: {standing:?}"
    );
    let title = j.c.title().await?;
    check!(!title.contains('<'), "a plain tab title: {title}");
    j.shot(&name("ladder")).await?;
    Ok(())
}

#[tokio::test]
async fn the_leads_week_in_both_languages_at_both_widths() {
    let Some(driver) = driver().await else {
        return;
    };
    for (n, backend) in backends().into_iter().enumerate() {
        let app = TestApp::spawn(&backend).await;
        let stage = stage(&app).await;
        let profile = tempfile::tempdir().unwrap();
        let c = chromium(&driver, profile.path()).await;
        let mut j = Journey {
            c: c.clone(),
            base: app.address.clone(),
            shots: (n == 0).then(screenshot_dir),
            step: 0,
            size: LAPTOP,
        };
        let mut result: Result = async {
            j.goto("/login").await?;
            j.type_into("#login", "lead").await?;
            j.type_into("#password", rungs::service::demo::PASSWORD)
                .await?;
            j.follow("form[action^='/login'] button[type=submit]")
                .await?;
            Ok(())
        }
        .await;
        'walks: for lang in ["en", "zh-CN"] {
            if result.is_err() {
                break;
            }
            result = speak(&j, lang).await;
            for (width, size) in [("laptop", LAPTOP), ("phone", PHONE)] {
                if result.is_err() {
                    break 'walks;
                }
                result = async {
                    j.size = size;
                    j.c.set_window_size(size.0, size.1).await?;
                    walk(&mut j, &stage, lang, width).await
                }
                .await
                .map_err(|e| format!("{lang} at {width}: {e}").into());
            }
        }
        if let Err(e) = &result {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let page = j.text().await.unwrap_or_default();
            let _ = c.close().await;
            panic!(
                "{}: the lead's week failed at {url}: {e}\n{page}",
                app.backend
            );
        }
        c.close().await.expect("close Chromium");
    }
}
