//! A filing's fields, each parsed into a valid type and checked against the catalogue:
//! the one place that decides whether a filing is acceptable. Reads nothing but the
//! catalogue it is given, so the writer runs it inside its transaction and an import
//! runs it on every row before writing any.

use super::RawIncident;
use crate::domain::input::{self, BODY_MAX, FieldErrors, Slug, TITLE_MAX};
use crate::service::catalog::Catalog;
use chrono::{DateTime, Utc};

/// A filing's fields, parsed and checked against the catalogue.
#[derive(Debug)]
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
/// made: an empty time means then, one more than a day later is refused.
pub fn check(
    known: &Catalog,
    raw: &RawIncident,
    now: DateTime<Utc>,
) -> Result<Checked, FieldErrors> {
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
    known: &Catalog,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::catalog::{CategoryRow, DepartmentRow};
    use chrono::TimeZone;

    fn known() -> Catalog {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        let category = |id, slug: &str, active| CategoryRow {
            id,
            slug: slug.into(),
            name_en: slug.into(),
            name_zh: slug.into(),
            description: String::new(),
            active,
            created_at: at,
        };
        let department = |id, slug: &str| DepartmentRow {
            id,
            slug: slug.into(),
            name: slug.into(),
            name_zh: String::new(),
            created_at: at,
        };
        Catalog {
            timezone: chrono_tz::Asia::Shanghai,
            departments: vec![department(1, "sales"), department(2, "approval")],
            categories: vec![
                category(10, "approval-chase", true),
                category(11, "old-kind", false),
            ],
            rules: vec![],
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 18, 4, 30, 0).unwrap()
    }

    #[test]
    fn a_good_filing_is_read_in_the_organisations_zone() {
        let raw = RawIncident {
            title: "  Chasing approval for order 1321  ".into(),
            category: "approval-chase".into(),
            occurred_at: "2026-11-18T12:05".into(),
            counterpart: "approval".into(),
            tags: "lunch, urgent".into(),
            ..RawIncident::default()
        };
        let c = check(&known(), &raw, now()).expect("accepted");
        assert_eq!(c.title, "Chasing approval for order 1321");
        assert_eq!((c.category_id, c.counterpart_id), (10, Some(2)));
        assert_eq!(
            c.department_id, None,
            "the reporter's, filled in at writing"
        );
        // 12:05 in Shanghai is 04:05 UTC.
        assert_eq!(c.occurred.to_string(), "2026-11-18 04:05:00");
        assert_eq!(c.tags, vec!["lunch", "urgent"]);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let raw = RawIncident {
            title: " ".into(),
            category: "old-kind".into(),
            occurred_at: "2026-11-20T09:00".into(),
            department: "nowhere".into(),
            counterpart: "Not A Slug!".into(),
            ..RawIncident::default()
        };
        let errors = check(&known(), &raw, now()).expect_err("refused");
        let mut named: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        named.sort_unstable();
        assert_eq!(
            named,
            [
                "category",
                "counterpart",
                "department",
                "occurred_at",
                "title"
            ]
        );
        assert_eq!(errors.get("category"), Some("error.unknown_category"));
        assert_eq!(errors.get("department"), Some("error.unknown_department"));
    }

    #[test]
    fn an_empty_time_means_when_it_was_filed() {
        let raw = RawIncident {
            title: "催审批".into(),
            category: "approval-chase".into(),
            ..RawIncident::default()
        };
        let c = check(&known(), &raw, now()).expect("accepted");
        assert_eq!(c.occurred, now().naive_utc());
    }
}
