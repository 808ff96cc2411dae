//! Departments and categories, edited by admins.

use super::accounts::Actor;
use crate::db::audit::{self, NewAuditEvent};
pub use crate::db::catalog::DepartmentRow;
use crate::db::catalog::{self, CategoryFields, CategoryRow};
use crate::db::clusters::RuleRow;
use crate::db::{self, DbConn};
use crate::domain::input::{self, FieldErrors, NAME_MAX, Slug};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use chrono_tz::Tz;

/// What the organisation has set up: departments, categories, the leads' grouping rules
/// and the time zone. Pages name things with it, filings are checked against it; each
/// process keeps a copy (`service::directory`) under the catalogue's change counter.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub departments: Vec<DepartmentRow>,
    pub categories: Vec<CategoryRow>,
    /// Active rules, oldest first.
    pub rules: Vec<RuleRow>,
    pub timezone: Tz,
}

impl Catalog {
    pub fn load(conn: &mut DbConn) -> AppResult<Self> {
        let mut rules = crate::db::clusters::rules(conn)?;
        rules.retain(|r| r.active);
        rules.sort_by_key(|r| r.id);
        Ok(Self {
            departments: catalog::departments(conn)?,
            categories: catalog::categories(conn)?,
            rules,
            timezone: super::organisation::timezone(conn)?,
        })
    }

    pub fn category_by_slug(&self, slug: &str) -> Option<&CategoryRow> {
        self.categories.iter().find(|c| c.slug == slug)
    }

    pub fn department_by_slug(&self, slug: &str) -> Option<&DepartmentRow> {
        self.departments.iter().find(|d| d.slug == slug)
    }

    /// A category's active rules, oldest first: the first that matches wins.
    pub fn rules_for_category(&self, category_id: i64) -> impl Iterator<Item = &RuleRow> {
        self.rules
            .iter()
            .filter(move |r| r.category_id == category_id)
    }

    pub fn department_slug(&self, id: Option<i64>) -> Option<&str> {
        id.and_then(|id| self.departments.iter().find(|d| d.id == id))
            .map(|d| d.slug.as_str())
    }

    /// A department's name in the reader's language (empty for none or an unknown id).
    pub fn department_label(&self, id: Option<i64>, lang: crate::i18n::Lang) -> String {
        id.and_then(|id| self.departments.iter().find(|d| d.id == id))
            .map(|d| d.label(lang).to_string())
            .unwrap_or_default()
    }

    /// A category's name in the reader's language (empty for an unknown id).
    pub fn category_label(&self, id: i64, lang: crate::i18n::Lang) -> String {
        self.category(id)
            .map(|c| match lang {
                crate::i18n::Lang::Zh => c.name_zh.clone(),
                crate::i18n::Lang::En => c.name_en.clone(),
            })
            .unwrap_or_default()
    }

    pub fn category(&self, id: i64) -> Option<&CategoryRow> {
        self.categories.iter().find(|c| c.id == id)
    }
}

fn audit_change(
    conn: &mut DbConn,
    actor: &Actor,
    entity: &str,
    id: i64,
    action: &str,
    after: serde_json::Value,
) -> AppResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            actor_id: Some(actor.id),
            entity,
            entity_id: id,
            action,
            before_json: None,
            after_json: Some(after.to_string()),
            at: db::now(),
        },
    )?;
    Ok(())
}

/// Every department, for the pickers of pages that have no catalogue yet (first-run
/// setup).
pub fn department_choices(conn: &mut DbConn) -> AppResult<Vec<DepartmentRow>> {
    Ok(catalog::departments(conn)?)
}

pub fn add_department(conn: &mut DbConn, actor: &Actor, slug: &str, name: &str) -> AppResult<i64> {
    add_department_named(conn, actor, slug, name, "")
}

/// A department with its name in English and (optionally) in Chinese.
pub fn add_department_named(
    conn: &mut DbConn,
    actor: &Actor,
    slug: &str,
    name: &str,
    name_zh: &str,
) -> AppResult<i64> {
    actor.require(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let slug = errors.check("slug", Slug::parse(slug));
    let name = errors.check("name", input::required_text(name, NAME_MAX));
    let name_zh = errors.check("name_zh", input::optional_text(name_zh, NAME_MAX));
    let (Some(slug), Some(name), Some(name_zh)) = (slug, name, name_zh) else {
        return Err(AppError::Invalid(errors));
    };
    let name_zh = name_zh.unwrap_or_default();
    crate::db::write_transaction(conn, |conn| {
        let names = (name.as_str(), name_zh.as_str());
        let id =
            catalog::insert_department(conn, slug.as_ref(), names, db::now()).map_err(|e| {
                if db::is_unique_violation(&e) {
                    AppError::field("slug", "error.slug_taken")
                } else {
                    e.into()
                }
            })?;
        audit_change(
            conn,
            actor,
            "department",
            id,
            "created",
            serde_json::json!({"slug": slug.as_ref(), "name": name, "name_zh": name_zh}),
        )?;
        Ok(id)
    })
}

/// A department's names, in English and in Chinese (empty: none).
pub fn rename_department(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    name: &str,
    name_zh: &str,
) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let mut errors = FieldErrors::new();
    let name = errors.check("name", input::required_text(name, NAME_MAX));
    let name_zh = errors.check("name_zh", input::optional_text(name_zh, NAME_MAX));
    let (Some(name), Some(name_zh)) = (name, name_zh) else {
        return Err(AppError::Invalid(errors));
    };
    let name_zh = name_zh.unwrap_or_default();
    crate::db::write_transaction(conn, |conn| {
        if catalog::rename_department(conn, id, (&name, &name_zh))? == 0 {
            return Err(AppError::NotFound);
        }
        audit_change(
            conn,
            actor,
            "department",
            id,
            "renamed",
            serde_json::json!({"name": name, "name_zh": name_zh}),
        )
    })
}

#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub slug: String,
    pub name_en: String,
    pub name_zh: String,
    pub description: String,
    pub active: bool,
}

fn parse_category(raw: &CategoryInput) -> AppResult<(String, String, String)> {
    let mut errors = FieldErrors::new();
    let en = errors.check("name_en", input::required_text(&raw.name_en, NAME_MAX));
    let zh = errors.check("name_zh", input::required_text(&raw.name_zh, NAME_MAX));
    let desc = errors.check("description", input::optional_text(&raw.description, 200));
    match (en, zh, desc) {
        (Some(en), Some(zh), Some(desc)) if errors.is_empty() => {
            Ok((en, zh, desc.unwrap_or_default()))
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

pub fn add_category(conn: &mut DbConn, actor: &Actor, raw: &CategoryInput) -> AppResult<i64> {
    actor.require(Role::Admin)?;
    let slug = Slug::parse(&raw.slug).map_err(|k| AppError::field("slug", k))?;
    let (en, zh, desc) = parse_category(raw)?;
    let fields = CategoryFields {
        name_en: &en,
        name_zh: &zh,
        description: &desc,
        active: true,
    };
    crate::db::write_transaction(conn, |conn| {
        let id =
            catalog::insert_category(conn, slug.as_ref(), &fields, db::now()).map_err(|e| {
                if db::is_unique_violation(&e) {
                    AppError::field("slug", "error.slug_taken")
                } else {
                    e.into()
                }
            })?;
        audit_change(
            conn,
            actor,
            "category",
            id,
            "created",
            serde_json::json!({"slug": slug.as_ref(), "name_en": en, "name_zh": zh}),
        )?;
        Ok(id)
    })
}

pub fn update_category(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    raw: &CategoryInput,
) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let (en, zh, desc) = parse_category(raw)?;
    let fields = CategoryFields {
        name_en: &en,
        name_zh: &zh,
        description: &desc,
        active: raw.active,
    };
    crate::db::write_transaction(conn, |conn| {
        if catalog::update_category(conn, id, &fields)? == 0 {
            return Err(AppError::NotFound);
        }
        audit_change(
            conn,
            actor,
            "category",
            id,
            "updated",
            serde_json::json!({"name_en": en, "name_zh": zh, "active": raw.active}),
        )
    })
}

/// A department named by slug in a form or API field: its id, `None` when the field is
/// empty, and a message on `field` when the slug is malformed or unknown.
pub fn department_field(
    conn: &mut DbConn,
    errors: &mut FieldErrors,
    field: &str,
    raw: &str,
) -> AppResult<Option<i64>> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let Some(slug) = errors.check(field, Slug::parse(raw)) else {
        return Ok(None);
    };
    match catalog::department_by_slug(conn, slug.as_ref())? {
        Some(d) => Ok(Some(d.id)),
        None => {
            errors.add(field, "error.unknown_department");
            Ok(None)
        }
    }
}
