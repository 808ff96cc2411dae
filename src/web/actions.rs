//! The ladder in pages: the coach and actions on a cluster, and the forms that record an
//! action and move it along (its own page is `action_page`).

use super::see_other;
use super::session::{CsrfForm, Signed};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::input::FieldErrors;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::effects::{CoachView, EffectView};
use crate::service::ladder::ActionRow;
use crate::service::ladder::{ActionInput, ActionRevision};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}/actions", web::post().to(create))
        .route(
            "/clusters/{id}/coach/dismiss",
            web::post().to(dismiss_advice),
        )
        .route("/actions/{id}/revise", web::post().to(revise))
        .route("/actions/{id}/advance", web::post().to(advance))
        .route("/actions/{id}/signoffs", web::post().to(sign_off))
        .route("/actions/{id}/weights", web::post().to(weight))
        .route("/actions/{id}/comments", web::post().to(comment));
}

/// What a cluster page shows of the ladder.
pub struct LadderPanel {
    pub coach: CoachView,
    pub actions: Vec<(ActionRow, Option<EffectView>)>,
}

/// Checkboxes of departments arrive as `department_<slug>=on`.
#[derive(Deserialize)]
pub struct ActionForm {
    csrf_token: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

/// The correction form of an action: every field, as typed.
#[derive(Deserialize)]
pub struct ReviseForm {
    csrf_token: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

#[derive(Deserialize)]
pub struct AdvanceForm {
    csrf_token: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    note: String,
}

#[derive(Deserialize)]
pub struct SignoffForm {
    csrf_token: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    comment: String,
}

#[derive(Deserialize)]
pub struct WeightForm {
    csrf_token: String,
    #[serde(default)]
    weight: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub struct CommentForm {
    csrf_token: String,
    #[serde(default)]
    body: String,
}

#[derive(Deserialize)]
pub struct DismissForm {
    csrf_token: String,
    #[serde(default)]
    rung: String,
    #[serde(default)]
    reason: String,
}

csrf_form!(
    ActionForm,
    ReviseForm,
    AdvanceForm,
    SignoffForm,
    WeightForm,
    CommentForm,
    DismissForm
);

/// A number field: none when empty; a bad one is noted in `errors` and read as none.
fn number(f: &HashMap<String, String>, name: &str, errors: &mut FieldErrors) -> Option<f64> {
    let s = f.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())?;
    errors.check(name, s.parse::<f64>().map_err(|_| "error.not_a_number"))
}

pub(super) fn integer(
    f: &HashMap<String, String>,
    name: &str,
    errors: &mut FieldErrors,
) -> Option<i64> {
    let s = f.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())?;
    errors.check(name, s.parse::<i64>().map_err(|_| "error.not_an_integer"))
}

/// The form as the service's input, and the fields that are not numbers though they must be.
pub(super) fn action_input(f: &HashMap<String, String>) -> (ActionInput, FieldErrors) {
    let text = |name: &str| f.get(name).cloned().unwrap_or_default();
    let mut departments: Vec<String> = f
        .keys()
        .filter_map(|k| k.strip_prefix("department_"))
        .map(str::to_string)
        .collect();
    departments.sort();
    let mut e = FieldErrors::new();
    let input = ActionInput {
        rung: integer(f, "rung", &mut e),
        title: text("title"),
        why: text("why"),
        owner: text("owner"),
        due_on: text("due_on"),
        goal_kind: text("goal_kind"),
        goal_value: number(f, "goal_value", &mut e),
        goal_start: number(f, "goal_start", &mut e),
        goal_week: text("goal_week"),
        launched_on: text("launched_on"),
        review_after_weeks: integer(f, "review_after_weeks", &mut e),
        departments,
        retro_weeks: integer(f, "retro_weeks", &mut e),
        kpi_department: text("kpi_department"),
        kpi_item: text("kpi_item"),
        kpi_definition: text("kpi_definition"),
        kpi_weight: number(f, "kpi_weight", &mut e),
        guard_cluster: integer(f, "guard_cluster", &mut e),
        guard_category: text("guard_category"),
        guard_margin: number(f, "guard_margin", &mut e),
    };
    (input, e)
}

async fn create(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (cluster_id, actor) = (path.into_inner(), user.actor.clone());
    let (input, unread) = action_input(&form.fields);
    let tz = user.known.timezone;
    let created = service::run(&state.pool, move |conn| {
        service::ladder::create_after(conn, &actor, cluster_id, &input, tz, unread)
    })
    .await;
    match created {
        Ok(id) => Ok(see_other(&format!("/actions/{id}"))),
        Err(AppError::Invalid(errors)) => {
            rejected(&state, user, cluster_id, errors, form.fields).await
        }
        Err(e) => Err(e),
    }
}

/// The cluster page again, with the typed action and a message per field.
async fn rejected(
    state: &AppState,
    user: Signed,
    cluster_id: i64,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> AppResult<HttpResponse> {
    let refused = super::cluster_page::Refused {
        form: "action",
        errors,
        typed,
    };
    super::cluster_page::show_page(state, user, cluster_id, Some(refused), Default::default()).await
}

async fn dismiss_advice(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<DismissForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (cluster_id, actor) = (path.into_inner(), user.actor.clone());
    let rung: i64 = form
        .rung
        .trim()
        .parse()
        .map_err(|_| AppError::field("rung", "error.rung"))?;
    service::run(&state.pool, move |conn| {
        service::ladder::dismiss_advice(conn, &actor, cluster_id, rung, &form.reason)
    })
    .await?;
    Ok(see_other(&format!("/clusters/{cluster_id}")))
}

/// Correct an action's title, why, owner, due date or goal; a refused form comes back
/// with what was typed.
async fn revise(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ReviseForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    let f = &form.fields;
    let text = |name: &str| Some(f.get(name).cloned().unwrap_or_default());
    let mut unread = FieldErrors::new();
    let revision = ActionRevision {
        title: text("title"),
        why: text("why"),
        owner: text("owner"),
        due_on: text("due_on"),
        goal_kind: text("goal_kind"),
        goal_value: number(f, "goal_value", &mut unread),
        goal_start: number(f, "goal_start", &mut unread),
        goal_week: text("goal_week"),
    };
    let tz = user.known.timezone;
    let revised = service::run(&state.pool, move |conn| {
        service::ladder::revise(conn, &actor, id, &revision, tz, unread)
    })
    .await;
    match revised {
        Ok(()) => Ok(see_other(&format!("/actions/{id}"))),
        Err(AppError::Invalid(errors)) => {
            super::action_page::show_page(&state, user, id, Some((errors, form.fields))).await
        }
        Err(e) => Err(e),
    }
}

async fn advance(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<AdvanceForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    let tz = user.known.timezone;
    service::run(&state.pool, move |conn| {
        service::ladder::advance(conn, &actor, id, &form.stage, &form.on, &form.note, tz)
    })
    .await?;
    Ok(see_other(&format!("/actions/{id}")))
}

async fn sign_off(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<SignoffForm>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), user.actor.clone());
    service::run(&state.pool, move |conn| {
        service::ladder::sign_off(
            conn,
            &actor,
            id,
            &form.department,
            &form.decision,
            &form.comment,
        )
    })
    .await?;
    Ok(see_other(&format!("/actions/{id}")))
}

async fn weight(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<WeightForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (id, actor) = (path.into_inner(), user.actor.clone());
    let weight: f64 = form
        .weight
        .trim()
        .parse()
        .map_err(|_| AppError::field("weight", "error.not_a_number"))?;
    let tz = user.known.timezone;
    service::run(&state.pool, move |conn| {
        service::ladder::revise_weight(conn, &actor, id, weight, &form.on, &form.reason, tz)
    })
    .await?;
    Ok(see_other(&format!("/actions/{id}")))
}

async fn comment(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<CommentForm>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (path.into_inner(), user.actor.clone());
    service::run(&state.pool, move |conn| {
        service::ladder::comment(conn, &actor, id, &form.body)
    })
    .await?;
    Ok(see_other(&format!("/actions/{id}")))
}
