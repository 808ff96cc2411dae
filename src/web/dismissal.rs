//! Dismissing a cluster as a one-off (after a confirmation) and restoring it.

use super::confirm::{confirm_page, one_cluster};
use super::flash::Flash;
use super::see_other;
use super::session::{CsrfForm, Signed};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::service;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}/dismiss", web::post().to(dismiss))
        .route("/clusters/{id}/restore", web::post().to(restore));
}

/// A destructive form: `confirm=yes` once the lead has seen what it will do.
#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf_token: String,
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    back: String,
}

#[derive(Deserialize)]
pub struct PlainForm {
    csrf_token: String,
}

csrf_form!(ConfirmForm, PlainForm);

async fn dismiss(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor, grouping) = (
        path.into_inner(),
        user.actor.clone(),
        state.grouping.clone(),
    );
    // Triage's button comes back to triage; the cluster page's (`back=cluster`) to the page.
    let back = if form.back == "cluster" {
        format!("/clusters/{id}")
    } else {
        "/triage".to_string()
    };
    if form.confirm != "yes" {
        let c = one_cluster(&state, id).await?;
        let n = c.incident_count.to_string();
        let fields = vec![("back".to_string(), form.back.clone())];
        let page = &user.page;
        return confirm_page(
            &user,
            page.t_with("confirm.dismiss_question", &[("id", &id.to_string())]),
            page.t_with(
                "confirm.dismiss_consequence",
                &[("title", c.title.as_str()), ("n", n.as_str())],
            ),
            page.t("confirm.dismiss_button"),
            format!("/clusters/{id}/dismiss"),
            fields,
            back,
        );
    }
    service::run(&state.pool, move |conn| {
        service::clusters::dismiss(conn, &grouping, &actor, id)
    })
    .await?;
    Flash::new("flash.dismissed", &[("id", id.to_string())])
        .with_undo(format!("/clusters/{id}/restore"), "flash.restore")
        .keep(&user.session);
    Ok(see_other(&back))
}

/// Undo a dismissal: the cluster is back in triage.
async fn restore(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(_f): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor, grouping) = (
        path.into_inner(),
        user.actor.clone(),
        state.grouping.clone(),
    );
    service::run(&state.pool, move |conn| {
        service::clusters::restore(conn, &grouping, &actor, id)
    })
    .await?;
    Flash::new("flash.restored", &[("id", id.to_string())]).keep(&user.session);
    Ok(see_other(&format!("/clusters/{id}")))
}
