-- The last change counters kept by Rust move to the database: any change to a cluster's
-- row moves clusters_version, any change to the weekly rollups moves rollups_version,
-- and a new time zone moves catalog_version, in the change's own transaction, whoever
-- makes it. (grouping_version stays with the code: it counts decisions, a merge or a
-- split, not rows.) On PostgreSQL one increment per statement.

CREATE TRIGGER clusters_counts AFTER INSERT OR UPDATE OR DELETE ON clusters
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('clusters_version');
CREATE TRIGGER cluster_weeks_counts AFTER INSERT OR UPDATE OR DELETE ON cluster_weeks
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('rollups_version');
CREATE TRIGGER category_weeks_counts AFTER INSERT OR UPDATE OR DELETE ON category_weeks
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('rollups_version');
CREATE TRIGGER cluster_week_values_counts AFTER INSERT OR UPDATE OR DELETE ON cluster_week_values
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('rollups_version');
CREATE FUNCTION rungs_count_timezone() RETURNS trigger AS $$
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'catalog_version';
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER timezone_counts AFTER INSERT OR UPDATE OF value ON settings
    FOR EACH ROW WHEN (NEW.key = 'timezone') EXECUTE FUNCTION rungs_count_timezone();
