//! The demo data set: the approval story of docs/ladder.md, told by a sales team of three
//! dozen over the last year and a bit, in incidents (hundreds a week, every category),
//! meetings and actions, each entered through the service a user's request goes through
//! and recorded at its moment in the story, so that every page has something true to
//! show and its statistics agree with the story.
//!
//! `people` is the team, `texts` what it writes, `story` the calendar, clock and filing,
//! `ladder` the rungs the lead climbs on the story's cluster, `side` those climbed on other
//! problems during the year, `retro` the retrospectives and the scheduler's verdicts.

mod ladder;
mod others;
mod people;
mod retro;
mod side;
mod story;
mod texts;

pub use people::{PASSWORD, PEOPLE};

use super::clusters::{self, ClusterEdit};
use crate::db::DbConn;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::grouping::GroupingCache;
use chrono::{DateTime, Datelike, Duration, Utc};
use std::collections::BTreeMap;
use story::{Dice, Story, Week};
use texts::{CHASE, PROBLEMS};

/// The weeks the story goes back: a year and the four weeks before it, so that this
/// month has a same week last year.
pub const WEEKS: i64 = 56;

/// The owner of each category's clusters on the help desk.
fn owner(category: &str) -> &'static str {
    match category {
        "approval-chase" => "lead",
        "system-bug" => "gaomin",
        "data-fix" => "emma",
        _ => "liuyang",
    }
}

/// Load the story into an empty database; returns (login, password) pairs.
pub fn load(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    now: DateTime<Utc>,
) -> AppResult<Vec<(String, String)>> {
    if crate::db::users::count(conn)? > 0 || crate::db::incidents::total(conn)? > 0 {
        return Err(AppError::Conflict("conflict.demo_not_empty"));
    }
    let tz = chrono_tz::Asia::Shanghai;
    let today = now.with_timezone(&tz).date_naive();
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let start = monday - Duration::weeks(WEEKS) - Duration::days(7);
    // The team was set up the week before the story's first.
    let setup = tz
        .from_local_datetime(&start.and_hms_opt(9, 0, 0).expect("nine"))
        .earliest()
        .expect("a local time")
        .with_timezone(&Utc);
    let team = crate::clock::pinned(setup, || -> AppResult<_> {
        super::organisation::set_timezone(conn, None, tz)?;
        people::Team::create(conn)
    })?;
    let mut story = Story {
        conn,
        grouping,
        tz,
        monday,
        now,
        dice: Dice(0x5eed_cafe),
        team,
        order: 24_000,
        decisions: Vec::new(),
        side: Vec::new(),
    };
    let lead = Actor {
        role: Role::Lead,
        ..story.team.who("lead").clone()
    };
    let mut mains: BTreeMap<usize, i64> = BTreeMap::new();

    // Level 0, a year ago: everything recorded, chases handled one by one. After the
    // first day the lead names the recurring problems, merges what the matcher left
    // apart and sets rules; after the first week, again for what was missed.
    let ordinary = |back: i64, dice: &mut Dice| Week {
        back,
        chases: 10 + dice.below(5) as u32,
        lunch: 2 + dice.below(2) as u32,
        wrong_prices: None,
    };
    let first = ordinary(WEEKS, &mut story.dice);
    let filed = story.days(&first, 0..1)?;
    name_problems(&mut story, &lead, &filed, &mut mains, (WEEKS, 0))?;
    let filed = story.days(&first, 1..7)?;
    name_problems(&mut story, &lead, &filed, &mut mains, (WEEKS, 4))?;
    let (chases, guard) = (mains[&CHASE], mains[&texts::WRONG_PRICE]);
    debug_assert_eq!(chases, 1, "the story's cluster is the first");
    for back in (0..WEEKS).rev() {
        let week = if back > 20 {
            ordinary(back, &mut story.dice)
        } else {
            ladder::week(back)
        };
        story.week(&week)?;
        side::after(&mut story, &lead, back, &mains)?;
        if back <= 20 {
            ladder::after(&mut story, &lead, back, chases, guard)?;
        }
    }
    // What the server's consolidation does after filings.
    let _pin = story.pin(now - Duration::minutes(5));
    clusters::consolidate(
        story.conn,
        story.grouping,
        crate::domain::grouping::consolidate::DEFAULT_MERGE_THRESHOLD,
    )?;
    Ok(PEOPLE
        .iter()
        .map(|(login, ..)| (login.to_string(), PASSWORD.to_string()))
        .collect())
}

use chrono::TimeZone;

/// The lead's triage at the end of a day (`weeks back`, weekday): each recurring problem
/// the day's filings show gets its cluster (the one holding most of it), named, owned and
/// confirmed, with rules for its words; the problem's other clusters are merged into it.
fn name_problems(
    story: &mut Story,
    lead: &Actor,
    filed: &[(Option<usize>, i64)],
    mains: &mut BTreeMap<usize, i64>,
    (back, weekday): (i64, i64),
) -> AppResult<()> {
    let _pin = story.pin(story.at(back, weekday, 18, 10));
    // Per cluster, its filings per problem.
    let mut held: BTreeMap<i64, BTreeMap<usize, u32>> = BTreeMap::new();
    for &(problem, cluster) in filed {
        if let Some(p) = problem {
            *held.entry(cluster).or_default().entry(p).or_default() += 1;
        }
    }
    let majority = |counts: &BTreeMap<usize, u32>| {
        counts
            .iter()
            .max_by_key(|(p, n)| (**n, std::cmp::Reverse(**p)))
            .map(|(p, _)| *p)
    };
    for (index, problem) in PROBLEMS.iter().enumerate() {
        let mine: Vec<(i64, u32)> = held
            .iter()
            .filter(|(_, counts)| majority(counts) == Some(index))
            .map(|(c, counts)| (*c, counts[&index]))
            .collect();
        let main = match mains.get(&index) {
            Some(&m) => m,
            None => {
                let Some(&(m, _)) = mine.iter().max_by_key(|(c, n)| (*n, std::cmp::Reverse(*c)))
                else {
                    continue;
                };
                // The story's cluster is the first one the team ever filed into.
                let m = if index == CHASE { mine[0].0 } else { m };
                clusters::confirm(story.conn, lead, m)?;
                clusters::edit(
                    story.conn,
                    lead,
                    m,
                    &ClusterEdit {
                        title: problem.title.into(),
                        summary: problem.summary.into(),
                        owner: owner(problem.category).into(),
                    },
                )?;
                for rule in problem.rules {
                    clusters::add_rule(story.conn, lead, m, rule)?;
                }
                mains.insert(index, m);
                m
            }
        };
        for (cluster, _) in mine {
            if !mains.values().any(|&m| m == cluster) {
                clusters::merge(story.conn, story.grouping, lead, cluster, main)?;
            }
        }
    }
    Ok(())
}
