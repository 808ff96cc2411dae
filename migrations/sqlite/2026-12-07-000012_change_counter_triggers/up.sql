-- The change counters of the accounts (users, API tokens) and of the catalogue
-- (departments, categories, grouping rules) are kept by the database itself: any
-- change to those tables, from rungs or from anyone with SQL, moves its counter in the
-- same transaction, and every rungs process reloads what it remembers of them.
-- (SQLite has row triggers only: one increment per changed row.)
CREATE TRIGGER users_insert_counts AFTER INSERT ON users BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'accounts_version';
END;
CREATE TRIGGER users_update_counts AFTER UPDATE ON users BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'accounts_version';
END;
CREATE TRIGGER users_delete_counts AFTER DELETE ON users BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'accounts_version';
END;
CREATE TRIGGER api_tokens_insert_counts AFTER INSERT ON api_tokens BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'accounts_version';
END;
CREATE TRIGGER api_tokens_update_counts AFTER UPDATE ON api_tokens BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'accounts_version';
END;
CREATE TRIGGER api_tokens_delete_counts AFTER DELETE ON api_tokens BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'accounts_version';
END;
CREATE TRIGGER departments_insert_counts AFTER INSERT ON departments BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER departments_update_counts AFTER UPDATE ON departments BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER departments_delete_counts AFTER DELETE ON departments BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER categories_insert_counts AFTER INSERT ON categories BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER categories_update_counts AFTER UPDATE ON categories BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER categories_delete_counts AFTER DELETE ON categories BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER cluster_rules_insert_counts AFTER INSERT ON cluster_rules BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER cluster_rules_update_counts AFTER UPDATE ON cluster_rules BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
CREATE TRIGGER cluster_rules_delete_counts AFTER DELETE ON cluster_rules BEGIN
    UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'catalog_version';
END;
