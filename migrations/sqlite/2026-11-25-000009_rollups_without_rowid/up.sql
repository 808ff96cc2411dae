-- The rollup tables and incident tags are written by every filing and keyed by their
-- primary key alone. As ordinary SQLite tables each was two b-trees (rows by rowid, and
-- the primary key's index); WITHOUT ROWID keeps the rows in the primary key's b-tree, so
-- a filing dirties (and the WAL writes) about half as many of their pages.
CREATE TABLE incident_tags_new (
    incident_id BIGINT NOT NULL REFERENCES incidents (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (incident_id, tag)
) WITHOUT ROWID;
INSERT INTO incident_tags_new (incident_id, tag) SELECT incident_id, tag FROM incident_tags;
DROP TABLE incident_tags;
ALTER TABLE incident_tags_new RENAME TO incident_tags;
CREATE INDEX incident_tags_tag ON incident_tags (tag);

CREATE TABLE cluster_weeks_new (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    week_key TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, week_key)
) WITHOUT ROWID;
INSERT INTO cluster_weeks_new (cluster_id, week_key, incidents)
    SELECT cluster_id, week_key, incidents FROM cluster_weeks;
DROP TABLE cluster_weeks;
ALTER TABLE cluster_weeks_new RENAME TO cluster_weeks;
CREATE INDEX cluster_weeks_week ON cluster_weeks (week_key);

CREATE TABLE cluster_week_values_new (
    cluster_id BIGINT NOT NULL REFERENCES clusters (id),
    week_key TEXT NOT NULL,
    dimension TEXT NOT NULL,
    value TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, week_key, dimension, value)
) WITHOUT ROWID;
INSERT INTO cluster_week_values_new (cluster_id, week_key, dimension, value, incidents)
    SELECT cluster_id, week_key, dimension, value, incidents FROM cluster_week_values;
DROP TABLE cluster_week_values;
ALTER TABLE cluster_week_values_new RENAME TO cluster_week_values;
CREATE INDEX cluster_week_values_week ON cluster_week_values (week_key, dimension, value);

CREATE TABLE category_weeks_new (
    category_id BIGINT NOT NULL REFERENCES categories (id),
    week_key TEXT NOT NULL,
    incidents INTEGER NOT NULL,
    PRIMARY KEY (category_id, week_key)
) WITHOUT ROWID;
INSERT INTO category_weeks_new (category_id, week_key, incidents)
    SELECT category_id, week_key, incidents FROM category_weeks;
DROP TABLE category_weeks;
ALTER TABLE category_weeks_new RENAME TO category_weeks;
