-- The last change counters kept by Rust move to the database: any change to a cluster's
-- row moves clusters_version, any change to the weekly rollups moves rollups_version,
-- and a new time zone moves catalog_version, in the change's own transaction, whoever
-- makes it. (grouping_version stays with the code: it counts decisions, a merge or a
-- split, not rows.) SQLite has row triggers only: one increment per changed row.

CREATE TRIGGER clusters_insert_counts AFTER INSERT ON clusters BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'clusters_version';
END;
CREATE TRIGGER clusters_update_counts AFTER UPDATE ON clusters BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'clusters_version';
END;
CREATE TRIGGER clusters_delete_counts AFTER DELETE ON clusters BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'clusters_version';
END;
CREATE TRIGGER cluster_weeks_insert_counts AFTER INSERT ON cluster_weeks BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER cluster_weeks_update_counts AFTER UPDATE ON cluster_weeks BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER cluster_weeks_delete_counts AFTER DELETE ON cluster_weeks BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER category_weeks_insert_counts AFTER INSERT ON category_weeks BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER category_weeks_update_counts AFTER UPDATE ON category_weeks BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER category_weeks_delete_counts AFTER DELETE ON category_weeks BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER cluster_week_values_insert_counts AFTER INSERT ON cluster_week_values BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER cluster_week_values_update_counts AFTER UPDATE ON cluster_week_values BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER cluster_week_values_delete_counts AFTER DELETE ON cluster_week_values BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';
END;
CREATE TRIGGER timezone_insert_counts AFTER INSERT ON settings WHEN NEW.key = 'timezone' BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER timezone_update_counts AFTER UPDATE OF value ON settings WHEN NEW.key = 'timezone' BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
