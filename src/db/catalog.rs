//! Departments and categories: the small tables every page names things from.

use super::DbConn;
use super::schema::{categories, departments};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = departments)]
pub struct DepartmentRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub created_at: NaiveDateTime,
    /// Its name in Chinese; empty when nobody has given one.
    pub name_zh: String,
}

impl DepartmentRow {
    /// The name in the reader's language (its name when it has no Chinese one).
    pub fn label(&self, lang: impl std::borrow::Borrow<crate::i18n::Lang>) -> &str {
        match lang.borrow() {
            crate::i18n::Lang::Zh if !self.name_zh.is_empty() => &self.name_zh,
            _ => &self.name,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryRow {
    pub id: i64,
    pub slug: String,
    pub name_en: String,
    pub name_zh: String,
    pub description: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

pub fn departments(conn: &mut DbConn) -> QueryResult<Vec<DepartmentRow>> {
    departments::table
        .order(departments::slug.asc())
        .select(DepartmentRow::as_select())
        .load(conn)
}

pub fn department_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<DepartmentRow>> {
    departments::table
        .filter(departments::slug.eq(slug))
        .select(DepartmentRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert_department(
    conn: &mut DbConn,
    slug: &str,
    (name, name_zh): (&str, &str),
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = diesel::insert_into(departments::table)
        .values((
            departments::slug.eq(slug),
            departments::name.eq(name),
            departments::name_zh.eq(name_zh),
            departments::created_at.eq(now),
        ))
        .returning(departments::id)
        .get_result(conn)?;
    super::versions::counted_by_trigger();
    Ok(id)
}

pub fn rename_department(
    conn: &mut DbConn,
    id: i64,
    (name, name_zh): (&str, &str),
) -> QueryResult<usize> {
    let changed = diesel::update(departments::table.find(id))
        .set((departments::name.eq(name), departments::name_zh.eq(name_zh)))
        .execute(conn)?;
    super::versions::counted_by_trigger();
    Ok(changed)
}

pub fn categories(conn: &mut DbConn) -> QueryResult<Vec<CategoryRow>> {
    categories::table
        .order(categories::id.asc())
        .select(CategoryRow::as_select())
        .load(conn)
}

pub fn category_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<CategoryRow>> {
    categories::table
        .filter(categories::slug.eq(slug))
        .select(CategoryRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = categories)]
pub struct CategoryFields<'a> {
    pub name_en: &'a str,
    pub name_zh: &'a str,
    pub description: &'a str,
    pub active: bool,
}

pub fn insert_category(
    conn: &mut DbConn,
    slug: &str,
    fields: &CategoryFields<'_>,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = diesel::insert_into(categories::table)
        .values((
            fields,
            categories::slug.eq(slug),
            categories::created_at.eq(now),
        ))
        .returning(categories::id)
        .get_result(conn)?;
    super::versions::counted_by_trigger();
    Ok(id)
}

pub fn update_category(
    conn: &mut DbConn,
    id: i64,
    fields: &CategoryFields<'_>,
) -> QueryResult<usize> {
    let changed = diesel::update(categories::table.find(id))
        .set(fields)
        .execute(conn)?;
    super::versions::counted_by_trigger();
    Ok(changed)
}
