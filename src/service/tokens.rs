//! API tokens: made once, shown once, kept only as a hash.

use super::accounts::Actor;
use crate::db::audit::{self, NewAuditEvent};
pub use crate::db::tokens::TokenRow;
use crate::db::version_feed::VersionFeed;
use crate::db::{self, DbConn, tokens, users};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::catalog::Catalog;
use crate::service::directory::Directory;
use rand::RngCore;
use sha2::{Digest, Sha256};

const PREFIX: &str = "rungs_";

/// How a token is stored and looked up.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Create a token for `owner_id`; returns the token itself, which is never stored.
pub fn create(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    owner_id: i64,
    label: &str,
) -> AppResult<String> {
    if let Some(a) = actor
        && a.id != owner_id
    {
        a.require(Role::Admin)?;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{PREFIX}{}", hex::encode(bytes));
    let label = crate::domain::input::optional_text(label, 100)
        .map_err(|k| AppError::field("label", k))?
        .unwrap_or_default();
    let now = db::now();
    crate::db::write_transaction(conn, |conn| {
        let id = tokens::insert(conn, owner_id, &hash(&token), &label, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: actor.map(|a| a.id).or(Some(owner_id)),
                entity: "token",
                entity_id: id,
                action: "created",
                before_json: None,
                after_json: Some(
                    serde_json::json!({ "owner_id": owner_id, "label": label }).to_string(),
                ),
                at: now,
            },
        )?;
        Ok::<_, AppError>(())
    })?;
    Ok(token)
}

/// A person makes a token of their own from the account page: it must say what it is
/// for, so that the list of tokens can be told apart and revoked.
pub fn create_labelled(conn: &mut DbConn, actor: &Actor, label: &str) -> AppResult<String> {
    crate::domain::input::required_text(label, 100).map_err(|k| AppError::field("label", k))?;
    create(conn, Some(actor), actor.id, label)
}

/// Who a bearer token belongs to, if it is live and its owner may still sign in.
pub fn authenticate(conn: &mut DbConn, token: &str) -> AppResult<Option<Actor>> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let Some(row) = tokens::find_live(conn, &hash(token))? else {
        return Ok(None);
    };
    match users::find(conn, row.user_id)? {
        Some(u) if u.active => Ok(Some(Actor::try_from(u)?)),
        _ => Ok(None),
    }
}

/// Revoke a token: its owner or an admin.
pub fn revoke(conn: &mut DbConn, actor: &Actor, token_id: i64) -> AppResult<()> {
    let row = tokens::find(conn, token_id)?.ok_or(AppError::NotFound)?;
    if row.user_id != actor.id {
        actor.require(Role::Admin)?;
    }
    let now = db::now();
    crate::db::write_transaction(conn, |conn| {
        tokens::revoke(conn, token_id, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "token",
                entity_id: token_id,
                action: "revoked",
                before_json: None,
                after_json: None,
                at: now,
            },
        )?;
        Ok(())
    })
}

pub fn list(conn: &mut DbConn, owner_id: i64) -> AppResult<Vec<tokens::TokenRow>> {
    Ok(tokens::for_user(conn, owner_id)?)
}

/// The person a bearer token belongs to, or 401: from memory when the change counters
/// come without the blocking pool (`VersionFeed::without_pool`) and the token was seen
/// under them, else in one trip to the pool.
pub async fn bearer_actor(
    pool: &crate::db::Pool,
    directory: &std::sync::Arc<Directory>,
    feed: &std::sync::Arc<VersionFeed>,
    token: Option<String>,
) -> AppResult<(Actor, std::sync::Arc<Catalog>)> {
    let token = token.ok_or(AppError::Unauthorized)?;
    if let Some(versions) = feed.without_pool()
        && let Some(actor) = directory.recall_token_actor(&versions, &token)
        && let Some(known) = directory.recall_known(&versions)
    {
        return Ok((actor, known));
    }
    let (directory, feed) = (directory.clone(), feed.clone());
    super::run(pool, move |conn| {
        let versions = feed.current(conn)?;
        let actor = directory
            .token_actor(conn, &versions, &token)?
            .ok_or(AppError::Unauthorized)?;
        Ok((actor, directory.known(conn, &versions)?))
    })
    .await
}
