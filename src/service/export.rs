//! Incidents out as CSV: UTF-8 with a byte-order mark (so Excel opens it as UTF-8), the
//! columns named as the importer reads them, so an export imports again as it was.
//!
//! Written page by page as it is read, never whole in memory: `rungs export` writes to
//! standard output, and `GET /api/v1/incidents.csv` streams from a blocking task through
//! a small channel (`incidents_csv_stream`), so a slow reader holds back the reading.

use crate::db::{DbConn, Pool, incidents, users};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::catalog::Catalog;
use actix_web::web::Bytes;
use futures_util::Stream;
use rustc_hash::FxHashMap;
use std::io::Write;

/// Incidents read from the database at a time.
const PAGE: i64 = 1000;
/// Bytes gathered before a piece of the response is sent.
const PIECE: usize = 64 * 1024;
/// Pieces that may wait for a slow reader.
const WAITING: usize = 4;

const HEADERS: [&str; 13] = [
    "id",
    "title",
    "body",
    "category",
    "occurred_at",
    "department",
    "counterpart",
    "reporter",
    "tags",
    "external_ref",
    "status",
    "cluster_id",
    "week",
];

/// What an export looks names up in, read before the first row.
struct Names {
    catalog: Catalog,
    logins: FxHashMap<i64, String>,
}

impl Names {
    fn load(conn: &mut DbConn, reader: &Actor) -> AppResult<Self> {
        // Every incident of every team, with who reported it: for leads and admins.
        reader.require(Role::Lead)?;
        let catalog = Catalog::load(conn)?;
        let logins = users::list(conn)?
            .into_iter()
            .map(|u| (u.id, u.login))
            .collect();
        Ok(Self { catalog, logins })
    }

    /// Every incident, oldest id first, with every field, its status and its cluster.
    fn write<W: Write>(&self, conn: &mut DbConn, mut out: W) -> AppResult<W> {
        out.write_all(b"\xef\xbb\xbf").map_err(AppError::internal)?;
        let mut out = csv::Writer::from_writer(out);
        out.write_record(HEADERS).map_err(AppError::internal)?;
        let catalog = &self.catalog;
        let mut after = 0;
        loop {
            let rows = incidents::page_after(conn, after, PAGE)?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for r in rows {
                let category = catalog.category(r.category_id).map(|c| c.slug.as_str());
                out.write_record([
                    r.id.to_string().as_str(),
                    &r.title,
                    &r.body,
                    category.unwrap_or_default(),
                    &r.occurred_at
                        .and_utc()
                        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    catalog.department_slug(r.department_id).unwrap_or_default(),
                    catalog
                        .department_slug(r.counterpart_id)
                        .unwrap_or_default(),
                    self.logins
                        .get(&r.reporter_id)
                        .map(String::as_str)
                        .unwrap_or_default(),
                    &r.tags,
                    r.external_ref.as_deref().unwrap_or_default(),
                    r.status.as_str(),
                    &r.cluster_id.map(|c| c.to_string()).unwrap_or_default(),
                    &r.week_key,
                ])
                .map_err(AppError::internal)?;
            }
        }
        out.into_inner()
            .map_err(|e| AppError::internal(e.into_error()))
    }
}

/// Every incident as CSV into `out`, a page of rows at a time; `out` is given back.
pub fn incidents_csv<W: Write>(conn: &mut DbConn, reader: &Actor, out: W) -> AppResult<W> {
    Names::load(conn, reader)?.write(conn, out)
}

/// Pieces of the CSV as they are written, for a response that streams.
type Piece = Result<Bytes, std::io::Error>;

/// A `Write` that sends what it is given as pieces of `PIECE` bytes.
struct Pieces {
    buffer: Vec<u8>,
    to: tokio::sync::mpsc::Sender<Piece>,
}

impl Pieces {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let piece = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(PIECE),
        ));
        // The reader went away: stop reading the database.
        self.to
            .blocking_send(Ok(piece))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl Write for Pieces {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        if self.buffer.len() >= PIECE {
            self.send()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `incidents_csv`, streamed: who may export and whether the database answers are
/// settled before the first byte (so they get their status); then the rows come as they
/// are read, at the pace the reader takes them. A failure midway ends the stream with
/// an error (the response is cut short, never passed off as whole).
pub async fn incidents_csv_stream(
    pool: &Pool,
    reader: Actor,
) -> AppResult<impl Stream<Item = Piece> + 'static> {
    let pool = pool.clone();
    let (ready, started) = tokio::sync::oneshot::channel::<AppResult<()>>();
    let (to, from) = tokio::sync::mpsc::channel::<Piece>(WAITING);
    actix_web::rt::task::spawn_blocking(move || {
        let opened = pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| Names::load(&mut conn, &reader).map(|names| (conn, names)));
        let (mut conn, names) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        if ready.send(Ok(())).is_err() {
            return;
        }
        let pieces = Pieces {
            buffer: Vec::with_capacity(PIECE),
            to: to.clone(),
        };
        let written = names
            .write(&mut conn, pieces)
            .and_then(|mut pieces| pieces.flush().map_err(AppError::internal));
        if let Err(e) = written {
            tracing::warn!(error = %e, "the export stopped midway");
            let _ = to.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
    });
    started
        .await
        .map_err(|_| AppError::internal("the export's task ended before it began"))??;
    Ok(futures_util::stream::unfold(from, |mut from| async move {
        from.recv().await.map(|piece| (piece, from))
    }))
}
