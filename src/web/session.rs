//! Who is asking: the signed-in person from the session cookie, the language to
//! answer in, and the CSRF token every form must carry back.

use crate::app_state::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::service::catalog::Catalog;
use crate::service::directory::Versions;
use crate::service::{self, accounts::Actor};
use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use rand::RngCore;
use serde::de::DeserializeOwned;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

const USER_ID: &str = "uid";
const CSRF: &str = "csrf";
/// When the person signed in (Unix seconds).
const SINCE: &str = "since";
/// The person's session epoch at sign-in: signing out moves to the next one.
const EPOCH: &str = "epoch";
/// How long a sign-in lasts; also the cookie's Max-Age.
pub const SESSION_DAYS: i64 = 14;

/// The cookie's Max-Age only asks the browser to forget it: a copied cookie would work
/// for ever, so the session itself says when it began, and older ones are refused.
fn is_current(session: &Session) -> bool {
    let now = chrono::Utc::now().timestamp();
    session
        .get::<i64>(SINCE)
        .ok()
        .flatten()
        .is_some_and(|since| since <= now + 60 && now - since <= SESSION_DAYS * 86_400)
}

/// What every page's frame needs: the language, the CSRF token, who is signed in.
#[derive(Debug, Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub csrf: String,
    pub user: Option<Actor>,
    pub path: String,
    /// What the change before this page did (`web::flash`), shown once.
    pub flash: Option<super::flash::Flash>,
}

impl PageCtx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// A count in words: `key_one` for one ("1 incident"), else `key` with `n`.
    pub fn t_count(&self, key: &str, n: &i32) -> String {
        match *n {
            1 => self.lang.t(&format!("{key}_one")),
            _ => self.lang.t_with(key, &[("n", n.to_string().as_str())]),
        }
    }

    /// The message `group.key`, for keys that come from data (a status, a role).
    pub fn t_in(&self, group: &str, key: impl AsRef<str>) -> String {
        self.lang.t(&format!("{group}.{}", key.as_ref()))
    }

    /// The label of a field named in the audit trail; the raw name when the catalogue has none.
    pub fn field_label(&self, name: &str) -> String {
        let key = format!("field.{name}");
        let text = self.lang.t(&key);
        if text == key { name.to_string() } else { text }
    }

    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.t_with(key, args)
    }

    pub fn is_lead(&self) -> bool {
        self.user.as_ref().is_some_and(Actor::is_lead)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(Actor::is_admin)
    }

    /// `class="active"` for the navigation link of the current section.
    pub fn nav(&self, prefix: &str) -> &'static str {
        if self.path == prefix || (prefix != "/" && self.path.starts_with(prefix)) {
            "active"
        } else {
            ""
        }
    }
}

fn csrf_token(session: &Session) -> String {
    if let Ok(Some(t)) = session.get::<String>(CSRF) {
        return t;
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let _ = session.insert(CSRF, &token);
    token
}

pub fn request_lang(req: &HttpRequest, actor: Option<&Actor>) -> Lang {
    if let Some(lang) = actor.and_then(|a| a.language) {
        return lang;
    }
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok())
        .map(Lang::from_accept_language)
        .unwrap_or_default()
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::internal("application state missing"))
}

pub fn sign_in(session: &Session, actor: &Actor) -> Result<(), AppError> {
    session.renew();
    session
        .insert(USER_ID, actor.id)
        .map_err(AppError::internal)?;
    session
        .insert(SINCE, chrono::Utc::now().timestamp())
        .map_err(AppError::internal)?;
    session
        .insert(EPOCH, actor.session_epoch)
        .map_err(AppError::internal)?;
    // A fresh CSRF token for the new session.
    session.remove(CSRF);
    Ok(())
}

pub fn sign_out(session: &Session) {
    session.purge();
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// A page for anybody: login and setup.
pub struct Visitor {
    pub page: PageCtx,
    pub session: Session,
}

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        // A visitor may pick the language on the page (`?lang=`), before any account
        // says which it prefers.
        let chosen = web::Query::<LangQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.lang.as_deref().and_then(Lang::parse));
        let page = PageCtx {
            lang: chosen.unwrap_or_else(|| request_lang(req, None)),
            csrf: csrf_token(&session),
            user: None,
            path: req.path().to_string(),
            flash: None,
        };
        req.extensions_mut().insert(page.clone());
        std::future::ready(Ok(Visitor { page, session }))
    }
}

/// A signed-in person; anyone else is sent to /login (or /setup while nobody exists).
pub struct Signed {
    pub actor: Actor,
    pub page: PageCtx,
    pub session: Session,
    /// The change counters as this request began: pages whose caches depend on them
    /// can answer a hit without another trip to the database.
    pub versions: Versions,
    /// The catalogue (time zone, departments, categories) as of `versions`.
    pub known: Arc<Catalog>,
}

impl FromRequest for Signed {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state(&req)?;
            let session = req.get_session();
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into());
            let user_id = session.get::<i64>(USER_ID).ok().flatten();
            let user_id = match user_id {
                Some(_) if !is_current(&session) => {
                    session.purge();
                    None
                }
                other => other,
            };
            let Some(user_id) = user_id else {
                return Err(if state.has_users().await? {
                    AppError::LoginRequired { next }
                } else {
                    AppError::SetupRequired
                });
            };
            let (actor, versions, known) = match remembered(&state, user_id) {
                Some(found) => found,
                None => {
                    let (directory, feed) = (state.directory.clone(), state.feed.clone());
                    service::run(&state.pool, move |conn| {
                        let versions = feed.current(conn)?;
                        let actor = directory.actor(conn, &versions, user_id)?;
                        let known = directory.known(conn, &versions)?;
                        Ok((actor, versions, known))
                    })
                    .await?
                }
            };
            // Gone, deactivated, or signed out since (from this browser or another).
            let epoch = session.get::<i32>(EPOCH).ok().flatten();
            let Some(actor) = actor.filter(|a| epoch == Some(a.session_epoch)) else {
                session.purge();
                return Err(AppError::LoginRequired { next });
            };
            let page = PageCtx {
                lang: request_lang(&req, Some(&actor)),
                csrf: csrf_token(&session),
                user: Some(actor.clone()),
                path: req.path().to_string(),
                // Shown by the page a change redirects to: a read, not another change.
                flash: (req.method() == actix_web::http::Method::GET)
                    .then(|| super::flash::Flash::take(&session))
                    .flatten(),
            };
            // An error page for this request is framed for this person (`web::problem`).
            req.extensions_mut().insert(page.clone());
            Ok(Signed {
                actor,
                page,
                session,
                versions,
                known,
            })
        })
    }
}

/// The person and the catalogue from memory, when the counters come without the
/// blocking pool (`VersionFeed::without_pool`: remembered on PostgreSQL, read on this
/// thread on SQLite) and both were read under them.
fn remembered(state: &AppState, user_id: i64) -> Option<(Option<Actor>, Versions, Arc<Catalog>)> {
    let versions = state.feed.without_pool()?;
    let actor = state.directory.recall_actor(&versions, user_id)?;
    let known = state.directory.recall_known(&versions)?;
    Some((Some(actor), versions, known))
}

/// A form that carries a CSRF token.
pub trait CsrfProtected {
    fn csrf_token(&self) -> &str;
}

/// A form body whose CSRF token matched the session's; anything else is refused with 403.
pub struct CsrfForm<T>(pub T);

impl<T> FromRequest for CsrfForm<T>
where
    T: DeserializeOwned + CsrfProtected + 'static,
{
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let body = super::request::form_body(req.clone(), payload.take());
        let session = req.get_session();
        Box::pin(async move {
            let body = body.await?;
            // The token is checked before the form is read, so a form without it is
            // refused with 403 whatever else is wrong with it.
            let sent = super::request::form_field(&body, "csrf_token").unwrap_or_default();
            let expected = session.get::<String>(CSRF).ok().flatten();
            match expected {
                Some(e) if !e.is_empty() && constant_time_eq(e.as_bytes(), sent.as_bytes()) => {
                    Ok(CsrfForm(super::request::parse_form(&body)?))
                }
                _ => Err(AppError::Csrf.into()),
            }
        })
    }
}

/// Whether `sent` is this session's CSRF token, for a form read another way (a
/// multipart upload).
pub fn csrf_matches(session: &Session, sent: &str) -> bool {
    let expected = session.get::<String>(CSRF).ok().flatten();
    matches!(expected, Some(e) if !e.is_empty() && constant_time_eq(e.as_bytes(), sent.as_bytes()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Implements `CsrfProtected` for form structs with a `csrf_token: String` field.
#[macro_export]
macro_rules! csrf_form {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::web::session::CsrfProtected for $t {
            fn csrf_token(&self) -> &str {
                &self.csrf_token
            }
        })*
    };
}
