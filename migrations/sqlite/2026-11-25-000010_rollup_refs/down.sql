CREATE INDEX incident_tags_tag ON incident_tags (tag);
DROP INDEX cluster_week_values_department;
CREATE INDEX cluster_week_values_week ON cluster_week_values (week_key, dimension, value);
ALTER TABLE cluster_weeks DROP COLUMN refs;
