//! The triage queue: clusters started by an incident that matched nothing.

use super::ok;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::clusters::TriageItem;
use crate::web::format::local_datetime;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/triage", web::get().to(triage));
}

#[derive(Template)]
#[template(path = "clusters/triage.html")]
struct TriagePage {
    page: PageCtx,
    items: Vec<TriageItem>,
    catalog: Catalog,
    tz: Tz,
}

impl TriagePage {
    fn category_name(&self, id: &i64) -> String {
        self.catalog.category_label(*id, self.page.lang)
    }

    fn when(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        at.map(|t| local_datetime(t.and_utc(), self.tz))
            .unwrap_or_default()
    }
}

async fn triage(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let grouping = state.grouping.clone();
    let items = service::run(&state.pool, move |conn| {
        service::clusters::triage(conn, &grouping, 100)
    })
    .await?;
    let (catalog, tz) = (user.known.as_ref().clone(), user.known.timezone);
    ok(&TriagePage {
        page: user.page,
        items,
        catalog,
        tz,
    })
}
