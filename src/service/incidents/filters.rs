//! The incident list's filters as people write them (slugs, a week, a status, words),
//! resolved against the catalogue into what the database narrows by. The list page,
//! its exports, the API and `rungs export` read them the same way.

use super::IncidentFilter;
use crate::domain::input::{FieldErrors, search_fold};
use crate::domain::states::IncidentStatus;
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::service::catalog::Catalog;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filters {
    /// An ISO week, written like 2026-W12.
    #[serde(default)]
    pub week: String,
    /// A category's slug.
    #[serde(default)]
    pub category: String,
    /// A department's slug: incidents it filed or waited on.
    #[serde(default)]
    pub department: String,
    /// open, handled or withdrawn.
    #[serde(default)]
    pub status: String,
    /// Words in the title, description, tags or order number.
    #[serde(default)]
    pub q: String,
}

impl Filters {
    /// What the database narrows by; `reporter` limits it to one person's incidents. A
    /// filter that names nothing known is refused with the field named, rather than
    /// ignored (an export of everything is not what was asked for).
    pub fn resolve(&self, catalog: &Catalog, reporter: Option<i64>) -> AppResult<IncidentFilter> {
        let mut errors = FieldErrors::new();
        let given = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let week = given(&self.week).map(|w| w.to_uppercase());
        if let Some(w) = &week
            && w.parse::<WeekKey>().is_err()
        {
            errors.add("week", "error.week");
        }
        let category_id = given(&self.category).and_then(|slug| {
            let found = catalog.category_by_slug(&slug).map(|c| c.id);
            if found.is_none() {
                errors.add("category", "error.unknown_category");
            }
            found
        });
        let department_id = given(&self.department).and_then(|slug| {
            let found = catalog.department_by_slug(&slug).map(|d| d.id);
            if found.is_none() {
                errors.add("department", "error.unknown_department");
            }
            found
        });
        let status = given(&self.status).and_then(|s| {
            let found = IncidentStatus::parse(&s);
            if found.is_none() {
                errors.add("status", "error.status");
            }
            found.map(|s| s.as_str().to_string())
        });
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok(IncidentFilter {
            week,
            category_id,
            department_id,
            status,
            reporter_id: reporter,
            text: Some(search_fold(&[self.q.trim()])).filter(|t| !t.is_empty()),
        })
    }

    /// The filters given, as a query string (`week=…&category=…&`), for links.
    pub fn query_string(&self) -> String {
        [
            ("week", &self.week),
            ("category", &self.category),
            ("department", &self.department),
            ("status", &self.status),
            ("q", &self.q),
        ]
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}&", urlencoding::encode(v)))
        .collect()
    }
}
