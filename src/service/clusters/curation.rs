//! The lead's tools on a cluster itself: confirm, dismiss and restore, edit, rules.

use super::{live, record};
use crate::db::clusters::{self as db_clusters, ClusterChangeset};
use crate::db::{self, DbConn, users};
use crate::domain::input::{self, NAME_MAX, TITLE_MAX};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::grouping::{self, GroupingCache};

pub fn confirm(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<()> {
    actor.require(Role::Lead)?;
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, id)?;
        let changes = ClusterChangeset {
            confirmed: Some(true),
            dismissed: Some(false),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "confirmed",
            Some(serde_json::json!({"confirmed": c.confirmed})),
            Some(serde_json::json!({"confirmed": true})),
        )
    })
}

/// A one-off, dismissed as noise: out of the queue and out of matching; nothing deleted.
pub fn dismiss(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    id: i64,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let version = crate::db::write_transaction(conn, |conn| {
        live(conn, id)?;
        let changes = ClusterChangeset {
            dismissed: Some(true),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "dismissed",
            None,
            Some(serde_json::json!({"dismissed": true})),
        )?;
        grouping::bump_version(conn)
    })?;
    grouping.structural(version, |index| index.remove_cluster(id));
    Ok(())
}

/// Undo a dismissal: the cluster is back in triage (unconfirmed) and the matcher sees it
/// again.
pub fn restore(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    id: i64,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, id)?;
        if !c.dismissed {
            return Err(AppError::Conflict("conflict.not_dismissed"));
        }
        let changes = ClusterChangeset {
            dismissed: Some(false),
            confirmed: Some(false),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "restored",
            Some(serde_json::json!({"dismissed": true})),
            Some(serde_json::json!({"dismissed": false})),
        )?;
        grouping::bump_version(conn)
    })?;
    // The index has no place for a cluster it dropped; the next read rebuilds it.
    grouping.invalidate();
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct ClusterEdit {
    pub title: String,
    pub summary: String,
    /// A login, or empty for nobody.
    pub owner: String,
}

pub fn edit(conn: &mut DbConn, actor: &Actor, id: i64, edit: &ClusterEdit) -> AppResult<()> {
    actor.require(Role::Lead)?;
    let mut errors = input::FieldErrors::new();
    let title = errors.check("title", input::required_text(&edit.title, TITLE_MAX));
    let summary = errors.check("summary", input::optional_text(&edit.summary, 2000));
    let owner = if edit.owner.trim().is_empty() {
        None
    } else {
        match users::find_by_login(conn, edit.owner.trim())? {
            Some(u) => Some(u.id),
            None => {
                errors.add("owner", "error.unknown_user");
                None
            }
        }
    };
    let (Some(title), Some(summary)) = (title, summary) else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let summary = summary.unwrap_or_default();
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, id)?;
        let changes = ClusterChangeset {
            title: Some(title.clone()),
            summary: Some(summary.clone()),
            owner_id: Some(owner),
            updated_at: Some(db::now()),
            ..Default::default()
        };
        db_clusters::update(conn, id, &changes)?;
        record(
            conn,
            Some(actor),
            id,
            "edited",
            Some(
                serde_json::json!({"title": c.title, "summary": c.summary, "owner_id": c.owner_id}),
            ),
            Some(serde_json::json!({"title": title, "summary": summary, "owner_id": owner})),
        )
    })
}

/// "Category X and text containing Y joins cluster Z", checked before similarity.
pub fn add_rule(
    conn: &mut DbConn,
    actor: &Actor,
    cluster_id: i64,
    pattern: &str,
) -> AppResult<i64> {
    actor.require(Role::Lead)?;
    let pattern =
        input::required_text(pattern, NAME_MAX).map_err(|k| AppError::field("pattern", k))?;
    let folded = input::search_fold(&[&pattern]);
    crate::db::write_transaction(conn, |conn| {
        let c = live(conn, cluster_id)?;
        let id = db_clusters::insert_rule(
            conn,
            c.category_id,
            &folded,
            cluster_id,
            actor.id,
            db::now(),
        )?;
        record(
            conn,
            Some(actor),
            cluster_id,
            "rule_added",
            None,
            Some(serde_json::json!({"rule": id, "pattern": folded})),
        )?;
        Ok(id)
    })
}

pub fn set_rule_active(
    conn: &mut DbConn,
    actor: &Actor,
    rule_id: i64,
    active: bool,
) -> AppResult<()> {
    actor.require(Role::Lead)?;
    crate::db::write_transaction(conn, |conn| {
        if db_clusters::set_rule_active(conn, rule_id, active)? == 0 {
            return Err(AppError::NotFound);
        }
        Ok(())
    })
}
