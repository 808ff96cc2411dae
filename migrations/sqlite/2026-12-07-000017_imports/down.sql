DROP INDEX incidents_import;
ALTER TABLE incidents DROP COLUMN import_id;
DROP TABLE imports;
