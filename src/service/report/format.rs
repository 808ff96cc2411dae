//! The formats a report is written in, and the text of each (HTML is a page of its
//! own: `web::report`).

use super::{WeeklyReport, csv_table, markdown};
use crate::error::{AppError, AppResult};
use crate::i18n::Lang;
use chrono_tz::Tz;

/// The formats a report is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Markdown,
    Csv,
    Html,
}

impl Format {
    /// `json`, `md`, `csv` or `html`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "json" => Some(Self::Json),
            "md" | "markdown" => Some(Self::Markdown),
            "csv" => Some(Self::Csv),
            "html" => Some(Self::Html),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Markdown => "text/markdown; charset=utf-8",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Html => "text/html; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Markdown => "md",
            Self::Csv => "csv",
            Self::Html => "html",
        }
    }
}

/// The report as JSON, Markdown or CSV text (HTML is a page: `web::report`).
pub fn text(
    report: &WeeklyReport,
    format: Format,
    lang: Lang,
    tz: Tz,
) -> AppResult<Option<String>> {
    Ok(match format {
        Format::Json => Some(serde_json::to_string_pretty(report).map_err(AppError::internal)?),
        Format::Markdown => Some(markdown::render(report, lang, tz)),
        Format::Csv => Some(csv_table::render(report)?),
        Format::Html => None,
    })
}
