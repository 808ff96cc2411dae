//! Webhooks: admins register endpoints (URL, secret, events, language); the scheduler's
//! `webhooks` job turns each event of the log into one delivery per endpoint that wants
//! it (`enqueue`), and every instance's sender delivers them in order per endpoint,
//! signed, with retries (`sender`). A slow or dead receiver holds up only its own
//! endpoint's queue, never a request or another endpoint.

pub mod message;
pub mod sender;

use crate::db::audit::{self, NewAuditEvent};
use crate::db::jobs::JobRow;
use crate::db::webhooks::{self as db_webhooks, NewDelivery, NewEndpoint};
pub use crate::db::webhooks::{DeliveryRow, EndpointRow};
use crate::db::{self, DbConn, clusters as db_clusters};
use crate::domain::input::FieldErrors;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service::accounts::Actor;
use crate::service::scheduler::Progress;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::json;
use std::sync::OnceLock;

static PUBLIC_URL: OnceLock<String> = OnceLock::new();

/// The address people reach rungs at (`--public-url`), for links in deliveries.
pub fn set_public_url(url: &str) {
    let _ = PUBLIC_URL.set(url.trim_end_matches('/').to_string());
}

fn public_url() -> &'static str {
    PUBLIC_URL.get().map_or("", String::as_str)
}

/// What an admin typed to register an endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub language: String,
}

/// Register an endpoint; every field checked, a message key per bad one.
pub fn register(conn: &mut DbConn, actor: &Actor, input: &EndpointInput) -> AppResult<i64> {
    actor.require(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let url = input.url.trim();
    let valid_url = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2000
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if !valid_url {
        errors.add("url", "error.webhook_url");
    }
    if input.secret.trim().len() < 16 {
        errors.add("secret", "error.webhook_secret");
    }
    let events: Vec<&str> = message::KINDS
        .into_iter()
        .filter(|k| input.events.iter().any(|e| e == k))
        .collect();
    if events.is_empty() || events.len() != input.events.len() {
        errors.add("events", "error.webhook_events");
    }
    let language = Lang::parse(&input.language).unwrap_or_default();
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let events = events.join(",");
    db::write_transaction(conn, |conn| {
        let id = db_webhooks::insert_endpoint(
            conn,
            &NewEndpoint {
                url,
                secret: input.secret.trim(),
                events: &events,
                language: language.code(),
                active: true,
                created_at: db::now(),
            },
        )?;
        trail(
            conn,
            actor,
            id,
            "created",
            json!({"url": url, "events": events}),
        )?;
        Ok(id)
    })
}

fn trail(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    what: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: Some(actor.id),
            entity: "webhook",
            entity_id: id,
            action: what,
            before_json: None,
            after_json: Some(after.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}

/// Switch an endpoint on or off (off: nothing more is queued or sent to it).
pub fn set_active(conn: &mut DbConn, actor: &Actor, id: i64, active: bool) -> AppResult<()> {
    actor.require(Role::Admin)?;
    db::write_transaction(conn, |conn| {
        if db_webhooks::set_active(conn, id, active)? == 0 {
            return Err(AppError::NotFound);
        }
        trail(
            conn,
            actor,
            id,
            if active { "enabled" } else { "disabled" },
            json!({}),
        )
    })
}

/// Queue a test delivery ("send test"): it goes out behind what is already queued.
pub fn send_test(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<i64> {
    actor.require(Role::Admin)?;
    db::write_transaction(conn, |conn| {
        let endpoint = db_webhooks::endpoint(conn, id)?.ok_or(AppError::NotFound)?;
        let lang = Lang::parse(&endpoint.language).unwrap_or_default();
        let now = db::now();
        let key = format!("test-{}-{}", endpoint.id, now.and_utc().timestamp_micros());
        let data = json!({"endpoint_id": endpoint.id, "requested_by": actor.login});
        let body = body(
            &key,
            "test",
            &message::text(lang, "test", &data, public_url()),
            &data,
            now,
        );
        let delivery = queue(conn, endpoint.id, None, &key, "test", &body)?;
        trail(
            conn,
            actor,
            id,
            "test_sent",
            json!({"delivery_id": delivery}),
        )?;
        Ok(delivery)
    })
}

/// Send a delivery again ("redeliver"): a copy with the same body and idempotency key
/// joins the end of its endpoint's queue.
pub fn redeliver(conn: &mut DbConn, actor: &Actor, delivery_id: i64) -> AppResult<i64> {
    actor.require(Role::Admin)?;
    db::write_transaction(conn, |conn| {
        let d = db_webhooks::delivery(conn, delivery_id)?.ok_or(AppError::NotFound)?;
        let copy = queue(
            conn,
            d.endpoint_id,
            d.event_id,
            &d.idempotency_key,
            &d.kind,
            &d.body,
        )?;
        trail(
            conn,
            actor,
            d.endpoint_id,
            "redelivered",
            json!({"delivery_id": delivery_id, "copy": copy}),
        )?;
        Ok(copy)
    })
}

fn queue(
    conn: &mut DbConn,
    endpoint_id: i64,
    event_id: Option<i64>,
    key: &str,
    kind: &str,
    body: &str,
) -> AppResult<i64> {
    let now = db::now();
    Ok(db_webhooks::insert_delivery(
        conn,
        &NewDelivery {
            endpoint_id,
            event_id,
            idempotency_key: key,
            kind,
            body,
            status: "pending",
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        },
    )?)
}

fn body(
    key: &str,
    kind: &str,
    text: &str,
    data: &serde_json::Value,
    at: chrono::NaiveDateTime,
) -> String {
    json!({
        "id": key,
        "event": kind,
        "text": text,
        "occurred_at": at.and_utc(),
        "data": data,
    })
    .to_string()
}

/// Events read per run at most.
const BATCH: i64 = 1_000;

/// The scheduler's `webhooks` job: each event after the job's cursor becomes one
/// delivery per active endpoint that wants its kind, in the job's transaction.
pub fn enqueue(
    conn: &mut DbConn,
    row: &JobRow,
    _now: DateTime<Utc>,
    _tz: Tz,
) -> AppResult<Progress> {
    let endpoints: Vec<EndpointRow> = db_webhooks::endpoints(conn)?
        .into_iter()
        .filter(|e| e.active)
        .collect();
    // With no endpoint the cursor just follows the log. The first run with endpoints
    // starts at the first registration (endpoints see events from then on, even those
    // written before the job first ran), or at the end of the log.
    if endpoints.is_empty() {
        return Ok(Progress {
            event_cursor: audit::last_id(conn)?.max(row.event_cursor),
            ..Default::default()
        });
    }
    let cursor = match row.runs {
        0 => match audit::first_id_of(conn, "webhook", "created")? {
            Some(id) => id,
            None => audit::last_id(conn)?,
        },
        _ => row.event_cursor,
    };
    let events = audit::after(conn, cursor, BATCH)?;
    let mut changes = 0;
    for event in &events {
        let Some((kind, mut data)) = message::kind_of(event) else {
            continue;
        };
        let wanted: Vec<&EndpointRow> = endpoints
            .iter()
            .filter(|e| e.events.split(',').any(|k| k == kind))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        if data["title"].is_null()
            && event.entity == "cluster"
            && let Some(c) = db_clusters::find(conn, event.entity_id)?
        {
            data["title"] = json!(c.title);
        }
        for endpoint in wanted {
            let lang = Lang::parse(&endpoint.language).unwrap_or_default();
            let key = format!("event-{}-endpoint-{}", event.id, endpoint.id);
            let text = message::text(lang, kind, &data, public_url());
            let body = body(&key, kind, &text, &data, event.at);
            queue(conn, endpoint.id, Some(event.id), &key, kind, &body)?;
            changes += 1;
        }
    }
    crate::telemetry::metrics::EVENTS_CONSUMED
        .with_label_values(&["webhooks"])
        .inc_by(events.len() as u64);
    Ok(Progress {
        event_cursor: events.last().map_or(cursor, |e| e.id),
        changes,
        period: None,
    })
}

/// The admin page's figures: every endpoint and the newest deliveries.
pub struct WebhooksView {
    pub endpoints: Vec<EndpointRow>,
    pub deliveries: Vec<DeliveryRow>,
}

pub fn view(conn: &mut DbConn, actor: &Actor) -> AppResult<WebhooksView> {
    actor.require(Role::Admin)?;
    Ok(WebhooksView {
        endpoints: db_webhooks::endpoints(conn)?,
        deliveries: db_webhooks::recent(conn, 100)?,
    })
}
