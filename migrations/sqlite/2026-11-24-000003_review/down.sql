DELETE FROM settings WHERE key = 'rollups_version';
DROP INDEX cluster_week_values_week;
