//! A team's spreadsheet imported in one step, all or nothing, through the intake.
//!
//! Pass 1 reads the whole file, streamed (`read`: encoding and separator told from its
//! opening bytes), maps its columns (`columns`), turns every row into a filing and has
//! the intake check it (`rows`); nothing is written. Only when no row is bad, pass 2
//! reads the file again and files every row through the intake (`intake::Writing`,
//! `BATCH` rows at a time, the rollups summed over the whole file), in ONE write
//! transaction that also holds the import's record: an import
//! interrupted or refused midway leaves nothing behind. Each incident names its import,
//! so an import is withdrawn as a whole (`withdraw`).

mod columns;
mod dates;
mod read;
mod rows;
mod running;
mod source;
mod withdraw;

pub use columns::{Field, recognise};
pub use dates::normalise as normalise_time;
pub use rows::BadRow;
pub use running::{ImportJob, JobState, Running, Upload};
pub use source::{Phase, Progress};
pub use withdraw::{ImportView, list, withdraw};

use crate::db::audit::{self, NewAuditEvent};
use crate::db::{self, DbConn, imports};
use crate::error::{AppError, AppResult};
use crate::service::accounts::Actor;
use crate::service::directory::Directory;
use crate::service::grouping::GroupingCache;
use crate::service::intake::{self, Filing};
use rows::{Lookup, RowRules};
use source::{Source, unreadable};
use std::ops::ControlFlow;
use std::path::Path;

/// Most bad rows kept for the report (the rest are only counted).
pub const MAX_BAD_ROWS: usize = 1000;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The file's name as the user knows it (kept on the import's record).
    pub file_name: String,
    /// Check every row, write nothing.
    pub dry_run: bool,
    /// File rows whose reporter is unknown under this login (their name kept in the body).
    pub unknown_reporters_as: Option<String>,
    /// Columns mapped by hand, by header: `None` leaves a column unread.
    pub overrides: Vec<(String, Option<Field>)>,
    /// How many of the first good rows to show as they will be filed.
    pub preview: usize,
}

/// A row as it will be filed (the fields as the intake reads them).
#[derive(Debug, Clone, serde::Serialize)]
pub struct PreviewRow {
    pub row: u64,
    pub reporter: String,
    pub status: &'static str,
    pub raw: intake::RawIncident,
}

/// What an import read and did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub encoding: &'static str,
    pub delimiter: &'static str,
    pub headers: Vec<String>,
    pub fields: Vec<Option<Field>>,
    pub rows: u64,
    /// The first `MAX_BAD_ROWS` problems, in row order.
    pub bad: Vec<BadRow>,
    /// How many rows are bad.
    pub bad_rows: u64,
    /// The import written, unless it was a dry run or had bad rows.
    pub import_id: Option<i64>,
    /// The first good rows as they will be filed (`Options::preview`).
    pub preview: Vec<PreviewRow>,
    /// Stopped on request before the end: nothing was written.
    pub stopped: bool,
}

impl Report {
    /// "read as GBK, 12,431 rows, tab-separated"
    pub fn summary(&self) -> String {
        let separated = match self.delimiter {
            "tab" => "tab-separated",
            "semicolon" => "semicolon-separated",
            _ => "comma-separated",
        };
        format!(
            "read as {}, {} rows, {separated}",
            self.encoding,
            thousands(self.rows)
        )
    }

    /// `summary` in the reader's language.
    pub fn summary_in(&self, lang: crate::i18n::Lang) -> String {
        let separator = lang.t(&format!("import.separated_{}", self.delimiter));
        let rows = thousands(self.rows);
        lang.t_with(
            "import.read_as_summary",
            &[
                ("encoding", self.encoding),
                ("rows", rows.as_str()),
                ("separator", separator.as_str()),
            ],
        )
    }
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Rows filed with one `intake::Writing::file` (pass 2).
const BATCH: usize = 2048;

/// Rows between two words to `progress`.
const TELL_EVERY: u64 = 1024;

/// A `progress` that only lets the import go on.
pub fn quietly(_: &Progress) -> ControlFlow<()> {
    ControlFlow::Continue(())
}

/// Import the spreadsheet at `path` for `importer`, all or nothing. `progress` is told
/// how far each pass has come; when it answers `Break`, the import stops and nothing is
/// written (`Report::stopped`). Bad rows are in the report (nothing written); an `Err`
/// is a file that cannot be read at all, a bad option, or the database.
pub fn import_file(
    conn: &mut DbConn,
    grouping: &GroupingCache,
    importer: &Actor,
    path: &Path,
    options: &Options,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> AppResult<Report> {
    let lookup = Lookup::load(conn)?;
    let stand_in = match options.unknown_reporters_as.as_deref() {
        Some(login) => Some(lookup.person(login).cloned().ok_or_else(|| {
            AppError::field("unknown_reporters_as", "import.error.unknown_reporter")
        })?),
        None => None,
    };
    let mut src = Source::open(path)?;
    let headers: Vec<String> = src
        .csv
        .headers()
        .map_err(|e| AppError::BadRequest(e.to_string()))?
        .iter()
        .map(str::to_string)
        .collect();
    let fields = columns::mapping(&headers, &options.overrides);
    let mut report = Report {
        encoding: src.shape.encoding_name(),
        delimiter: src.shape.delimiter_name(),
        headers: headers.clone(),
        fields: fields.clone(),
        rows: 0,
        bad: Vec::new(),
        bad_rows: 0,
        import_id: None,
        preview: Vec::new(),
        stopped: false,
    };
    for needed in [Field::Title, Field::Category, Field::OccurredAt] {
        if !fields.contains(&Some(needed)) {
            report.bad.push(BadRow {
                row: 1,
                column: needed.as_str().into(),
                value: String::new(),
                reason: "import.error.missing_column",
            });
        }
    }
    // Without them no row can be checked; the rows are still counted.
    let columns_ok = report.bad.is_empty();
    let rules = RowRules {
        lookup: &lookup,
        importer,
        unknown_reporters_as: stand_in.as_ref(),
        headers: &headers,
        fields: &fields,
        now: crate::clock::now(),
    };
    // Pass 1: every row checked, nothing written.
    let mut record = csv::StringRecord::new();
    loop {
        let number = report.rows + 2;
        match src.csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                report.bad.push(unreadable(number, &e));
                report.bad_rows += 1;
                return Ok(report);
            }
        }
        report.rows += 1;
        if !columns_ok {
            continue;
        }
        match rules.filing(number, &record, 0) {
            Err(bad) => {
                report.bad_rows += 1;
                let room = MAX_BAD_ROWS.saturating_sub(report.bad.len());
                report.bad.extend(bad.into_iter().take(room));
            }
            Ok(filing) if report.preview.len() < options.preview => {
                report.preview.push(PreviewRow {
                    row: number,
                    reporter: match &filing.filer {
                        intake::Filer::Person(p) => p.login.clone(),
                        intake::Filer::Token(_) => String::new(),
                    },
                    status: filing.imported.map(|i| i.status.as_str()).unwrap_or("open"),
                    raw: filing.raw,
                });
            }
            Ok(_) => {}
        }
        if report.rows.is_multiple_of(TELL_EVERY) {
            let told = progress(&Progress {
                phase: Phase::Checking,
                bytes: src.bytes(),
                rows: report.rows,
                total_rows: None,
            });
            if told.is_break() {
                report.stopped = true;
                return Ok(report);
            }
        }
    }
    let _ = progress(&Progress {
        phase: Phase::Checking,
        bytes: src.bytes(),
        rows: report.rows,
        total_rows: Some(report.rows),
    });
    if !report.bad.is_empty() || options.dry_run || report.rows == 0 {
        return Ok(report);
    }
    // Pass 2: every row filed, in one transaction.
    let mut refused: Vec<BadRow> = Vec::new();
    let mut stopped = false;
    let mut filed: Vec<i64> = Vec::with_capacity(report.rows as usize);
    let directory = Directory::new();
    let result = db::bulk_write_transaction(conn, |conn| {
        let import_id = imports::insert(
            conn,
            &imports::NewImport {
                actor_id: importer.id,
                file_name: &options.file_name,
                encoding: report.encoding,
                delimiter: report.delimiter,
                rows: report.rows as i64,
                created_at: db::now(),
            },
        )?;
        let mut src = Source::open(path)?;
        let mut number = 1;
        let mut writing = intake::Writing::begin(conn, grouping, &directory)?;
        let mut chunk: Vec<(u64, Filing)> = Vec::with_capacity(BATCH);
        loop {
            let more = src
                .csv
                .read_record(&mut record)
                .map_err(|e| AppError::BadRequest(e.to_string()))?;
            if more {
                number += 1;
                // Checked by the intake as it is filed (a refusal comes back below).
                let filing = rules
                    .filing_to_write(number, &record, import_id)
                    .map_err(|bad| {
                        refused.extend(bad);
                        AppError::BadRequest("a row changed while it was imported".into())
                    })?;
                chunk.push((number, filing));
            }
            if chunk.len() == BATCH || (!more && !chunk.is_empty()) {
                let batch: Vec<&Filing> = chunk.iter().map(|(_, f)| f).collect();
                let answers = writing.file(conn, &batch)?;
                for ((row, _), answer) in chunk.iter().zip(answers) {
                    match answer {
                        Ok(f) => filed.push(f.id),
                        Err(AppError::Invalid(errors)) => {
                            // The catalogue changed since pass 1.
                            refused.extend(errors.iter().map(|(field, reason)| BadRow {
                                row: *row,
                                column: field.to_string(),
                                value: String::new(),
                                reason,
                            }));
                        }
                        Err(e) => return Err(e),
                    }
                }
                if !refused.is_empty() {
                    return Err(AppError::BadRequest("rows were refused".into()));
                }
                chunk.clear();
                let told = progress(&Progress {
                    phase: Phase::Filing,
                    bytes: src.bytes(),
                    rows: filed.len() as u64,
                    total_rows: Some(report.rows),
                });
                if told.is_break() {
                    stopped = true;
                    return Err(AppError::BadRequest("the import was stopped".into()));
                }
            }
            if !more {
                break;
            }
        }
        writing.finish(conn)?;
        audit::record(
            conn,
            &NewAuditEvent {
                actor_id: Some(importer.id),
                entity: "import",
                entity_id: import_id,
                action: "imported",
                before_json: None,
                after_json: crate::service::snapshot(&serde_json::json!({
                    "file_name": options.file_name,
                    "encoding": report.encoding,
                    "delimiter": report.delimiter,
                    "rows": report.rows,
                })),
                at: db::now(),
            },
        )?;
        Ok::<_, AppError>(import_id)
    });
    match result {
        Ok(import_id) => {
            grouping.committed(filed);
            report.import_id = Some(import_id);
            Ok(report)
        }
        Err(e) => {
            grouping.invalidate();
            if stopped {
                report.stopped = true;
                return Ok(report);
            }
            if refused.is_empty() {
                return Err(e);
            }
            report.bad_rows = refused
                .iter()
                .map(|b| b.row)
                .collect::<std::collections::BTreeSet<_>>()
                .len() as u64;
            report.bad = refused;
            Ok(report)
        }
    }
}

/// The bad rows as a CSV (row, column, value, reason in `lang`), to fix and upload again.
pub fn bad_rows_csv(bad: &[BadRow], lang: crate::i18n::Lang) -> AppResult<Vec<u8>> {
    let mut out = csv::Writer::from_writer(b"\xef\xbb\xbf".to_vec());
    out.write_record(["row", "column", "value", "reason"])
        .map_err(AppError::internal)?;
    for b in bad {
        out.write_record([&b.row.to_string(), &b.column, &b.value, &lang.t(b.reason)])
            .map_err(AppError::internal)?;
    }
    out.into_inner().map_err(AppError::internal)
}
