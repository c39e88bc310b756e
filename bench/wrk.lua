-- wrk script for bench/gateway.sh: POSTs one non-streamed chat completion per request (or,
-- with BENCH_GET=1, a plain GET of the URL) and, when wrk is done, prints one JSON line
-- (prefixed "BENCH_JSON ") with the figures the report needs. The Authorization header comes
-- from the command line (-H), so one script serves every target.
--
-- No response() hook on purpose: defining one makes wrk hand every body to Lua, which would
-- slow the load generator and blur the comparison. wrk itself counts statuses >= 400
-- (summary.errors.status) and socket errors.

if os.getenv("BENCH_GET") ~= "1" then
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = '{"model":"fake-model","messages":[{"role":"user","content":"Say hello"}]}'
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.6f,"rps":%.2f,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.2f,"stdev":%.2f,"min":%d,"max":%d,' ..
    '"p50":%d,"p90":%d,"p99":%d,"p99_9":%d}}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.stdev, latency.min, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9)))
end
