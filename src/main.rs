use clap::Parser;
use rungs::cli::{Cli, run};

/// mimalloc: a filing is allocated on an actix worker and freed on the filing writer,
/// which glibc's allocator serves with lock traffic between its arenas (in the filing
/// bench, about 6% more filings a second on SQLite; see docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    rungs::telemetry::init(cli.log_json);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rungs: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
