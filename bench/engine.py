"""The built-in engine against llama.cpp (cyllama) on one GGUF, same prompts, greedy, same threads.

Both are timed the same way: the wall time of one whole generation call (ours over HTTP on
loopback, llama.cpp in-process, so the comparison favours llama.cpp slightly), tokens counted by
each. Generation: a short prompt, BENCH_GEN_TOKENS new tokens. Prompt processing: a prompt of
about 500 tokens and one new token. Median of BENCH_ROUNDS after one warm-up each.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime, timezone

GEN_PROMPT = "Once upon a time, in a land far away, there lived a dragon who"
LONG_PROMPT = " ".join(["The history of the city begins with a small settlement by the river, where traders met."] * 28)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body):
    req = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


def ours(binary, model, threads, rounds, gen_tokens):
    port = free_port()
    env = {"PATH": os.environ["PATH"], "CANDLE_NUM_THREADS": str(threads), "RUST_LOG": "warn"}
    proc = subprocess.Popen([binary, "engine", "--model", model, "--port", str(port), "--parallel", "1"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1)
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    sys.exit("error: the engine did not start")
                time.sleep(0.2)

        def run(prompt, n):
            start = time.monotonic()
            r = post(f"{base}/v1/completions", {"prompt": prompt, "max_tokens": n, "temperature": 0})
            return time.monotonic() - start, r["usage"]["prompt_tokens"], r["usage"]["completion_tokens"], r["choices"][0]["text"]

        return measure(run, rounds, gen_tokens)
    finally:
        proc.terminate()
        proc.wait(30)


def llama_cpp(model, threads, rounds, gen_tokens):
    import cyllama
    # cyllama takes no thread count: llama.cpp uses its default (the machine's cores).
    llm = cyllama.LLM(model, config=cyllama.GenerationConfig(max_tokens=gen_tokens, temperature=0.0))

    def run(prompt, n):
        llm.reset_context()
        start = time.monotonic()
        r = llm.generate_with_stats(prompt, cyllama.GenerationConfig(max_tokens=n, temperature=0.0, n_ctx=2048))
        return time.monotonic() - start, r.stats.prompt_tokens, r.stats.generated_tokens, r.text

    return measure(run, rounds, gen_tokens)


def measure(run, rounds, gen_tokens):
    run(GEN_PROMPT, 8)
    gen, pp, text = [], [], ""
    for _ in range(rounds):
        secs, _, generated, text = run(GEN_PROMPT, gen_tokens)
        gen.append(generated / secs)
        secs, prompt_tokens, _, _ = run(LONG_PROMPT, 1)
        pp.append(prompt_tokens / secs)
    return {"generation_tokens_per_second": statistics.median(gen), "prompt_tokens_per_second": statistics.median(pp),
            "generation_rounds": gen, "prompt_rounds": pp, "text_start": text[:80]}


def main():
    binary, model, results_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    rounds = int(os.environ.get("BENCH_ROUNDS", "3"))
    gen_tokens = int(os.environ.get("BENCH_GEN_TOKENS", "256"))
    threads = int(os.environ.get("BENCH_THREADS", str(os.cpu_count())))
    a = ours(binary, model, threads, rounds, gen_tokens)
    b = llama_cpp(model, threads, rounds, gen_tokens)
    gen_ratio = a["generation_tokens_per_second"] / b["generation_tokens_per_second"]
    pp_ratio = a["prompt_tokens_per_second"] / b["prompt_tokens_per_second"]
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
    report = {"scenario": "engine", "date": date, "model": os.path.basename(model), "threads": threads,
              "rounds": rounds, "generation_tokens": gen_tokens, "machine": {"cpu": cpu, "cores": os.cpu_count()},
              "builtin": a, "llama_cpp": b, "generation_ratio": gen_ratio, "prompt_ratio": pp_ratio}
    os.makedirs(results_dir, exist_ok=True)
    with open(os.path.join(results_dir, f"{date}-engine.json"), "w") as f:
        json.dump(report, f, indent=2)
    lines = [f"# Built-in engine vs llama.cpp, {date}", "",
             f"{os.path.basename(model)}, {threads} threads, greedy, median of {rounds} rounds; {os.cpu_count()} cores ({cpu}). "
             "llama.cpp is cyllama 0.2.18 (in-process); ours is `llm-manager engine` over loopback HTTP.", "",
             "| | built-in engine | llama.cpp | ratio (target ≥ 0.8 for generation) |", "|---|---|---|---|",
             f"| generation ({gen_tokens} tokens) | {a['generation_tokens_per_second']:.1f} tok/s | {b['generation_tokens_per_second']:.1f} tok/s | {gen_ratio:.2f} |",
             f"| prompt (~500 tokens) | {a['prompt_tokens_per_second']:.0f} tok/s | {b['prompt_tokens_per_second']:.0f} tok/s | {pp_ratio:.2f} |"]
    with open(os.path.join(results_dir, f"{date}-engine.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
