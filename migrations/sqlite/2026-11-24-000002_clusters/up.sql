-- Clusters of recurring incidents, the rules that steer grouping, and the weekly
-- rollups kept current in the same transaction as every write.
CREATE TABLE clusters (
    id INTEGER PRIMARY KEY NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    owner_id BIGINT REFERENCES users (id),
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acting', 'resolved', 'regressed')),
    rung INTEGER NOT NULL DEFAULT 0,
    -- Unconfirmed clusters were started by an incident that matched nothing: the triage queue.
    confirmed BOOLEAN NOT NULL DEFAULT 0,
    -- A one-off dismissed as noise by a lead: kept, but out of the queue and the review.
    dismissed BOOLEAN NOT NULL DEFAULT 0,
    -- A merged cluster points at its survivor; its old links redirect there.
    merged_into BIGINT REFERENCES clusters (id),
    incident_count INTEGER NOT NULL DEFAULT 0,
    last_incident_at TIMESTAMP,
    resolved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX clusters_category ON clusters (category_id, merged_into);
CREATE INDEX clusters_triage ON clusters (confirmed, dismissed, merged_into);

ALTER TABLE incidents ADD COLUMN cluster_id BIGINT REFERENCES clusters (id);
-- How the incident came to its cluster: 'similar' (score, terms), 'rule', 'new', 'lead'.
ALTER TABLE incidents ADD COLUMN join_reason TEXT;
ALTER TABLE incidents ADD COLUMN join_score DOUBLE PRECISION;
ALTER TABLE incidents ADD COLUMN join_terms TEXT;
CREATE INDEX incidents_cluster ON incidents (cluster_id, week_key);

CREATE TABLE cluster_rules (
    id INTEGER PRIMARY KEY NOT NULL,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    -- Matched against the incident's folded text (lower-cased), as a substring.
    pattern TEXT NOT NULL,
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    active BOOLEAN NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cluster_rules_category ON cluster_rules (category_id, active);

-- Incidents per cluster per ISO week (withdrawn incidents are not counted).
CREATE TABLE cluster_weeks (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    week_key TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, week_key)
);
CREATE INDEX cluster_weeks_week ON cluster_weeks (week_key);

-- Incidents per cluster per week per dimension value: hour, weekday, department,
-- counterpart, reporter, tag, and ref (distinct external references).
CREATE TABLE cluster_week_values (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    week_key TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, week_key, dimension, value)
);

-- Incidents per category per week.
CREATE TABLE category_weeks (
    category_id BIGINT NOT NULL REFERENCES categories (id),
    week_key TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    PRIMARY KEY (category_id, week_key)
);
