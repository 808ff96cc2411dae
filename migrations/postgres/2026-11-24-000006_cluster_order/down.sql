DROP INDEX incidents_cluster;
CREATE INDEX incidents_cluster ON incidents (cluster_id, week_key);
