//! Sending deliveries: a dispatcher thread per instance finds endpoints with a delivery
//! due, takes each one's lease (`db::webhooks::claim`) and gives it a worker thread of
//! its own, which sends that endpoint's deliveries oldest first, one at a time, signed,
//! each with a timeout. A failure waits with exponential backoff and holds the queue
//! behind it (order per endpoint) until it is delivered or given up; other endpoints
//! are not held up, and requests never wait for any of it.

use crate::db::webhooks::{self as db_webhooks, Attempt, DeliveryRow, EndpointRow};
use crate::db::{self, Pool};
use crate::telemetry::metrics::WEBHOOK_DELIVERIES;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts before a delivery is given up (about a day with the default backoff).
pub const MAX_ATTEMPTS: i32 = 12;
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// How long an endpoint's lease lasts without renewal: an instance that died while
/// sending holds its endpoints this long.
const LEASE: Duration = Duration::from_secs(30);

/// The signature of a delivery: HMAC-SHA256 with the endpoint's secret over
/// `timestamp.body`, hex, as `X-Rungs-Signature: sha256=…` carries it.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The wait after the `attempts`-th failed attempt: base, 2×base, 4×base, … capped.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let factor = 1u32 << attempts.clamp(1, 20).saturating_sub(1);
    base.saturating_mul(factor).min(MAX_BACKOFF)
}

#[derive(Clone)]
struct Shared {
    pool: Pool,
    owner: String,
    backoff: Duration,
    busy: Arc<Mutex<HashSet<i64>>>,
}

pub struct Sender;

impl Sender {
    /// Start this instance's dispatcher: it looks for due deliveries every `poll`.
    pub fn start(pool: Pool, poll: Duration, backoff: Duration) -> Result<(), String> {
        let shared = Shared {
            pool,
            owner: format!(
                "{}-{}",
                std::process::id(),
                hex::encode(rand::random::<[u8; 4]>())
            ),
            backoff,
            busy: Arc::default(),
        };
        std::thread::Builder::new()
            .name("webhooks".into())
            .spawn(move || {
                loop {
                    if let Err(e) = dispatch(&shared) {
                        tracing::warn!(error = %e, "looking for webhook deliveries failed");
                    }
                    std::thread::sleep(poll);
                }
            })
            .map(|_| ())
            .map_err(|e| format!("cannot start the webhook sender: {e}"))
    }
}

fn lease_until() -> chrono::NaiveDateTime {
    db::now() + chrono::Duration::from_std(LEASE).unwrap_or_default()
}

fn dispatch(shared: &Shared) -> Result<(), String> {
    let mut conn = shared.pool.get().map_err(|e| e.to_string())?;
    let due =
        db_webhooks::endpoints_with_pending(&mut conn, db::now()).map_err(|e| e.to_string())?;
    for id in due {
        if shared.busy.lock().map_or(true, |b| b.contains(&id)) {
            continue;
        }
        let claimed = db_webhooks::claim(&mut conn, id, &shared.owner, db::now(), lease_until())
            .map_err(|e| e.to_string())?;
        if !claimed {
            continue;
        }
        if let Ok(mut busy) = shared.busy.lock() {
            busy.insert(id);
        }
        let worker = shared.clone();
        let started = std::thread::Builder::new()
            .name(format!("webhook-{id}"))
            .spawn(move || {
                if let Err(e) = work(&worker, id) {
                    tracing::warn!(endpoint = id, error = %e, "a webhook worker stopped");
                }
                if let Ok(mut conn) = worker.pool.get() {
                    let _ = db_webhooks::release(&mut conn, id, &worker.owner);
                }
                if let Ok(mut busy) = worker.busy.lock() {
                    busy.remove(&id);
                }
            });
        if started.is_err() {
            if let Ok(mut busy) = shared.busy.lock() {
                busy.remove(&id);
            }
            let _ = db_webhooks::release(&mut conn, id, &shared.owner);
        }
    }
    Ok(())
}

/// Send one endpoint's due deliveries in order, while this instance holds its lease.
fn work(shared: &Shared, endpoint_id: i64) -> Result<(), String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    loop {
        let (endpoint, delivery) = {
            let mut conn = shared.pool.get().map_err(|e| e.to_string())?;
            let still_mine = db_webhooks::claim(
                &mut conn,
                endpoint_id,
                &shared.owner,
                db::now(),
                lease_until(),
            )
            .map_err(|e| e.to_string())?;
            if !still_mine {
                return Ok(());
            }
            let Some(endpoint) =
                db_webhooks::endpoint(&mut conn, endpoint_id).map_err(|e| e.to_string())?
            else {
                return Ok(());
            };
            let Some(delivery) =
                db_webhooks::oldest_pending(&mut conn, endpoint_id).map_err(|e| e.to_string())?
            else {
                return Ok(());
            };
            (endpoint, delivery)
        };
        if !endpoint.active || delivery.next_attempt_at > db::now() {
            return Ok(());
        }
        let attempt = send(&client, &endpoint, &delivery, shared.backoff);
        let mut conn = shared.pool.get().map_err(|e| e.to_string())?;
        db_webhooks::record_attempt(&mut conn, delivery.id, &attempt).map_err(|e| e.to_string())?;
    }
}

fn send(
    client: &reqwest::blocking::Client,
    endpoint: &EndpointRow,
    delivery: &DeliveryRow,
    backoff_base: Duration,
) -> Attempt {
    let timestamp = chrono::Utc::now().timestamp();
    let started = Instant::now();
    let result = client
        .post(&endpoint.url)
        .header("content-type", "application/json")
        .header("user-agent", "rungs-webhooks")
        .header("x-rungs-event", &delivery.kind)
        .header("x-rungs-delivery", delivery.id.to_string())
        .header("x-rungs-timestamp", timestamp.to_string())
        .header(
            "x-rungs-signature",
            signature(&endpoint.secret, timestamp, &delivery.body),
        )
        .header("idempotency-key", &delivery.idempotency_key)
        .body(delivery.body.clone())
        .send();
    let elapsed = started.elapsed().as_millis() as i64;
    let attempts = delivery.attempts + 1;
    let now = db::now();
    let (ok, status, error) = match result {
        Ok(res) if res.status().is_success() => (true, Some(res.status().as_u16()), None),
        Ok(res) => (
            false,
            Some(res.status().as_u16()),
            Some(format!("HTTP {}", res.status())),
        ),
        Err(e) if e.is_timeout() => (false, None, Some(format!("no answer within {TIMEOUT:?}"))),
        Err(e) => (false, None, Some(e.to_string())),
    };
    let outcome = match (ok, attempts >= MAX_ATTEMPTS) {
        (true, _) => "delivered",
        (false, false) => "retry",
        (false, true) => "gave_up",
    };
    WEBHOOK_DELIVERIES.with_label_values(&[outcome]).inc();
    Attempt {
        status: match outcome {
            "delivered" => "delivered",
            "retry" => "pending",
            _ => "failed",
        }
        .to_string(),
        attempts,
        next_attempt_at: now
            + chrono::Duration::from_std(backoff(backoff_base, attempts)).unwrap_or_default(),
        // A success keeps the last failure's reason: the page shows what went wrong before.
        last_error: error.or_else(|| delivery.last_error.clone()),
        last_status: status.map(i32::from),
        response_ms: Some(elapsed),
        delivered_at: ok.then_some(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Known answer from Python: hmac.new(b"Jefe", b"1700000000.{}", hashlib.sha256).
        assert_eq!(
            signature("Jefe", 1_700_000_000, "{}"),
            "sha256=d3793e2b4103edfbd98cc19591832f5fad701d413db9fcae0ae7dab8184ed207"
        );
    }

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        let base = Duration::from_secs(10);
        assert_eq!(backoff(base, 1), Duration::from_secs(10));
        assert_eq!(backoff(base, 2), Duration::from_secs(20));
        assert_eq!(backoff(base, 4), Duration::from_secs(80));
        assert_eq!(backoff(base, 30), MAX_BACKOFF);
    }
}
