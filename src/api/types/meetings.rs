//! What the API answers about a week's retrospective meeting.

use crate::domain::states::{ActionStage, DecisionState, MeetingState};
use crate::service::meetings::{DecisionLine, MeetingView};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
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
