-- wrk script for bench/projections.py: registerCity with a unique city name per request, 8 connections.
-- Counts answers that are not a RegisterCityPayload and prints them at the end ("failed N").
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("CITYNET_BENCH_TOKEN")
  math.randomseed(os.time() * 1000 + tid)
  prefix = string.format("%08x", math.random(0, 2147483647))
  counter, failures = 0, 0
end

function request()
  counter = counter + 1
  local body = '{"query":"mutation($n: String!) { registerCity(input: {name: $n, countryCode: \\"DE\\", '
    .. 'timeZone: \\"Europe/Berlin\\"}) { __typename } }","variables":{"n":"Load ' .. prefix .. ' '
    .. tid .. ' ' .. counter .. '"}}'
  return wrk.format("POST", "/graphql",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, "RegisterCityPayload", 1, true) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("failures")
  end
  io.write(string.format("failed %d\n", failed))
end
