//! Building the application: open the database, bring it up to date, bind, serve.

use crate::config::Config;
use crate::db::version_feed::VersionFeed;
use crate::db::{self, Pool};
use crate::error::{AppError, AppResult};
use crate::service::directory::Directory;
use crate::service::filing_queue::FilingQueue;
use crate::service::grouping::GroupingCache;
use crate::service::{self, organisation};
use crate::{api, web as pages};
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tracing_actix_web::TracingLogger;

/// Largest form body the pages read.
pub const FORM_LIMIT: usize = 64 * 1024;

/// What every handler shares. Nothing here is the only copy of anything: several
/// rungs processes may serve one PostgreSQL database.
pub struct AppState {
    pub pool: Pool,
    /// The matcher's index: a cache of the database, refreshed from it.
    pub grouping: Arc<GroupingCache>,
    /// This process's filing writer (group commit).
    pub filing: FilingQueue,
    /// The weekly review's figures: a cache validated against the rollups' version.
    pub review: Arc<service::review::ReviewCache>,
    /// People and the catalogue, validated against their change counters.
    pub directory: Arc<Directory>,
    /// The change counters, kept in memory while PostgreSQL announces their changes.
    pub feed: Arc<VersionFeed>,
    users_exist: AtomicBool,
}

impl AppState {
    pub fn new(
        pool: Pool,
        grouping: Arc<GroupingCache>,
        directory: Arc<Directory>,
        filing: FilingQueue,
        feed: Arc<VersionFeed>,
    ) -> Self {
        Self {
            pool,
            grouping,
            filing,
            review: Arc::default(),
            directory,
            feed,
            users_exist: AtomicBool::new(false),
        }
    }

    /// Whether anybody has been created yet (cached once true: users are never deleted).
    pub async fn has_users(&self) -> AppResult<bool> {
        if self.users_exist.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let exists = service::run(&self.pool, service::accounts::has_users).await?;
        if exists {
            self.mark_has_users();
        }
        Ok(exists)
    }

    pub fn mark_has_users(&self) {
        self.users_exist.store(true, Ordering::Relaxed);
    }
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, String> {
        let pool = db::connect(&config.database_url, config.pool_size)?;
        let key = {
            let mut conn = pool
                .get()
                .map_err(|e| format!("cannot open the database: {e}"))?;
            if let Some(tz) = config.timezone {
                organisation::set_timezone(&mut conn, None, tz).map_err(|e| e.to_string())?;
            }
            organisation::session_key(&mut conn).map_err(|e| e.to_string())?
        };
        let grouping = Arc::new(GroupingCache::new(config.join_threshold));
        // The matcher's index is built in the background, so that pages answer at once;
        // a filing that needs it waits for it (the build holds the cache's lock).
        {
            let (pool, grouping) = (pool.clone(), grouping.clone());
            std::thread::Builder::new()
                .name("grouping-index".into())
                .spawn(move || match pool.get() {
                    Ok(mut conn) => {
                        if let Err(e) = grouping.refresh(&mut conn) {
                            tracing::error!(error = %e, "building the grouping index failed");
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "no connection to build the grouping index")
                    }
                })
                .map_err(|e| format!("cannot start the grouping index thread: {e}"))?;
        }
        let listener = TcpListener::bind(&config.bind)
            .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let directory = Arc::new(Directory::new());
        let filing = FilingQueue::start(
            db::ConnectionManager::new(config.database_url.clone()),
            grouping.clone(),
            directory.clone(),
        )?;
        if let Some(every) = config.consolidate_every {
            service::clusters::Consolidator::start(
                pool.clone(),
                &grouping,
                every,
                config.merge_threshold,
            )?;
        }
        let feed = VersionFeed::start(&config.database_url)?;
        let state = web::Data::new(AppState::new(pool, grouping, directory, filing, feed));
        let key = Key::from(&key);
        let secure = config.secure_cookies;
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(pages::request::clean_query))
                .wrap(
                    DefaultHeaders::new()
                        .add(("X-Content-Type-Options", "nosniff"))
                        .add(("X-Frame-Options", "DENY"))
                        .add(("Referrer-Policy", "same-origin"))
                        .add((
                            "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
                        )),
                )
                .wrap(
                    SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                        .cookie_name("rungs_session".into())
                        .cookie_http_only(true)
                        .cookie_same_site(SameSite::Lax)
                        .cookie_secure(secure)
                        .cookie_content_security(CookieContentSecurity::Signed)
                        .session_lifecycle(
                            PersistentSession::default().session_ttl(actix_web::cookie::time::Duration::days(pages::session::SESSION_DAYS)),
                        )
                        .build(),
                )
                .wrap(Compress::default())
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::FormConfig::default().limit(FORM_LIMIT).error_handler(form_error))
                .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
                .app_data(web::PathConfig::default().error_handler(pages::request::path_error))
                .app_data(web::QueryConfig::default().error_handler(pages::request::query_error))
                .route("/healthz", web::get().to(healthz))
                .configure(api::routes)
                .configure(pages::routes)
                .default_service(web::to(not_found))
        })
        .listen(listener)
        .map_err(|e| e.to_string())?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let ok = service::run(&state.pool, |conn| {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SELECT 1").map_err(AppError::from)
    })
    .await;
    // Whether the change counters are kept in memory (`VersionFeed`) or read per request.
    let feed = if state.feed.is_listening() {
        "listening"
    } else {
        "off"
    };
    match ok {
        Ok(()) => {
            HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "change_feed": feed }))
        }
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "database unavailable" })),
    }
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

fn form_error(
    err: actix_web::error::UrlencodedError,
    _req: &actix_web::HttpRequest,
) -> actix_web::Error {
    use actix_web::error::UrlencodedError as E;
    match err {
        E::Overflow { .. } => AppError::PayloadTooLarge.into(),
        other => AppError::BadRequest(format!("the form could not be read: {other}")).into(),
    }
}
