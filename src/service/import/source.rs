//! The file's records, streamed twice (once per pass), with how far each pass has come.

use super::read;
use super::rows::BadRow;
use crate::error::{AppError, AppResult};
use serde::Serialize;
use std::cell::Cell;
use std::io::Read;
use std::path::Path;
use std::rc::Rc;

/// Which pass is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Pass 1: every row read and checked, nothing written.
    Checking,
    /// Pass 2: every row filed, in one transaction.
    Filing,
}

/// How far an import has come: told to the command's progress bar and the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    pub phase: Phase,
    /// Bytes of the file read in this pass.
    pub bytes: u64,
    /// Rows of this pass so far: checked (pass 1) or written (pass 2).
    pub rows: u64,
    /// Every row of the file, once pass 1 has counted them.
    pub total_rows: Option<u64>,
}

/// Bytes read so far from the file.
pub(super) struct Counted<R> {
    inner: R,
    read: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// The file's records, streamed, with the shape it was read in.
pub(super) struct Source {
    pub shape: read::Shape,
    pub csv: csv::Reader<read::Utf8Reader<Counted<std::io::BufReader<std::fs::File>>>>,
    read: Rc<Cell<u64>>,
}

impl Source {
    pub fn open(path: &Path) -> AppResult<Source> {
        let file = std::fs::File::open(path)
            .map_err(|e| AppError::BadRequest(format!("cannot read {}: {e}", path.display())))?;
        let read = Rc::new(Cell::new(0));
        let counted = Counted {
            inner: std::io::BufReader::with_capacity(256 * 1024, file),
            read: read.clone(),
        };
        let (shape, text) = read::open(counted)
            .map_err(|e| AppError::BadRequest(format!("cannot read {}: {e}", path.display())))?;
        let csv = csv::ReaderBuilder::new()
            .delimiter(shape.delimiter)
            .flexible(true)
            .has_headers(true)
            .from_reader(text);
        Ok(Source { shape, csv, read })
    }

    /// Bytes of the file read so far.
    pub fn bytes(&self) -> u64 {
        self.read.get()
    }
}

pub(super) fn unreadable(row: u64, e: &csv::Error) -> BadRow {
    BadRow {
        row,
        column: String::new(),
        value: e.to_string(),
        reason: "import.error.unreadable",
    }
}
