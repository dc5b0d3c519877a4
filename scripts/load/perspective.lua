-- Perspective comments:analyze (the key in the query string, as Perspective clients send it).
wrk.method = "POST"
wrk.path = "/v1alpha1/comments:analyze?key=" .. os.getenv("CG_KEY")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"comment": {"text": "You are an idiot and this article is garbage."}, "requestedAttributes": {"TOXICITY": {}, "SPAM": {}}, "languages": ["en"]}'
