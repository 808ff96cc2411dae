//! An action's own page: its workflow, effect, guard metric, sign-offs, weights, comments.

use super::render;
use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::domain::input::FieldErrors;
use crate::domain::ladder::Rung;
use crate::domain::states::{ActionStage, SignoffDecision};
use crate::error::AppResult;
use crate::service;
use crate::service::catalog::Catalog;
use crate::service::effects::EffectView;
use crate::service::goals::GoalProgress;
use crate::service::incidents::TimelineEntry;
use crate::service::ladder::ActionPage;
use crate::service::ladder::{ActionRow, Comment, Signoff, Step, WeightRevision};
use crate::web::format::local_datetime;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/actions/{id}", web::get().to(show));
}

#[derive(Template)]
#[template(path = "actions/show.html")]
struct ShowPage {
    page: PageCtx,
    action: ActionRow,
    effect: Option<EffectView>,
    steps: Vec<Step>,
    departments: Vec<i64>,
    signoffs: Vec<Signoff>,
    weights: Vec<WeightRevision>,
    comments: Vec<Comment>,
    catalog: Catalog,
    owner: String,
    cluster_title: String,
    goal: Option<GoalProgress>,
    tz: Tz,
    history: Vec<TimelineEntry>,
    people: HashMap<i64, String>,
    /// The correction form, when it was refused: its errors and what was typed.
    refused: Option<(FieldErrors, HashMap<String, String>)>,
}

impl ShowPage {
    fn when_utc(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        local_datetime(*at, self.tz)
    }

    /// A trail entry's phrases in the reader's language.
    fn details(&self, entry: &TimelineEntry) -> Vec<String> {
        super::timeline::details(&self.page, entry, &self.people)
    }

    /// A field of the correction form: as typed when it was refused, else as stored.
    fn typed(&self, name: &str) -> String {
        if let Some((_, typed)) = &self.refused {
            return typed.get(name).cloned().unwrap_or_default();
        }
        let a = &self.action;
        let plan = self.goal.as_ref().map(|g| &g.plan);
        match name {
            "title" => a.title.clone(),
            "why" => a.why.clone(),
            "owner" => self.owner.clone(),
            "due_on" => a.due_on.map(|d| d.to_string()).unwrap_or_default(),
            "goal_kind" => a.goal_kind.clone().unwrap_or_default(),
            "goal_value" => a.goal_value.map(|v| v.to_string()).unwrap_or_default(),
            "goal_start" => plan.map(|p| p.start_level.to_string()).unwrap_or_default(),
            "goal_week" => plan.map(|p| p.target_week.to_string()).unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// The message for a field of the refused correction form.
    fn error(&self, name: &str) -> String {
        self.refused
            .as_ref()
            .and_then(|(errors, _)| errors.get(name))
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        local_datetime(at.and_utc(), self.tz)
    }

    fn department(&self, id: &i64) -> String {
        self.catalog
            .departments
            .iter()
            .find(|d| d.id == *id)
            .map(|d| d.label(self.page.lang).to_string())
            .unwrap_or_default()
    }

    fn department_slug(&self, id: &i64) -> String {
        self.catalog
            .department_slug(Some(*id))
            .unwrap_or("")
            .to_string()
    }

    /// The involved departments this reader may sign for: their own, or all for an admin.
    fn signable(&self) -> Vec<i64> {
        let Some(me) = &self.page.user else {
            return Vec::new();
        };
        self.departments
            .iter()
            .copied()
            .filter(|d| me.is_admin() || me.department_id == Some(*d))
            .collect()
    }

    /// The latest word of each involved department.
    fn latest(&self, id: &i64) -> Option<&Signoff> {
        self.signoffs.iter().rev().find(|s| s.department_id == *id)
    }

    fn next_stages(&self) -> Vec<ActionStage> {
        let Some(rung) =
            Some(self.action.rung).filter(|r| *r >= crate::domain::ladder::Rung::PROCESS)
        else {
            return vec![];
        };
        rung.stages()
            .iter()
            .copied()
            .filter(|s| rung.may_move(self.action.stage, *s))
            .collect()
    }

    /// The goal's weeks as a chart: counts as bars, targets as a dashed line.
    fn goal_chart(&self) -> String {
        let Some(goal) = &self.goal else {
            return String::new();
        };
        let weeks: Vec<(String, Option<u64>, f64)> = goal
            .weeks
            .iter()
            .map(|w| (w.week.to_string(), w.actual, w.target))
            .collect();
        super::charts::target_bars(&super::charts::TargetBars {
            title: &self.page.t("actions.goal_plan"),
            weeks: &weeks,
            actual_label: &self.page.t("actions.goal_actual"),
            target_label: &self.page.t("actions.goal_target"),
        })
    }

    fn goal_line(&self) -> String {
        let Some(goal) = &self.goal else {
            return String::new();
        };
        let p = &goal.plan;
        self.page.t_with(
            "actions.goal_line",
            &[
                (
                    "start",
                    &crate::service::report::goals::number(p.start_level),
                ),
                ("start_week", &p.start_week.to_string()),
                (
                    "target",
                    &crate::service::report::goals::number(p.target_value),
                ),
                ("target_week", &p.target_week.to_string()),
                ("n", &goal.weeks.len().to_string()),
            ],
        )
    }

    fn num(&self, v: &f64) -> String {
        crate::service::report::goals::number(*v)
    }

    fn fmt(&self, v: &f64) -> String {
        format!("{v:.2}")
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

    fn p(&self, v: &Option<f64>) -> String {
        v.map(|v| {
            if v < 0.001 {
                "< 0.001".into()
            } else {
                format!("{v:.3}")
            }
        })
        .unwrap_or_else(|| "—".into())
    }

    fn ci(&self, v: &Option<(f64, f64)>) -> String {
        v.map(|(a, b)| format!("{} – {}", self.fmt_opt(&Some(a)), self.fmt_opt(&Some(b))))
            .unwrap_or_else(|| "—".into())
    }
}

async fn show(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    show_page(&state, user, path.into_inner(), None).await
}

/// The action's page; with `refused`, the correction form again with its errors and
/// what was typed (422).
pub(super) async fn show_page(
    state: &AppState,
    user: Signed,
    id: i64,
    refused: Option<(FieldErrors, HashMap<String, String>)>,
) -> AppResult<HttpResponse> {
    let tz = user.known.timezone;
    let page = service::run(&state.pool, move |conn| {
        service::ladder::action_page(conn, id, tz, chrono::Utc::now())
    })
    .await?;
    let ActionPage {
        action,
        effect,
        steps,
        departments,
        signoffs,
        weights,
        comments,
        owner,
        cluster_title,
        goal,
        history,
        people,
    } = page;
    let catalog = user.known.as_ref().clone();
    let status = if refused.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &ShowPage {
            page: user.page,
            action,
            effect,
            steps,
            departments,
            signoffs,
            weights,
            comments,
            catalog,
            owner,
            cluster_title,
            goal,
            tz,
            history,
            people,
            refused,
        },
    )
}
