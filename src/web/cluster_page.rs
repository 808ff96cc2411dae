//! A cluster's page: its incidents, weekly counts, the drivers of a week, the coach and
//! its actions, the timeline, and the lead's tools (whose changes live in `clusters`).

use super::render;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::db::clusters::{ClusterRow, RuleRow};
use crate::db::incidents::IncidentRow;
use crate::domain::input::FieldErrors;
use crate::error::AppResult;
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::clusters::{ClusterPage, ClusterView};
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
    errors: FieldErrors,
    max_week: i32,
    ladder: super::actions::LadderPanel,
    /// The new-action form as typed, when it was rejected.
    action_form: HashMap<String, String>,
    drivers: Option<super::drivers::DriversPanel>,
    /// Clusters a consolidation merged into this one, which a lead can undo.
    undoable: Vec<(i64, String)>,
}

impl ShowPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        local_datetime(at.and_utc(), self.tz)
    }

    fn when_utc(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime(*at, self.tz)
    }

    fn category_name(&self) -> String {
        self.catalog
            .category_label(self.view.cluster.category_id, self.page.lang)
    }

    /// A typed value of the rejected new-action form.
    fn af(&self, name: &str) -> String {
        self.action_form.get(name).cloned().unwrap_or_default()
    }

    /// The rung the new-action form starts on: as typed, else the coach's.
    fn chosen_rung(&self) -> String {
        if self.action_form.is_empty() {
            self.ladder
                .coach
                .recommended_rung
                .map(|r| r.to_string())
                .unwrap_or_default()
        } else {
            self.af("rung")
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

    fn err(&self, field: &str) -> String {
        self.errors
            .get(field)
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    /// Bar width in percent for the weekly table.
    fn bar(&self, n: &i32) -> i32 {
        if self.max_week == 0 {
            0
        } else {
            n * 100 / self.max_week
        }
    }
}

pub(crate) async fn show_page(
    state: &AppState,
    user: Signed,
    id: i64,
    errors: FieldErrors,
    status: StatusCode,
    action_form: HashMap<String, String>,
    week: super::DriversQuery,
) -> AppResult<HttpResponse> {
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
            timeline,
            siblings,
            rules,
            coach,
            actions,
            drivers,
            undoable,
        }) => {
            let max_week = view.weekly.iter().map(|w| w.incidents).max().unwrap_or(0);
            let drivers = drivers.map(|d| super::drivers::panel(&user.page, &d));
            render(
                status,
                &ShowPage {
                    page: user.page,
                    view,
                    incidents,
                    timeline,
                    siblings,
                    rules,
                    catalog: user.known.catalog.clone(),
                    tz,
                    errors,
                    max_week,
                    ladder: super::actions::LadderPanel { coach, actions },
                    action_form,
                    drivers,
                    undoable,
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
    show_page(
        &state,
        user,
        path.into_inner(),
        FieldErrors::new(),
        StatusCode::OK,
        HashMap::new(),
        week.into_inner(),
    )
    .await
}
