//! A request body must arrive within `BODY_DEADLINE` of its head: a client that opens a
//! request and then stalls (or trickles a byte at a time) is answered 408 and its
//! connection closed, instead of holding a connection and a worker's attention forever.
//! actix-web's own `client_request_timeout` covers the head only.

use crate::error::{ApiError, AppError};
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use futures_core::Stream;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The longest a request's body may take to arrive, counted from its head.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// Middleware: the request's payload ends with a timeout error at the deadline.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let inner = req.take_payload();
    let deadline = Box::pin(tokio::time::sleep(BODY_DEADLINE));
    let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> =
        Box::pin(Deadline { inner, deadline });
    req.set_payload(Payload::from(stream));
    next.call(req).await
}

struct Deadline {
    inner: Payload,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request body did not arrive in time",
            ))))),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Whether a payload error is the deadline's.
pub fn is_deadline(err: &PayloadError) -> bool {
    matches!(err, PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut)
}

/// The answer for a body that did not arrive in time, page or API.
pub fn timed_out(api: bool) -> actix_web::Error {
    if api {
        ApiError(AppError::RequestTimeout).into()
    } else {
        AppError::RequestTimeout.into()
    }
}
