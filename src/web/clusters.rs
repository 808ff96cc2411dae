//! A cluster's page and the lead's curation tools: rename, confirm, dismiss, merge, split, rules.

use super::session::{CsrfForm, PageCtx, Signed};
use super::{render, see_other};
use crate::csrf_form;
use crate::db::clusters::{ClusterRow, RuleRow};
use crate::db::incidents::IncidentRow;
use crate::domain::input::FieldErrors;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::catalog::Catalog;
use crate::service::clusters::{ClusterEdit, ClusterView};
use crate::service::incidents::TimelineEntry;
use crate::service::{self, organisation};
use crate::startup::AppState;
use crate::web::format::local_datetime;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}", web::get().to(show))
        .route("/clusters/{id}/edit", web::post().to(edit))
        .route("/clusters/{id}/confirm", web::post().to(confirm))
        .route("/clusters/{id}/dismiss", web::post().to(dismiss))
        .route("/clusters/{id}/merge", web::post().to(merge))
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

#[derive(Template)]
#[template(path = "clusters/show.html")]
struct ShowPage {
    page: PageCtx,
    view: ClusterView,
    incidents: Vec<IncidentRow>,
    timeline: Vec<TimelineEntry>,
    siblings: Vec<ClusterRow>,
    rules: Vec<RuleRow>,
    catalog: Catalog,
    tz: Tz,
    errors: FieldErrors,
    max_week: i32,
    ladder: super::actions::LadderPanel,
    /// The new-action form as typed, when it was rejected.
    action_form: HashMap<String, String>,
    drivers: Option<super::drivers::DriversPanel>,
}

impl ShowPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        local_datetime(at.and_utc(), self.tz)
    }

    fn when_utc(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime(*at, self.tz)
    }

    fn category_name(&self) -> String {
        self.catalog
            .category_label(self.view.cluster.category_id, self.page.lang)
    }

    /// A typed value of the rejected new-action form.
    fn af(&self, name: &str) -> String {
        self.action_form.get(name).cloned().unwrap_or_default()
    }

    /// The rung the new-action form starts on: as typed, else the coach's.
    fn chosen_rung(&self) -> String {
        if self.action_form.is_empty() {
            self.ladder
                .coach
                .recommended_rung
                .map(|r| r.to_string())
                .unwrap_or_default()
        } else {
            self.af("rung")
        }
    }

    fn fmt_opt(&self, v: &Option<f64>) -> String {
        v.map(|v| {
            if v.is_finite() {
                format!("{v:.2}")
            } else {
                "∞".into()
            }
        })
        .unwrap_or_else(|| "—".into())
    }

    fn err(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    /// Bar width in percent for the weekly table.
    fn bar(&self, n: &i32) -> i32 {
        if self.max_week == 0 {
            0
        } else {
            n * 100 / self.max_week
        }
    }
}

/// Merge targets offered on a cluster's page (the most similar, then the newest).
const MERGE_CHOICES: usize = 25;

pub(crate) async fn show_page(
    state: &AppState,
    user: Signed,
    id: i64,
    errors: FieldErrors,
    status: StatusCode,
    action_form: HashMap<String, String>,
    week: super::DriversQuery,
) -> AppResult<HttpResponse> {
    let (review, grouping) = (state.review.clone(), state.grouping.clone());
    let loaded = service::run(&state.pool, move |conn| {
        let drivers = week.load(conn, id)?;
        let view = service::clusters::view(conn, id)?;
        if let Some(into) = view.cluster.merged_into {
            return Ok(Err(into));
        }
        let incidents = crate::db::incidents::of_cluster(conn, id, 200)?;
        let timeline = service::incidents::timeline(conn, "cluster", id)?;
        let siblings =
            service::clusters::merge_candidates(conn, &grouping, &view.cluster, MERGE_CHOICES)?;
        let rules = crate::db::clusters::rules(conn)?
            .into_iter()
            .filter(|r| r.cluster_id == id)
            .collect();
        let tz = organisation::timezone(conn)?;
        let ladder = super::actions::ladder_panel(conn, id, tz, &review)?;
        Ok(Ok((
            view,
            incidents,
            timeline,
            siblings,
            rules,
            Catalog::load(conn)?,
            tz,
            ladder,
            drivers,
        )))
    })
    .await?;
    match loaded {
        // A merged cluster's old link leads to its survivor.
        Err(into) => Ok(HttpResponse::PermanentRedirect()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/clusters/{into}"),
            ))
            .finish()),
        Ok((view, incidents, timeline, siblings, rules, catalog, tz, ladder, drivers)) => {
            let max_week = view.weekly.iter().map(|w| w.incidents).max().unwrap_or(0);
            let drivers = drivers.map(|d| super::drivers::panel(&user.page, &d));
            render(
                status,
                &ShowPage {
                    page: user.page,
                    view,
                    incidents,
                    timeline,
                    siblings,
                    rules,
                    catalog,
                    tz,
                    errors,
                    max_week,
                    ladder,
                    action_form,
                    drivers,
                },
            )
        }
    }
}

async fn show(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    week: web::Query<super::DriversQuery>,
) -> AppResult<HttpResponse> {
    show_page(
        &state,
        user,
        path.into_inner(),
        FieldErrors::new(),
        StatusCode::OK,
        HashMap::new(),
        week.into_inner(),
    )
    .await
}

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
            show_page(
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
        service::clusters::move_incidents(conn, &grouping, &actor, &ids, target, &form.title)
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
