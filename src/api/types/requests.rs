//! What the API reads: request bodies and query strings. Every field is optional to
//! serde (`null` is absent), so that the required ones are named together (`Required`);
//! an unknown field is refused.

use crate::api::json::Required;
use crate::error::AppError;
use crate::service::intake::RawIncident;
use crate::service::ladder::ActionInput;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// An incident to file. Values are checked when it is filed; each wrong one is named.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIncident {
    /// What went wrong, in one line (1 to 200 characters).
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = r"\S",
        example = "Invoice PDF shows the wrong VAT rate")]
    pub title: Option<String>,
    /// The details (at most 10,000 characters).
    #[schema(max_length = 10000)]
    pub body: Option<String>,
    /// A category's slug (see the catalogue).
    #[schema(value_type = String, required = true, pattern = "^[a-z0-9][a-z0-9-]*$", example = "billing")]
    pub category: Option<String>,
    /// When it happened: `YYYY-MM-DDTHH:MM` in the organisation's zone, or RFC 3339;
    /// between 2000 and tomorrow. Absent: now.
    pub occurred_at: Option<String>,
    /// A department's slug.
    #[schema(pattern = "^([a-z0-9][a-z0-9-]*)?$")]
    pub department: Option<String>,
    /// Who was on the other side (a slug).
    #[schema(pattern = "^([a-z0-9][a-z0-9-]*)?$")]
    pub counterpart: Option<String>,
    /// At most 10 tags of 40 characters, none with a comma.
    #[schema(max_items = 10)]
    pub tags: Option<Vec<String>>,
    /// A reference in another system (at most 100 characters).
    #[schema(max_length = 100)]
    pub external_ref: Option<String>,
}

impl NewIncident {
    pub fn into_raw(self) -> Result<RawIncident, AppError> {
        let mut req = Required::new();
        let title = req.take("title", self.title);
        let category = req.take("category", self.category);
        let tags = self.tags.unwrap_or_default();
        if tags.iter().any(|t| t.contains(',')) {
            req.wrong("tags", "error.not_a_string_list");
        }
        req.finish()?;
        Ok(RawIncident {
            title,
            body: self.body.unwrap_or_default(),
            category,
            occurred_at: self.occurred_at.unwrap_or_default(),
            department: self.department.unwrap_or_default(),
            counterpart: self.counterpart.unwrap_or_default(),
            tags: tags.join(","),
            external_ref: self.external_ref.unwrap_or_default(),
        })
    }
}

/// An action on a rung of the ladder. Which fields a rung needs is checked on creation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAction {
    /// 1 to 6.
    #[schema(value_type = i64, required = true, minimum = 1, maximum = 6)]
    pub rung: Option<i64>,
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    pub why: Option<String>,
    /// The owner's login.
    pub owner: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    /// `weekly_rate_below` or `rate_ratio_below`.
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    /// The weekly count the goal starts from; by default the cluster's mean over the 8
    /// weeks before the launch week (or this week when not launched).
    pub goal_start: Option<f64>,
    /// The week the goal must be reached, `YYYY-Www`; by default the due date's week,
    /// else the launch week plus `review_after_weeks`.
    pub goal_week: Option<String>,
    /// The launch day, `YYYY-MM-DD` or RFC 3339.
    pub launched_at: Option<String>,
    /// 1 to 52.
    #[schema(minimum = 1, maximum = 52)]
    pub review_after_weeks: Option<i64>,
    /// For a policy: the slugs of the departments that sign off.
    pub departments: Option<Vec<String>>,
    /// 1 to 52.
    #[schema(minimum = 1, maximum = 52)]
    pub retro_weeks: Option<i64>,
    pub kpi_department: Option<String>,
    pub kpi_item: Option<String>,
    pub kpi_definition: Option<String>,
    /// 0 to 100.
    #[schema(minimum = 0, maximum = 100)]
    pub kpi_weight: Option<f64>,
    /// A guard metric: a cluster's id…
    pub guard_cluster: Option<i64>,
    /// …or a category's slug.
    pub guard_category: Option<String>,
    /// 0 to 10.
    #[schema(minimum = 0, maximum = 10)]
    pub guard_margin: Option<f64>,
}

impl NewAction {
    pub fn into_input(self) -> Result<ActionInput, AppError> {
        let mut req = Required::new();
        let rung = req.take("rung", self.rung);
        let title = req.take("title", self.title);
        req.finish()?;
        let text = |s: Option<String>| s.unwrap_or_default();
        Ok(ActionInput {
            rung: Some(rung),
            title,
            why: text(self.why),
            owner: text(self.owner),
            due_on: text(self.due_on),
            goal_kind: text(self.goal_kind),
            goal_value: self.goal_value,
            goal_start: self.goal_start,
            goal_week: text(self.goal_week),
            launched_on: text(self.launched_at),
            review_after_weeks: self.review_after_weeks,
            departments: self.departments.unwrap_or_default(),
            retro_weeks: self.retro_weeks,
            kpi_department: text(self.kpi_department),
            kpi_item: text(self.kpi_item),
            kpi_definition: text(self.kpi_definition),
            kpi_weight: self.kpi_weight,
            guard_cluster: self.guard_cluster,
            guard_category: text(self.guard_category),
            guard_margin: self.guard_margin,
        })
    }
}

/// Merge this cluster into another of its category.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Merge {
    /// The surviving cluster's id.
    #[schema(value_type = i64, required = true)]
    pub into: Option<i64>,
}

impl Merge {
    pub fn into_id(self) -> Result<i64, AppError> {
        let mut req = Required::new();
        let into = req.take("into", self.into);
        req.finish()?;
        Ok(into)
    }
}

/// Move an action on to its next stage.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// The stage it moves to, as the rung's workflow allows.
    #[schema(value_type = String, required = true, example = "launched",
        pattern = "^(planned|proposed|scheduled|in_development|launched|cancelled)$")]
    pub stage: Option<String>,
    /// The day, `YYYY-MM-DD`; absent: today.
    pub on: Option<String>,
    pub note: Option<String>,
}

/// A department's decision on a policy.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOff {
    /// The department's slug.
    #[schema(value_type = String, required = true)]
    pub department: Option<String>,
    /// `approve` or `object`.
    #[schema(value_type = String, required = true, pattern = "^(approve|object)$")]
    pub decision: Option<String>,
    /// Required with an objection.
    pub comment: Option<String>,
}

/// A KPI weight revised.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weight {
    /// 0 to 100.
    #[schema(value_type = f64, required = true, minimum = 0, maximum = 100)]
    pub weight: Option<f64>,
    /// The day, `YYYY-MM-DD`; absent: today.
    pub on: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1, pattern = r"\S")]
    pub reason: Option<String>,
}

/// What a lead corrects on a recorded action; a field left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionPatch {
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub title: Option<String>,
    pub why: Option<String>,
    /// The owner's login.
    #[schema(min_length = 1, pattern = r"\S")]
    pub owner: Option<String>,
    /// `YYYY-MM-DD`, or empty for no due date.
    pub due_on: Option<String>,
    /// `weekly_rate_below`, `rate_ratio_below`, or empty to drop the goal. Sent, the
    /// goal is planned week by week again from `goal_value`, `goal_start` and
    /// `goal_week`; left out, the goal stays as it is.
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    pub goal_start: Option<f64>,
    /// `YYYY-Www`.
    pub goal_week: Option<String>,
}

impl From<ActionPatch> for crate::service::ladder::ActionRevision {
    fn from(p: ActionPatch) -> Self {
        crate::service::ladder::ActionRevision {
            title: p.title,
            why: p.why,
            owner: p.owner,
            due_on: p.due_on,
            goal_kind: p.goal_kind,
            goal_value: p.goal_value,
            goal_start: p.goal_start,
            goal_week: p.goal_week,
        }
    }
}

/// The three strings of a step (`stage`, `on`, `note`), a sign-off or a weight, checked.
pub fn advance_fields(a: Advance) -> Result<(String, String, String), AppError> {
    let mut req = Required::new();
    let stage = req.take("stage", a.stage);
    req.finish()?;
    Ok((stage, a.on.unwrap_or_default(), a.note.unwrap_or_default()))
}

pub fn sign_off_fields(s: SignOff) -> Result<(String, String, String), AppError> {
    let mut req = Required::new();
    let department = req.take("department", s.department);
    let decision = req.take("decision", s.decision);
    req.finish()?;
    Ok((department, decision, s.comment.unwrap_or_default()))
}

pub fn weight_fields(w: Weight) -> Result<(f64, String, String), AppError> {
    let mut req = Required::new();
    let weight = req.take("weight", w.weight);
    let reason = req.take("reason", w.reason);
    req.finish()?;
    Ok((weight, w.on.unwrap_or_default(), reason))
}

/// `?as_of=YYYY-MM-DD`: judge as on that day (for retrospectives and history).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOf {
    /// `YYYY-MM-DD`; absent: now.
    #[param(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$", example = "2026-11-30")]
    pub as_of: Option<String>,
}

/// `?week=YYYY-Www`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Week {
    /// An ISO week such as `2026-W47`; absent: the last complete week.
    #[param(pattern = "^([0-9]{4}-W[0-9]{2})?$", example = "2026-W47")]
    pub week: Option<String>,
}

/// `?week=YYYY-Www&baseline=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WeekQuery {
    /// An ISO week such as `2026-W47`; absent: the last complete week.
    #[param(pattern = "^([0-9]{4}-W[0-9]{2})?$", example = "2026-W47")]
    pub week: Option<String>,
    /// What the week is compared with, `last_week` (absent) or `mean8`.
    #[serde(default)]
    #[param(required = false, pattern = "^(last_week|mean8)?$")]
    pub baseline: String,
}

/// `?after=ID&limit=N`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The last id seen; absent: from the start.
    #[serde(default)]
    #[param(required = false)]
    pub after: i64,
    /// At most this many (capped at 500); absent: 100.
    #[serde(default = "default_limit")]
    #[param(required = false)]
    pub limit: i64,
}

fn default_limit() -> i64 {
    100
}

/// A query value as sent: absent or empty is `None`; one with spaces around it is refused
/// (the document's patterns allow none), with `message_key` on `field`.
pub fn exact<'a>(
    raw: Option<&'a str>,
    field: &str,
    message_key: &'static str,
) -> Result<Option<&'a str>, AppError> {
    match raw {
        None | Some("") => Ok(None),
        Some(s) if s.trim() != s => Err(AppError::field(field, message_key)),
        Some(s) => Ok(Some(s)),
    }
}

/// The incident list's filters, for exports: each narrows, none means all.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilters {
    /// Incidents of this ISO week, such as `2026-W47`.
    #[param(example = "2026-W47")]
    pub week: Option<String>,
    /// A category's slug.
    #[param(example = "approval-chase")]
    pub category: Option<String>,
    /// A department's slug: incidents it filed or waited on.
    pub department: Option<String>,
    /// `open`, `handled` or `withdrawn`.
    pub status: Option<String>,
    /// Words in the title, description, tags or order number.
    pub q: Option<String>,
}

impl From<IncidentFilters> for crate::service::incidents::Filters {
    fn from(f: IncidentFilters) -> Self {
        Self {
            week: f.week.unwrap_or_default(),
            category: f.category.unwrap_or_default(),
            department: f.department.unwrap_or_default(),
            status: f.status.unwrap_or_default(),
            q: f.q.unwrap_or_default(),
        }
    }
}

/// `?category=SLUG`: the clusters of one category; absent: all.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryFilter {
    /// A category's slug.
    #[param(example = "approval-chase")]
    pub category: Option<String>,
}
