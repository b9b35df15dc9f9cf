#!/usr/bin/env bash
# Checks the running service against docs/openapi.yaml with schemathesis (PyPI): a bounded number
# of generated requests per operation, failing on any 5xx, a response that does not match its
# schema, an undocumented status or content type. Usage: scripts/api-contract.sh [EXAMPLES]
# (default 50). Uses the debug build that `swift test` leaves (builds it when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-50}

if ! command -v schemathesis >/dev/null 2>&1; then
    python3 -m pip install -q schemathesis
fi
binary=.build/debug/riskgate
[ -x "$binary" ] || swift build --product riskgate

work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

key="contract-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
(umask 077; echo "$key decide,verify,admin,metrics" > "$work/keys")
# A policy folder of its own: the test uploads policies, which may name list files beside it.
cp -r policies "$work/policies"
# Failed authentications are part of what is tested; their limit would turn keyed requests into 429s.
"$binary" serve --policy "$work/policies/web-login.yaml" --state "$work/state.db" --keys "$work/keys" \
    --listen 127.0.0.1:0 --log-level notice --rate-limit-auth-failures off 2> "$work/server.log" &
server=$!
port=""
for _ in $(seq 1 200); do
    port=$(grep -o '"port":"[0-9]*"' "$work/server.log" | head -1 | grep -o '[0-9]\+' || true)
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start"; cat "$work/server.log"; exit 1; }

schemathesis run "http://127.0.0.1:$port/openapi.json" \
    --header "Authorization: Bearer $key" \
    --checks not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance,response_headers_conformance \
    --max-examples "$examples" --seed 1 --no-color
if grep -q '"level":"error"' "$work/server.log"; then
    echo "the server logged errors:"; grep '"level":"error"' "$work/server.log" | head -20
    exit 1
fi
echo "api contract: schemathesis found no failure"
