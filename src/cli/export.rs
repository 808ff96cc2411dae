//! `rungs export`: incidents or clusters on standard output, as CSV or JSON.

use crate::service::export::{self, Export, Format};
use crate::service::incidents::Filters;
use clap::ValueEnum;
use std::io::Write;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum What {
    /// Every incident with every field, its cluster and status.
    Incidents,
    /// Every live cluster with its weekly figures.
    Clusters,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum, default_value = "incidents")]
    pub what: What,
    /// csv (UTF-8 with a BOM; incidents in the columns `rungs import` reads) or json.
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Only this ISO week (incidents), written YYYY-Www.
    #[arg(long)]
    pub week: Option<String>,
    /// Only this category (its slug).
    #[arg(long)]
    pub category: Option<String>,
    /// Only incidents this department filed or waited on (its slug).
    #[arg(long)]
    pub department: Option<String>,
    /// Only incidents with this status: open, handled or withdrawn.
    #[arg(long)]
    pub status: Option<String>,
    /// Export as this login (a lead or admin; default: the first admin).
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
}

pub fn run(database_url: &str, args: ExportArgs) -> Result<(), String> {
    let format = Format::parse(&args.format)
        .ok_or_else(|| format!("--format: {:?} is not csv or json", args.format))?;
    let what = match args.what {
        What::Incidents => Export::Incidents(Filters {
            week: args.week.unwrap_or_default(),
            category: args.category.unwrap_or_default(),
            department: args.department.unwrap_or_default(),
            status: args.status.unwrap_or_default(),
            q: String::new(),
        }),
        What::Clusters => Export::Clusters {
            category: args.category.unwrap_or_default(),
        },
    };
    let mut conn = super::open(database_url)?;
    let actor = super::import::importer(&mut conn, args.as_login.as_deref())?;
    let closed = std::rc::Rc::new(std::cell::Cell::new(false));
    let out = Stdout {
        out: std::io::BufWriter::new(std::io::stdout().lock()),
        closed: closed.clone(),
    };
    let written = export::write(&mut conn, &actor, &what, format, out)
        .map_err(super::describe)
        .and_then(|mut out| out.flush().map_err(|e| e.to_string()));
    match written {
        // The reader stopped reading (`rungs export | head`): nothing is wrong.
        Err(_) if closed.get() => Ok(()),
        other => other,
    }
}

/// Standard output that remembers whether its reader went away.
struct Stdout<W: Write> {
    out: W,
    closed: std::rc::Rc<std::cell::Cell<bool>>,
}

impl<W: Write> Stdout<W> {
    fn noted<T>(&self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let Err(e) = &result
            && e.kind() == std::io::ErrorKind::BrokenPipe
        {
            self.closed.set(true);
        }
        result
    }
}

impl<W: Write> Write for Stdout<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.out.write(buf);
        self.noted(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = self.out.flush();
        self.noted(flushed)
    }
}
