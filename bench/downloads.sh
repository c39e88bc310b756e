#!/usr/bin/env bash
# Benchmarks the download manager against curl from the same loopback fake hub, in the same
# run, and counts the bytes fetched again after `kill -9` of the server mid-download
# (bench/downloads.py says how). Writes bench/results/<UTC date>-downloads.{json,md}.
# Knobs (environment): BENCH_SIZE_MIB (512), BENCH_ROUNDS (3), BENCH_LINKS_MIB ("0,200,400": the
# hub's shared link speeds to measure, 0 = loopback as fast as it goes), BENCH_KILL_LINK_MIB
# (64), BENCH_RESULTS_DIR (bench/results), BENCH_NO_BUILD (set: use the release binaries
# already built), CARGO_TARGET_DIR (~/.cache/llm-manager/target).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/llm-manager/target}"
if [[ -z ${BENCH_NO_BUILD:-} ]]; then
  cargo build --release --locked -p llm-manager -p fake-hub
fi
exec python3 bench/downloads.py "$CARGO_TARGET_DIR/release" "${BENCH_RESULTS_DIR:-$PWD/bench/results}"
