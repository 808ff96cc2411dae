//! GET /account/api: the JSON API for people, each route in a line, with the link to
//! its OpenAPI document. For everyone signed in (the document itself is public).

use super::ok;
use super::session::{PageCtx, Signed};
use crate::api::openapi::{self, Route};
use crate::error::AppResult;
use actix_web::{HttpResponse, web};
use askama::Template;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/api", web::get().to(page));
}

#[derive(Template)]
#[template(path = "account/api.html")]
struct ApiPage {
    page: PageCtx,
    routes: Vec<Route>,
}

impl ApiPage {
    fn what(&self, route: &Route) -> String {
        self.page.t(&format!("api_page.op.{}", route.operation_id))
    }
}

async fn page(user: Signed) -> AppResult<HttpResponse> {
    ok(&ApiPage {
        page: user.page,
        routes: openapi::routes(),
    })
}
