#!/usr/bin/env python3
"""Sequential benchmark client for bench/gateway.sh (standard library only).

Two measurements, each over several targets (an OpenAI base URL and a key):

  latency  one non-streamed chat completion at a time on one persistent connection per
           target; the time from sending the request to having read the whole body.
  stream   one streamed chat completion at a time; the time to the response head, to the
           first SSE `data:` event and to the end of the body (after `data: [DONE]`).

Targets are measured in interleaved blocks (a block of each target in turn, the order
rotating every round) so that a slow patch of the shared machine hits every target alike
instead of whichever happened to run then. Every response is checked (status 200, a
completion in the body, `[DONE]` at the end of a stream); failures are counted and reported,
never folded into the timings. Prints one JSON object on stdout.

The client's own cost (Python, http.client, json) is paid equally by every target, so it
cancels out of the *difference* gateway - direct; it does inflate both sides of a ratio, which
is why the throughput ratios come from wrk instead.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import time
import urllib.parse

BODY = {"model": "fake-model", "messages": [{"role": "user", "content": "Say hello"}]}


class Target:
    """One endpoint under test with its own keep-alive connection."""

    def __init__(self, spec: str) -> None:
        # NAME=BASE_URL[,KEY]
        name, _, rest = spec.partition("=")
        base, _, key = rest.partition(",")
        url = urllib.parse.urlsplit(base.rstrip("/"))
        if url.scheme != "http" or url.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"client.py: {name}: only http on loopback is allowed, got {base}")
        self.name = name
        self.host = url.hostname
        self.port = url.port or 80
        self.path = url.path + "/chat/completions"
        self.headers = {"Content-Type": "application/json"}
        if key:
            self.headers["Authorization"] = f"Bearer {key}"
        self.conn: http.client.HTTPConnection | None = None
        self.samples: dict[str, list[int]] = {}
        self.failures: dict[str, int] = {}
        self.reconnects = 0
        self.stale_retries = 0

    def connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """The keep-alive connection, and whether it was opened just now."""
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.connect()
            self.reconnects += 1
            return self.conn, True
        return self.conn, False

    def send(self, payload: bytes) -> tuple[http.client.HTTPResponse, int]:
        """Sends one request and reads the response head; returns it with the start time.

        A server may close an idle keep-alive connection (uvicorn does after 5 s, which a
        target waiting for its turn can reach); a request that fails on a reused connection
        before any answer is sent again once on a fresh one, as HTTP clients do, and the clock
        restarts. Any other failure raises.
        """
        while True:
            conn, fresh = self.connection()
            start = time.perf_counter_ns()
            try:
                conn.request("POST", self.path, body=payload, headers=self.headers)
                return conn.getresponse(), start
            except (ConnectionError, http.client.RemoteDisconnected):
                if fresh:
                    raise
                self.stale_retries += 1
                self.drop()

    def drop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def fail(self, what: str) -> None:
        self.failures[what] = self.failures.get(what, 0) + 1
        self.drop()

    def add(self, metric: str, ns: int) -> None:
        self.samples.setdefault(metric, []).append(ns)


def once_plain(t: Target, payload: bytes, record: bool) -> None:
    """One non-streamed request; records `total` in ns when it succeeded."""
    try:
        resp, start = t.send(payload)
        body = resp.read()
        end = time.perf_counter_ns()
    except (OSError, http.client.HTTPException) as err:
        t.fail(type(err).__name__)
        return
    if resp.status != 200:
        t.fail(f"status {resp.status}")
        return
    try:
        ok = bool(json.loads(body)["choices"][0]["message"]["content"])
    except (ValueError, KeyError, IndexError, TypeError):
        ok = False
    if not ok:
        t.fail("no completion in body")
        return
    if resp.will_close:
        t.drop()
    if record:
        t.add("total", end - start)


def once_stream(t: Target, payload: bytes, record: bool) -> None:
    """One streamed request; records `head`, `first_event`, `total` and `events`."""
    try:
        resp, start = t.send(payload)
        head = time.perf_counter_ns()
        if resp.status != 200:
            resp.read()
            t.fail(f"status {resp.status}")
            return
        first = None
        events = 0
        done = False
        while True:
            line = resp.readline()
            if not line:
                break
            if line.startswith(b"data:"):
                if first is None:
                    first = time.perf_counter_ns()
                if line[5:].strip() == b"[DONE]":
                    done = True
                else:
                    events += 1
        end = time.perf_counter_ns()
    except (OSError, http.client.HTTPException) as err:
        t.fail(type(err).__name__)
        return
    if not done or first is None:
        t.fail("stream without [DONE]")
        return
    if resp.will_close:
        t.drop()
    if record:
        t.add("head", head - start)
        t.add("first_event", first - start)
        t.add("total", end - start)
        t.add("events", events)


def percentile(sorted_values: list[int], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return float(sorted_values[int(rank) - 1])


def summary_us(values: list[int]) -> dict:
    v = sorted(values)
    n = len(v)
    if n == 0:
        return {"n": 0}
    return {
        "n": n,
        "mean": round(sum(v) / n / 1000, 1),
        "min": round(v[0] / 1000, 1),
        "p50": round(percentile(v, 50) / 1000, 1),
        "p90": round(percentile(v, 90) / 1000, 1),
        "p99": round(percentile(v, 99) / 1000, 1),
        "max": round(v[-1] / 1000, 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=["latency", "stream"])
    ap.add_argument("--target", action="append", required=True, metavar="NAME=BASE[,KEY]")
    ap.add_argument("--requests", type=int, default=2000, help="measured requests per target")
    ap.add_argument("--warmup", type=int, default=200, help="unmeasured requests per target first")
    ap.add_argument("--block", type=int, default=100, help="requests per target per round")
    ap.add_argument("--max-seconds", type=float, default=120, help="stop early after this long")
    args = ap.parse_args()

    targets = [Target(s) for s in args.target]
    body = dict(BODY, stream=args.mode == "stream")
    payload = json.dumps(body).encode()
    once = once_stream if args.mode == "stream" else once_plain

    for t in targets:
        for _ in range(args.warmup):
            once(t, payload, record=False)

    deadline = time.monotonic() + args.max_seconds
    done = 0
    rnd = 0
    stopped_early = False
    while done < args.requests:
        if time.monotonic() > deadline:
            stopped_early = True
            break
        n = min(args.block, args.requests - done)
        order = targets[rnd % len(targets):] + targets[: rnd % len(targets)]
        for t in order:
            for _ in range(n):
                once(t, payload, record=True)
        done += n
        rnd += 1

    out = {"mode": args.mode, "requests_per_target": done, "warmup": args.warmup,
           "stopped_early": stopped_early, "targets": {}}
    for t in targets:
        res = {"failures": t.failures, "connections_opened": t.reconnects,
               "stale_connection_retries": t.stale_retries}
        for metric, values in t.samples.items():
            if metric == "events":
                res["events_per_stream"] = {"min": min(values), "max": max(values)}
            else:
                res[metric + "_us"] = summary_us(values)
        out["targets"][t.name] = res
        t.drop()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
