use clap::Parser;
use rungs::cli::{Cli, run};

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
