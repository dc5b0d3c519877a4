-- 100 comments per POST /v1/score (half spam, half civil).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CG_KEY")
local comments = {}
for i = 1, 100 do
  local text
  if i % 2 == 0 then
    text = "Hey, I know how badly you need money. Earn money by Gift Cards, just follow this link " .. i
  else
    text = "The council should fix the potholes on Main Street before winter, comment " .. i
  end
  comments[i] = '{"id": "' .. i .. '", "text": "' .. text .. '"}'
end
wrk.body = '{"comments": [' .. table.concat(comments, ",") .. ']}'
