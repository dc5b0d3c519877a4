//! The model loader past its checksum: the fuzzer writes the payload and the target wraps it
//! in a valid header and SHA-256 trailer, so the postcard decoder and the model's consistency
//! checks are what is exercised (a random file would almost always stop at the checksum).
//!
//! Byte 0 picks the format version (1 or the current one); the rest is the payload. A model
//! that loads must score, explain and round-trip through its own bytes without panicking, and
//! its log-odds must be numbers and its probabilities in [0, 1].
#![no_main]

use commentguard::{Classifier, Vocabulary, FORMAT_VERSION};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

fuzz_target!(|data: &[u8]| {
    let Some((&v, payload)) = data.split_first() else {
        return;
    };
    let version = if v & 1 == 1 { 1 } else { FORMAT_VERSION };
    let mut file = Vec::with_capacity(20 + payload.len() + 32);
    file.extend_from_slice(b"CMTGUARD");
    file.extend_from_slice(&version.to_le_bytes());
    file.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    file.extend_from_slice(payload);
    let digest = Sha256::digest(&file);
    file.extend_from_slice(&digest);

    let model = match Classifier::from_bytes(&file) {
        Ok(model) => model,
        Err(e) => return drop(e.to_string()),
    };
    // Every weight counts, not only those of the features the texts below happen to hit.
    let nb = model.naive_bayes();
    for (l, label) in model.labels().iter().enumerate() {
        assert!(!nb.bias()[l].is_nan(), "{label}: prior log-odds NaN");
        for f in 0..nb.n_features() {
            let w = nb.weight(f, l);
            assert!(w.is_finite(), "{label}: weight {w} for feature {f}");
        }
    }
    // A comment made of the model's own terms reaches its weights through the scoring path.
    let known = match model.vocabulary() {
        Vocabulary::Terms(terms) => terms.iter().take(50).map(String::as_str).collect(),
        Vocabulary::Buckets(_) => Vec::new(),
    }
    .join(" ");
    let mut scorer = model.scorer();
    for text in [
        "",
        "FREE gift cards!!! click bit.ly/x",
        "you are an idiot",
        "ok ok ok ok",
        &known,
    ] {
        let probabilities = scorer.score(text).to_vec();
        // A NaN log-odds would still come out as some probability (isotonic calibration maps
        // it to its lowest), so the log-odds are checked too.
        for (label, (p, z)) in model
            .labels()
            .iter()
            .zip(probabilities.iter().zip(scorer.last_log_odds()))
        {
            assert!(!z.is_nan(), "{label}: log-odds NaN for {text:?}");
            assert!(
                (0.0..=1.0).contains(p),
                "{label}: probability {p} for {text:?}"
            );
        }
        let _ = model.explain(text);
    }
    for label in model.labels() {
        let _ = model.top_features(label, 5, 1.0);
    }
    let bytes = model.to_bytes();
    let again = Classifier::from_bytes(&bytes).expect("a loaded model's own bytes load");
    assert_eq!(again.to_bytes(), bytes, "saving is not stable");
});
