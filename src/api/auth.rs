//! `Authorization: Bearer TOKEN`: who is asking through the API.

use crate::app_state::AppState;
use crate::client_address::TrustedProxies;
use crate::error::{ApiError, AppError};
use crate::service::catalog::Catalog;
use crate::service::{self, accounts::Actor};
use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Who is asking, and the catalogue (departments, categories, rules, time zone) as the
/// directory holds it for the counters the token was checked under.
pub struct ApiUser {
    pub actor: Actor,
    pub known: Arc<Catalog>,
}

/// The bearer token as sent, not yet checked: for handlers that hand it on with their
/// own work (the filing writer checks it in the filing's transaction).
pub struct BearerToken(pub Option<String>);

impl BearerToken {
    fn of(req: &HttpRequest) -> Self {
        Self(
            req.headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|h| h.to_str().ok())
                .and_then(|h| {
                    h.strip_prefix("Bearer ")
                        .or_else(|| h.strip_prefix("bearer "))
                })
                .map(|t| t.trim().to_string()),
        )
    }
}

impl FromRequest for BearerToken {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Self::of(req)))
    }
}

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = BearerToken::of(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("application state missing"))?;
            let (actor, known) =
                service::tokens::bearer_actor(&state.pool, &state.directory, &state.feed, token.0)
                    .await?;
            Ok(ApiUser { actor, known })
        })
    }
}

/// A token that was sent and not recognised is counted against the client's address
/// (`SignInGuard::token_failed`): past its allowance the answer is 429 with
/// `Retry-After` instead of 401, so tokens cannot be guessed at speed.
pub async fn throttle_failed_tokens(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let sent_token = req.headers().contains_key(AUTHORIZATION);
    let address = req
        .app_data::<web::Data<TrustedProxies>>()
        .and_then(|proxies| proxies.of_service_request(&req));
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let res = next.call(req).await?.map_into_boxed_body();
    if !(sent_token && res.status() == StatusCode::UNAUTHORIZED) {
        return Ok(res);
    }
    let Some(state) = state else {
        return Ok(res);
    };
    match state.guard.token_failed(address) {
        Ok(()) => Ok(res),
        Err(refusal) => {
            service::sign_in::record_refusal(&state.pool, &refusal).await;
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(
                req,
                ApiError(refusal.error()).error_response(),
            ))
        }
    }
}
