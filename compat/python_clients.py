"""Drives commentguard serve with unmodified Python clients from PyPI.

Usage: python_clients.py BASE_URL KEY

- google-api-python-client builds the `commentanalyzer` v1alpha1 client from the server's own
  discovery document (its `discoveryServiceUrl` setting);
- `perspective` (PyPI) is pointed at the server through its client's `url` attribute, the one
  place the package keeps its endpoint;
- `akismet` (PyPI) is given an `httpx.Client` (its `http_client` setting) whose transport sends
  requests for rest.akismet.com to the server.

Each must see the gift-card reply under the seed article as spam and a civil comment as not.
"""

import sys

import akismet
import httpx
from googleapiclient import discovery
from perspective import PerspectiveAPI

BASE, KEY = sys.argv[1].rstrip("/"), sys.argv[2]
GIFT_CARDS = (
    "Hey, I know how badly you need money. Earn money by Gift Cards, just follow this link"
)
CIVIL = "The council should fix the potholes on Main Street before winter."
failures = []


def check(name, ok, detail):
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    if not ok:
        failures.append(name)


def google_client():
    client = discovery.build(
        "commentanalyzer",
        "v1alpha1",
        developerKey=KEY,
        discoveryServiceUrl=f"{BASE}/$discovery/rest?version=v1alpha1",
        static_discovery=False,
        cache_discovery=False,
    )
    for text, spam in [(GIFT_CARDS, True), (CIVIL, False)]:
        body = {
            "comment": {"text": text},
            "requestedAttributes": {"SPAM": {}, "TOXICITY": {}},
            "languages": ["en"],
            "clientToken": "compat",
        }
        response = client.comments().analyze(body=body).execute()
        score = response["attributeScores"]["SPAM"]["summaryScore"]["value"]
        check(
            f"google-api-python-client analyze ({'spam' if spam else 'civil'})",
            (score >= 0.5) == spam and response.get("clientToken") == "compat",
            f"SPAM={score:.3f}",
        )


def perspective_package():
    api = PerspectiveAPI(KEY)
    api.api_client.url = BASE + "/v1alpha1/{endpoint}"
    for text, spam in [(GIFT_CARDS, True), (CIVIL, False)]:
        response = api.analyze_comment(
            text, requested_attributes={"SPAM": {}, "TOXICITY": {}}, span_annotations=True
        )
        score = response["attributeScores"]["SPAM"]["summaryScore"]["value"]
        spans = response["attributeScores"]["SPAM"].get("spanScores", [])
        check(
            f"perspective analyze_comment ({'spam' if spam else 'civil'})",
            (score >= 0.5) == spam and len(spans) >= 1,
            f"SPAM={score:.3f}, {len(spans)} span(s)",
        )


class ToServer(httpx.BaseTransport):
    """Sends every request to the server under test instead of rest.akismet.com."""

    def __init__(self, base):
        self.base = httpx.URL(base)
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request):
        request.url = request.url.copy_with(
            scheme=self.base.scheme, host=self.base.host, port=self.base.port
        )
        return self.inner.handle_request(request)

    def close(self):
        self.inner.close()


def akismet_package():
    http = httpx.Client(transport=ToServer(BASE), headers={"User-Agent": akismet.USER_AGENT})
    config = akismet.Config(key=KEY, url="https://news.example.net")
    client = akismet.SyncClient.validated_client(config=config, http_client=http)
    check("akismet verify_key", client.verify_key() is True, "valid")
    wrong = akismet.SyncClient(config=akismet.Config(key="wrong-key-0123456789", url="https://x.example"), http_client=http)
    check("akismet verify_key (wrong key)", wrong.verify_key() is False, "invalid")
    spam = client.comment_check(user_ip="203.0.113.7", comment_content=GIFT_CARDS, comment_type="reply")
    check("akismet comment_check (spam)", spam in (akismet.CheckResponse.SPAM, akismet.CheckResponse.DISCARD), repr(spam))
    ham = client.comment_check(user_ip="203.0.113.8", comment_content=CIVIL, comment_type="comment")
    check("akismet comment_check (civil)", ham == akismet.CheckResponse.HAM, repr(ham))
    check(
        "akismet submit_spam",
        client.submit_spam(user_ip="203.0.113.7", comment_content="compat python spam: " + GIFT_CARDS) is True,
        "Thanks",
    )
    check(
        "akismet submit_ham",
        client.submit_ham(user_ip="203.0.113.8", comment_content="compat python ham: " + CIVIL) is True,
        "Thanks",
    )


for run in (google_client, perspective_package, akismet_package):
    try:
        run()
    except Exception as e:  # a client error is a failure of that client, not of the script
        check(run.__name__, False, f"{type(e).__name__}: {e}")

if failures:
    print(f"{len(failures)} check(s) failed: {', '.join(failures)}")
    sys.exit(1)
print("all Python client checks passed")
