#!/usr/bin/env python3
"""Throw malformed and hostile HTTP requests at a running `riskgate serve` on 127.0.0.1.

Sends --count requests (default 10,000) drawn from: broken and truncated JSON, wrong types, unknown
fields, deep nesting, oversized bodies, lying Content-Length, bad or missing API keys, random bytes
instead of HTTP, path traversal and odd percent-encoding, wrong methods, huge headers. Every answer
must be below 500 (or the connection closed, for input that is not HTTP). Afterwards the server must
still answer /healthz and a valid decision.

Exit status: 0 when no 5xx was seen and the server is alive, 1 otherwise, 2 for usage errors.
Bounded: each request has a socket timeout and the whole run a --time-limit.

  scripts/fuzz-http.py --port 8080 --decide-key K1 --verify-key K2 --admin-key K3
"""
import argparse
import concurrent.futures
import json
import random
import re
import socket
import sys
import threading
import time

VALID = {
    "id": "evt-81", "time": "2026-11-20T10:00:00Z", "user": "u-42", "channel": "chat", "action": "login",
    "ip": "203.0.113.7", "geo": {"country": "DE", "lat": 52.52, "lon": 13.40, "accuracy_km": 20},
    "device": {"id": "d-9f2", "user_agent": "Mozilla/5.0", "emulator": False, "rooted": False},
    "typing": {"field": "password", "keys": [{"down": 0, "up": 95}, {"down": 180, "up": 260}]},
    "phone": {"ani": "+4915112345678"}, "result": "success",
}
HOSTILE_VALUES = [
    None, True, False, 0, -1, 1e308, -1e308, 1.5, 2**63, -(2**63) - 1, 10**400, "", "x" * 5000,
    "\u0000", "\ud7ff\ue000", "💥" * 100, "../../etc/passwd", "%00", "'; DROP TABLE users; --",
    [], {}, [1, [2, [3]]], {"a": {"b": {"c": None}}}, "NaN", "Infinity", "2026-13-45T99:99:99Z",
]
PATHS = [
    "/v1/decisions", "/v1/feedback", "/v1/challenges/ch-1/verify", "/v1/accounts/u-1", "/v1/policy",
    "/v1/policy/shadow", "/healthz", "/metrics",
]
TRAVERSAL = [
    "/../../etc/passwd", "/v1/../v1/decisions", "/v1/accounts/..%2F..%2Fetc%2Fpasswd", "/v1/accounts/%00",
    "/v1/accounts/%ZZ", "/v1/accounts/" + "a" * 5000, "/v1/challenges/%2e%2e/verify", "//v1//decisions",
    "/v1/accounts/%C0%AE%C0%AE", "/v1/challenges/" + "%41" * 300 + "/verify", "/v1/decisions?explain=" + "x" * 3000,
    "/v1/decisions?explain=%FF", "/%", "/v1/accounts/u%0D%0ASet-Cookie:x", "*", "http://evil.example/v1/decisions",
]


class Fuzzer:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.statuses = {}
        self.failures = []
        self.closed = 0

    # -- transport -------------------------------------------------------------------------------
    def raw(self, data: bytes, read_timeout=None):
        """Send bytes, return the status code (int), 0 when closed without an answer, -1 when refused."""
        timeout = read_timeout or self.args.request_timeout
        try:
            with socket.create_connection(("127.0.0.1", self.args.port), timeout=timeout) as s:
                try:
                    s.sendall(data)
                    s.shutdown(socket.SHUT_WR)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the server may answer (413) and close before reading everything
                chunks = []
                try:
                    while True:  # every request says `Connection: close`: read to EOF
                        chunk = s.recv(65536)
                        if not chunk:
                            break
                        chunks.append(chunk)
                except (socket.timeout, ConnectionResetError):
                    pass
                reply = b"".join(chunks)
        except ConnectionRefusedError:
            return -1, b""
        except (socket.timeout, OSError):
            return 0, b""
        if reply.startswith(b"HTTP/1.1 ") and len(reply) >= 12:
            try:
                return int(reply[9:12]), reply
            except ValueError:
                return 0, reply
        return 0, reply

    def request(self, method, path, body=b"", headers=None, key=None, content_length=None):
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        if key is not None:
            lines.append(f"Authorization: Bearer {key}")
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}")
        if body is not None:
            lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogatepass")
        return self.raw(head + (body or b""))

    # -- generators ------------------------------------------------------------------------------
    def key_for(self, path, rng):
        roll = rng.random()
        if roll < 0.1:
            return None
        if roll < 0.15:
            return rng.choice(["", " ", "x" * 10000, "Bearer", self.args.decide_key[:-1], self.args.decide_key + "x"])
        if path.startswith("/v1/decisions") or path.startswith("/v1/feedback"):
            return self.args.decide_key
        if path.startswith("/v1/challenges"):
            return self.args.verify_key
        return self.args.admin_key

    def mutate(self, rng, value, depth=0):
        if depth > 4 or rng.random() < 0.3:
            return rng.choice(HOSTILE_VALUES)
        if isinstance(value, dict):
            out = dict(value)
            for k in list(out):
                if rng.random() < 0.3:
                    out[k] = self.mutate(rng, out[k], depth + 1)
            if rng.random() < 0.2:
                out[rng.choice(["chanel", "usr", "__proto__", "x" * 300, ""])] = rng.choice(HOSTILE_VALUES)
            if rng.random() < 0.2 and out:
                del out[rng.choice(list(out))]
            return out
        if isinstance(value, list):
            return [self.mutate(rng, v, depth + 1) for v in value] + ([rng.choice(HOSTILE_VALUES)] if rng.random() < 0.3 else [])
        return rng.choice(HOSTILE_VALUES)

    def case(self, i):
        rng = random.Random(self.args.seed * 1_000_003 + i)
        kind = rng.randrange(12)
        path = rng.choice(PATHS)
        key = self.key_for(path, rng)
        method = {"/v1/accounts/u-1": "PUT", "/v1/policy": rng.choice(["GET", "PUT"]),
                  "/v1/policy/shadow": rng.choice(["GET", "PUT"]), "/healthz": "GET", "/metrics": "GET"}.get(path, "POST")
        if kind == 0:  # truncated / broken JSON
            text = json.dumps(self.mutate(rng, VALID))
            cut = text[: rng.randrange(len(text) + 1)]
            body = cut + rng.choice(["", "}", "]", ",", "\"", "\\", "\x00", "tru", "1e", "-"])
            return self.request(method, path, body.encode("utf-8", "surrogatepass"), key=key)
        if kind == 1:  # wrong types, unknown fields
            body = json.dumps(self.mutate(rng, VALID)).encode("utf-8", "surrogatepass")
            return self.request(method, path, body, key=key)
        if kind == 2:  # deep nesting
            depth = rng.choice([33, 100, 1000, 20000])
            opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
            body = ('{"user":"u","signals":{"x":' + opener * depth + "1" + closer * depth + "}}").encode()
            return self.request("POST", "/v1/decisions", body, key=self.args.decide_key)
        if kind == 3:  # oversized
            size = rng.choice([65 * 1024, 200 * 1024, 2 * 1024 * 1024])
            body = ('{"user":"u","id":"' + "a" * size + '"}').encode()
            return self.request(method, path, body, key=key)
        if kind == 4:  # lying Content-Length
            body = json.dumps(VALID).encode()
            declared = rng.choice([0, 1, len(body) - 5, 10**12, -1, "abc", "1, 2"])
            return self.request("POST", "/v1/decisions", body[: rng.randrange(len(body))], key=self.args.decide_key,
                                content_length=declared) if declared != -1 else \
                self.request("POST", "/v1/decisions", body, key=self.args.decide_key, content_length="-1")
        if kind == 5:  # random bytes instead of HTTP
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000)))
            return self.raw(data, read_timeout=2)
        if kind == 6:  # traversal and odd paths
            return self.request(rng.choice(["GET", "POST", "PUT"]), rng.choice(TRAVERSAL), b"{}", key=self.args.admin_key)
        if kind == 7:  # bad auth headers
            header = rng.choice(["Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "bearer " + self.args.decide_key,
                                 "Bearer " + "\u00e9" * 20, "Token " + self.args.decide_key, "Bearer " + "k" * 70000])
            return self.request("POST", "/v1/decisions", json.dumps(VALID).encode(),
                                headers={"Authorization": header})
        if kind == 8:  # wrong methods
            return self.request(rng.choice(["DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD", "FOO"]), path, b"{}", key=key)
        if kind == 9:  # huge or many headers
            headers = {f"X-F{j}": "v" * rng.randrange(1, 200) for j in range(rng.choice([10, 500, 2000]))}
            return self.request("POST", "/v1/decisions", json.dumps(VALID).encode(), headers=headers,
                                key=self.args.decide_key)
        if kind == 10:  # invalid UTF-8 and control bytes in bodies
            body = b'{"user": "\xff\xfe\x00", "channel": "\xc0\xae"}'
            return self.request(method, path, body, key=key)
        # 11: structurally valid JSON of the wrong shape
        body = json.dumps(rng.choice([[], 1, "s", None, True, [VALID], {"step": 1, "response": []},
                                      {"decision": None, "label": "fraud"}, {"kba": [{"question": 1}]}])).encode()
        return self.request(method, path, body, key=key)

    def run_one(self, i):
        status, reply = self.case(i)
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status >= 500 or status == -1:
                self.failures.append((i, status, reply[:300]))

    def alive(self):
        status, _ = self.request("GET", "/healthz", None)
        if status != 200:
            return f"/healthz answered {status}"
        # The fuzzing sends wrong keys, so the server may hold keyed requests from this address
        # for a few seconds (429, rate limit on failed authentications): wait as it says.
        for _ in range(10):
            status, reply = self.request("POST", "/v1/decisions", json.dumps(VALID).encode(), key=self.args.decide_key)
            if status != 429:
                break
            match = re.search(rb"\r\nRetry-After: (\d+)", reply, re.IGNORECASE)
            time.sleep(int(match.group(1)) if match else 1)
        if status != 200:
            return f"a valid decision answered {status}: {reply[:300]!r}"
        body = reply.split(b"\r\n\r\n", 1)[-1]
        try:
            outcome = json.loads(body)["outcome"]
        except Exception:
            return f"a valid decision returned no outcome: {body[:300]!r}"
        if outcome not in ("passive", "otp", "otp_kba_delay", "agent_escalation", "deny"):
            return f"unknown outcome {outcome!r}"
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--decide-key", required=True)
    parser.add_argument("--verify-key", required=True)
    parser.add_argument("--admin-key", required=True)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--request-timeout", type=float, default=15.0)
    parser.add_argument("--time-limit", type=float, default=600.0, help="seconds for the whole run")
    args = parser.parse_args()
    if args.count < 1 or args.count > 1_000_000:
        parser.error("--count must be 1..1000000")

    fuzzer = Fuzzer(args)
    problem = fuzzer.alive()
    if problem:
        print(f"server not ready before fuzzing: {problem}", file=sys.stderr)
        return 1
    start = time.monotonic()
    done = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.workers) as pool:
        pending = set()
        for i in range(args.count):
            if time.monotonic() - start > args.time_limit:
                print(f"time limit reached after {i} requests", file=sys.stderr)
                break
            pending.add(pool.submit(fuzzer.run_one, i))
            if len(pending) >= args.workers * 4:
                finished, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                done += len(finished)
                for f in finished:
                    f.result()
                if fuzzer.failures and fuzzer.failures[-1][1] == -1:
                    break
        for f in concurrent.futures.as_completed(pending):
            f.result()
            done += 1
    elapsed = time.monotonic() - start
    print(f"sent {done} requests in {elapsed:.1f} s ({done / max(elapsed, 1e-9):.0f}/s)")
    print("responses by status (0 = closed without a response):",
          ", ".join(f"{k}: {v}" for k, v in sorted(fuzzer.statuses.items())))
    problem = fuzzer.alive()
    for i, status, reply in fuzzer.failures[:20]:
        print(f"case {i}: status {status} {reply!r}", file=sys.stderr)
    if fuzzer.failures:
        print(f"FAIL: {len(fuzzer.failures)} responses were 5xx or refused", file=sys.stderr)
        return 1
    if problem:
        print(f"FAIL: server unhealthy after fuzzing: {problem}", file=sys.stderr)
        return 1
    print("OK: no 5xx, server healthy afterwards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
