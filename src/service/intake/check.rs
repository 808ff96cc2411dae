//! A filing's fields, each parsed into a valid type and checked against the catalogue:
//! the one place that decides whether a filing is acceptable. Reads nothing but the
//! catalogue it is given, so the writer runs it inside its transaction and an import
//! runs it on every row before writing any.

use super::RawIncident;
use crate::domain::input::{self, BODY_MAX, FieldErrors, Slug, TITLE_MAX};
use crate::service::directory::Known;
use chrono::{DateTime, Utc};

/// A filing's fields, parsed and checked against the catalogue.
pub struct Checked {
    pub title: String,
    pub body: String,
    pub category_id: i64,
    pub category_slug: String,
    pub occurred: chrono::NaiveDateTime,
    pub tags: Vec<String>,
    pub external_ref: Option<String>,
    pub search: String,
    pub department_id: Option<i64>,
    pub counterpart_id: Option<i64>,
}

/// Parse every field, collecting a message per bad field. `now` is when the filing was
/// made: an empty time means then, a later one is refused.
pub fn check(known: &Known, raw: &RawIncident, now: DateTime<Utc>) -> Result<Checked, FieldErrors> {
    let tz = known.timezone;
    let mut errors = FieldErrors::new();
    let title = errors.check("title", input::required_text(&raw.title, TITLE_MAX));
    let body = errors.check("body", input::optional_text(&raw.body, BODY_MAX));
    let occurred = errors.check("occurred_at", input::occurred_at(&raw.occurred_at, tz, now));
    let tags = errors.check("tags", input::tags(&raw.tags));
    let external_ref = errors.check("external_ref", input::optional_text(&raw.external_ref, 100));
    let category = match errors.check("category", Slug::parse(&raw.category)) {
        Some(slug) => match known.category_by_slug(slug.as_ref()) {
            Some(c) if c.active => Some(c),
            _ => {
                errors.add("category", "error.unknown_category");
                None
            }
        },
        None => None,
    };
    let department = department_field(known, &mut errors, "department", &raw.department);
    let counterpart = department_field(known, &mut errors, "counterpart", &raw.counterpart);
    let (Some(title), Some(body), Some(occurred), Some(tags), Some(external_ref), Some(category)) =
        (title, body, occurred, tags, external_ref, category)
    else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let body = body.unwrap_or_default();
    let search = input::search_fold(&[
        &title,
        &body,
        &tags.join(", "),
        external_ref.as_deref().unwrap_or(""),
    ]);
    Ok(Checked {
        title,
        body,
        category_id: category.id,
        category_slug: category.slug.clone(),
        occurred: crate::db::truncate_micros(occurred.naive_utc()),
        tags,
        external_ref,
        search,
        department_id: department,
        counterpart_id: counterpart,
    })
}

/// A department named by slug in a form or API field: its id, `None` when the field is
/// empty, and a message on `field` when the slug is malformed or unknown.
fn department_field(
    known: &Known,
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
) -> Option<i64> {
    if raw.trim().is_empty() {
        return None;
    }
    let slug = errors.check(field, Slug::parse(raw))?;
    match known.department_by_slug(slug.as_ref()) {
        Some(d) => Some(d.id),
        None => {
            errors.add(field, "error.unknown_department");
            None
        }
    }
}
