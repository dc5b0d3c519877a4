-- Akismet comment-check, form-encoded.
wrk.method = "POST"
wrk.path = "/1.1/comment-check"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "api_key=" .. os.getenv("CG_KEY") .. "&blog=https%3A%2F%2Fnews.example.net&user_ip=203.0.113.7&comment_type=reply&comment_content=Earn+money+by+Gift+Cards%2C+just+follow+this+link"
