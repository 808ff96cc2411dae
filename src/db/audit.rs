//! The trail: who changed what, when, with the before and after.

use super::DbConn;
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
    Ok(())
}

/// Several events in one statement.
pub fn record_many(conn: &mut DbConn, events: &[NewAuditEvent<'_>]) -> QueryResult<()> {
    for chunk in events.chunks(500) {
        super::on_backend!(&mut *conn, |c| diesel::insert_into(audit_events::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
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

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    audit_events::table.count().get_result(conn)
}
