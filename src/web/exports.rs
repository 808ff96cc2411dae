//! Downloads from the list pages, for leads and admins: the incidents as filtered
//! (`/incidents.csv`, `/incidents.json`), the clusters with their weekly figures
//! (`/clusters.csv`, `/clusters.json`). The same exports as the API's, streamed.

use super::session::Signed;
use crate::app_state::AppState;
use crate::error::AppResult;
use crate::service::export::{self, Export, Format};
use crate::service::incidents::Filters;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents.csv", web::get().to(incidents_csv))
        .route("/incidents.json", web::get().to(incidents_json))
        .route("/clusters.csv", web::get().to(clusters_csv))
        .route("/clusters.json", web::get().to(clusters_json));
}

#[derive(Deserialize)]
pub struct CategoryQuery {
    #[serde(default)]
    category: String,
}

async fn download(
    state: &AppState,
    user: Signed,
    what: Export,
    format: Format,
) -> AppResult<HttpResponse> {
    let name = what.file_name(format);
    let body = export::stream(&state.pool, user.actor, what, format).await?;
    Ok(crate::web::attachment(&name, format.content_type(), body))
}

async fn incidents_csv(
    state: web::Data<AppState>,
    user: Signed,
    query: web::Query<Filters>,
) -> AppResult<HttpResponse> {
    let what = Export::Incidents(query.into_inner());
    download(&state, user, what, Format::Csv).await
}

async fn incidents_json(
    state: web::Data<AppState>,
    user: Signed,
    query: web::Query<Filters>,
) -> AppResult<HttpResponse> {
    let what = Export::Incidents(query.into_inner());
    download(&state, user, what, Format::Json).await
}

async fn clusters_csv(
    state: web::Data<AppState>,
    user: Signed,
    query: web::Query<CategoryQuery>,
) -> AppResult<HttpResponse> {
    let category = query.into_inner().category;
    download(&state, user, Export::Clusters { category }, Format::Csv).await
}

async fn clusters_json(
    state: web::Data<AppState>,
    user: Signed,
    query: web::Query<CategoryQuery>,
) -> AppResult<HttpResponse> {
    let category = query.into_inner().category;
    download(&state, user, Export::Clusters { category }, Format::Json).await
}
