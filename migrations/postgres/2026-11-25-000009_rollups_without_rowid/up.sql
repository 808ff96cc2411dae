-- SQLite keeps the rollup tables and incident tags WITHOUT ROWID (see the sqlite folder).
-- PostgreSQL tables are heaps with their primary key as an index either way. Nothing to do.
SELECT 1;
