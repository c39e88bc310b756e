#!/usr/bin/env python3
"""Download benchmark (issue 12), loopback only, baseline measured in the same run.

For each link (the fake hub's shared throttle; 0 = as fast as loopback goes) one GGUF of
BENCH_SIZE_MIB is fetched BENCH_ROUNDS times with curl (-o to a file in the same directory) and
through llm-manager's download manager (POST /api/downloads until `completed`: fetched in
parallel ranges, checkpointed, sha256-verified, moved into place; timed by the task's own
created_at → finished_at). Then the server is killed with SIGKILL in the middle of a throttled
download and started again; the bytes the hub sent beyond the file's size are what was fetched
twice. Writes <results>/<date>-downloads.{json,md}.
"""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone

MIB = 1 << 20
SEGMENT = 16 * MIB


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=60) as res:
        raw = res.read()
        return json.loads(raw) if raw else None


def wait_until(check, what, secs=120):
    deadline = time.time() + secs
    while time.time() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception:
            pass
        time.sleep(0.02)
    sys.exit(f"error: {what} did not happen within {secs} s")


class Hub:
    def __init__(self, binary, size, link, log):
        self.proc = subprocess.Popen(
            [binary, "--repo", "acme/Bench-GGUF", "--size", str(size), "--link", str(link)],
            stdout=subprocess.PIPE, stderr=log, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("fake-hub listening on "):
            sys.exit(f"error: fake-hub did not start: {line!r}")
        self.base = line.split()[-1]

    def served(self):
        return http("GET", f"{self.base}/_stats")["bytes_served"]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


class Server:
    def __init__(self, binary, work, hub, log_name):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"),
            "LLM_MANAGER_ADDR": f"127.0.0.1:{self.port}",
            "LLM_MANAGER_DATA_DIR": os.path.join(work, "data"),
            "HF_ENDPOINT": hub.base, "DOWNLOAD_FREE_MARGIN": "1KiB", "LOG_LEVEL": "warn",
        }
        self.env = env
        self.log = open(os.path.join(work, log_name), "w")
        self.proc = subprocess.Popen([binary, "serve"], env=env, cwd=work,
                                     stdout=self.log, stderr=self.log)
        wait_until(lambda: urllib.request.urlopen(f"{self.base}/health", timeout=2).status == 200,
                   "llm-manager /health", 60)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def parse_time(value):
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def manager_round(server, token, size):
    task = http("POST", f"{server.base}/api/downloads",
                {"source": "huggingface", "repo": "acme/Bench-GGUF", "files": ["Bench.Q4_K_M.gguf"]}, token)
    done = wait_until(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        http("GET", f"{server.base}/api/downloads/{task['id']}", token=token)), "the download", 600)
    if done["status"] != "completed":
        sys.exit(f"error: the download failed: {done['error']}")
    secs = (parse_time(done["finished_at"]) - parse_time(done["created_at"])).total_seconds()
    http("DELETE", f"{server.base}/api/models/{done['model_id']}", token=token)
    return size / secs


def curl_round(url, out):
    result = subprocess.run(["curl", "-sS", "-L", "-o", out, "-w", "%{size_download} %{time_total}", url],
                            check=True, capture_output=True, text=True)
    size, secs = result.stdout.split()
    os.remove(out)
    return int(size) / float(secs)


def curl_verified_round(url, out):
    """curl into a file and through sha256 at once (OpenSSL's, which uses the CPU's SHA instructions as
    ours does): the same work as a verified download."""
    start = time.monotonic()
    subprocess.run(["sh", "-c", 'curl -sS -L "$1" | tee "$2" | openssl dgst -sha256 >/dev/null', "sh", url, out],
                   check=True, capture_output=True)
    secs = time.monotonic() - start
    size = os.path.getsize(out)
    os.remove(out)
    return size / secs


def main():
    bin_dir = sys.argv[1]
    results_dir = sys.argv[2]
    size = int(os.environ.get("BENCH_SIZE_MIB", "512")) * MIB
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    links = [int(x) * MIB for x in os.environ.get("BENCH_LINKS_MIB", "0,200,400").split(",")]
    kill_link = int(os.environ.get("BENCH_KILL_LINK_MIB", "64")) * MIB
    work = tempfile.mkdtemp(prefix="llm-manager-bench-dl.")
    hub_log = open(os.path.join(work, "hub.log"), "w")
    password = "bench-" + os.urandom(8).hex()
    admin_env = {"PATH": os.environ["PATH"], "LLM_MANAGER_DATA_DIR": os.path.join(work, "data")}
    subprocess.run([f"{bin_dir}/llm-manager", "create-admin", "--username", "bench", "--email",
                    "bench@example.com", "--password-stdin"], input=password + "\n", text=True,
                   env=admin_env, cwd=work, check=True, capture_output=True)
    rows = []
    for link in links:
        hub = Hub(f"{bin_dir}/fake-hub", size, link, hub_log)
        server = Server(f"{bin_dir}/llm-manager", work, hub, "server.log")
        token = http("POST", f"{server.base}/api/auth/login", {"username": "bench", "password": password})["access_token"]
        url = f"{hub.base}/acme/Bench-GGUF/resolve/main/Bench.Q4_K_M.gguf"
        curl, verified, manager = [], [], []
        for _ in range(rounds):
            curl.append(curl_round(url, os.path.join(work, "data", "curl.bin")))
            verified.append(curl_verified_round(url, os.path.join(work, "data", "curl.bin")))
            manager.append(manager_round(server, token, size))
        server.stop()
        hub.stop()
        c, v, m = statistics.median(curl), statistics.median(verified), statistics.median(manager)
        rows.append({"link_bytes_per_second": link, "curl_bytes_per_second": c,
                     "curl_sha256_bytes_per_second": v, "manager_bytes_per_second": m,
                     "ratio": m / c, "ratio_verified": m / v, "curl_rounds": curl,
                     "curl_sha256_rounds": verified, "manager_rounds": manager})
        print(f"link {link // MIB or 'unlimited'} MiB/s: curl {c / MIB:.0f} MiB/s, curl+sha256 {v / MIB:.0f} MiB/s, "
              f"manager {m / MIB:.0f} MiB/s, ratio {m / c:.3f} ({m / v:.3f} against curl+sha256)")

    # kill -9 in the middle of a download, then a new start
    hub = Hub(f"{bin_dir}/fake-hub", size, kill_link, hub_log)
    server = Server(f"{bin_dir}/llm-manager", work, hub, "kill.log")
    token = http("POST", f"{server.base}/api/auth/login", {"username": "bench", "password": password})["access_token"]
    task = http("POST", f"{server.base}/api/downloads",
                {"source": "huggingface", "repo": "acme/Bench-GGUF", "files": ["Bench.Q4_K_M.gguf"]}, token)
    wait_until(lambda: http("GET", f"{server.base}/api/downloads/{task['id']}", token=token)["downloaded_bytes"] > size * 0.4,
               "40% of the download", 600)
    server.kill9()
    served_at_kill = hub.served()
    server = Server(f"{bin_dir}/llm-manager", work, hub, "kill2.log")
    token = http("POST", f"{server.base}/api/auth/login", {"username": "bench", "password": password})["access_token"]
    done = wait_until(lambda: (lambda t: t if t["status"] in ("completed", "failed") else None)(
        http("GET", f"{server.base}/api/downloads/{task['id']}", token=token)), "the resumed download", 600)
    server.stop()
    refetched = hub.served() - size
    hub.stop()
    kill = {"status": done["status"], "served_at_kill": served_at_kill, "refetched_bytes": refetched,
            "segment_bytes": SEGMENT, "refetched_segments": refetched / SEGMENT}
    print(f"kill -9 at {served_at_kill / size:.0%}: {done['status']}, fetched again {refetched / MIB:.1f} MiB "
          f"({refetched / SEGMENT:.2f} segments of 16 MiB)")

    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    report = {"scenario": "downloads", "date": date, "size_bytes": size, "rounds": rounds,
              "machine": {"cpu": cpu, "cores": os.cpu_count()}, "links": rows, "kill9": kill}
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, f"{date}-downloads.json"), "w") as f:
        json.dump(report, f, indent=2)
    lines = [f"# Downloads, {date}", "",
             f"One {size // MIB} MiB GGUF from the fake hub on loopback, median of {rounds} rounds; "
             f"{os.cpu_count()} cores ({cpu}). Manager time = the task's created_at → finished_at "
             "(planning, parallel ranges, checkpoints, sha256, rename). `curl | tee | openssl dgst -sha256` does "
             "the same work as a verified download.", "",
             "| link | curl | curl + sha256 | download manager | ratio to curl (target ≥ 0.95) | to curl + sha256 |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        link = "unlimited" if r["link_bytes_per_second"] == 0 else f"{r['link_bytes_per_second'] // MIB} MiB/s"
        lines.append(f"| {link} | {r['curl_bytes_per_second'] / MIB:.0f} MiB/s | "
                     f"{r['curl_sha256_bytes_per_second'] / MIB:.0f} MiB/s | "
                     f"{r['manager_bytes_per_second'] / MIB:.0f} MiB/s | {r['ratio']:.3f} | {r['ratio_verified']:.3f} |")
    lines += ["", f"`kill -9` of the server at {served_at_kill / size:.0%} of the file (link {kill_link // MIB} MiB/s), "
              f"then a new start: {done['status']}; fetched again {refetched / MIB:.1f} MiB = "
              f"{refetched / SEGMENT:.2f} segments (target ≤ 1)."]
    with open(os.path.join(results_dir, f"{date}-downloads.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
