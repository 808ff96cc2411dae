//! The rungs the lead climbs on the approval cluster, week by week from the spike: each
//! step decided at the retrospective on the Monday after its week, entered through
//! `service::meetings` and `service::ladder`, judged by `effects::settle` on its review
//! day as the scheduler would, and recorded at its moment.

use super::retro::{close, meeting, settle};
use super::story::{Story, Week};
use crate::domain::states::ActionStage;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::ladder::{self, ActionInput};

/// Approval chases of the weeks from the spike on, weeks back → (chases, over lunch).
fn chases(back: i64) -> (u32, u32) {
    match back {
        // Orders grew; the lunch rota is short-handed.
        20 => (34, 23),
        19 => (36, 24),
        18 => (35, 23),
        17 => (33, 22),
        // The lunch rota is staffed: fewer, and no longer over lunch.
        16 => (19, 4),
        15 => (16, 3),
        14 => (15, 3),
        13 => (13, 2),
        // Still coming: a rise again, though not over lunch.
        12 => (19, 3),
        // The progress page launched on Friday.
        11 => (13, 2),
        9..=10 => (6, 1),
        // The customer lock launched on Monday.
        8 => (2, 0),
        // One chase last week: the resolved cluster came back.
        1 => (1, 1),
        _ => (0, 0),
    }
}

/// Approved orders with a wrong price, weeks back; None for the ordinary one or two.
fn wrong_prices(back: i64) -> Option<u32> {
    match back {
        4..=6 => Some(2),
        3 => Some(4),
        2 => Some(7),
        1 => Some(5),
        _ => None,
    }
}

/// The story's part of the week `back` from the spike on (20 weeks back).
pub fn week(back: i64) -> Week {
    let (chases, lunch) = chases(back);
    Week {
        back,
        chases,
        lunch,
        wrong_prices: wrong_prices(back),
    }
}

/// What the lead does on the story's cluster after the week `back`: the rungs climbed
/// one after another from the spike on.
pub fn after(
    story: &mut Story,
    lead: &Actor,
    back: i64,
    cluster: i64,
    guard: i64,
) -> AppResult<()> {
    let tz = story.tz;
    settle(story, cluster, back)?;
    match back {
        20 => {
            let decided = meeting(
                story,
                lead,
                20,
                &["lead", "chen", "li", "wang"],
                "Approval chases rose from about 12 a week to 34, two thirds of them between 12:00 and 13:59 (the review flags the cluster, the hour of day first).",
                vec![(
                    "Pull every chase of the week and go through them with the approval desk's head",
                    None,
                )],
            )?;
            story.decisions.extend(decided);
        }
        17 => {
            let decided = meeting(story, lead, 17, &["lead", "chen", "li", "wang"],
                    "Four weeks of 33 to 36 chases. With 陈静: orders grew and the approval desk's lunch rota is short-handed; most chases come over lunch.",
                    vec![("Staff the approval desk over lunch", Some((cluster, ActionInput {
                        rung: Some(1),
                        title: "Staff the approval desk over lunch".into(),
                        why: "Most chases happen between 12:00 and 13:59; the lunch rota is short-handed since orders grew.".into(),
                        owner: "chen".into(),
                        goal_kind: "weekly_rate_below".into(),
                        goal_value: Some(12.0),
                        due_on: story.day(12, 4),
                        launched_on: story.day(16, 0),
                        review_after_weeks: Some(3),
                        ..Default::default()
                    })))],
                    )?;
            close(story, lead, story.decisions[0].0, (16, 0))?;
            story.decisions.extend(decided);
        }
        12 => {
            let decided = meeting(story, lead, 12, &["lead", "chen", "pm", "li"],
                    "The lunch rota halved the chases but did not end them: 13 to 19 a week, no longer over lunch. Why must sales chase at all?",
                    vec![
                        ("Show approval progress to sales; alert approver and manager when late", Some((cluster, ActionInput {
                            rung: Some(2),
                            title: "Show approval progress to sales; alert approver and manager when late".into(),
                            why: "Why must sales chase at all? They could see progress themselves, and the system could alert.".into(),
                            owner: "pm".into(),
                            goal_kind: "weekly_rate_below".into(),
                            goal_value: Some(3.0),
                            due_on: story.day(8, 4),
                            review_after_weeks: Some(3),
                            ..Default::default()
                        }))),
                        ("Interview salespeople: why do several chase the same order?", None),
                    ],
                    )?;
            // The lunch rota was judged (reduced): its decision is done.
            close(story, lead, story.decisions[1].0, (11, 0))?;
            let feature = decided[0]
                .1
                .ok_or_else(|| AppError::internal("the feature's action"))?;
            for (stage, weekday, hour) in [
                (ActionStage::Scheduled, 0, 15),
                (ActionStage::InDevelopment, 2, 10),
                (ActionStage::Launched, 4, 16),
            ] {
                let _pin = story.pin(story.at(11, weekday, hour, 0));
                ladder::advance(
                    story.conn,
                    lead,
                    feature,
                    stage.as_str(),
                    &story.day(11, weekday),
                    "",
                    tz,
                )?;
            }
            story.decisions.extend(decided);
        }
        10 => {
            let decided = meeting(story, lead, 10, &["lead", "li", "wang", "pm", "hr"],
                    "Chases down to 6 a week. Interviews: sales credit counts only once an approval passes, and a customer can order through several salespeople, so they race for the approval.",
                    vec![("A salesperson may lock a customer for one approval cycle", Some((cluster, ActionInput {
                        rung: Some(3),
                        title: "A salesperson may lock a customer for one approval cycle".into(),
                        why: "Interviews: credit counts only once an approval passes, so salespeople race for the same customer.".into(),
                        owner: "lead".into(),
                        departments: vec!["sales".into(), "product".into(), "hr".into()],
                        review_after_weeks: Some(2),
                        ..Default::default()
                    })))],
                    )?;
            close(story, lead, story.decisions[3].0, (9, 0))?;
            let policy = decided[0]
                .1
                .ok_or_else(|| AppError::internal("the policy's action"))?;
            for (who, dept, decision, comment, weekday) in [
                ("li", "sales", "approve", "", 1),
                (
                    "pm",
                    "product",
                    "object",
                    "The lock period must follow the approval cycle, not a fixed month.",
                    2,
                ),
                ("hr", "hr", "approve", "", 2),
                (
                    "pm",
                    "product",
                    "approve",
                    "Agreed: lock = one approval cycle.",
                    4,
                ),
            ] {
                let _pin = story.pin(story.at(9, weekday, 15, 30));
                let actor = story.team.who(who).clone();
                ladder::sign_off(story.conn, &actor, policy, dept, decision, comment)?;
            }
            let _pin = story.pin(story.at(8, 0, 9, 30));
            ladder::advance(
                story.conn,
                lead,
                policy,
                ActionStage::Launched.as_str(),
                &story.day(8, 0),
                "",
                tz,
            )?;
            story.decisions.extend(decided);
        }
        7 => {
            meeting(
                story,
                lead,
                7,
                &["lead", "li", "pm", "chen"],
                "No chase since the customer lock launched. The progress page was judged: reduced, not gone; the lock is under review.",
                vec![],
            )?;
            close(story, lead, story.decisions[2].0, (6, 0))?;
        }
        5 => {
            let decided = meeting(story, lead, 5, &["lead", "li", "pm", "hr", "chen"],
                    "The customer lock's review: chases eliminated, the cluster resolved. Why was so serious a flaw in the credit rule not found before it launched, nor soon after?",
                    vec![("Every policy needs sign-off from sales, product and HR; weekly retrospective of new policies for 6 weeks", Some((cluster, ActionInput {
                        rung: Some(4),
                        title: "Every policy needs sign-off from sales, product and HR; weekly retrospective of new policies for 6 weeks".into(),
                        why: "Why was so serious a flaw not found before launch, nor soon after?".into(),
                        owner: "admin".into(),
                        retro_weeks: Some(6),
                        launched_on: story.day(4, 0),
                        ..Default::default()
                    })))],
                    )?;
            // The customer lock did its work.
            close(story, lead, story.decisions[4].0, (4, 0))?;
            story.decisions.extend(decided);
        }
        4 => {
            let decided = meeting(story, lead, 4, &["lead", "chen", "hr"],
                    "Why is the approval desk never in a hurry while sales fume? Timeliness is not in its KPI: approving fast earns nothing, slowly costs nothing.",
                    vec![
                        ("Add approval timeliness to the approval department's KPI at 30%", Some((cluster, ActionInput {
                            rung: Some(5),
                            title: "Add approval timeliness to the approval department's KPI".into(),
                            why: "Why is the approval desk never in a hurry? Timeliness is not in its KPI.".into(),
                            owner: "chen".into(),
                            kpi_department: "approval".into(),
                            kpi_item: "approval timeliness".into(),
                            kpi_definition: "share of approvals within 4 working hours".into(),
                            kpi_weight: Some(30.0),
                            launched_on: story.day(3, 0),
                            ..Default::default()
                        }))),
                        ("Tune the timeliness weight, approval errors as the guard", Some((cluster, ActionInput {
                            rung: Some(6),
                            title: "Tune the timeliness weight, approval errors as the guard".into(),
                            why: "Too heavy a weight makes approvers rush; watch approved orders with a wrong price as the guard.".into(),
                            owner: "lead".into(),
                            kpi_weight: Some(30.0),
                            guard_cluster: Some(guard),
                            guard_margin: Some(0.2),
                            launched_on: story.day(3, 0),
                            review_after_weeks: Some(2),
                            ..Default::default()
                        }))),
                    ],
                    )?;
            // The review of new policies is in place.
            close(story, lead, story.decisions[5].0, (3, 1))?;
            story.decisions.extend(decided);
        }
        2 => {
            let tuning = story.decisions[7]
                .1
                .ok_or_else(|| AppError::internal("the tuning's action"))?;
            let decided = meeting(
                story,
                lead,
                2,
                &["lead", "chen"],
                "Approved orders with a wrong price rose from 2 a week to 7 since timeliness weighs 30%: approvers rush.",
                vec![(
                    "Lower the timeliness weight to 20% and keep watching approval errors",
                    None,
                )],
            )?;
            let _pin = story.pin(story.at(1, 0, 14, 0));
            ladder::revise_weight(
                story.conn,
                lead,
                tuning,
                20.0,
                &story.day(1, 0),
                "approval errors rose: back to 20%",
                tz,
            )?;
            drop(_pin);
            close(story, lead, decided[0].0, (1, 0))?;
        }
        _ => {}
    }
    Ok(())
}
