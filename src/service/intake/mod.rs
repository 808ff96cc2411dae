//! The one way incidents come in: the form, the API, the demo and imports all file
//! through here.
//!
//! A request hands its filing, every field still as typed (`RawIncident`), to
//! `Intake::file` and waits. The process's one writer thread (`writer`) takes every
//! filing waiting (up to `MAX_BATCH`) into one transaction, and there, under the write
//! lock and with the catalogue as the transaction sees it, `write::write` does for each
//! filing in turn what filing means:
//!
//! 1. recognise the filer (an API token is looked up; a signed-in person is as given);
//! 2. check every field against the catalogue (`check::check`: one message per bad field);
//! 3. place it: a lead's rule, else the most similar cluster, else a new cluster;
//! 4. then write all accepted filings with a handful of multi-row statements (incidents,
//!    tags, events, cluster counts, rollups) and commit once.
//!
//! Only then is each request answered: filed, or refused with its reasons. A refused
//! filing does not hold back the others of its batch. Because the checks run inside
//! the transaction that writes, a token revoked or a category retired a moment before
//! (by this process, another one, or plain SQL) is always honoured.
//!
//! Code that already holds a connection (the demo, tests) uses `file`, which does the
//! same in a transaction of its own; an import uses `check::check` to look at every row
//! first and `write::write` inside its own transaction.

mod check;
mod write;
mod writer;

pub use check::{Checked, check};
pub use write::{Filed, Writing, write};
pub use writer::{Intake, MAX_BATCH};

use crate::db::DbConn;
use crate::domain::states::IncidentStatus;
use crate::error::AppResult;
use crate::service::accounts::Actor;
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use chrono::{DateTime, Utc};

/// An incident as typed into the form or sent to the API: every field as text, so a
/// rejected form can be shown again exactly as it was typed.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct RawIncident {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub counterpart: String,
    #[serde(default)]
    pub tags: String,
    #[serde(default)]
    pub external_ref: String,
}

/// Who is filing.
#[derive(Debug, Clone)]
pub enum Filer {
    /// An API token, checked in the writing transaction.
    Token(String),
    /// A person the caller has already recognised (a signed-in session, the command
    /// line, the demo).
    Person(Actor),
}

/// One incident to file: who, what as typed, and when it was asked (an empty
/// `occurred_at` means then; a time more than a day after it is refused).
#[derive(Debug, Clone)]
pub struct Filing {
    pub filer: Filer,
    pub raw: RawIncident,
    pub at: DateTime<Utc>,
    /// Set when the filing comes from a spreadsheet import.
    pub imported: Option<Imported>,
}

/// What an imported row carries beyond a filing: the import it belongs to, and the
/// status the spreadsheet gave it (one that counts in the rollups: open or handled).
#[derive(Debug, Clone, Copy)]
pub struct Imported {
    pub import_id: i64,
    pub status: IncidentStatus,
}

/// File one incident on this connection, in a transaction of its own: the same checks,
/// placement and statements as the writer's batches.
pub fn file(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    actor: &Actor,
    raw: &RawIncident,
    at: DateTime<Utc>,
) -> AppResult<Filed> {
    let directory = Directory::new();
    let filing = Filing {
        filer: Filer::Person(actor.clone()),
        raw: raw.clone(),
        at,
        imported: None,
    };
    let answers =
        crate::db::write_transaction(conn, |conn| write(conn, grouping, &directory, &[&filing]));
    match answers {
        Ok(mut answers) => {
            let answer = answers.remove(0);
            if let Ok(filed) = &answer {
                grouping.committed([filed.id]);
            }
            answer
        }
        Err(e) => {
            // The index may hold the filing that was rolled back.
            grouping.invalidate();
            Err(e)
        }
    }
}
