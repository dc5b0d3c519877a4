//! Arbitrary request bodies against every route of the real server: never a 5xx, never a
//! crash. Bodies are random bytes, random JSON values, and well-formed requests with random
//! field values (huge numbers, wrong types, odd Unicode).

mod serve_util;

use proptest::prelude::*;
use serve_util::*;

const JSON_ROUTES: &[&str] = &[
    "/v1/score",
    "/v1/feedback",
    "/v1/forget",
    "/v1alpha1/comments:analyze",
];
const FORM_ROUTES: &[&str] = &[
    "/1.1/verify-key",
    "/1.1/comment-check",
    "/1.1/submit-spam",
    "/1.1/submit-ham",
];

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        ".*".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("text".to_owned()),
                    Just("comments".to_owned()),
                    Just("labels".to_owned()),
                    Just("comment".to_owned()),
                    Just("requestedAttributes".to_owned()),
                    Just("spanAnnotations".to_owned()),
                    ".{0,8}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        (".{0,200}", any::<bool>()).prop_map(|(t, b)| {
            serde_json::json!({"text": t, "labels": {"spam": b}}).to_string().into_bytes()
        }),
        (".{0,200}", any::<f64>()).prop_map(|(t, x)| {
            format!(
                "{{\"comment\": {{\"text\": {}}}, \"requestedAttributes\": {{\"SPAM\": {{\"scoreThreshold\": {x:e}}}}}, \"spanAnnotations\": true}}",
                serde_json::Value::from(t)
            )
            .into_bytes()
        }),
        Just(b"{\"text\": 1e999999}".to_vec()),
        Just(b"{\"comments\": [{\"id\": 123456789012345678901234567890, \"text\": \"x\"}]}".to_vec()),
    ]
}

#[test]
fn no_body_makes_the_server_fail() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    // One server for every case, stopped when the test ends.
    let server = Server::start(dir.path(), &[]);
    let forms = prop::collection::vec(prop::collection::vec((".{0,12}", ".{0,60}"), 0..6), 4);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        ..ProptestConfig::default()
    });
    runner
        .run(
            &(prop::collection::vec(body(), 8), forms),
            |(json_bodies, forms)| {
                for (route, body) in JSON_ROUTES.iter().cycle().zip(&json_bodies) {
                    let path = if route.starts_with("/v1alpha1") {
                        format!("{route}?key={ADMIN}")
                    } else {
                        (*route).to_owned()
                    };
                    let (status, answer) = server.post_raw(&path, ADMIN, body);
                    prop_assert!(status < 500, "{route}: {status} {answer}");
                }
                for (route, fields) in FORM_ROUTES.iter().zip(&forms) {
                    let mut fields: Vec<(&str, &str)> = fields
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    fields.push(("api_key", ADMIN));
                    let (status, answer, _) = server.post_form(route, &fields);
                    prop_assert!(status < 500, "{route}: {status} {answer}");
                }
                Ok(())
            },
        )
        .unwrap();
    assert_eq!(
        server.get("/healthz", None).0,
        200,
        "the server is still up"
    );
}
