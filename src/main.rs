use clap::Parser;
use rungs::cli::{Cli, run};

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    give_large_blocks_back();
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

/// Each password hash takes a 19 MiB block. glibc's malloc raises its mmap threshold
/// after the first such block is freed, and later ones then come from the heap, where
/// small allocations between them fragment it: ten sign-ins in a burst left ~150 MiB
/// resident for good (tests/api/throttle.rs). With a fixed threshold, blocks of 4 MiB
/// and more are mapped and unmapped, and go back to the system as they are freed.
fn give_large_blocks_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}
