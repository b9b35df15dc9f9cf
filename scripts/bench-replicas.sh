#!/usr/bin/env bash
# Decisions/s and latency of `riskgate serve` on SQLite, on PostgreSQL, and as two replicas on one
# PostgreSQL database, in one run on one machine (docs/performance.md):
#
#   bash scripts/with-postgres.sh bash scripts/bench-replicas.sh [--users 2000] [--duration 20s]
#
# 1. one replica, SQLite: scripts/load-test.sh as usual (history replayed, accounts enrolled, warm-up);
# 2. one replica, PostgreSQL: the same on a new database;
# 3. on that database, now warm: one replica, then two replicas, each driven by its own wrk with half
#    the threads and connections (the same 2 threads / 64 connections in total), for --duration.
# Prints each case's wrk summary; for two replicas add the requests/s and take the larger p99.
set -euo pipefail
cd "$(dirname "$0")/.."

users=2000 duration="20s"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) users="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    *) echo "bench-replicas: unknown argument $1" >&2; exit 2 ;;
  esac
done
base="${RISKGATE_TEST_POSTGRES_URL:?run under scripts/with-postgres.sh (or set RISKGATE_TEST_POSTGRES_URL)}"
policy=policies/web-login.yaml
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Its own build folder, so the benchmark can build while `swift test` holds .build.
swift build -c release --product riskgate --scratch-path .build-release >&2
bin="$(swift build -c release --scratch-path .build-release --show-bin-path)/riskgate"
export RISKGATE_BINARY="$bin"
"$bin" keygen "$work/secrets.key" >/dev/null
export RISKGATE_SECRETS_KEY="$work/secrets.key"
psql "$base" -qc "CREATE DATABASE rgbench" >/dev/null
url="${base%/*}/rgbench?sslmode=disable"

echo "== 1. one replica, SQLite"
bash scripts/load-test.sh --policy "$policy" --state "$work/lt.db" --users "$users" --duration "$duration" | grep -E '^(requests|latency|non-2xx)'
echo "== 2. one replica, PostgreSQL"
bash scripts/load-test.sh --policy "$policy" --state "$url" --users "$users" --duration "$duration" | grep -E '^(requests|latency|non-2xx)'

key="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s decide,metrics\n' "$key" > "$work/keys.txt")
# Starts a replica on the database; sets `port`.
start() {
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  "$bin" serve --policy "$policy" --state "$url" --listen "127.0.0.1:$port" --keys "$work/keys.txt" --log-level warning \
    2>>"$work/server.log" &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}
start; a="$port"
echo "== 3a. one replica, PostgreSQL, warm database (2 threads, 64 connections)"
bash scripts/load-test.sh --url "http://127.0.0.1:$a" --key "$key" --warmup 0 --duration "$duration" | grep -E '^(requests|latency|non-2xx)'
start; b="$port"
echo "== 3b. two replicas, PostgreSQL, same database (each 1 thread, 32 connections)"
bash scripts/load-test.sh --url "http://127.0.0.1:$a" --key "$key" --warmup 0 --duration "$duration" --threads 1 --connections 32 \
  > "$work/a.out" &
side_a=$!
bash scripts/load-test.sh --url "http://127.0.0.1:$b" --key "$key" --warmup 0 --duration "$duration" --threads 1 --connections 32 \
  > "$work/b.out"
wait "$side_a" || true
for side in a b; do echo "-- replica $side"; grep -E '^(requests|latency|non-2xx)' "$work/$side.out"; done
"$bin" audit verify "$url"
