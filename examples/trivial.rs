//! The benchmark's yardstick: a trivial askama page with a 50-row table, served by
//! actix-web with the same middleware as rungs (headers, compression, tracing), and no
//! database. Never part of the product.
//!
//! cargo run --release --example trivial -- 127.0.0.1:8091 [DATABASE_URL]
//!
//! With a database, `/bench/signed` serves the same table behind rungs's own session
//! middleware and `Signed` extractor (one database read of the signed-in person), the
//! fixed cost of any signed-in page.

use actix_web::middleware::{Compress, DefaultHeaders};
use actix_web::{App, HttpResponse, HttpServer, web};
use askama::Template;

struct Row {
    id: usize,
    title: String,
    this_week: u32,
    last_week: u32,
}

#[derive(Template)]
#[template(
    ext = "html",
    source = r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><table><thead><tr><th>#</th><th>Title</th><th>This week</th><th>Last week</th></tr></thead>
<tbody>{% for r in rows %}<tr><td>{{ r.id }}</td><td>{{ r.title }}</td><td>{{ r.this_week }}</td><td>{{ r.last_week }}</td></tr>{% endfor %}</tbody></table></body></html>"#
)]
struct Trivial {
    title: &'static str,
    rows: Vec<Row>,
}

async fn signed(_user: rungs::web::session::Signed) -> HttpResponse {
    page().await
}

async fn page() -> HttpResponse {
    let page = Trivial {
        title: "Fifty rows",
        rows: (0..50)
            .map(|i| Row {
                id: i,
                title: format!("Recurring problem {i}"),
                this_week: (i * 7 % 13) as u32,
                last_week: (i * 5 % 11) as u32,
            })
            .collect(),
    };
    match page.render() {
        Ok(body) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    use actix_session::SessionMiddleware;
    use actix_session::config::CookieContentSecurity;
    use actix_session::storage::CookieSessionStore;
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8091".into());
    let url = std::env::args().nth(2).unwrap_or_else(|| "rungs.db".into());
    let url = rungs::db::DatabaseUrl::parse(&url).map_err(std::io::Error::other)?;
    let pool = rungs::db::connect(&url, 16).map_err(std::io::Error::other)?;
    let key = {
        let mut conn = pool.get().map_err(std::io::Error::other)?;
        rungs::service::organisation::session_key(&mut conn).map_err(std::io::Error::other)?
    };
    let key = actix_web::cookie::Key::from(&key);
    let grouping = std::sync::Arc::new(rungs::service::grouping::GroupingCache::new(0.5));
    let directory = std::sync::Arc::new(rungs::service::directory::Directory::new());
    let filing = rungs::service::intake::Intake::start(
        rungs::db::ConnectionManager::new(url.clone()),
        grouping.clone(),
        directory.clone(),
    )
    .map_err(std::io::Error::other)?;
    let feed = rungs::db::version_feed::VersionFeed::start(&url, Default::default())
        .map_err(std::io::Error::other)?;
    let state = web::Data::new(rungs::app_state::AppState::new(
        pool, grouping, directory, filing, feed,
    ));
    HttpServer::new(move || {
        App::new()
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
                    .cookie_name("rungs_session".into())
                    .cookie_secure(false)
                    .cookie_content_security(CookieContentSecurity::Signed)
                    .build(),
            )
            .wrap(Compress::default())
            .wrap(tracing_actix_web::TracingLogger::default())
            .app_data(state.clone())
            .route("/bench/trivial", web::get().to(page))
            .route("/bench/signed", web::get().to(signed))
    })
    .workers(2)
    .bind(bind)?
    .run()
    .await
}
