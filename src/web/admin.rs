//! Admin pages: people, departments, categories, the time zone.

use super::session::{CsrfForm, PageCtx, Signed};
use super::{ok, render, see_other};
use crate::app_state::AppState;
use crate::csrf_form;
use crate::domain::input::FieldErrors;
use crate::domain::role::Role;
use crate::domain::week::parse_timezone;
use crate::error::{AppError, AppResult};
use crate::service::accounts::NewUserInput;
use crate::service::accounts::UserRow;
use crate::service::catalog::{Catalog, CategoryInput};
use crate::service::{self, organisation};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin", web::get().to(index))
        .route("/admin/timezone", web::post().to(set_timezone))
        .route("/admin/users", web::post().to(add_user))
        .route("/admin/users/{id}", web::post().to(update_user))
        .route("/admin/departments", web::post().to(add_department))
        .route("/admin/departments/{id}", web::post().to(rename_department))
        .route("/admin/categories", web::post().to(add_category))
        .route("/admin/categories/{id}", web::post().to(update_category));
}

#[derive(Template)]
#[template(path = "admin/index.html")]
struct AdminPage {
    page: PageCtx,
    timezone: String,
    users: Vec<UserRow>,
    catalog: Catalog,
    user_form: UserForm,
    errors: FieldErrors,
    /// Which form the errors belong to.
    failed: &'static str,
}

impl AdminPage {
    fn err(&self, form: &str, field: &str) -> String {
        if self.failed != form {
            return String::new();
        }
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    fn department_slug(&self, id: &Option<i64>) -> String {
        self.catalog.department_slug(*id).unwrap_or("").to_string()
    }

    fn roles(&self) -> Vec<Role> {
        Role::ALL.to_vec()
    }
}

async fn admin_page(
    state: &AppState,
    page: PageCtx,
    user_form: UserForm,
    errors: FieldErrors,
    failed: &'static str,
) -> AppResult<AdminPage> {
    let organisation::Administration { users, catalog } =
        service::run(&state.pool, organisation::administration).await?;
    let timezone = catalog.timezone.name().to_string();
    Ok(AdminPage {
        page,
        timezone,
        users,
        catalog,
        user_form,
        errors,
        failed,
    })
}

async fn index(state: web::Data<AppState>, user: Signed) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let form = UserForm {
        role: "member".into(),
        ..Default::default()
    };
    ok(&admin_page(&state, user.page, form, FieldErrors::new(), "").await?)
}

/// Re-show the admin page with one form's errors and typed values, or pass other errors on.
async fn rejected(
    state: &AppState,
    user: Signed,
    result: AppError,
    form: &'static str,
    user_form: UserForm,
) -> AppResult<HttpResponse> {
    match result {
        AppError::Invalid(errors) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &admin_page(
                state,
                user.page,
                UserForm {
                    password: String::new(),
                    ..user_form
                },
                errors,
                form,
            )
            .await?,
        ),
        other => Err(other),
    }
}

#[derive(Deserialize)]
pub struct TimezoneForm {
    csrf_token: String,
    #[serde(default)]
    timezone: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    password: String,
}

#[derive(Deserialize)]
pub struct UserUpdateForm {
    csrf_token: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    active: Option<String>,
}

#[derive(Deserialize)]
pub struct DepartmentForm {
    csrf_token: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    name_zh: String,
}

#[derive(Deserialize)]
pub struct CategoryForm {
    csrf_token: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    active: Option<String>,
}

csrf_form!(
    TimezoneForm,
    UserForm,
    UserUpdateForm,
    DepartmentForm,
    CategoryForm
);

impl CategoryForm {
    fn input(&self) -> CategoryInput {
        CategoryInput {
            slug: self.slug.clone(),
            name_en: self.name_en.clone(),
            name_zh: self.name_zh.clone(),
            description: self.description.clone(),
            active: self.active.is_some(),
        }
    }
}

async fn set_timezone(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<TimezoneForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let Some(tz) = parse_timezone(&form.timezone) else {
        return rejected(
            &state,
            user,
            AppError::field("timezone", "error.timezone"),
            "timezone",
            UserForm::default(),
        )
        .await;
    };
    let actor = user.actor.clone();
    service::run(&state.pool, move |conn| {
        organisation::set_timezone(conn, Some(&actor), tz)
    })
    .await?;
    Ok(see_other("/admin"))
}

async fn add_user(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<UserForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    let input = NewUserInput {
        login: form.login.clone(),
        display_name: form.display_name.clone(),
        role: form.role.clone(),
        department: form.department.clone(),
        password: form.password.clone(),
        language: String::new(),
    };
    match service::run(&state.pool, move |conn| {
        service::accounts::create_user(conn, Some(&actor), &input)
    })
    .await
    {
        Ok(_) => Ok(see_other("/admin#users")),
        Err(e) => rejected(&state, user, e, "user", form).await,
    }
}

async fn update_user(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<UserUpdateForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    let id = path.into_inner();
    service::run(&state.pool, move |conn| {
        service::accounts::update_user(
            conn,
            &actor,
            id,
            &form.role,
            &form.department,
            form.active.is_some(),
        )
    })
    .await?;
    Ok(see_other("/admin#users"))
}

async fn add_department(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<DepartmentForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    match service::run(&state.pool, move |conn| {
        service::catalog::add_department_named(conn, &actor, &form.slug, &form.name, &form.name_zh)
    })
    .await
    {
        Ok(_) => Ok(see_other("/admin#departments")),
        Err(e) => rejected(&state, user, e, "department", UserForm::default()).await,
    }
}

async fn rename_department(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<DepartmentForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    let id = path.into_inner();
    match service::run(&state.pool, move |conn| {
        service::catalog::rename_department(conn, &actor, id, &form.name, &form.name_zh)
    })
    .await
    {
        Ok(()) => Ok(see_other("/admin#departments")),
        Err(e) => rejected(&state, user, e, "department", UserForm::default()).await,
    }
}

async fn add_category(
    state: web::Data<AppState>,
    user: Signed,
    CsrfForm(form): CsrfForm<CategoryForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    let input = form.input();
    match service::run(&state.pool, move |conn| {
        service::catalog::add_category(conn, &actor, &input)
    })
    .await
    {
        Ok(_) => Ok(see_other("/admin#categories")),
        Err(e) => rejected(&state, user, e, "category", UserForm::default()).await,
    }
}

async fn update_category(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<CategoryForm>,
) -> AppResult<HttpResponse> {
    user.actor.require(Role::Admin)?;
    let actor = user.actor.clone();
    let id = path.into_inner();
    let input = form.input();
    match service::run(&state.pool, move |conn| {
        service::catalog::update_category(conn, &actor, id, &input)
    })
    .await
    {
        Ok(()) => Ok(see_other("/admin#categories")),
        Err(e) => rejected(&state, user, e, "category", UserForm::default()).await,
    }
}
