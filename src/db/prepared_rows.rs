//! Multi-row statements that stay prepared.
//!
//! The filing writer inserts and upserts many rows per batch. Built with diesel's query
//! builder, each such statement has as many rows as the batch, so it is new SQL every
//! time: built as text, then parsed by the database, batch after batch (on SQLite about
//! a quarter of the writer's time). On SQLite a statement is therefore cut into chunks
//! of 64, 32, 16, 8, 4, 2 and 1 rows; each size of each statement has a type of its own
//! (`HAS_STATIC_QUERY_ID`), so the connection prepares it once and afterwards only binds
//! the rows' values. On PostgreSQL every chunk is a round trip to the server, which costs
//! more than parsing there, so all rows go in one statement (up to `PG_ROWS` rows), as
//! before.

use super::{DbConn, on_backend};
use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Date, Double, Integer, Nullable, Text, Timestamp};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};
use std::marker::PhantomData;

/// One multi-row statement: `HEAD`, then each row's values in parentheses, then `TAIL`.
pub trait RowsStatement: 'static {
    type Row<'a>;
    /// Up to the first row: `INSERT INTO t (a, b) VALUES `.
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

/// One row's values, written with the commas between them.
pub struct Values<'p, 'a, 'b, DB: Backend> {
    out: &'p mut AstPass<'a, 'b, DB>,
    first: bool,
}

impl<'a, 'b, DB: Binder> Values<'_, 'a, 'b, DB> {
    fn next(&mut self) -> &mut AstPass<'a, 'b, DB> {
        if !self.first {
            self.out.push_sql(", ");
        }
        self.first = false;
        &mut *self.out
    }
    pub fn bigint(&mut self, v: &'b i64) -> QueryResult<&mut Self> {
        DB::bigint(self.next(), v)?;
        Ok(self)
    }
    pub fn bigint_or_null(&mut self, v: &'b Option<i64>) -> QueryResult<&mut Self> {
        DB::bigint_or_null(self.next(), v)?;
        Ok(self)
    }
    pub fn integer(&mut self, v: &'b i32) -> QueryResult<&mut Self> {
        DB::integer(self.next(), v)?;
        Ok(self)
    }
    pub fn text(&mut self, v: &'b str) -> QueryResult<&mut Self> {
        DB::text(self.next(), v)?;
        Ok(self)
    }
    pub fn text_or_null(&mut self, v: Option<&'b str>) -> QueryResult<&mut Self> {
        DB::text_or_null(self.next(), v)?;
        Ok(self)
    }
    pub fn double_or_null(&mut self, v: &'b Option<f64>) -> QueryResult<&mut Self> {
        DB::double_or_null(self.next(), v)?;
        Ok(self)
    }
    pub fn timestamp(&mut self, v: &'b chrono::NaiveDateTime) -> QueryResult<&mut Self> {
        DB::timestamp(self.next(), v)?;
        Ok(self)
    }
    pub fn date(&mut self, v: &'b chrono::NaiveDate) -> QueryResult<&mut Self> {
        DB::date(self.next(), v)?;
        Ok(self)
    }
}

/// `N` rows of `S`: a statement of its own type, so that it stays prepared; `N` = 0 is any
/// number of rows, written anew each time.
struct Chunk<'r, 'a, S: RowsStatement, const N: usize> {
    rows: &'r [S::Row<'a>],
    _statement: PhantomData<S>,
}

impl<S: RowsStatement, const N: usize> QueryId for Chunk<'_, '_, S, N> {
    type QueryId = (S, [(); N]);
    const HAS_STATIC_QUERY_ID: bool = N != 0;
}

impl<S: RowsStatement, DB: Binder, const N: usize> QueryFragment<DB> for Chunk<'_, '_, S, N> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if N == 0 {
            out.unsafe_to_cache_prepared();
        } else {
            debug_assert_eq!(self.rows.len(), N);
        }
        out.push_sql(S::HEAD);
        for (i, row) in self.rows.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            S::bind(
                row,
                &mut Values {
                    out: &mut out,
                    first: true,
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
/// Most rows in one statement on PostgreSQL: well under its 65,535 bound parameters.
const PG_ROWS: usize = 1000;

/// `rows` cut into the statements they go in (on PostgreSQL if `pg`), in order.
fn chunks<R>(pg: bool, mut rows: &[R]) -> impl Iterator<Item = &[R]> {
    std::iter::from_fn(move || {
        let n = if pg {
            rows.len().min(PG_ROWS)
        } else {
            SIZES.into_iter().find(|&n| n <= rows.len())?
        };
        if n == 0 {
            return None;
        }
        let (chunk, rest) = rows.split_at(n);
        rows = rest;
        Some(chunk)
    })
}

/// The statement type for a chunk of `$n` rows (on PostgreSQL if `$pg`).
macro_rules! by_size {
    ($pg:expr, $n:expr, $f:ident :: <$s:ty>($($arg:expr),*)) => {
        match ($pg, $n) {
            (true, _) => $f::<$s, 0>($($arg),*),
            (false, 64) => $f::<$s, 64>($($arg),*),
            (false, 32) => $f::<$s, 32>($($arg),*),
            (false, 16) => $f::<$s, 16>($($arg),*),
            (false, 8) => $f::<$s, 8>($($arg),*),
            (false, 4) => $f::<$s, 4>($($arg),*),
            (false, 2) => $f::<$s, 2>($($arg),*),
            (false, _) => $f::<$s, 1>($($arg),*),
        }
    };
}

/// Run `S` over every row, in order; the number of rows it changed.
pub fn execute<S: RowsStatement>(conn: &mut DbConn, rows: &[S::Row<'_>]) -> QueryResult<usize> {
    fn one<S: RowsStatement, const N: usize>(
        conn: &mut DbConn,
        rows: &[S::Row<'_>],
    ) -> QueryResult<usize> {
        let chunk = Chunk::<S, N> {
            rows,
            _statement: PhantomData,
        };
        on_backend!(conn, |c| chunk.execute(c))
    }
    let mut changed = 0;
    let pg = matches!(conn, DbConn::Pg(_));
    for chunk in chunks(pg, rows) {
        changed += by_size!(pg, chunk.len(), one::<S>(conn, chunk))?;
    }
    Ok(changed)
}

/// Run `S` over every row, in order, and collect what it returns.
pub fn load<S: ReturnsKeyedCount>(
    conn: &mut DbConn,
    rows: &[S::Row<'_>],
) -> QueryResult<Vec<KeyedCount>> {
    fn one<S: ReturnsKeyedCount, const N: usize>(
        conn: &mut DbConn,
        rows: &[S::Row<'_>],
    ) -> QueryResult<Vec<KeyedCount>> {
        let chunk = Chunk::<S, N> {
            rows,
            _statement: PhantomData,
        };
        on_backend!(conn, |c| chunk.load(c))
    }
    let mut out = Vec::with_capacity(rows.len());
    let pg = matches!(conn, DbConn::Pg(_));
    for chunk in chunks(pg, rows) {
        out.extend(by_size!(pg, chunk.len(), one::<S>(conn, chunk))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_cuts_rows_into_the_fixed_sizes_postgresql_into_one_statement() {
        let rows: Vec<usize> = (0..100).collect();
        let sizes = |pg, rows: &[usize]| chunks(pg, rows).map(<[usize]>::len).collect::<Vec<_>>();
        assert_eq!(sizes(false, &rows), [64, 32, 4]);
        assert_eq!(sizes(false, &rows[..15]), [8, 4, 2, 1]);
        assert_eq!(sizes(true, &rows), [100]);
        let many: Vec<usize> = (0..2500).collect();
        assert_eq!(sizes(true, &many), [1000, 1000, 500]);
        for pg in [false, true] {
            let again: Vec<usize> = chunks(pg, &many).flatten().copied().collect();
            assert_eq!(again, many);
            assert_eq!(chunks::<u8>(pg, &[]).count(), 0);
        }
    }
}
