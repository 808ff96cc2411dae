//! What the API answers about a week's retrospective meeting.

use crate::domain::states::{ActionStage, DecisionState, MeetingState};
use crate::service::meetings::{DecisionLine, MeetingView};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A week's meeting: who attended, the notes, its decisions with the actions they
/// became, and the decisions of earlier meetings still open. A week with nothing
/// recorded answers an empty `open` meeting.
#[derive(Debug, Serialize, ToSchema)]
pub struct Meeting {
    #[schema(example = "2026-W48")]
    pub week: String,
    /// `open` while it is recorded, `held` once held (a lead may reopen it).
    #[schema(value_type = String, example = "held")]
    pub state: MeetingState,
    #[schema(value_type = Option<String>)]
    pub held_at: Option<DateTime<Utc>>,
    /// The login of the lead who held it.
    pub held_by: Option<String>,
    pub attendees: Vec<MeetingAttendee>,
    pub notes: String,
    pub decisions: Vec<Decision>,
    /// Decisions of the meetings of earlier weeks that are not done, oldest first.
    pub open_decisions: Vec<Decision>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingAttendee {
    pub login: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    pub id: i64,
    /// The week of the meeting that took it.
    #[schema(example = "2026-W48")]
    pub week: String,
    pub text: String,
    /// `open` or `done`.
    #[schema(value_type = String, example = "open")]
    pub state: DecisionState,
    /// The action it became, with its stage now.
    pub action: Option<DecisionAction>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionAction {
    pub id: i64,
    pub cluster_id: i64,
    #[schema(value_type = i32, minimum = 0, maximum = 6)]
    pub rung: crate::domain::ladder::Rung,
    pub title: String,
    #[schema(value_type = String, example = "planned")]
    pub stage: ActionStage,
    pub owner: Option<String>,
    pub due_on: Option<NaiveDate>,
}

impl From<DecisionLine> for Decision {
    fn from(d: DecisionLine) -> Self {
        Decision {
            id: d.id,
            week: d.week.to_string(),
            text: d.body,
            state: d.state,
            action: d.action.map(|a| DecisionAction {
                id: a.id,
                cluster_id: a.cluster_id,
                rung: a.rung,
                title: a.title,
                stage: a.stage,
                owner: a.owner,
                due_on: a.due_on,
            }),
        }
    }
}

impl Meeting {
    pub fn new(m: MeetingView, open_decisions: Vec<DecisionLine>) -> Self {
        Meeting {
            week: m.week.to_string(),
            state: m.state,
            held_at: m.held_at,
            held_by: m.held_by,
            attendees: m
                .attendees
                .into_iter()
                .map(|a| MeetingAttendee {
                    login: a.login,
                    name: a.name,
                })
                .collect(),
            notes: m.notes,
            decisions: m.decisions.into_iter().map(Decision::from).collect(),
            open_decisions: open_decisions.into_iter().map(Decision::from).collect(),
        }
    }
}

/// Who attended a week's meeting and its notes, replacing what was recorded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingRecord {
    /// The attendees' logins.
    #[schema(required = true)]
    pub attendees: Option<Vec<String>>,
    pub notes: Option<String>,
}

/// A decision of the meeting; with `cluster` and `action` (both or neither) it becomes
/// that action on the ladder in the same step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDecision {
    #[schema(value_type = String, required = true, min_length = 1, max_length = 2000, pattern = r"\S")]
    pub text: Option<String>,
    /// The cluster the action is recorded on.
    pub cluster: Option<i64>,
    /// The action, as for `POST /clusters/{id}/actions`; its title is the decision's
    /// text unless one is given.
    pub action: Option<super::NewAction>,
}

impl NewDecision {
    /// The decision as the service takes it; the fields it needs missing are named.
    pub fn into_input(
        self,
    ) -> Result<crate::service::meetings::DecisionInput, crate::error::AppError> {
        let mut req = crate::api::json::Required::new();
        let text = req.take("text", self.text);
        // An action needs its cluster, and a cluster its action.
        match (&self.cluster, &self.action) {
            (Some(_), None) => req.wrong("action", "error.required"),
            (None, Some(_)) => req.wrong("cluster", "error.required"),
            _ => {}
        }
        req.finish()?;
        let action = match self.action {
            Some(mut a) => {
                a.title.get_or_insert_with(|| text.clone());
                a.into_input()?
            }
            None => Default::default(),
        };
        Ok(crate::service::meetings::DecisionInput {
            body: text,
            cluster: self.cluster,
            action,
        })
    }
}

/// Hold the meeting (`held`), or reopen a held one to correct it (`open`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingStateChange {
    #[schema(value_type = String, required = true, example = "held")]
    pub state: Option<String>,
}
