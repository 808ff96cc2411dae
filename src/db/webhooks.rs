//! Webhook endpoints and their deliveries.

use super::DbConn;
use super::schema::{webhook_deliveries as deliveries, webhook_endpoints as endpoints};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = endpoints)]
pub struct EndpointRow {
    pub id: i64,
    pub url: String,
    pub secret: String,
    pub events: String,
    pub language: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = endpoints)]
pub struct NewEndpoint<'a> {
    pub url: &'a str,
    pub secret: &'a str,
    pub events: &'a str,
    pub language: &'a str,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub endpoint_id: i64,
    pub event_id: Option<i64>,
    pub idempotency_key: String,
    pub kind: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub last_status: Option<i32>,
    pub response_ms: Option<i64>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery<'a> {
    pub endpoint_id: i64,
    pub event_id: Option<i64>,
    pub idempotency_key: &'a str,
    pub kind: &'a str,
    pub body: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// What one attempt found.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = deliveries, treat_none_as_null = true)]
pub struct Attempt {
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub last_status: Option<i32>,
    pub response_ms: Option<i64>,
    pub delivered_at: Option<NaiveDateTime>,
}

pub fn insert_endpoint(conn: &mut DbConn, new: &NewEndpoint<'_>) -> QueryResult<i64> {
    diesel::insert_into(endpoints::table)
        .values(new)
        .returning(endpoints::id)
        .get_result(conn)
}

pub fn endpoints(conn: &mut DbConn) -> QueryResult<Vec<EndpointRow>> {
    endpoints::table
        .order(endpoints::id.asc())
        .select(EndpointRow::as_select())
        .load(conn)
}

pub fn endpoint(conn: &mut DbConn, id: i64) -> QueryResult<Option<EndpointRow>> {
    endpoints::table
        .find(id)
        .select(EndpointRow::as_select())
        .first(conn)
        .optional()
}

pub fn set_active(conn: &mut DbConn, id: i64, active: bool) -> QueryResult<usize> {
    diesel::update(endpoints::table.find(id))
        .set(endpoints::active.eq(active))
        .execute(conn)
}

/// Take the endpoint's lease (who sends its deliveries) if nobody else holds it now.
pub fn claim(
    conn: &mut DbConn,
    id: i64,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let free = endpoints::lease_until
        .is_null()
        .or(endpoints::lease_until.lt(now))
        .or(endpoints::lease_owner.eq(owner));
    let n = diesel::update(endpoints::table.filter(endpoints::id.eq(id)).filter(free))
        .set((
            endpoints::lease_owner.eq(owner),
            endpoints::lease_until.eq(until),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn release(conn: &mut DbConn, id: i64, owner: &str) -> QueryResult<()> {
    diesel::update(
        endpoints::table
            .filter(endpoints::id.eq(id))
            .filter(endpoints::lease_owner.eq(owner)),
    )
    .set((
        endpoints::lease_owner.eq(None::<String>),
        endpoints::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn insert_delivery(conn: &mut DbConn, new: &NewDelivery<'_>) -> QueryResult<i64> {
    diesel::insert_into(deliveries::table)
        .values(new)
        .returning(deliveries::id)
        .get_result(conn)
}

/// Active endpoints with a pending delivery due by `now`.
pub fn endpoints_with_pending(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    deliveries::table
        .inner_join(endpoints::table)
        .filter(deliveries::status.eq("pending"))
        .filter(deliveries::next_attempt_at.le(now))
        .filter(endpoints::active.eq(true))
        .select(deliveries::endpoint_id)
        .distinct()
        .load(conn)
}

/// The endpoint's oldest pending delivery: deliveries go out in order, each after the
/// one before it was delivered or given up.
pub fn oldest_pending(conn: &mut DbConn, endpoint_id: i64) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .filter(deliveries::endpoint_id.eq(endpoint_id))
        .filter(deliveries::status.eq("pending"))
        .order(deliveries::id.asc())
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

pub fn delivery(conn: &mut DbConn, id: i64) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .find(id)
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

pub fn record_attempt(conn: &mut DbConn, id: i64, attempt: &Attempt) -> QueryResult<usize> {
    diesel::update(deliveries::table.find(id))
        .set(attempt)
        .execute(conn)
}

/// The newest deliveries, for the admin page.
pub fn recent(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<DeliveryRow>> {
    deliveries::table
        .order(deliveries::id.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
}

/// Every delivery to one endpoint, oldest first.
pub fn for_endpoint(conn: &mut DbConn, endpoint_id: i64) -> QueryResult<Vec<DeliveryRow>> {
    deliveries::table
        .filter(deliveries::endpoint_id.eq(endpoint_id))
        .order(deliveries::id.asc())
        .select(DeliveryRow::as_select())
        .load(conn)
}
