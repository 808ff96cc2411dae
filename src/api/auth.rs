//! `Authorization: Bearer TOKEN`: who is asking through the API.

use crate::error::{ApiError, AppError};
use crate::service::{self, accounts::Actor};
use crate::startup::AppState;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;

pub struct ApiUser(pub Actor);

impl FromRequest for ApiUser {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("application state missing"))?;
            let token = token.ok_or(AppError::Unauthorized)?;
            let actor = service::run(&state.pool, move |conn| {
                service::tokens::authenticate(conn, &token)
            })
            .await?;
            actor.map(ApiUser).ok_or(ApiError(AppError::Unauthorized))
        })
    }
}
