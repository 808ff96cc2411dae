//! Multi-row statements that stay prepared.
//!
//! The filing writer inserts and upserts many rows per batch. Built with diesel's query
//! builder, each such statement has as many rows as the batch, so it is new SQL every
//! time: built as text, then parsed and planned by the database, batch after batch (on
//! SQLite about a quarter of the writer's time; on PostgreSQL about a third of its
//! server's). So each statement is written once, in a `RowsStatement`, and bound in a
//! shape whose SQL does not depend on the number of rows:
//!
//! - on SQLite the rows are cut into chunks of 64, 32, 16, 8, 4, 2 and 1 rows; each size
//!   of each statement has a type of its own (`HAS_STATIC_QUERY_ID`), so the connection
//!   prepares it once and afterwards only binds the rows' values;
//! - on PostgreSQL, where each chunk would be a round trip to the server, all rows go in
//!   one statement as one array per column (`SELECT * FROM UNNEST($1, $2, …)` in place
//!   of `VALUES`), so the statement is prepared once and planned once whatever the
//!   batch.

mod unnest;

use super::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Date, Double, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;
use unnest::{Column, Unnest};

/// One multi-row statement: `HEAD`, then each row's values in parentheses, then `TAIL`.
/// On PostgreSQL the `VALUES ` that ends `HEAD` and the rows are replaced by
/// `SELECT * FROM UNNEST(…) AS u(column1, column2, …)`, the names `VALUES` gives its
/// columns.
pub trait RowsStatement: 'static {
    type Row<'a>;
    /// Up to the first row, ending in `VALUES `: `INSERT INTO t (a, b) VALUES `.
    const HEAD: &'static str;
    /// After the last row: an `ON CONFLICT` clause, a `RETURNING` list, or nothing.
    const TAIL: &'static str;
    /// The row's values, in the order of `HEAD`'s columns.
    fn bind<'b, DB: Binder>(
        row: &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()>;
}

/// A statement whose `TAIL` returns each row's key and new count: `RETURNING` a bigint,
/// two texts and an integer (`KeyedCount`).
pub trait ReturnsKeyedCount: RowsStatement {}

/// What a `ReturnsKeyedCount` statement returns for each row.
pub type KeyedCount = (i64, String, String, i32);

/// The SQL types the statements bind, on each backend.
pub trait Binder: Backend + Sized {
    fn bigint<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b i64) -> QueryResult<()>;
    fn bigint_or_null<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b Option<i64>) -> QueryResult<()>;
    fn integer<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b i32) -> QueryResult<()>;
    fn text<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b str) -> QueryResult<()>;
    fn text_or_null<'b>(out: &mut AstPass<'_, 'b, Self>, v: Option<&'b str>) -> QueryResult<()>;
    fn double_or_null<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b Option<f64>) -> QueryResult<()>;
    fn timestamp<'b>(
        out: &mut AstPass<'_, 'b, Self>,
        v: &'b chrono::NaiveDateTime,
    ) -> QueryResult<()>;
    fn date<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b chrono::NaiveDate) -> QueryResult<()>;
}

macro_rules! binder {
    ($backend:ty) => {
        impl Binder for $backend {
            fn bigint<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b i64) -> QueryResult<()> {
                out.push_bind_param::<BigInt, _>(v)
            }
            fn bigint_or_null<'b>(
                out: &mut AstPass<'_, 'b, Self>,
                v: &'b Option<i64>,
            ) -> QueryResult<()> {
                out.push_bind_param::<Nullable<BigInt>, _>(v)
            }
            fn integer<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b i32) -> QueryResult<()> {
                out.push_bind_param::<Integer, _>(v)
            }
            fn text<'b>(out: &mut AstPass<'_, 'b, Self>, v: &'b str) -> QueryResult<()> {
                out.push_bind_param::<Text, _>(v)
            }
            fn text_or_null<'b>(
                out: &mut AstPass<'_, 'b, Self>,
                v: Option<&'b str>,
            ) -> QueryResult<()> {
                match v {
                    Some(v) => out.push_bind_param::<Nullable<Text>, _>(v),
                    None => out.push_bind_param::<Nullable<Text>, Option<&str>>(&None),
                }
            }
            fn double_or_null<'b>(
                out: &mut AstPass<'_, 'b, Self>,
                v: &'b Option<f64>,
            ) -> QueryResult<()> {
                out.push_bind_param::<Nullable<Double>, _>(v)
            }
            fn timestamp<'b>(
                out: &mut AstPass<'_, 'b, Self>,
                v: &'b chrono::NaiveDateTime,
            ) -> QueryResult<()> {
                out.push_bind_param::<Timestamp, _>(v)
            }
            fn date<'b>(
                out: &mut AstPass<'_, 'b, Self>,
                v: &'b chrono::NaiveDate,
            ) -> QueryResult<()> {
                out.push_bind_param::<Date, _>(v)
            }
        }
    };
}
binder!(Sqlite);
binder!(Pg);

/// One row's values: written into the statement with the commas between them (SQLite),
/// or added to the columns' arrays (PostgreSQL).
pub struct Values<'p, 'a, 'b, DB: Backend> {
    to: Target<'p, 'a, 'b, DB>,
    /// The next value is the row's first (SQLite) / goes in this column (PostgreSQL).
    next: usize,
}

enum Target<'p, 'a, 'b, DB: Backend> {
    Sql(&'p mut AstPass<'a, 'b, DB>),
    Columns(&'p mut Vec<Column<'b>>),
}

/// `Values::$name`: one value of the row, of the column kind `$kind`.
macro_rules! value {
    ($name:ident, $ty:ty, $kind:ident, |$v:ident| $item:expr) => {
        pub fn $name(&mut self, $v: $ty) -> QueryResult<&mut Self> {
            let next = self.next;
            self.next += 1;
            match &mut self.to {
                Target::Sql(out) => {
                    if next > 0 {
                        out.push_sql(", ");
                    }
                    DB::$name(&mut **out, $v)?;
                }
                Target::Columns(columns) => {
                    if columns.len() == next {
                        columns.push(Column::$kind(Vec::new()));
                    }
                    match &mut columns[next] {
                        Column::$kind(column) => column.push($item),
                        _ => {
                            return Err(diesel::result::Error::SerializationError(
                                "a row's values differ in kind from the first row's".into(),
                            ));
                        }
                    }
                }
            }
            Ok(self)
        }
    };
}

impl<'a, 'b, DB: Binder> Values<'_, 'a, 'b, DB> {
    value!(bigint, &'b i64, BigInt, |v| *v);
    value!(bigint_or_null, &'b Option<i64>, BigIntOrNull, |v| *v);
    value!(integer, &'b i32, Integer, |v| *v);
    value!(text, &'b str, Text, |v| v);
    value!(text_or_null, Option<&'b str>, TextOrNull, |v| v);
    value!(double_or_null, &'b Option<f64>, DoubleOrNull, |v| *v);
    value!(timestamp, &'b NaiveDateTime, Timestamp, |v| *v);
    value!(date, &'b NaiveDate, Date, |v| *v);
}

/// `N` rows of `S` (SQLite): a statement of its own type, so that it stays prepared.
struct Chunk<'r, 'a, S: RowsStatement, const N: usize> {
    rows: &'r [S::Row<'a>],
    _statement: PhantomData<S>,
}

impl<S: RowsStatement, const N: usize> QueryId for Chunk<'_, '_, S, N> {
    type QueryId = (S, [(); N]);
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: RowsStatement, const N: usize> QueryFragment<Sqlite> for Chunk<'_, '_, S, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        debug_assert_eq!(self.rows.len(), N);
        out.push_sql(S::HEAD);
        for (i, row) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            S::bind(
                row,
                &mut Values {
                    to: Target::Sql(&mut out),
                    next: 0,
                },
            )?;
            out.push_sql(")");
        }
        out.push_sql(S::TAIL);
        Ok(())
    }
}

impl<S: ReturnsKeyedCount, const N: usize> Query for Chunk<'_, '_, S, N> {
    type SqlType = (BigInt, Text, Text, Integer);
}

impl<S: RowsStatement, Conn, const N: usize> RunQueryDsl<Conn> for Chunk<'_, '_, S, N> {}

/// The chunk sizes on SQLite, largest first.
const SIZES: [usize; 7] = [64, 32, 16, 8, 4, 2, 1];

/// `rows` cut into SQLite's chunks, in order.
fn chunks<R>(mut rows: &[R]) -> impl Iterator<Item = &[R]> {
    std::iter::from_fn(move || {
        let n = SIZES.into_iter().find(|&n| n <= rows.len())?;
        let (chunk, rest) = rows.split_at(n);
        rows = rest;
        Some(chunk)
    })
}

/// The statement type for a chunk of `$n` rows.
macro_rules! by_size {
    ($n:expr, $f:ident :: <$s:ty>($($arg:expr),*)) => {
        match $n {
            64 => $f::<$s, 64>($($arg),*),
            32 => $f::<$s, 32>($($arg),*),
            16 => $f::<$s, 16>($($arg),*),
            8 => $f::<$s, 8>($($arg),*),
            4 => $f::<$s, 4>($($arg),*),
            2 => $f::<$s, 2>($($arg),*),
            _ => $f::<$s, 1>($($arg),*),
        }
    };
}

/// Run `S` over every row, in order; the number of rows it changed.
pub fn execute<S: RowsStatement>(conn: &mut DbConn, rows: &[S::Row<'_>]) -> QueryResult<usize> {
    fn one<S: RowsStatement, const N: usize>(
        conn: &mut diesel::SqliteConnection,
        rows: &[S::Row<'_>],
    ) -> QueryResult<usize> {
        let chunk = Chunk::<S, N> {
            rows,
            _statement: PhantomData,
        };
        chunk.execute(conn)
    }
    if rows.is_empty() {
        return Ok(0);
    }
    match conn {
        DbConn::Sqlite(c) => {
            let mut changed = 0;
            for chunk in chunks(rows) {
                changed += by_size!(chunk.len(), one::<S>(c, chunk))?;
            }
            Ok(changed)
        }
        DbConn::Pg(c) => {
            let columns = Unnest::<S>::columns(rows)?;
            Unnest::<S> {
                columns: &columns,
                _statement: PhantomData,
            }
            .execute(c)
        }
    }
}

/// Run `S` over every row, in order, and collect what it returns.
pub fn load<S: ReturnsKeyedCount>(
    conn: &mut DbConn,
    rows: &[S::Row<'_>],
) -> QueryResult<Vec<KeyedCount>> {
    fn one<S: ReturnsKeyedCount, const N: usize>(
        conn: &mut diesel::SqliteConnection,
        rows: &[S::Row<'_>],
    ) -> QueryResult<Vec<KeyedCount>> {
        let chunk = Chunk::<S, N> {
            rows,
            _statement: PhantomData,
        };
        chunk.load(conn)
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    match conn {
        DbConn::Sqlite(c) => {
            let mut out = Vec::with_capacity(rows.len());
            for chunk in chunks(rows) {
                out.extend(by_size!(chunk.len(), one::<S>(c, chunk))?);
            }
            Ok(out)
        }
        DbConn::Pg(c) => {
            let columns = Unnest::<S>::columns(rows)?;
            Unnest::<S> {
                columns: &columns,
                _statement: PhantomData,
            }
            .load(c)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_cuts_rows_into_the_fixed_sizes() {
        let rows: Vec<usize> = (0..100).collect();
        let sizes = |rows: &[usize]| chunks(rows).map(<[usize]>::len).collect::<Vec<_>>();
        assert_eq!(sizes(&rows), [64, 32, 4]);
        assert_eq!(sizes(&rows[..15]), [8, 4, 2, 1]);
        let many: Vec<usize> = (0..2500).collect();
        let again: Vec<usize> = chunks(&many).flatten().copied().collect();
        assert_eq!(again, many);
        assert_eq!(chunks::<u8>(&[]).count(), 0);
    }
}
