//! Many incidents written at once, by the filing writer: ids reserved inside the write
//! transaction, then the rows and their tags in statements that stay prepared.

use super::DbConn;
use super::incidents::NewIncident;
use super::prepared_rows::{self, Binder, RowsStatement, Values};
use super::schema::incidents;
use crate::domain::states::JoinReason;
use diesel::prelude::*;

/// Take `n` fresh incident ids; call inside a write transaction. On SQLite the
/// transaction holds the write lock, so the ids after the largest are free (SQLite
/// would choose the same ones); on PostgreSQL they come from the identity's sequence.
pub fn reserve_ids(conn: &mut DbConn, n: usize) -> QueryResult<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match conn {
        DbConn::Sqlite(c) => {
            let last: Option<i64> = incidents::table
                .select(diesel::dsl::max(incidents::id))
                .first(c)?;
            let last = last.unwrap_or(0);
            Ok((1..=n as i64).map(|i| last + i).collect())
        }
        DbConn::Pg(c) => NextIds { n: n as i32 }.load(c),
    }
}

/// `n` values of the incidents' identity sequence (PostgreSQL), as a statement type of
/// its own, so that it stays prepared.
struct NextIds {
    n: i32,
}

impl diesel::query_builder::QueryId for NextIds {
    type QueryId = NextIds;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl diesel::query_builder::QueryFragment<diesel::pg::Pg> for NextIds {
    fn walk_ast<'b>(
        &'b self,
        mut out: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> QueryResult<()> {
        out.push_sql(
            "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, ",
        );
        out.push_bind_param::<diesel::sql_types::Integer, i32>(&self.n)?;
        out.push_sql(")");
        Ok(())
    }
}

impl diesel::query_builder::Query for NextIds {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Conn> RunQueryDsl<Conn> for NextIds {}

/// Insert incidents under ids from `reserve_ids`, with their tags: statements that stay
/// prepared, whatever the number of rows (`prepared_rows`).
pub fn insert_many(
    conn: &mut DbConn,
    rows: &[(i64, NewIncident<'_>)],
    tags: &[(i64, &str)],
) -> QueryResult<()> {
    prepared_rows::execute::<InsertIncidents>(conn, rows)?;
    prepared_rows::execute::<InsertTags>(conn, tags)?;
    Ok(())
}

struct InsertIncidents;

impl RowsStatement for InsertIncidents {
    type Row<'a> = (i64, NewIncident<'a>);
    const HEAD: &'static str = "INSERT INTO incidents (id, title, body, category_id, reporter_id, \
        department_id, counterpart_id, occurred_at, local_date, week_key, iso_weekday, \
        local_hour, tags, external_ref, status, search_text, created_at, updated_at, \
        cluster_id, join_reason, join_score, join_terms, import_id) VALUES ";
    const TAIL: &'static str = "";
    fn bind<'b, DB: Binder>(
        (id, new): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values
            .bigint(id)?
            .text(new.title)?
            .text(new.body)?
            .bigint(&new.category_id)?
            .bigint(&new.reporter_id)?
            .bigint_or_null(&new.department_id)?
            .bigint_or_null(&new.counterpart_id)?
            .timestamp(&new.occurred_at)?
            .date(&new.local_date)?
            .text(new.week_key)?
            .integer(&new.iso_weekday)?
            .integer(&new.local_hour)?
            .text(new.tags)?
            .text_or_null(new.external_ref)?
            .text(new.status.as_str())?
            .text(new.search_text)?
            .timestamp(&new.created_at)?
            .timestamp(&new.updated_at)?
            .bigint_or_null(&new.cluster_id)?
            .text_or_null(new.join_reason.map(JoinReason::as_str))?
            .double_or_null(&new.join_score)?
            .text_or_null(new.join_terms)?
            .bigint_or_null(&new.import_id)?;
        Ok(())
    }
}

struct InsertTags;

impl RowsStatement for InsertTags {
    type Row<'a> = (i64, &'a str);
    const HEAD: &'static str = "INSERT INTO incident_tags (incident_id, tag) VALUES ";
    const TAIL: &'static str = "";
    fn bind<'b, DB: Binder>(
        (id, tag): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values.bigint(id)?.text(tag)?;
        Ok(())
    }
}
