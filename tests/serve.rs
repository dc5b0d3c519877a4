//! `commentguard serve` driven over HTTP as its clients drive it: the real binary on a free
//! loopback port.

mod serve_util;

use serde_json::json;
use serve_util::*;

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

#[test]
fn scores_one_comment_and_a_batch_with_actions() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let body = json!({ "text": GIFT_CARDS }).to_string();
    let (status, out) = server.post_json("/v1/score", Some(SCORER), &body);
    assert_eq!(status, 200, "{out}");
    let v = json(&out);
    assert_eq!(v["model"]["sha256"].as_str().unwrap().len(), 64);
    assert!(v["model"]["version"].is_string());
    let r = &v["results"][0];
    assert_eq!(r["id"], "1");
    assert!(r["scores"]["spam"].as_f64().unwrap() > 0.5, "{out}");
    assert_eq!(r["flagged"], json!(["spam"]));
    assert_ne!(r["action"], "allow");

    let body = json!({"comments": [
        {"id": "a", "text": CIVIL},
        {"id": 7, "text": GIFT_CARDS},
        {"id": "c", "text": "ok"},
    ]})
    .to_string();
    let (status, out) = server.post_json("/v1/score", Some(SCORER), &body);
    assert_eq!(status, 200, "{out}");
    let results = json(&out)["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 3);
    assert_eq!(
        (&results[0]["id"], &results[1]["id"], &results[2]["id"]),
        (&json!("a"), &json!(7), &json!("c"))
    );
    // Without ids, each result's id is its 1-based position.
    let body = json!({"comments": [{"text": CIVIL}, {"text": "ok"}]}).to_string();
    let (status, out) = server.post_json("/v1/score", Some(SCORER), &body);
    assert_eq!(status, 200, "{out}");
    assert_eq!(json(&out)["results"][1]["id"], "2");
    assert_eq!(results[0]["action"], "allow");
    assert_eq!(results[0]["flagged"], json!([]));
    assert_eq!(results[1]["flagged"], json!(["spam"]));
}

#[test]
fn the_block_threshold_flag_decides_block() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--block-threshold", "spam=0.5"]);
    let body = json!({ "text": GIFT_CARDS }).to_string();
    let (_, out) = server.post_json("/v1/score", Some(SCORER), &body);
    assert_eq!(json(&out)["results"][0]["action"], "block", "{out}");
    let (_, out) = server.get("/v1/model", Some(SCORER));
    let labels = json(&out)["labels"].clone();
    let spam = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "spam")
        .unwrap();
    assert_eq!(spam["block_threshold"], 0.5);
    // Without the flag, a label blocks at the model's own block threshold (99% out-of-fold
    // precision), never below its review threshold.
    let toxicity = labels
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "toxicity")
        .unwrap();
    let model = commentguard::Classifier::embedded().unwrap();
    let i = model.label_index("toxicity").unwrap();
    let expected = model.block_thresholds()[i].max(model.thresholds()[i]);
    // serde_json parses floats to within one unit in the last place (no `float_roundtrip`).
    let got = toxicity["block_threshold"].as_f64().unwrap();
    assert!((got - expected).abs() < 1e-15, "{got} vs {expected}");
}

#[test]
fn every_native_error_is_a_clear_json_error() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--max-body", "100000"]);
    let ok = json!({ "text": "hi" }).to_string();
    let (s, b) = server.post_json("/v1/score", None, &ok);
    assert_error(s, &b, 401, "missing API key");
    let (s, b) = server.post_json("/v1/score", Some("not-a-key-at-all-000"), &ok);
    assert_error(s, &b, 401, "not valid");
    let (s, b) = server.post_json(
        "/v1/feedback",
        Some(SCORER),
        &json!({"text": "x", "labels": {"spam": true}}).to_string(),
    );
    assert_error(s, &b, 403, "`learn` role");
    let (s, b) = server.post_json("/v1/score", Some(LEARNER), &ok);
    assert_error(s, &b, 403, "`score` role");
    let (s, b) = server.get("/v1/admin/reload", Some(ADMIN));
    assert_error(s, &b, 405, "GET");
    let (s, b) = server.post_json("/v1/admin/reload", Some(SCORER), "");
    assert_error(s, &b, 403, "`admin` role");
    let (s, b) = server.post_json("/v1/score", Some(SCORER), "{\"text\": ");
    assert_error(s, &b, 400, "invalid JSON body");
    let (s, b) = server.post_json("/v1/score", Some(SCORER), "{\"text\": 12}");
    assert_error(s, &b, 400, "field text: invalid type");
    // Service audit 14: the field of a wrong type is named, inside a batch too.
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        "{\"comments\": [{\"text\": \"a\"}, {\"text\": [1]}]}",
    );
    assert_error(s, &b, 400, "field comments[1].text: invalid type");
    let (s, b) = server.post_json(
        "/v1/feedback",
        Some(LEARNER),
        "{\"text\": \"a\", \"labels\": [\"spam\"]}",
    );
    assert_error(s, &b, 400, "field labels: invalid type");
    // Service audit 11: a label given twice was learned as the last, silently.
    let (s, b) = server.post_json(
        "/v1/feedback",
        Some(LEARNER),
        "{\"text\": \"a\", \"labels\": {\"spam\": true, \"spam\": false}}",
    );
    assert_error(s, &b, 400, "label \"spam\" is given twice");
    let (s, b) = server.post_json("/v1/score", Some(SCORER), "{\"txt\": \"hi\"}");
    assert_error(s, &b, 400, "unknown field");
    let (s, b) = server.post_json("/v1/score", Some(SCORER), "{}");
    assert_error(s, &b, 422, "either");
    let (s, b) = server.post_json("/v1/score", Some(SCORER), "{\"comments\": []}");
    assert_error(s, &b, 422, "empty");
    let long = "a ".repeat(10_241);
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        &json!({ "text": long }).to_string(),
    );
    assert_error(s, &b, 413, "20480");
    let many: Vec<_> = (0..1001).map(|_| json!({"text": "x"})).collect();
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        &json!({ "comments": many }).to_string(),
    );
    assert_error(s, &b, 413, "limit is 1000");
    let huge = json!({ "text": "b".repeat(200_000) }).to_string();
    let (s, b) = server.post_raw("/v1/score", SCORER, huge.as_bytes());
    assert_error(s, &b, 413, "too large");
    let (s, b) = server.get("/v2/nothing", Some(SCORER));
    assert_error(s, &b, 404, "/v2/nothing");
    let form = ureq::post(&server.url("/v1/score"))
        .set("Authorization", &format!("Bearer {SCORER}"))
        .send_form(&[("text", "hi")]);
    let Err(ureq::Error::Status(415, r)) = form else {
        panic!("expected 415")
    };
    assert_error(415, &r.into_string().unwrap(), 415, "must be JSON");
    let bad = json!({"text": "x", "labels": {"nonsense": true}}).to_string();
    let (s, b) = server.post_json("/v1/feedback", Some(ADMIN), &bad);
    assert_error(s, &b, 422, "unknown label \"nonsense\"");
    let (s, b) = server.post_json(
        "/v1/feedback",
        Some(ADMIN),
        &json!({"text": "x", "labels": {}}).to_string(),
    );
    assert_error(s, &b, 422, "labels");
    // Invalid UTF-8 inside a JSON string.
    let raw = ureq::post(&server.url("/v1/score"))
        .set("Authorization", &format!("Bearer {SCORER}"))
        .set("Content-Type", "application/json")
        .send_bytes(b"{\"text\": \"\xff\xfe\"}");
    let Err(ureq::Error::Status(400, _)) = raw else {
        panic!("expected 400")
    };
}

#[test]
fn feedback_is_learned_at_once_survives_a_restart_and_forgets_exactly() {
    let dir = tempdir();
    let journal = dir.path().join("journal");
    let journal_arg = journal.to_str().unwrap();
    let novel = "zorblax vouchers at zorblax dot example, claim your zorblax today";
    let learned_spam =
        json!({"text": novel, "labels": {"spam": true, "toxicity": false}}).to_string();
    let (before, after);
    {
        let server = Server::start(dir.path(), &["--journal", journal_arg]);
        before = server.score(novel, "spam");
        for _ in 0..3 {
            let (s, b) = server.post_json("/v1/feedback", Some(LEARNER), &learned_spam);
            assert_eq!(s, 200, "{b}");
            assert_eq!(json(&b)["learned"], true);
        }
        after = server.score(novel, "spam");
        assert!(
            after > before,
            "learning moved nothing: {before} -> {after}"
        );
        let (_, m) = server.get("/v1/model", Some(SCORER));
        assert_eq!(json(&m)["feedback"]["learned"], 3, "{m}");
    }
    // A new process replays the journal: the same model, the same version.
    let server = Server::start(dir.path(), &["--journal", journal_arg]);
    assert_eq!(server.score(novel, "spam"), after);
    let (_, m) = server.get("/v1/model", Some(SCORER));
    let m = json(&m);
    assert_eq!(m["feedback"]["learned"], 3);
    assert!(
        m["model"]["version"].as_str().unwrap().contains("+3."),
        "{m}"
    );
    // Forget needs the same text and labels.
    let other_labels = json!({"text": novel, "labels": {"spam": true}}).to_string();
    let (s, b) = server.post_json("/v1/forget", Some(LEARNER), &other_labels);
    assert_error(s, &b, 409, "never learned");
    for left in [2, 1, 0] {
        let (s, b) = server.post_json("/v1/forget", Some(LEARNER), &learned_spam);
        assert_eq!(s, 200, "{b}");
        assert_eq!(json(&b)["feedback_learned"], left);
    }
    let (s, b) = server.post_json("/v1/forget", Some(LEARNER), &learned_spam);
    assert_error(s, &b, 409, "never learned");
    let restored = server.score(novel, "spam");
    assert!((restored - before).abs() < 1e-9, "{before} vs {restored}");
    let (_, m) = server.get("/v1/model", Some(SCORER));
    assert_eq!(json(&m)["model"]["version"].as_str().unwrap().len(), 12);
}

#[test]
fn concurrent_feedback_is_all_acknowledged_and_counted_once() {
    let dir = tempdir();
    let journal = dir.path().join("j");
    let server = Server::start(dir.path(), &["--journal", journal.to_str().unwrap()]);
    let url = server.url("/v1/feedback");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let body =
                        json!({"text": format!("comment {t} {i}"), "labels": {"spam": i % 2 == 0}});
                    let r = ureq::post(&url)
                        .set("Authorization", &format!("Bearer {LEARNER}"))
                        .set("Content-Type", "application/json")
                        .send_string(&body.to_string());
                    assert_eq!(r.expect("acknowledged").status(), 200);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (_, m) = server.get("/v1/model", Some(SCORER));
    assert_eq!(json(&m)["feedback"]["learned"], 200);
    let lines = std::fs::read_to_string(journal.join("journal.log")).unwrap();
    assert_eq!(lines.lines().count(), 200);
    let (_, metrics) = server.get("/metrics", None);
    assert!(
        metrics.contains("commentguard_feedback_total{op=\"learn\"} 200"),
        "{metrics}"
    );
}

#[test]
fn model_health_and_metrics() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    assert_eq!(server.get("/healthz", None).0, 200);
    let (s, b) = server.get("/readyz", None);
    assert_eq!((s, json(&b)["status"].as_str()), (200, Some("ready")));
    let (s, b) = server.get("/v1/model", Some(SCORER));
    assert_eq!(s, 200);
    let m = json(&b);
    let embedded = commentguard::Classifier::embedded().unwrap();
    assert_eq!(m["training"]["rows"], embedded.summary().rows);
    assert_eq!(m["labels"][0]["name"], "spam");
    assert!(m["vocabulary"].as_u64().unwrap() > 1000);
    server.post_json(
        "/v1/score",
        Some(SCORER),
        &json!({ "text": GIFT_CARDS }).to_string(),
    );
    server.post_json("/v1/score", None, "{}");
    let (s, metrics) = server.get("/metrics", None);
    assert_eq!(s, 200);
    for needle in [
        "commentguard_http_requests_total{route=\"/v1/score\",status=\"200\"} 1",
        "commentguard_http_requests_total{route=\"/v1/score\",status=\"401\"} 1",
        "commentguard_http_request_duration_seconds_count{route=\"/v1/score\"} 2",
        "commentguard_comments_scored_total 1",
        "commentguard_flags_total{label=\"spam\"} 1",
        "commentguard_feedback_learned 0",
        "commentguard_model_info{",
    ] {
        assert!(metrics.contains(needle), "{needle} not in:\n{metrics}");
    }
}

#[test]
fn perspective_analyze_answers_in_perspectives_shape() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let url = server.url(&format!("/v1alpha1/comments:analyze?key={SCORER}"));
    let post = |body: serde_json::Value| {
        let r = ureq::post(&url).send_json(body);
        match r {
            Ok(r) => (r.status(), r.into_string().unwrap()),
            Err(ureq::Error::Status(c, r)) => (c, r.into_string().unwrap()),
            Err(e) => panic!("{e}"),
        }
    };
    let text = "Earn money by Gift Cards, just follow this link. 😀 Have a nice day.";
    let (s, b) = post(json!({
        "comment": {"text": text},
        "requestedAttributes": {"SPAM": {}, "TOXICITY": {"scoreThreshold": 0.0}},
        "languages": ["en"],
        "doNotStore": true,
        "clientToken": "token-1",
        "spanAnnotations": true,
    }));
    assert_eq!(s, 200, "{b}");
    let v = json(&b);
    assert_eq!(v["clientToken"], "token-1");
    assert_eq!(v["languages"], json!(["en"]));
    // The languages scored in, never a claim to have detected them: it detects none.
    assert!(v.get("detectedLanguages").is_none(), "{b}");
    let spam = &v["attributeScores"]["SPAM"];
    assert_eq!(spam["summaryScore"]["type"], "PROBABILITY");
    assert!(spam["summaryScore"]["value"].as_f64().unwrap() > 0.5, "{b}");
    // TOXICITY maps to the model's `toxicity` label.
    assert!(v["attributeScores"]["TOXICITY"]["summaryScore"]["value"].is_f64());
    let spans = spam["spanScores"].as_array().unwrap();
    assert_eq!(spans.len(), 2, "{b}");
    let first = "Earn money by Gift Cards, just follow this link.";
    assert_eq!(
        (spans[0]["begin"].as_u64(), spans[0]["end"].as_u64()),
        (Some(0), Some(first.len() as u64))
    );
    // The emoji counts two UTF-16 units.
    let second_len = "😀 Have a nice day.".encode_utf16().count() as u64;
    assert_eq!(
        spans[1]["end"].as_u64().unwrap() - spans[1]["begin"].as_u64().unwrap(),
        second_len
    );

    // A score under scoreThreshold leaves the attribute out.
    let (s, b) = post(
        json!({"comment": {"text": CIVIL}, "requestedAttributes": {"SPAM": {"scoreThreshold": 0.9}}}),
    );
    assert_eq!(s, 200);
    assert_eq!(json(&b)["attributeScores"], json!({}));
    // No languages asked for: the model's own, English, and still none "detected".
    assert_eq!(json(&b)["languages"], json!(["en"]), "{b}");
    assert!(json(&b).get("detectedLanguages").is_none(), "{b}");
    let (s, b) = post(
        json!({"comment": {"text": CIVIL}, "languages": ["fr", "de"],
        "requestedAttributes": {"TOXICITY": {}}}),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(json(&b)["languages"], json!(["fr", "de"]), "{b}");
    assert!(json(&b).get("detectedLanguages").is_none(), "{b}");

    let (s, b) = post(json!({"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}));
    assert_error(s, &b, 400, "Comment must be non-empty.");
    let (s, b) = post(
        json!({"comment": {"text": "x".repeat(20_481)}, "requestedAttributes": {"TOXICITY": {}}}),
    );
    assert_error(s, &b, 400, "too long");
    let (s, b) = post(json!({"comment": {"text": "hi"}}));
    assert_error(s, &b, 400, "Must request at least one attribute.");
    let (s, b) =
        post(json!({"comment": {"text": "hi"}, "requestedAttributes": {"FLIRTATION": {}}}));
    assert_error(s, &b, 400, "Unknown attribute: FLIRTATION");
    assert_eq!(json(&b)["error"]["status"], "INVALID_ARGUMENT");
    // Service audit 12: a threshold past 1 was taken, and filtered every score out.
    let (s, b) = post(
        json!({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {"scoreThreshold": 5}}}),
    );
    assert_error(
        s,
        &b,
        400,
        "TOXICITY.scoreThreshold is 5; it must be between 0 and 1.",
    );
    // Service audit 15: a repeated key parameter was a bare "Bad Request".
    let twice = ureq::post(&server.url(&format!(
        "/v1alpha1/comments:analyze?key={SCORER}&key={SCORER}"
    )))
    .send_json(json!({"comment": {"text": "hi"}, "requestedAttributes": {"TOXICITY": {}}}));
    let Err(ureq::Error::Status(400, r)) = twice else {
        panic!("expected 400")
    };
    assert_error(
        400,
        &r.into_string().unwrap(),
        400,
        "The key query parameter is given more than once",
    );
    let body = json!({"comment": {"text": "hi"}, "requestedAttributes": {"SPAM": {}}});
    let bad = ureq::post(&server.url("/v1alpha1/comments:analyze?key=wrong-key-000000000"))
        .send_json(&body);
    let Err(ureq::Error::Status(400, r)) = bad else {
        panic!("expected 400")
    };
    assert_error(
        400,
        &r.into_string().unwrap(),
        400,
        "API key not valid. Please pass a valid API key.",
    );
    let missing = ureq::post(&server.url("/v1alpha1/comments:analyze")).send_json(&body);
    let Err(ureq::Error::Status(403, r)) = missing else {
        panic!("expected 403")
    };
    let r = json(&r.into_string().unwrap());
    assert_eq!(r["error"]["status"], "PERMISSION_DENIED");
}

#[test]
fn attribute_flag_maps_a_name_to_a_label_and_discovery_points_here() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--attribute", "INSULT=toxicity"]);
    let url = server.url(&format!("/v1alpha1/comments:analyze?key={SCORER}"));
    let r = ureq::post(&url)
        .send_json(json!({"comment": {"text": "you idiot"}, "requestedAttributes": {"INSULT": {}}}))
        .unwrap();
    let v: serde_json::Value = r.into_json().unwrap();
    assert!(
        v["attributeScores"]["INSULT"]["summaryScore"]["value"].is_f64(),
        "{v}"
    );
    let (s, b) = server.get("/$discovery/rest?version=v1alpha1", None);
    assert_eq!(s, 200);
    let d = json(&b);
    assert_eq!(d["rootUrl"], format!("{}/", server.base));
    assert_eq!(
        d["resources"]["comments"]["methods"]["analyze"]["path"],
        "v1alpha1/comments:analyze"
    );
    let (s, b) = server.get("/$discovery/rest?version=v9", None);
    assert_error(s, &b, 404, "v1alpha1");
}

#[test]
fn akismet_checks_and_learns_in_plain_text() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--block-threshold", "spam=0.8"]);
    let (s, b, _) = server.post_form(
        "/1.1/verify-key",
        &[("key", SCORER), ("blog", "https://example.net")],
    );
    assert_eq!((s, b.as_str()), (200, "valid"));
    let (s, b, _) = server.post_form(
        "/1.1/verify-key",
        &[("key", "nope-nope-nope-nope"), ("blog", "x")],
    );
    assert_eq!((s, b.as_str()), (200, "invalid"));
    let check = |text: &str| {
        server.post_form(
            "/1.1/comment-check",
            &[
                ("api_key", SCORER),
                ("blog", "https://example.net"),
                ("user_ip", "127.0.0.1"),
                ("comment_type", "comment"),
                ("comment_content", text),
                ("unknown_field", "ignored"),
            ],
        )
    };
    let (s, b, tip) = check(GIFT_CARDS);
    assert_eq!(
        (s, b.as_str(), tip.as_deref()),
        (200, "true", Some("discard"))
    );
    let (s, b, tip) = check(CIVIL);
    assert_eq!((s, b.as_str(), tip), (200, "false", None));
    let (_, b, _) = server.post_form(
        "/1.1/comment-check",
        &[("api_key", "bad-bad-bad-bad-bad"), ("comment_content", "x")],
    );
    assert_eq!(b, "invalid");

    // The key in the host name's first label, as some clients send it.
    let r = ureq::post(&server.url("/1.1/comment-check"))
        .set("Host", &format!("{SCORER}.rest.example.net"))
        .send_form(&[
            ("blog", "x"),
            ("user_ip", "127.0.0.1"),
            ("comment_content", GIFT_CARDS),
        ])
        .unwrap();
    assert_eq!(r.into_string().unwrap(), "true");

    // Service audit 7: Akismet requires blog and user_ip, and so does this server.
    let (s, b, _) = server.post_form(
        "/1.1/comment-check",
        &[
            ("api_key", SCORER),
            ("user_ip", "1.2.3.4"),
            ("comment_content", "x"),
        ],
    );
    assert_eq!((s, b.as_str()), (400, "Missing required field: blog."));
    // Service audit 4: a field that is not UTF-8 was learned as other text (U+FFFD); it is
    // refused, named. Audit 11: a repeated field takes its last value, as PHP does.
    let latin1 = format!("api_key={LEARNER}&blog=b&user_ip=1.2.3.4&comment_content=caf%E9+offer");
    match ureq::post(&server.url("/1.1/submit-spam"))
        .set("Content-Type", "application/x-www-form-urlencoded")
        .send_string(&latin1)
    {
        Err(ureq::Error::Status(400, r)) => {
            assert!(r
                .into_string()
                .unwrap()
                .contains("comment_content is not UTF-8"))
        }
        other => panic!("{other:?}"),
    }
    let (_, b, _) = server.post_form(
        "/1.1/comment-check",
        &[
            ("api_key", SCORER),
            ("blog", "b"),
            ("user_ip", "1.2.3.4"),
            ("comment_content", CIVIL),
            ("comment_content", GIFT_CARDS),
        ],
    );
    assert_eq!(b, "true");
    // Audit 16: the length refusal names the form's field, not the native API's "text".
    let long = "spam ".repeat(5000);
    let (s, b, _) = server.post_form(
        "/1.1/submit-spam",
        &[
            ("api_key", LEARNER),
            ("blog", "b"),
            ("user_ip", "1.2.3.4"),
            ("comment_content", &long),
        ],
    );
    assert_eq!(s, 413, "{b}");
    assert!(b.starts_with("Field comment_content is 25000 bytes"), "{b}");

    let novel = "quux frobnicate quux zorblax blorp";
    let before = server.score(novel, "spam");
    let (s, b, _) = server.post_form(
        "/1.1/submit-spam",
        &[("api_key", SCORER), ("comment_content", novel)],
    );
    assert_eq!(s, 403, "{b}");
    for _ in 0..3 {
        let (s, b, _) = server.post_form(
            "/1.1/submit-spam",
            &[
                ("api_key", LEARNER),
                ("blog", "b"),
                ("user_ip", "1.2.3.4"),
                ("comment_content", novel),
            ],
        );
        assert_eq!(
            (s, b.as_str()),
            (200, "Thanks for making the web a better place.")
        );
    }
    assert!(server.score(novel, "spam") > before);
    // Regression: learning with a spam verdict alone gave the comment's new words toxic weights
    // from nothing (document frequencies without toxic counts), and its toxic score jumped
    // from 0.02 to 0.91. The labels a client leaves out now take the model's own verdicts.
    let toxic = server.score(novel, "toxicity");
    assert!(
        toxic < 0.2,
        "toxicity score {toxic} after spam-only feedback"
    );
    let (s, b, _) = server.post_form(
        "/1.1/submit-ham",
        &[
            ("api_key", LEARNER),
            ("blog", "b"),
            ("user_ip", "1.2.3.4"),
            ("comment_content", CIVIL),
        ],
    );
    assert_eq!(
        (s, b.as_str()),
        (200, "Thanks for making the web a better place.")
    );
    let (_, m) = server.get("/v1/model", Some(SCORER));
    assert_eq!(json(&m)["feedback"]["learned"], 4);
    let (s, _, _) = server.post_form("/1.1/submit-ham", &[("api_key", LEARNER)]);
    assert_eq!(s, 400);
    // The second service audit: a test submission (is_test) was learned, as Akismet does not.
    let (s, b, _) = server.post_form(
        "/1.1/submit-spam",
        &[
            ("api_key", LEARNER),
            ("blog", "b"),
            ("user_ip", "1.2.3.4"),
            ("comment_content", "a test submission, not a verdict"),
            ("is_test", "1"),
        ],
    );
    assert_eq!(
        (s, b.as_str()),
        (200, "Thanks for making the web a better place.")
    );
    let (_, m) = server.get("/v1/model", Some(SCORER));
    assert_eq!(json(&m)["feedback"]["learned"], 4);
    // And its refusals carried no X-akismet-debug-help: a missing comment_content, a key
    // without the role.
    for (key, fields, status) in [
        (LEARNER, vec![("blog", "b"), ("user_ip", "1.2.3.4")], 400),
        (
            SCORER,
            vec![
                ("blog", "b"),
                ("user_ip", "1.2.3.4"),
                ("comment_content", "x"),
            ],
            403,
        ),
    ] {
        let mut form = vec![("api_key", key)];
        form.extend(fields);
        match ureq::post(&server.url("/1.1/submit-spam")).send_form(&form) {
            Err(ureq::Error::Status(code, r)) => {
                assert_eq!(code, status);
                assert!(r.header("x-akismet-debug-help").is_some(), "{status}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn reload_keeps_feedback_and_sigterm_drains_and_exits_zero() {
    let dir = tempdir();
    let model = dir.path().join("m.model");
    std::fs::write(&model, commentguard::DEFAULT_MODEL).unwrap();
    let mut server = Server::start(dir.path(), &["--model", model.to_str().unwrap()]);
    let fb = json!({"text": "zorblax vouchers zorblax", "labels": {"spam": true}}).to_string();
    assert_eq!(server.post_json("/v1/feedback", Some(ADMIN), &fb).0, 200);
    let learned = server.score("zorblax vouchers zorblax", "spam");
    let (s, b) = server.post_json("/v1/admin/reload", Some(ADMIN), "");
    assert_eq!(s, 200, "{b}");
    assert_eq!(server.score("zorblax vouchers zorblax", "spam"), learned);
    server.signal("HUP");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(server.score("zorblax vouchers zorblax", "spam"), learned);
    // A broken model file is refused and the old model stays.
    std::fs::write(&model, b"not a model").unwrap();
    let (s, b) = server.post_json("/v1/admin/reload", Some(ADMIN), "");
    assert_error(s, &b, 409, "reload refused");
    assert_eq!(json(&b)["error"]["status"], "FAILED_PRECONDITION");
    assert_eq!(server.score("zorblax vouchers zorblax", "spam"), learned);
    server.signal("TERM");
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn bad_configuration_stops_with_one_clear_line() {
    let dir = tempdir();
    let keys = keys_file(dir.path());
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
            .arg("serve")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let bad_keys = dir.path().join("bad.toml");
    std::fs::write(&bad_keys, "[[key]]\nkey = 5\n").unwrap();
    let err = run(&["--keys", bad_keys.to_str().unwrap()]);
    assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
    let keys = keys.to_str().unwrap();
    let err = run(&["--keys", keys, "--threshold", "nope=0.5"]);
    assert!(
        err.contains("no label \"nope\"") && err.contains("spam, toxicity"),
        "{err}"
    );
    let err = run(&["--keys", keys, "--attribute", "TOXICITY=nope"]);
    assert!(err.contains("--attribute TOXICITY=nope"), "{err}");
    let journal = dir.path().join("j");
    std::fs::create_dir(&journal).unwrap();
    std::fs::write(journal.join("journal.log"), "0000000000000000 {}\nnext\n").unwrap();
    let err = run(&["--keys", keys, "--journal", journal.to_str().unwrap()]);
    assert!(err.contains("journal.log: line 1"), "{err}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["serve", "--generate-key"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains("roles = [\"score\", \"learn\", \"admin\"]"));
}

#[test]
fn a_snapshot_compacts_the_journal_and_a_restart_starts_from_it() {
    let dir = tempdir();
    let journal = dir.path().join("journal");
    let args = ["--journal", journal.to_str().unwrap()];
    let novel = "zorblax vouchers at zorblax dot example";
    let fb = json!({"text": novel, "labels": {"spam": true}}).to_string();
    let (learned, version);
    {
        let server = Server::start(dir.path(), &args);
        for _ in 0..2 {
            assert_eq!(server.post_json("/v1/feedback", Some(LEARNER), &fb).0, 200);
        }
        // One forgotten and learned again: totals 3 learned, 1 forgotten, 2 in the model.
        assert_eq!(server.post_json("/v1/forget", Some(LEARNER), &fb).0, 200);
        assert_eq!(server.post_json("/v1/feedback", Some(LEARNER), &fb).0, 200);
        let (s, b) = server.post_json("/v1/admin/snapshot", Some(LEARNER), "");
        assert_error(s, &b, 403, "`admin` role");
        let (s, b) = server.post_json("/v1/admin/snapshot", Some(ADMIN), "");
        assert_eq!(s, 200, "{b}");
        assert_eq!(json(&b)["generation"], 1);
        assert_eq!(
            std::fs::read_to_string(journal.join("CURRENT")).unwrap(),
            "1\n"
        );
        assert!(
            !journal.join("journal.log").exists(),
            "generation 0's journal is gone"
        );
        // Feedback after the snapshot goes to the new generation's journal.
        assert_eq!(server.post_json("/v1/feedback", Some(LEARNER), &fb).0, 200);
        let lines = std::fs::read_to_string(journal.join("journal-1.log")).unwrap();
        assert_eq!(lines.lines().count(), 1);
        learned = server.score(novel, "spam");
        let (_, m) = server.get("/v1/model", Some(SCORER));
        version = json(&m)["model"]["version"].clone();
    }
    let server = Server::start(dir.path(), &args);
    assert!((server.score(novel, "spam") - learned).abs() < 1e-12);
    let (_, m) = server.get("/v1/model", Some(SCORER));
    let m = json(&m);
    assert_eq!(m["feedback"]["learned"], 3);
    // Service audit 10: the totals restarted from the ledger after a snapshot (3/1 became 2/0).
    assert_eq!(
        (
            &m["feedback"]["learned_total"],
            &m["feedback"]["forgotten_total"]
        ),
        (&json!(4), &json!(1))
    );
    assert_eq!(m["model"]["version"], version);
    // The snapshot's ledger still lets each feedback be forgotten once.
    for _ in 0..3 {
        assert_eq!(server.post_json("/v1/forget", Some(LEARNER), &fb).0, 200);
    }
    let (s, b) = server.post_json("/v1/forget", Some(LEARNER), &fb);
    assert_error(s, &b, 409, "never learned");
    // Without a journal there is nothing to compact.
    let plain = Server::start(dir.path(), &[]);
    let (s, b) = plain.post_json("/v1/admin/snapshot", Some(ADMIN), "");
    assert_error(s, &b, 409, "no --journal");
}

/// A `/v1/score` body of 1,000 comments: it holds a concurrency slot for milliseconds.
fn busy_batch() -> String {
    let batch: Vec<_> = (0..1000)
        .map(|i| json!({ "text": format!("{GIFT_CARDS} {i}") }))
        .collect();
    json!({ "comments": batch }).to_string()
}

#[test]
fn requests_past_the_concurrency_limit_get_429_and_are_counted() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--max-concurrent", "1"]);
    // Batches of 1,000 comments keep the one slot busy for milliseconds, so eight clients at
    // once collide.
    let body = busy_batch();
    let url = server.url("/v1/score");
    // None: the connection broke while the body was still being sent, which happens when
    // the server refuses before reading it; a request it serves is read whole.
    let statuses: Vec<Option<u16>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    (0..5)
                        .map(|_| {
                            let r = ureq::post(&url)
                                .set("Authorization", &format!("Bearer {SCORER}"))
                                .set("Content-Type", "application/json")
                                .send_string(&body);
                            match r {
                                Ok(r) => Some(r.status()),
                                Err(ureq::Error::Status(code, r)) => {
                                    let b = r.into_string().unwrap();
                                    assert_error(code, &b, 429, "too many requests");
                                    Some(code)
                                }
                                Err(ureq::Error::Transport(_)) => None,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    let served = statuses.iter().filter(|&&s| s == Some(200)).count();
    let refused = statuses.len() - served;
    assert!(refused > 0, "no request was refused: {statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| matches!(s, None | Some(200) | Some(429))),
        "{statuses:?}"
    );
    let (_, metrics) = server.get("/metrics", None);
    for (status, n) in [(200, served), (429, refused)] {
        let line = format!(
            "commentguard_http_requests_total{{route=\"/v1/score\",status=\"{status}\"}} {n}"
        );
        assert!(metrics.contains(&line), "{line} not in:\n{metrics}");
    }
}

/// `--max-concurrent` is one limit for the whole server: while batches keep the one slot busy
/// on `/v1/score`, a Perspective request is refused too. (It was per route: each route had its
/// own slots, so one route could not hold back another.)
#[test]
fn the_concurrency_limit_holds_across_routes() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--max-concurrent", "1"]);
    let body = busy_batch();
    let score_url = server.url("/v1/score");
    let analyze_url = server.url(&format!("/v1alpha1/comments:analyze?key={SCORER}"));
    let analyze = json!({
        "comment": { "text": "I think the article misses the point about sanctions." },
        "requestedAttributes": { "TOXICITY": {} },
    });
    let done = std::sync::atomic::AtomicBool::new(false);
    let refused = std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = ureq::post(&score_url)
                        .set("Authorization", &format!("Bearer {SCORER}"))
                        .set("Content-Type", "application/json")
                        .send_string(&body);
                }
            });
        }
        // One Perspective request at a time: a per-route limit of 1 never refuses these.
        let mut refused = None;
        for _ in 0..2000 {
            match ureq::post(&analyze_url).send_json(analyze.clone()) {
                Ok(r) => assert_eq!(r.status(), 200),
                Err(ureq::Error::Status(code, r)) => {
                    let b = r.into_string().unwrap();
                    assert_eq!(code, 429, "{b}");
                    assert!(
                        b.contains("RESOURCE_EXHAUSTED") || b.contains("too many"),
                        "{b}"
                    );
                    refused = Some(code);
                    break;
                }
                Err(e) => panic!("transport error: {e}"),
            }
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        refused
    });
    assert_eq!(
        refused,
        Some(429),
        "no Perspective request was refused while /v1/score held the only slot"
    );
}

/// A client that sends its headers and then stalls is answered 408 after `--timeout`, in the
/// JSON error shape, and counted; the server goes on serving.
#[test]
fn a_stalled_request_times_out_with_408() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--timeout", "1"]);
    let addr = server.url("").trim_start_matches("http://").to_owned();
    let head = format!(
        "POST /v1/score HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {SCORER}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{\"text\""
    );
    let answer = server.exchange_raw(head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let body = &answer[answer.find('{').expect("a JSON body")..];
    assert_error(408, body, 408, "timed out");
    assert!(
        server.score(GIFT_CARDS, "spam") > 0.9,
        "the server still scores"
    );
    let (_, metrics) = server.get("/metrics", None);
    let line = "commentguard_http_requests_total{route=\"/v1/score\",status=\"408\"} 1";
    assert!(metrics.contains(line), "{line} not in:\n{metrics}");
}

/// The second service audit: a request declaring a body over `--max-body` with `Expect:
/// 100-continue` was told `100 Continue`, then refused once it had sent the body. It is
/// refused at once, before any body, in the JSON shape (plain text for Akismet's routes).
#[test]
fn a_body_declared_over_the_limit_is_refused_before_it_is_sent() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--max-body", "2000"]);
    let addr = server.url("").trim_start_matches("http://").to_owned();
    for (path, kind) in [
        ("/v1/score", "application/json"),
        ("/1.1/comment-check", "application/x-www-form-urlencoded"),
    ] {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {SCORER}\r\n\
             Content-Type: {kind}\r\nContent-Length: 5000000\r\nExpect: 100-continue\r\n\
             Connection: close\r\n\r\n"
        );
        let answer = server.exchange_raw(head.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
        assert!(
            answer.contains("5000000 bytes declared"),
            "{path}: {answer}"
        );
        if path == "/v1/score" {
            let body = &answer[answer.find('{').expect("a JSON body")..];
            assert_error(413, body, 413, "over the limit of 2000");
        } else {
            assert!(
                answer.to_ascii_lowercase().contains("x-akismet-debug-help"),
                "{answer}"
            );
        }
    }
}

/// Audit, service 1 and 2: a client that sent half a request head kept SIGTERM from ever
/// ending the server, and connections that sent nothing stayed open for good (enough of them
/// used up the file descriptors). With `--timeout 2`, both kinds are closed after 2 s, and a
/// stop with a half-sent head still ends within the drain deadline.
#[test]
fn slow_and_silent_clients_are_closed_and_cannot_hold_up_a_stop() {
    use std::io::{Read, Write};
    use std::time::{Duration, Instant};
    let dir = tempdir();
    let mut server = Server::start(dir.path(), &["--timeout", "2"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    let closed_within = |mut stream: std::net::TcpStream, limit: Duration| {
        stream.set_read_timeout(Some(limit)).unwrap();
        let started = Instant::now();
        let mut rest = Vec::new();
        // The server closes the connection: a read returns (0 bytes, or an answer such as
        // 408) before the limit, not a timeout.
        let ended = stream.read_to_end(&mut rest).is_ok();
        (ended, started.elapsed())
    };
    let silent = std::net::TcpStream::connect(&addr).unwrap();
    let mut partial = std::net::TcpStream::connect(&addr).unwrap();
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Partial: ")
        .unwrap();
    let (ended, took) = closed_within(silent, Duration::from_secs(15));
    assert!(ended, "a silent connection was still open after {took:?}");
    let (ended, took) = closed_within(partial, Duration::from_secs(15));
    assert!(ended, "a half-sent head was still open after {took:?}");
    // Others are served meanwhile and after.
    assert_eq!(server.get("/healthz", None).0, 200);

    let mut stuck = std::net::TcpStream::connect(&addr).unwrap();
    stuck
        .write_all(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nX-Partial: ")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let asked = Instant::now();
    server.signal("TERM");
    let deadline = asked + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    drop(stuck);
}

/// Audit, service 5 and 6: an empty comment was scored "allow" (feedback refused it), and a
/// comment without an id got its position as its id, which could be another comment's.
#[test]
fn empty_comments_and_ambiguous_ids_are_refused_naming_the_comment() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let (s, b) = server.post_json("/v1/score", Some(SCORER), r#"{"text": "  "}"#);
    assert_error(s, &b, 422, "\"text\": the text is empty");
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        r#"{"comments": [{"text": "fine"}, {"text": ""}]}"#,
    );
    assert_error(s, &b, 422, "comment 2: the text is empty");
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        r#"{"comments": [{"id": "2", "text": "a"}, {"text": "b"}]}"#,
    );
    assert_error(s, &b, 422, "comment 2 has no \"id\" while others do");
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        r#"{"comments": [{"id": "a", "text": "a"}, {"id": "a", "text": "b"}]}"#,
    );
    assert_error(
        s,
        &b,
        422,
        "comment 2: \"id\" \"a\" is given to an earlier comment too",
    );
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        r#"{"comments": [{"id": null, "text": "a"}]}"#,
    );
    assert_error(
        s,
        &b,
        422,
        "comment 1: \"id\" must be a string or a number, not null",
    );
    // Numbers and strings, unique, or no ids at all: answered in order with those ids.
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        r#"{"comments": [{"id": 7, "text": "a"}, {"id": "7", "text": "b"}]}"#,
    );
    assert_eq!(s, 200, "{b}");
    let ids: Vec<serde_json::Value> = json(&b)["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    assert_eq!(ids, [json!(7), json!("7")]);
    // Numeric ids come back as written: parsed and printed again, 8.50 came back as 8.5, and
    // two ids past 2^64 were the same float, so the second was refused as a repeat.
    let (s, b) = server.post_json(
        "/v1/score",
        Some(SCORER),
        r#"{"comments": [{"id": 8.50, "text": "a"}, {"id": 123456789012345678901234567890, "text": "b"}, {"id": 123456789012345678901234567891, "text": "c"}, {"id": 1e3, "text": "d"}]}"#,
    );
    assert_eq!(s, 200, "{b}");
    for id in [
        "\"id\":8.50,",
        "\"id\":123456789012345678901234567890,",
        "\"id\":123456789012345678901234567891,",
        "\"id\":1e3,",
    ] {
        assert!(b.contains(id), "{id} in {b}");
    }
}

/// Service audit 3, 8 and 9: a slow upload holding the only slot made /healthz and /readyz
/// answer 429 (an orchestrator would restart a healthy server), Akismet's refusal came as
/// Google-style JSON, and `bearer KEY` (the scheme is case-insensitive) was "missing API key".
#[test]
fn probes_stay_up_while_slots_are_held_and_refusals_speak_each_api() {
    use std::io::Write;
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--max-concurrent", "1", "--timeout", "10"]);
    let addr = server.base.trim_start_matches("http://").to_owned();
    // A request whose body never finishes holds the one slot until --timeout.
    let mut slow = std::net::TcpStream::connect(&addr).unwrap();
    slow.write_all(
        format!(
            "POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SCORER}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(server.get("/healthz", None).0, 200);
    assert_eq!(server.get("/readyz", None).0, 200);
    assert_eq!(server.get("/metrics", None).0, 200);
    let (s, b) = server.post_json("/v1/score", Some(SCORER), r#"{"text": "hi"}"#);
    assert_error(s, &b, 429, "too many requests");
    let r = ureq::post(&server.url("/1.1/comment-check")).send_form(&[
        ("api_key", SCORER),
        ("blog", "b"),
        ("user_ip", "1.2.3.4"),
        ("comment_content", "hi"),
    ]);
    match r {
        Err(ureq::Error::Status(429, r)) => {
            assert!(r.content_type().starts_with("text/plain"));
            assert!(r.header("x-akismet-debug-help").is_some());
            assert_eq!(r.into_string().unwrap(), "too many requests at once; retry");
        }
        other => panic!("{other:?}"),
    }
    drop(slow);

    // Once the slot is free: the scheme in any case; a 401 names the scheme it wants.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let r = ureq::get(&server.url("/v1/model"))
        .set("Authorization", &format!("bearer {SCORER}"))
        .call()
        .unwrap();
    assert_eq!(r.status(), 200);
    match ureq::get(&server.url("/v1/model")).call() {
        Err(ureq::Error::Status(401, r)) => {
            assert!(r.header("www-authenticate").unwrap().starts_with("Bearer"))
        }
        other => panic!("{other:?}"),
    }
}

/// Service audit 13: the listener closed at SIGTERM, so `/readyz`'s 503 could never be seen.
/// With `--shutdown-delay`, the server goes on serving for that long with `/readyz` at 503
/// (a load balancer's cue to stop sending), then stops accepting and exits.
#[test]
fn a_shutdown_delay_serves_on_with_readyz_at_503_then_stops() {
    use std::time::{Duration, Instant};
    let dir = tempdir();
    let mut server = Server::start(dir.path(), &["--shutdown-delay", "3"]);
    assert_eq!(server.get("/readyz", None).0, 200);
    let asked = Instant::now();
    server.signal("TERM");
    let (status, body) = loop {
        let answer = server.get("/readyz", None);
        if answer.0 != 200 || asked.elapsed() > Duration::from_secs(2) {
            break answer;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status, 503, "{body}");
    // Still serving, on new connections too, while the delay runs.
    assert!(server.score(GIFT_CARDS, "spam") > 0.5);
    assert_eq!(server.get("/healthz", None).0, 200);
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(20),
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    assert!(
        asked.elapsed() >= Duration::from_secs(3),
        "stopped {:?} after SIGTERM, before the delay",
        asked.elapsed()
    );
}

/// `serve` started on the journal directory `journal`, expected to fail: its stderr.
fn refused_start(dir: &std::path::Path, journal: &std::path::Path) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--keys"])
        .arg(keys_file(dir))
        .arg("--journal")
        .arg(journal)
        .output()
        .expect("the binary runs");
    assert!(!out.status.success(), "the server started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The second service audit's journal findings: a second server on the same directory kept
/// appending to a journal the first had compacted away (acknowledged feedback lost); a restart
/// after a snapshot served the snapshot's base model under --model's name; a damaged totals
/// file reset the counters, and a missing CURRENT left a snapshot behind, both silently.
#[test]
fn the_journal_directory_is_one_server_s_and_its_damage_is_refused() {
    let dir = tempdir();
    let journal = dir.path().join("journal");
    let args = ["--journal", journal.to_str().unwrap()];
    let novel = "zorblax vouchers at zorblax dot example";
    let fb = json!({"text": novel, "labels": {"spam": true}}).to_string();
    {
        let server = Server::start(dir.path(), &args);
        assert!(refused_start(dir.path(), &journal).contains("another server is using"));
        assert_eq!(server.post_json("/v1/feedback", Some(LEARNER), &fb).0, 200);
        assert_eq!(
            server.post_json("/v1/admin/snapshot", Some(ADMIN), "").0,
            200
        );
    }

    // Restarted on another model: that model, with the snapshot's feedback learned on it.
    let model = dir.path().join("small.model");
    let data = dir.path().join("d.csv");
    // The embedded model's labels, so that the feedback's verdicts for each have a place.
    let embedded = commentguard::Classifier::embedded().unwrap();
    let labels = embedded.labels();
    let rows = [
        "win free cash now",
        "nice game last night",
        "claim your prize today",
        "see you at the meeting",
    ];
    let mut csv = format!("text,{}\n", labels.join(","));
    for (i, text) in rows.iter().enumerate() {
        csv.push_str(&format!(
            "{text}{}\n",
            [",1", ",0"][i % 2].repeat(labels.len())
        ));
    }
    std::fs::write(&data, csv).unwrap();
    let mut train = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"));
    train.arg("train");
    for label in labels {
        train.args(["--label", label]);
    }
    let trained = train
        .args([
            "--min-df",
            "1",
            "--tune",
            "none",
            "--calibration",
            "none",
            "--data",
        ])
        .arg(&data)
        .arg("--out")
        .arg(&model)
        .output()
        .unwrap();
    assert!(trained.status.success());
    let on_small = [args[0], args[1], "--model", model.to_str().unwrap()];
    let restarted = Server::start(dir.path(), &on_small);
    let (_, m) = restarted.get("/v1/model", Some(SCORER));
    let m = json(&m);
    assert_eq!(m["training"]["rows"], 5, "4 rows and the feedback: {m}");
    assert_eq!(m["feedback"]["learned"], 1);
    let restarted_score = restarted.score(novel, "spam");
    drop(restarted);
    let fresh_dir = tempdir();
    let fresh_journal = fresh_dir.path().join("journal");
    let fresh = Server::start(
        fresh_dir.path(),
        &[
            "--journal",
            fresh_journal.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
        ],
    );
    assert_eq!(fresh.post_json("/v1/feedback", Some(LEARNER), &fb).0, 200);
    assert!((fresh.score(novel, "spam") - restarted_score).abs() < 1e-12);
    drop(fresh);

    // Damage that was passed over.
    std::fs::write(journal.join("totals-1.txt"), "garbage\n").unwrap();
    assert!(refused_start(dir.path(), &journal).contains("totals-1.txt: line 1"));
    std::fs::write(journal.join("totals-1.txt"), "1 0\n").unwrap();
    std::fs::remove_file(journal.join("CURRENT")).unwrap();
    assert!(
        refused_start(dir.path(), &journal).contains("CURRENT is missing, but snapshot-1.model")
    );
}

/// The second service audit: a gzip body was read as it came ("invalid JSON body"; on the
/// Akismet routes "a field name is not UTF-8"), an unknown coding was passed as plain, and the
/// body limit's refusal on an Akismet route carried no X-akismet-debug-help.
#[test]
fn compressed_bodies_are_refused_by_name_and_akismet_refusals_explain_themselves() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &["--max-body", "2000"]);
    for (path, content_type, body) in [
        (
            "/v1/score",
            "application/json",
            r#"{"text": "hi"}"#.to_owned(),
        ),
        (
            "/1.1/comment-check",
            "application/x-www-form-urlencoded",
            format!("api_key={SCORER}&blog=b&user_ip=1.2.3.4&comment_content=hi"),
        ),
    ] {
        for coding in ["gzip", "br"] {
            let r = ureq::post(&server.url(path))
                .set("Authorization", &format!("Bearer {SCORER}"))
                .set("Content-Type", content_type)
                .set("Content-Encoding", coding)
                .send_string(&body);
            match r {
                Err(ureq::Error::Status(415, r)) => {
                    let debug = r.header("x-akismet-debug-help").map(str::to_owned);
                    let text = r.into_string().unwrap();
                    assert!(
                        text.contains("Content-Encoding") && text.contains(coding),
                        "{text}"
                    );
                    assert_eq!(debug.is_some(), path.starts_with("/1.1/"), "{path}");
                }
                other => panic!("{path} {coding}: {other:?}"),
            }
        }
    }
    let long = "word ".repeat(1000);
    let form = format!("api_key={SCORER}&blog=b&user_ip=1.2.3.4&comment_content={long}");
    match ureq::post(&server.url("/1.1/comment-check"))
        .set("Content-Type", "application/x-www-form-urlencoded")
        .send_string(&form)
    {
        Err(ureq::Error::Status(413, r)) => {
            assert!(r.header("x-akismet-debug-help").is_some());
        }
        other => panic!("{other:?}"),
    }
}

/// The second service audit: with the disk full every feedback was refused (503, until a
/// restart), but `/readyz` still said ready, so a load balancer kept sending them. The journal
/// here may grow to 1 KiB (`ulimit -f 1`, with SIGXFSZ ignored so that a write past it fails
/// rather than kills the server). The server's log goes to a file already past that size, as
/// a log on the same full disk would: tracing-subscriber reported the failed log write with
/// eprintln!, which panicked, and the learner thread died logging the journal's failure.
#[test]
fn readyz_fails_once_the_journal_cannot_be_written() {
    let dir = tempdir();
    let journal = dir.path().join("journal");
    let log = dir.path().join("server.log");
    std::fs::write(&log, "x".repeat(4096)).unwrap();
    let script = format!(
        r#"trap "" XFSZ; ulimit -f 1; exec "$@" 2>>'{}'"#,
        log.display()
    );
    let server = Server::start_through(
        dir.path(),
        &["--journal", journal.to_str().unwrap()],
        Some(&script),
    );
    assert_eq!(server.get("/readyz", None).0, 200);
    let mut refused = None;
    for i in 0..40 {
        let fb = json!({"text": format!("feedback number {i} to fill the journal"),
                        "labels": {"spam": true}})
        .to_string();
        let (s, b) = server.post_json("/v1/feedback", Some(LEARNER), &fb);
        if s != 200 {
            refused = Some((s, b));
            break;
        }
    }
    let (s, b) = refused.expect("a write past 1 KiB fails");
    assert_error(s, &b, 503, "the journal could not be written");
    let (s, b) = server.get("/readyz", None);
    assert_error(s, &b, 503, "the journal could not be written");
    // Scoring goes on.
    assert!(server.score(CIVIL, "spam") < 0.5);
}

/// The second service audit: the keys file was read at start only, so a key removed from it
/// (a leaked one, say) went on working until a restart. A reload reads it again; a keys file
/// that does not parse refuses the reload and keeps the keys in use.
#[test]
fn a_reload_reads_the_keys_file_again() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let body = json!({"text": CIVIL}).to_string();
    assert_eq!(server.post_json("/v1/score", Some(SCORER), &body).0, 200);
    let keys = dir.path().join("keys.toml");
    let all = std::fs::read_to_string(&keys).unwrap();
    // The scoring key's table taken out.
    let without: String = all
        .split("[[key]]")
        .filter(|t| !t.trim().is_empty() && !t.contains(SCORER))
        .map(|t| format!("[[key]]{t}"))
        .collect();
    std::fs::write(&keys, &without).unwrap();
    let (s, b) = server.post_json("/v1/admin/reload", Some(ADMIN), "");
    assert_eq!(s, 200, "{b}");
    let (s, b) = server.post_json("/v1/score", Some(SCORER), &body);
    assert_error(s, &b, 401, "");
    assert_eq!(server.post_json("/v1/score", Some(ADMIN), &body).0, 200);
    std::fs::write(&keys, format!("{without}\n[[key]\n")).unwrap();
    let (s, b) = server.post_json("/v1/admin/reload", Some(ADMIN), "");
    assert_error(s, &b, 409, "reload refused");
    assert_eq!(server.post_json("/v1/score", Some(ADMIN), &body).0, 200);
}

/// The third session's audit, through the service: feedback that gave only spam stepped the
/// other labels' learned weights towards the model's own verdicts ("not toxic"), and every
/// learned comment's step added up on the words they shared. 240 spam decisions that share
/// "thanks for the video" (each with words of its own), sent as moderators' tools would, leave
/// a toxic comment flagged for toxicity and an ordinary thank-you unflagged.
#[test]
fn spam_feedback_leaves_other_labels_and_shared_words_alone() {
    let dir = tempdir();
    let server = Server::start(dir.path(), &[]);
    let flagged = |text: &str| -> Vec<String> {
        let body = json!({ "text": text }).to_string();
        let (s, out) = server.post_json("/v1/score", Some(SCORER), &body);
        assert_eq!(s, 200, "{out}");
        json(&out)["results"][0]["flagged"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect()
    };
    let toxic = "You are a worthless idiot and everyone here is sick of your garbage";
    let thanks = ["thanks for the video", "great article, thanks for sharing"];
    assert!(flagged(toxic).contains(&"toxicity".to_owned()));
    for t in thanks {
        assert!(flagged(t).is_empty(), "{t}");
    }
    let url = server.url("/v1/feedback");
    std::thread::scope(|scope| {
        for t in 0..24 {
            let url = &url;
            scope.spawn(move || {
                for i in 0..10 {
                    let n = t * 10 + i;
                    let text = format!("thanks for the video zorb{n}x quux{}y", n * 7);
                    let body = json!({ "text": text, "labels": { "spam": true } }).to_string();
                    let r = ureq::post(url)
                        .set("Content-Type", "application/json")
                        .set("Authorization", &format!("Bearer {LEARNER}"))
                        .send_string(&body)
                        .unwrap();
                    assert_eq!(r.status(), 200);
                }
            });
        }
    });
    let (_, model) = server.get("/v1/model", Some(ADMIN));
    assert_eq!(json(&model)["feedback"]["learned"], 240, "{model}");
    assert!(
        flagged(toxic).contains(&"toxicity".to_owned()),
        "toxicity unlearned"
    );
    for t in thanks {
        assert!(flagged(t).is_empty(), "{t}: {:?}", flagged(t));
    }
}
