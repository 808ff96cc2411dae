//! Flags and environment in one struct.

use crate::db::DatabaseUrl;
use chrono_tz::Tz;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: String,
    pub database_url: DatabaseUrl,
    /// Set the organisation's time zone at start (else the stored one is kept).
    pub timezone: Option<Tz>,
    /// Mark the session cookie Secure: set when rungs is served over TLS.
    pub secure_cookies: bool,
    /// HTTP worker threads; default: one per core.
    pub workers: Option<usize>,
    pub pool_size: u32,
    /// Similarity at or above which a new incident joins the best cluster.
    pub join_threshold: f64,
    /// Profile similarity at or above which consolidation merges two clusters.
    pub merge_threshold: f64,
    /// How often consolidation runs after filings; None: never (tests that do not
    /// measure it keep their clusters as filed).
    pub consolidate_every: Option<std::time::Duration>,
    /// How often the scheduler runs its jobs; None: never in this process.
    pub schedule_every: Option<std::time::Duration>,
    /// How often this instance looks for webhook deliveries due; None: it sends none.
    pub webhooks_every: Option<std::time::Duration>,
    /// The first wait after a failed webhook delivery (doubling after each failure).
    pub webhook_backoff: std::time::Duration,
    /// The address people reach rungs at, for links in webhook deliveries.
    pub public_url: String,
    /// Who may read `/metrics`.
    pub metrics: crate::telemetry::scrape::MetricsAccess,
    /// The reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: crate::client_address::TrustedProxies,
}

impl Config {
    /// A configuration for tests and tools: SQLite or PostgreSQL at `url`, on a free port.
    pub fn for_url(url: &str) -> Result<Self, String> {
        Ok(Self {
            bind: "127.0.0.1:0".into(),
            database_url: DatabaseUrl::parse(url)?,
            timezone: None,
            secure_cookies: false,
            workers: Some(2),
            pool_size: 8,
            join_threshold: crate::domain::grouping::DEFAULT_JOIN_THRESHOLD,
            merge_threshold: crate::domain::grouping::consolidate::DEFAULT_MERGE_THRESHOLD,
            consolidate_every: None,
            schedule_every: None,
            webhooks_every: None,
            webhook_backoff: std::time::Duration::from_secs(10),
            public_url: String::new(),
            metrics: Default::default(),
            trusted_proxies: Default::default(),
        })
    }
}
