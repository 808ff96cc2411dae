//! The trail: who changed what, when, with the before and after. It is also the event
//! log (an outbox): every change writes its row in the change's own transaction, and
//! consumers read the rows after the last id they saw (`after`). For that the ids must
//! appear in commit order: SQLite has one writer at a time, and on PostgreSQL every
//! write transaction begins by taking one transaction-level advisory lock
//! (`db::write_transaction`), so no id can commit after a higher one is visible.

use super::DbConn;
use super::prepared_rows::{self, Binder, RowsStatement, Values};
use super::schema::{audit_events, users};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct NewAuditEvent<'a> {
    pub actor_id: Option<i64>,
    pub entity: &'a str,
    pub entity_id: i64,
    pub action: &'a str,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable)]
pub struct AuditEntry {
    pub id: i64,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub at: NaiveDateTime,
    pub actor_login: Option<String>,
}

pub fn record(conn: &mut DbConn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)?;
    crate::telemetry::metrics::EVENTS_WRITTEN
        .with_label_values(&[event.entity])
        .inc();
    Ok(())
}

/// Several events, in statements that stay prepared (`prepared_rows`).
pub fn record_many(conn: &mut DbConn, events: &[NewAuditEvent<'_>]) -> QueryResult<()> {
    prepared_rows::execute::<InsertEvents>(conn, events)?;
    for event in events {
        crate::telemetry::metrics::EVENTS_WRITTEN
            .with_label_values(&[event.entity])
            .inc();
    }
    Ok(())
}

/// One event of the log, as consumers read it.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_login: Option<String>,
    pub entity: String,
    pub entity_id: i64,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The events after id `cursor`, oldest first, at most `limit`.
pub fn after(conn: &mut DbConn, cursor: i64, limit: i64) -> QueryResult<Vec<EventRow>> {
    audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_id)))
        .filter(audit_events::id.gt(cursor))
        .order(audit_events::id.asc())
        .limit(limit)
        .select((
            audit_events::id,
            audit_events::at,
            users::login.nullable(),
            audit_events::entity,
            audit_events::entity_id,
            audit_events::action,
            audit_events::before_json,
            audit_events::after_json,
        ))
        .load(conn)
}

struct InsertEvents;

impl RowsStatement for InsertEvents {
    type Row<'a> = NewAuditEvent<'a>;
    const HEAD: &'static str = "INSERT INTO audit_events \
        (actor_id, entity, entity_id, action, before_json, after_json, at) VALUES ";
    const TAIL: &'static str = "";
    fn bind<'b, DB: Binder>(
        event: &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values
            .bigint_or_null(&event.actor_id)?
            .text(event.entity)?
            .bigint(&event.entity_id)?
            .text(event.action)?
            .text_or_null(event.before_json.as_deref())?
            .text_or_null(event.after_json.as_deref())?
            .timestamp(&event.at)?;
        Ok(())
    }
}

pub fn for_entity(conn: &mut DbConn, entity: &str, entity_id: i64) -> QueryResult<Vec<AuditEntry>> {
    audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_id)))
        .filter(audit_events::entity.eq(entity))
        .filter(audit_events::entity_id.eq(entity_id))
        .order(audit_events::id.asc())
        .select((
            audit_events::id,
            audit_events::action,
            audit_events::before_json,
            audit_events::after_json,
            audit_events::at,
            users::login.nullable(),
        ))
        .load(conn)
}

/// (entity id, action, after) of the events of these entities with one of `actions`.
pub fn actions_of(
    conn: &mut DbConn,
    entity: &str,
    ids: &[i64],
    actions: &[&str],
) -> QueryResult<Vec<(i64, String, Option<String>)>> {
    let mut out = Vec::new();
    // Bounded lists: SQLite caps the parameters of one statement.
    for chunk in ids.chunks(5_000) {
        out.extend(
            audit_events::table
                .filter(audit_events::entity.eq(entity))
                .filter(audit_events::entity_id.eq_any(chunk))
                .filter(audit_events::action.eq_any(actions))
                .order(audit_events::id.asc())
                .select((
                    audit_events::entity_id,
                    audit_events::action,
                    audit_events::after_json,
                ))
                .load::<(i64, String, Option<String>)>(conn)?,
        );
    }
    Ok(out)
}

/// (entity id, before) of the events of these entities named `action` recorded after
/// `at`, oldest first: what a past moment's state is read back from.
pub fn changes_after(
    conn: &mut DbConn,
    entity: &str,
    ids: &[i64],
    action: &str,
    at: NaiveDateTime,
) -> QueryResult<Vec<(i64, Option<String>)>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(5_000) {
        out.extend(
            audit_events::table
                .filter(audit_events::entity.eq(entity))
                .filter(audit_events::entity_id.eq_any(chunk))
                .filter(audit_events::action.eq(action))
                .filter(audit_events::at.gt(at))
                .order(audit_events::id.asc())
                .select((audit_events::entity_id, audit_events::before_json))
                .load::<(i64, Option<String>)>(conn)?,
        );
    }
    Ok(out)
}

/// The newest event's id (0 on an empty log).
pub fn last_id(conn: &mut DbConn) -> QueryResult<i64> {
    let id: Option<i64> = audit_events::table
        .select(diesel::dsl::max(audit_events::id))
        .first(conn)?;
    Ok(id.unwrap_or(0))
}

/// The id of the first event of this kind, if there is one.
pub fn first_id_of(conn: &mut DbConn, entity: &str, action: &str) -> QueryResult<Option<i64>> {
    audit_events::table
        .filter(audit_events::entity.eq(entity))
        .filter(audit_events::action.eq(action))
        .select(diesel::dsl::min(audit_events::id))
        .first(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    audit_events::table.count().get_result(conn)
}
