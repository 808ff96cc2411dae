-- Every committed change to `settings` (the change counters among them) is announced on
-- the channel `rungs_settings`. Each rungs process listens there and keeps the counters
-- in memory while it is connected (src/db/version_feed.rs), instead of reading them on
-- every request. A statement-level trigger: one notice per statement, and PostgreSQL
-- folds equal notices of one transaction into one.
CREATE FUNCTION rungs_settings_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('rungs_settings', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER settings_changed
    AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION rungs_settings_changed();
