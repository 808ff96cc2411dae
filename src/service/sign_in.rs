//! Signing in: through the guard (`sign_in_guard`), the password checked on the hashing
//! threads, a lockout put on the trail once.

use super::accounts::{Actor, hash_password};
use super::sign_in_guard::{LockedOut, Refusal, SignInGuard};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::{self, DbConn, Pool, users};
use crate::error::AppResult;
use argon2::Argon2;
use argon2::password_hash::PasswordVerifier;
use argon2::password_hash::phc::PasswordHash;
use std::net::IpAddr;

/// Sign in through the guard (`sign_in_guard`): refused with 429 while the account or
/// the address has used up its attempts (the first refusal of a lockout is put on the
/// trail), else checked when a turn to hash comes.
pub async fn sign_in_guarded(
    pool: &Pool,
    guard: &SignInGuard,
    login: String,
    password: String,
    address: Option<IpAddr>,
) -> AppResult<Option<Actor>> {
    if let Err(refusal) = guard.admit(&login, address) {
        record_refusal(pool, &refusal).await;
        return Err(refusal.error());
    }
    let found = super::run(pool, move |conn| find_for_sign_in(conn, &login)).await?;
    let user = guard.hash(move || check_password(found, &password)).await?;
    user.map(Actor::try_from).transpose()
}

/// Put the first refusal of a lockout on the trail (the others are not: a flood would
/// otherwise write a line per guess). A failure to record is logged, not told.
pub async fn record_refusal(pool: &Pool, refusal: &Refusal) {
    if !refusal.first {
        return;
    }
    tracing::warn!(who = ?refusal.who, retry_after = refusal.retry_after.as_secs(), "locked out after too many attempts");
    let refusal = refusal.clone();
    let recorded = super::run(pool, move |conn| {
        let seconds = refusal.retry_after.as_secs();
        let (entity, entity_id, detail) = match &refusal.who {
            LockedOut::Account(login) => {
                let id = users::find_by_login(conn, login)?.map(|u| u.id);
                (
                    if id.is_some() { "user" } else { "sign_in" },
                    id.unwrap_or(0),
                    serde_json::json!({ "login": login, "retry_after_seconds": seconds }),
                )
            }
            LockedOut::Address(ip) => (
                "sign_in",
                0,
                serde_json::json!({ "address": ip.to_string(), "retry_after_seconds": seconds }),
            ),
        };
        crate::db::write_transaction(conn, |conn| {
            audit::record(
                conn,
                &NewAuditEvent {
                    actor_id: None,
                    entity,
                    entity_id,
                    action: "locked_out",
                    before_json: None,
                    after_json: Some(detail.to_string()),
                    at: db::now(),
                },
            )
        })?;
        Ok(())
    })
    .await;
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "a lockout could not be put on the trail");
    }
}

fn find_for_sign_in(conn: &mut DbConn, login: &str) -> AppResult<Option<users::UserRow>> {
    Ok(users::find_by_login(
        conn,
        login.trim().to_lowercase().as_str(),
    )?)
}

/// The person, if they may sign in and the password is theirs; an unknown or inactive
/// login costs a hash too.
fn check_password(found: Option<users::UserRow>, password: &str) -> Option<users::UserRow> {
    match found {
        Some(u) if u.active => verify_password(password, &u.password_hash).then_some(u),
        _ => {
            let _ = hash_password(password);
            None
        }
    }
}

fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}
