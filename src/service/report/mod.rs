//! The weekly report: what the retrospective (复盘) looks at, for one week, as data.
//!
//! The figures are the weekly review's (`service::review`), the drivers the cluster
//! page's (`service::drivers`), the verdicts the ladder's (`service::effects`): one
//! source each, so the page, the API, the command line and every format (`markdown`,
//! `csv_table`, JSON by serde) show the same numbers.

pub mod csv_table;
mod format;
pub mod goals;
mod kept;
mod lines;
pub mod markdown;
pub mod meeting_text;
mod then;

pub use format::{Format, text};
pub use kept::{ReportLabel, of_week};
use lines::Reading;
use then::Then;

use super::drivers;
use super::effects::{self, GuardView};
use super::meetings::{self, DecisionLine, MeetingView};
use super::retro;
use super::review::{self, ReviewCache};
use crate::db::DbConn;
use crate::db::actions::{self as db_actions, ActionRow};
use crate::domain::comparison::Comparison;
use crate::domain::drivers::Headline;
use crate::domain::ladder::Rung;
use crate::domain::states::{ActionStage, ClusterState};
use crate::domain::week::{WeekKey, current_week};
use crate::error::AppResult;
use crate::i18n::Lang;
use crate::service::catalog::Catalog;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::HashMap;

/// The most notable clusters, which get their drivers and the coach's advice.
pub const TOP_CLUSTERS: usize = 10;

#[derive(Debug, Clone, Serialize)]
pub struct WeeklyReport {
    pub week: WeekKey,
    pub previous_week: WeekKey,
    pub same_week_last_year: WeekKey,
    /// The report looks at the week as it stood at this moment (the week's end, or now
    /// while the week is still running).
    pub as_of: DateTime<Utc>,
    /// Whether the week is still running.
    pub partial: bool,
    pub team: Comparison,
    /// Every cluster with incidents this week or last (the review's family), the most
    /// notable first: spikes, then by the rise over last week. The first `TOP_CLUSTERS`
    /// carry their drivers and the coach's advice.
    pub clusters: Vec<ClusterReport>,
    pub launched: Vec<ActionLine>,
    /// Actions whose review week is this week, with their verdict.
    pub verdicts: Vec<VerdictLine>,
    /// Launched policies under post-launch watch this week (set by a mechanism).
    pub watched: Vec<retro::AgendaItem>,
    /// Guard metrics of launched KPI weight changes, worsened or not.
    pub guards: Vec<GuardLine>,
    /// Actions past their due date and not yet launched.
    pub overdue: Vec<ActionLine>,
    /// New clusters waiting for a lead in triage.
    pub triage: i64,
    /// The week's meeting: attendees, notes, decisions and the actions they became.
    pub meeting: MeetingView,
    /// Decisions of earlier meetings still open, with their actions' stage now.
    pub open_decisions: Vec<DecisionLine>,
    /// Every goal with a target this week, its count beside it; those behind first.
    pub goals: Vec<goals::GoalLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterReport {
    pub id: i64,
    pub title: String,
    pub category: String,
    pub state: ClusterState,
    pub rung: Rung,
    pub owner: Option<String>,
    pub flags: Vec<&'static str>,
    #[serde(flatten)]
    pub figures: Comparison,
    /// What drove the change against last week, when it rose.
    pub driver: Option<DriverLine>,
    /// The coach's next rung, if it names one (top clusters only).
    pub recommended_rung: Option<u8>,
    /// The coach's reason, a message key (top clusters only).
    pub advice: Option<&'static str>,
}

/// The strongest explanation of a rise, in one line.
#[derive(Debug, Clone, Serialize)]
pub struct DriverLine {
    pub dimension: String,
    pub values: Vec<String>,
    /// For `hour`: the first and last hour of the run.
    pub hours: Option<(u8, u8)>,
    /// The share of the rise these values explain, 0 to 1.
    pub explained_share: f64,
    /// The values named for readers of English and of Chinese (`drivers::value_label`).
    #[serde(skip)]
    pub labels: [Vec<String>; 2],
}

impl DriverLine {
    /// The driver in one sentence, against last week.
    pub fn sentence(&self, lang: Lang) -> String {
        let headline = Headline {
            dimension: self.dimension.clone(),
            values: self.values.clone(),
            hours: self.hours,
            explained_share: self.explained_share,
        };
        let labels = &self.labels[usize::from(lang == Lang::Zh)];
        drivers::sentence(lang, &headline, labels, &lang.t("review.against.last_week"))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionLine {
    pub id: i64,
    pub cluster_id: i64,
    pub cluster_title: String,
    pub rung: Rung,
    pub title: String,
    pub stage: ActionStage,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
    pub launched_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct VerdictLine {
    #[serde(flatten)]
    pub action: ActionLine,
    pub verdict: &'static str,
    pub rate_ratio: Option<f64>,
    pub p_value: Option<f64>,
    pub before_rate: f64,
    pub after_rate: f64,
    pub goal_met: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GuardLine {
    #[serde(flatten)]
    pub action: ActionLine,
    pub guard: GuardView,
}

/// The last moment of `week` in `tz`, or `now` while the week runs.
fn as_of(week: WeekKey, tz: Tz, now: DateTime<Utc>) -> DateTime<Utc> {
    let next_monday = week.next().monday().and_hms_opt(0, 0, 0).expect("midnight");
    let end = tz
        .from_local_datetime(&next_monday)
        .earliest()
        .map(|t| t.with_timezone(&Utc) - chrono::Duration::seconds(1))
        .unwrap_or(now);
    end.min(now)
}

/// The report of `week`, as of its end (or now, while it runs).
pub fn weekly(
    conn: &mut DbConn,
    cache: &ReviewCache,
    week: WeekKey,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<WeeklyReport> {
    let as_of = as_of(week, tz, now);
    let catalog = Catalog::load(conn)?;
    let figures = review::figures(conn, cache, week)?;
    let mut lines: Vec<_> = figures.clusters.iter().collect();
    lines.sort_by(|a, b| {
        (b.cmp.spike, b.cmp.delta, b.cmp.this_week, a.id).cmp(&(
            a.cmp.spike,
            a.cmp.delta,
            a.cmp.this_week,
            b.id,
        ))
    });
    let actions = db_actions::all(conn)?;
    let partial = week >= current_week(now, tz);
    let today = as_of.with_timezone(&tz).date_naive();
    // A past week as it stood at its end; the running week as it is.
    let then = if partial {
        Then::now(today)
    } else {
        let ids: Vec<i64> = lines.iter().map(|l| l.id).collect();
        Then::read(conn, &ids, &actions, as_of, today)?
    };
    let reading = Reading {
        cache,
        catalog: &catalog,
        week,
        tz,
        as_of,
    };
    let mut clusters = Vec::with_capacity(lines.len());
    for (i, row) in review::rows(conn, &lines)?.into_iter().enumerate() {
        clusters.push(reading.cluster(conn, then.row(row), i < TOP_CLUSTERS)?);
    }
    let people = people(conn, &actions)?;
    let titles = cluster_titles(conn, &actions)?;
    let line = |a: &ActionRow| ActionLine {
        id: a.id,
        cluster_id: a.cluster_id,
        cluster_title: titles.get(&a.cluster_id).cloned().unwrap_or_default(),
        rung: a.rung,
        title: a.title.clone(),
        stage: a.stage,
        owner: a.owner_id.and_then(|id| people.get(&id).cloned()),
        due_on: a.due_on,
        launched_on: a.launched_on,
    };
    let in_week = |d: Option<NaiveDate>| d.is_some_and(|d| WeekKey::of(d) == week);
    let launched = actions
        .iter()
        .filter(|a| then.launched(a) && in_week(a.launched_on))
        .map(line)
        .collect();
    let mut verdicts = Vec::new();
    let mut guards = Vec::new();
    for a in actions.iter().filter(|a| then.launched(a)) {
        let Some(effect) = effects::effect_of(conn, a, tz, as_of)? else {
            continue;
        };
        if effect.windows.review_week == week {
            verdicts.push(VerdictLine {
                action: line(a),
                verdict: effect.verdict,
                rate_ratio: effect.rate_ratio,
                p_value: effect.p_value,
                before_rate: effect.before_rate,
                after_rate: effect.after_rate,
                goal_met: effect.goal_met,
            });
        }
        if let Some(guard) = effect.guard {
            guards.push(GuardLine {
                action: line(a),
                guard,
            });
        }
    }
    let overdue = actions
        .iter()
        .filter(|a| a.due_on.is_some_and(|d| d < today))
        .filter_map(|a| {
            then.open_stage(a)
                .map(|stage| ActionLine { stage, ..line(a) })
        })
        .collect();
    let (_, watched) = retro::agenda(conn, tz, as_of)?;
    let goals = goals::lines(conn, week, &actions, line)?;
    Ok(WeeklyReport {
        week,
        previous_week: figures.previous_week,
        same_week_last_year: figures.same_week_last_year,
        as_of,
        partial,
        team: figures.team.cmp.clone(),
        clusters,
        launched,
        verdicts,
        watched,
        guards,
        overdue,
        triage: review::triage_size(conn)?,
        meeting: meetings::of_week(conn, week)?,
        // Last meetings' decisions with their status now, as the meeting asks.
        open_decisions: meetings::open_before(conn, week)?,
        goals,
    })
}

/// The logins of the actions' owners.
fn people(conn: &mut DbConn, actions: &[ActionRow]) -> AppResult<HashMap<i64, String>> {
    let mut out = HashMap::new();
    for id in actions.iter().filter_map(|a| a.owner_id) {
        if let std::collections::hash_map::Entry::Vacant(e) = out.entry(id)
            && let Some(user) = crate::db::users::find(conn, id)?
        {
            e.insert(user.login);
        }
    }
    Ok(out)
}

fn cluster_titles(conn: &mut DbConn, actions: &[ActionRow]) -> AppResult<HashMap<i64, String>> {
    let mut ids: Vec<i64> = actions.iter().map(|a| a.cluster_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(crate::db::clusters::find_many(conn, &ids)?
        .into_iter()
        .map(|c| (c.id, c.title))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_past_week_is_seen_as_of_its_last_second_in_the_zone() {
        let week = WeekKey::new(2026, 48).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap();
        // 2026-W48 ends on Sunday 2026-11-29 at 23:59:59 in Shanghai, 15:59:59 UTC.
        assert_eq!(
            as_of(week, chrono_tz::Asia::Shanghai, now),
            Utc.with_ymd_and_hms(2026, 11, 29, 15, 59, 59).unwrap()
        );
        let this_week = WeekKey::new(2026, 50).unwrap();
        assert_eq!(as_of(this_week, chrono_tz::UTC, now), now);
    }
}
