//! PostgreSQL's shape of a `RowsStatement`: every row as one array per column, bound
//! to `SELECT * FROM UNNEST($1, $2, …)` in place of `VALUES`, so that the statement's
//! text does not depend on the number of rows and it stays prepared.

use super::{ReturnsKeyedCount, RowsStatement, Target, Values};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use diesel::RunQueryDsl;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Nullable, Text, Timestamp};
use std::marker::PhantomData;

/// One column of a PostgreSQL statement's rows, bound as one array.
pub(super) enum Column<'b> {
    BigInt(Vec<i64>),
    BigIntOrNull(Vec<Option<i64>>),
    Integer(Vec<i32>),
    Text(Vec<&'b str>),
    TextOrNull(Vec<Option<&'b str>>),
    DoubleOrNull(Vec<Option<f64>>),
    Timestamp(Vec<NaiveDateTime>),
    Date(Vec<NaiveDate>),
}

impl<'b> Column<'b> {
    pub(super) fn bind(&'b self, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match self {
            Column::BigInt(v) => out.push_bind_param::<Array<BigInt>, _>(v),
            Column::BigIntOrNull(v) => out.push_bind_param::<Array<Nullable<BigInt>>, _>(v),
            Column::Integer(v) => out.push_bind_param::<Array<Integer>, _>(v),
            Column::Text(v) => out.push_bind_param::<Array<Text>, _>(v),
            Column::TextOrNull(v) => out.push_bind_param::<Array<Nullable<Text>>, _>(v),
            Column::DoubleOrNull(v) => out.push_bind_param::<Array<Nullable<Double>>, _>(v),
            Column::Timestamp(v) => out.push_bind_param::<Array<Timestamp>, _>(v),
            Column::Date(v) => out.push_bind_param::<Array<Date>, _>(v),
        }
    }
}

/// Every row of `S` as one array per column (PostgreSQL).
pub(super) struct Unnest<'c, 'b, S: RowsStatement> {
    pub(super) columns: &'c [Column<'b>],
    pub(super) _statement: PhantomData<S>,
}

impl<'c, 'b, S: RowsStatement> Unnest<'c, 'b, S> {
    /// The rows' values, column by column.
    pub(super) fn columns(rows: &'b [S::Row<'_>]) -> QueryResult<Vec<Column<'b>>> {
        let mut columns = Vec::new();
        for row in rows {
            S::bind::<Pg>(
                row,
                &mut Values {
                    to: Target::Columns(&mut columns),
                    next: 0,
                },
            )?;
        }
        Ok(columns)
    }
}

impl<S: RowsStatement> QueryId for Unnest<'_, '_, S> {
    type QueryId = (S, Unnest<'static, 'static, S>);
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: RowsStatement> QueryFragment<Pg> for Unnest<'_, '_, S> {
    fn walk_ast<'p>(&'p self, mut out: AstPass<'_, 'p, Pg>) -> QueryResult<()> {
        let head = S::HEAD.strip_suffix("VALUES ").ok_or_else(|| {
            diesel::result::Error::QueryBuilderError("a RowsStatement's HEAD ends in VALUES".into())
        })?;
        out.push_sql(head);
        out.push_sql("SELECT * FROM UNNEST(");
        for (i, column) in self.columns.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            column.bind(&mut out)?;
        }
        out.push_sql(") AS u(");
        for i in 1..=self.columns.len() {
            out.push_sql(if i == 1 { "column1" } else { ", column" });
            if i > 1 {
                out.push_sql(&i.to_string());
            }
        }
        out.push_sql(")");
        out.push_sql(S::TAIL);
        Ok(())
    }
}

impl<S: ReturnsKeyedCount> Query for Unnest<'_, '_, S> {
    type SqlType = (BigInt, Text, Text, Integer);
}

impl<S: RowsStatement, Conn> RunQueryDsl<Conn> for Unnest<'_, '_, S> {}
