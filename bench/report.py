#!/usr/bin/env python3
"""Turns the raw files of one bench/gateway.sh run into a summary: a table on stdout and
OUT.json + OUT.md (standard library only).

Inputs in --work: meta.json, latency.json and stream.json (bench/client.py), wrk1-NAME.json
(wrk -c1) and wrk-NAME-ROUND.json (wrk throughput runs, with the CPU seconds the script added).
Every ratio is between two figures of this same run.
"""

from __future__ import annotations

import argparse
import glob
import json
import os


def load(path: str):
    with open(path) as f:
        return json.load(f)


def ratio(a, b):
    return round(a / b, 3) if a and b else None


def diff(a, b):
    return round(a - b, 1) if a is not None and b is not None else None


def fmt(v, unit="", digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}{unit}"


def build(work: str, names: list[str]) -> dict:
    meta = load(os.path.join(work, "meta.json"))
    lat = load(os.path.join(work, "latency.json"))
    stream = load(os.path.join(work, "stream.json"))
    proxies = [n for n in names if n != "direct"]

    # a. sequential latency, Python client.
    a = {"client": "bench/client.py (Python http.client, one keep-alive connection)",
         "requests_per_target": lat["requests_per_target"], "warmup": lat["warmup"],
         "targets": {}}
    for n in names:
        t = lat["targets"][n]
        a["targets"][n] = dict(t["total_us"], failures=t["failures"])
    d = a["targets"]["direct"]
    for n in proxies:
        t = a["targets"][n]
        t["added_us"] = {"p50": diff(t["p50"], d["p50"]), "mean": diff(t["mean"], d["mean"]),
                         "p99": diff(t["p99"], d["p99"])}
        t["ratio_to_direct"] = {"p50": ratio(t["p50"], d["p50"]),
                                "mean": ratio(t["mean"], d["mean"])}

    # a'. sequential latency, wrk -c1.
    a1 = {"client": "wrk -t1 -c1 -d5s", "targets": {}}
    for n in names:
        w = load(os.path.join(work, f"wrk1-{n}.json"))
        a1["targets"][n] = {"requests": w["requests"], "rps": round(w["rps"], 1),
                            "mean": round(w["latency_us"]["mean"], 1),
                            "p50": w["latency_us"]["p50"], "p99": w["latency_us"]["p99"],
                            "errors": w["errors"]}
    # The gateway's own floor: GET /health (middleware only), GET /v1/models (+ key check).
    a1["gateway_probes"] = {}
    for probe, label in (("health", "GET /health"), ("models", "GET /v1/models")):
        path = os.path.join(work, f"probe-{probe}.json")
        if os.path.exists(path):
            w = load(path)
            a1["gateway_probes"][label] = {
                "requests": w["requests"], "rps": round(w["rps"], 1),
                "mean": round(w["latency_us"]["mean"], 1), "p50": w["latency_us"]["p50"],
                "p99": w["latency_us"]["p99"], "errors": w["errors"]}
    d = a1["targets"]["direct"]
    for n in proxies:
        t = a1["targets"][n]
        t["added_us"] = {"p50": diff(t["p50"], d["p50"]), "mean": diff(t["mean"], d["mean"])}
        t["ratio_to_direct"] = {"p50": ratio(t["p50"], d["p50"]),
                                "mean": ratio(t["mean"], d["mean"])}

    # b. throughput.
    s = meta["settings"]
    b = {"client": f"wrk -t{s['threads']} -c{s['connections']} -d{s['duration_s']}s",
         "targets": {}, "ratios": {}}
    for n in names:
        runs = [load(p) for p in sorted(glob.glob(os.path.join(work, f"wrk-{n}-*.json")))]
        reqs = sum(r["requests"] for r in runs)
        cpu_target = sum(r["cpu_s"]["target"] for r in runs)
        cpu_up = sum(r["cpu_s"]["upstream"] for r in runs)
        b["targets"][n] = {
            "rps_rounds": [round(r["rps"], 1) for r in runs],
            "rps": round(sum(r["rps"] for r in runs) / len(runs), 1),
            "p50_us": max(r["latency_us"]["p50"] for r in runs),
            "p99_us": max(r["latency_us"]["p99"] for r in runs),
            "requests": reqs,
            "errors": sum(sum(r["errors"].values()) for r in runs),
            # CPU time per request of the process serving this target (for direct: the fake).
            "cpu_us_per_request": round(cpu_target / reqs * 1e6, 1) if reqs else None,
            "upstream_cpu_us_per_request": round(cpu_up / reqs * 1e6, 1) if reqs else None,
        }
    rps = {n: b["targets"][n]["rps"] for n in names}
    for n in proxies:
        b["ratios"][f"{n}/direct"] = ratio(rps[n], rps["direct"])
    if "litellm" in names:
        b["ratios"]["gateway/litellm"] = ratio(rps["gateway"], rps["litellm"])

    # c. streaming.
    c = {"client": "bench/client.py stream (Python http.client, one keep-alive connection)",
         "requests_per_target": stream["requests_per_target"], "targets": {}}
    for n in names:
        t = stream["targets"][n]
        c["targets"][n] = {"head_us": t.get("head_us"), "first_event_us": t.get("first_event_us"),
                           "total_us": t.get("total_us"),
                           "events_per_stream": t.get("events_per_stream"),
                           "failures": t["failures"]}
    d = c["targets"]["direct"]
    for n in proxies:
        t = c["targets"][n]
        t["added_us"] = {"first_event_p50": diff(t["first_event_us"]["p50"],
                                                 d["first_event_us"]["p50"]),
                         "total_p50": diff(t["total_us"]["p50"], d["total_us"]["p50"])}
        t["ratio_to_direct"] = {"first_event_p50": ratio(t["first_event_us"]["p50"],
                                                         d["first_event_us"]["p50"]),
                                "total_p50": ratio(t["total_us"]["p50"], d["total_us"]["p50"])}

    return dict(meta, latency=a, latency_wrk_c1=a1, throughput=b, stream=c)


def markdown(r: dict, names: list[str]) -> str:
    m, s = r["machine"], r["settings"]
    v = r["versions"]
    out = [
        f"# Gateway benchmark, {r['date_utc']}",
        "",
        f"Commit `{r['commit']}`"
        + (" (with uncommitted changes under crates/)" if r["uncommitted_changes_in_crates"] else "")
        + f"; llm-manager {v['llm_manager']} (release binary built {v['llm_manager_binary_built']}"
        + (", build skipped with BENCH_NO_BUILD" if v["build_skipped"] else "")
        + f"), rustc {v['rustc']}, wrk {v['wrk']}, "
        f"Python {v['python']}.",
        f"Machine: {m['nproc']} CPU(s), {m['cpu']}, {m['mem_gib']} GiB, Linux {m['kernel']}; "
        f"load average {m['loadavg_start']} at the start, {m['loadavg_end']} at the end. "
        "Load generator, proxies and fake upstream share these CPUs.",
        f"Fake upstream: zero delay, {s['reply_words']}-word reply. "
        f"Limits: **{s.get('limits', 'off')}** (BENCH_LIMITS: a price, budgets and rate limits on the measured user and key). "
        f"LiteLLM: **{r['litellm']['status']}** ({r['litellm']['note']}).",
        "",
        f"## a. One non-streamed call, sequential ({r['latency']['requests_per_target']} requests "
        f"per target after {r['latency']['warmup']} warm-up; Python client)",
        "",
        "| target | mean µs | p50 µs | p99 µs | added p50 µs | added mean µs | ratio p50 / direct | failures |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for n in names:
        t = r["latency"]["targets"][n]
        added = t.get("added_us", {})
        rat = t.get("ratio_to_direct", {})
        out.append(f"| {n} | {fmt(t['mean'], digits=1)} | {fmt(t['p50'], digits=1)} | "
                   f"{fmt(t['p99'], digits=1)} | {fmt(added.get('p50'), digits=1)} | "
                   f"{fmt(added.get('mean'), digits=1)} | {fmt(rat.get('p50'), '×', 2)} | "
                   f"{sum(t['failures'].values())} |")
    out += ["", "Cross-check with wrk `-t1 -c1 -d5s` (a C client, so less client time in each "
            "figure and the ratios are less diluted):", "",
            "| target | req/s | mean µs | p50 µs | p99 µs | added p50 µs | ratio p50 / direct | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for n in names:
        t = r["latency_wrk_c1"]["targets"][n]
        added = t.get("added_us", {})
        rat = t.get("ratio_to_direct", {})
        out.append(f"| {n} | {fmt(t['rps'])} | {fmt(t['mean'], digits=1)} | {fmt(t['p50'])} | "
                   f"{fmt(t['p99'])} | {fmt(added.get('p50'), digits=0)} | "
                   f"{fmt(rat.get('p50'), '×', 2)} | {sum(t['errors'].values())} |")
    for label, t in r["latency_wrk_c1"]["gateway_probes"].items():
        out.append(f"| gateway `{label}` | {fmt(t['rps'])} | {fmt(t['mean'], digits=1)} | "
                   f"{fmt(t['p50'])} | {fmt(t['p99'])} | – | – | {sum(t['errors'].values())} |")
    out += ["", "`GET /health` crosses only the gateway's middleware; `GET /v1/models` adds the "
            "API-key check and the provider snapshot; neither calls the upstream."]
    b = r["throughput"]
    out += ["", f"## b. Throughput, non-streamed ({b['client']}, {s['rounds']} round(s), mean)", "",
            "| target | req/s | per round | p50 µs | p99 µs | CPU µs/request (target) | errors |",
            "| --- | ---: | --- | ---: | ---: | ---: | --- |"]
    for n in names:
        t = b["targets"][n]
        rounds = ", ".join(fmt(x) for x in t["rps_rounds"])
        out.append(f"| {n} | {fmt(t['rps'])} | {rounds} | {fmt(t['p50_us'])} | "
                   f"{fmt(t['p99_us'])} | {fmt(t['cpu_us_per_request'], digits=1)} | "
                   f"{t['errors']} |")
    out += ["", "Ratios: " + ", ".join(f"{k} **{fmt(x, '×', 3)}**" for k, x in b["ratios"].items()),
            "", "p50/p99 per target are the worse of the rounds. CPU µs/request is the CPU time "
            "of the process serving the target (for direct: the fake upstream) over the requests "
            "it served; the fake's own share is in the JSON (`upstream_cpu_us_per_request`).",
            "", f"## c. Streamed call, sequential ({r['stream']['requests_per_target']} requests "
            "per target; Python client)", "",
            "| target | head p50 µs | first event p50 µs | first event p99 µs | total p50 µs | "
            "total p99 µs | added first event p50 µs | added total p50 µs | events | failures |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for n in names:
        t = r["stream"]["targets"][n]
        added = t.get("added_us", {})
        ev = t["events_per_stream"] or {}
        out.append(f"| {n} | {fmt(t['head_us']['p50'], digits=1)} | "
                   f"{fmt(t['first_event_us']['p50'], digits=1)} | "
                   f"{fmt(t['first_event_us']['p99'], digits=1)} | "
                   f"{fmt(t['total_us']['p50'], digits=1)} | {fmt(t['total_us']['p99'], digits=1)} | "
                   f"{fmt(added.get('first_event_p50'), digits=1)} | "
                   f"{fmt(added.get('total_p50'), digits=1)} | "
                   f"{ev.get('min')}–{ev.get('max')} | {sum(t['failures'].values())} |")
    out += ["", f"Gateway log lines at warn or error during the run: {r['gateway_log_warnings']}. "
            f"Measuring took {r['measure_seconds']} s.", ""]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True, help="path without extension")
    ap.add_argument("--name", action="append", required=True)
    args = ap.parse_args()
    result = build(args.work, args.name)
    md = markdown(result, args.name)
    with open(args.out + ".json", "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    with open(args.out + ".md", "w") as f:
        f.write(md)
    print(md)
    print(f"written: {args.out}.json, {args.out}.md")


if __name__ == "__main__":
    main()
