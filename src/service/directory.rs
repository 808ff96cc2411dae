//! What nearly every request looks up, kept in memory per process: who an API token or a
//! session belongs to, and the catalogue a filing is checked against (time zone,
//! departments, categories, grouping rules). Each copy is labelled with the change
//! counter it was loaded under (`db::versions`); the counters as a request finds them
//! (`db::version_feed`: read per request, or remembered while PostgreSQL announces their
//! changes) tell whether a copy is still good, so every process sees every change,
//! whichever process made it: at once, or on PostgreSQL as soon as its notice arrives.

use super::accounts::{self, Actor};
use super::catalog::Catalog;
use super::tokens;
use crate::db::DbConn;
use crate::db::clusters;
pub use crate::db::versions::Versions;
use crate::error::AppResult;
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};

/// Most people remembered at once; past it the copies start afresh (a flood of
/// distinct tokens cannot grow memory without bound).
const MAX_PEOPLE: usize = 10_000;
/// Most cluster titles remembered at once.
const MAX_TITLES: usize = 100_000;

#[derive(Default)]
struct State {
    /// The accounts counter the people below were read under.
    accounts: i64,
    by_token_hash: FxHashMap<String, Actor>,
    by_id: FxHashMap<i64, Actor>,
    known: Option<(i64, Arc<Catalog>)>,
    /// Live clusters' titles (for suggestions), under the clusters counter.
    titles: (i64, FxHashMap<i64, String>),
}

impl State {
    fn forget_people_before(&mut self, now: i64) {
        if self.accounts < now || self.by_token_hash.len() + self.by_id.len() > MAX_PEOPLE {
            self.by_token_hash.clear();
            self.by_id.clear();
            self.accounts = self.accounts.max(now);
        }
    }

    fn forget_titles_before(&mut self, now: i64) {
        if self.titles.0 < now || self.titles.1.len() > MAX_TITLES {
            self.titles = (self.titles.0.max(now), FxHashMap::default());
        }
    }

    fn by_token(&mut self) -> &mut FxHashMap<String, Actor> {
        &mut self.by_token_hash
    }

    fn by_user(&mut self) -> &mut FxHashMap<i64, Actor> {
        &mut self.by_id
    }
}

#[derive(Default)]
pub struct Directory {
    state: Mutex<State>,
}

impl Directory {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forget the people when the accounts counter moved past their label (a request
    /// that read the counters a moment earlier leaves newer copies alone).
    fn people_at(&self, now: i64) -> std::sync::MutexGuard<'_, State> {
        let mut state = self.lock();
        state.forget_people_before(now);
        state
    }

    /// The counters as the filing writer read them in its transaction: copies labelled
    /// with an older counter are dropped, so that what is remembered is never more than
    /// one batch behind while filings come in.
    pub fn observe(&self, versions: &Versions) {
        let mut state = self.lock();
        state.forget_people_before(versions.accounts);
        if state
            .known
            .as_ref()
            .is_some_and(|(at, _)| *at < versions.catalog)
        {
            state.known = None;
        }
        state.forget_titles_before(versions.clusters);
    }

    /// The active person an API token belongs to; `None` for an unknown or revoked token.
    pub fn token_actor(
        &self,
        conn: &mut DbConn,
        versions: &Versions,
        token: &str,
    ) -> AppResult<Option<Actor>> {
        self.person(versions, tokens::hash(token), State::by_token, || {
            tokens::authenticate(conn, token)
        })
    }

    /// The person a session names, if still active.
    pub fn actor(
        &self,
        conn: &mut DbConn,
        versions: &Versions,
        user_id: i64,
    ) -> AppResult<Option<Actor>> {
        self.person(versions, user_id, State::by_user, || {
            accounts::actor(conn, user_id)
        })
    }

    /// Without the database: the person a session names, if remembered under `versions`
    /// (`None` means ask `actor`).
    pub fn recall_actor(&self, versions: &Versions, user_id: i64) -> Option<Actor> {
        self.recall(versions, &user_id, State::by_user)
    }

    /// Without the database: the person a token belongs to, if remembered under
    /// `versions` (`None` means ask `token_actor`).
    pub fn recall_token_actor(&self, versions: &Versions, token: &str) -> Option<Actor> {
        self.recall(versions, &tokens::hash(token), State::by_token)
    }

    /// Without the database: the catalogue, if remembered under `versions` or later.
    pub fn recall_known(&self, versions: &Versions) -> Option<Arc<Catalog>> {
        match &self.lock().known {
            Some((at, known)) if *at >= versions.catalog => Some(known.clone()),
            _ => None,
        }
    }

    /// A person from `people`, if read under `versions`' accounts counter.
    fn recall<K: Eq + std::hash::Hash>(
        &self,
        versions: &Versions,
        key: &K,
        people: fn(&mut State) -> &mut FxHashMap<K, Actor>,
    ) -> Option<Actor> {
        people(&mut self.people_at(versions.accounts))
            .get(key)
            .cloned()
    }

    /// A person from `people` if read under the current accounts counter, else `load`ed
    /// and remembered there (only the active: an unknown key always asks again).
    fn person<K: Eq + std::hash::Hash>(
        &self,
        versions: &Versions,
        key: K,
        people: fn(&mut State) -> &mut FxHashMap<K, Actor>,
        load: impl FnOnce() -> AppResult<Option<Actor>>,
    ) -> AppResult<Option<Actor>> {
        if let Some(actor) = self.recall(versions, &key, people) {
            return Ok(Some(actor));
        }
        let actor = load()?;
        if let Some(actor) = &actor {
            let mut state = self.lock();
            if state.accounts == versions.accounts {
                people(&mut state).insert(key, actor.clone());
            }
        }
        Ok(actor)
    }

    /// The titles of these clusters (those that exist), as of `versions`.
    pub fn cluster_titles(
        &self,
        conn: &mut DbConn,
        versions: &Versions,
        ids: &[i64],
    ) -> AppResult<FxHashMap<i64, String>> {
        let mut out = FxHashMap::default();
        let mut missing = Vec::new();
        {
            let mut state = self.lock();
            state.forget_titles_before(versions.clusters);
            for id in ids {
                match state.titles.1.get(id) {
                    Some(title) => {
                        out.insert(*id, title.clone());
                    }
                    None => missing.push(*id),
                }
            }
        }
        if missing.is_empty() {
            return Ok(out);
        }
        let found = clusters::find_many(conn, &missing)?;
        let mut state = self.lock();
        for c in found {
            if state.titles.0 == versions.clusters {
                state.titles.1.insert(c.id, c.title.clone());
            }
            out.insert(c.id, c.title);
        }
        Ok(out)
    }

    /// The catalogue as of `versions` (or newer).
    pub fn known(&self, conn: &mut DbConn, versions: &Versions) -> AppResult<Arc<Catalog>> {
        if let Some(known) = self.recall_known(versions) {
            return Ok(known);
        }
        let known = Arc::new(Catalog::load(conn)?);
        let mut state = self.lock();
        if state
            .known
            .as_ref()
            .is_none_or(|(at, _)| *at < versions.catalog)
        {
            state.known = Some((versions.catalog, known.clone()));
        }
        Ok(known)
    }
}
