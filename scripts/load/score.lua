-- One comment per POST /v1/score.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("CG_KEY")
wrk.body = '{"text": "Hey, I know how badly you need money. Earn money by Gift Cards, just follow this link"}'
