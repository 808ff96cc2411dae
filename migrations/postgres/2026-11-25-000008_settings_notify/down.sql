DROP TRIGGER settings_changed ON settings;
DROP FUNCTION rungs_settings_changed();
