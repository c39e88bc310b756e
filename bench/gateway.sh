#!/usr/bin/env bash
# Benchmarks the /v1 gateway against a baseline measured in the same run, on loopback only:
#   direct   the fake upstream (crates/fake-llm, zero delay) called straight;
#   gateway  the same upstream through llm-manager's /v1 (release build, SQLite, API key);
#   litellm  the same upstream through a LiteLLM proxy, when `litellm[proxy]` installs from PyPI
#            into ~/.cache/llm-manager/bench-venv (otherwise left out, and the report says why).
# Measures (a) the latency of one non-streamed call, sequential; (b) throughput with wrk at
# 64 connections; (c) streamed calls, sequential: time to first SSE event and to the end.
# Writes bench/results/<UTC date>-gateway.{json,md}. Every process it starts is stopped on exit.
#
# Knobs (environment): BENCH_REQUESTS (2000), BENCH_WARMUP (200), BENCH_STREAM_REQUESTS (500),
# BENCH_DURATION (10, seconds per wrk run), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_ROUNDS (2, throughput rounds), BENCH_LITELLM (auto | skip), BENCH_LITELLM_WORKERS (nproc),
# BENCH_RESULTS_DIR (bench/results), BENCH_KEEP (set: keep the raw files and server logs),
# BENCH_LIMITS (set: a price, budgets and rate limits on the measured user and key),
# BENCH_NO_BUILD (set: measure the release binaries already built), CARGO_TARGET_DIR
# (~/.cache/llm-manager/target).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/llm-manager/target}"

requests=${BENCH_REQUESTS:-2000}
warmup=${BENCH_WARMUP:-200}
stream_requests=${BENCH_STREAM_REQUESTS:-500}
duration=${BENCH_DURATION:-10}
connections=${BENCH_CONNECTIONS:-64}
threads=${BENCH_THREADS:-2}
rounds=${BENCH_ROUNDS:-2}
litellm_mode=${BENCH_LITELLM:-auto}
litellm_workers=${BENCH_LITELLM_WORKERS:-$(nproc)}
results_dir=${BENCH_RESULTS_DIR:-$root/bench/results}
venv=$HOME/.cache/llm-manager/bench-venv
# Sent by the fake as every completion: 31 words, so a stream is 31 content events (+ framing).
reply="The quick brown fox jumps over the lazy dog while seven wizards quietly judge \
boxing matches near the old harbour and a small band plays jazz until the morning light arrives."
fake_key=sk-bench-0000000000

step() { printf '\n==> %s\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/llm-manager-bench.XXXXXX")
pids=()

stop_all() {
  local pid deadline
  for pid in "${pids[@]}"; do
    # The process and the children it spawned (LiteLLM's workers), by id.
    kill -TERM $(ps -o pid= --ppid "$pid" 2>/dev/null) "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ -n ${BENCH_KEEP:-} ]]; then echo "kept raw files and logs in $work"; else rm -rf "$work"; fi
}
trap stop_all EXIT
trap 'exit 130' INT # so that Ctrl-C and kill run the EXIT trap too
trap 'exit 143' TERM

last_lines() { grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n "${2:-5}" || true; }

wait_for() { # wait_for DESCRIPTION SECONDS PID LOG COMMAND...: until COMMAND succeeds
  local what=$1 secs=$2 pid=$3 log=$4; shift 4
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    kill -0 "$pid" 2>/dev/null || die "$what exited while starting; its log ends: $(last_lines "$log")"
    ((SECONDS < deadline)) || die "$what did not come up within ${secs}s; its log ends: $(last_lines "$log")"
    sleep 0.2
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

json_field() { # json_field FIELD < JSON
  python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# The servers run in $work with a minimal environment, so neither a .env file in the checkout
# nor the caller's DATABASE_URL, REDIS_URL or proxy settings can change what is measured.
clean_env() { env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 "$@"; }

bin=$CARGO_TARGET_DIR/release
if [[ -n ${BENCH_NO_BUILD:-} ]]; then
  step "build: skipped (BENCH_NO_BUILD); using the binaries in $bin"
  [[ -x $bin/llm-manager && -x $bin/fake-llm ]] || die "no release binaries in $bin"
else
  step "build: release llm-manager and fake-llm (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  cargo build --release --locked -p llm-manager -p fake-llm
fi

step "tools: wrk, python3"
command -v python3 >/dev/null 2>&1 || die "python3 is required"
if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk (Debian)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

litellm_status=skipped
litellm_note="BENCH_LITELLM=skip"
if [[ $litellm_mode != skip ]]; then
  step "LiteLLM: venv at $venv"
  if [[ -x $venv/bin/litellm ]] && "$venv/bin/python" -c 'import litellm.proxy.proxy_server' >/dev/null 2>&1; then
    litellm_status=installed
  else
    echo "installing litellm[proxy] from PyPI (once; takes a minute or two)"
    if { [[ -x $venv/bin/python ]] || python3 -m venv "$venv"; } &&
      timeout 900 "$venv/bin/pip" install -q 'litellm[proxy]' >"$work/pip.log" 2>&1 &&
      "$venv/bin/python" -c 'import litellm.proxy.proxy_server' >/dev/null 2>&1; then
      litellm_status=installed
    else
      litellm_status=unavailable
      litellm_note="pip install 'litellm[proxy]' failed: $(tail -n 1 "$work/pip.log" 2>/dev/null)"
      echo "LiteLLM is not available, measuring direct and gateway only: $litellm_note" >&2
    fi
  fi
fi

step "start: fake upstream (zero delay)"
clean_env "$bin/fake-llm" --addr 127.0.0.1:0 --reply "$reply" --models fake-model \
  >"$work/fake.log" 2>&1 &
fake_pid=$!
pids+=("$fake_pid")
wait_for "fake-llm" 30 "$fake_pid" "$work/fake.log" grep -q '^listening on ' "$work/fake.log"
fake_url=$(sed -n 's/^listening on //p' "$work/fake.log" | head -n 1)
fake_base=$fake_url/v1
echo "fake upstream at $fake_base"

step "start: llm-manager (SQLite in a temporary data dir, LOG_LEVEL=warn)"
gw_port=$(free_port)
gw_url=http://127.0.0.1:$gw_port
gw_env=(
  LLM_MANAGER_ADDR=127.0.0.1:$gw_port
  LLM_MANAGER_DATA_DIR=$work/data
  DATABASE_URL=sqlite://$work/data/llm-manager.db
  LOG_LEVEL=warn
)
password=bench-$(python3 -c 'import secrets; print(secrets.token_hex(12))')
(cd "$work" && printf '%s\n' "$password" |
  clean_env "${gw_env[@]}" "$bin/llm-manager" create-admin \
    --username bench --email bench@example.com --password-stdin)
(cd "$work" && exec env -i PATH="$PATH" HOME="$HOME" LANG=C.UTF-8 "${gw_env[@]}" \
  "$bin/llm-manager" serve) >"$work/gateway.log" 2>&1 &
gw_pid=$!
pids+=("$gw_pid")
wait_for "llm-manager" 60 "$gw_pid" "$work/gateway.log" curl -fsS --max-time 2 "$gw_url/health"

step "bootstrap through the API: login, shared provider, API key"
api() { # api METHOD PATH [JSON]: the response body; fails on a non-2xx
  curl -fsS --max-time 30 -X "$1" "$gw_url$2" -H 'Content-Type: application/json' \
    ${token:+-H "Authorization: Bearer $token"} ${3:+--data "$3"}
}
token=
token=$(api POST /api/auth/login "{\"username\":\"bench\",\"password\":\"$password\"}" |
  json_field access_token)
api POST /api/admin/providers "{\"name\":\"fake\",\"kind\":\"openai_compatible\",
  \"base_url\":\"$fake_base\",\"api_key\":\"$fake_key\",\"models\":[\"fake-model\"]}" >/dev/null
gw_key=$(api POST /api/keys '{"name":"bench"}' | json_field key)
limits=${BENCH_LIMITS:+on}
if [[ -n ${BENCH_LIMITS:-} ]]; then
  # Metering on the measured path: a price for the model, a daily budget and rate limits on
  # the bench user's role and on the key, all far above what the run uses.
  api PUT /api/admin/prices/fake-model '{"input_per_mtok":"2.50","output_per_mtok":"10.00"}' >/dev/null
  api PUT /api/admin/quotas/roles/admin \
    '{"period":"day","max_cost":"1000000","rpm":100000000,"tpm":100000000000}' >/dev/null
  key_id=$(api GET /api/keys | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"][0]["id"])')
  api PUT "/api/keys/$key_id/quota" '{"period":"month","max_tokens":100000000000,"rpm":100000000}' >/dev/null
  echo "limits on: a price, a role budget and rate limits, a key budget and rate limit"
fi
echo "provider 'fake' and API key ${gw_key:0:12}… created"

targets=("direct=$fake_base,$fake_key" "gateway=$gw_url/v1,$gw_key")
declare -A base=([direct]=$fake_base [gateway]=$gw_url/v1)
declare -A key=([direct]=$fake_key [gateway]=$gw_key)
declare -A pid_of=([direct]=$fake_pid [gateway]=$gw_pid)
names=(direct gateway)

if [[ $litellm_status == installed ]]; then
  step "start: LiteLLM proxy ($litellm_workers worker(s))"
  ll_port=$(free_port)
  ll_key=sk-bench-litellm-$(python3 -c 'import secrets; print(secrets.token_hex(16))')
  (cd "$work" && exec env -i PATH="$venv/bin:$PATH" HOME="$HOME" LANG=C.UTF-8 \
    BENCH_FAKE_BASE="$fake_base" BENCH_FAKE_KEY="$fake_key" BENCH_LITELLM_KEY="$ll_key" \
    LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_LOG=ERROR NO_DOCKER_RUN=True \
    "$venv/bin/litellm" --config "$root/bench/litellm.yaml" --host 127.0.0.1 --port "$ll_port" \
    --num_workers "$litellm_workers") >"$work/litellm.log" 2>&1 &
  ll_pid=$!
  pids+=("$ll_pid")
  if (wait_for "LiteLLM" 120 "$ll_pid" "$work/litellm.log" curl -fsS --max-time 2 "http://127.0.0.1:$ll_port/health/liveliness"); then
    litellm_status=measured
    litellm_note="litellm $("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))'), $litellm_workers worker(s), master key, no database"
    targets+=("litellm=http://127.0.0.1:$ll_port/v1,$ll_key")
    base[litellm]=http://127.0.0.1:$ll_port/v1
    key[litellm]=$ll_key
    pid_of[litellm]=$ll_pid
    names+=(litellm)
  else
    litellm_status=failed
    litellm_note="LiteLLM installed but did not start: $(last_lines "$work/litellm.log" 2 | tr '\n' ' ')"
    echo "$litellm_note; measuring direct and gateway only" >&2
  fi
fi

step "check: each target answers one call, streamed and not"
for name in "${names[@]}"; do
  for stream in false true; do
    out=$(curl -sS --max-time 30 -o "$work/check.out" -w '%{http_code}' "${base[$name]}/chat/completions" \
      -H 'Content-Type: application/json' ${key[$name]:+-H "Authorization: Bearer ${key[$name]}"} \
      --data "{\"model\":\"fake-model\",\"stream\":$stream,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}")
    [[ $out == 200 ]] || die "$name (stream=$stream) answered $out: $(head -c 300 "$work/check.out")"
    grep -q quick "$work/check.out" || die "$name (stream=$stream): unexpected body: $(head -c 300 "$work/check.out")"
  done
  echo "$name: ok"
done

cpu_ticks() { # cpu_ticks PID: user+system clock ticks of PID and its live children
  local p total=0 f
  for p in "$1" $(ps -o pid= --ppid "$1" 2>/dev/null); do
    f=$(cut -d' ' -f14,15 "/proc/$p/stat" 2>/dev/null) || continue
    total=$((total + ${f% *} + ${f#* }))
  done
  echo "$total"
}

wrk_run() { # wrk_run NAME THREADS CONNECTIONS SECONDS OUT: one wrk run, its BENCH_JSON line to OUT
  local name=$1 t=$2 c=$3 d=$4 out=$5
  wrk -t"$t" -c"$c" -d"${d}s" --timeout 10s --latency -s "$root/bench/wrk.lua" \
    ${key[$name]:+-H "Authorization: Bearer ${key[$name]}"} \
    "${base[$name]}/chat/completions" >"$work/wrk.txt" 2>&1 ||
    die "wrk against $name failed: $(cat "$work/wrk.txt")"
  sed -n 's/^BENCH_JSON //p' "$work/wrk.txt" >"$out"
  [[ -s $out ]] || die "wrk against $name printed no summary: $(cat "$work/wrk.txt")"
}

loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)
if python3 -c 'import os, sys; sys.exit(os.getloadavg()[0] < os.cpu_count() / 2)'; then
  echo "warning: load average $loadavg_start on $(nproc) CPU(s): something else is busy, the" \
    "figures will be noisy (the report records the load)" >&2
fi
started=$SECONDS

step "a. latency of one non-streamed call: $requests sequential requests per target after $warmup warm-up (Python client)"
python3 "$root/bench/client.py" latency --requests "$requests" --warmup "$warmup" \
  --max-seconds 150 $(printf -- '--target %s ' "${targets[@]}") >"$work/latency.json"

step "a'. the same with wrk -t1 -c1 (a C client: less client time per request), 5s per target"
for name in "${names[@]}"; do
  wrk_run "$name" 1 1 1 "$work/warmup.json"
  wrk_run "$name" 1 1 5 "$work/wrk1-$name.json"
done

step "a''. where the gateway's time goes: wrk -t1 -c1 -d3s on GET /health and GET /v1/models"
# /health crosses the middleware stack only; /v1/models adds the API-key check (two database
# reads) and the provider snapshot. Neither reaches the upstream.
for probe in health models; do
  if [[ $probe == health ]]; then url=$gw_url/health; else url=$gw_url/v1/models; fi
  BENCH_GET=1 wrk -t1 -c1 -d3s --latency -s "$root/bench/wrk.lua" \
    -H "Authorization: Bearer $gw_key" "$url" >"$work/wrk.txt" 2>&1 ||
    die "wrk against $url failed: $(cat "$work/wrk.txt")"
  sed -n 's/^BENCH_JSON //p' "$work/wrk.txt" >"$work/probe-$probe.json"
done

step "b. throughput: wrk -t$threads -c$connections -d${duration}s, $rounds round(s)"
tick_hz=$(getconf CLK_TCK)
for ((r = 1; r <= rounds; r++)); do
  order=("${names[@]}")
  if ((r % 2 == 0)); then order=($(printf '%s\n' "${names[@]}" | tac)); fi
  for name in "${order[@]}"; do
    wrk_run "$name" "$threads" "$connections" 2 "$work/warmup.json"
    fk0=$(cpu_ticks "$fake_pid") px0=$(cpu_ticks "${pid_of[$name]}")
    wrk_run "$name" "$threads" "$connections" "$duration" "$work/wrk-$name-$r.json"
    fk1=$(cpu_ticks "$fake_pid") px1=$(cpu_ticks "${pid_of[$name]}")
    python3 - "$work/wrk-$name-$r.json" "$tick_hz" "$((fk1 - fk0))" "$((px1 - px0))" <<'EOF'
import json, sys
path, hz, fake, proxy = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
d = json.load(open(path))
d["cpu_s"] = {"upstream": fake / hz, "target": proxy / hz}
json.dump(d, open(path, "w"))
EOF
    python3 -c 'import json, sys
d = json.load(open(sys.argv[3]))
print("  round %s %-8s %8.0f req/s  p50 %6d us  p99 %6d us  errors %d" % (sys.argv[1], sys.argv[2],
      d["rps"], d["latency_us"]["p50"], d["latency_us"]["p99"], sum(d["errors"].values())))' \
      "$r" "$name" "$work/wrk-$name-$r.json"
  done
done

step "c. streaming: $stream_requests sequential streamed requests per target (Python client)"
python3 "$root/bench/client.py" stream --requests "$stream_requests" --warmup 50 \
  --max-seconds 90 $(printf -- '--target %s ' "${targets[@]}") >"$work/stream.json"

loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)
elapsed=$((SECONDS - started))

step "report"
gw_errors=$(grep -ciE '\b(error|warn)' "$work/gateway.log" || true)
# Facts for the report, handed to Python through the environment.
export B_DATE B_COMMIT B_DIRTY B_CPU B_MEM B_LOAD0 B_LOAD1 B_LLMM B_BUILT B_RUSTC B_WRK B_REPLY_WORDS
export B_LITELLM_STATUS=$litellm_status B_LITELLM_NOTE=$litellm_note B_GW_WARNINGS=$gw_errors
export B_BUILD_SKIPPED=${BENCH_NO_BUILD:+1} B_LIMITS=${limits:-off}
B_DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
B_COMMIT=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
B_DIRTY=$(git -C "$root" status --porcelain -- crates Cargo.lock 2>/dev/null | wc -l)
B_CPU=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
B_MEM=$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)
B_LOAD0=$loadavg_start B_LOAD1=$loadavg_end
B_LLMM=$("$bin/llm-manager" --version | cut -d' ' -f2)
B_BUILT=$(date -u -r "$bin/llm-manager" +%Y-%m-%dT%H:%M:%SZ)
B_RUSTC=$(rustc --version | cut -d' ' -f2)
B_WRK=$({ wrk -v 2>&1 || true; } | head -n 1 | cut -d' ' -f2)
B_REPLY_WORDS=$(wc -w <<<"$reply")
python3 - "$work/meta.json" "$requests" "$warmup" "$stream_requests" "$duration" "$connections" \
  "$threads" "$rounds" "$elapsed" <<'EOF'
import json, os, platform, sys
e = os.environ
out, (req, warm, sreq, dur, conns, thr, rounds, secs) = sys.argv[1], map(int, sys.argv[2:])
json.dump({
    "date_utc": e["B_DATE"],
    "commit": e["B_COMMIT"],
    "uncommitted_changes_in_crates": int(e["B_DIRTY"]) > 0,
    "machine": {
        "nproc": os.cpu_count(),
        "cpu": e["B_CPU"],
        "kernel": platform.release(),
        "mem_gib": float(e["B_MEM"]),
        "loadavg_start": e["B_LOAD0"],
        "loadavg_end": e["B_LOAD1"],
    },
    "versions": {
        "llm_manager": e["B_LLMM"],
        "llm_manager_binary_built": e["B_BUILT"],
        "build_skipped": bool(e.get("B_BUILD_SKIPPED")),
        "rustc": e["B_RUSTC"],
        "wrk": e["B_WRK"],
        "python": platform.python_version(),
    },
    "settings": {
        "requests": req, "warmup": warm, "stream_requests": sreq, "duration_s": dur,
        "connections": conns, "threads": thr, "rounds": rounds,
        "reply_words": int(e["B_REPLY_WORDS"]),
        "limits": e.get("B_LIMITS") or "off",
    },
    "litellm": {"status": e["B_LITELLM_STATUS"], "note": e["B_LITELLM_NOTE"]},
    "gateway_log_warnings": int(e["B_GW_WARNINGS"]),
    "measure_seconds": secs,
}, open(out, "w"), indent=2)
EOF
mkdir -p "$results_dir"
python3 "$root/bench/report.py" --work "$work" --out "$results_dir/$(date -u +%Y-%m-%d)-gateway" \
  $(printf -- '--name %s ' "${names[@]}")
if ((gw_errors > 0)); then
  echo "note: the gateway logged $gw_errors warning/error line(s); first ones:" >&2
  grep -iE '\b(error|warn)' "$work/gateway.log" | head -n 5 >&2
fi
