//! The triage queue: clusters started by an incident that matched nothing; those that
//! look like the same cluster are merged into it in one step.

use super::flash::Flash;
use super::session::{CsrfForm, PageCtx, Signed};
use super::{render, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::clusters::Triage;
use crate::web::format::local_datetime;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/triage", web::get().to(triage))
        .route("/triage/merge", web::post().to(merge_gathered));
}

#[derive(Template)]
#[template(path = "clusters/triage.html")]
struct TriagePage {
    page: PageCtx,
    triage: Triage,
    catalog: Catalog,
    tz: Tz,
    /// A group merge that was refused: the cluster it was for, and why.
    refused: Option<(i64, String)>,
}

impl TriagePage {
    fn category_name(&self, id: &i64) -> String {
        self.catalog.category_label(*id, self.page.lang)
    }

    fn when(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        at.map(|t| local_datetime(t.and_utc(), self.tz))
            .unwrap_or_default()
    }

    fn refusal(&self, into: &i64) -> String {
        match &self.refused {
            Some((id, why)) if id == into => why.clone(),
            _ => String::new(),
        }
    }
}

async fn triage(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    show(&state, user, StatusCode::OK, None).await
}

async fn show(
    state: &AppState,
    user: Signed,
    status: StatusCode,
    refused: Option<(i64, String)>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let grouping = state.grouping.clone();
    let items = service::run(&state.pool, move |conn| {
        service::clusters::triage(conn, &grouping, 100)
    })
    .await?;
    let (catalog, tz) = (user.known.as_ref().clone(), user.known.timezone);
    render(
        status,
        &TriagePage {
            page: user.page,
            triage: Triage::gather(items),
            catalog,
            tz,
            refused,
        },
    )
}

/// `into` and a `merge_<id>=1` for each cluster checked.
#[derive(Deserialize)]
pub struct GatheredForm {
    csrf_token: String,
    #[serde(default)]
    into: String,
    #[serde(flatten)]
    fields: HashMap<String, String>,
}

csrf_form!(GatheredForm);

async fn merge_gathered(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<GatheredForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Lead)?;
    let into = form.into.trim().parse::<i64>().unwrap_or(0);
    let from: Vec<i64> = form
        .fields
        .keys()
        .filter_map(|k| k.strip_prefix("merge_")?.parse().ok())
        .collect();
    let (actor, grouping, n) = (user.actor.clone(), state.grouping.clone(), from.len());
    let merged = service::run(&state.pool, move |conn| {
        service::clusters::merge_many(conn, &grouping, &actor, &from, into)
    })
    .await;
    match merged {
        Ok(_) => {
            let args = [("n", n.to_string()), ("into", into.to_string())];
            Flash::new("flash.merged_many", &args).keep(&user.session);
            Ok(see_other("/triage"))
        }
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let lang = user.page.lang;
            let fields: Vec<String> = e.fields_in(lang).into_values().collect();
            let why = match fields.is_empty() {
                true => e.message_in(lang),
                false => fields.join(" "),
            };
            show(
                &state,
                user,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((into, why)),
            )
            .await
        }
        Err(e) => Err(e),
    }
}
