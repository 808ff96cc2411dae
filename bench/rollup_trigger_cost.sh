#!/bin/sh
# What the rollups' change-counter trigger costs on SQLite (migration 000016: each row
# inserted or updated in a rollup table bumps `rollups_version` in `settings`).
#
#   bench/rollup_trigger_cost.sh [ROWS]
#
# Upserts ROWS (default 1,000,000) rows into a table shaped like `cluster_week_values`
# (WITHOUT ROWID, its secondary index, 64 MB page cache, one transaction) with the
# sqlite3 shell, three times on fresh databases: without a trigger, with the trigger as
# migration 000016 writes it, and with that trigger behind a `WHEN` guard that a
# session flag would switch off. Prints the seconds of each.
set -eu
ROWS=${1:-1000000}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

SCHEMA="PRAGMA journal_mode=WAL;
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO settings VALUES ('rollups_version', '0');
CREATE TABLE v (cluster_id BIGINT NOT NULL, week_key TEXT NOT NULL, dimension TEXT NOT NULL,
    value TEXT NOT NULL, incidents INTEGER NOT NULL,
    PRIMARY KEY (cluster_id, week_key, dimension, value)) WITHOUT ROWID;
CREATE INDEX v_week ON v (week_key, dimension, value);"
BUMP="UPDATE settings SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'rollups_version';"
UPSERT="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $ROWS)
INSERT INTO v SELECT i % 300, '2025-W' || (i % 52), 'ref', 'REF-' || i, 1 FROM n WHERE true
ON CONFLICT DO UPDATE SET incidents = incidents + excluded.incidents;"

run() {
    rm -f "$WORK"/t.db*
    sqlite3 "$WORK/t.db" "$SCHEMA $2" >/dev/null
    start=$(date +%s.%N)
    sqlite3 "$WORK/t.db" "PRAGMA cache_size = -65536; BEGIN; $UPSERT COMMIT;"
    end=$(date +%s.%N)
    printf "%s: %.1f s\n" "$1" "$(echo "$end - $start" | bc)"
}

run "no trigger" ""
run "row trigger (000016)" "CREATE TRIGGER v_ins AFTER INSERT ON v BEGIN $BUMP END;"
run "row trigger behind a WHEN guard" \
    "CREATE TRIGGER v_ins AFTER INSERT ON v WHEN NOT EXISTS (SELECT 1 FROM settings WHERE key = 'rollups_counted') BEGIN $BUMP END;"
