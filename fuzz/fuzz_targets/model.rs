//! The model loader past its checksum: the fuzzer writes the payload and the target wraps it
//! in a valid header and SHA-256 trailer, so the postcard decoder and the model's consistency
//! checks are what is exercised (a random file would almost always stop at the checksum).
//!
//! Byte 0 picks the format version (1 or the current one); the rest is the payload. A model
//! that loads must score, explain and round-trip through its own bytes without panicking, and
//! its probabilities must be numbers in [0, 1].
#![no_main]

use commentguard::{Classifier, FORMAT_VERSION};
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
    for text in [
        "",
        "FREE gift cards!!! click bit.ly/x",
        "you are an idiot",
        "ok ok ok ok",
    ] {
        let scores = model.score(text);
        for (label, p) in scores.iter() {
            assert!(
                (0.0..=1.0).contains(&p),
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
