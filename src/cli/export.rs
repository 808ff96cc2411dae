//! `rungs export`: incidents or clusters on standard output, as CSV or JSON.

use crate::service::export::{self, Export, Format};
use crate::service::incidents::Filters;
use clap::ValueEnum;

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
    use std::io::Write;
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
    let out = std::io::BufWriter::new(std::io::stdout().lock());
    export::write(&mut conn, &actor, &what, format, out)
        .map_err(super::describe)?
        .flush()
        .map_err(|e| e.to_string())
}
