//! Organisation-wide settings: the time zone, and the key that signs sessions.

use super::accounts::Actor;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::{self, DbConn, incidents, settings};
use crate::domain::role::Role;
use crate::domain::week::{LocalStamp, parse_timezone};
use crate::error::{AppError, AppResult};
use chrono_tz::Tz;
use rand::RngCore;

/// What the admin page shows: every account, and the catalogue with the time zone as
/// they stand now (read again, so that a change the same request made is on its answer).
pub struct Administration {
    pub users: Vec<crate::db::users::UserRow>,
    pub catalog: super::catalog::Catalog,
}

pub fn administration(conn: &mut DbConn) -> AppResult<Administration> {
    Ok(Administration {
        users: super::accounts::list(conn)?,
        catalog: super::catalog::Catalog::load(conn)?,
    })
}

/// The organisation's time zone (UTC until an admin sets one).
pub fn timezone(conn: &mut DbConn) -> AppResult<Tz> {
    Ok(settings::get(conn, settings::TIMEZONE)?
        .and_then(|name| parse_timezone(&name))
        .unwrap_or(chrono_tz::UTC))
}

/// Set the time zone and recompute every incident's local date, week, weekday and hour,
/// in one transaction so that no weekly figure ever mixes two zones.
pub fn set_timezone(conn: &mut DbConn, actor: Option<&Actor>, tz: Tz) -> AppResult<u64> {
    if let Some(a) = actor {
        a.require(Role::Admin)?;
    }
    let before = timezone(conn)?;
    if before == tz {
        return Ok(0);
    }
    crate::db::write_transaction(conn, |conn| {
        settings::set(conn, settings::TIMEZONE, tz.name())?;
        let mut after_id = 0;
        let mut changed = 0u64;
        loop {
            let batch = incidents::instants_after(conn, after_id, 1000)?;
            let Some(last) = batch.last() else { break };
            after_id = last.0;
            for (id, at) in batch {
                let s = LocalStamp::of(at.and_utc(), tz);
                incidents::set_stamp(
                    conn,
                    id,
                    s.date,
                    &s.week.to_string(),
                    s.weekday as i32,
                    s.hour as i32,
                )?;
                changed += 1;
            }
        }
        crate::db::rollups::rebuild_all(conn)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: actor.map(|a| a.id),
                entity: "settings",
                entity_id: 0,
                action: "timezone_changed",
                before_json: Some(serde_json::json!({ "timezone": before.name() }).to_string()),
                after_json: Some(serde_json::json!({ "timezone": tz.name() }).to_string()),
                at: db::now(),
            },
        )?;
        Ok::<_, AppError>(changed)
    })
}

/// The 64-byte key that signs session cookies, made once and kept in the database,
/// so that a restart, or another copy of rungs behind the same load balancer, logs nobody out.
pub fn session_key(conn: &mut DbConn) -> AppResult<Vec<u8>> {
    let mut fresh = [0u8; 64];
    rand::rng().fill_bytes(&mut fresh);
    let stored = settings::get_or_insert(conn, settings::SESSION_KEY, &hex::encode(fresh))?;
    hex::decode(stored).map_err(AppError::internal)
}
