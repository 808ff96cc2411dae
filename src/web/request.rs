//! Reading what a request carries before any handler sees it: form bodies and query
//! strings must decode to UTF-8 text without NUL bytes. Decoders elsewhere replace
//! broken UTF-8 silently (so text would not be stored as sent), and PostgreSQL
//! refuses NUL in text (so a NUL would become a 500 deep inside a query).

use crate::error::{ApiError, AppError};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;

/// Whether `raw`, as `application/x-www-form-urlencoded`, decodes to UTF-8 without NUL.
/// Splitting at `&` and `=` cannot change the answer: both are ASCII, never inside
/// a multi-byte character.
pub fn is_clean_text(raw: &[u8]) -> bool {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let mut decoded = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let byte = match raw[i] {
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    i += 2;
                    h * 16 + l
                }
                _ => b'%',
            },
            b => b,
        };
        decoded.push(byte);
        i += 1;
    }
    !decoded.contains(&0) && std::str::from_utf8(&decoded).is_ok()
}

const NOT_TEXT: &str =
    "the request contains a NUL byte or bytes that are not UTF-8; send UTF-8 text";

/// A URL-encoded form body: 400 when it is not a form or not clean text, 413 when it
/// is larger than the configured limit.
pub async fn form_body(req: HttpRequest, mut payload: Payload) -> Result<web::Bytes, AppError> {
    if req.content_type() != "application/x-www-form-urlencoded" {
        return Err(AppError::BadRequest(
            "send the form as application/x-www-form-urlencoded".into(),
        ));
    }
    let body = web::Bytes::from_request(&req, &mut payload)
        .await
        .map_err(|e| {
            if let Some(p) = e.as_error::<actix_web::error::PayloadError>()
                && super::slow_body::is_deadline(p)
            {
                AppError::RequestTimeout
            } else if e.as_response_error().status_code().as_u16() == 413 {
                AppError::PayloadTooLarge
            } else {
                AppError::BadRequest(format!("the form could not be read: {e}"))
            }
        })?;
    if !is_clean_text(&body) {
        return Err(AppError::BadRequest(NOT_TEXT.into()));
    }
    Ok(body)
}

/// The first value of one field of a form body.
pub fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find_map(|(k, v)| (k == name).then_some(v))
}

pub fn parse_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| AppError::BadRequest(format!("the form could not be read: {e}")))
}

/// Middleware: refuse a query string that is not clean text (as JSON under /api/).
pub async fn clean_query<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if !is_clean_text(req.query_string().as_bytes()) {
        let e = AppError::BadRequest(NOT_TEXT.into());
        let e: actix_web::Error = if req.path().starts_with("/api/") {
            ApiError(e).into()
        } else {
            e.into()
        };
        return Ok(req.error_response(e).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// A path segment that is not what the route wants (`/incidents/abc`) names nothing.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    tracing::debug!(error = %err, "unreadable path");
    AppError::NotFound.into()
}

pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    AppError::BadRequest(format!("the address could not be read: {err}")).into()
}

#[cfg(test)]
mod tests {
    use super::is_clean_text;

    #[test]
    fn clean_text_is_utf8_without_nul() {
        assert!(is_clean_text(b""));
        assert!(is_clean_text(b"title=a+b&body=%E5%82%AC%E5%AE%A1%E6%89%B9"));
        assert!(is_clean_text("title=催审批".as_bytes()));
        assert!(is_clean_text(b"a=100%&b=%zz&c=%"), "a stray % is literal");
        assert!(!is_clean_text(b"title=a%00b"));
        assert!(!is_clean_text(b"title=a\0b"));
        assert!(!is_clean_text(b"title=%FF%FE"));
        assert!(!is_clean_text(b"title=\xff"));
        assert!(!is_clean_text(b"title=%E5%82&body=%AC"), "split character");
    }
}
