//! `rungs import FILE`: a spreadsheet imported all or nothing, with a progress bar.

use crate::db::{self, users};
use crate::domain::role::Role;
use crate::i18n::Lang;
use crate::service::accounts::Actor;
use crate::service::grouping::GroupingCache;
use crate::service::import::{self, Options, Phase, Progress};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The spreadsheet, saved as CSV or tab-separated text (UTF-8, GBK or UTF-16).
    pub file: PathBuf,
    /// Check every row and say what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import as this login (a lead or admin; default: the first admin). Rows without a
    /// reporter are filed under it.
    #[arg(long = "as", value_name = "LOGIN")]
    pub as_login: Option<String>,
    /// File rows whose reporter is not a known login or name under this login, keeping
    /// the name on the incident (without it such rows are bad).
    #[arg(long, value_name = "LOGIN")]
    pub unknown_reporters_as: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum ImportsCommand {
    /// List past imports, newest first.
    List,
    /// Withdraw an import as a whole: its incidents marked withdrawn, the rollups corrected.
    Withdraw {
        id: i64,
        /// Withdraw as this login (a lead or admin; default: the first admin).
        #[arg(long = "as", value_name = "LOGIN")]
        as_login: Option<String>,
    },
}

pub fn imports(database_url: &str, command: ImportsCommand) -> Result<(), String> {
    let mut conn = super::open(database_url)?;
    match command {
        ImportsCommand::List => {
            let actor = importer(&mut conn, None)?;
            for i in import::list(&mut conn, &actor).map_err(super::describe)? {
                let state = match i.withdrawn_at {
                    Some(at) => format!("withdrawn {}", at.format("%Y-%m-%d %H:%M")),
                    None => "live".into(),
                };
                println!(
                    "{:>5}  {}  {:<10} {:>8} rows  {} {}  {}  {state}",
                    i.id,
                    i.at.format("%Y-%m-%d %H:%M"),
                    i.by,
                    i.rows,
                    i.encoding,
                    i.delimiter,
                    i.file_name
                );
            }
            Ok(())
        }
        ImportsCommand::Withdraw { id, as_login } => {
            let actor = importer(&mut conn, as_login.as_deref())?;
            let n = import::withdraw(&mut conn, &actor, id).map_err(super::describe)?;
            println!("import {id}: {n} incidents withdrawn");
            Ok(())
        }
    }
}

/// The person an import, a withdrawal or an export acts as: `login`, else the first admin.
pub(super) fn importer(conn: &mut db::DbConn, login: Option<&str>) -> Result<Actor, String> {
    let people = users::list(conn).map_err(|e| e.to_string())?;
    let row = match login {
        Some(login) => people
            .into_iter()
            .find(|u| u.login == login.to_lowercase() && u.active)
            .ok_or_else(|| format!("no active user {login:?}"))?,
        None => people
            .into_iter()
            .filter(|u| u.active && u.role == Role::Admin)
            .min_by_key(|u| u.id)
            .ok_or("no admin to import as: name one with --as LOGIN")?,
    };
    let actor = Actor::try_from(row).map_err(|e| e.to_string())?;
    actor
        .require(Role::Lead)
        .map_err(|_| format!("{} is not a lead or admin", actor.login))?;
    Ok(actor)
}

pub fn run(database_url: &str, args: ImportArgs) -> Result<(), String> {
    let mut conn = super::open(database_url)?;
    let actor = importer(&mut conn, args.as_login.as_deref())?;
    let size = std::fs::metadata(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?
        .len();
    // Pass 1 measures bytes (the rows are not counted yet); pass 2 counts rows.
    let bar = ProgressBar::new(size);
    let style = |template: &str| {
        ProgressStyle::with_template(template)
            .map(|s| s.progress_chars("=> "))
            .map_err(|e| e.to_string())
    };
    bar.set_style(style(
        "checking [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}, {eta} left",
    )?);
    let filing = style(" writing [{bar:30}] {human_pos}/{human_len} rows, {per_sec}, {eta} left")?;
    let mut phase = Phase::Checking;
    let mut progress = |p: &Progress| {
        if p.phase != phase {
            phase = p.phase;
            bar.reset();
            bar.set_length(p.total_rows.unwrap_or_default());
            bar.set_style(filing.clone());
        }
        bar.set_position(match p.phase {
            Phase::Checking => p.bytes,
            Phase::Filing => p.rows,
        });
        std::ops::ControlFlow::Continue(())
    };
    let options = Options {
        file_name: args
            .file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        dry_run: args.dry_run,
        unknown_reporters_as: args.unknown_reporters_as,
        overrides: Vec::new(),
        preview: 0,
    };
    let grouping = GroupingCache::new(crate::domain::grouping::DEFAULT_JOIN_THRESHOLD);
    let report = import::import_file(
        &mut conn,
        &grouping,
        &actor,
        &args.file,
        &options,
        &mut progress,
    )
    .map_err(super::describe)?;
    bar.finish_and_clear();
    println!("{}", report.summary());
    let mapped: Vec<String> = report
        .headers
        .iter()
        .zip(&report.fields)
        .map(|(h, f)| format!("{h} → {}", f.map(|f| f.as_str()).unwrap_or("(not read)")))
        .collect();
    println!("columns: {}", mapped.join(", "));
    if !report.bad.is_empty() {
        for b in &report.bad {
            eprintln!(
                "row {}, column {:?}, value {:?}: {}",
                b.row,
                b.column,
                b.value,
                Lang::En.t(b.reason)
            );
        }
        return Err(format!(
            "{} bad rows: nothing was imported",
            report.bad_rows.max(1)
        ));
    }
    match report.import_id {
        Some(id) => println!("imported {} incidents as import {id}", report.rows),
        None => println!(
            "dry run: {} rows would be imported; nothing was written",
            report.rows
        ),
    }
    Ok(())
}
