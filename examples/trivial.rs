//! The benchmark's yardstick: a trivial askama page with a 50-row table, served by
//! actix-web with the same middleware as rungs (headers, compression, tracing), and no
//! database. Never part of the product.
//!
//! cargo run --release --example trivial -- 127.0.0.1:8091

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
    let bind = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8091".into());
    HttpServer::new(|| {
        App::new()
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(Compress::default())
            .wrap(tracing_actix_web::TracingLogger::default())
            .route("/bench/trivial", web::get().to(page))
    })
    .bind(bind)?
    .run()
    .await
}
