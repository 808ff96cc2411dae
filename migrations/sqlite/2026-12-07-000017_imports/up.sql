-- A spreadsheet imported in one step: who brought it, when, how it was read, how many
-- rows; each incident it filed names it, so that it can be found and withdrawn whole.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY NOT NULL,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    encoding TEXT NOT NULL,
    delimiter TEXT NOT NULL,
    rows BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    withdrawn_by BIGINT REFERENCES users (id)
);
ALTER TABLE incidents ADD COLUMN import_id BIGINT REFERENCES imports (id);
CREATE INDEX incidents_import ON incidents (import_id) WHERE import_id IS NOT NULL;
