//! GET /api/v1/reports/weekly/{week}?format=json|md|csv|html&lang=en|zh-CN: the
//! retrospective's report of a week, the same document as the page's downloads.

use super::auth::ApiUser;
use crate::app_state::AppState;
use crate::error::ApiResult;
use crate::i18n::Lang;
use crate::web::report::{FormatQuery, document};
use actix_web::{HttpResponse, web};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/reports/weekly/{week}", web::get().to(weekly));
}

/// Everyone with a token may read it, as everyone signed in may read the page.
async fn weekly(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> ApiResult<HttpResponse> {
    let (format, lang) = query.parse(Lang::En)?;
    Ok(document(&state, path.into_inner(), format, lang).await?)
}
