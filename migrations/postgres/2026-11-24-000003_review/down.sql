DELETE FROM settings WHERE key IN ('rollups_version', 'clusters_version');
DROP INDEX cluster_week_values_week;
