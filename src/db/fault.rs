//! Faults of the database that are not the request's doing: a read-only file, a lock
//! held by another process, a full disk, a dropped connection. They are told apart from
//! the request's own errors so that the user hears what is wrong (503 with a reason the
//! operator can act on), the log names the cause, and the connections that may carry
//! it are replaced (`db::pool`), so that writes work again as soon as the cause goes away.

use diesel::result::{DatabaseErrorKind, Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The file, or the PostgreSQL session, does not accept writes.
    ReadOnly,
    /// Another process holds the write lock longer than we wait.
    Locked,
    /// No room left to write.
    DiskFull,
    /// The storage answered with an input/output error.
    Storage,
    /// The connection to PostgreSQL was closed under us.
    ConnectionLost,
    /// No connection could be had in time (the server is down, or every connection busy).
    Unreachable,
}

impl Fault {
    /// The fault behind a database error, if it is one.
    pub fn of(err: &Error) -> Option<Fault> {
        let Error::DatabaseError(kind, info) = err else {
            return match err {
                Error::BrokenTransactionManager => Some(Fault::ConnectionLost),
                _ => None,
            };
        };
        match kind {
            DatabaseErrorKind::ReadOnlyTransaction => return Some(Fault::ReadOnly),
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
                return Some(Fault::ConnectionLost);
            }
            _ => {}
        }
        Self::of_message(info.message())
    }

    /// SQLite says what went wrong only in words (diesel keeps no result code); these
    /// are `sqlite3_errstr`'s, stable across releases, and PostgreSQL's own.
    fn of_message(message: &str) -> Option<Fault> {
        let m = message.to_ascii_lowercase();
        if m.contains("readonly database") || m.contains("read-only transaction") {
            Some(Fault::ReadOnly)
        } else if m.contains("database is locked")
            || m.contains("database table is locked")
            || m.contains("lock timeout")
        {
            Some(Fault::Locked)
        } else if m.contains("database or disk is full") || m.contains("no space left on device") {
            Some(Fault::DiskFull)
        } else if m.contains("disk i/o error") || m.contains("unable to open database file") {
            Some(Fault::Storage)
        } else if m.contains("terminating connection")
            || m.contains("server closed the connection")
            || m.contains("no connection to the server")
        {
            Some(Fault::ConnectionLost)
        } else {
            None
        }
    }

    /// The message key of the reason, for pages (`fault.*` in locales/).
    pub fn message_key(self) -> &'static str {
        match self {
            Fault::ReadOnly => "fault.read_only",
            Fault::Locked => "fault.locked",
            Fault::DiskFull => "fault.disk_full",
            Fault::Storage => "fault.storage",
            Fault::ConnectionLost => "fault.connection_lost",
            Fault::Unreachable => "fault.unreachable",
        }
    }

    /// The reason in English, for the API, the log and `/healthz`.
    pub fn reason(self) -> &'static str {
        match self {
            Fault::ReadOnly => "the database is read-only",
            Fault::Locked => "the database is locked by another process",
            Fault::DiskFull => "the disk is full",
            Fault::Storage => "the database file cannot be read or written (input/output error)",
            Fault::ConnectionLost => "the connection to the database was lost",
            Fault::Unreachable => "the database cannot be reached, or every connection is busy",
        }
    }

    /// A short machine-readable name, for `/healthz`.
    pub fn code(self) -> &'static str {
        match self {
            Fault::ReadOnly => "read_only",
            Fault::Locked => "locked",
            Fault::DiskFull => "disk_full",
            Fault::Storage => "storage",
            Fault::ConnectionLost => "connection_lost",
            Fault::Unreachable => "unreachable",
        }
    }
}

/// The fault a writer met last, until one of its writes succeeds again: what
/// `/healthz` reports beside its own probe (a full disk shows only when pages are
/// written, which a probe that rolls back never does).
#[derive(Debug, Default)]
pub struct LastFault(std::sync::Mutex<Option<Fault>>);

impl LastFault {
    pub fn set(&self, fault: Fault) {
        if let Ok(mut f) = self.0.lock() {
            *f = Some(fault);
        }
    }

    pub fn clear(&self) {
        if let Ok(mut f) = self.0.lock() {
            *f = None;
        }
    }

    pub fn get(&self) -> Option<Fault> {
        self.0.lock().ok().and_then(|f| *f)
    }
}

/// Log a fault once when it starts, and again at most every half minute while it lasts,
/// not once per request.
pub fn note(fault: Fault) {
    use std::sync::Mutex;
    use std::time::{Duration, Instant};
    static LOGGED: Mutex<Vec<(Fault, Instant)>> = Mutex::new(Vec::new());
    const QUIET: Duration = Duration::from_secs(30);
    let now = Instant::now();
    let Ok(mut logged) = LOGGED.lock() else {
        return;
    };
    match logged.iter_mut().find(|(f, _)| *f == fault) {
        Some((_, at)) if now.duration_since(*at) < QUIET => {}
        Some((_, at)) => {
            *at = now;
            tracing::error!(fault = fault.code(), "{}", fault.reason());
        }
        None => {
            logged.push((fault, now));
            tracing::error!(fault = fault.code(), "{}", fault.reason());
        }
    }
}

impl Fault {
    /// Whether a new connection may not have this fault: the file may have been
    /// read-only, the session read-only or dropped, when the connection was opened.
    pub fn stales_connections(self) -> bool {
        matches!(
            self,
            Fault::ReadOnly | Fault::ConnectionLost | Fault::Storage | Fault::Unreachable
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_words_of_each_backend_name_their_fault() {
        for (message, fault) in [
            ("attempt to write a readonly database", Fault::ReadOnly),
            (
                "cannot execute INSERT in a read-only transaction",
                Fault::ReadOnly,
            ),
            ("database is locked", Fault::Locked),
            ("database or disk is full", Fault::DiskFull),
            (
                "could not extend file \"base/16384/2619\": No space left on device",
                Fault::DiskFull,
            ),
            ("disk I/O error", Fault::Storage),
            (
                "terminating connection due to administrator command",
                Fault::ConnectionLost,
            ),
        ] {
            assert_eq!(Fault::of_message(message), Some(fault), "{message}");
        }
        assert_eq!(
            Fault::of_message("UNIQUE constraint failed: users.login"),
            None
        );
        assert_eq!(Fault::of(&Error::NotFound), None);
    }
}
