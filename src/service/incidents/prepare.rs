//! A filing's request side, before the writer: who is filing, every field parsed and
//! checked against the catalogue, and the incident placed against the clusters. Reads
//! only, and no write.
//!
//! Two ways to get there. `prepare` reads what its caches lack from the database (on
//! the blocking pool). `prepare_from_memory` takes the filer and the catalogue from
//! `Directory`'s copies alone, on the request's own thread, and gives up (for
//! `prepare`) when anything is missing or the filing would be refused: a refusal is
//! only ever told from the database's word. Either way the filing carries the change
//! counters its checks were made under (`CheckedUnder`), and the writer compares them
//! with the counters in its transaction, under the write lock: a filing checked under
//! counters that have since moved goes back to be checked again.

use crate::db::DbConn;
use crate::db::versions::Versions;
use crate::domain::input::{self, BODY_MAX, FieldErrors, Slug, TITLE_MAX};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::clusters;
use crate::service::directory::{Directory, Known};
use crate::service::grouping::GroupingCache;
use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// An incident as typed into the form or sent to the API: every field as text, so a
/// rejected form can be shown again exactly as it was typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct RawIncident {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub counterpart: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub external_ref: String,
}

/// Who is filing.
#[derive(Debug, Clone)]
pub enum Filer {
    /// An API token, not yet checked.
    Token(String),
    /// A person the caller has already recognised (a signed-in session, the command
    /// line).
    Person(Actor),
}

/// The change counters a filing's checks were made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedUnder {
    /// The accounts counter the token was recognised under; `None` for a `Filer::Person`.
    pub accounts: Option<i64>,
    /// The catalogue counter the fields were checked under.
    pub catalog: i64,
}

impl CheckedUnder {
    /// Whether the checks still hold with the counters `now`: nothing they read has
    /// changed since.
    pub fn holds(&self, now: &Versions) -> bool {
        self.accounts.is_none_or(|a| a == now.accounts) && self.catalog == now.catalog
    }
}

/// A filing that passed validation and was matched against the clusters, ready for the
/// writer. Everything here was worked out in the request, off the write lock.
#[derive(Debug, Clone)]
pub struct PreparedFiling {
    pub actor: Actor,
    pub title: String,
    pub body: String,
    pub category_id: i64,
    pub category_slug: String,
    /// UTC, truncated to microseconds.
    pub occurred: chrono::NaiveDateTime,
    pub tags: Vec<String>,
    pub external_ref: Option<String>,
    pub search: String,
    /// The given department, else the reporter's.
    pub department_id: Option<i64>,
    pub counterpart_id: Option<i64>,
    pub placement: clusters::Placement,
    pub under: CheckedUnder,
}

/// How late another process's filings may reach the index used to place a filing in
/// the request (the writer catches up before every batch).
const PLACEMENT_FRESHNESS: std::time::Duration = std::time::Duration::from_millis(20);

/// Recognise the filer, validate the filing and place it (rules, then similarity),
/// reading from the database whatever the caches lack. The reporter's department is
/// used when none is given.
pub fn prepare(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    directory: &Directory,
    versions: &Versions,
    filer: &Filer,
    raw: &RawIncident,
    now: DateTime<Utc>,
) -> AppResult<PreparedFiling> {
    let (actor, accounts) = match filer {
        Filer::Token(token) => {
            let actor = directory.token_actor(conn, versions, token)?;
            (
                actor.ok_or(AppError::Unauthorized)?,
                Some(versions.accounts),
            )
        }
        Filer::Person(actor) => (actor.clone(), None),
    };
    let known = directory.known(conn, versions)?;
    let checked = check(&known, raw, now)?;
    // Matching reads the in-process index outside the write transaction.
    grouping.refresh_within(conn, PLACEMENT_FRESHNESS)?;
    let titles = |ids: &[i64]| directory.cluster_titles(conn, versions, ids);
    let placement = checked.place(grouping, &known, titles)?;
    let under = CheckedUnder {
        accounts,
        catalog: versions.catalog,
    };
    Ok(checked.prepared(actor, placement, under))
}

/// `prepare` from memory alone, or `None` when something is not remembered (the
/// filer, the catalogue, a suggested cluster's title), the index has not caught up
/// within `PLACEMENT_FRESHNESS`, or the filing would be refused.
pub fn prepare_from_memory(
    grouping: &GroupingCache,
    directory: &Directory,
    filer: &Filer,
    raw: &RawIncident,
    now: DateTime<Utc>,
) -> Option<PreparedFiling> {
    let (actor, accounts) = match filer {
        Filer::Token(token) => {
            let (actor, accounts) = directory.remembered_token_actor(token)?;
            (actor, Some(accounts))
        }
        Filer::Person(actor) => (actor.clone(), None),
    };
    let (known, catalog) = directory.remembered_known()?;
    if !grouping.fresh_within(PLACEMENT_FRESHNESS) {
        return None;
    }
    let checked = check(&known, raw, now).ok()?;
    let mut all_titles = true;
    let titles = |ids: &[i64]| {
        Ok(directory.remembered_titles(ids).unwrap_or_else(|| {
            all_titles = false;
            FxHashMap::default()
        }))
    };
    let placement = checked.place(grouping, &known, titles).ok()?;
    let under = CheckedUnder { accounts, catalog };
    all_titles.then(|| checked.prepared(actor, placement, under))
}

/// A filing's fields, parsed and checked against the catalogue.
struct Checked {
    title: String,
    body: String,
    category_id: i64,
    category_slug: String,
    occurred: chrono::NaiveDateTime,
    tags: Vec<String>,
    external_ref: Option<String>,
    search: String,
    department_id: Option<i64>,
    counterpart_id: Option<i64>,
}

/// Parse every field, collecting a message per bad field.
fn check(known: &Known, raw: &RawIncident, now: DateTime<Utc>) -> AppResult<Checked> {
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
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
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

impl Checked {
    fn place(
        &self,
        grouping: &GroupingCache,
        known: &Arc<Known>,
        titles: impl FnOnce(&[i64]) -> AppResult<FxHashMap<i64, String>>,
    ) -> AppResult<clusters::Placement> {
        let rules = known.rules_for_category(self.category_id);
        clusters::place(
            grouping,
            titles,
            rules,
            self.category_id,
            &self.title,
            &self.body,
            &self.search,
        )
    }

    fn prepared(
        self,
        actor: Actor,
        placement: clusters::Placement,
        under: CheckedUnder,
    ) -> PreparedFiling {
        PreparedFiling {
            department_id: self.department_id.or(actor.department_id),
            counterpart_id: self.counterpart_id,
            actor,
            title: self.title,
            body: self.body,
            category_id: self.category_id,
            category_slug: self.category_slug,
            occurred: self.occurred,
            tags: self.tags,
            external_ref: self.external_ref,
            search: self.search,
            placement,
            under,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_hold_while_the_counters_they_read_stand() {
        let now = Versions {
            accounts: 4,
            catalog: 7,
            rollups: 100,
            grouping: 2,
            clusters: 9,
        };
        let token = CheckedUnder {
            accounts: Some(4),
            catalog: 7,
        };
        assert!(token.holds(&now));
        let busier = Versions {
            rollups: 101,
            clusters: 10,
            grouping: 3,
            ..now
        };
        assert!(token.holds(&busier), "filings and clusters do not matter");
        let revoked = Versions { accounts: 5, ..now };
        assert!(!token.holds(&revoked), "a token revoked since");
        let retired = Versions { catalog: 8, ..now };
        assert!(!token.holds(&retired), "a category retired since");
        let person = CheckedUnder {
            accounts: None,
            catalog: 7,
        };
        assert!(person.holds(&revoked), "a person the caller vouched for");
        assert!(!person.holds(&retired));
    }
}
