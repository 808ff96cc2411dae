//! Every request: an id (`x-request-id`, taken from the request when it is sane, else
//! made here) on the response and in the logs, and its count and latency by route
//! pattern.

use super::metrics::{HTTP_LATENCY, HTTP_REQUESTS};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use std::time::Instant;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of one request, as the client sees it in `x-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// An id a client or proxy sent is kept when it is short and plain (letters, digits,
/// `-`, `_`, `.`), so that it can go into logs and a header as it is.
pub fn sane(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// The outermost middleware: names the request, counts it and times it.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| sane(v))
        .map(str::to_owned)
        .unwrap_or_else(new_id);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().as_str().to_owned();
    let mut res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        // Handlers' errors are responses by now; an error here is a middleware's, which
        // actix answers after this layer: counted, without an id.
        Err(e) => {
            HTTP_REQUESTS
                .with_label_values(&[method.as_str(), "unrouted", "error"])
                .inc();
            return Err(e);
        }
    };
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16().to_string();
    HTTP_REQUESTS
        .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
        .inc();
    HTTP_LATENCY
        .with_label_values(&[method.as_str(), route.as_str()])
        .observe(started.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(res)
}

/// tracing-actix-web's root span, with the request's `x-request-id` beside its own id.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request
            .extensions()
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default();
        tracing_actix_web::root_span!(request, x_request_id = %id)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
