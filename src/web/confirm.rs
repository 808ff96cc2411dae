//! The confirmation a destructive change (merge, split, dismiss) answers before it is
//! made: what it will do, the same form again with `confirm=yes`, and a way back.

use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::clusters::ClusterRow;
use actix_web::HttpResponse;
use askama::Template;

/// The stored cluster `id`, for a confirmation that names it.
pub async fn one_cluster(state: &AppState, id: i64) -> AppResult<ClusterRow> {
    let mut found = service::run(&state.pool, move |conn| {
        service::clusters::rows(conn, &[id])
    })
    .await?;
    found.pop().ok_or(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "clusters/confirm.html")]
struct ConfirmPage<'a> {
    page: &'a PageCtx,
    question: String,
    consequence: String,
    button: String,
    action: String,
    fields: Vec<(String, String)>,
    cancel: String,
}

/// Asks before a destructive change: what it will do, the form again with `confirm=yes`,
/// and a way back. Nothing changes until the lead confirms.
pub fn confirm_page(
    user: &Signed,
    question: String,
    consequence: String,
    button: String,
    action: String,
    fields: Vec<(String, String)>,
    cancel: String,
) -> AppResult<HttpResponse> {
    super::ok(&ConfirmPage {
        page: &user.page,
        question,
        consequence,
        button,
        action,
        fields,
        cancel,
    })
}
