-- wrk script of bench/run.sh: one request shape per run, chosen by the first
-- argument, and a JSON summary line at the end.
--
--   wrk ... -s bench.lua URL -- MODE [TOKEN] [PREFIX] [COUNT]
--
-- MODE:
--   get        GET the URL as given (test tokens, ceilings)
--   authorize  POST /v1/authorize {"signed_app_token": TOKEN}
--   put_new    PUT /v1/users/PREFIX<thread>-<n>, a new id every request
--   put_old    PUT /v1/users/PREFIX<k>, k walking over 1..COUNT (existing)
--   get_user   GET /v1/users/PREFIX<k>, k walking over 1..COUNT (existing)
--   get_auth   GET the URL as given, with the bearer TOKEN (group members)
--   members_add
--              POST to /v1/groups/<URL path>-<k>/members {"add":[id]}, k
--              going round COUNT groups, id PREFIX<thread>-<n> with n = 1,
--              2, ... per thread: a user that exists (preloaded) and is not
--              yet a member
-- TOKEN is the signed app token (authorize) or the bearer token (users).
-- Further arguments:
--   strict     count every non-2xx answer exactly (a Lua response() per
--              answer, which costs wrk some speed: used by --quick)
--   pace=MS    each connection waits a random time, MS milliseconds on
--              average (exponential: arrivals spread as from many
--              independent clients), before each request: an offered load
--              of about connections / MS per millisecond (--latency)
--
-- done() prints one line: BENCH_JSON {...} with requests/s, percentiles (us)
-- and error counts. wrk counts statuses >= 400 as errors.status; non2xx is
-- the exact count with "strict", else -1.

local threads = {}
local counter = 0
local seq = 0

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

local mode, token, prefix, count
local body_new, body_old

function init(args)
   mode = args[1] or "get"
   token = args[2] or ""
   prefix = args[3] or "u"
   count = tonumber(args[4] or "1000")
   local strict, pace = false, nil
   for i = 5, #args do
      if args[i] == "strict" then
         strict = true
      elseif args[i]:sub(1, 5) == "pace=" then
         pace = tonumber(args[i]:sub(6))
      end
   end
   if pace ~= nil and pace > 0 then
      math.randomseed(os.time() * 1000 + (tid or 1))
      -- Defined here, before wrk asks whether the script wants delays.
      delay = function()
         -- wrk truncates to whole milliseconds: round instead.
         return -math.log(1 - math.random()) * pace + 0.5
      end
   end
   if strict then
      non2xx = 0
      -- Defined here, before wrk asks whether the script wants responses.
      response = function(status)
         if status < 200 or status > 299 then
            non2xx = non2xx + 1
         end
      end
   end
   -- Each thread starts its walk elsewhere.
   counter = (tid or 1) * 104729
   seq = 0
   if mode == "authorize" then
      wrk.method = "POST"
      wrk.body = '{"signed_app_token":"' .. token .. '"}'
      wrk.headers["Content-Type"] = "application/json"
   elseif mode ~= "get" then
      wrk.headers["Authorization"] = "Bearer " .. token
      wrk.headers["Content-Type"] = "application/json"
   end
end

-- The next existing id: a stride through 1..count coprime with it (7919 is a
-- prime; a power of ten is never a multiple of it), so each thread visits
-- every id once per round in a scattered order, not neighbour after
-- neighbour.
function walk()
   return (counter * 7919) % count + 1
end

function request()
   counter = counter + 1
   if mode == "put_new" then
      local id = prefix .. tid .. "-" .. counter
      return wrk.format("PUT", "/v1/users/" .. id, nil,
         '{"email":"' .. id .. '@bench.example","name":"Bench ' .. id .. '"}')
   elseif mode == "put_old" then
      local k = walk()
      return wrk.format("PUT", "/v1/users/" .. prefix .. k, nil,
         '{"email":"e' .. k .. '@bench.example","name":"Bench ' .. counter .. '"}')
   elseif mode == "get_user" then
      return wrk.format("GET", "/v1/users/" .. prefix .. walk())
   elseif mode == "members_add" then
      -- COUNT groups (the URL's path, then -0 .. -COUNT-1), in turn
      seq = seq + 1
      return wrk.format("POST", wrk.path .. "-" .. (seq % count) .. "/members",
         nil, '{"add":["' .. prefix .. tid .. "-" .. seq .. '"]}')
   end
   return wrk.format()
end

function done(summary, latency, requests)
   local e = summary.errors
   local secs = summary.duration / 1e6
   local non2xx_total = -1
   for _, t in ipairs(threads) do
      local n = t:get("non2xx")
      if n ~= nil then
         non2xx_total = math.max(non2xx_total, 0) + n
      end
   end
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,' ..
      '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
      '"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d,' ..
      '"non2xx":%d}\n',
      summary.requests, secs, summary.requests / secs,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max,
      e.connect, e.read, e.write, e.timeout, e.status, non2xx_total))
end
