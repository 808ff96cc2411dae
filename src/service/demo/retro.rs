//! The lead's retrospective as the team holds it on the Monday after its week, a
//! decision closed when it is done, and the scheduler's verdicts job: each at its moment.

use super::story::Story;
use crate::domain::week::WeekKey;
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::effects;
use crate::service::ladder::ActionInput;
use crate::service::meetings::{self, DecisionInput, MeetingInput};
use chrono::Duration;

/// The retrospective of the week `back`, held on the Monday after it from 10:00: its
/// notes, its decisions (with an action on its cluster when one is given), held at 11:00.
pub fn meeting(
    story: &mut Story,
    lead: &Actor,
    back: i64,
    attendees: &[&str],
    notes: &str,
    decisions: Vec<(&str, Option<(i64, ActionInput)>)>,
) -> AppResult<Vec<(i64, Option<i64>)>> {
    let week = WeekKey::of(story.monday - Duration::weeks(back));
    let input = MeetingInput {
        attendees: attendees.iter().map(|a| a.to_string()).collect(),
        notes: notes.into(),
    };
    {
        let _pin = story.pin(story.at(back - 1, 0, 10, 0));
        meetings::save(story.conn, lead, week, &input)?;
    }
    let mut out = Vec::new();
    for (i, (body, action)) in decisions.into_iter().enumerate() {
        let _pin = story.pin(story.at(back - 1, 0, 10, 20 + 10 * i as u32));
        let (cluster, action) = match action {
            Some((cluster, action)) => (Some(cluster), action),
            None => (None, ActionInput::default()),
        };
        let input = DecisionInput {
            body: body.into(),
            cluster,
            action,
        };
        out.push(meetings::decide(
            story.conn,
            lead,
            week,
            &input,
            story.tz,
            Default::default(),
        )?);
    }
    let _pin = story.pin(story.at(back - 1, 0, 11, 0));
    meetings::hold(story.conn, lead, week)?;
    Ok(out)
}

/// Close a decision done, at `back`'s `weekday` 17:00.
pub fn close(story: &mut Story, lead: &Actor, decision: i64, at: (i64, i64)) -> AppResult<()> {
    let _pin = story.pin(story.at(at.0, at.1, 17, 0));
    meetings::close_decision(story.conn, lead, decision).map(|_| ())
}

/// The scheduler's verdicts job on the Monday morning of the week `back`.
pub fn settle(story: &mut Story, cluster: i64, back: i64) -> AppResult<()> {
    let at = story.at(back, 0, 6, 0);
    if at > story.now {
        return Ok(());
    }
    let _pin = story.pin(at);
    effects::settle(story.conn, cluster, story.tz, at).map(|_| ())
}
