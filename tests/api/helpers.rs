//! Start the real server on a free port over a fresh database, and talk HTTP to it.

use diesel::Connection;
use diesel::RunQueryDsl;
use diesel::pg::PgConnection;
use reqwest::StatusCode;
use rungs::config::Config;
use rungs::db::versions::LocalChanges;
use rungs::db::{self, Pool, PooledConn};
use rungs::service;
use rungs::service::accounts::{Actor, NewUserInput};
use rungs::startup::Application;
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery";

/// See `TestApp::conn`.
pub struct TestConn(PooledConn, Arc<LocalChanges>);

impl std::ops::Deref for TestConn {
    type Target = rungs::db::DbConn;
    fn deref(&self) -> &rungs::db::DbConn {
        &self.0
    }
}

impl std::ops::DerefMut for TestConn {
    fn deref_mut(&mut self) -> &mut rungs::db::DbConn {
        &mut self.0
    }
}

impl Drop for TestConn {
    fn drop(&mut self) {
        self.1.publish();
    }
}

/// The backends every integration test runs on: SQLite always, PostgreSQL when
/// RUNGS_TEST_POSTGRES_URL is set. Under CI a missing PostgreSQL is an error, not a skip.
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    match std::env::var("RUNGS_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => out.push(Backend::Postgres(url)),
        _ if std::env::var("CI").is_ok() => {
            panic!("CI must run the suite on PostgreSQL too: set RUNGS_TEST_POSTGRES_URL")
        }
        _ => {
            // Straight to the terminal (the test harness captures `println!`), once.
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "rungs tests: PostgreSQL skipped (RUNGS_TEST_POSTGRES_URL is not set); SQLite only"
                );
            });
        }
    }
    out
}

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

pub struct TestApp {
    pub address: String,
    pub backend: &'static str,
    pub pool: Pool,
    pub database_url: String,
    /// The server's own changes of the counters: `conn` publishes there.
    changes: Arc<LocalChanges>,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = &self.pg {
            drop_pg_database(admin_url, name);
        }
    }
}

pub fn fresh_pg_database(admin_url: &str) -> (String, String) {
    let name = format!("rungs_test_{}", uuid_like());
    let mut conn = PgConnection::establish(admin_url).expect("connect to RUNGS_TEST_POSTGRES_URL");
    diesel::sql_query(format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b)
        .unwrap_or(admin_url);
    (format!("{base}/{name}"), name)
}

/// Drop a database made by `fresh_pg_database`.
pub fn drop_pg_database(admin_url: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::establish(admin_url) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestApp {
    pub async fn spawn(backend: &Backend) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg, name) = match backend {
            Backend::Sqlite => (
                dir.path().join("rungs.db").to_string_lossy().to_string(),
                None,
                "sqlite",
            ),
            Backend::Postgres(admin) => {
                let (url, db_name) = fresh_pg_database(admin);
                (url, Some((admin.clone(), db_name)), "postgres")
            }
        };
        let (app, changes) = Self::launch(&database_url, |_| {}).await;
        let pool =
            db::connect(&db::DatabaseUrl::parse(&database_url).unwrap(), 4).expect("test pool");
        TestApp {
            address: app,
            backend: name,
            pool,
            database_url,
            changes,
            _dir: dir,
            pg,
        }
    }

    /// Start one more server over the same database (a restart, or a second copy), with
    /// the configuration changed by `change` first.
    pub async fn start_with(database_url: &str, change: impl FnOnce(&mut Config)) -> String {
        Self::launch(database_url, change).await.0
    }

    /// `start_with`, and the server's own changes of the counters (see `conn`).
    async fn launch(
        database_url: &str,
        change: impl FnOnce(&mut Config),
    ) -> (String, Arc<LocalChanges>) {
        let mut config = Config::for_url(database_url).expect("config");
        change(&mut config);
        let app = Application::build(config)
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let changes = app.local_changes();
        tokio::spawn(app.run_until_stopped());
        (address, changes)
    }

    /// A connection of the test's own. The servers run in this process, so what the test
    /// writes through it is a change of this process: it is published to their
    /// remembered change counters when the connection is dropped, as `service::run` does
    /// after its work. (A change from another process is announced by PostgreSQL
    /// instead; tests/api/directory.rs checks that path with `elsewhere`.)
    pub fn conn(&self) -> TestConn {
        TestConn(self.elsewhere(), self.changes.clone())
    }

    /// A connection whose changes are not published here: they reach the servers only
    /// as another process's would.
    pub fn elsewhere(&self) -> PooledConn {
        self.pool.get().expect("test connection")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A user made directly through the service layer.
    pub fn user(&self, login: &str, role: &str, department: &str) -> Actor {
        let mut conn = self.conn();
        service::accounts::create_user(
            &mut conn,
            None,
            &NewUserInput {
                login: login.into(),
                display_name: format!("{login} name"),
                role: role.into(),
                department: department.into(),
                password: PASSWORD.into(),
                language: "en".into(),
            },
        )
        .expect("create user")
    }

    pub fn token(&self, actor: &Actor) -> String {
        service::tokens::create(&mut self.conn(), None, actor.id, "test").expect("token")
    }

    /// Switch a category off, as an admin would through the database (another
    /// process); its id.
    pub fn switch_off_category(&self, admin: &Actor, slug: &str) -> i64 {
        let category = rungs::db::catalog::category_by_slug(&mut self.conn(), slug)
            .unwrap()
            .expect("the category");
        service::catalog::update_category(
            &mut self.conn(),
            admin,
            category.id,
            &service::catalog::CategoryInput {
                slug: category.slug.clone(),
                name_en: category.name_en.clone(),
                name_zh: category.name_zh.clone(),
                description: category.description.clone(),
                active: false,
            },
        )
        .expect("switch the category off");
        category.id
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn browser(&self) -> Browser {
        Browser::at(&self.address)
    }

    /// A browser signed in as a new user of `role`.
    pub async fn signed_in(&self, login: &str, role: &str) -> (Browser, Actor) {
        let actor = self.user(login, role, "sales");
        let b = self.browser();
        b.login(login, PASSWORD).await;
        (b, actor)
    }

    pub fn api(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    /// GET an API path with a token and read the JSON answer, whatever its status.
    pub async fn get_json(&self, token: &str, path: &str) -> serde_json::Value {
        self.get_json_at(&self.address, token, path).await
    }

    /// `get_json` from the server at `base` (another process over the same database).
    pub async fn get_json_at(&self, base: &str, token: &str, path: &str) -> serde_json::Value {
        self.api()
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap_or(serde_json::Value::Null)
    }

    pub async fn post_incident(
        &self,
        token: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        self.post_incident_to(&self.address, token, body).await
    }

    /// POST an incident to the server at `base` (another process over the same database).
    pub async fn post_incident_to(
        &self,
        base: &str,
        token: &str,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let res = self
            .api()
            .post(format!("{base}/api/v1/incidents"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<N> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .load(&mut *self.conn())
            .expect("count");
        rows[0].n
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub jar: std::sync::Arc<reqwest::cookie::Jar>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    /// `Retry-After`, in seconds, when the answer has one.
    pub retry_after: Option<u64>,
    pub body: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("page has a CSRF token") + marker.len();
        self.body[start..].split('"').next().unwrap().to_string()
    }
}

impl Browser {
    /// A browser-like client for the server at `base`: keeps cookies, does not follow
    /// redirects.
    pub fn at(base: &str) -> Browser {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Browser {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            jar,
        }
    }

    /// The `Cookie` header this browser sends, to copy it elsewhere.
    pub fn cookie_header(&self) -> String {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> Page {
        let res = self
            .client
            .get(format!("{}{}", self.base, path))
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    pub async fn get_with(&self, path: &str, header: (&str, &str)) -> Page {
        let res = self
            .client
            .get(format!("{}{}", self.base, path))
            .header(header.0, header.1)
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    async fn page(res: reqwest::Response) -> Page {
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string());
        let retry_after = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        Page {
            status,
            location,
            retry_after,
            body: res.text().await.unwrap(),
        }
    }

    /// Post a form as the page at `form_page` would, with its CSRF token.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let token = self.get(form_page).await.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    pub async fn post_raw(&self, action: &str, fields: &[(&str, &str)]) -> Page {
        let res = self
            .client
            .post(format!("{}{}", self.base, action))
            .form(fields)
            .send()
            .await
            .unwrap();
        Self::page(res).await
    }

    pub async fn login(&self, login: &str, password: &str) {
        let page = self
            .submit(
                "/login",
                "/login",
                &[("login", login), ("password", password), ("next", "/")],
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "login of {login} should succeed"
        );
    }
}

pub fn assert_redirect_to(page: &Page, prefix: &str) {
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "expected a redirect to {prefix}"
    );
    let loc = page.location.as_deref().unwrap_or("");
    assert!(
        loc.starts_with(prefix),
        "redirect to {loc:?}, expected {prefix:?}"
    );
}
