#!/usr/bin/env bash
# Service speed with the settings users run, in one run: a quiet server (`--log-level warning`)
# sets the ceiling with /healthz; a server with default flags (access log on, at `info`) is then
# measured on /healthz and on decisions at 64, 4 and 1 connections, and the ratios are printed.
#
#   scripts/service-bench.sh [--policy policies/web-login.yaml] [--users 5000] [--duration 10s]
#                            [--bin PATH/riskgate] [--log FILE]
#
# It builds `riskgate` in release mode (unless --bin), prepares one state database with
# scripts/load-test.sh (20 past logins a user, enrolled accounts, a warm-up), copies it for the two
# servers, and runs wrk against one server at a time. The default server's log goes to --log (a
# temporary file by default), as a deployment's would go to a file or a pipe. Server CPU per request
# is read from /proc/PID/stat.
#
# wrk's percentiles are corrected for coordinated omission: a response that took T counts as if
# the requests a steady client would have sent meanwhile had waited too (T, T - i, T - 2i, ... for
# the mean interval i of a connection). One 40 ms stall at one connection thus adds ~100 samples,
# and p99 stays under 2 ms only while stalls beyond 2 ms add up to under 1 % of the run. The
# server's own durations of each decision (its access log) are printed beside them.
# Exit status: 0 ok, 1 a run failed, 2 usage or setup errors.
set -euo pipefail

policy="policies/web-login.yaml" users=5000 duration="10s" bin="" log=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --policy) policy="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "service-bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "service-bench: wrk not found (apt-get install -y wrk)" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "$bin" ]]; then
  echo "building riskgate (release)..." >&2
  (cd "$root" && swift build -c release --product riskgate >&2)
  bin="$(cd "$root" && swift build -c release --show-bin-path)/riskgate"
fi
[[ -n "$log" ]] || log="$work/default-server.log"

geo=()
maxmind="$root/../shared/datasets/geo/maxmind-test"
if [[ -d "$maxmind" ]]; then
  for name in GeoIP2-City-Test GeoLite2-ASN-Test GeoIP2-Anonymous-IP-Test; do geo+=(--geo-db "$maxmind/$name.mmdb"); done
fi

echo "preparing the state ($users users) with scripts/load-test.sh..." >&2
"$root/scripts/load-test.sh" --policy "$policy" --state "$work/seed.db" --users "$users" --warmup 5s --duration 1s \
  "${geo[@]}" > "$work/prepare.out"
# Each copy with its secrets key file (the server refuses a database without it); cp -p keeps it 0600.
for copy in quiet default; do
  cp -p "$work/seed.db" "$work/$copy.db"
  cp -p "$work/seed.db.key" "$work/$copy.db.key"
done

key="sb-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
(umask 077 && printf '%s decide,admin,metrics\n' "$key" > "$work/keys.txt")
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME STATE LOGFILE [FLAGS...]: a server; sets PORT_<NAME> and PID_<NAME>.
start() {
  local name="$1" state="$2" logfile="$3"; shift 3
  local port; port="$(free_port)"
  "$bin" serve --policy "$policy" --state "$state" "${geo[@]}" --listen "127.0.0.1:$port" --keys "$work/keys.txt" "$@" \
    2> "$logfile" &
  local pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "service-bench: $name server did not start" >&2; cat "$logfile" >&2; exit 2; }
  printf -v "PORT_$name" '%s' "$port"
  printf -v "PID_$name" '%s' "$pid"
}
start quiet "$work/quiet.db" "$work/quiet-server.log" --log-level warning
start default "$work/default.db" "$log"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"

# server_percentiles FROM_LINE: p50 and p99 of the decision durations the default server logged
# after line FROM_LINE of its access log (from request head to response, inside the server).
server_percentiles() {
  tail -n +"$(($1 + 1))" "$log" | python3 -c '
import json, sys
d = []
for line in sys.stdin:
    try: j = json.loads(line)
    except ValueError: continue
    if j.get("msg") == "request" and j.get("http.route") == "/v1/decisions" and "duration_ms" in j: d.append(float(j["duration_ms"]))
d.sort()
print("server p50 %.2fms p99 %.2fms" % (d[len(d) // 2], d[int(len(d) * 0.99)]) if d else "")'
}

# run LABEL PID COMMAND...: runs wrk, prints one row: rate, p50, p99, server CPU a request (and,
# for decisions on the default server, the percentiles of the durations it logged itself).
run() {
  local label="$1" pid="$2"; shift 2
  local before after out rate p50 p99 cpu lines
  lines="$(wc -l < "$log")"
  before="$(ticks "$pid")"
  out="$("$@")"
  after="$(ticks "$pid")"
  rate="$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p; s/^requests\/s: *\([0-9.]*\).*/\1/p' <<< "$out" | head -n 1)"
  p50="$(awk '$1 == "50%" {print $2} $2 == "p50:" {print $3 "ms"}' <<< "$out" | head -n 1)"
  p99="$(awk '$1 == "99%" {print $2} $2 == "p99:" {print $3 "ms"}' <<< "$out" | head -n 1)"
  if grep -q 'non-2xx responses: [1-9]\|Non-2xx' <<< "$out"; then echo "service-bench: FAIL: non-2xx responses in $label" >&2; echo "$out" >&2; exit 1; fi
  local seconds="${duration%s}"
  cpu="$(awk -v t=$((after - before)) -v hz="$hz" -v r="$rate" -v s="$seconds" 'BEGIN { printf "%.0f", t / hz / (r * s) * 1e6 }')"
  local inside=""
  [[ "$pid" == "$PID_default" && "$label" == decisions* ]] && inside="  $(server_percentiles "$lines")"
  printf '%-44s %10.0f/s  p50 %-9s p99 %-9s %5s µs CPU a request%s\n' "$label" "$rate" "$p50" "$p99" "$cpu" "$inside"
}
healthz() { wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:$1/healthz"; }
decisions() {
  local threads=2; [[ "$2" -lt 2 ]] && threads=1
  "$root/scripts/load-test.sh" --url "http://127.0.0.1:$1" --key "$key" --users "$users" --warmup 0 \
    --duration "$duration" --connections "$2" --threads "$threads"
}

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ceiling_line="$(run "healthz, --log-level warning (ceiling)" "$PID_quiet" healthz "$PORT_quiet")"; echo "$ceiling_line"
default_line="$(run "healthz, default flags" "$PID_default" healthz "$PORT_default")"; echo "$default_line"
d64_line="$(run "decisions, default flags, 64 connections" "$PID_default" decisions "$PORT_default" 64)"; echo "$d64_line"
d4_line="$(run "decisions, default flags, 4 connections" "$PID_default" decisions "$PORT_default" 4)"; echo "$d4_line"
d1_line="$(run "decisions, default flags, 1 connection" "$PID_default" decisions "$PORT_default" 1)"; echo "$d1_line"
q64_line="$(run "decisions, --log-level warning, 64 connections" "$PID_quiet" decisions "$PORT_quiet" 64)"; echo "$q64_line"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

rate_of() { awk '{for (i = 1; i <= NF; i++) if ($i ~ /\/s$/) { sub(/\/s$/, "", $i); print $i; exit }}' <<< "$1"; }
ceiling="$(rate_of "$ceiling_line")"
ratio() { awk -v a="$(rate_of "$1")" -v c="$ceiling" 'BEGIN { printf "%.2f", a / c }'; }
echo "ratios to the quiet server's /healthz rate ($ceiling/s):"
echo "  healthz, default flags:              $(ratio "$default_line")  (target >= 0.8)"
echo "  decisions, default flags, 64 conns:  $(ratio "$d64_line")  (target >= 0.5)"
# The first p99 of a row is wrk's, the second (after "server") the server's own.
p99_of() { awk -v n="$2" '{for (i = 1; i <= NF; i++) if ($i == "p99" && ++seen == n) { print $(i + 1); exit }}' <<< "$1"; }
echo "  p99 at 4 and 1 connections:          $(p99_of "$d4_line" 1) / $(p99_of "$d1_line" 1)  (target < 2 ms)"
echo "  the server's own p99 at 4 and 1:     $(p99_of "$d4_line" 2) / $(p99_of "$d1_line" 2)"
echo "access-log lines written by the default server: $(grep -c '"msg":"request"' "$log" || true)"
