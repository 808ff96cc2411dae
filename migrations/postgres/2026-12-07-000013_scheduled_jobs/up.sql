-- The scheduler's jobs (src/service/scheduler): one row each. An instance runs a job
-- only while it holds the row's lease (`lease_owner` until `lease_until`), so with
-- several instances on one database exactly one does each run; what a run has done is
-- stored with its changes, in one transaction, so that a restart neither loses nor
-- repeats it: `last_period` is the last week (or day) a periodic job finished,
-- `event_cursor` the last event id a consumer of the event log has read.
CREATE TABLE scheduled_jobs (
    name TEXT PRIMARY KEY NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_run_at TIMESTAMP,
    last_period TEXT,
    event_cursor BIGINT NOT NULL DEFAULT 0,
    runs BIGINT NOT NULL DEFAULT 0
);
INSERT INTO scheduled_jobs (name) VALUES ('verdicts'), ('overdue'), ('spikes'), ('early_warning'), ('tally');
