#!/bin/sh
# Load test of the weekly review, a cluster's drivers and the retrospective's page and
# report against a trivial askama page.
#
#   bench/run.sh DATABASE_URL INCIDENTS [CLUSTERS]
#
# DATABASE_URL must name an empty database (an SQLite path that does not exist yet, or a
# fresh PostgreSQL database). Seeds it with examples/seed, serves it with the release
# `rungs serve` (2 workers: one per core), serves examples/trivial beside it, and runs
# wrk: requests/s at 64 connections, p50/p99 at 4 connections, 10 s each. Prints one
# Markdown table row per page. Build first: cargo build --release --examples --bin rungs
set -eu
URL=$1
N=${2:-100000}
CLUSTERS=${3:-$((N / 50))}
DURATION=${DURATION:-10s}
BIN=${BIN:-target/release}
PORT=${PORT:-8090}
TPORT=${TPORT:-8091}
WORK=$(mktemp -d)
trap 'kill $SERVER $TRIVIAL 2>/dev/null || true; rm -rf "$WORK"' EXIT

case "$URL" in postgres*) BACKEND=PostgreSQL ;; *) BACKEND=SQLite ;; esac
START=$(date +%s)
"$BIN/examples/seed" --database-url "$URL" --incidents "$N" --clusters "$CLUSTERS" >"$WORK/seed" 2>"$WORK/seed.log"
SEEDED=$(($(date +%s) - START))
. "$WORK/seed"

BOOT=$(date +%s.%N)
RUST_LOG=warn "$BIN/rungs" serve --database-url "$URL" --bind "127.0.0.1:$PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER=$!
# Start-up: migrations, session key, the grouping index built from every incident, bind.
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.02
done
STARTUP=$(awk -v a="$BOOT" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
RUST_LOG=warn "$BIN/examples/trivial" "127.0.0.1:$TPORT" "$URL" >/dev/null 2>&1 &
TRIVIAL=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && curl -sf "http://127.0.0.1:$TPORT/bench/trivial" >/dev/null 2>&1 && break
  sleep 0.2
done

# Sign in as the seeded lead, as a browser would: the CSRF token from the form, then post.
BASE="http://127.0.0.1:$PORT"
CSRF=$(curl -s -c "$WORK/jar" -b "$WORK/jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
curl -s -o /dev/null -c "$WORK/jar" -b "$WORK/jar" --data-urlencode "csrf_token=$CSRF" \
  --data-urlencode "login=bench" --data-urlencode "password=bench password" --data-urlencode "next=/" "$BASE/login"
COOKIE="rungs_session=$(awk '$6 == "rungs_session" {print $7}' "$WORK/jar")"

REVIEW="$BASE/review?week=$WEEK"
DRIVERS="$BASE/api/v1/clusters/$CLUSTER/drivers?week=$WEEK"
COLD=$(curl -s -o "$WORK/review.html" -w '%{time_total}' -H "Cookie: $COOKIE" "$REVIEW")
grep -q 'table class="list review"' "$WORK/review.html" || { echo "the review page did not render" >&2; exit 1; }
curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "$DRIVERS" || { echo "drivers failed" >&2; exit 1; }
CLUSTER_PAGE="$BASE/clusters/$CLUSTER?week=$WEEK"
curl -s -o "$WORK/cluster.html" -H "Cookie: $COOKIE" "$CLUSTER_PAGE"
grep -q 'class="bars-chart' "$WORK/cluster.html" || { echo "the cluster page did not render its drivers" >&2; exit 1; }
RETRO="$BASE/retro/$WEEK"
REPORT="$BASE/retro/$WEEK/report?format=md"
curl -s -o "$WORK/retro.html" -H "Cookie: $COOKIE" "$RETRO"
grep -q "$WEEK" "$WORK/retro.html" || { echo "the retrospective page did not render" >&2; exit 1; }

# wrk's summary: requests/s, and the 50% and 99% latency lines of --latency.
measure() { # name url header
  wrk -t2 -c64 -d"$DURATION" -H "$3" "$2" >"$WORK/w64"
  wrk -t2 -c4 -d"$DURATION" --latency -H "$3" "$2" >"$WORK/w4"
  RPS=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$WORK/w64")
  P50=$(awk '$1 == "50%" {print $2}' "$WORK/w4")
  P99=$(awk '$1 == "99%" {print $2}' "$WORK/w4")
  NON2XX=$(cat "$WORK/w64" "$WORK/w4" | awk '/Non-2xx/ {s += $NF} END {print s + 0}')
  echo "| $BACKEND | $N | $CLUSTERS | $1 | $RPS | $P50 | $P99 | $NON2XX |"
}
echo "<!-- seeded in ${SEEDED}s; first review page (cache cold) ${COLD}s; week $WEEK, busiest cluster $CLUSTER -->"
measure "trivial askama, 50 rows" "http://127.0.0.1:$TPORT/bench/trivial" "X-Bench: 1"
measure "trivial askama, 50 rows, signed in" "http://127.0.0.1:$TPORT/bench/signed" "Cookie: $COOKIE"
measure "weekly review /review" "$REVIEW" "Cookie: $COOKIE"
measure "drivers of the busiest cluster (API)" "$DRIVERS" "Authorization: Bearer $TOKEN"
measure "cluster page with drivers /clusters/$CLUSTER" "$CLUSTER_PAGE" "Cookie: $COOKIE"
measure "retrospective /retro/$WEEK" "$RETRO" "Cookie: $COOKIE"
measure "weekly report, Markdown" "$REPORT" "Cookie: $COOKIE"
# Peak resident memory of `rungs serve` over the whole run (the kernel's high-water mark).
HWM=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status")
echo "<!-- rungs serve: first answered request ${STARTUP}s after start; peak RSS ${HWM} MB -->"
