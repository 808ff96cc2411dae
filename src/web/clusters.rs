//! The lead's curation of a cluster: rename, confirm, dismiss, merge, split, rules; each
//! answers with the cluster's page (`cluster_page`).

use super::see_other;
use super::session::{CsrfForm, Signed};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::clusters::ClusterEdit;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}", web::get().to(super::cluster_page::show))
        .route("/clusters/{id}/edit", web::post().to(edit))
        .route("/clusters/{id}/confirm", web::post().to(confirm))
        .route("/clusters/{id}/dismiss", web::post().to(dismiss))
        .route("/clusters/{id}/merge", web::post().to(merge))
        .route("/clusters/{id}/unmerge", web::post().to(unmerge))
        .route("/clusters/{id}/move", web::post().to(move_incidents))
        .route("/clusters/{id}/rules", web::post().to(add_rule));
}

#[derive(Deserialize)]
pub struct PlainForm {
    csrf_token: String,
}

#[derive(Deserialize)]
pub struct EditForm {
    csrf_token: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    owner: String,
}

#[derive(Deserialize)]
pub struct MergeForm {
    csrf_token: String,
    #[serde(default)]
    into: String,
    #[serde(default)]
    back: String,
}

/// Checkboxes arrive as `incident_<id>=on`; the target is `new` or a cluster id.
#[derive(Deserialize)]
pub struct MoveForm {
    csrf_token: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    title: String,
    #[serde(flatten)]
    rest: HashMap<String, String>,
}

#[derive(Deserialize)]
pub struct RuleForm {
    csrf_token: String,
    #[serde(default)]
    pattern: String,
}

csrf_form!(PlainForm, EditForm, MergeForm, MoveForm, RuleForm);

/// After a lead's change: back to the page, or the page again with the field errors.
async fn after(
    state: &AppState,
    user: Signed,
    id: i64,
    result: AppResult<String>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(location) => Ok(see_other(&location)),
        Err(AppError::Invalid(errors)) => {
            super::cluster_page::show_page(
                state,
                user,
                id,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                HashMap::new(),
                Default::default(),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn edit(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    let result = service::run(&state.pool, move |conn| {
        let edit = ClusterEdit {
            title: form.title,
            summary: form.summary,
            owner: form.owner,
        };
        service::clusters::edit(conn, &actor, id, &edit).map(|_| format!("/clusters/{id}"))
    })
    .await;
    after(&state, user, id, result).await
}

async fn confirm(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(_f): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    service::run(&state.pool, move |conn| {
        service::clusters::confirm(conn, &actor, id)
    })
    .await?;
    Ok(see_other("/triage"))
}

/// Undo a consolidation's merge of cluster `id`; back to the revived cluster's page.
async fn unmerge(
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
        service::clusters::undo_merge(conn, &grouping, &actor, id)
    })
    .await?;
    Ok(see_other(&format!("/clusters/{id}")))
}

async fn dismiss(
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
        service::clusters::dismiss(conn, &grouping, &actor, id)
    })
    .await?;
    Ok(see_other("/triage"))
}

async fn merge(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<MergeForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor, grouping) = (
        path.into_inner(),
        user.actor.clone(),
        state.grouping.clone(),
    );
    let Ok(into) = form.into.trim().parse::<i64>() else {
        return after(
            &state,
            user,
            id,
            Err(AppError::field("into", "error.unknown_cluster")),
        )
        .await;
    };
    let back = form.back.clone();
    let result = service::run(&state.pool, move |conn| {
        service::clusters::merge(conn, &grouping, &actor, id, into).map(|s| {
            if back == "triage" {
                "/triage".to_string()
            } else {
                format!("/clusters/{}", s.id)
            }
        })
    })
    .await;
    after(&state, user, id, result).await
}

async fn move_incidents(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<MoveForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor, grouping) = (
        path.into_inner(),
        user.actor.clone(),
        state.grouping.clone(),
    );
    let ids: Vec<i64> = form
        .rest
        .keys()
        .filter_map(|k| k.strip_prefix("incident_").and_then(|n| n.parse().ok()))
        .collect();
    let target = match form.target.trim() {
        "" | "new" => None,
        other => match other.parse::<i64>() {
            Ok(t) => Some(t),
            Err(_) => {
                return after(
                    &state,
                    user,
                    id,
                    Err(AppError::field("target", "error.unknown_cluster")),
                )
                .await;
            }
        },
    };
    let result = service::run(&state.pool, move |conn| {
        service::clusters::move_incidents(conn, &grouping, &actor, id, &ids, target, &form.title)
            .map(|to| format!("/clusters/{to}"))
    })
    .await;
    after(&state, user, id, result).await
}

async fn add_rule(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    let result = service::run(&state.pool, move |conn| {
        service::clusters::add_rule(conn, &actor, id, &form.pattern)
            .map(|_| format!("/clusters/{id}"))
    })
    .await;
    after(&state, user, id, result).await
}
