//! The lead's curation of a cluster: rename, confirm, dismiss, merge, split, rules; each
//! answers with the cluster's page (`cluster_page`).

use super::cluster_page::Refused;
use super::confirm::confirm_page;
use super::flash::Flash;
use super::see_other;
use super::session::{CsrfForm, Signed};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::clusters::ClusterEdit;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}", web::get().to(super::cluster_page::show))
        .route("/clusters/{id}/edit", web::post().to(edit))
        .route("/clusters/{id}/confirm", web::post().to(confirm))
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
    #[serde(default)]
    confirm: String,
}

/// Checkboxes arrive as `incident_<id>=on`; the target is `new` or a cluster id.
#[derive(Deserialize)]
pub struct MoveForm {
    csrf_token: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    confirm: String,
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

/// After a lead's change: back to the page, or the page again with the errors and the
/// typed values under the form that was refused (and no other).
async fn after(
    state: &AppState,
    user: Signed,
    id: i64,
    form: &'static str,
    typed: &[(&str, &str)],
    result: AppResult<String>,
) -> AppResult<HttpResponse> {
    match result {
        Ok(location) => Ok(see_other(&location)),
        Err(AppError::Invalid(errors)) => {
            let refused = Refused {
                form,
                errors,
                typed: typed
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            };
            super::cluster_page::show_page(state, user, id, Some(refused), Default::default()).await
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
    let edit = ClusterEdit {
        title: form.title.clone(),
        summary: form.summary.clone(),
        owner: form.owner.clone(),
    };
    let result = service::run(&state.pool, move |conn| {
        service::clusters::edit(conn, &actor, id, &edit).map(|_| format!("/clusters/{id}"))
    })
    .await;
    let typed = [
        ("title", form.title.as_str()),
        ("summary", form.summary.as_str()),
        ("owner", form.owner.as_str()),
    ];
    after(&state, user, id, "edit", &typed, result).await
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
    Flash::new("flash.unmerged", &[("id", id.to_string())]).keep(&user.session);
    Ok(see_other(&format!("/clusters/{id}")))
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
        let refused = Err(AppError::field("into", "error.unknown_cluster"));
        return after(&state, user, id, "merge", &[], refused).await;
    };
    if form.confirm != "yes" {
        let pair = service::run(&state.pool, move |conn| {
            service::clusters::rows(conn, &[id, into])
        })
        .await?;
        let (Some(from_c), Some(into_c)) = (
            pair.iter().find(|c| c.id == id),
            pair.iter().find(|c| c.id == into),
        ) else {
            let refused = Err(AppError::field("into", "error.unknown_cluster"));
            return after(&state, user, id, "merge", &[], refused).await;
        };
        let (from_s, into_s, n) = (
            id.to_string(),
            into.to_string(),
            from_c.incident_count.to_string(),
        );
        let page = &user.page;
        let cancel = if form.back == "triage" {
            "/triage".to_string()
        } else {
            format!("/clusters/{id}")
        };
        return confirm_page(
            &user,
            page.t_with(
                "confirm.merge_question",
                &[("from", &from_s), ("into", &into_s)],
            ),
            page.t_with(
                "confirm.merge_consequence",
                &[
                    ("n", &n),
                    ("from", &from_s),
                    ("from_title", &from_c.title),
                    ("into_title", &into_c.title),
                ],
            ),
            page.t("confirm.merge_button"),
            format!("/clusters/{id}/merge"),
            vec![
                ("into".into(), into_s.clone()),
                ("back".into(), form.back.clone()),
            ],
            cancel,
        );
    }
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
    if result.is_ok() {
        Flash::new(
            "flash.merged",
            &[("from", id.to_string()), ("into", into.to_string())],
        )
        .with_undo(format!("/clusters/{id}/unmerge"), "flash.undo")
        .keep(&user.session);
    }
    after(&state, user, id, "merge", &[], result).await
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
                let refused = Err(AppError::field("target", "error.unknown_cluster"));
                return after(&state, user, id, "move", &[], refused).await;
            }
        },
    };
    if ids.is_empty() {
        let refused = Err(AppError::field("incidents", "error.choose_incidents"));
        let typed = [("title", form.title.as_str())];
        return after(&state, user, id, "move", &typed, refused).await;
    }
    if form.confirm != "yes" {
        let wanted: Vec<i64> = std::iter::once(id).chain(target).collect();
        let found = service::run(&state.pool, move |conn| {
            service::clusters::rows(conn, &wanted)
        })
        .await?;
        if !found.iter().any(|c| c.id == id) {
            return Err(AppError::NotFound);
        }
        let page = &user.page;
        let (n, from_s) = (ids.len().to_string(), id.to_string());
        let whereto = match target.and_then(|t| found.iter().find(|c| c.id == t)) {
            Some(t) => page.t_with(
                "confirm.move_to",
                &[("into", &t.id.to_string()), ("into_title", &t.title)],
            ),
            None => page.t_with("confirm.move_to_new", &[("title", form.title.trim())]),
        };
        let mut fields: Vec<(String, String)> = ids
            .iter()
            .map(|i| (format!("incident_{i}"), "on".to_string()))
            .collect();
        fields.push(("target".into(), form.target.clone()));
        fields.push(("title".into(), form.title.clone()));
        return confirm_page(
            &user,
            page.t_with("confirm.move_question", &[("n", &n), ("from", &from_s)]),
            whereto,
            page.t("confirm.move_button"),
            format!("/clusters/{id}/move"),
            fields,
            format!("/clusters/{id}"),
        );
    }
    let moved = ids.len();
    let title = form.title.clone();
    let result = service::run(&state.pool, move |conn| {
        service::clusters::move_incidents(conn, &grouping, &actor, id, &ids, target, &title)
            .map(|to| format!("/clusters/{to}"))
    })
    .await;
    if let Ok(to) = &result {
        let into = to.trim_start_matches("/clusters/").to_string();
        Flash::new("flash.moved", &[("n", moved.to_string()), ("into", into)]).keep(&user.session);
    }
    let typed = [("title", form.title.as_str())];
    after(&state, user, id, "move", &typed, result).await
}

async fn add_rule(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RuleForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    let pattern = form.pattern.clone();
    let result = service::run(&state.pool, move |conn| {
        service::clusters::add_rule(conn, &actor, id, &pattern).map(|_| format!("/clusters/{id}"))
    })
    .await;
    let typed = [("pattern", form.pattern.as_str())];
    after(&state, user, id, "rule", &typed, result).await
}
