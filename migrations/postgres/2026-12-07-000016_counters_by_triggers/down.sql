DROP TRIGGER clusters_counts ON clusters;
DROP TRIGGER cluster_weeks_counts ON cluster_weeks;
DROP TRIGGER category_weeks_counts ON category_weeks;
DROP TRIGGER cluster_week_values_counts ON cluster_week_values;
DROP TRIGGER timezone_counts ON settings;
DROP FUNCTION rungs_count_timezone();
