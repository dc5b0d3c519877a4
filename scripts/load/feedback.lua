-- Feedback at a steady rate: each connection waits CG_DELAY_MS between requests, so
-- connections x 1000 / CG_DELAY_MS feedbacks per second. Every text is new.
local n = 0
local thread_id = 0
local key = os.getenv("CG_KEY")
local delay_ms = tonumber(os.getenv("CG_DELAY_MS") or "10")
function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end
function request()
  n = n + 1
  local body = '{"text": "load test feedback ' .. thread_id .. ' ' .. n .. ' zq' .. n .. '", "labels": {"spam": ' .. tostring(n % 2 == 0) .. '}}'
  return wrk.format("POST", "/v1/feedback", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
function delay()
  return delay_ms
end
