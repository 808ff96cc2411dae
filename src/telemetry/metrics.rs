//! The process's Prometheus metrics: one registry, counted where things happen, rendered
//! in the text format by `GET /metrics` (`telemetry::scrape`).
//!
//! Counters are this process's: with several instances, Prometheus sums them over the
//! `instance` label. Requests are labelled by route pattern (`/clusters/{id}`), never
//! by raw path, so the number of series stays bounded.

use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::sync::LazyLock;

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    // Each metric is registered once, by its own LazyLock: a failure is a name clash,
    // a mistake in this file.
    REGISTRY
        .register(Box::new(c.clone()))
        .expect("metric names are unique");
    c
}

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric"))
}

/// Latency buckets from 1 ms to 10 s (the pool's and the body's deadlines are 5 and 10 s).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub static HTTP_REQUESTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_http_requests_total",
        "HTTP requests answered, by method, route pattern and status",
        &["method", "route", "status"],
    )
});

pub static HTTP_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "rungs_http_request_duration_seconds",
                "Time to answer an HTTP request, by method and route pattern",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route"],
        )
        .expect("valid metric"),
    )
});

pub static INCIDENTS_FILED: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "rungs_incidents_filed_total",
            "Incidents filed, counted from the event log by the instance that read it",
        )
        .expect("valid metric"),
    )
});

pub static GROUPING: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_grouping_outcomes_total",
        "Where new incidents went: joined a similar cluster, placed by a lead's rule, or a new cluster",
        &["outcome"],
    )
});

pub static EVENTS_WRITTEN: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_events_written_total",
        "Events written to the trail by this process, by entity",
        &["entity"],
    )
});

pub static EVENTS_CONSUMED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_events_consumed_total",
        "Events of the log read by this process's consumers, by consumer",
        &["consumer"],
    )
});

pub static WEBHOOK_DELIVERIES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_webhook_deliveries_total",
        "Webhook delivery attempts, by outcome: delivered, retry (failed, to be tried again), gave_up",
        &["outcome"],
    )
});

pub static SCHEDULER_RUNS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_scheduler_runs_total",
        "Scheduled jobs run by this process, by job and outcome",
        &["job", "outcome"],
    )
});

pub static SCHEDULER_SECONDS: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "rungs_scheduler_job_seconds",
                "Time a scheduled job's run took (its write transaction included), by job",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["job"],
        )
        .expect("valid metric"),
    )
});

pub static LOGIN_REFUSALS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter_vec(
        "rungs_login_throttled_total",
        "Sign-in attempts and API tokens refused for guessing too fast, by limit",
        &["limit"],
    )
});

pub static POOL_CONNECTIONS: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "rungs_db_pool_connections",
            "Open database connections in the pool",
        )
        .expect("valid metric"),
    )
});

pub static POOL_IN_USE: LazyLock<IntGauge> = LazyLock::new(|| {
    register(
        IntGauge::new(
            "rungs_db_pool_in_use",
            "Database connections handed out now",
        )
        .expect("valid metric"),
    )
});

pub static POOL_WAIT: LazyLock<Histogram> = LazyLock::new(|| {
    register(
        Histogram::with_opts(
            HistogramOpts::new(
                "rungs_db_pool_wait_seconds",
                "Time waited for a database connection from the pool",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
        )
        .expect("valid metric"),
    )
});

pub static POOL_TIMEOUTS: LazyLock<IntCounter> = LazyLock::new(|| {
    register(
        IntCounter::new(
            "rungs_db_pool_timeouts_total",
            "Requests for a database connection that gave up waiting",
        )
        .expect("valid metric"),
    )
});

/// Every metric, so that each appears in the output from the start (at zero).
fn touch_all() {
    LazyLock::force(&HTTP_REQUESTS);
    LazyLock::force(&HTTP_LATENCY);
    LazyLock::force(&INCIDENTS_FILED);
    LazyLock::force(&EVENTS_WRITTEN);
    LazyLock::force(&EVENTS_CONSUMED);
    LazyLock::force(&SCHEDULER_RUNS);
    LazyLock::force(&POOL_CONNECTIONS);
    LazyLock::force(&POOL_IN_USE);
    LazyLock::force(&POOL_WAIT);
    LazyLock::force(&POOL_TIMEOUTS);
    for outcome in ["joined", "rule", "new"] {
        GROUPING.with_label_values(&[outcome]);
    }
    for limit in ["account", "address", "hashing"] {
        LOGIN_REFUSALS.with_label_values(&[limit]);
    }
    for job in crate::service::scheduler::job_names() {
        SCHEDULER_SECONDS.with_label_values(&[job]);
        for outcome in ["done", "busy", "failed"] {
            SCHEDULER_RUNS.with_label_values(&[job, outcome]);
        }
    }
    EVENTS_CONSUMED.with_label_values(&["tally"]);
    EVENTS_CONSUMED.with_label_values(&["webhooks"]);
    for outcome in ["delivered", "retry", "gave_up"] {
        WEBHOOK_DELIVERIES.with_label_values(&[outcome]);
    }
}

/// The metrics in Prometheus' text format, with the pool's state as of now.
pub fn render(pool: &crate::db::Pool) -> Result<String, prometheus::Error> {
    touch_all();
    let state = pool.state();
    POOL_CONNECTIONS.set(i64::from(state.connections));
    POOL_IN_USE.set(i64::from(state.connections - state.idle_connections));
    TextEncoder::new().encode_to_string(&REGISTRY.gather())
}

/// Records how long each connection was waited for (r2d2 calls it on every checkout).
#[derive(Debug)]
pub struct PoolEvents;

impl diesel::r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: diesel::r2d2::event::CheckoutEvent) {
        POOL_WAIT.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, _event: diesel::r2d2::event::TimeoutEvent) {
        POOL_TIMEOUTS.inc();
    }
}
