//! What rungs tells its operators: structured logs with tracing (human-readable by
//! default, JSON with `--log-json`), request ids, and Prometheus metrics.

pub mod metrics;
pub mod requests;
pub mod scrape;

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: the first subscriber stays.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
