#!/usr/bin/env python3
"""Usage statistics at scale: the admin's 30-day grouped statistics over BENCH_ROWS usage rows
(default 1,000,000, spread over 60 days) on SQLite and on PostgreSQL, standard library only.
The rows go in by SQL (and their daily sums, as the usage writer would have kept them).

For each database: a fresh database migrated by the release binary (`create-admin`), the rows
inserted in bulk by the database itself, then the server started and each
`GET /api/admin/statistics?group_by=…` timed BENCH_QUERIES times (median and max). The
baseline, measured in the same run, is the same GROUP BY run directly by the database (sqlite3
module / psql) over the events themselves: what the statistics would cost without the daily
sums. Loopback only; every process
it starts is stopped. Writes bench/results/<UTC date>-usage-stats.{md,json}.

  cargo build --release -p llm-manager && python3 bench/usage_stats.py
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/llm-manager/target"))
BIN = TARGET / "release" / "llm-manager"
ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
QUERIES = int(os.environ.get("BENCH_QUERIES", "5"))
PG_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "Bench usage passphrase 1"
GROUPS = ["day", "model", "user", "provider", "key"]
# The GROUP BY the API runs for group_by=model over the last 30 days, for the baseline.
BASE_SQL = (
    "SELECT model, COUNT(*), SUM(prompt_tokens), SUM(completion_tokens), SUM(cost_nanos), "
    "AVG(latency_ms) FROM usage_events WHERE created_at >= {since} GROUP BY model"
)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def env_for(data_dir: Path, db_url: str, port: int) -> dict:
    return {
        "PATH": os.environ["PATH"], "HOME": str(Path.home()), "LANG": "C.UTF-8",
        "LLM_MANAGER_DATA_DIR": str(data_dir), "DATABASE_URL": db_url,
        "LLM_MANAGER_ADDR": f"127.0.0.1:{port}", "LOG_LEVEL": "warn",
    }


def rollup_sql(day: str, nil: str) -> str:
    """The daily sums the usage writer keeps, built here for the rows inserted in bulk."""
    ids = [f"COALESCE({c}, {nil})" for c in ("user_id", "api_key_id", "provider_id")]
    return (
        "INSERT INTO usage_daily (day, user_id, api_key_id, provider_id, model, source, requests, "
        "errors, prompt_tokens, completion_tokens, cached_tokens, cost_nanos, latency_ms_sum) "
        f"SELECT {day}, {', '.join(ids)}, model, source, COUNT(*), "
        "SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), SUM(prompt_tokens), SUM(completion_tokens), "
        f"SUM(cached_tokens), SUM(cost_nanos), SUM(latency_ms) FROM usage_events "
        f"GROUP BY {day}, {', '.join(ids)}, model, source"
    )


def fill_sqlite(path: Path) -> float:
    start = time.perf_counter()
    c = sqlite3.connect(path)
    admin = c.execute("SELECT id FROM users LIMIT 1").fetchone()[0]
    providers = [uuid.UUID(int=i + 1).bytes for i in range(5)]
    keys = [uuid.UUID(int=1000 + i).bytes for i in range(100)]
    c.execute("CREATE TEMP TABLE p(n INTEGER PRIMARY KEY, id BLOB)")
    c.executemany("INSERT INTO p VALUES (?, ?)", list(enumerate(providers)))
    c.execute("CREATE TEMP TABLE k(n INTEGER PRIMARY KEY, id BLOB)")
    c.executemany("INSERT INTO k VALUES (?, ?)", list(enumerate(keys)))
    c.execute(
        f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS - 1})
        INSERT INTO usage_events (user_id, api_key_id, provider_id, provider_key_id, source, model,
          upstream_model, prompt_tokens, completion_tokens, cached_tokens, cost_nanos, latency_ms,
          ttft_ms, status, error_code, stream, created_at)
        SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE ? END, (SELECT id FROM k WHERE k.n = i % 100),
          (SELECT id FROM p WHERE p.n = i % 5), NULL, 'api', 'model-' || (i % 10), NULL,
          100 + i % 50, 20 + i % 30, 0, 1000 * (i % 97), 50 + i % 400, 20, CASE WHEN i % 50 = 0
          THEN 502 ELSE 200 END, NULL, i % 2,
          strftime('%Y-%m-%dT%H:%M:%S', 'now', '-' || (i % 60) || ' days', '-' || (i % 86400)
            || ' seconds') || '.000000000+00:00'
        FROM n""",
        (admin,),
    )
    c.execute(rollup_sql("substr(created_at, 1, 10)", "x'00000000000000000000000000000000'"))
    c.commit()
    c.execute("ANALYZE")
    c.close()
    return time.perf_counter() - start


def psql(url: str, sql: str) -> str:
    return subprocess.run(["psql", url, "-qAtc", sql], check=True, capture_output=True, text=True).stdout


def fill_postgres(url: str) -> float:
    start = time.perf_counter()
    psql(url, f"""INSERT INTO usage_events (user_id, api_key_id, provider_id, provider_key_id,
        source, model, upstream_model, prompt_tokens, completion_tokens, cached_tokens, cost_nanos,
        latency_ms, ttft_ms, status, error_code, stream, created_at)
      SELECT CASE WHEN i % 10 = 0 THEN NULL ELSE (SELECT id FROM users LIMIT 1) END,
        ('00000000-0000-0000-0000-' || lpad((1000 + i % 100)::text, 12, '0'))::uuid,
        ('00000000-0000-0000-0000-' || lpad((1 + i % 5)::text, 12, '0'))::uuid, NULL, 'api',
        'model-' || (i % 10), NULL, 100 + i % 50, 20 + i % 30, 0, 1000 * (i % 97), 50 + i % 400, 20,
        CASE WHEN i % 50 = 0 THEN 502 ELSE 200 END, NULL, i % 2 = 1,
        now() - (i % 60) * interval '1 day' - (i % 86400) * interval '1 second'
      FROM generate_series(0, {ROWS - 1}) AS i; ANALYZE usage_events;""")
    psql(url, rollup_sql("to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
                         "'00000000-0000-0000-0000-000000000000'::uuid") + "; ANALYZE usage_daily;")
    return time.perf_counter() - start


def timed(fn, n: int) -> dict:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}


def http(url: str, token: str | None = None, body: dict | None = None) -> bytes:
    req = urllib.request.Request(url, data=json.dumps(body).encode() if body else None)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as res:
        return res.read()


def measure(backend: str, work: Path) -> dict:
    data = work / backend
    data.mkdir()
    pg_db = None
    if backend == "sqlite":
        db_url = f"sqlite://{data / 'bench.db'}"
    else:
        pg_db = f"llmm_bench_{uuid.uuid4().hex[:12]}"
        psql(PG_ADMIN, f"CREATE DATABASE {pg_db}")
        db_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{pg_db}"
    port = free_port()
    env = env_for(data, db_url, port)
    server = None
    try:
        subprocess.run([str(BIN), "create-admin", "--username", "bench", "--email", "b@example.com",
                        "--password-stdin"], input=PASSWORD, text=True, env=env, cwd=work,
                       check=True, capture_output=True)
        fill = fill_sqlite(data / "bench.db") if backend == "sqlite" else fill_postgres(db_url)
        since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=29)).replace(hour=0, minute=0, second=0, microsecond=0)
        if backend == "sqlite":
            conn = sqlite3.connect(data / "bench.db")
            text_since = "'" + since.strftime("%Y-%m-%dT%H:%M:%S") + ".000000000+00:00'"
            baseline = timed(lambda: conn.execute(BASE_SQL.format(since=text_since)).fetchall(), QUERIES)
        else:
            sql = BASE_SQL.format(since=f"'{since.isoformat()}'")
            baseline = timed(lambda: psql(db_url, sql), QUERIES)
        log = open(work / f"{backend}.log", "w")
        server = subprocess.Popen([str(BIN), "serve"], env=env, cwd=work, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                http(f"{base}/health")
                break
            except OSError:
                time.sleep(0.2)
        token = json.loads(http(f"{base}/api/auth/login", body={"username": "bench", "password": PASSWORD}))["access_token"]
        groups = {}
        for group in GROUPS:
            url = f"{base}/api/admin/statistics?group_by={group}"
            rows = len(json.loads(http(url, token))["rows"])
            groups[group] = {**timed(lambda: http(url, token), QUERIES), "groups": rows}
        own = timed(lambda: http(f"{base}/api/llm/statistics", token), QUERIES)
        return {"rows": ROWS, "fill_seconds": round(fill, 1), "baseline_model_query": baseline,
                "api": groups, "own_statistics": own}
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        if pg_db:
            subprocess.run(["psql", PG_ADMIN, "-qAtc", f"DROP DATABASE IF EXISTS {pg_db} WITH (FORCE)"], capture_output=True)


def main() -> None:
    if not BIN.exists():
        sys.exit(f"no release binary at {BIN}: cargo build --release -p llm-manager")
    results = {"date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip(),
               "queries": QUERIES, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="llm-manager-usage-bench.") as tmp:
        for backend in ["sqlite", "postgres"]:
            print(f"==> {backend}: {ROWS:,} rows", flush=True)
            results["backends"][backend] = measure(backend, Path(tmp))
            print(json.dumps(results["backends"][backend], indent=1), flush=True)
    day = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{day}-usage-stats.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [f"# Usage statistics at scale, {results['date_utc']}", "",
             f"Commit `{results['commit']}`; {ROWS:,} usage rows over 60 days (30 in the window); "
             f"median and max of {QUERIES} requests; `bench/usage_stats.py`.", "",
             "| database | baseline: the GROUP BY alone | " + " | ".join(f"`group_by={g}`" for g in GROUPS) + " | user's `/api/llm/statistics` |",
             "| --- | ---: | " + " | ".join("---:" for _ in GROUPS) + " | ---: |"]
    for backend, r in results["backends"].items():
        cells = [f"{r['api'][g]['median_ms']} ms (max {r['api'][g]['max_ms']}; {r['api'][g]['groups']} rows)" for g in GROUPS]
        lines.append(f"| {backend} | {r['baseline_model_query']['median_ms']} ms | " + " | ".join(cells)
                     + f" | {r['own_statistics']['median_ms']} ms |")
    (out / f"{day}-usage-stats.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
