//! The command line: serve, user, token, demo, backup, import, imports, export, rollups, report.

use crate::config::Config;
use crate::db::{self, DatabaseUrl, PooledConn};
use crate::domain::week::parse_timezone;
use crate::service::{self, accounts::NewUserInput};
use crate::startup::Application;
use clap::{Args, Parser, Subcommand};
use std::io::Read;

mod export;
mod import;

#[derive(Debug, Parser)]
#[command(name = "rungs", version, about = "An incident-to-mechanism tracker")]
pub struct Cli {
    /// The database: a postgres:// or postgresql:// URL, or an SQLite file path.
    #[arg(long, env = "DATABASE_URL", default_value = "rungs.db", global = true)]
    pub database_url: String,

    /// Write logs as JSON lines.
    #[arg(long, env = "RUNGS_LOG_JSON", global = true)]
    pub log_json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the web pages and the API.
    Serve(ServeArgs),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Load the approval story into an empty database and print the demo logins.
    Demo,
    /// Copy the whole SQLite database, online, to FILE.
    Backup { file: String },
    /// Import a spreadsheet (CSV or tab-separated) all or nothing, as incidents.
    Import(import::ImportArgs),
    /// List past imports, or withdraw one as a whole.
    #[command(subcommand)]
    Imports(import::ImportsCommand),
    /// Print incidents (in the shape `rungs import` reads) or clusters with their weekly
    /// figures, as CSV (UTF-8 with a BOM) or JSON.
    Export(export::ExportArgs),
    /// Check or rebuild the weekly rollups.
    #[command(subcommand)]
    Rollups(RollupsCommand),
    /// Print the weekly retrospective's report of a week.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The week, written YYYY-Www (default: the last complete week).
    #[arg(long)]
    pub week: Option<String>,
    /// md, html, csv or json.
    #[arg(long, default_value = "md")]
    pub format: String,
    /// The language of the words (en or zh-CN); figures and CSV/JSON names are the same.
    #[arg(long, default_value = "en")]
    pub lang: String,
}

#[derive(Debug, Subcommand)]
pub enum RollupsCommand {
    /// Recompute the rollups from the raw incidents and print every difference from the
    /// stored ones (nothing is changed); exits with status 1 if there is any.
    Verify,
    /// Recompute every rollup from the raw incidents and store it.
    Rebuild,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "RUNGS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Set the organisation's time zone (an IANA name such as Asia/Shanghai).
    #[arg(long, env = "RUNGS_TIMEZONE")]
    pub timezone: Option<String>,
    /// Mark the session cookie Secure (set when rungs is served over TLS).
    #[arg(long, env = "RUNGS_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "RUNGS_WORKERS")]
    pub workers: Option<usize>,
    /// Database connections in the pool.
    #[arg(long, env = "RUNGS_POOL_SIZE", default_value_t = 16)]
    pub pool_size: u32,
    /// Similarity (0 to 1) at or above which a new incident joins the best cluster.
    #[arg(long, env = "RUNGS_JOIN_THRESHOLD", default_value_t = crate::domain::grouping::DEFAULT_JOIN_THRESHOLD)]
    pub join_threshold: f64,
    /// Similarity (0 to 1) of two clusters' profiles at or above which consolidation
    /// merges an unconfirmed cluster into the other.
    #[arg(long, env = "RUNGS_MERGE_THRESHOLD", default_value_t = crate::domain::grouping::consolidate::DEFAULT_MERGE_THRESHOLD)]
    pub merge_threshold: f64,
    /// Seconds between consolidation passes (a pass runs only after new filings); 0: never.
    #[arg(long, env = "RUNGS_CONSOLIDATE_EVERY", default_value_t = 15)]
    pub consolidate_every: u64,
    /// Seconds between the scheduler's passes (verdicts, overdue actions, spikes); 0: this
    /// instance runs no jobs.
    #[arg(long, env = "RUNGS_SCHEDULE_EVERY", default_value_t = 60)]
    pub schedule_every: u64,
    /// Seconds before the first retry of a failed webhook delivery (doubling after each).
    #[arg(long, env = "RUNGS_WEBHOOK_BACKOFF", default_value_t = 10)]
    pub webhook_backoff: u64,
    /// The address people reach rungs at (such as https://rungs.example.com), for links.
    #[arg(long, env = "RUNGS_PUBLIC_URL", default_value = "")]
    pub public_url: String,
    /// A secret that `GET /metrics` must carry as `Authorization: Bearer TOKEN`.
    #[arg(long, env = "RUNGS_METRICS_TOKEN")]
    pub metrics_token: Option<String>,
    /// Addresses (comma-separated) from which `GET /metrics` may be read; without this
    /// flag or a token, only from this machine.
    #[arg(long, env = "RUNGS_METRICS_ALLOW")]
    pub metrics_allow: Option<String>,
    /// Reverse proxies (addresses or networks, comma-separated) whose X-Forwarded-For
    /// names the client, for the per-address sign-in and token limits.
    #[arg(long, env = "RUNGS_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        login: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["member", "lead", "admin"])]
        role: String,
        #[arg(long)]
        department: Option<String>,
        /// Preferred language: en or zh-CN.
        #[arg(long)]
        language: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new API token for LOGIN.
    Create {
        login: String,
        #[arg(long, default_value = "command line")]
        label: String,
    },
}

fn open(url: &str) -> Result<PooledConn, String> {
    let url = DatabaseUrl::parse(url)?;
    let pool = db::connect(&url, 1)?;
    pool.get().map_err(|e| e.to_string())
}

pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => {
            let timezone = match args.timezone.as_deref() {
                Some(name) => Some(
                    parse_timezone(name).ok_or_else(|| format!("unknown time zone {name:?}"))?,
                ),
                None => None,
            };
            let config = Config {
                bind: args.bind,
                database_url: DatabaseUrl::parse(&cli.database_url)?,
                timezone,
                secure_cookies: args.secure_cookies,
                workers: args.workers,
                pool_size: args.pool_size,
                join_threshold: args.join_threshold,
                merge_threshold: args.merge_threshold,
                consolidate_every: (args.consolidate_every > 0)
                    .then(|| std::time::Duration::from_secs(args.consolidate_every)),
                schedule_every: (args.schedule_every > 0)
                    .then(|| std::time::Duration::from_secs(args.schedule_every)),
                webhooks_every: Some(std::time::Duration::from_secs(1)),
                webhook_backoff: std::time::Duration::from_secs(args.webhook_backoff.max(1)),
                public_url: args.public_url,
                metrics: crate::telemetry::scrape::MetricsAccess {
                    token: args.metrics_token.filter(|t| !t.is_empty()),
                    allow: crate::telemetry::scrape::parse_allow(
                        args.metrics_allow.as_deref().unwrap_or(""),
                    )?,
                },
                trusted_proxies: crate::client_address::TrustedProxies::parse(
                    &args.trusted_proxies,
                )?,
            };
            let app = Application::build(config.clone()).await?;
            tracing::info!(port = app.port(), bind = %config.bind, "rungs is serving");
            eprintln!(
                "rungs is serving on http://{}",
                config.bind.replace(":0", &format!(":{}", app.port()))
            );
            app.run_until_stopped().await.map_err(|e| e.to_string())
        }
        Command::User(UserCommand::Add {
            login,
            name,
            role,
            department,
            language,
        }) => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .map_err(|e| e.to_string())?;
            let password = password.trim_end_matches(['\n', '\r']).to_string();
            let mut conn = open(&cli.database_url)?;
            let input = NewUserInput {
                login,
                display_name: name,
                role,
                department: department.unwrap_or_default(),
                password,
                language: language.unwrap_or_default(),
            };
            let user = service::accounts::create_user(&mut conn, None, &input).map_err(describe)?;
            println!("added {} ({})", user.login, user.role);
            Ok(())
        }
        Command::Token(TokenCommand::Create { login, label }) => {
            let mut conn = open(&cli.database_url)?;
            let user = db::users::find_by_login(&mut conn, &login.to_lowercase())
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no user {login:?}"))?;
            let token =
                service::tokens::create(&mut conn, None, user.id, &label).map_err(describe)?;
            println!("{token}");
            Ok(())
        }
        Command::Demo => {
            let mut conn = open(&cli.database_url)?;
            let grouping = crate::service::grouping::GroupingCache::new(
                crate::domain::grouping::DEFAULT_JOIN_THRESHOLD,
            );
            let logins = crate::service::demo::load(&mut conn, &grouping, chrono::Utc::now())
                .map_err(describe)?;
            println!(
                "The approval story is loaded. Sign in as any of these (password in the second column):"
            );
            for (login, password) in logins {
                println!("  {login:<8} {password}");
            }
            Ok(())
        }
        Command::Rollups(RollupsCommand::Verify) => {
            let mut conn = open(&cli.database_url)?;
            let differences = db::rollups::verify(&mut conn).map_err(|e| e.to_string())?;
            for d in &differences {
                println!("{d}");
            }
            if differences.is_empty() {
                println!("rollups equal the incidents");
                Ok(())
            } else {
                Err(format!("{} rollup counts differ", differences.len()))
            }
        }
        Command::Rollups(RollupsCommand::Rebuild) => {
            let mut conn = open(&cli.database_url)?;
            db::write_transaction(&mut conn, db::rollups::rebuild_all)
                .map_err(|e| e.to_string())?;
            println!("rollups rebuilt");
            Ok(())
        }
        Command::Report(args) => {
            let format = service::report::Format::parse(&args.format)
                .ok_or("--format is md, html, csv or json")?;
            let lang = crate::i18n::Lang::parse(&args.lang).ok_or("--lang is en or zh-CN")?;
            let mut conn = open(&cli.database_url)?;
            let cache = service::review::ReviewCache::new();
            let tz = service::organisation::timezone(&mut conn).map_err(|e| e.to_string())?;
            let report = service::report::of_week(
                &mut conn,
                &cache,
                args.week.as_deref(),
                tz,
                chrono::Utc::now(),
            )
            .map_err(|e| match e {
                crate::error::AppError::Invalid(_) => {
                    "a week is written YYYY-Www, for example 2026-W48".to_string()
                }
                other => other.to_string(),
            })?;
            let text = match service::report::text(&report, format, lang, tz)
                .map_err(|e| e.to_string())?
            {
                Some(text) => text,
                None => {
                    crate::web::report::standalone(&report, lang, tz).map_err(|e| e.to_string())?
                }
            };
            print!("{text}");
            Ok(())
        }
        Command::Import(args) => import::run(&cli.database_url, args),
        Command::Imports(command) => import::imports(&cli.database_url, command),
        Command::Export(args) => export::run(&cli.database_url, args),
        Command::Backup { file } => {
            let mut conn = open(&cli.database_url)?;
            db::backup::to_file(&mut conn, &file)?;
            println!("backed up to {file}");
            Ok(())
        }
    }
}

/// An error as a person at a terminal wants it: each bad field named.
fn describe(e: crate::error::AppError) -> String {
    match &e {
        crate::error::AppError::Invalid(_) => e
            .fields_in(crate::i18n::Lang::En)
            .into_iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        _ => e.to_string(),
    }
}
