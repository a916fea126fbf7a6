#!/usr/bin/env bash
# Where a bulk revocation's time goes, statement by statement: runs `apikeys dev` with PostgreSQL's
# auto_explain logging EXPLAIN (ANALYZE, BUFFERS) of every statement over 20 ms, revokes N
# publishable keys by selector with revoke_in 0 through the command line, runs the floor (one
# UPDATE of as many rows), and prints each logged statement's duration with its first line.
# Plans in full: $work/pg.log. Needs `psql` on the PATH (the only thing bin/bench does not);
# docs/benchmarks.md says how to read it.
#
#   bench/explain-bulk.sh [N]        N keys, default 100000
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
n="${1:-100000}"
jar="$root/worker/target/apikeys.jar"
work="$(mktemp -d -t apikeys-explain.XXXXXX)"
command -v psql >/dev/null || { echo "explain-bulk: psql is not on the PATH" >&2; exit 2; }
(cd "$root" && mvn -B -q -ntp -DskipTests package -pl worker -am >&2)

pid=""
start_dev() {
  APIKEYS_DEV_DATA_DIR="$work/data" APIKEYS_DEV_POSTGRES_PORT=35432 \
    APIKEYS_DEV_TEMPORAL_PORT=37233 APIKEYS_METRICS_PORT=0 \
    setsid java -jar "$jar" dev >"$work/dev.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 120); do
    grep -q "Press Ctrl-C" "$work/dev.log" && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 1
  done
  cat "$work/dev.log" >&2
  exit 1
}
stop_dev() {
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
}
trap stop_dev EXIT

start_dev
url="$(grep -o "jdbc:postgresql://[^']*" "$work/dev.log" | head -1)"
export PGPASSWORD="${url##*password=}"
sql() { psql -h 127.0.0.1 -p 35432 -U postgres -d postgres -v ON_ERROR_STOP=1 -q "$@"; }
sql -c "load 'auto_explain'" \
  -c "alter system set session_preload_libraries = 'auto_explain'" \
  -c "alter system set auto_explain.log_min_duration = '20ms'" \
  -c "alter system set auto_explain.log_analyze = on" \
  -c "alter system set auto_explain.log_buffers = on" \
  -c "alter system set auto_explain.log_nested_statements = on" \
  -c "alter system set logging_collector = on" \
  -c "alter system set log_directory = 'log'"
stop_dev
sleep 2
start_dev
sql -c "insert into api_key (id, token, salt, redacted, title, type, created_by)
        select 'apk_explain_' || i, 'pk_explain_' || i || '_' || md5(random()::text), '',
          'pk_***', 'explain', 'publishable', 'explain'
        from generate_series(1, $n) i" \
  -c "analyze api_key"

export APIKEYS_DATABASE_URL="$url" TEMPORAL_ADDRESS=127.0.0.1:37233
started=$(date +%s%N)
java -jar "$jar" revoke --selector '{"created_by":"explain"}' --revoked-by explain \
  --revoke-in 0 --wait >"$work/result.json"
echo "revocation of $n keys through the command line, start to result:" \
  "$(( ($(date +%s%N) - started) / 1000000 )) ms (auto_explain's timing included)"
sql -c "explain (analyze, buffers)
        update api_key set revoked_at = now(), revoked_by = 'floor' where created_by = 'explain'" \
  >/dev/null
stop_dev
trap - EXIT
cat "$work"/data/log/*.log >"$work/pg.log"
# One line per logged statement: its duration, then the start of its text on one line.
awk '/duration: .* plan:/ { d = $0; sub(/.*duration: /, "", d); sub(/ plan:.*/, "", d); q = ""; want = 1; next }
     want && (/^[ \t]*$/ || /\(cost=/) { printf "%12s  %s\n", d, substr(q, 1, 110); want = 0; next }
     want { t = $0; sub(/.*Query Text: /, "", t); gsub(/[ \t]+/, " ", t); q = q " " t }' \
  "$work/pg.log"
echo "plans in full: $work/pg.log"
