//! A person's own settings: language and API tokens.

use super::session::{CsrfForm, PageCtx, Signed};
use super::{ok, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::db::tokens::TokenRow;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service::{self, organisation};
use crate::web::format::local_datetime;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/account", web::get().to(page))
        .route("/account/language", web::post().to(set_language))
        .route("/account/tokens", web::post().to(create_token))
        .route("/account/tokens/{id}/revoke", web::post().to(revoke_token));
}

#[derive(Template)]
#[template(path = "account/index.html")]
struct AccountPage {
    page: PageCtx,
    tokens: Vec<TokenRow>,
    new_token: Option<String>,
    tz: Tz,
}

impl AccountPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        local_datetime(at.and_utc(), self.tz)
    }

    fn languages(&self) -> [Lang; 2] {
        Lang::ALL
    }

    fn preferred(&self) -> Option<Lang> {
        self.page.user.as_ref().and_then(|u| u.language)
    }
}

async fn load(state: &AppState, user_id: i64) -> AppResult<(Vec<TokenRow>, Tz)> {
    service::run(&state.pool, move |conn| {
        Ok((
            service::tokens::list(conn, user_id)?,
            organisation::timezone(conn)?,
        ))
    })
    .await
}

async fn page(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    let (tokens, tz) = load(&state, user.actor.id).await?;
    ok(&AccountPage {
        page: user.page,
        tokens,
        new_token: None,
        tz,
    })
}

#[derive(Deserialize)]
pub struct LanguageForm {
    csrf_token: String,
    #[serde(default)]
    language: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    csrf_token: String,
    #[serde(default)]
    label: String,
}

#[derive(Deserialize)]
pub struct PlainForm {
    csrf_token: String,
}

csrf_form!(LanguageForm, TokenForm, PlainForm);

async fn set_language(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<LanguageForm>,
) -> AppResult<HttpResponse> {
    let actor = user.actor.clone();
    let lang = Lang::parse(&form.language);
    if lang.is_none() && !form.language.trim().is_empty() {
        // Not the form's "as my browser says" (empty): refuse, do not reset the choice.
        return Err(AppError::BadRequest(
            "unknown language: choose en or zh-CN".into(),
        ));
    }
    service::run(&state.pool, move |conn| {
        service::accounts::set_language(conn, &actor, lang)
    })
    .await?;
    Ok(see_other("/account"))
}

async fn create_token(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> AppResult<HttpResponse> {
    let actor = user.actor.clone();
    let token = service::run(&state.pool, move |conn| {
        service::tokens::create(conn, Some(&actor), actor.id, &form.label)
    })
    .await?;
    let (tokens, tz) = load(&state, user.actor.id).await?;
    // Shown once, on this answer only; never stored.
    ok(&AccountPage {
        page: user.page,
        tokens,
        new_token: Some(token),
        tz,
    })
}

async fn revoke_token(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(_form): CsrfForm<PlainForm>,
) -> AppResult<HttpResponse> {
    let actor = user.actor.clone();
    let id = path.into_inner();
    service::run(&state.pool, move |conn| {
        service::tokens::revoke(conn, &actor, id)
    })
    .await?;
    Ok(see_other("/account"))
}
