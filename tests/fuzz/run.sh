#!/usr/bin/env bash
# The API fuzzer: schemathesis (pinned in tests/fuzz/requirements.txt) over the whole
# /api/openapi.json of a freshly started server, as a user, as an admin and anonymously, with
# every default check (no server error, statuses, content types and bodies as documented,
# schema-valid requests accepted, schema-violating ones refused). schemathesis.toml at the
# root lists the few rules a schema cannot state. Exits non-zero on any failure.
#
#   tests/fuzz/run.sh [MAX_EXAMPLES]     (default 10 per operation; FUZZ_SEED, FUZZ_MAX_TIME
#                                         seconds per identity, default 150; DATABASE_URL)
#
# Needs the debug binaries (cargo build --workspace --bins). Loopback only: a fake model hub
# stands in for Hugging Face, ModelScope and the Ollama registry.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
bin="${CARGO_TARGET_DIR:-$root/target}/debug"
examples=${1:-10}
seed=${FUZZ_SEED:-1}
cache="${LLM_MANAGER_CACHE:-$HOME/.cache/llm-manager}"

venv="$cache/fuzz-venv"
if [[ ! -x "$venv/bin/schemathesis" || tests/fuzz/requirements.txt -nt "$venv/.installed" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/fuzz/requirements.txt
  touch "$venv/.installed"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

hub_port=$(free_port)
"$bin/fake-hub" --addr "127.0.0.1:$hub_port" --repo acme/Tiny-GGUF --size 65536 >/dev/null 2>&1 &
pids+=($!)
port=$(free_port)
export LLM_MANAGER_DATA_DIR="$work/data" LLM_MANAGER_ADDR="127.0.0.1:$port" LOG_LEVEL=warn
export HF_ENDPOINT="http://127.0.0.1:$hub_port" MODELSCOPE_ENDPOINT="http://127.0.0.1:$hub_port"
export OLLAMA_REGISTRY="http://127.0.0.1:$hub_port" OUTBOUND_ALLOW="127.0.0.1:$hub_port"
# The hooks sign in from another (forwarded) address, so that the fuzzer's own wrong
# passwords, which lock its address out as they should, do not lock the hooks out too.
export TRUSTED_PROXIES=127.0.0.1/32
admin_password="Fuzz-Admin-$RANDOM-Pass"
user_password="Fuzz-User-$RANDOM-Pass"
printf '%s\n' "$admin_password" |
  "$bin/llm-manager" create-admin --username fuzzadmin --email fuzzadmin@example.com --password-stdin >/dev/null
"$bin/llm-manager" >"$work/server.log" 2>&1 &
pids+=($!)
base="http://127.0.0.1:$port"
for _ in $(seq 120); do curl -sf "$base/health" >/dev/null && break; sleep 0.5; done
curl -sf -o /dev/null -H 'content-type: application/json' \
  -d "{\"username\":\"fuzzuser\",\"email\":\"fuzzuser@example.com\",\"password\":\"$user_password\"}" \
  "$base/api/auth/register"

failed=0
# The user first: the admin's run may disable or delete the user.
# One worker: Python 3.11's parser is not safe to share between threads (hypothesis describes
# its strategies with it), and two workers now and then end in its internal error.
for who in user admin anonymous; do
  case $who in
    user) user=fuzzuser password=$user_password ;;
    admin) user=fuzzadmin password=$admin_password ;;
    anonymous) user="" password="" ;;
  esac
  printf '==> schemathesis as %s (%s examples per operation, seed %s)\n' "$who" "$examples" "$seed"
  if FUZZ_BASE_URL="$base" FUZZ_USER="$user" FUZZ_PASSWORD="$password" \
    SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$root/tests/fuzz" \
    "$venv/bin/schemathesis" run "$base/api/openapi.json" --max-examples "$examples" \
    --seed "$seed" --workers 1 --generation-database :memory: --no-color \
    --max-time "${FUZZ_MAX_TIME:-150}" \
    >"$work/$who.txt" 2>&1; then
    tail -n 1 "$work/$who.txt"
  else
    failed=1
    sed -n '/= FAILURES =\|= ERRORS =/,$p' "$work/$who.txt" | head -n 400 || true
  fi
done
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -B2 -A8 "panicked" "$work/server.log" | head -n 60 >&2
  failed=1
fi
exit "$failed"
