//! The list of confirmed clusters, largest first.

use super::ok;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::error::AppResult;
use crate::service::clusters::ClusterRow;
use crate::service::{self, catalog::Catalog};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters", web::get().to(list));
}

#[derive(Template)]
#[template(path = "clusters/list.html")]
struct ListPage {
    page: PageCtx,
    clusters: Vec<ClusterRow>,
    catalog: Catalog,
    category: String,
}

impl ListPage {
    fn category_name(&self, id: &i64) -> String {
        self.catalog.category_label(*id, self.page.lang)
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    category: String,
}

async fn list(
    state: web::Data<AppState>,
    user: Signed,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let category = query.into_inner().category;
    let wanted = category.clone();
    let catalog = user.known.as_ref().clone();
    let (clusters, catalog) = service::run(&state.pool, move |conn| {
        let clusters = service::clusters::confirmed(conn, &catalog, &wanted)?;
        Ok((clusters, catalog))
    })
    .await?;
    ok(&ListPage {
        page: user.page,
        clusters,
        catalog,
        category,
    })
}
