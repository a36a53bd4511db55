-- wrk script for `bench/load.mjs`. Every thread drives one connection; BENCH_REQUESTS holds one
-- request per thread ("METHOD PATH TOKEN", newline-separated) so that each connection can be a
-- learner of its own (chat turns in one room take turns). BENCH_BODY is sent with each request.
-- At the end, one JSON line with the figures.
local requests = {}
for line in (os.getenv("BENCH_REQUESTS") or ""):gmatch("[^\n]+") do
  local method, path, token = line:match("^(%S+) (%S+) (%S+)$")
  requests[#requests + 1] = { method = method, path = path, token = token }
end
local body = os.getenv("BENCH_BODY")
local accept = os.getenv("BENCH_ACCEPT") or "application/json"

local next_thread = 0
function setup(thread)
  next_thread = next_thread + 1
  thread:set("slot", next_thread)
end

local prepared
function init(args)
  local r = requests[((slot - 1) % #requests) + 1]
  local headers = { ["Authorization"] = "Bearer " .. r.token, ["Accept"] = accept }
  if body then headers["Content-Type"] = "application/json" end
  prepared = wrk.format(r.method, r.path, headers, body)
end

function request()
  return prepared
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
