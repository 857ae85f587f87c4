-- wrk: POST the consultation form with one session's cookie and CSRF token, a fresh submission token each time.
-- BENCH_COOKIE and BENCH_BODY come from bench/run; "{token}" in the body becomes a new token per request.
-- BENCH_RUN (set by bench/run per wrk process) keeps the warm-up's tokens out of the measured run: a token
-- seen before is a resend, which stores nothing and would flatter the figure.
local run = os.getenv("BENCH_RUN") or "x"
local cookie = os.getenv("BENCH_COOKIE")
local body = os.getenv("BENCH_BODY")
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tag", threads)  -- each thread its own tokens: a repeated one would be a double submit
end

request = function()
  counter = counter + 1
  local token = string.format("bench%s%03d%016d", run, tag, counter)
  return wrk.format("POST", "/consultation", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, (body:gsub("{token}", token)))
end
