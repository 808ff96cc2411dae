#!/bin/sh
# What a filing costs the server, on SQLite: serves a fresh database with the release
# `rungs serve` and files from 32 wrk connections on the same machine.
#  1. 6 s unobserved: filings a second, and the server's CPU time (user + system, from
#     /proc) per 1,000 filings;
#  2. then 3 s under strace: the filing writer's 4,096-byte WAL writes per commit (fsync).
#     strace slows the writer, so its batches grow: compare builds, not absolute figures.
#
#   bench/filing_cost.sh          (needs wrk and strace; build first: cargo build --release)
#   BIN=path/to/other/rungs bench/filing_cost.sh     (another build, for an A/B)
set -eu
BIN=${BIN:-target/release/rungs}
PORT=${PORT:-8098}
WORK=$(mktemp -d)
trap 'kill -9 $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
DB="$WORK/rungs.db"
echo "correct horse battery" | "$BIN" --database-url "$DB" user add --name Bench --role member --department sales bench >/dev/null
TOKEN=$("$BIN" --database-url "$DB" token create bench | tail -1)
cat > "$WORK/file.lua" <<LUA
local n = 0
local titles = {"催审批：订单 %d 审批进度怎么还没出来", "Printer on floor 2 jams again (ticket %d)",
  "VPN drops on the sales laptops, case %d", "Quote %d waits for a price approval"}
request = function()
  n = n + 1
  local body = string.format('{"title":"%s","category":"approval-chase","tags":["team-%d"],"external_ref":"bench-%d-%d"}',
    string.format(titles[(n % 4) + 1], 1000 + n), n % 4, math.random(1, 1000000), n)
  return wrk.format("POST", "/api/v1/incidents",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $TOKEN"}, body)
end
LUA
RUST_LOG=warn "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
TICKS=$(getconf CLK_TCK)
BEFORE=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
wrk -t1 -c32 -d6s -s "$WORK/file.lua" "http://127.0.0.1:$PORT" >"$WORK/wrk.out"
AFTER=$(awk '{print $14 + $15}' "/proc/$SERVER/stat")
FILED=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
if grep -q "Non-2xx" "$WORK/wrk.out"; then echo "some filings failed:" >&2; cat "$WORK/wrk.out" >&2; exit 1; fi
awk -v f="$FILED" -v b="$BEFORE" -v a="$AFTER" -v t="$TICKS" 'BEGIN {
  printf "filed %d in 6 s (%.0f a second), server CPU %.0f ms per 1,000 filings\n", f, f / 6, (a - b) / t * 1000 / f * 1000 }'
wrk -t1 -c32 -d9s -s "$WORK/file.lua" "http://127.0.0.1:$PORT" >"$WORK/wrk.out" &
LOAD=$!
sleep 4
WRITER=$(ps -eLo tid,comm | awk '/rungs-filing-wr/ {print $1}')
timeout 3 strace -e trace=pwrite64,fsync -p "$WRITER" -o "$WORK/trace" 2>/dev/null || true
wait $LOAD
awk '/^fsync/ {c++} /^pwrite64/ && / = 4096$/ {p++} END {printf "commits %d, WAL pages %d, pages per commit %.1f\n", c, p, p / (c ? c : 1)}' "$WORK/trace"
