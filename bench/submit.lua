-- wrk: POST the consultation form with one session's cookie and CSRF token, a fresh submission token each time.
-- BENCH_COOKIE and BENCH_BODY come from bench/run; "{token}" in the body becomes a new token per request.
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
  local token = string.format("bench%03d%016d", tag, counter)
  return wrk.format("POST", "/consultation", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, (body:gsub("{token}", token)))
end
