-- Smart315 HTTP load for wrk: MODE (env) picks the workload.
--   bare        GET /bare (the bare-Flask ceiling)
--   bare_insert POST /bare-insert: the same body as a submission, one INSERT + COMMIT (the durable-write ceiling)
--   reads       public reads: rankings, business profiles, statistics
--   submit      POST /api/v1/complaints by many consumers
--   transition  POST /api/v1/complaints/{id}/transitions {"action":"accept"} on submitted complaints
--   mixed       80 % reads, 15 % submissions, 5 % transitions
-- RATE (env, requests/s for the whole run, optional) paces requests with delay() to measure latency below peak.
-- SKIP (env) leaves out the first SKIP submitted ids (used by an earlier run).
-- Data (tokens, ids) comes from DATA (env): a Lua file written by bench/http_bench.py.
local mode = os.getenv("MODE") or "mixed"
local rate = tonumber(os.getenv("RATE") or "0")
local conns = tonumber(os.getenv("CONNS") or "1")
local data = dofile(os.getenv("DATA"))
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

-- `tid` is the global that setup() gives each thread (thread:set); do not shadow it with a local.
local n, cids, ci

function init(args)
  tid = tid or 1
  n = 0
  ci = 0
  cids = {}
  local nthreads = tonumber(os.getenv("THREADS") or "2")
  local skip = tonumber(os.getenv("SKIP") or "0")  -- ids an earlier run already moved on
  for i, id in ipairs(data.submitted) do
    if i > skip and i % nthreads == (tid - 1) then table.insert(cids, id) end
  end
  math.randomseed(os.time() + tid * 7919)
end

local industries = data.industries
local function pick(t) return t[math.random(#t)] end

local function read_request()
  local r = math.random()
  if r < 0.375 then
    return wrk.format("GET", "/api/v1/public/rankings?industry=" .. pick(industries) .. "&page=" .. math.random(3))
  elseif r < 0.75 then
    return wrk.format("GET", "/api/v1/businesses/" .. pick(data.businesses))
  else
    return wrk.format("GET", "/api/v1/public/stats")
  end
end

local function submit_request()
  local body = string.format('{"business_id":%d,"industry_code":"%s","region_code":"110105","category":"quality",' ..
    '"title":"压测投诉：商品有质量问题","description":"压力测试生成的投诉内容，商品收到后发现质量问题，要求退款。",' ..
    '"purchase_date":"2026-11-01","amount_claimed":"199.00","demands":["refund"],"public_consent":true}',
    pick(data.businesses), pick(industries))
  return wrk.format("POST", "/api/v1/complaints",
    {["Authorization"] = "Bearer " .. pick(data.consumer_tokens), ["Content-Type"] = "application/json"}, body)
end

local function transition_request()
  ci = ci + 1
  local id = cids[ci]
  if id == nil then return read_request() end  -- pool used up: never send a request that must fail
  return wrk.format("POST", "/api/v1/complaints/" .. id .. "/transitions",
    {["Authorization"] = "Bearer " .. data.admin_token, ["Content-Type"] = "application/json"}, '{"action":"accept"}')
end

function request()
  n = n + 1
  if mode == "bare" then return wrk.format("GET", "/bare") end
  if mode == "bare_insert" then
    return wrk.format("POST", "/bare-insert", {["Content-Type"] = "application/json"},
      string.format('{"business_id":%d,"title":"压测投诉：商品有质量问题","description":"压力测试生成的投诉内容，商品收到后发现质量问题，要求退款。"}',
        pick(data.businesses)))
  end
  if mode == "reads" then return read_request() end
  if mode == "submit" then return submit_request() end
  if mode == "transition" then return transition_request() end
  local r = math.random()
  if r < 0.80 then return read_request() elseif r < 0.95 then return submit_request() else return transition_request() end
end

function delay()
  if rate > 0 then return 1000 * conns / rate end
  return 0
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,' ..
    '"max_ms":%.2f,"mean_ms":%.2f,"non_2xx":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, e.status, e.connect, e.read, e.write, e.timeout))
end
