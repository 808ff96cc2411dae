-- Change counters for what every request looks up: who may act (users, API tokens) and
-- the catalogue a filing is checked against (departments, categories, rules, time zone).
-- A write bumps its counter in its own transaction; each process keeps in-memory copies
-- and reloads one when its counter moved (src/service/directory.rs).
INSERT INTO settings (key, value) VALUES ('accounts_version', '0');
INSERT INTO settings (key, value) VALUES ('catalog_version', '0');

