//! Imports: one row per spreadsheet brought in, named by the incidents it filed.

use super::DbConn;
use super::schema::{imports, incidents, users};
use crate::domain::states::IncidentStatus;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct ImportRow {
    pub id: i64,
    pub actor_id: i64,
    pub file_name: String,
    pub encoding: String,
    pub delimiter: String,
    pub rows: i64,
    pub created_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by: Option<i64>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = imports)]
pub struct NewImport<'a> {
    pub actor_id: i64,
    pub file_name: &'a str,
    pub encoding: &'a str,
    pub delimiter: &'a str,
    pub rows: i64,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, new: &NewImport<'_>) -> QueryResult<i64> {
    diesel::insert_into(imports::table)
        .values(new)
        .returning(imports::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ImportRow>> {
    imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()
}

/// Every import, newest first, with the login of who brought it.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<(ImportRow, String)>> {
    imports::table
        .inner_join(users::table.on(users::id.eq(imports::actor_id)))
        .order(imports::id.desc())
        .select((ImportRow::as_select(), users::login))
        .load(conn)
}

/// The import's incidents that still count (not withdrawn), in order.
pub fn live_incidents(conn: &mut DbConn, id: i64) -> QueryResult<Vec<i64>> {
    incidents::table
        .filter(incidents::import_id.eq(id))
        .filter(incidents::status.ne(IncidentStatus::Withdrawn))
        .order(incidents::id.asc())
        .select(incidents::id)
        .load(conn)
}

pub fn mark_withdrawn(
    conn: &mut DbConn,
    id: i64,
    by: i64,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(imports::table.find(id))
        .set((
            imports::withdrawn_at.eq(Some(at)),
            imports::withdrawn_by.eq(Some(by)),
        ))
        .execute(conn)
}
