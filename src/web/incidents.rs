//! Filing, listing and reading incidents; the one-off fix.

use super::session::{CsrfForm, PageCtx, Signed};
use super::{ok, render, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::input::FieldErrors;
use crate::domain::states::{IncidentStatus, JoinReason};
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::incidents::{Filters, IncidentListRow, IncidentPage};
use crate::service::incidents::{IncidentView, TimelineEntry};
use crate::service::intake::{Filer, RawIncident};
use crate::web::format::{local_datetime, local_input_value};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/incidents", web::get().to(list))
        .route("/incidents", web::post().to(file))
        .route("/incidents/new", web::get().to(new_form))
        .route("/incidents/{id}", web::get().to(show))
        .route("/incidents/{id}/status", web::post().to(set_status));
}

#[derive(Debug, Default, Deserialize)]
pub struct IncidentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    raw: RawIncident,
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

csrf_form!(IncidentForm, StatusForm);

#[derive(Template)]
#[template(path = "incidents/new.html")]
struct NewPage {
    page: PageCtx,
    form: RawIncident,
    errors: FieldErrors,
    catalog: Catalog,
    /// Why the database could not take the filing just now, in the reader's language.
    fault: Option<String>,
}

impl NewPage {
    fn err(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    fn category_name(&self, en: &str, zh: &str) -> String {
        match self.page.lang {
            crate::i18n::Lang::Zh => zh.to_string(),
            crate::i18n::Lang::En => en.to_string(),
        }
    }
}

async fn new_form(user: Signed) -> AppResult<HttpResponse> {
    let (catalog, tz) = (user.known.as_ref().clone(), user.known.timezone);
    let form = RawIncident {
        category: catalog
            .categories
            .first()
            .map(|c| c.slug.clone())
            .unwrap_or_default(),
        department: catalog
            .department_slug(user.actor.department_id)
            .unwrap_or_default()
            .to_string(),
        occurred_at: local_input_value(chrono::Utc::now(), tz),
        ..Default::default()
    };
    ok(&NewPage {
        page: user.page,
        form,
        errors: FieldErrors::new(),
        catalog,
        fault: None,
    })
}

async fn file(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<IncidentForm>,
) -> AppResult<HttpResponse> {
    let actor = user.actor.clone();
    let raw = form.raw.clone();
    let filed = state.intake.file(Filer::Person(actor), raw).await;
    // A refused filing comes back with everything typed: bad fields with a message
    // each, a fault of the database with its reason (nothing typed is lost).
    let (status, errors, fault) = match filed {
        Ok(f) => return Ok(see_other(&format!("/incidents/{}?filed=1", f.id))),
        Err(AppError::Invalid(errors)) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
        Err(AppError::Unavailable(fault)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            FieldErrors::new(),
            Some(user.page.t(fault.message_key())),
        ),
        Err(e) => return Err(e),
    };
    let mut res = render(
        status,
        &NewPage {
            catalog: user.known.as_ref().clone(),
            page: user.page,
            form: form.raw,
            errors,
            fault,
        },
    )?;
    if status == StatusCode::SERVICE_UNAVAILABLE {
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(5),
        );
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "incidents/show.html")]
struct ShowPage {
    page: PageCtx,
    incident: IncidentView,
    timeline: Vec<TimelineEntry>,
    tz: Tz,
    filed: bool,
    can_change: bool,
    cluster: Option<crate::service::clusters::ClusterRow>,
    joined: bool,
    this_week: i32,
    known: std::sync::Arc<crate::service::catalog::Catalog>,
}

impl ShowPage {
    /// A department, by its slug, named in the reader's language.
    fn department(&self, slug: &Option<String>) -> String {
        slug.as_deref()
            .and_then(|s| self.known.department_by_slug(s))
            .map_or_else(|| "—".to_string(), |d| d.label(self.page.lang).to_string())
    }

    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime(*at, self.tz)
    }
}

#[derive(Deserialize)]
pub struct ShowQuery {
    filed: Option<String>,
}

async fn show(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let (known, tz) = (user.known.clone(), user.known.timezone);
    let service::incidents::IncidentShown {
        incident,
        timeline,
        cluster,
        this_week,
    } = service::run(&state.pool, move |conn| {
        service::incidents::shown(conn, id, &known)
    })
    .await?;
    let joined = incident.join_reason.is_some_and(|r| r != JoinReason::New);
    let can_change = incident.reporter_id == user.actor.id || user.actor.is_lead();
    ok(&ShowPage {
        page: user.page,
        incident,
        timeline,
        tz,
        filed: query.filed.is_some(),
        can_change,
        cluster,
        joined,
        this_week,
        known: user.known,
    })
}

async fn set_status(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<StatusForm>,
) -> AppResult<HttpResponse> {
    let id = path.into_inner();
    let actor = user.actor.clone();
    service::run(&state.pool, move |conn| {
        service::incidents::set_status(conn, &actor, id, &form.status, &form.note)
    })
    .await?;
    Ok(see_other(&format!("/incidents/{id}")))
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(flatten)]
    filters: Filters,
    #[serde(default)]
    mine: String,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "incidents/list.html")]
struct ListPage {
    page: PageCtx,
    query: ListQuery,
    rows: Vec<IncidentListRow>,
    total: i64,
    page_no: i64,
    pages: i64,
    catalog: Catalog,
    tz: Tz,
    query_string: String,
    /// Filters that name nothing known, each with its message key.
    errors: FieldErrors,
}

impl ListPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        local_datetime(at.and_utc(), self.tz)
    }

    fn category(&self, id: &i64) -> String {
        self.catalog.category_label(*id, self.page.lang)
    }

    fn department(&self, id: &Option<i64>) -> String {
        self.catalog.department_label(*id, self.page.lang)
    }

    fn error(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }
}

async fn list(
    state: web::Data<AppState>,
    user: Signed,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let mine = (!query.mine.is_empty()).then_some(user.actor.id);
    let (catalog, tz) = (user.known.as_ref().clone(), user.known.timezone);
    let mut query_string = query.filters.query_string();
    if !query.mine.is_empty() {
        query_string.push_str("mine=1&");
    }
    let (result, errors) = match query.filters.resolve(&catalog, mine) {
        Ok(filter) => {
            let page_no = query.page.unwrap_or(1);
            let listed = service::run(&state.pool, move |conn| {
                service::incidents::list(conn, &filter, page_no)
            })
            .await?;
            (listed, FieldErrors::new())
        }
        // A filter that names nothing known: said beside it, with what was typed kept.
        Err(AppError::Invalid(errors)) => (IncidentPage::empty(), errors),
        Err(e) => return Err(e),
    };
    ok(&ListPage {
        page: user.page,
        rows: result.rows,
        total: result.total,
        page_no: result.page,
        pages: result.pages,
        catalog,
        tz,
        query,
        query_string,
        errors,
    })
}
