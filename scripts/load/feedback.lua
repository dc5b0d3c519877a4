-- Feedback at a steady rate: each connection waits CG_DELAY_MS after each answer. Every text
-- is new, made of ordinary words as real comments are (a text of made-up tokens each time
-- would grow the model's vocabulary by thousands of features a second, as no site's
-- moderators do): eight words picked by the digits of a counter, so texts repeat only after
-- 60^8 of them, and new word pairs run out after 3,600. With CG_SCORE=1 the same texts go to
-- POST /v1/score instead, at the same pace: the control that says what answering that many
-- requests costs scoring, learning aside.
local n = 0
local thread_id = 0
local key = os.getenv("CG_KEY")
local delay_ms = tonumber(os.getenv("CG_DELAY_MS") or "10")
local control = os.getenv("CG_SCORE") == "1"
local jitter = os.getenv("CG_JITTER") == "1"
local words = {
  "the", "council", "should", "fix", "roads", "before", "winter", "free", "gift", "cards",
  "click", "link", "earn", "money", "from", "home", "great", "article", "thanks", "for",
  "sharing", "you", "are", "wrong", "about", "taxes", "my", "neighbour", "says", "school",
  "buses", "late", "again", "this", "week", "prize", "winner", "claim", "now", "offer",
  "video", "song", "love", "it", "please", "subscribe", "channel", "check", "out", "mine",
  "idiot", "stupid", "people", "never", "read", "news", "mayor", "budget", "park", "rain",
}
function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end
function request()
  n = n + 1
  local m = n * 64 + thread_id
  local text = {}
  for i = 1, 8 do
    text[i] = words[(m % #words) + 1]
    m = math.floor(m / #words)
  end
  local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
  if control then
    return wrk.format("POST", "/v1/score", headers, '{"text": "' .. table.concat(text, " ") .. '"}')
  end
  local body = '{"text": "' .. table.concat(text, " ") .. '", "labels": {"spam": ' .. tostring(n % 2 == 0) .. '}}'
  return wrk.format("POST", "/v1/feedback", headers, body)
end
function delay()
  if jitter then
    return math.random(0, 2 * delay_ms)
  end
  return delay_ms
end
