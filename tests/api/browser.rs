//! The main journeys in headless Chromium, driven through chromedriver: first-run setup,
//! signing out and in, filing an incident (first with a mistake), the list, marking it
//! handled, its cluster with this week's drivers (before the incidents, at a phone's and
//! a laptop's width, in both languages), a refused action form, the weekly review, a product feature
//! recorded on the ladder and moved to its next stage, the admin's time zone, and the
//! interface in Chinese. Each step is saved as
//! a PNG at a laptop and a phone width under target/browser-screenshots/.

use crate::helpers::*;
use chrono::Datelike;
use fantoccini::{Client, ClientBuilder, Locator};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const LAPTOP: (u32, u32) = (1280, 800);
pub(crate) const PHONE: (u32, u32) = (390, 844);
pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Like `assert!`, but an error, so that a failed journey still closes Chromium.
macro_rules! check {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+).into());
        }
    };
}

/// chromedriver on a free port, stopped when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Start chromedriver, or say why not: under CI that is a failure, elsewhere a skip.
pub(crate) async fn driver() -> Option<Driver> {
    let Some(program) = find_program("chromedriver") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run the browser test: apt-get install chromium chromium-driver"
        );
        eprintln!(
            "SKIPPED browser journeys: chromedriver is not on PATH \
             (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(program)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    loop {
        if let Ok(res) = reqwest::get(format!("{}/status", driver.url)).await
            && res.status().is_success()
        {
            return Some(driver);
        }
        assert!(started.elapsed() < WAIT, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn chromium(driver: &Driver, profile: &Path) -> Client {
    let args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--hide-scrollbars".into(),
        "--lang=en-US".into(),
        format!("--window-size={},{}", LAPTOP.0, LAPTOP.1),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut options = serde_json::json!({ "args": args });
    if Path::new("/usr/bin/chromium").is_file() {
        options["binary"] = "/usr/bin/chromium".into();
    }
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), "chrome".into());
    caps.insert("goog:chromeOptions".into(), options);
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

/// Where the PNGs go: target/browser-screenshots, next to target/debug.
pub(crate) fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    // target/debug/deps/api-xxxx → target
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test binary lives under target/")
        .to_path_buf();
    let dir = target.join("browser-screenshots");
    // This run's pictures only: steps are numbered, and earlier runs' numbers differ.
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create target/browser-screenshots");
    dir
}

/// The journey, with a screenshot of each step (when `shots` is given).
pub(crate) struct Journey {
    pub(crate) c: Client,
    pub(crate) base: String,
    pub(crate) shots: Option<PathBuf>,
    pub(crate) step: u32,
    /// The window's size between screenshots.
    pub(crate) size: (u32, u32),
}

impl Journey {
    pub(crate) async fn goto(&self, path: &str) -> Result {
        self.c.goto(&format!("{}{path}", self.base)).await?;
        Ok(())
    }

    /// Wait until the page's address starts with `prefix` (after a click submits a form).
    pub(crate) async fn at(&self, prefix: &str) -> Result<String> {
        let started = Instant::now();
        loop {
            let url = self.c.current_url().await?;
            let here = match url.query() {
                Some(q) => format!("{}?{q}", url.path()),
                None => url.path().to_string(),
            };
            let ready = self.c.execute("return document.readyState", vec![]).await?;
            if here.starts_with(prefix) && ready == "complete" {
                return Ok(here);
            }
            if started.elapsed() > WAIT {
                return Err(format!("still at {here}, expected {prefix}").into());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub(crate) async fn css(&self, selector: &str) -> Result<fantoccini::elements::Element> {
        Ok(self.c.find(Locator::Css(selector)).await?)
    }

    pub(crate) async fn type_into(&self, selector: &str, text: &str) -> Result {
        let field = self.css(selector).await?;
        field.clear().await?;
        if !text.is_empty() {
            field.send_keys(text).await?;
        }
        Ok(())
    }

    pub(crate) async fn value(&self, selector: &str) -> Result<String> {
        Ok(self
            .css(selector)
            .await?
            .prop("value")
            .await?
            .unwrap_or_default())
    }

    pub(crate) async fn text(&self) -> Result<String> {
        Ok(self.css("body").await?.text().await?)
    }

    pub(crate) async fn click(&self, selector: &str) -> Result {
        self.css(selector).await?.click().await?;
        Ok(())
    }

    /// Click a link or a submit button and wait for the next page to load: the old
    /// document is marked first, so its address cannot pass for the new one's.
    pub(crate) async fn follow(&self, selector: &str) -> Result {
        self.c.execute("window.rungsOldPage = true", vec![]).await?;
        self.click(selector).await?;
        let started = Instant::now();
        loop {
            let loaded = self
                .c
                .execute(
                    "return window.rungsOldPage === undefined && document.readyState === 'complete'",
                    vec![],
                )
                .await
                .unwrap_or_default();
            if loaded == true {
                return Ok(());
            }
            if started.elapsed() > WAIT {
                return Err(format!("no new page after clicking {selector}").into());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Save the page, whole, at the laptop and at the phone width.
    pub(crate) async fn shot(&mut self, name: &str) -> Result {
        self.step += 1;
        let Some(dir) = &self.shots else {
            return Ok(());
        };
        for (label, (width, height)) in [("laptop", LAPTOP), ("phone", PHONE)] {
            // The window is taller than the page's viewport by the (invisible) browser
            // frame; size the viewport itself, then grow it to the whole page.
            let frame = self
                .c
                .execute("return window.outerHeight - window.innerHeight", vec![])
                .await?
                .as_u64()
                .unwrap_or(0) as u32;
            self.c.set_window_size(width, height + frame).await?;
            let full = self
                .c
                .execute("return document.documentElement.scrollHeight", vec![])
                .await?
                .as_u64()
                .unwrap_or(height as u64) as u32;
            self.c
                .set_window_size(width, full.clamp(height, 4000) + frame)
                .await?;
            let png = self.c.screenshot().await?;
            let file = dir.join(format!("{:02}-{name}-{label}.png", self.step));
            std::fs::write(&file, png)?;
        }
        self.c.set_window_size(self.size.0, self.size.1).await?;
        Ok(())
    }
}

/// The cluster page at a phone's and a laptop's width: the drivers come before the
/// incidents, and at 1280×900 they start within the first screen.
pub(crate) async fn drivers_first(j: &Journey, cluster: &str) -> Result {
    for (width, height) in [PHONE, (1280, 900)] {
        j.c.set_window_size(width, height).await?;
        j.goto(cluster).await?;
        j.at(cluster).await?;
        let tops = j
            .c
            .execute(
                "const top = id => document.getElementById(id).getBoundingClientRect().top + window.scrollY; \
                 return [top('drivers'), top('incidents'), window.innerHeight];",
                vec![],
            )
            .await?;
        // Whole pixels: integers compare without NaN's surprises.
        let tops: Vec<i64> = tops
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_f64())
                    .map(|v| v as i64)
                    .collect()
            })
            .unwrap_or_default();
        check!(
            tops.len() == 3,
            "the drivers and incidents sections: {tops:?}"
        );
        check!(
            tops[0] < tops[1],
            "at {width} px the drivers ({}) come before the incidents ({})",
            tops[0],
            tops[1]
        );
        if width == 1280 {
            check!(
                tops[0] < tops[2],
                "at 1280×900 the drivers start on the first screen: {tops:?}"
            );
        }
    }
    j.c.set_window_size(j.size.0, j.size.1).await?;
    Ok(())
}

async fn journey(j: &mut Journey) -> Result {
    // First run: every page leads to setup.
    j.goto("/").await?;
    j.at("/setup").await?;
    j.shot("setup").await?;
    j.type_into("#login", "wang").await?;
    j.type_into("#display_name", "Wang Fang").await?;
    j.css("#department")
        .await?
        .select_by_value("operations")
        .await?;
    j.type_into("#password", PASSWORD).await?;
    j.follow("form[action='/setup'] button[type=submit]")
        .await?;
    j.at("/admin").await?;
    check!(
        j.text().await?.contains("Wang Fang"),
        "the new admin is signed in"
    );

    // Sign out, and in again.
    j.follow("form[action='/logout'] button").await?;
    j.at("/login").await?;
    j.shot("login").await?;
    j.type_into("#login", "wang").await?;
    j.type_into("#password", PASSWORD).await?;
    j.follow("form[action^='/login'] button[type=submit]")
        .await?;
    j.at("/incidents").await?;
    j.shot("incidents-empty").await?;

    // File an incident, first without a title: the form comes back with everything kept.
    j.follow("header nav a.primary").await?;
    j.at("/incidents/new").await?;
    j.type_into("#title", "").await?;
    j.click("input[name=category][value=approval-chase]")
        .await?;
    j.type_into("#body", "Customer waiting on order 1182 since nine.")
        .await?;
    j.type_into("#external_ref", "SO-1182").await?;
    j.css("#counterpart")
        .await?
        .select_by_value("approval")
        .await?;
    j.type_into("#tags", "lunch, urgent").await?;
    j.shot("file-form").await?;
    j.follow("form[action='/incidents'] button[type=submit]")
        .await?;
    j.at("/incidents").await?;
    let text = j.text().await?;
    check!(
        text.contains("Please correct the fields marked below"),
        "{text}"
    );
    check!(text.contains("This is required."), "the title's message");
    for (field, typed) in [
        ("#body", "Customer waiting on order 1182 since nine."),
        ("#external_ref", "SO-1182"),
        ("#tags", "lunch, urgent"),
        ("#counterpart", "approval"),
    ] {
        let kept = j.value(field).await?;
        check!(kept == typed, "{field} kept {kept:?}, typed {typed:?}");
    }
    let category = j
        .css("input[name=category][value=approval-chase]")
        .await?
        .is_selected()
        .await?;
    check!(category, "the chosen category is kept");
    j.shot("file-error").await?;

    let title = "Chasing approval for order 1182 again";
    j.type_into("#title", title).await?;
    j.follow("form[action='/incidents'] button[type=submit]")
        .await?;
    let here = j.at("/incidents/").await?;
    check!(here.ends_with("?filed=1"), "{here}");
    let text = j.text().await?;
    check!(
        text.contains("Filed. Thank you") && text.contains(title),
        "{text}"
    );
    j.shot("filed").await?;

    // It is on the list; open it from there.
    j.follow("header nav a[href='/incidents']").await?;
    j.at("/incidents").await?;
    check!(j.text().await?.contains("1 incident"), "the list shows it");
    j.shot("list").await?;
    j.follow("table.list a").await?;
    let incident = j.at("/incidents/").await?;

    // Mark it handled, with a note; the timeline shows both steps.
    j.type_into("#note", "Called the approval desk; approved at 12:40.")
        .await?;
    j.follow("form.card button[type=submit]").await?;
    j.at(&incident).await?;
    j.c.wait()
        .at_most(WAIT)
        .for_element(Locator::Css(".badge.status-handled"))
        .await?;
    let text = j.text().await?;
    check!(
        text.contains("marked it handled")
            && text.contains("filed it")
            && text.contains("Called the approval desk; approved at 12:40."),
        "the timeline: {text}"
    );
    j.shot("handled").await?;

    // It was grouped: its cluster, with this week's drivers and the ladder.
    let now = chrono::Utc::now().iso_week();
    let week = format!("{}-W{:02}", now.year(), now.week());
    j.follow("dd a[href^='/clusters/']").await?;
    let cluster = j.at("/clusters/").await?;
    j.goto(&format!("{cluster}?week={week}")).await?;
    j.at(&cluster).await?;
    let text = j.text().await?;
    check!(
        text.contains(title),
        "the cluster is named after it: {text}"
    );
    check!(
        j.css("svg.bars-chart").await.is_ok(),
        "the drivers' hour and weekday charts"
    );
    j.shot("cluster").await?;
    drivers_first(j, &cluster).await?;

    // An action with no title and an unknown owner: the errors stay under its form.
    let form = "form[action$='/actions']";
    if j.css("details#new-action")
        .await?
        .attr("open")
        .await?
        .is_none()
    {
        j.click("details#new-action summary").await?;
    }
    j.type_into(&format!("{form} input[name=owner]"), "nobody")
        .await?;
    j.follow(&format!("{form} button[type=submit]")).await?;
    j.at(&cluster).await?;
    let under_action = j.css("#form-action").await?.text().await?;
    check!(
        under_action.contains("No such login.") && under_action.contains("This is required."),
        "both errors under the action form: {under_action}"
    );
    let under_tools = j.css("#form-edit").await?.text().await?;
    check!(
        !under_tools.contains("No such login.") && !under_tools.contains("This is required."),
        "nothing under the lead tools: {under_tools}"
    );
    j.shot("action-refused").await?;

    // The weekly review of this week lists the new cluster.
    j.goto(&format!("/review?week={week}")).await?;
    j.at("/review").await?;
    let text = j.text().await?;
    check!(text.contains(title), "the review lists the cluster: {text}");
    j.shot("review").await?;

    // Climb the ladder: a product feature (rung 2), recorded and moved to its next stage.
    j.goto(&cluster).await?;
    j.at(&cluster).await?;
    let form = "form[action$='/actions']";
    if j.css("details#new-action")
        .await?
        .attr("open")
        .await?
        .is_none()
    {
        j.click("details#new-action summary").await?;
    }
    j.css(&format!("{form} select[name=rung]"))
        .await?
        .select_by_value("2")
        .await?;
    j.type_into(
        &format!("{form} input[name=title]"),
        "Approval status on the order page",
    )
    .await?;
    j.type_into(
        &format!("{form} textarea[name=why]"),
        "Sales chase because they cannot see where an approval is.",
    )
    .await?;
    j.follow(&format!("{form} button[type=submit]")).await?;
    let action = j.at("/actions/").await?;
    let text = j.text().await?;
    check!(
        text.contains("Approval status on the order page"),
        "the action page: {text}"
    );
    let stage = j
        .value("form[action$='/advance'] select[name=stage]")
        .await?;
    check!(!stage.is_empty(), "a next stage is offered");
    j.follow("form[action$='/advance'] button[type=submit]")
        .await?;
    j.at(&action).await?;
    let offered = j
        .value("form[action$='/advance'] select[name=stage]")
        .await
        .unwrap_or_default();
    check!(
        offered != stage,
        "moved on from {stage} (now offered {offered:?})"
    );
    j.shot("action").await?;

    // The admin page: change the time zone.
    j.follow("header nav a[href='/admin']").await?;
    j.at("/admin").await?;
    j.type_into("input[name=timezone]", "Asia/Shanghai").await?;
    j.follow("form[action='/admin/timezone'] button[type=submit]")
        .await?;
    j.at("/admin").await?;
    let zone = j.value("input[name=timezone]").await?;
    check!(zone == "Asia/Shanghai", "the time zone is {zone}");
    j.shot("admin").await?;

    // Chinese, chosen on the account page.
    j.follow("header nav a[href='/account']").await?;
    j.at("/account").await?;
    j.css("select[name=language]")
        .await?
        .select_by_value("zh-CN")
        .await?;
    j.follow("form[action='/account/language'] button[type=submit]")
        .await?;
    j.at("/account").await?;
    let text = j.text().await?;
    check!(text.contains("我的账户"), "{text}");
    j.shot("account-zh").await?;
    j.goto(&incident).await?;
    let text = j.text().await?;
    check!(text.contains("时间线") && text.contains("已处理"), "{text}");
    j.shot("incident-zh").await?;
    drivers_first(j, &cluster).await?;
    j.goto(&cluster).await?;
    j.at(&cluster).await?;
    j.shot("cluster-zh").await?;
    j.goto("/review?week=2026-W60").await?;
    let text = j.text().await?;
    check!(
        text.contains("查看当前周") && text.contains("周复盘"),
        "a bad week answers a Chinese page with navigation: {text}"
    );
    j.shot("bad-week-zh").await?;
    j.goto("/ladder").await?;
    let title = j.c.title().await?;
    check!(!title.contains('<'), "a plain tab title: {title}");
    j.goto("/incidents/new").await?;
    check!(j.text().await?.contains("登记事件"), "the form in Chinese");
    j.shot("file-form-zh").await?;
    Ok(())
}

#[tokio::test]
async fn main_journeys_in_headless_chromium() {
    let Some(driver) = driver().await else {
        return;
    };
    for (n, backend) in backends().into_iter().enumerate() {
        let app = TestApp::spawn(&backend).await;
        let profile = tempfile::tempdir().unwrap();
        let c = chromium(&driver, profile.path()).await;
        // Screenshots of the first backend only: the pages are the same on each.
        let shots = (n == 0).then(screenshot_dir);
        let mut j = Journey {
            c: c.clone(),
            base: app.address.clone(),
            shots,
            step: 0,
            size: LAPTOP,
        };
        let result = journey(&mut j).await;
        if let Err(e) = &result {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let page = j.text().await.unwrap_or_default();
            let _ = c.close().await;
            panic!(
                "{}: browser journey failed at {url}: {e}\n{page}",
                app.backend
            );
        }
        c.close().await.expect("close Chromium");
        assert_eq!(app.count("incidents"), 1, "{}", app.backend);
    }
}
