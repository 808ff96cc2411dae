-- A cluster's page lists its newest incidents: read them in order, not all of them sorted.
DROP INDEX incidents_cluster;
CREATE INDEX incidents_cluster ON incidents (cluster_id, occurred_at, id);
