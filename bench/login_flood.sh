#!/bin/sh
# A flood of wrong passwords against the release `rungs serve`, and its resident memory.
#
#   bench/login_flood.sh [DATABASE_URL]
#
# DATABASE_URL names an empty database (an SQLite path that does not exist yet, the
# default, or a fresh PostgreSQL database). Adds two people, then runs wrk with 64
# connections for 8 s: first GET /login (the baseline: a page, no password hash), then
# POST /login with a wrong password for one account. Prints the server's peak resident
# memory after each (VmHWM), the answers, and whether the other person can still sign in
# at once. Build first: cargo build --release --bin rungs
set -eu
WORK=$(mktemp -d)
URL=${1:-$WORK/flood.db}
BIN=${BIN:-target/release}
PORT=${PORT:-8092}
DURATION=${DURATION:-8s}
BASE="http://127.0.0.1:$PORT"
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo 'a long password 1' | "$BIN/rungs" user add victim --name Victim --role lead --department sales --database-url "$URL" >/dev/null
echo 'a long password 2' | "$BIN/rungs" user add bystander --name Bystander --role member --department sales --database-url "$URL" >/dev/null
RUST_LOG=error "$BIN/rungs" serve --database-url "$URL" --bind "127.0.0.1:$PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 50); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

mib() { awk -v f="$1:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$SERVER/status"; }
# One session and its CSRF token, shared by every connection of the flood.
session() {
  curl -s -c "$WORK/$1.jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1
}
cookie() { awk '$6 == "rungs_session" { print $6 "=" $7 }' "$WORK/$1.jar"; }

IDLE=$(mib VmHWM)
wrk -t2 -c64 -d"$DURATION" "$BASE/login" >"$WORK/get.txt"
PAGES=$(mib VmHWM)

CSRF=$(session flood)
cat >"$WORK/flood.lua" <<EOF
wrk.method = "POST"
wrk.body = "csrf_token=$CSRF&login=victim&password=wrong+password"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "$(cookie flood)"
local statuses = {}
response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
done = function() end
EOF
wrk -t2 -c64 -d"$DURATION" -s "$WORK/flood.lua" "$BASE/login" >"$WORK/post.txt"
FLOOD=$(mib VmHWM)
AFTER=$(mib VmRSS)

CSRF=$(session bystander)
BYSTANDER=$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/bystander.jar" \
  --data "csrf_token=$CSRF&login=bystander&password=a+long+password+2" "$BASE/login")
CSRF=$(session victim)
VICTIM=$(curl -s -o /dev/null -w '%{http_code}' -b "$WORK/victim.jar" \
  --data "csrf_token=$CSRF&login=victim&password=a+long+password+1" "$BASE/login")
LOCKOUTS=$(grep -c "locked out" "$WORK/serve.log" || true)

echo "| run | requests | per second | peak RSS (MiB) | × idle |"
echo "|---|---:|---:|---:|---:|"
echo "| idle, after start | | | $IDLE | 1.00 |"
printf "| GET /login, 64 connections, %s | %s | %s | %s | %s |\n" "$DURATION" \
  "$(awk '/requests in/ {print $1}' "$WORK/get.txt")" "$(awk '/Requests\/sec/ {print $2}' "$WORK/get.txt")" \
  "$PAGES" "$(awk -v a="$PAGES" -v b="$IDLE" "BEGIN { printf \"%.2f\", a / b }")"
printf "| POST /login, wrong password, 64 connections, %s | %s | %s | %s | %s |\n" "$DURATION" \
  "$(awk '/requests in/ {print $1}' "$WORK/post.txt")" "$(awk '/Requests\/sec/ {print $2}' "$WORK/post.txt")" \
  "$FLOOD" "$(awk -v a="$FLOOD" -v b="$IDLE" "BEGIN { printf \"%.2f\", a / b }")"
echo
echo "resident after the flood: $AFTER MiB; answers other than 2xx/3xx: $(awk '/Non-2xx/ {print $5}' "$WORK/post.txt")"
echo "right password of the attacked account: $VICTIM (429 expected); another person signs in: $BYSTANDER (303 expected)"
