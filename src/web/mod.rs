//! Server-rendered pages, one module per feature, each with its template structs.

pub mod account;
pub mod action_page;
pub mod actions;
pub mod admin;
pub mod api_page;
pub mod assets;
pub mod auth;
pub mod charts;
pub mod cluster_list;
pub mod cluster_page;
pub mod clusters;
pub mod confirm;
pub mod dismissal;
pub mod drivers;
pub mod exports;
pub mod flash;
pub mod format;
pub mod imports;
pub mod incidents;
pub mod ladder;
pub mod meeting;
pub mod problem;
pub mod rendered;
pub mod report;
pub mod request;
pub mod review;
pub mod session;
pub mod slow_body;
pub mod timeline;
pub mod triage;
pub mod webhooks;

use crate::error::{AppError, AppResult};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .route("/static/rungs.css", web::get().to(assets::stylesheet))
        .configure(auth::routes)
        .configure(exports::routes)
        .configure(incidents::routes)
        .configure(cluster_list::routes)
        .configure(clusters::routes)
        .configure(dismissal::routes)
        .configure(triage::routes)
        .configure(actions::routes)
        .configure(action_page::routes)
        .configure(ladder::routes)
        .configure(account::routes)
        .configure(api_page::routes)
        .configure(admin::routes)
        .configure(review::routes)
        .configure(report::routes)
        .configure(meeting::routes)
        .configure(webhooks::routes)
        .configure(imports::routes);
}

pub use drivers::DriversQuery;

async fn home(_user: session::Signed) -> HttpResponse {
    see_other("/incidents")
}

/// Render a page with a status; a template error is logged and becomes a 500.
pub fn render(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    let body = page.render().map_err(AppError::internal)?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn ok(page: &impl Template) -> AppResult<HttpResponse> {
    render(StatusCode::OK, page)
}

/// After a successful form post: 303 to where the result is.
/// A download that streams: `body` saved as `name` (the pages' and the API's exports).
pub fn attachment<S>(name: &str, content_type: &str, body: S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<web::Bytes, std::io::Error>> + 'static,
{
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(body)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Only local paths may be redirect targets (no open redirects through `?next=`).
/// Printable ASCII only: browsers drop tabs and newlines from a URL, so `/\t/evil.com`
/// would become `//evil.com`; and a newline cannot go in a header at all.
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n
        }
        _ => "/",
    }
}
