//! Building the application: open the database, bring it up to date, bind, serve.

use crate::app_state::AppState;
use crate::config::Config;
use crate::db;
use crate::db::version_feed::VersionFeed;
use crate::db::versions::LocalChanges;
use crate::error::AppError;
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use crate::service::intake::Intake;
use crate::service::{self, organisation};
use crate::telemetry::requests::RequestSpan;
use crate::{api, telemetry, web as pages};
use actix_session::SessionMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpResponse, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;
use tracing_actix_web::TracingLogger;

/// Largest form body the pages read.
pub const FORM_LIMIT: usize = 64 * 1024;

pub struct Application {
    port: u16,
    server: Server,
    changes: Arc<LocalChanges>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, String> {
        // The pool and the filing writer share one manager: a fault the writer meets
        // and outlives renews the pool's connections too (`db::pool`).
        let manager = db::ConnectionManager::new(config.database_url.clone());
        let pool = db::connect_with(manager.clone(), config.pool_size)?;
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
        let changes = manager.changes().clone();
        let intake = Intake::start(manager, grouping.clone(), directory.clone())?;
        if let Some(every) = config.consolidate_every {
            service::clusters::Consolidator::start(
                pool.clone(),
                &grouping,
                every,
                config.merge_threshold,
            )?;
        }
        service::webhooks::set_public_url(&config.public_url);
        if let Some(every) = config.schedule_every {
            service::scheduler::Scheduler::start(pool.clone(), every)?;
        }
        if let Some(every) = config.webhooks_every {
            service::webhooks::sender::Sender::start(pool.clone(), every, config.webhook_backoff)?;
        }
        let feed = VersionFeed::start(&config.database_url, changes.clone())?;
        let state = web::Data::new(AppState::new(pool, grouping, directory, intake, feed));
        let tables = web::Data::new(pages::rendered::RenderedTables::default());
        let key = Key::from(&key);
        let secure = config.secure_cookies;
        let metrics_access = web::Data::new(config.metrics.clone());
        let proxies = web::Data::new(config.trusted_proxies.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(pages::problem::in_layout))
                .wrap(actix_web::middleware::from_fn(pages::request::clean_query))
                .wrap(actix_web::middleware::from_fn(pages::slow_body::body_deadline))
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
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(actix_web::middleware::from_fn(telemetry::requests::observe))
                .app_data(state.clone())
                .app_data(metrics_access.clone())
                .app_data(proxies.clone())
                .app_data(tables.clone())
                .app_data(web::FormConfig::default().limit(FORM_LIMIT).error_handler(form_error))
                .app_data(web::PayloadConfig::default().limit(FORM_LIMIT))
                .app_data(web::PathConfig::default().error_handler(pages::request::path_error))
                .app_data(web::QueryConfig::default().error_handler(pages::request::query_error))
                .route("/healthz", web::get().to(healthz))
                .configure(telemetry::scrape::routes)
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
            changes,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// This running rungs' own changes of the counters: work done in the same process
    /// through another connection (a test's) is published here to be seen at once.
    pub fn local_changes(&self) -> Arc<LocalChanges> {
        self.changes.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Whether a write is possible now; 503 with the reason when it is not.
async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    // Whether the change counters are kept in memory (`VersionFeed`) or read per request.
    let feed = if state.feed.is_listening() {
        "listening"
    } else {
        "off"
    };
    match service::health::check(&state.pool, state.intake.last_fault()).await {
        service::health::Health::Ok => HttpResponse::Ok().json(serde_json::json!({
            "status": "ok", "database": "writable", "change_feed": feed
        })),
        service::health::Health::Faulty(fault) => HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, 5))
            .json(serde_json::json!({
                "status": "unavailable",
                "fault": fault.code(),
                "reason": fault.reason(),
                "change_feed": feed,
            })),
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
        E::Payload(p) if pages::slow_body::is_deadline(&p) => AppError::RequestTimeout.into(),
        other => AppError::BadRequest(format!("the form could not be read: {other}")).into(),
    }
}
