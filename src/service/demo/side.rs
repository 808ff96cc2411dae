//! Beside the story, the help desk climbed a rung on three other problems during the
//! year, so that the team ladder shows more than one cluster above the first rung: CRM
//! sessions kept for the working day (a feature: sign-in failures reduced), the discount
//! matrix published (a process change: questions reduced), and a warning on duplicate
//! customers (a feature: duplicates gone, the cluster resolved).

use super::retro::{close, meeting, settle};
use super::story::Story;
use super::texts::{DISCOUNT, DUPLICATE, SIGN_IN};
use crate::domain::states::ActionStage;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::ladder::{self, ActionInput};
use std::collections::BTreeMap;

/// The usual weekly count of `problem` in the week `back`, where an action changed it.
pub fn level(problem: usize, back: i64) -> Option<u32> {
    match (problem, back) {
        (SIGN_IN, 36) => Some(11),
        (SIGN_IN, ..=35) => Some(4),
        (DISCOUNT, 30) => Some(12),
        (DISCOUNT, ..=29) => Some(8),
        (DUPLICATE, 27) => Some(6),
        (DUPLICATE, ..=26) => Some(0),
        _ => None,
    }
}

/// Launch a feature through its stages: scheduled and in development in the week
/// `back`, launched on `launch` (weeks back, weekday).
fn ship(
    story: &mut Story,
    lead: &Actor,
    action: i64,
    back: i64,
    launch: (i64, i64),
) -> AppResult<()> {
    for (stage, (week, weekday), hour) in [
        (ActionStage::Scheduled, (back, 0), 15),
        (ActionStage::InDevelopment, (back, 2), 10),
        (ActionStage::Launched, launch, 16),
    ] {
        let _pin = story.pin(story.at(week, weekday, hour, 0));
        let on = story.day(week, weekday);
        ladder::advance(story.conn, lead, action, stage.as_str(), &on, "", story.tz)?;
    }
    Ok(())
}

/// What the lead does on the other problems after the week `back`.
pub fn after(
    story: &mut Story,
    lead: &Actor,
    back: i64,
    mains: &BTreeMap<usize, i64>,
) -> AppResult<()> {
    let (sign_in, discount, duplicate) = (mains[&SIGN_IN], mains[&DISCOUNT], mains[&DUPLICATE]);
    for cluster in [sign_in, discount, duplicate] {
        settle(story, cluster, back)?;
    }
    let desk = ["lead", "liuyang", "gaomin", "emma", "pm"];
    match back {
        40 => {
            let decided = meeting(story, lead, 40, &desk,
                "CRM sign-in failures: about 18 a week, every week since we started recording. The CRM drops a session after 30 minutes.",
                vec![("Keep CRM sessions for the working day", Some((sign_in, ActionInput {
                    rung: Some(2),
                    title: "Keep CRM sessions for the working day".into(),
                    why: "A session times out after 30 minutes; salespeople on the road sign in again and again.".into(),
                    owner: "pm".into(),
                    review_after_weeks: Some(3),
                    ..Default::default()
                })))])?;
            let action = decided[0]
                .1
                .ok_or_else(|| AppError::internal("the sessions' action"))?;
            ship(story, lead, action, 39, (36, 2))?;
            story.side.push(decided[0].0);
        }
        31 => {
            let decided = meeting(
                story,
                lead,
                31,
                &desk,
                "Discount questions are the desk's largest cluster: 18 a week, the same answer each time.",
                vec![(
                    "Publish the discount matrix; the desk answers with it",
                    Some((
                        discount,
                        ActionInput {
                            rung: Some(1),
                            title: "Publish the discount matrix; the desk answers with it".into(),
                            why: "The same question every day: who grants which discount.".into(),
                            owner: "liuyang".into(),
                            goal_kind: "weekly_rate_below".into(),
                            goal_value: Some(10.0),
                            due_on: story.day(26, 4),
                            launched_on: story.day(30, 0),
                            review_after_weeks: Some(3),
                            ..Default::default()
                        },
                    )),
                )],
            )?;
            story.side.push(decided[0].0);
        }
        28 => {
            let decided = meeting(story, lead, 28, &desk,
                "Duplicate customers, 14 a week: nothing stops a salesperson creating a customer that exists.",
                vec![("Warn of a duplicate customer when one is created", Some((duplicate, ActionInput {
                    rung: Some(2),
                    title: "Warn of a duplicate customer when one is created".into(),
                    why: "Nothing stops a salesperson creating a customer that already exists.".into(),
                    owner: "pm".into(),
                    review_after_weeks: Some(3),
                    ..Default::default()
                })))])?;
            let action = decided[0]
                .1
                .ok_or_else(|| AppError::internal("the warning's action"))?;
            ship(story, lead, action, 27, (27, 4))?;
            story.side.push(decided[0].0);
        }
        // Each judged on its review: the decision is done.
        32 => close(story, lead, story.side[0], (32, 1))?,
        26 => close(story, lead, story.side[1], (26, 1))?,
        23 => close(story, lead, story.side[2], (23, 1))?,
        _ => {}
    }
    Ok(())
}
