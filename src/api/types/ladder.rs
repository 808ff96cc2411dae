//! What the API answers about actions and the coach.

use crate::domain::ladder::Rung;
use crate::domain::states::{ActionStage, ClusterState, SignoffDecision};
use crate::domain::week::WeekKey;
use crate::i18n::Lang;
use crate::service::effects::{CoachView, EffectView, GuardView, Windows};
use crate::service::ladder::ActionPage;
use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

/// An action with its workflow and, once launched, its effect. Times without an offset
/// are UTC; dates are the organisation's.
#[derive(Debug, Serialize, ToSchema)]
pub struct Action {
    pub id: i64,
    pub cluster_id: i64,
    /// 1 to 6.
    #[schema(value_type = i32, minimum = 0, maximum = 6)]
    pub rung: Rung,
    pub title: String,
    pub why: String,
    pub owner_id: Option<i64>,
    pub due_on: Option<NaiveDate>,
    pub goal_kind: Option<String>,
    pub goal_value: Option<f64>,
    /// `planned`, `proposed`, `scheduled`, `in_development`, `launched` or `cancelled`.
    #[schema(value_type = String, example = "planned")]
    pub stage: ActionStage,
    pub launched_on: Option<NaiveDate>,
    pub review_after_weeks: i32,
    pub retro_weeks: Option<i32>,
    pub kpi_department_id: Option<i64>,
    pub kpi_item: Option<String>,
    pub kpi_definition: Option<String>,
    pub kpi_weight: Option<f64>,
    pub guard_cluster_id: Option<i64>,
    pub guard_category_id: Option<i64>,
    pub guard_margin: Option<f64>,
    pub created_by: Option<i64>,
    #[schema(value_type = String)]
    pub created_at: NaiveDateTime,
    #[schema(value_type = String)]
    pub updated_at: NaiveDateTime,
    /// None before the launch.
    pub effect: Option<Effect>,
    /// The goal broken into weekly targets, each beside its week's count; None without
    /// a goal.
    pub goal: Option<super::goals::Goal>,
    pub steps: Vec<Step>,
    pub signoffs: Vec<Signoff>,
    pub weights: Vec<WeightRevision>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    #[schema(value_type = String, example = "launched")]
    pub stage: ActionStage,
    pub on_date: NaiveDate,
    pub note: String,
    pub actor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Signoff {
    pub department_id: i64,
    /// `approve` or `object`.
    #[schema(value_type = String, example = "approve")]
    pub decision: SignoffDecision,
    pub comment: String,
    #[schema(value_type = String)]
    pub at: NaiveDateTime,
    pub user: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WeightRevision {
    pub weight: f64,
    pub on_date: NaiveDate,
    pub reason: String,
    pub actor: Option<String>,
}

/// The weekly rate before the launch against after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Effect {
    pub before_rate: f64,
    pub after_rate: f64,
    pub rate_ratio: Option<f64>,
    pub p_value: Option<f64>,
    /// `waiting`, `eliminated`, `reduced`, `no_effect`, … in the effect's words.
    pub verdict: &'static str,
    /// [low, high] of the rate ratio.
    #[schema(value_type = Option<Vec<f64>>)]
    pub ci95: Option<(f64, f64)>,
    pub goal_met: Option<bool>,
    pub weeks_needed: Option<u32>,
    pub before_count: u64,
    pub after_count: u64,
    pub before_weeks: u32,
    pub after_weeks: u32,
    pub windows: EffectWindows,
    pub guard: Option<Guard>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EffectWindows {
    #[schema(value_type = String)]
    pub launch_week: WeekKey,
    #[schema(value_type = Vec<String>)]
    pub before: Vec<WeekKey>,
    #[schema(value_type = Vec<String>)]
    pub after: Vec<WeekKey>,
    /// The first week at which the after-window is complete.
    #[schema(value_type = String)]
    pub review_week: WeekKey,
}

/// The guard metric of a weight tuning: it must not worsen past its margin.
#[derive(Debug, Serialize, ToSchema)]
pub struct Guard {
    pub metric: String,
    pub before_count: u64,
    pub after_count: u64,
    pub ratio: Option<f64>,
    pub upper95: Option<f64>,
    pub margin: f64,
    pub worsened: bool,
    /// `[week, count]` pairs over both windows, oldest first.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub weekly: Vec<(String, u64)>,
}

impl From<ActionPage> for Action {
    fn from(p: ActionPage) -> Self {
        let a = p.action;
        Self {
            id: a.id,
            cluster_id: a.cluster_id,
            rung: a.rung,
            title: a.title,
            why: a.why,
            owner_id: a.owner_id,
            due_on: a.due_on,
            goal_kind: a.goal_kind,
            goal_value: a.goal_value,
            stage: a.stage,
            launched_on: a.launched_on,
            review_after_weeks: a.review_after_weeks,
            retro_weeks: a.retro_weeks,
            kpi_department_id: a.kpi_department_id,
            kpi_item: a.kpi_item,
            kpi_definition: a.kpi_definition,
            kpi_weight: a.kpi_weight,
            guard_cluster_id: a.guard_cluster_id,
            guard_category_id: a.guard_category_id,
            guard_margin: a.guard_margin,
            created_by: a.created_by,
            created_at: a.created_at,
            updated_at: a.updated_at,
            effect: p.effect.map(Into::into),
            goal: p.goal.map(Into::into),
            steps: p
                .steps
                .into_iter()
                .map(|s| Step {
                    stage: s.stage,
                    on_date: s.on_date,
                    note: s.note,
                    actor: s.actor,
                })
                .collect(),
            signoffs: p
                .signoffs
                .into_iter()
                .map(|s| Signoff {
                    department_id: s.department_id,
                    decision: s.decision,
                    comment: s.comment,
                    at: s.at,
                    user: s.user,
                })
                .collect(),
            weights: p
                .weights
                .into_iter()
                .map(|w| WeightRevision {
                    weight: w.weight,
                    on_date: w.on_date,
                    reason: w.reason,
                    actor: w.actor,
                })
                .collect(),
        }
    }
}

impl From<EffectView> for Effect {
    fn from(e: EffectView) -> Self {
        Self {
            before_rate: e.before_rate,
            after_rate: e.after_rate,
            rate_ratio: e.rate_ratio,
            p_value: e.p_value,
            verdict: e.verdict,
            ci95: e.ci95,
            goal_met: e.goal_met,
            weeks_needed: e.weeks_needed,
            before_count: e.before_count,
            after_count: e.after_count,
            before_weeks: e.before_weeks,
            after_weeks: e.after_weeks,
            windows: e.windows.into(),
            guard: e.guard.map(Into::into),
        }
    }
}

impl From<Windows> for EffectWindows {
    fn from(w: Windows) -> Self {
        Self {
            launch_week: w.launch_week,
            before: w.before,
            after: w.after,
            review_week: w.review_week,
        }
    }
}

impl From<GuardView> for Guard {
    fn from(g: GuardView) -> Self {
        Self {
            metric: g.metric,
            before_count: g.before_count,
            after_count: g.after_count,
            ratio: g.ratio,
            upper95: g.upper95,
            margin: g.margin,
            worsened: g.worsened,
            weekly: g.weekly,
        }
    }
}

/// The coach: the rung to try next and why, with the evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct Coach {
    pub current_rung: u8,
    pub recommended_rung: Option<u8>,
    /// The question the coach asks, in English.
    pub question: Option<String>,
    /// The reason's key, e.g. `no_action_yet`.
    pub reason: &'static str,
    /// The reason in English.
    pub reason_text: String,
    pub evidence: CoachEvidence,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CoachEvidence {
    #[schema(value_type = String, example = "open")]
    pub state: ClusterState,
    /// Whether the weekly review flagged a spike in the last complete week.
    pub spike: bool,
    /// `[week, incidents]` pairs, oldest first.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub last_four_weeks: Vec<(String, u32)>,
    pub latest_action: Option<LatestAction>,
    /// `[rung, reason]` pairs of the rungs set aside.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub dismissed: Vec<(Rung, String)>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LatestAction {
    pub id: i64,
    #[schema(value_type = i32, minimum = 0, maximum = 6)]
    pub rung: Rung,
    pub title: String,
    pub verdict: &'static str,
    pub rate_ratio: Option<f64>,
    pub p_value: Option<f64>,
}

impl From<CoachView> for Coach {
    fn from(v: CoachView) -> Self {
        let lang = Lang::En;
        let e = v.evidence;
        Self {
            current_rung: v.current_rung,
            recommended_rung: v.recommended_rung,
            question: v.question.map(|q| lang.t(q)),
            reason: v.reason,
            reason_text: lang.t(&format!("coach.reason.{}", v.reason)),
            evidence: CoachEvidence {
                state: e.state,
                spike: e.spike,
                last_four_weeks: e.last_four_weeks,
                latest_action: e.latest_action.map(|a| LatestAction {
                    id: a.id,
                    rung: a.rung,
                    title: a.title,
                    verdict: a.verdict,
                    rate_ratio: a.rate_ratio,
                    p_value: a.p_value,
                }),
                dismissed: e.dismissed,
            },
        }
    }
}
