-- Webhooks (src/service/webhooks): endpoints an admin registers, and one delivery row
-- per event and endpoint, made from the event log by the scheduler's `webhooks` job
-- and sent in id order per endpoint by whichever instance holds the endpoint's lease.
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    -- The events it wants, separated by commas: cluster.spike, action.overdue, ...
    events TEXT NOT NULL,
    -- The language of the deliveries' text: en or zh-CN.
    language TEXT NOT NULL DEFAULT 'en',
    active BOOLEAN NOT NULL DEFAULT 1,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY NOT NULL,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints (id),
    -- The event it tells of (none for a test), and the key a receiver uses to drop
    -- a delivery it has already seen (the same for a redelivery).
    event_id BIGINT,
    idempotency_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending, delivered or failed (gave up after the last attempt).
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    last_status INTEGER,
    response_ms BIGINT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_endpoint_status ON webhook_deliveries (endpoint_id, status, id);

INSERT INTO scheduled_jobs (name) VALUES ('webhooks');
