//! A person's own settings: language and API tokens.

use super::session::{CsrfForm, PageCtx, Signed};
use super::{ok, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service;
use crate::service::tokens::TokenRow;
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
    /// A refused token form: the label as typed and why.
    label: String,
    label_error: Option<String>,
    tz: Tz,
}

/// The new token waits in the session for the one page that shows it (POST, redirect,
/// GET): a refresh neither makes another token nor shows this one again.
const NEW_TOKEN: &str = "new_token";

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

/// The person's tokens, with the time zone their dates are shown in (the request's).
async fn load(state: &AppState, user: &Signed) -> AppResult<(Vec<TokenRow>, Tz)> {
    let user_id = user.actor.id;
    let tokens = service::run(&state.pool, move |conn| {
        service::tokens::list(conn, user_id)
    })
    .await?;
    Ok((tokens, user.known.timezone))
}

async fn page(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    let (tokens, tz) = load(&state, &user).await?;
    let new_token = user
        .session
        .remove_as::<String>(NEW_TOKEN)
        .and_then(Result::ok);
    ok(&AccountPage {
        page: user.page,
        tokens,
        new_token,
        label: String::new(),
        label_error: None,
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
    let label = form.label.clone();
    let created = service::run(&state.pool, move |conn| {
        service::tokens::create_labelled(conn, &actor, &label)
    })
    .await;
    match created {
        Ok(token) => {
            user.session
                .insert(NEW_TOKEN, token)
                .map_err(AppError::internal)?;
            Ok(see_other("/account"))
        }
        Err(AppError::Invalid(errors)) => {
            let (tokens, tz) = load(&state, &user).await?;
            let label_error = errors.get("label").map(|k| user.page.t(k));
            super::render(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                &AccountPage {
                    page: user.page,
                    tokens,
                    new_token: None,
                    label: form.label,
                    label_error,
                    tz,
                },
            )
        }
        Err(e) => Err(e),
    }
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
