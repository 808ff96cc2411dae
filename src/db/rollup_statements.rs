//! The rollups' multi-row statements (`prepared_rows`), used by `rollups::apply_many`.

use super::prepared_rows::{Binder, ReturnsKeyedCount, RowsStatement, Values};
use diesel::QueryResult;

/// `category_weeks` += (category, week, incidents).
pub(super) struct AddCategoryWeeks;

impl RowsStatement for AddCategoryWeeks {
    type Row<'a> = (i64, &'a str, i32);
    const HEAD: &'static str =
        "INSERT INTO category_weeks (category_id, week_key, incidents) VALUES ";
    const TAIL: &'static str = " ON CONFLICT (category_id, week_key) \
        DO UPDATE SET incidents = category_weeks.incidents + excluded.incidents";
    fn bind<'b, DB: Binder>(
        (id, week, n): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values.bigint(id)?.text(week)?.integer(n)?;
        Ok(())
    }
}

/// `cluster_weeks` += (cluster, week, incidents).
pub(super) struct AddClusterWeeks;

impl RowsStatement for AddClusterWeeks {
    type Row<'a> = (i64, &'a str, i32);
    const HEAD: &'static str =
        "INSERT INTO cluster_weeks (cluster_id, week_key, incidents) VALUES ";
    const TAIL: &'static str = " ON CONFLICT (cluster_id, week_key) \
        DO UPDATE SET incidents = cluster_weeks.incidents + excluded.incidents";
    fn bind<'b, DB: Binder>(
        (id, week, n): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values.bigint(id)?.text(week)?.integer(n)?;
        Ok(())
    }
}

/// `cluster_weeks.refs` += (cluster, week, change in distinct references); the rows exist.
pub(super) struct AddDistinctRefs;

impl RowsStatement for AddDistinctRefs {
    type Row<'a> = (i64, &'a str, i32);
    const HEAD: &'static str = "UPDATE cluster_weeks SET refs = cluster_weeks.refs + v.column3 \
        FROM (VALUES ";
    const TAIL: &'static str =
        ") AS v WHERE cluster_weeks.cluster_id = v.column1 AND cluster_weeks.week_key = v.column2";
    fn bind<'b, DB: Binder>(
        (id, week, n): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values.bigint(id)?.text(week)?.integer(n)?;
        Ok(())
    }
}

/// `cluster_week_values` += (cluster, week, dimension, value, incidents).
pub(super) struct AddValues;

const ADD_VALUES_HEAD: &str = "INSERT INTO cluster_week_values \
    (cluster_id, week_key, dimension, value, incidents) VALUES ";
macro_rules! add_values_tail {
    () => {
        " ON CONFLICT (cluster_id, week_key, dimension, value) \
        DO UPDATE SET incidents = cluster_week_values.incidents + excluded.incidents"
    };
}

impl RowsStatement for AddValues {
    type Row<'a> = (i64, &'a str, &'a str, &'a str, i32);
    const HEAD: &'static str = ADD_VALUES_HEAD;
    const TAIL: &'static str = add_values_tail!();
    fn bind<'b, DB: Binder>(
        (id, week, dimension, value, n): &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        values
            .bigint(id)?
            .text(week)?
            .text(dimension)?
            .text(value)?
            .integer(n)?;
        Ok(())
    }
}

/// `AddValues` for references, returning each row's count after it.
pub(super) struct AddRefs;

impl RowsStatement for AddRefs {
    type Row<'a> = <AddValues as RowsStatement>::Row<'a>;
    const HEAD: &'static str = ADD_VALUES_HEAD;
    const TAIL: &'static str = concat!(
        add_values_tail!(),
        " RETURNING cluster_id, week_key, value, incidents"
    );
    fn bind<'b, DB: Binder>(
        row: &'b Self::Row<'_>,
        values: &mut Values<'_, '_, 'b, DB>,
    ) -> QueryResult<()> {
        AddValues::bind(row, values)
    }
}

impl ReturnsKeyedCount for AddRefs {}
