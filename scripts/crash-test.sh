#!/usr/bin/env bash
# Durability test (SPEC §5: "a crash at any point loses no acknowledged write").
#
# Two writer processes stream challenge commits (challenge + outbox + audit record, one transaction
# each) into one SQLite file; each prints a challenge id only after its commit returned. The script
# kill -9's the writers mid-stream, several rounds, then checks that
#   1. `riskgate audit verify` accepts the hash chain,
#   2. every acknowledged challenge id is in the database,
#   3. SQLite's integrity_check is ok.
# Usage: scripts/crash-test.sh [ROUNDS]   (builds the debug binary first)
# `swift test --filter CrashDurabilityTests` runs the same check (three rounds), and one on `riskgate serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
swift build --product riskgate >/dev/null
bin="$(swift build --show-bin-path)/riskgate"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="$work/state.db"

"$bin" account set --state "$db" --user crash-user --phone "+4915112345678" --email c@example.com >/dev/null
for round in $(seq 1 "$rounds"); do
    "$bin" challenge issue --state "$db" --user crash-user --count 100000 >>"$work/acked-a.jsonl" 2>>"$work/err.txt" &
    a=$!
    "$bin" challenge issue --state "$db" --user crash-user --count 100000 >>"$work/acked-b.jsonl" 2>>"$work/err.txt" &
    b=$!
    sleep "0.$((RANDOM % 9 + 1))"
    sleep 1
    kill -9 "$a" "$b" 2>/dev/null || true
    wait "$a" 2>/dev/null || true
    wait "$b" 2>/dev/null || true
    echo "round $round: $(cat "$work"/acked-*.jsonl | wc -l) acknowledged so far"
done

status=0
"$bin" audit verify "$db" || status=1
python3 - "$db" "$work" <<'PY' || status=1
import glob, json, sqlite3, sys
db, work = sys.argv[1], sys.argv[2]
acked = []
for name in glob.glob(work + "/acked-*.jsonl"):
    for line in open(name):
        line = line.strip()
        if not line:
            continue
        try:
            acked.append(json.loads(line)["id"])
        except ValueError:
            pass  # a line cut by the kill was never acknowledged
con = sqlite3.connect(db)
stored = {row[0] for row in con.execute("SELECT id FROM challenges")}
missing = [i for i in acked if i not in stored]
integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
audit = con.execute("SELECT count(*) FROM audit").fetchone()[0]
print(f"acknowledged {len(acked)}, stored challenges {len(stored)}, audit records {audit}, "
      f"missing acknowledged {len(missing)}, integrity {integrity}")
sys.exit(1 if missing or integrity != "ok" else 0)
PY
if [ -s "$work/err.txt" ]; then echo "writer stderr:"; sort "$work/err.txt" | uniq -c | head; fi
[ "$status" -eq 0 ] && echo "crash test passed" || echo "crash test FAILED"
exit "$status"
