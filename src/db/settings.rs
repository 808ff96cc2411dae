//! Organisation-wide settings as key/value rows, shared by every rungs process.

use super::DbConn;
use super::schema::settings;
use diesel::prelude::*;

pub const TIMEZONE: &str = "timezone";
pub const SESSION_KEY: &str = "session_key";
/// The login of the first admin, written once by setup (`accounts::create_first_admin`).
pub const FIRST_ADMIN: &str = "first_admin";

pub fn get(conn: &mut DbConn, key: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(key)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Insert or replace, portably: update first, insert when there was nothing to update.
pub fn set(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<()> {
    let updated = diesel::update(settings::table.find(key))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((settings::key.eq(key), settings::value.eq(value)))
            .execute(conn)?;
    }
    // A new time zone moves the catalogue's counter (a trigger, migration 000016).
    super::versions::counted_by_trigger();
    Ok(())
}

/// Insert a row that must not exist yet: a unique violation otherwise.
pub fn insert(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<()> {
    diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .execute(conn)?;
    Ok(())
}

/// Insert only when absent; returns the value that is stored afterwards.
/// Several processes starting at once agree on one value.
pub fn get_or_insert(conn: &mut DbConn, key: &str, value: &str) -> QueryResult<String> {
    if let Some(v) = get(conn, key)? {
        return Ok(v);
    }
    match diesel::insert_into(settings::table)
        .values((settings::key.eq(key), settings::value.eq(value)))
        .execute(conn)
    {
        Ok(_) => Ok(value.to_string()),
        Err(e) if super::is_unique_violation(&e) => {
            get(conn, key)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(e) => Err(e),
    }
}
