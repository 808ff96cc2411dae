//! The ladder through the API: actions on a cluster, their workflow, effect and the coach.

use super::auth::ApiUser;
use super::body::Fields;
use crate::app_state::AppState;
use crate::error::{ApiResult, AppError};
use crate::service::ladder::ActionInput;
use crate::service::{self, effects, organisation};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/clusters/{id}/actions", web::post().to(create))
        .route("/clusters/{id}/coach", web::get().to(coach))
        .route("/actions/{id}", web::get().to(get))
        .route("/actions/{id}/advance", web::post().to(advance))
        .route("/actions/{id}/signoffs", web::post().to(sign_off))
        .route("/actions/{id}/weights", web::post().to(weight));
}

fn id(path: &str) -> Result<i64, AppError> {
    path.parse().map_err(|_| AppError::NotFound)
}

/// Reads an action's JSON body into its input: a body that is not an object is a
/// `BadRequest`, a wrong or unknown field an `Invalid` with a message per field. The
/// values themselves are checked when the action is created. Public for the fuzz targets.
pub fn parse_action(body: Value) -> Result<ActionInput, AppError> {
    let mut f = Fields::new(body)?;
    let input = ActionInput {
        rung: f.integer("rung", true),
        title: f.string("title", true),
        why: f.string("why", false),
        owner: f.string("owner", false),
        due_on: f.string("due_on", false),
        goal_kind: f.string("goal_kind", false),
        goal_value: f.number("goal_value"),
        launched_on: f.string("launched_at", false),
        review_after_weeks: f.integer("review_after_weeks", false),
        departments: f.strings("departments"),
        retro_weeks: f.integer("retro_weeks", false),
        kpi_department: f.string("kpi_department", false),
        kpi_item: f.string("kpi_item", false),
        kpi_definition: f.string("kpi_definition", false),
        kpi_weight: f.number("kpi_weight"),
        guard_cluster: f.integer("guard_cluster", false),
        guard_category: f.string("guard_category", false),
        guard_margin: f.number("guard_margin"),
    };
    f.finish()?;
    Ok(input)
}

async fn create(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let cluster_id = id(&path)?;
    let input = parse_action(body.into_inner())?;
    let actor = user.0;
    let view = service::run(&state.pool, move |conn| {
        let tz = organisation::timezone(conn)?;
        let id = service::ladder::create(conn, &actor, cluster_id, &input, tz)?;
        action_json(conn, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

/// `?as_of=YYYY-MM-DD`: judge as on that day (for retrospectives and history).
#[derive(serde::Deserialize)]
pub struct AsOf {
    as_of: Option<String>,
}

fn instant(as_of: Option<&str>) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    match as_of.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(chrono::Utc::now()),
        Some(s) => crate::domain::input::calendar_date(s)
            .map_err(|k| AppError::field("as_of", k))?
            .and_hms_opt(12, 0, 0)
            .map(|t| t.and_utc())
            .ok_or_else(|| AppError::field("as_of", "error.date")),
    }
}

fn action_json(conn: &mut crate::db::DbConn, id: i64) -> Result<Value, AppError> {
    action_json_at(conn, id, chrono::Utc::now())
}

fn action_json_at(
    conn: &mut crate::db::DbConn,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, AppError> {
    let tz = organisation::timezone(conn)?;
    let page = service::ladder::action_page(conn, id, tz, now)?;
    let mut v = serde_json::to_value(&page.action).map_err(AppError::internal)?;
    v["effect"] = serde_json::to_value(&page.effect).map_err(AppError::internal)?;
    v["steps"] = json!(page.steps);
    v["signoffs"] = json!(page.signoffs);
    v["weights"] = json!(page.weights);
    Ok(v)
}

async fn get(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
    query: web::Query<AsOf>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let now = instant(query.as_of.as_deref())?;
    let view = service::run(&state.pool, move |conn| action_json_at(conn, id, now)).await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn advance(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let mut f = Fields::new(body.into_inner())?;
    let (stage, on, note) = (
        f.string("stage", true),
        f.string("on", false),
        f.string("note", false),
    );
    f.finish()?;
    let actor = user.0;
    let view = service::run(&state.pool, move |conn| {
        let tz = organisation::timezone(conn)?;
        service::ladder::advance(conn, &actor, id, &stage, &on, &note, tz)?;
        action_json(conn, id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn sign_off(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let mut f = Fields::new(body.into_inner())?;
    let (department, decision, comment) = (
        f.string("department", true),
        f.string("decision", true),
        f.string("comment", false),
    );
    f.finish()?;
    let actor = user.0;
    let view = service::run(&state.pool, move |conn| {
        service::ladder::sign_off(conn, &actor, id, &department, &decision, &comment)?;
        action_json(conn, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

async fn weight(
    state: web::Data<AppState>,
    user: ApiUser,
    path: web::Path<String>,
    body: web::Json<Value>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let mut f = Fields::new(body.into_inner())?;
    let (weight, on, reason) = (
        f.number("weight"),
        f.string("on", false),
        f.string("reason", true),
    );
    f.finish()?;
    let weight = weight.ok_or_else(|| AppError::field("weight", "error.required"))?;
    let actor = user.0;
    let view = service::run(&state.pool, move |conn| {
        let tz = organisation::timezone(conn)?;
        service::ladder::revise_weight(conn, &actor, id, weight, &on, &reason, tz)?;
        action_json(conn, id)
    })
    .await?;
    Ok(HttpResponse::Created().json(view))
}

async fn coach(
    state: web::Data<AppState>,
    _user: ApiUser,
    path: web::Path<String>,
    query: web::Query<AsOf>,
) -> ApiResult<HttpResponse> {
    let id = id(&path)?;
    let now = instant(query.as_of.as_deref())?;
    let review = state.review.clone();
    let view = service::run(&state.pool, move |conn| {
        let tz = organisation::timezone(conn)?;
        effects::coach(conn, id, tz, now, &review)
    })
    .await?;
    let lang = crate::i18n::Lang::En;
    Ok(HttpResponse::Ok().json(json!({
        "current_rung": view.current_rung,
        "recommended_rung": view.recommended_rung,
        "question": view.question.map(|q| lang.t(q)),
        "reason": view.reason,
        "reason_text": lang.t(&format!("coach.reason.{}", view.reason)),
        "evidence": view.evidence,
    })))
}
