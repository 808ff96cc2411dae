-- PostgreSQL announces changes to `settings` to every listening process (see the
-- postgres folder). SQLite has no notifications: one process serves a file, and it reads
-- the change counters on each request, which costs microseconds there. Nothing to do.
SELECT 1;
