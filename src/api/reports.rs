//! GET /api/v1/reports/weekly/{week}?format=json|md|csv|html&lang=en|zh-CN: the
//! retrospective's report of a week, the same document as the page's downloads.

use super::auth::ApiUser;
use crate::app_state::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::i18n::Lang;
use crate::web::report::{FormatQuery, document};
use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

/// `?format=&lang=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (absent: json), `md`, `csv` or `html`.
    #[serde(default)]
    #[param(required = false)]
    pub format: String,
    /// The words' language: `en` (absent) or `zh-CN`; the figures are the same.
    #[serde(default)]
    #[param(required = false)]
    pub lang: String,
}

/// The weekly retrospective's report.
///
/// Totals against last week, the same week last year and the 8-week mean; every
/// cluster of the week's review, the most notable first with its drivers and the
/// coach's advice; actions launched, verdicts due, policies under watch, guard metrics,
/// overdue actions and the triage queue. The same figures in every format.
#[utoipa::path(
    tag = "review",
    params(("week" = String, Path, description = "The week, `YYYY-Www`"), ReportQuery),
    responses(
        (status = 200, description = "The report in the format asked for",
            content(
                (Object = "application/json"),
                (String = "text/markdown"),
                (String = "text/csv"),
                (String = "text/html"),
            )),
        (status = 400, description = "The request has a NUL byte or bytes that are not UTF-8", body = ErrorBody),
        (status = 401, description = "No token, or not a live one", body = ErrorBody),
        (status = 422, description = "Not a week, or not a format", body = ErrorBody),
        (status = 429, description = "Too many unknown tokens from this address", body = ErrorBody),
        (status = 503, description = "The database cannot answer now", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/reports/weekly/{week}")]
pub async fn weekly_report(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
    let (format, lang) = FormatQuery {
        format: query.format,
        lang: query.lang,
    }
    .parse(Lang::En)?;
    Ok(document(&state, path.into_inner(), format, lang, user.known.timezone).await?)
}
