#!/usr/bin/env python3
"""Verifies a RiskGate audit export on the receiving side (a SIEM), independently of RiskGate.

    riskgate audit key --secrets-key KEYFILE --output audit.keys      # once, kept by the SIEM
    riskgate audit export STATE > export.jsonl
    python3 scripts/verify-audit-export.py audit.keys export.jsonl [--after-hash HASH]

Each record's hash is HMAC-SHA256, under the audit key its `key_id` names, of its `prev_hash`
(64 ASCII hex digits) followed by its canonical bytes: `riskgate-audit-v2\\n`, then id, time,
kind, user, policy_hash, outcome, rules, signals, method, result, reference and key_id, each
written as `LENGTH:UTF8BYTES,` (LENGTH in bytes, decimal), or `-` when absent (JSON null).

The export must be consecutive records. The first record chains from 64 zeros when it is record
1; otherwise pass the hash of the last record verified before (--after-hash), or the check of
the first link is skipped with a note. Exit 0 when every record verifies, 1 otherwise.
"""
import hashlib
import hmac
import json
import sys

GENESIS = "0" * 64
FIELDS = ["id", "time", "kind", "user", "policy_hash", "outcome", "rules", "signals",
          "method", "result", "reference", "key_id"]


def load_keys(path):
    keys = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "riskgate-audit-key-v1":
                keys[parts[1]] = bytes.fromhex(parts[2])
    return keys


def canonical(record):
    out = bytearray(b"riskgate-audit-v2\n")
    for name in FIELDS:
        value = record.get(name)
        if value is None:
            out += b"-"
            continue
        data = str(value).encode("utf-8")
        out += str(len(data)).encode() + b":" + data + b","
    return bytes(out)


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    after_hash = None
    if "--after-hash" in argv:
        after_hash = argv[argv.index("--after-hash") + 1]
        args.remove(after_hash)
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    keys = load_keys(args[0])
    previous, expected_id, count = None, None, 0
    with open(args[1], encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            record = json.loads(line)
            rid = record["id"]
            if expected_id is None:
                if rid == 1:
                    previous = GENESIS
                elif after_hash is not None:
                    previous = after_hash
                else:
                    print(f"note: export starts at record {rid}; its link to earlier records is not checked",
                          file=sys.stderr)
                    previous = record["prev_hash"]
            elif rid != expected_id:
                print(f"record {expected_id} is missing (line {number} holds record {rid})")
                return 1
            if record["prev_hash"] != previous:
                print(f"record {rid}: prev_hash does not match the record before it")
                return 1
            key = keys.get(record["key_id"])
            if key is None:
                print(f"record {rid}: no audit key `{record['key_id']}`")
                return 1
            digest = hmac.new(key, previous.encode() + canonical(record), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(digest, record["hash"]):
                print(f"record {rid}: hash does not match its contents")
                return 1
            previous, expected_id, count = record["hash"], rid + 1, count + 1
    print(f"valid: {count} records, head {previous}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
