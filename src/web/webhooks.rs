//! The admin's webhooks page: endpoints, recent deliveries, "send test", "redeliver".

use super::session::{CsrfForm, PageCtx, Signed};
use super::{ok, render, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::input::FieldErrors;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service::webhooks::{DeliveryRow, EndpointRow};
use crate::service::{self, webhooks};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/webhooks", web::get().to(index))
        .route("/admin/webhooks", web::post().to(add))
        .route("/admin/webhooks/{id}/test", web::post().to(send_test))
        .route("/admin/webhooks/{id}/active", web::post().to(set_active))
        .route(
            "/admin/webhooks/deliveries/{id}/redeliver",
            web::post().to(redeliver),
        );
}

/// The kinds as the form's checkbox names (dots do not survive every form parser).
const FIELDS: [(&str, &str); 7] = [
    ("cluster_spike", "cluster.spike"),
    ("cluster_regressed", "cluster.regressed"),
    ("cluster_resolved", "cluster.resolved"),
    ("action_overdue", "action.overdue"),
    ("action_verdict", "action.verdict"),
    ("goal_behind", "goal.behind"),
    ("incident_filed", "incident.filed"),
];

#[derive(Debug, Default, Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    language: String,
    cluster_spike: Option<String>,
    cluster_regressed: Option<String>,
    cluster_resolved: Option<String>,
    action_overdue: Option<String>,
    action_verdict: Option<String>,
    goal_behind: Option<String>,
    incident_filed: Option<String>,
}

impl EndpointForm {
    fn chosen(&self) -> Vec<String> {
        let ticks = [
            &self.cluster_spike,
            &self.cluster_regressed,
            &self.cluster_resolved,
            &self.action_overdue,
            &self.action_verdict,
            &self.goal_behind,
            &self.incident_filed,
        ];
        FIELDS
            .iter()
            .zip(ticks)
            .filter(|(_, t)| t.is_some())
            .map(|((_, kind), _)| kind.to_string())
            .collect()
    }
}

#[derive(Deserialize)]
pub struct ActiveForm {
    csrf_token: String,
    #[serde(default)]
    active: String,
}

#[derive(Deserialize)]
pub struct ButtonForm {
    csrf_token: String,
}

csrf_form!(EndpointForm, ActiveForm, ButtonForm);

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    page: PageCtx,
    endpoints: Vec<EndpointRow>,
    deliveries: Vec<DeliveryRow>,
    form: EndpointForm,
    chosen: Vec<String>,
    errors: FieldErrors,
}

impl WebhooksPage {
    fn err(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    fn fields(&self) -> [(&'static str, &'static str); 7] {
        FIELDS
    }

    fn checked(&self, kind: &str) -> bool {
        self.chosen.iter().any(|c| c == kind)
    }

    fn langs(&self) -> [Lang; 2] {
        Lang::ALL
    }

    fn url_of(&self, endpoint_id: &i64) -> String {
        self.endpoints
            .iter()
            .find(|e| e.id == *endpoint_id)
            .map(|e| e.url.clone())
            .unwrap_or_default()
    }
}

async fn page(
    state: &AppState,
    user: Signed,
    form: EndpointForm,
    errors: FieldErrors,
) -> AppResult<WebhooksPage> {
    let actor = user.actor.clone();
    let view = service::run(&state.pool, move |conn| webhooks::view(conn, &actor)).await?;
    let chosen = form.chosen();
    Ok(WebhooksPage {
        page: user.page,
        endpoints: view.endpoints,
        deliveries: view.deliveries,
        form,
        chosen,
        errors,
    })
}

async fn index(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let form = EndpointForm {
        language: user.page.lang.code().to_string(),
        ..Default::default()
    };
    ok(&page(&state, user, form, FieldErrors::new()).await?)
}

async fn add(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    let input = webhooks::EndpointInput {
        url: form.url.clone(),
        secret: form.secret.clone(),
        events: form.chosen(),
        language: form.language.clone(),
    };
    match service::run(&state.pool, move |conn| {
        webhooks::register(conn, &actor, &input)
    })
    .await
    {
        Ok(_) => Ok(see_other("/admin/webhooks")),
        Err(AppError::Invalid(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, user, form, errors).await?,
        ),
        Err(e) => Err(e),
    }
}

async fn send_test(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(_form): CsrfForm<ButtonForm>,
) -> AppResult<HttpResponse> {
    let (actor, id) = (user.actor.clone(), path.into_inner());
    service::run(&state.pool, move |conn| {
        webhooks::send_test(conn, &actor, id)
    })
    .await?;
    Ok(see_other("/admin/webhooks#deliveries"))
}

async fn set_active(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ActiveForm>,
) -> AppResult<HttpResponse> {
    let (actor, id) = (user.actor.clone(), path.into_inner());
    let active = form.active == "1";
    service::run(&state.pool, move |conn| {
        webhooks::set_active(conn, &actor, id, active)
    })
    .await?;
    Ok(see_other("/admin/webhooks"))
}

async fn redeliver(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(_form): CsrfForm<ButtonForm>,
) -> AppResult<HttpResponse> {
    let (actor, id) = (user.actor.clone(), path.into_inner());
    service::run(&state.pool, move |conn| {
        webhooks::redeliver(conn, &actor, id)
    })
    .await?;
    Ok(see_other("/admin/webhooks#deliveries"))
}
