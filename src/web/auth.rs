//! First-run setup, signing in and out.

use super::session::{CsrfForm, PageCtx, Signed, Visitor, sign_in, sign_out};
use super::{ok, render, safe_next, see_other};
use crate::app_state::AppState;
use crate::client_address::TrustedProxies;
use crate::csrf_form;
use crate::domain::input::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::service::{self, accounts::NewUserInput};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/setup", web::get().to(setup_page))
        .route("/setup", web::post().to(setup_submit))
        .route("/login", web::get().to(login_page))
        .route("/login", web::post().to(login_submit))
        .route("/logout", web::post().to(logout));
}

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    page: PageCtx,
    form: SetupForm,
    errors: FieldErrors,
    departments: Vec<crate::service::catalog::DepartmentRow>,
}

impl SetupPage {
    fn err(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Debug, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: String,
}

csrf_form!(SetupForm, LoginForm, LogoutForm);

async fn departments(state: &AppState) -> AppResult<Vec<crate::service::catalog::DepartmentRow>> {
    service::run(&state.pool, service::catalog::department_choices).await
}

async fn setup_page(state: web::Data<AppState>, visitor: Visitor) -> AppResult<HttpResponse> {
    if state.has_users().await? {
        return Ok(see_other("/login"));
    }
    ok(&SetupPage {
        page: visitor.page,
        form: SetupForm {
            department: "operations".into(),
            ..Default::default()
        },
        errors: FieldErrors::new(),
        departments: departments(&state).await?,
    })
}

async fn setup_submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    let input = NewUserInput {
        login: form.login.clone(),
        display_name: form.display_name.clone(),
        role: String::new(),
        department: form.department.clone(),
        password: form.password.clone(),
        language: visitor.page.lang.code().into(),
    };
    // Setup hashes a password for anyone while nobody exists: it waits its turn too.
    let created = match state.guard.hashing().await {
        Ok(_turn) => {
            service::run(&state.pool, move |conn| {
                service::accounts::create_first_admin(conn, &input)
            })
            .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(actor) => {
            state.mark_has_users();
            sign_in(&visitor.session, &actor)?;
            Ok(see_other("/admin"))
        }
        Err(AppError::Invalid(errors)) => {
            let form = SetupForm {
                password: String::new(),
                ..form
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetupPage {
                    page: visitor.page,
                    form,
                    errors,
                    departments: departments(&state).await?,
                },
            )
        }
        Err(AppError::Forbidden) => Ok(see_other("/login")),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    page: PageCtx,
    login: String,
    next: String,
    failed: bool,
    /// Too many attempts: how long to wait, in the reader's language.
    throttled: Option<String>,
}

impl LoginPage {
    /// This page in another language (`?lang=`), keeping where to go after signing in.
    fn in_lang(&self, lang: &crate::i18n::Lang) -> String {
        format!(
            "/login?lang={}&next={}",
            lang.code(),
            urlencoding::encode(&self.next)
        )
    }

    fn langs(&self) -> [crate::i18n::Lang; 2] {
        crate::i18n::Lang::ALL
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

async fn login_page(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    if !state.has_users().await? {
        return Ok(see_other("/setup"));
    }
    ok(&LoginPage {
        page: visitor.page,
        login: String::new(),
        next: safe_next(query.next.as_deref()).to_string(),
        failed: false,
        throttled: None,
    })
}

async fn login_submit(
    state: web::Data<AppState>,
    proxies: web::Data<TrustedProxies>,
    req: HttpRequest,
    visitor: Visitor,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    let (login, password) = (form.login.clone(), form.password.clone());
    let address = proxies.of_request(&req);
    let signed =
        service::sign_in::sign_in_guarded(&state.pool, &state.guard, login, password, address)
            .await;
    let page = |failed, throttled| LoginPage {
        page: visitor.page.clone(),
        login: form.login.clone(),
        next: safe_next(Some(&form.next)).to_string(),
        failed,
        throttled,
    };
    match signed {
        Ok(Some(actor)) => {
            sign_in(&visitor.session, &actor)?;
            Ok(see_other(safe_next(Some(&form.next))))
        }
        Ok(None) => render(StatusCode::UNAUTHORIZED, &page(true, None)),
        Err(AppError::TooManyRequests { retry_after }) => {
            let minutes = retry_after.div_ceil(60).to_string();
            let message = visitor
                .page
                .lang
                .t_with("throttle.wait", &[("minutes", minutes.as_str())]);
            let mut res = render(StatusCode::TOO_MANY_REQUESTS, &page(false, Some(message)))?;
            res.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(retry_after),
            );
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

/// Signing out ends every session of the person, so a copied cookie is worthless too.
async fn logout(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(_form): CsrfForm<LogoutForm>,
) -> AppResult<HttpResponse> {
    let actor = user.actor.clone();
    service::run(&state.pool, move |conn| {
        service::accounts::end_sessions(conn, &actor)
    })
    .await?;
    sign_out(&user.session);
    Ok(see_other("/login"))
}
