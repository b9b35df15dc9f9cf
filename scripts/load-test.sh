#!/usr/bin/env bash
# Load test of the decision endpoint with wrk: realistic, varied login requests.
#
#   scripts/load-test.sh --policy policies/web-login.yaml [--state /tmp/lt.db] [--users 5000]
#                        [--warmup 10s] [--duration 20s] [--threads 2] [--connections 64]
#                        [--geo-db FILE.mmdb ...] [--no-geo]
#   scripts/load-test.sh --url http://127.0.0.1:8080 --key DECIDE_KEY     # an already running server
#   RISKGATE_BINARY=path/to/riskgate scripts/load-test.sh ...              # a release build made elsewhere
#
# Without --url it builds `riskgate` in release mode, starts `riskgate serve` on a free 127.0.0.1 port
# with a fresh random API key and the given policy and state (a temporary database when --state is
# omitted) and MMDB databases (by default the MaxMind test databases in ../shared/datasets, when
# present: City, ASN, Anonymous-IP), enrols --users accounts, warms up (users build history; not measured), runs wrk, prints
# requests/s and latency percentiles, and stops the server.
# Exit status: 0 ok, 1 when any response was not 200 or the server died, 2 usage or setup errors.
set -euo pipefail

policy="" state="" duration="20s" threads=2 connections=64 url="" key="" users=5000 warmup="10s"
geo=() default_geo=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --policy) policy="$2"; shift 2 ;;
    --state) state="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --url) url="$2"; shift 2 ;;
    --key) key="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --geo-db) geo+=(--geo-db "$2"); default_geo=0; shift 2 ;;
    --no-geo) default_geo=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "load-test: unknown argument $1" >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "load-test: wrk not found (apt-get install -y wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "load-test: curl not found" >&2; exit 2; }

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z "$url" ]]; then
  [[ -n "$policy" ]] || { echo "load-test: --policy P is required (or --url and --key)" >&2; exit 2; }
  [[ -f "$policy" ]] || { echo "load-test: policy $policy not found" >&2; exit 2; }
  root="$(cd "$(dirname "$0")/.." && pwd)"
  maxmind="$root/../shared/datasets/geo/maxmind-test"
  if [[ "$default_geo" == 1 && -d "$maxmind" ]]; then
    for name in GeoIP2-City-Test GeoLite2-ASN-Test GeoIP2-Anonymous-IP-Test; do
      geo+=(--geo-db "$maxmind/$name.mmdb")
    done
  fi
  echo "geo databases: ${geo[*]:-none}" >&2
  if [[ -n "${RISKGATE_BINARY:-}" ]]; then
    bin="$RISKGATE_BINARY"  # a release build made elsewhere (e.g. scripts/bench-replicas.sh)
  else
    echo "building riskgate (release)..." >&2
    (cd "$root" && swift build -c release --product riskgate >&2)
    bin="$(cd "$root" && swift build -c release --show-bin-path)/riskgate"
  fi
  key="lt-$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')"
  # The server refuses a keys file other users can read.
  (umask 077 && printf '%s decide,admin,metrics\n' "$key" > "$work/keys.txt")
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  [[ -n "$state" ]] || state="$work/state.db"
  "$bin" serve --policy "$policy" --state "$state" "${geo[@]}" --listen "127.0.0.1:$port" --keys "$work/keys.txt" \
    --log-level warning 2> "$work/server.log" &
  server_pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    kill -0 "$server_pid" 2>/dev/null || { echo "load-test: server exited:" >&2; cat "$work/server.log" >&2; exit 2; }
    sleep 0.1
  done
  curl -fsS "$url/healthz" >/dev/null || { echo "load-test: server did not become healthy" >&2; exit 2; }
else
  [[ -n "$key" ]] || { echo "load-test: --url needs --key with the decide scope" >&2; exit 2; }
fi

# Users with an established history: each has logged in 20 times over the last 20 days from home
# (own IP, own device, own typing rhythm). The history is replayed into the state database first
# (`riskgate replay --state`), as a deployment would import it; then accounts are enrolled.
if [[ -n "$server_pid" ]]; then
  echo "replaying 20 past logins for each of $users users into $state..." >&2
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  python3 - "$users" > "$work/history.jsonl" <<'PY'
import random, sys, time
users = int(sys.argv[1])
countries = ["DE", "DE", "DE", "FR", "NL", "US", "GB", "PL", "BR", "NG"]
coords = {"DE": (52.52, 13.40), "FR": (48.85, 2.35), "NL": (52.37, 4.90), "US": (40.71, -74.0),
          "GB": (51.51, -0.13), "PL": (52.23, 21.01), "BR": (-23.55, -46.63), "NG": (6.52, 3.38)}
rng = random.Random(7)
now = time.time()
events = []
for u in range(1, users + 1):
    for k in range(20):
        events.append((now - 86400 * 20 + k * 86400 + rng.uniform(0, 3600), u))
events.sort()
for t, u in events:
    home = countries[u % len(countries)]
    lat, lon = coords[home]
    keys, at = [], 0
    for i in range(1, 11):
        base, gap = 70 + (u * 7 + i * 13) % 60, 110 + (u * 11 + i * 17) % 120
        hold = base + rng.randint(-8, 8)
        keys.append('{"down": %d, "up": %d}' % (at, at + hold))
        at += gap + rng.randint(-15, 15)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + "Z"
    print('{"time": "%s", "user": "u-%d", "channel": "web", "action": "login", "ip": "81.%d.%d.7", '
          '"geo": {"country": "%s", "lat": %.3f, "lon": %.3f, "accuracy_km": 20}, '
          '"device": {"id": "d-%d", "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0", "emulator": false, "rooted": false}, '
          '"typing": {"field": "password", "keys": [%s]}, "result": "success"}'
          % (stamp, u, (u // 256) % 200 + 10, u % 256, home, lat, lon, u, ", ".join(keys)))
PY
  "$bin" replay --policy "$policy" --dataset "$work/history.jsonl" --state "$state" "${geo[@]}" --format json > "$work/history-report.json"
  "$bin" serve --policy "$policy" --state "$state" "${geo[@]}" --listen "127.0.0.1:$port" --keys "$work/keys.txt" \
    --log-level warning 2> "$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fsS "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

  # Accounts as a directory holds them: home country, phone, email; the first 500 also two KBA
  # answers (PBKDF2-hashed on arrival, so enrolment is the slow part).
  echo "enrolling $users accounts..." >&2
  python3 - "$url" "$key" "$users" <<'PY'
import http.client, json, sys, urllib.parse
url, key, users = urllib.parse.urlparse(sys.argv[1]), sys.argv[2], int(sys.argv[3])
countries = ["DE", "DE", "DE", "FR", "NL", "US", "GB", "PL", "BR", "NG"]
conn = http.client.HTTPConnection(url.hostname, url.port)
for u in range(1, users + 1):
    body = {"home_country": countries[u % len(countries)], "phone": "+49151%07d" % u, "email": "u%d@example.com" % u}
    if u <= 500:
        body["kba"] = [{"question": "first pet", "answer": "pet %d" % u}, {"question": "birth city", "answer": "city %d" % u}]
    conn.request("PUT", "/v1/accounts/u-%d" % u, json.dumps(body),
                 {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit("enrolment of u-%d failed: %d" % (u, response.status))
PY
fi

# Realistic traffic: each user logs in from home (own IP, own device, typing of a stable rhythm)
# most of the time; a few requests come from a new device, from travel abroad (another country and
# IP), with a failed password, or for a sensitive action. New users start high-risk and settle as
# their history builds up, as in production.
cat > "$work/decisions.lua" <<LUA
math.randomseed(42)
local countries = {"DE", "DE", "DE", "FR", "NL", "US", "GB", "PL", "BR", "NG"}
local coords = {DE = {52.52, 13.40}, FR = {48.85, 2.35}, NL = {52.37, 4.90}, US = {40.71, -74.0},
                GB = {51.51, -0.13}, PL = {52.23, 21.01}, BR = {-23.55, -46.63}, NG = {6.52, 3.38}}
local n = 0
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $key"
wrk.headers["Content-Type"] = "application/json"

-- A user's typing: the same rhythm each time (seeded by the user) with small jitter.
local function typing(user)
  local keys, t = {}, 0
  for i = 1, 10 do
    local base = 70 + ((user * 7 + i * 13) % 60)
    local gap = 110 + ((user * 11 + i * 17) % 120)
    local hold = base + math.random(-8, 8)
    keys[#keys + 1] = string.format('{"down": %d, "up": %d}', t, t + hold)
    t = t + gap + math.random(-15, 15)
  end
  return '{"field": "password", "keys": [' .. table.concat(keys, ", ") .. ']}'
end

request = function()
  n = n + 1
  local user = math.random(1, $users)
  local home = countries[user % #countries + 1]
  local country, ip = home, string.format("81.%d.%d.%d", math.floor(user / 256) % 200 + 10, user % 256, 7)
  local device = string.format("d-%d", user)
  local action, result = "login", "success"
  local roll = math.random()
  if roll < 0.03 then
    country = countries[math.random(#countries)]
    ip = string.format("%d.%d.%d.%d", math.random(100, 200), math.random(0, 255), math.random(0, 255), math.random(1, 254))
  elseif roll < 0.08 then
    device = string.format("d-new-%d", math.random(1, 1e6))
  elseif roll < 0.10 then
    result = "failure"
  elseif roll < 0.13 then
    action = (math.random() < 0.5) and "password_reset" or "payment"
  end
  local c = coords[country]
  local body = string.format(
    '{"id": "lt-%d-%d", "user": "u-%d", "channel": "web", "action": "%s", "ip": "%s", ' ..
    '"geo": {"country": "%s", "lat": %.3f, "lon": %.3f, "accuracy_km": 20}, ' ..
    '"device": {"id": "%s", "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/132.0", "emulator": false, "rooted": false}, ' ..
    '"typing": %s, "result": "%s"}',
    id or 0, n, user, action, ip, country, c[1], c[2], device, typing(user), result)
  return wrk.format(nil, "/v1/decisions", nil, body)
end

local statuses = {}
response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
setup = function(thread)
  thread:set("id", #threads + 1)
  threads[#threads + 1] = thread
end

done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("non-2xx responses: %d, socket errors: %d\n",
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

if [[ "$warmup" != "0" && "$warmup" != "0s" ]]; then
  echo "warm-up: wrk -t$threads -c$connections -d$warmup (not measured; users build their history)" >&2
  wrk -t"$threads" -c"$connections" -d"$warmup" -s "$work/decisions.lua" "$url" > "$work/warmup.out"
fi
echo "wrk -t$threads -c$connections -d$duration --latency $url/v1/decisions" >&2
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$work/decisions.lua" "$url" | tee "$work/wrk.out"

if [[ -n "$server_pid" ]] && ! kill -0 "$server_pid" 2>/dev/null; then
  echo "load-test: FAIL: the server died during the run" >&2; cat "$work/server.log" >&2; exit 1
fi
grep -q '^requests/s:' "$work/wrk.out" || { echo "load-test: FAIL: the wrk script did not run" >&2; exit 1; }
bad="$(sed -n 's/^non-2xx responses: \([0-9]*\).*/\1/p' "$work/wrk.out")"
if [[ "${bad:-0}" != "0" ]]; then echo "load-test: FAIL: $bad responses were not 2xx" >&2; exit 1; fi
curl -fsS "$url/healthz" >/dev/null || { echo "load-test: FAIL: /healthz after the run" >&2; exit 1; }
echo "decisions by outcome since start (warm-up included):"
curl -fsS -H "Authorization: Bearer $key" "$url/metrics" | grep '^riskgate_decisions_total' || true
