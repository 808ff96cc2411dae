-- The change counters of the accounts (users, API tokens) and of the catalogue
-- (departments, categories, grouping rules) are kept by the database itself: any
-- change to those tables, from rungs or from anyone with SQL, moves its counter in the
-- same transaction; the trigger on settings (000008) then announces it to every process.
CREATE FUNCTION rungs_count_change() RETURNS trigger AS $$
BEGIN
    UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = TG_ARGV[0];
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER users_counts AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('accounts_version');
CREATE TRIGGER api_tokens_counts AFTER INSERT OR UPDATE OR DELETE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('accounts_version');
CREATE TRIGGER departments_counts AFTER INSERT OR UPDATE OR DELETE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('catalog_version');
CREATE TRIGGER categories_counts AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('catalog_version');
CREATE TRIGGER cluster_rules_counts AFTER INSERT OR UPDATE OR DELETE ON cluster_rules
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_count_change('catalog_version');
