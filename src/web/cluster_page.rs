//! A cluster's page: its incidents, weekly counts, the drivers of a week, the coach and
//! its actions, the timeline, and the lead's tools (whose changes live in `clusters`).

use super::render;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::domain::input::FieldErrors;
use crate::domain::states::JoinReason;
use crate::error::AppResult;
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::clusters::{ClusterPage, ClusterView, WeekTarget};
use crate::service::clusters::{ClusterRow, RuleRow};
use crate::service::incidents::IncidentRow;
use crate::service::incidents::TimelineEntry;
use crate::web::format::local_datetime;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "clusters/show.html")]
struct ShowPage {
    page: PageCtx,
    view: ClusterView,
    incidents: Vec<IncidentRow>,
    timeline: Vec<TimelineEntry>,
    siblings: Vec<ClusterRow>,
    rules: Vec<RuleRow>,
    catalog: Catalog,
    tz: Tz,
    /// The form that was refused, with its errors and what was typed in it.
    refused: Option<Refused>,
    /// The last twelve weeks with incidents, newest first, each beside its goal target.
    weeks: Vec<WeekTarget>,
    /// Whether any of those weeks has a target.
    targets: bool,
    /// The largest count or target shown: the bars' full width.
    max_week: f64,
    ladder: super::actions::LadderPanel,
    drivers: Option<super::drivers::DriversPanel>,
    /// The page of incidents shown (1-based) and how many there are.
    incident_page: i64,
    incident_pages: i64,
    /// Clusters a consolidation merged into this one, which a lead can undo.
    undoable: Vec<crate::service::clusters::UndoableMerge>,
    /// Names of the people the timeline names by id.
    people: HashMap<i64, String>,
}

/// A form of the cluster's page that was refused: its name (`action`, `edit`, `merge`,
/// `move`, `rule`), a message per field, and the values typed. Only that form shows them.
pub struct Refused {
    pub form: &'static str,
    pub errors: FieldErrors,
    pub typed: HashMap<String, String>,
}

impl ShowPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        local_datetime(at.and_utc(), self.tz)
    }

    fn when_utc(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime(*at, self.tz)
    }

    /// A trail entry's phrases in the reader's language.
    fn details(&self, entry: &TimelineEntry) -> Vec<String> {
        super::timeline::details(&self.page, entry, &self.people)
    }

    fn entry_link(&self, entry: &TimelineEntry) -> Option<String> {
        super::timeline::link(entry)
    }

    /// A category's name in the reader's language.
    fn category_of(&self, id: &i64) -> String {
        self.catalog.category_label(*id, self.page.lang)
    }

    fn category_name(&self) -> String {
        self.catalog
            .category_label(self.view.cluster.category_id, self.page.lang)
    }

    /// Whether the new-action form was the one refused.
    fn action_refused(&self) -> bool {
        self.refused.as_ref().is_some_and(|r| r.form == "action")
    }

    /// A typed value of the refused new-action form.
    fn af(&self, name: &str) -> String {
        self.typed("action", name).unwrap_or_default()
    }

    /// What was typed in `field` of `form`, when that form was the one refused.
    fn typed(&self, form: &str, field: &str) -> Option<String> {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| r.typed.get(field).cloned().unwrap_or_default())
    }

    /// A field of a form as typed when that form was refused, else as stored.
    fn typed_or(&self, form: &str, field: &str, stored: &str) -> String {
        self.typed(form, field)
            .unwrap_or_else(|| stored.to_string())
    }

    /// The rung the new-action form starts on: as typed, else the coach's.
    fn chosen_rung(&self) -> String {
        if self.action_refused() {
            self.af("rung")
        } else {
            self.ladder
                .coach
                .recommended_rung
                .map(|r| r.to_string())
                .unwrap_or_default()
        }
    }

    /// A link to another page of the incidents, keeping the week of the drivers.
    fn incidents_link(&self, n: i64) -> String {
        match &self.drivers {
            Some(d) => format!(
                "/clusters/{}?week={}&baseline={}&page={n}#incidents",
                self.view.cluster.id, d.week, d.baseline
            ),
            None => format!("/clusters/{}?page={n}#incidents", self.view.cluster.id),
        }
    }

    fn fmt_opt(&self, v: &Option<f64>) -> String {
        v.map(|v| {
            if v.is_finite() {
                format!("{v:.2}")
            } else {
                "∞".into()
            }
        })
        .unwrap_or_else(|| "—".into())
    }

    /// The message for `field` of `form`, when that form was the one refused.
    fn err(&self, form: &str, field: &str) -> String {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .and_then(|r| r.errors.get(field))
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    /// Bar width in percent for the weekly table.
    fn bar(&self, n: &i32) -> i64 {
        self.share(f64::from(*n))
    }

    /// A value's place on the bars' scale, in percent.
    fn share(&self, v: f64) -> i64 {
        if self.max_week <= 0.0 {
            0
        } else {
            (v * 100.0 / self.max_week).round() as i64
        }
    }

    /// Where a goal's target stands on the bars' scale, in percent.
    fn target_at(&self, v: &f64) -> i64 {
        self.share(*v)
    }

    /// A target as written in the table: whole, or with one decimal.
    fn target_text(&self, v: &f64) -> String {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    }
}

pub(crate) async fn show_page(
    state: &AppState,
    user: Signed,
    id: i64,
    refused: Option<Refused>,
    week: super::DriversQuery,
) -> AppResult<HttpResponse> {
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let incident_page = week
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1);
    let (review, grouping) = (state.review.clone(), state.grouping.clone());
    let tz = user.known.timezone;
    let loaded = service::run(&state.pool, move |conn| {
        service::clusters::page(
            conn,
            &grouping,
            &review,
            id,
            week.week.as_deref(),
            &week.baseline,
            incident_page,
            tz,
        )
    })
    .await?;
    match loaded {
        // A merged cluster's old link leads to its survivor.
        Err(into) => Ok(HttpResponse::PermanentRedirect()
            .insert_header((
                actix_web::http::header::LOCATION,
                format!("/clusters/{into}"),
            ))
            .finish()),
        Ok(ClusterPage {
            view,
            incidents,
            incident_page,
            incident_pages,
            timeline,
            siblings,
            rules,
            coach,
            actions,
            drivers,
            undoable,
            people,
            weeks,
        }) => {
            let max_week = weeks
                .iter()
                .map(|w| f64::from(w.incidents).max(w.target.unwrap_or(0.0)))
                .fold(0.0, f64::max);
            let has_targets = weeks.iter().any(|w| w.target.is_some());
            let drivers = drivers.map(|d| super::drivers::panel(&user.page, &user.known, &d));
            render(
                status,
                &ShowPage {
                    page: user.page,
                    view,
                    incidents,
                    timeline,
                    siblings,
                    rules,
                    catalog: user.known.as_ref().clone(),
                    tz,
                    refused,
                    weeks,
                    targets: has_targets,
                    max_week,
                    ladder: super::actions::LadderPanel { coach, actions },
                    drivers,
                    undoable,
                    people,
                    incident_page,
                    incident_pages,
                },
            )
        }
    }
}

pub(crate) async fn show(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
    week: web::Query<super::DriversQuery>,
) -> AppResult<HttpResponse> {
    show_page(&state, user, path.into_inner(), None, week.into_inner()).await
}
