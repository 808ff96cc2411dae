-- What every filing writes, trimmed to what is read.
--
-- Distinct external references per cluster and week are counted in cluster_weeks.refs,
-- kept current on write (a reference's row in cluster_week_values going from 0 to 1
-- incident adds one, going back to 0 takes one away), so the weekly review reads them
-- with the week's cluster totals instead of every reference row of the week.
ALTER TABLE cluster_weeks ADD COLUMN refs INTEGER NOT NULL DEFAULT 0;
UPDATE cluster_weeks SET refs = (
    SELECT COUNT(*) FROM cluster_week_values v
    WHERE v.cluster_id = cluster_weeks.cluster_id
      AND v.week_key = cluster_weeks.week_key
      AND v.dimension = 'ref'
      AND v.incidents > 0
);

-- The week index of cluster_week_values served the reference counts and the review's
-- department filter. Only the filter is left, so only department rows are indexed: every
-- new reference, hour, tag or reporter row no longer writes an index entry as well.
DROP INDEX cluster_week_values_week;
CREATE INDEX cluster_week_values_department ON cluster_week_values (week_key, value)
    WHERE dimension = 'department';

-- No query looks incidents up by tag; their tags are read by incident.
DROP INDEX incident_tags_tag;
