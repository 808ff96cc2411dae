-- The weekly review reads one week of dimension values across clusters (department
-- filter, distinct references), so index them by week first.
CREATE INDEX cluster_week_values_week ON cluster_week_values (week_key, dimension, value);

-- Bumped in the same transaction as every change of the rollups, so that a process can
-- cache a week's comparison and know, with one indexed read, when it went stale.
INSERT INTO settings (key, value) VALUES ('rollups_version', '0');
-- Bumped by every insert and update of a cluster (title, state, rung, owner, triage).
INSERT INTO settings (key, value) VALUES ('clusters_version', '0');
