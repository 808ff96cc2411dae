//! An action as its page and the API show it: the action, its effect as of a day, its
//! workflow's steps, sign-offs, weight revisions and comments.

use crate::db::DbConn;
use crate::db::actions::{self as db_actions, ActionRow, Comment, Signoff, Step, WeightRevision};
use crate::db::{clusters, users};
use crate::error::{AppError, AppResult};
use crate::service::effects::{self, EffectView};
use crate::service::goals::{self, GoalProgress};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub struct ActionPage {
    pub action: ActionRow,
    pub effect: Option<EffectView>,
    pub steps: Vec<Step>,
    /// The departments a policy involves.
    pub departments: Vec<i64>,
    pub signoffs: Vec<Signoff>,
    pub weights: Vec<WeightRevision>,
    pub comments: Vec<Comment>,
    /// The owner's login; empty when nobody owns it.
    pub owner: String,
    pub cluster_title: String,
    /// The goal week by week: each week's target beside its count.
    pub goal: Option<GoalProgress>,
    /// Its trail: recorded, moved on, signed, corrected, flagged by the scheduler.
    pub history: Vec<crate::service::incidents::TimelineEntry>,
    /// The names of the people the trail names by id (owners).
    pub people: std::collections::HashMap<i64, String>,
}

/// Action `id`, its effect judged as on `now`.
pub fn action_page(
    conn: &mut DbConn,
    id: i64,
    tz: Tz,
    now: DateTime<Utc>,
) -> AppResult<ActionPage> {
    let action = db_actions::find(conn, id)?.ok_or(AppError::NotFound)?;
    let owner = match action.owner_id {
        Some(o) => users::find(conn, o)?.map(|u| u.login).unwrap_or_default(),
        None => String::new(),
    };
    let cluster_title = clusters::find(conn, action.cluster_id)?
        .map(|c| c.title)
        .unwrap_or_default();
    let history = crate::service::incidents::timeline(conn, "action", id)?;
    let people = crate::service::incidents::people_named(conn, &history)?;
    Ok(ActionPage {
        history,
        people,
        effect: effects::effect_of(conn, &action, tz, now)?,
        goal: goals::progress(conn, id, action.cluster_id, tz, now)?,
        steps: db_actions::steps(conn, id)?,
        departments: db_actions::departments(conn, id)?,
        signoffs: db_actions::signoffs(conn, id)?,
        weights: db_actions::weights(conn, id)?,
        comments: db_actions::comments(conn, id)?,
        owner,
        cluster_title,
        action,
    })
}
