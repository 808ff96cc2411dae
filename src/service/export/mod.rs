//! Incidents and clusters out, as CSV or JSON, for leads and admins.
//!
//! Incidents come with every field, their cluster and status; as CSV the columns are
//! named as the importer reads them (UTF-8 with a byte-order mark, so Excel opens it as
//! UTF-8), so an export imports again as it was; as JSON each is the API's incident.
//! Clusters come with their weekly figures (CSV: a row per cluster and week; JSON: each
//! cluster with its weeks). Both take the list pages' filters.
//!
//! Written page by page as it is read, never whole in memory: `rungs export` writes to
//! standard output, and the pages and the API stream from a blocking task through a
//! small channel (`stream`), so a slow reader holds back the reading.

mod clusters;
mod incidents;
mod pieces;

use crate::db::{DbConn, Pool};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::catalog::Catalog;
use crate::service::incidents::Filters;
use futures_util::Stream;
pub use pieces::Piece;
use std::io::Write;

/// Rows read from the database at a time.
const PAGE: i64 = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

impl Format {
    pub fn parse(word: &str) -> Option<Format> {
        match word.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

/// What is exported.
#[derive(Debug, Clone)]
pub enum Export {
    /// Incidents, narrowed as the incident list is.
    Incidents(Filters),
    /// Live clusters (not merged away), of one category or all (a slug or empty).
    Clusters { category: String },
}

impl Export {
    /// The file's name, such as `incidents.csv`.
    pub fn file_name(&self, format: Format) -> String {
        let what = match self {
            Export::Incidents(_) => "incidents",
            Export::Clusters { .. } => "clusters",
        };
        format!("{what}.{}", format.extension())
    }
}

/// What an export reads before its first row: that the reader may, the filters
/// resolved, the names it writes.
enum Prepared {
    Incidents(incidents::Prepared),
    Clusters(clusters::Prepared),
}

fn prepare(conn: &mut DbConn, reader: &Actor, export: &Export) -> AppResult<Prepared> {
    // Every incident of every team, with who reported it: for leads and admins.
    reader.require(Role::Lead)?;
    let catalog = Catalog::load(conn)?;
    Ok(match export {
        Export::Incidents(filters) => {
            Prepared::Incidents(incidents::Prepared::load(conn, catalog, filters)?)
        }
        Export::Clusters { category } => {
            Prepared::Clusters(clusters::Prepared::load(catalog, category)?)
        }
    })
}

impl Prepared {
    fn write<W: Write>(&self, conn: &mut DbConn, format: Format, out: W) -> AppResult<W> {
        match self {
            Prepared::Incidents(p) => p.write(conn, format, out),
            Prepared::Clusters(p) => p.write(conn, format, out),
        }
    }
}

/// `export` into `out` (`rungs export`), a page of rows at a time; `out` is given back.
pub fn write<W: Write>(
    conn: &mut DbConn,
    reader: &Actor,
    export: &Export,
    format: Format,
    out: W,
) -> AppResult<W> {
    prepare(conn, reader, export)?.write(conn, format, out)
}

/// `write`, streamed: who may export, whether the filters name what exists and whether
/// the database answers are settled before the first byte (so they get their status);
/// then the rows come as they are read, at the pace the reader takes them. A failure
/// midway ends the stream with an error (the response is cut short, never passed off
/// as whole).
pub async fn stream(
    pool: &Pool,
    reader: Actor,
    export: Export,
    format: Format,
) -> AppResult<impl Stream<Item = Piece> + 'static> {
    let pool = pool.clone();
    let open = move || {
        let mut conn = pool.get().map_err(AppError::from)?;
        let prepared = prepare(&mut conn, &reader, &export)?;
        Ok((conn, prepared))
    };
    pieces::stream(open, move |(mut conn, prepared), out| {
        prepared.write(&mut conn, format, out)
    })
    .await
}

/// A JSON array written element by element.
struct JsonArray<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonArray<W> {
    fn start(mut out: W) -> AppResult<Self> {
        out.write_all(b"[").map_err(AppError::internal)?;
        Ok(Self { out, first: true })
    }

    fn push(&mut self, value: &impl serde::Serialize) -> AppResult<()> {
        let sep: &[u8] = if self.first { b"\n" } else { b",\n" };
        self.first = false;
        self.out.write_all(sep).map_err(AppError::internal)?;
        serde_json::to_writer(&mut self.out, value).map_err(AppError::internal)
    }

    fn finish(mut self) -> AppResult<W> {
        self.out.write_all(b"\n]\n").map_err(AppError::internal)?;
        Ok(self.out)
    }
}
