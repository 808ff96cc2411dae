//! People: the first admin, adding users, preferences. (Signing in: `sign_in`.)

use super::snapshot;
use crate::db::audit::{self, NewAuditEvent};
pub use crate::db::users::UserRow;
use crate::db::{self, DbConn, catalog, settings, users};
use crate::domain::input::{self, FieldErrors, Login, NAME_MAX};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use argon2::Argon2;
use argon2::password_hash::PasswordHasher;

/// The signed-in person, as every route sees them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Actor {
    pub id: i64,
    pub login: String,
    pub display_name: String,
    pub role: Role,
    pub department_id: Option<i64>,
    #[serde(skip)]
    pub language: Option<Lang>,
    /// The sessions of this epoch are current (`db::users::end_sessions`).
    #[serde(skip)]
    pub session_epoch: i32,
}

impl Actor {
    pub fn require(&self, role: Role) -> AppResult<()> {
        if self.role.allows(role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn is_lead(&self) -> bool {
        self.role.allows(Role::Lead)
    }

    pub fn is_admin(&self) -> bool {
        self.role.allows(Role::Admin)
    }
}

impl TryFrom<users::UserRow> for Actor {
    type Error = AppError;

    fn try_from(u: users::UserRow) -> AppResult<Self> {
        Ok(Actor {
            role: u.role,
            language: u.language.as_deref().and_then(Lang::parse),
            id: u.id,
            login: u.login,
            display_name: u.display_name,
            department_id: u.department_id,
            session_epoch: u.session_epoch,
        })
    }
}

/// What a form or the command line gives to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUserInput {
    pub login: String,
    pub display_name: String,
    pub role: String,
    pub department: String,
    pub password: String,
    pub language: String,
}

#[derive(serde::Serialize)]
struct UserSnapshot<'a> {
    login: &'a str,
    display_name: &'a str,
    role: &'a str,
    department_id: Option<i64>,
    active: bool,
}

pub fn hash_password(password: &str) -> AppResult<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}

/// Everyone, for the admin's list.
pub fn list(conn: &mut DbConn) -> AppResult<Vec<users::UserRow>> {
    Ok(users::list(conn)?)
}

pub fn has_users(conn: &mut DbConn) -> AppResult<bool> {
    Ok(users::count(conn)? > 0)
}

/// Create a user; `actor` is who does it (None for the first admin and the command line).
pub fn create_user(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    raw: &NewUserInput,
) -> AppResult<Actor> {
    create(conn, actor, raw, Claim::None)
}

/// Whether the new user takes the place of the first admin.
#[derive(PartialEq)]
enum Claim {
    None,
    FirstAdmin,
}

fn create(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    raw: &NewUserInput,
    claim: Claim,
) -> AppResult<Actor> {
    let mut errors = FieldErrors::new();
    let login = errors.check("login", Login::parse(&raw.login));
    let name = errors.check(
        "display_name",
        input::required_text(&raw.display_name, NAME_MAX),
    );
    let role = errors.check("role", Role::parse(&raw.role).ok_or("error.role"));
    let password = errors.check("password", input::password(&raw.password));
    let department_id = if raw.department.trim().is_empty() {
        None
    } else {
        match catalog::department_by_slug(conn, raw.department.trim())? {
            Some(d) => Some(d.id),
            None => {
                errors.add("department", "error.unknown_department");
                None
            }
        }
    };
    let language = Lang::parse(&raw.language);
    let (Some(login), Some(name), Some(role), Some(password)) = (login, name, role, password)
    else {
        return Err(AppError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    if users::find_by_login(conn, login.as_ref())?.is_some() {
        return Err(AppError::field("login", "error.login_taken"));
    }
    let hash = hash_password(&password)?;
    let now = db::now();
    crate::db::write_transaction(conn, |conn| {
        if claim == Claim::FirstAdmin {
            claim_first_admin(conn, login.as_ref())?;
        }
        let new = users::NewUser {
            login: login.as_ref(),
            display_name: &name,
            role,
            department_id,
            password_hash: &hash,
            language: language.map(|l| l.code()),
            active: true,
            created_at: now,
            updated_at: now,
        };
        let id = users::insert(conn, &new)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: actor.map(|a| a.id),
                entity: "user",
                entity_id: id,
                action: "created",
                before_json: None,
                after_json: snapshot(&UserSnapshot {
                    login: login.as_ref(),
                    display_name: &name,
                    role: role.as_str(),
                    department_id,
                    active: true,
                }),
                at: now,
            },
        )?;
        Ok::<_, AppError>(Actor {
            id,
            login: login.as_ref().to_string(),
            display_name: name.clone(),
            role,
            department_id,
            language,
            session_epoch: 0,
        })
    })
    .map_err(|e| match e {
        AppError::Database(ref d) if db::is_unique_violation(d) => {
            AppError::field("login", "error.login_taken")
        }
        other => other,
    })
}

/// The first admin, only while nobody exists yet: exactly one, however many setups are
/// sent at once (`claim_first_admin`).
pub fn create_first_admin(conn: &mut DbConn, raw: &NewUserInput) -> AppResult<Actor> {
    if has_users(conn)? {
        return Err(AppError::Forbidden);
    }
    let raw = NewUserInput {
        role: Role::Admin.as_str().into(),
        ..raw.clone()
    };
    create(conn, None, &raw, Claim::FirstAdmin)
}

/// Inside the first admin's transaction: the `first_admin` row of `settings` can be
/// inserted once (its key is the primary key), so of several setups at once one
/// commits and the others are refused by the database itself, on either backend.
/// The count covers databases set up before the row existed.
fn claim_first_admin(conn: &mut DbConn, login: &str) -> AppResult<()> {
    if users::count(conn)? > 0 {
        return Err(AppError::Forbidden);
    }
    match settings::insert(conn, settings::FIRST_ADMIN, login) {
        Ok(()) => Ok(()),
        Err(e) if db::is_unique_violation(&e) => Err(AppError::Forbidden),
        Err(e) => Err(e.into()),
    }
}

pub fn actor(conn: &mut DbConn, id: i64) -> AppResult<Option<Actor>> {
    match users::find(conn, id)? {
        Some(u) if u.active => Ok(Some(Actor::try_from(u)?)),
        _ => Ok(None),
    }
}

/// Sign out everywhere: every session of this person ends, copied cookies included.
pub fn end_sessions(conn: &mut DbConn, actor: &Actor) -> AppResult<()> {
    users::end_sessions(conn, actor.id)?;
    Ok(())
}

pub fn set_language(conn: &mut DbConn, actor: &Actor, lang: Option<Lang>) -> AppResult<()> {
    let changes = users::UserChangeset {
        language: Some(lang.map(|l| l.code().to_string())),
        updated_at: Some(db::now()),
        ..Default::default()
    };
    users::update(conn, actor.id, &changes)?;
    Ok(())
}

/// An admin changes someone's role, department or whether they may sign in.
pub fn update_user(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    role: &str,
    department: &str,
    active: bool,
) -> AppResult<()> {
    actor.require(Role::Admin)?;
    let role = Role::parse(role).ok_or_else(|| AppError::field("role", "error.role"))?;
    let department_id = if department.trim().is_empty() {
        None
    } else {
        Some(
            catalog::department_by_slug(conn, department.trim())?
                .ok_or_else(|| AppError::field("department", "error.unknown_department"))?
                .id,
        )
    };
    if user_id == actor.id && (role != Role::Admin || !active) {
        return Err(AppError::Conflict("conflict.own_admin"));
    }
    crate::db::write_transaction(conn, |conn| {
        let before = users::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        let now = db::now();
        users::update(
            conn,
            user_id,
            &users::UserChangeset {
                role: Some(role),
                department_id: Some(department_id),
                active: Some(active),
                updated_at: Some(now),
                ..Default::default()
            },
        )?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(actor.id),
                entity: "user",
                entity_id: user_id,
                action: "updated",
                before_json: snapshot(&UserSnapshot {
                    login: &before.login,
                    display_name: &before.display_name,
                    role: before.role.as_str(),
                    department_id: before.department_id,
                    active: before.active,
                }),
                after_json: snapshot(&UserSnapshot {
                    login: &before.login,
                    display_name: &before.display_name,
                    role: role.as_str(),
                    department_id,
                    active,
                }),
                at: now,
            },
        )?;
        Ok(())
    })
}
