//! One error type, and the one place errors become HTTP: an HTML page for the
//! web pages, `{"error", "fields"}` for the API (through `ApiError`).

use crate::db::fault::Fault;
use crate::domain::input::FieldErrors;
use crate::i18n::Lang;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("you may not do this")]
    Forbidden,
    #[error("sign in first")]
    LoginRequired { next: String },
    #[error("rungs has no users yet")]
    SetupRequired,
    #[error("missing or invalid API token")]
    Unauthorized,
    #[error("the form expired or did not come from rungs; reload the page and try again")]
    Csrf,
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("{0}")]
    BadRequest(String),
    /// The request clashes with the state of things; a message key (`conflict.…`).
    #[error("{}", Lang::En.t(.0))]
    Conflict(&'static str),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// Too many attempts (sign-ins, API tokens): try again after this many seconds.
    #[error("too many attempts; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// The database cannot do its part now, for a reason outside the request (503).
    #[error("{}", .0.reason())]
    Unavailable(Fault),
    #[error("database error: {0}")]
    Database(diesel::result::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match Fault::of(&e) {
            Some(fault) => Self::Unavailable(fault),
            None => Self::Database(e),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection in time");
        Self::Unavailable(Fault::Unreachable)
    }
}

/// How long a client is asked to wait before trying again after a fault.
const RETRY_AFTER_FAULT: u64 = 5;

impl AppError {
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    pub fn field(field: &str, message_key: &'static str) -> Self {
        Self::Invalid(FieldErrors::single(field, message_key))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::LoginRequired { .. } | Self::SetupRequired => StatusCode::SEE_OTHER,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What the user is told: server faults stay in the log, not on the page.
    pub fn public_message(&self) -> String {
        match self {
            Self::Database(_) | Self::Internal(_) => {
                "something went wrong on our side; it has been logged".into()
            }
            Self::Unavailable(fault) => format!(
                "rungs cannot save or read this right now: {}. Nothing was lost; try again in a moment.",
                fault.reason()
            ),
            other => other.to_string(),
        }
    }

    fn log(&self) {
        match self {
            // A fault is logged once, when it starts (`db::fault::observe`), not per request.
            Self::Unavailable(_) => {}
            _ if self.status().is_server_error() => {
                tracing::error!(error = %self, "request failed");
            }
            _ => {}
        }
    }

    /// `Retry-After`, in seconds, for the answers that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after } => Some(*retry_after),
            Self::Unavailable(_) => Some(RETRY_AFTER_FAULT),
            _ => None,
        }
    }

    /// What a page tells the reader, in `lang`.
    pub fn message_in(&self, lang: Lang) -> String {
        let key = match self {
            Self::NotFound => "problem.not_found",
            Self::Forbidden => "problem.forbidden",
            Self::Csrf => "problem.csrf",
            Self::PayloadTooLarge => "problem.too_large",
            Self::RequestTimeout => "problem.timeout",
            Self::TooManyRequests { retry_after } => {
                let minutes = retry_after.div_ceil(60).to_string();
                return lang.t_with("throttle.wait", &[("minutes", minutes.as_str())]);
            }
            Self::Unavailable(fault) => fault.message_key(),
            Self::Conflict(key) => key,
            // Pages that cannot show the form again still say what was wrong.
            Self::Invalid(_) => {
                return format!("{} {}", lang.t("problem.invalid"), field_list(self, lang));
            }
            other if other.status().is_server_error() => "problem.server",
            other => return other.public_message(),
        };
        lang.t(key)
    }

    pub fn fields_in(&self, lang: Lang) -> BTreeMap<String, String> {
        match self {
            Self::Invalid(fields) => fields
                .iter()
                .map(|(f, key)| (f.to_string(), lang.t(key)))
                .collect(),
            _ => BTreeMap::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    message_en: &'a str,
    message_zh: &'a str,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        match self {
            Self::LoginRequired { next } => {
                let to = format!("/login?next={}", urlencoding::encode(next));
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .finish()
            }
            Self::SetupRequired => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/setup"))
                .finish(),
            _ => {
                let (en, zh) = (self.message_in(Lang::En), self.message_in(Lang::Zh));
                let page = ErrorPage {
                    status: self.status().as_u16(),
                    message_en: &en,
                    message_zh: &zh,
                };
                let body = page.render().unwrap_or_else(|_| en.clone());
                let mut res = HttpResponse::build(self.status());
                if let Some(seconds) = self.retry_after() {
                    res.insert_header((header::RETRY_AFTER, seconds));
                }
                res.content_type("text/html; charset=utf-8").body(body)
            }
        }
    }
}

/// The message of each bad field, in `lang`.
fn field_list(e: &AppError, lang: Lang) -> String {
    // The messages alone: a field's internal name is no word of the reader's language.
    e.fields_in(lang)
        .into_values()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every error the API answers, whatever its status (the OpenAPI document's `Error`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, in English.
    #[schema(example = "invalid input")]
    pub error: String,
    /// For 422: the message for each wrong field, by the field's name (empty otherwise).
    pub fields: BTreeMap<String, String>,
}

/// The API's face of `AppError`: always JSON, an `ErrorBody`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self.0 {
            AppError::LoginRequired { .. } | AppError::SetupRequired => StatusCode::UNAUTHORIZED,
            ref other => other.status(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let body = ErrorBody {
            error: self.0.public_message(),
            fields: self.0.fields_in(Lang::En),
        };
        let mut res = HttpResponse::build(self.status_code());
        if self.status_code() == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.0.retry_after() {
            res.insert_header((header::RETRY_AFTER, seconds));
        }
        res.json(body)
    }
}

pub type AppResult<T> = Result<T, AppError>;
pub type ApiResult<T> = Result<T, ApiError>;
