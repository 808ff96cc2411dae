#!/bin/sh
# Side by side with a peer: rungs and Redmine (Debian 12's `redmine` + `redmine-sqlite`,
# served by Debian's `puma`), both on SQLite, both on 127.0.0.1, the same load from wrk.
#
#   BIN=target/release/rungs bench/peer.sh
#
# Run as root (it installs the Debian packages if missing and adds a throwaway Redmine
# instance). Build rungs first: cargo build --release --bin rungs
#
# For each peer, on a fresh database:
#   1. seed ROWS rows through the JSON API, one request at a time (curl);
#   2. the list page, signed in through the login form (session cookie), 50 rows a page:
#      rungs `/incidents`, Redmine `/projects/peer-bench/issues?per_page=50`;
#   3. filing through the JSON API, a different subject on every request:
#      rungs `POST /api/v1/incidents` (Bearer token), Redmine `POST /issues.json`
#      (X-Redmine-API-Key); then the rows stored are counted and set against the 201s.
# Each load runs DURATION at each connection count in CONNS (1 connection: wrk -t1 -c1;
# more: wrk -t2). Prints a Markdown table.
#
# Redmine runs once per value of REDMINE_TIMEOUTS: `none` is database.yml as Debian's
# dbconfig writes it (no SQLite busy timeout), a number is `timeout: N` (milliseconds)
# added to it.
set -eu

BIN=${BIN:-target/release/rungs}
ROWS=${ROWS:-1000}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-1 32}
PEERS=${PEERS:-rungs redmine}
PORT=${PORT:-8094}
RPORT=${RPORT:-8095}
RUNGS_WORKERS=${RUNGS_WORKERS:-2}
PUMA_WORKERS=${PUMA_WORKERS:-2}
PUMA_THREADS=${PUMA_THREADS:-5}
REDMINE_TIMEOUTS=${REDMINE_TIMEOUTS:-none 5000}
REDMINE_ROOT=/usr/share/redmine
INSTANCE=rungs-peer-$$

case "$BIN" in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
[ -x "$BIN" ] || { echo "no rungs binary at $BIN (cargo build --release --bin rungs, or set BIN)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root: it installs Debian packages and adds a Redmine instance" >&2; exit 1; }

# 1. Debian's packages.
NEED=
for p in redmine redmine-sqlite puma wrk sqlite3 curl; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' || NEED="$NEED $p"
done
if [ -n "$NEED" ]; then
  echo "installing:$NEED" >&2
  # redmine-sqlite's postinst also sets up the package's `default` instance; unused here.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $NEED >&2
fi

WORK=$(mktemp -d /tmp/peer.XXXXXX)
chmod 755 "$WORK"
SERVER=
PUMA=
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
  [ -n "$PUMA" ] && kill "$PUMA" 2>/dev/null || true
  sleep 1
  rm -f "$REDMINE_ROOT/instances/$INSTANCE"
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
wait_http() { # url seconds
  i=0
  while [ "$i" -lt "$(($2 * 5))" ]; do
    curl -s -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
    i=$((i + 1))
  done
  echo "nothing answered at $1 in $2 s" >&2
  return 1
}
count_rows() { # sqlite-file table
  sqlite3 -cmd '.timeout 30000' "$1" "SELECT count(*) FROM $2;"
}
# The count once it has stopped moving: requests still queued when wrk stops may be
# processed after it has gone.
settled_count() { # sqlite-file table
  prev=$(count_rows "$1" "$2")
  while :; do
    sleep 1
    now=$(count_rows "$1" "$2")
    [ "$now" = "$prev" ] && break
    prev=$now
  done
  echo "$now"
}

# wrk scripts. RESULT line: responses, run time, latency p50/p99 (µs), socket errors,
# wrk's count of statuses > 399, and (filing only) every status seen.
cat >"$WORK/common.lua" <<'EOF'
local threads = {}
local nthreads = 0
function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
  table.insert(threads, thread)
end
function done(summary, latency, requests)
  local codes, list = {}, {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then for k, v in pairs(s) do codes[k] = (codes[k] or 0) + v end end
  end
  for k, v in pairs(codes) do table.insert(list, k .. ":" .. v) end
  table.sort(list)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d socket=%d status_errors=%d codes=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status, table.concat(list, ",")))
end
EOF
cp "$WORK/common.lua" "$WORK/list.lua"
{
  cat "$WORK/common.lua"
  cat <<'EOF'
-- wrk ... -s filing.lua URL -- BODY_FORMAT HEADER VALUE RUN_TAG
statuses = {}
counter = 0
function init(args)
  bodyfmt, tag = args[1], args[4]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers[args[2]] = args[3]
end
function request()
  counter = counter + 1
  local subject = string.format("Chasing the approval desk again, order %s-%d-%d", tag, tid, counter)
  return wrk.format(nil, nil, nil, string.format(bodyfmt, subject))
end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
EOF
} >"$WORK/filing.lua"

# curl config posting ROWS rows one after another on one connection.
seed_config() { # url header body-format
  i=1
  while [ "$i" -le "$ROWS" ]; do
    # shellcheck disable=SC2059
    body=$(printf "$3" "Seeded incident $i: waiting on the approval desk")
    printf 'url = "%s"\nheader = "%s"\nheader = "Content-Type: application/json"\ndata = "%s"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$1" "$2" "$(printf '%s' "$body" | sed 's/\\/\\\\/g; s/"/\\"/g')"
    [ "$i" -lt "$ROWS" ] && echo next
    i=$((i + 1))
  done
}

PLOG=
ROWS_OUT="$WORK/rows"
NOTES="$WORK/notes"
: >"$ROWS_OUT"
: >"$NOTES"

# One wrk point; appends a table row. name load conns url db table header-or-empty [filing args...]
point() {
  name=$1 load=$2 conns=$3 url=$4 db=$5 table=$6 header=$7
  shift 7
  threads=2
  [ "$conns" -lt 2 ] && threads=1
  before=$(count_rows "$db" "$table")
  [ -n "$PLOG" ] && logbefore=$(wc -l <"$PLOG")
  LOAD=$(loadavg)
  if [ "$load" = filing ]; then
    wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 30s -s "$WORK/filing.lua" "$url" -- "$@" >"$WORK/wrk.out" 2>&1
  else
    wrk -t"$threads" -c"$conns" -d"$DURATION" --timeout 30s -s "$WORK/list.lua" -H "$header" "$url" >"$WORK/wrk.out" 2>&1
  fi
  cat "$WORK/wrk.out" >>"$WORK/wrk.all"
  RES=$(grep "^RESULT" "$WORK/wrk.out") || { cat "$WORK/wrk.out" >&2; exit 1; }
  after=$(settled_count "$db" "$table")
  # Redmine's own record of what it answered (production.log, one line per request),
  # which also counts answers written after wrk had gone.
  served=
  orphans=
  if [ -n "$PLOG" ] && [ "$load" = filing ]; then
    tail -n +"$((logbefore + 1))" "$PLOG" >"$WORK/log.part"
    # Requests answered other than 201 whose issue was stored all the same (request id ->
    # subject from the Parameters line, request id -> status from the Completed line).
    sed -n 's/.* -- : \[\([0-9a-f-]*\)\].*"subject"=>"\([^"]*\)".*/\1\t\2/p' "$WORK/log.part" | sort >"$WORK/subjects"
    sed -n 's/.* -- : \[\([0-9a-f-]*\)\] Completed \([0-9]*\).*/\1\t\2/p' "$WORK/log.part" | sort >"$WORK/answers"
    join -t "$(printf '\t')" "$WORK/subjects" "$WORK/answers" | awk -F'\t' '$3 != 201 {print $2}' | sort -u >"$WORK/failed"
    sqlite3 -cmd '.timeout 30000' "$db" "SELECT subject FROM $table WHERE subject LIKE '% order $4-%';" | sort >"$WORK/stored"
    orphans=$(comm -12 "$WORK/failed" "$WORK/stored" | wc -l)
    served=$(awk '/Completed [0-9][0-9][0-9]/ {
        for (i = 1; i <= NF; i++) if ($i == "Completed") n[$(i + 1)]++
      } END { for (c in n) { printf "%s%s:%d", sep, c, n[c]; sep = "," } }' "$WORK/log.part" | tr ',' '\n' | sort | paste -sd, -)
  fi
  echo "$RES" | awk -v name="$name" -v kind="$load" -v conns="$conns" -v la="$LOAD" -v served="$served" -v orphans="$orphans" \
    -v stored=$((after - before)) '
    {
      for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      n = split(v["codes"], cs, ",")
      for (i = 1; i <= n; i++) { split(cs[i], c, ":"); code[c[1]] = c[2] }
      secs = v["duration_us"] / 1e6
      if (kind == "filing") {
        ok = code["201"] + 0
        bad = v["requests"] - ok + v["socket"]
        rows = sprintf("%d / %d", stored, ok)
        detail = v["codes"]
        if (served != "") detail = detail "; server log " served "; answered an error yet stored: " orphans
      } else {
        ok = v["requests"] - v["status_errors"]
        bad = v["status_errors"] + v["socket"]
        rows = ""
        detail = "non-2xx/3xx:" v["status_errors"]
      }
      if (v["socket"] > 0) detail = detail (detail == "" ? "" : ", ") "socket errors:" v["socket"]
      total = v["requests"] + v["socket"]
      printf "| %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %.2f%% | %s | %s | %s |\n",
        name, kind, conns, v["requests"] / secs, ok / secs, v["p50_us"] / 1000, v["p99_us"] / 1000,
        total ? 100 * bad / total : 0, rows, detail, la
    }' >>"$ROWS_OUT"
  tail -1 "$ROWS_OUT" >&2
}

run_rungs() {
  DB="$WORK/rungs.db"
  BASE="http://127.0.0.1:$PORT"
  echo 'bench password' | "$BIN" user add bench --name "Bench" --role admin --database-url "$DB" >/dev/null
  TOKEN=$("$BIN" token create bench --database-url "$DB")
  PLOG=
  "$BIN" serve --database-url "$DB" --bind "127.0.0.1:$PORT" --workers "$RUNGS_WORKERS" >"$WORK/rungs.log" 2>&1 &
  SERVER=$!
  wait_http "$BASE/healthz" 60
  curl -sf "$BASE/healthz" >/dev/null

  seed_config "$BASE/api/v1/incidents" "Authorization: Bearer $TOKEN" '{"title":"%s","category":"approval-chase"}' >"$WORK/seed.curl"
  START=$(date +%s)
  curl -s -K "$WORK/seed.curl" | sort | uniq -c >"$WORK/seed.codes"
  echo "rungs: seeded $ROWS rows in $(($(date +%s) - START)) s, statuses: $(awk '{printf "%s%s x%s", sep, $2, $1; sep = ", "}' "$WORK/seed.codes")" >>"$NOTES"
  [ "$(count_rows "$DB" incidents)" = "$ROWS" ] || { echo "rungs: seeding did not store $ROWS rows" >&2; cat "$WORK/seed.codes" >&2; exit 1; }

  # Sign in through the form, as a browser does.
  CSRF=$(curl -s -c "$WORK/jar" -b "$WORK/jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([0-9a-f]*\)".*/\1/p' | head -1)
  curl -s -o /dev/null -c "$WORK/jar" -b "$WORK/jar" --data-urlencode "csrf_token=$CSRF" \
    --data-urlencode "login=bench" --data-urlencode "password=bench password" --data-urlencode "next=/" "$BASE/login"
  COOKIE="rungs_session=$(awk '$6 == "rungs_session" {print $7}' "$WORK/jar")"
  list_check() {
    code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$BASE/incidents")
    n=$(grep -o '<td><a href="/incidents/[0-9]*">' "$WORK/page.html" | wc -l)
    [ "$code" = 200 ] && [ "$n" = 50 ] || { echo "rungs: /incidents answered $code with $n rows" >&2; exit 1; }
    echo "rungs: /incidents $1: 200, 50 rows, $(wc -c <"$WORK/page.html") bytes" >>"$NOTES"
  }
  list_check "before"
  for c in $CONNS; do point rungs list "$c" "$BASE/incidents" "$DB" incidents "Cookie: $COOKIE"; done
  list_check "after"
  for c in $CONNS; do
    point rungs filing "$c" "$BASE/api/v1/incidents" "$DB" incidents "" \
      '{"title":"%s","category":"approval-chase"}' Authorization "Bearer $TOKEN" "c$c"
  done
  echo "rungs: $(grep -c 'WARN\|ERROR' "$WORK/rungs.log" || true) log lines at WARN or ERROR" >>"$NOTES"
  HWM=$(awk '/^VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER/status")
  echo "rungs: peak RSS of rungs serve ${HWM} MB" >>"$NOTES"
  kill "$SERVER"
  wait "$SERVER" 2>/dev/null || true
  SERVER=
}

run_redmine() { # timeout: none or milliseconds
  R="$WORK/redmine-$1"
  DB="$R/db/redmine.sqlite3"
  BASE="http://127.0.0.1:$RPORT"
  if [ "$1" = none ]; then NAME="Redmine"; else NAME="Redmine, timeout $1"; fi
  mkdir -p "$R/config" "$R/log" "$R/tmp/cache" "$R/files" "$R/public/plugin_assets" "$R/db"
  # As Debian's dbconfig-common writes it for redmine-sqlite, in a directory of our own.
  {
    echo "production:"
    echo "  adapter: sqlite3"
    echo "  database: $DB"
    echo "  encoding: utf8"
    [ "$1" = none ] || echo "  timeout: $1"
  } >"$R/config/database.yml"
  ruby -rsecurerandom -e 'puts SecureRandom.hex(16)' >"$R/config/secret_key.txt"
  # Debian's Redmine is multi-instance: REDMINE_INSTANCE=NAME reads instances/NAME/.
  ln -sfn "$R" "$REDMINE_ROOT/instances/$INSTANCE"
  cat >"$R/setup.rb" <<'EOF'
Setting.rest_api_enabled = '1'
u = User.new(firstname: 'Bench', lastname: 'Admin', mail: 'bench@example.org', language: 'en')
u.login = 'bench'
u.admin = true
u.password = u.password_confirmation = 'bench password'
u.must_change_passwd = false
u.status = User::STATUS_ACTIVE
u.save!
p = Project.new(name: 'Peer bench', identifier: 'peer-bench', is_public: false)
p.trackers = Tracker.sorted.to_a
p.save!
puts "KEY=#{u.api_key}"
puts "PROJECT=#{p.id}"
EOF
  (
    cd "$REDMINE_ROOT"
    export REDMINE_INSTANCE="$INSTANCE" RAILS_ENV=production
    SCHEMA=/dev/null bundle exec rake db:migrate >"$R/migrate.log" 2>&1
    REDMINE_LANG=en bundle exec rake redmine:load_default_data >>"$R/migrate.log" 2>&1
    bundle exec rails runner "$R/setup.rb" >"$R/setup.out"
  )
  . "$R/setup.out"
  (
    cd "$REDMINE_ROOT"
    export REDMINE_INSTANCE="$INSTANCE" RAILS_ENV=production
    exec puma -e production -w "$PUMA_WORKERS" -t "$PUMA_THREADS:$PUMA_THREADS" -b "tcp://127.0.0.1:$RPORT" config.ru
  ) >"$R/puma.log" 2>&1 &
  PUMA=$!
  wait_http "$BASE/login" 120
  # Both workers booted (puma answers from the first one already).
  i=0
  while [ "$(grep -c 'booted in' "$R/puma.log")" -lt "$PUMA_WORKERS" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i + 1)); done

  PLOG="$R/log/production.log"
  seed_config "$BASE/issues.json" "X-Redmine-API-Key: $KEY" "{\"issue\":{\"project_id\":$PROJECT,\"subject\":\"%s\"}}" >"$WORK/seed.curl"
  START=$(date +%s)
  curl -s -K "$WORK/seed.curl" | sort | uniq -c >"$WORK/seed.codes"
  echo "$NAME: seeded $ROWS rows in $(($(date +%s) - START)) s, statuses: $(awk '{printf "%s%s x%s", sep, $2, $1; sep = ", "}' "$WORK/seed.codes")" >>"$NOTES"
  [ "$(count_rows "$DB" issues)" = "$ROWS" ] || { echo "$NAME: seeding did not store $ROWS rows" >&2; cat "$WORK/seed.codes" >&2; exit 1; }

  # Sign in through the form, as a browser does; the session cookie is named `Redmine`.
  rm -f "$WORK/jar"
  TOK=$(curl -s -c "$WORK/jar" -b "$WORK/jar" "$BASE/login" | sed -n 's/.*name="authenticity_token" value="\([^"]*\)".*/\1/p' | head -1)
  curl -s -o /dev/null -c "$WORK/jar" -b "$WORK/jar" --data-urlencode "authenticity_token=$TOK" \
    --data-urlencode "username=bench" --data-urlencode "password=bench password" "$BASE/login"
  COOKIE=$(awk -F'\t' 'NF == 7 {printf "%s%s=%s", sep, $6, $7; sep = "; "}' "$WORK/jar")
  LIST="$BASE/projects/peer-bench/issues?per_page=50"
  list_check() {
    code=$(curl -s -o "$WORK/page.html" -w '%{http_code}' -H "Cookie: $COOKIE" "$LIST")
    n=$(grep -o 'id="issue-[0-9]*"' "$WORK/page.html" | wc -l)
    [ "$code" = 200 ] && [ "$n" = 50 ] && grep -q 'Logged in as' "$WORK/page.html" ||
      { echo "$NAME: issue list answered $code with $n rows" >&2; exit 1; }
    echo "$NAME: issue list $1: 200, 50 rows, signed in, $(wc -c <"$WORK/page.html") bytes" >>"$NOTES"
  }
  list_check "before"
  for c in $CONNS; do point "$NAME" list "$c" "$LIST" "$DB" issues "Cookie: $COOKIE"; done
  list_check "after"
  for c in $CONNS; do
    point "$NAME" filing "$c" "$BASE/issues.json" "$DB" issues "" \
      "{\"issue\":{\"project_id\":$PROJECT,\"subject\":\"%s\"}}" X-Redmine-API-Key "$KEY" "c$c"
  done
  LOG="$R/log/production.log"
  echo "$NAME: production.log: $(grep -c 'Completed 500' "$LOG" || true) 'Completed 500', $(grep -c 'SQLite3::BusyException' "$LOG" || true) lines naming SQLite3::BusyException" >>"$NOTES"
  kill "$PUMA"
  wait "$PUMA" 2>/dev/null || true
  PUMA=
  rm -f "$REDMINE_ROOT/instances/$INSTANCE"
}

STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD0=$(loadavg)
for peer in $PEERS; do
  case "$peer" in
    rungs) run_rungs ;;
    redmine) for t in $REDMINE_TIMEOUTS; do run_redmine "$t"; done ;;
    *) echo "unknown peer $peer" >&2; exit 1 ;;
  esac
done

REDMINE_VERSION=$(dpkg-query -W -f='${Version}' redmine)
PUMA_VERSION=$(dpkg-query -W -f='${Version}' puma)
echo "Measured $STARTED on $(nproc) cores; load average $LOAD0 at the start, $(loadavg) at the end."
echo "$("$BIN" --version) at $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo '?'), \`serve --workers $RUNGS_WORKERS\`;"
echo "Redmine $REDMINE_VERSION (Debian) on puma $PUMA_VERSION, \`-e production -w $PUMA_WORKERS -t $PUMA_THREADS:$PUMA_THREADS\`."
echo "$ROWS rows seeded first; $DURATION per point; wrk --timeout 30s."
echo "Command: \`BIN=$BIN ROWS=$ROWS DURATION=$DURATION CONNS=\"$CONNS\" REDMINE_TIMEOUTS=\"$REDMINE_TIMEOUTS\" bench/peer.sh\`"
echo
echo "| peer | load | connections | req/s | ok/s | p50 ms | p99 ms | errors % | rows stored / 201s | statuses | load average |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|"
cat "$ROWS_OUT"
echo
sed 's/^/- /' "$NOTES"
