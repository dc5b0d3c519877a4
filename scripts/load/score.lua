-- One comment per POST /v1/score. With CG_DELAY_MS set, each connection waits that long after
-- each answer: a paced load, so that connections / (delay + answer time) is the rate offered.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CG_KEY")
wrk.body = '{"text": "Hey, I know how badly you need money. Earn money by Gift Cards, just follow this link"}'
local delay_ms = tonumber(os.getenv("CG_DELAY_MS") or "0")
if delay_ms > 0 then
  function delay()
    return delay_ms
  end
end
