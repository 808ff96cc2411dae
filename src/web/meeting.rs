//! The meeting's forms on `/retro/{week}` (leads): attendees and notes, hold and reopen,
//! decisions added, corrected, closed and turned into actions. Each parses, calls one
//! service function, and goes back to the page with a flash; a refused form comes back
//! on the page with what was typed and its errors, the other forms untouched.

use super::flash::Flash;
use super::report::Refused;
use super::see_other;
use super::session::{CsrfForm, Signed};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::input::FieldErrors;
use crate::domain::role::Role;
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::service::{self, meetings};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/retro/{week}/meeting", web::get().to(to_page))
        .route("/retro/{week}/meeting", web::post().to(save))
        .route("/retro/{week}/meeting/hold", web::post().to(hold))
        .route("/retro/{week}/meeting/reopen", web::post().to(reopen))
        .route("/retro/{week}/decisions", web::post().to(decide))
        .route("/retro/{week}/decisions/{id}", web::post().to(change))
        .route("/retro/{week}/decisions/{id}/close", web::post().to(close))
        .route(
            "/retro/{week}/decisions/{id}/action",
            web::post().to(to_action),
        );
}

/// Fields arrive by name: `attendee_<login>=on`, `notes`, `body`, the action's fields.
#[derive(Deserialize)]
pub struct MeetingForm {
    csrf_token: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

#[derive(Deserialize)]
pub struct PlainForm {
    csrf_token: String,
}

csrf_form!(MeetingForm, PlainForm);

fn week_of(raw: &str) -> AppResult<WeekKey> {
    raw.trim()
        .parse()
        .map_err(|_| AppError::field("week", "review.bad_week"))
}

fn back(week: WeekKey) -> HttpResponse {
    see_other(&format!("/retro/{week}#meeting"))
}

/// A form's address read as a page: the meeting on the week's page.
async fn to_page(path: web::Path<String>) -> AppResult<HttpResponse> {
    Ok(back(week_of(&path)?))
}

/// The page again with `form` refused: its errors and what was typed.
async fn refused(
    state: &AppState,
    user: Signed,
    week: WeekKey,
    form: String,
    errors: FieldErrors,
    typed: HashMap<String, String>,
) -> AppResult<HttpResponse> {
    let refused = Refused {
        form,
        errors,
        typed,
    };
    super::report::show(state, user, week.to_string(), Some(refused)).await
}

async fn save(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<MeetingForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let week = week_of(&path)?;
    let mut attendees: Vec<String> = form
        .fields
        .keys()
        .filter_map(|k| k.strip_prefix("attendee_"))
        .map(str::to_string)
        .collect();
    attendees.sort();
    let input = meetings::MeetingInput {
        attendees,
        notes: form.fields.get("notes").cloned().unwrap_or_default(),
    };
    let actor = user.actor.clone();
    let saved = service::run(&state.pool, move |conn| {
        meetings::save(conn, &actor, week, &input)
    })
    .await;
    match saved {
        Ok(_) => {
            Flash::new("flash.meeting_saved", &[("week", week.to_string())]).keep(&user.session);
            Ok(back(week))
        }
        Err(AppError::Invalid(errors)) => {
            refused(&state, user, week, "meeting".into(), errors, form.fields).await
        }
        Err(e) => Err(e),
    }
}

async fn hold(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (week, actor) = (week_of(&path)?, user.actor.clone());
    service::run(&state.pool, move |conn| meetings::hold(conn, &actor, week)).await?;
    Flash::new("flash.meeting_held", &[("week", week.to_string())]).keep(&user.session);
    Ok(back(week))
}

async fn reopen(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (week, actor) = (week_of(&path)?, user.actor.clone());
    service::run(&state.pool, move |conn| {
        meetings::reopen(conn, &actor, week)
    })
    .await?;
    Flash::new("flash.meeting_reopened", &[("week", week.to_string())]).keep(&user.session);
    Ok(back(week))
}

/// The decision's text, and the action it becomes when a cluster is named.
fn decision_input(f: &HashMap<String, String>) -> (meetings::DecisionInput, FieldErrors) {
    let (action, mut errors) = super::actions::action_input(f);
    let cluster = super::actions::integer(f, "cluster", &mut errors);
    let input = meetings::DecisionInput {
        body: f.get("decision").cloned().unwrap_or_default(),
        cluster,
        action,
    };
    (input, errors)
}

async fn decide(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<String>,
    CsrfForm(form): CsrfForm<MeetingForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let week = week_of(&path)?;
    let (input, unread) = decision_input(&form.fields);
    let (actor, tz) = (user.actor.clone(), user.known.timezone);
    let decided = service::run(&state.pool, move |conn| {
        meetings::decide(conn, &actor, week, &input, tz, unread)
    })
    .await;
    match decided {
        Ok((_, action)) => {
            let key = match action {
                Some(_) => "flash.decision_action",
                None => "flash.decision_added",
            };
            let id = action.map(|a| a.to_string()).unwrap_or_default();
            Flash::new(key, &[("id", id)]).keep(&user.session);
            Ok(back(week))
        }
        Err(AppError::Invalid(errors)) => {
            refused(&state, user, week, "decision".into(), errors, form.fields).await
        }
        Err(e) => Err(e),
    }
}

async fn change(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<(String, i64)>,
    CsrfForm(form): CsrfForm<MeetingForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (raw_week, id) = path.into_inner();
    let week = week_of(&raw_week)?;
    let body = form.fields.get("decision").cloned().unwrap_or_default();
    let actor = user.actor.clone();
    let changed = service::run(&state.pool, move |conn| {
        meetings::change_decision(conn, &actor, id, &body)
    })
    .await;
    match changed {
        Ok(week) => {
            Flash::new("flash.decision_changed", &[]).keep(&user.session);
            Ok(back(week))
        }
        Err(AppError::Invalid(errors)) => {
            let form_name = format!("decision-{id}");
            refused(&state, user, week, form_name, errors, form.fields).await
        }
        Err(e) => Err(e),
    }
}

async fn close(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<(String, i64)>,
    CsrfForm(_): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (raw_week, id) = path.into_inner();
    // Back to the page it was closed from (its own meeting's or a later one's).
    let from = week_of(&raw_week)?;
    let actor = user.actor.clone();
    service::run(&state.pool, move |conn| {
        meetings::close_decision(conn, &actor, id)
    })
    .await?;
    Flash::new("flash.decision_closed", &[]).keep(&user.session);
    Ok(back(from))
}

async fn to_action(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<(String, i64)>,
    CsrfForm(form): CsrfForm<MeetingForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let (raw_week, id) = path.into_inner();
    let week = week_of(&raw_week)?;
    let (input, unread) = decision_input(&form.fields);
    let (actor, tz) = (user.actor.clone(), user.known.timezone);
    let made = service::run(&state.pool, move |conn| {
        meetings::decision_to_action(conn, &actor, id, &input, tz, unread)
    })
    .await;
    match made {
        Ok(action) => {
            Flash::new("flash.decision_action", &[("id", action.to_string())]).keep(&user.session);
            Ok(back(week))
        }
        Err(AppError::Invalid(errors)) => {
            let form_name = format!("action-{id}");
            refused(&state, user, week, form_name, errors, form.fields).await
        }
        Err(e) => Err(e),
    }
}
