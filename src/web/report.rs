//! The retrospective's page, `/retro/{week}`: the week's report for the meeting (leads
//! run it, everyone signed in reads it), with its downloads; and the same report as a
//! standalone HTML document laid out for A4 (`?format=html` on the API, `rungs report`).

use super::session::{PageCtx, Signed};
use crate::app_state::AppState;
use crate::domain::week::WeekKey;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use crate::service::incidents::TimelineEntry;
use crate::service::meetings::{DecisionLine, MeetingView, RetroPage};
use crate::service::report::{
    self, ActionLine, ClusterReport, WeeklyReport, markdown, meeting_text,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono_tz::Tz;
use std::collections::HashMap;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/retro", web::get().to(latest))
        .route("/retro/{week}", web::get().to(week))
        .route("/retro/{week}/report", web::get().to(download));
}

/// The report's words in one language, for the templates.
pub struct Words {
    lang: Lang,
    tz: Tz,
}

impl Words {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.t_with(key, args)
    }

    fn title(&self, r: &WeeklyReport) -> String {
        self.t_with("report.title", &[("week", &r.week.to_string())])
    }

    fn as_of(&self, r: &WeeklyReport) -> String {
        let at = r.as_of.with_timezone(&self.tz).format("%Y-%m-%d %H:%M");
        self.t_with(
            "report.as_of",
            &[("at", &at.to_string()), ("zone", self.tz.name())],
        )
    }

    fn mean(&self, x: &f64) -> String {
        markdown::mean(*x)
    }

    fn change(&self, c: &crate::domain::comparison::Comparison) -> String {
        markdown::change(c)
    }

    fn flags(&self, c: &ClusterReport) -> String {
        markdown::flags(self.lang, c)
    }

    fn advice(&self, c: &ClusterReport) -> String {
        markdown::advice(self.lang, c)
    }

    fn action(&self, a: &ActionLine) -> String {
        markdown::action(self.lang, a)
    }

    fn verdict(&self, v: &report::VerdictLine) -> String {
        markdown::verdict(self.lang, v)
    }

    fn watch(&self, a: &crate::service::retro::AgendaItem) -> String {
        markdown::watch(self.lang, a)
    }

    fn guard(&self, g: &report::GuardLine) -> String {
        markdown::guard(self.lang, g)
    }

    fn held(&self, m: &MeetingView) -> String {
        meeting_text::held(self.lang, self.tz, m)
    }

    fn decision(&self, d: &DecisionLine) -> String {
        meeting_text::decision(self.lang, d)
    }

    fn earlier(&self, d: &DecisionLine) -> String {
        meeting_text::earlier(self.lang, d)
    }

    fn goal_standing(&self, g: &report::goals::GoalLine) -> String {
        report::goals::standing(self.lang, g)
    }

    fn goal_number(&self, x: &f64) -> String {
        report::goals::number(*x)
    }

    fn goals_summary(&self, r: &WeeklyReport) -> String {
        report::goals::summary(self.lang, &r.goals)
    }

    fn goal_sentence(&self, g: &report::goals::GoalLine) -> String {
        report::goals::sentence(self.lang, g)
    }

    fn triage(&self, r: &WeeklyReport) -> String {
        self.t_with("report.triage", &[("n", &r.triage.to_string())])
    }
}

/// The clusters that get their drivers and advice.
fn top(r: &WeeklyReport) -> &[ClusterReport] {
    &r.clusters[..r.clusters.len().min(report::TOP_CLUSTERS)]
}

/// A meeting form of the page that was refused: its name (`meeting`, `decision`,
/// `decision-<id>`, `action-<id>`), a message per field, and what was typed.
pub struct Refused {
    pub form: String,
    pub errors: crate::domain::input::FieldErrors,
    pub typed: HashMap<String, String>,
}

#[derive(Template)]
#[template(path = "retro/week.html")]
struct WeekPage {
    page: PageCtx,
    r: WeeklyReport,
    w: Words,
    previous: WeekKey,
    next: Option<WeekKey>,
    /// The meeting's trail, and the names of the people it names by id.
    trail: Vec<TimelineEntry>,
    names: HashMap<i64, String>,
    /// Active people, who can be marked as attending: (id, login, name).
    people: Vec<(i64, String, String)>,
    /// The meeting's form that was refused, with what was typed in it.
    refused: Option<Refused>,
    tz: Tz,
}

impl WeekPage {
    fn top(&self) -> &[ClusterReport] {
        top(&self.r)
    }

    fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        super::format::local_datetime(*at, self.tz)
    }

    fn details(&self, entry: &TimelineEntry) -> Vec<String> {
        super::timeline::details(&self.page, entry, &self.names)
    }

    fn entry_link(&self, entry: &TimelineEntry) -> Option<String> {
        super::timeline::link(entry)
    }

    /// Leads record the meeting; everyone else reads it.
    fn can_edit(&self) -> bool {
        self.page.is_lead()
    }

    /// What was typed in `field` of `form`, when that form was the one refused.
    fn typed(&self, form: &str, field: &str) -> Option<String> {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| r.typed.get(field).cloned().unwrap_or_default())
    }

    /// A field as typed when its form was refused, else `stored`.
    fn typed_or(&self, form: &str, field: &str, stored: &str) -> String {
        self.typed(form, field)
            .unwrap_or_else(|| stored.to_string())
    }

    /// A field of a form that starts empty.
    fn tf(&self, form: &str, field: &str) -> String {
        self.typed(form, field).unwrap_or_default()
    }

    /// The message for `field` of `form`, when that form was refused.
    fn err(&self, form: &str, field: &str) -> String {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .and_then(|r| r.errors.get(field))
            .map(|k| self.page.t(k))
            .unwrap_or_default()
    }

    /// Every message of the refused `form`, with its field's label.
    fn errors(&self, form: &str) -> Vec<String> {
        self.refused
            .as_ref()
            .filter(|r| r.form == form)
            .map(|r| {
                r.errors
                    .iter()
                    .map(|(f, k)| format!("{}: {}", self.page.field_label(f), self.page.t(k)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether `login` is marked as attending: as typed, else as recorded.
    fn attending(&self, login: &str) -> bool {
        match self.refused.as_ref().filter(|r| r.form == "meeting") {
            Some(r) => r.typed.contains_key(&format!("attendee_{login}")),
            None => self.r.meeting.attendees.iter().any(|a| a.login == login),
        }
    }

    /// The action form's rung as typed (1 when none).
    fn rung_typed(&self, form: &str) -> String {
        self.typed(form, "rung")
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "1".into())
    }
}

#[derive(Template)]
#[template(path = "retro/print.html")]
struct PrintPage<'a> {
    lang: Lang,
    r: &'a WeeklyReport,
    w: Words,
}

impl PrintPage<'_> {
    fn top(&self) -> &[ClusterReport] {
        top(self.r)
    }
}

/// The report as one HTML document of its own (styles inside), to print or to keep.
pub fn standalone(r: &WeeklyReport, lang: Lang, tz: Tz) -> AppResult<String> {
    PrintPage {
        lang,
        r,
        w: Words { lang, tz },
    }
    .render()
    .map_err(AppError::internal)
}

/// The report of a week in a format, ready to send: the page's downloads and the API's
/// `GET /api/v1/reports/weekly/{week}` both answer with this.
/// `tz` is the organisation's time zone when the request carries it (a page), else it is
/// read with the report (the API).
pub async fn document(
    state: &AppState,
    raw_week: String,
    format: report::Format,
    lang: Lang,
    tz: Tz,
) -> AppResult<HttpResponse> {
    let cache = state.review.clone();
    let r = crate::service::run(&state.pool, move |conn| {
        report::of_week(conn, &cache, Some(&raw_week), tz, chrono::Utc::now())
    })
    .await?;
    let body = match report::text(&r, format, lang, tz)? {
        Some(text) => text,
        None => standalone(&r, lang, tz)?,
    };
    let disposition = if format == report::Format::Html {
        "inline"
    } else {
        "attachment"
    };
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            format!(
                "{disposition}; filename=\"rungs-{}.{}\"",
                r.week,
                format.extension()
            ),
        ))
        .body(body))
}

#[derive(serde::Deserialize)]
pub struct FormatQuery {
    #[serde(default)]
    pub format: String,
    #[serde(default)]
    pub lang: String,
}

impl FormatQuery {
    /// The format asked for (JSON when none), and the language (else `otherwise`).
    pub fn parse(&self, otherwise: Lang) -> AppResult<(report::Format, Lang)> {
        let format = match self.format.trim() {
            "" => report::Format::Json,
            raw => report::Format::parse(raw)
                .ok_or_else(|| AppError::field("format", "error.report_format"))?,
        };
        Ok((format, Lang::parse(&self.lang).unwrap_or(otherwise)))
    }
}

async fn download(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<String>,
    query: web::Query<FormatQuery>,
) -> AppResult<HttpResponse> {
    let (format, lang) = query.parse(user.page.lang)?;
    let tz = user.known.timezone;
    document(&state, path.into_inner(), format, lang, tz).await
}

/// `/retro`: the last complete week's meeting.
async fn latest(user: Signed) -> HttpResponse {
    let week = crate::domain::week::last_complete_week(chrono::Utc::now(), user.known.timezone);
    super::see_other(&format!("/retro/{week}"))
}

async fn week(
    state: web::Data<AppState>,
    user: Signed,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    show(&state, user, path.into_inner(), None).await
}

/// The week's page; with a refused meeting form, that form again with its errors (422).
pub async fn show(
    state: &AppState,
    user: Signed,
    raw: String,
    refused: Option<Refused>,
) -> AppResult<HttpResponse> {
    let cache = state.review.clone();
    let tz = user.known.timezone;
    let RetroPage {
        report: r,
        trail,
        people,
    } = crate::service::run(&state.pool, move |conn| {
        crate::service::meetings::page(conn, &cache, &raw, tz, chrono::Utc::now())
    })
    .await?;
    let this_week = crate::domain::week::current_week(chrono::Utc::now(), tz);
    let next = (r.week < this_week).then(|| r.week.next());
    let status = if refused.is_some() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    super::render(
        status,
        &WeekPage {
            w: Words {
                lang: user.page.lang,
                tz,
            },
            previous: r.week.previous(),
            next,
            names: people.iter().map(|p| (p.0, p.1.clone())).collect(),
            trail,
            people,
            refused,
            tz,
            r,
            page: user.page.clone(),
        },
    )
}
