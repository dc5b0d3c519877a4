//! The model file: a small fixed header, a postcard payload, and a SHA-256 trailer.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  "CMTGUARD"
//! 8       4     format version, u32 little-endian
//! 12      8     payload length in bytes, u64 little-endian
//! 20      n     payload (postcard-encoded ModelData)
//! 20+n    32    SHA-256 of bytes 0..20+n
//! ```
//!
//! The header is checked before the payload is decoded, so a foreign, truncated, corrupted or
//! newer file gets a precise error instead of a decoder failure. Nothing in the payload depends
//! on time, paths or hash-map order, so the same training gives the same bytes.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::calibrate::Calibration;
use crate::error::{Error, ModelError, Result};
use crate::nb::NbValidParams;
use crate::text::AnalyzerOptions;

const MAGIC: &[u8; 8] = b"CMTGUARD";
/// The model format this build writes, and the newest it reads.
///
/// Version 2 changed the feature hash (from xxh3 to commentguard's own, see `text::key`). A
/// model of version 1 with a vocabulary still loads, since its keys are computed from its
/// texts; one with hash buckets cannot, since its buckets are xxh3's.
pub const FORMAT_VERSION: u32 = 2;
/// The first version whose hash buckets this build computes.
const BUCKETS_SINCE: u32 = 2;
const HEADER_LEN: usize = 20;
const CHECKSUM_LEN: usize = 32;

/// Where a model's training rows came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file's name (without its directory, so a model does not depend on where it was built).
    pub name: String,
    /// SHA-256 of the file's bytes, in hex.
    pub sha256: String,
    /// Rows trained on from this file.
    pub rows: u64,
    /// Invalid rows skipped in this file.
    pub skipped: u64,
}

/// What a model was trained on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Rows trained on.
    pub rows: u64,
    /// Positive rows per label, in label order.
    pub positives: Vec<u64>,
    /// The input files.
    pub sources: Vec<Source>,
    /// How each label's threshold and calibration were chosen, when they were tuned.
    pub tuning: Vec<LabelTuning>,
}

/// How one label's threshold was picked from out-of-fold scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelTuning {
    /// The label.
    pub label: String,
    /// The rule: `"f1"`, `"precision>=0.98"`, or `"fixed"`.
    pub rule: String,
    /// Folds the out-of-fold scores came from.
    pub folds: u32,
    /// Out-of-fold precision at the chosen threshold.
    pub precision: f64,
    /// Out-of-fold recall at the chosen threshold.
    pub recall: f64,
    /// Out-of-fold F1 at the chosen threshold.
    pub f1: f64,
}

/// The feature columns of a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Vocabulary {
    /// Feature texts, sorted; a feature's key is the hash of its text.
    Terms(Vec<String>),
    /// Hash buckets, sorted (feature hashing: no texts are stored).
    Buckets(Vec<u64>),
}

impl Vocabulary {
    /// Number of features.
    pub fn len(&self) -> usize {
        match self {
            Vocabulary::Terms(t) => t.len(),
            Vocabulary::Buckets(b) => b.len(),
        }
    }

    /// True when there are no features.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A readable name for feature `i`.
    pub fn name(&self, i: usize) -> std::borrow::Cow<'_, str> {
        match self {
            Vocabulary::Terms(t) => std::borrow::Cow::Borrowed(&t[i]),
            Vocabulary::Buckets(b) => std::borrow::Cow::Owned(format!("<bucket {}>", b[i])),
        }
    }
}

/// Everything a model file stores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ModelData {
    pub analyzer: AnalyzerOptions,
    pub nb: NbValidParams,
    pub labels: Vec<String>,
    pub thresholds: Vec<f64>,
    pub calibration: Vec<Calibration>,
    pub vocabulary: Vocabulary,
    /// Summed feature values per feature, label and class, flattened in that order.
    pub counts: Vec<f64>,
    /// Rows per label and class.
    pub docs: Vec<f64>,
    /// Rows containing each feature.
    pub df: Vec<f64>,
    pub summary: TrainingSummary,
}

pub(crate) fn encode(data: &ModelData) -> Vec<u8> {
    let payload = postcard::to_stdvec(data).expect("ModelData holds only serializable values");
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

pub(crate) fn decode(bytes: &[u8], file: &str) -> Result<ModelData> {
    let err = |kind| Error::model(file, kind);
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(err(ModelError::NotAModel));
    }
    if bytes.len() < HEADER_LEN {
        return Err(err(ModelError::Truncated {
            expected: (HEADER_LEN + CHECKSUM_LEN) as u64,
            found: bytes.len() as u64,
        }));
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4-byte slice"));
    if version == 0 {
        return Err(err(ModelError::InvalidVersion { found: version }));
    }
    if version > FORMAT_VERSION {
        return Err(err(ModelError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        }));
    }
    let payload_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8-byte slice"));
    let expected = payload_len.saturating_add((HEADER_LEN + CHECKSUM_LEN) as u64);
    let found = bytes.len() as u64;
    if found < expected {
        return Err(err(ModelError::Truncated { expected, found }));
    }
    if found > expected {
        return Err(err(ModelError::TrailingBytes { expected, found }));
    }
    let body_end = HEADER_LEN + payload_len as usize;
    if Sha256::digest(&bytes[..body_end]).as_slice() != &bytes[body_end..] {
        return Err(err(ModelError::ChecksumMismatch));
    }
    let data: ModelData = postcard::from_bytes(&bytes[HEADER_LEN..body_end])
        .map_err(|e| err(ModelError::Corrupt(format!("payload does not decode: {e}"))))?;
    if version < BUCKETS_SINCE && matches!(data.vocabulary, Vocabulary::Buckets(_)) {
        return Err(err(ModelError::OldHashBuckets { found: version }));
    }
    Ok(data)
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A SHA-256 computed while the data streams through a reader.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    /// The hex digest of everything read so far.
    pub fn sha256_hex(&self) -> String {
        hex(&self.hasher.clone().finalize())
    }
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ModelData {
        use linfa::ParamGuard;
        ModelData {
            analyzer: AnalyzerOptions::default(),
            nb: crate::nb::NbParams::new().check().unwrap(),
            labels: vec!["spam".into()],
            thresholds: vec![0.5],
            calibration: vec![Calibration::Identity],
            vocabulary: Vocabulary::Terms(vec!["a".into(), "b".into()]),
            counts: vec![1.0, 0.0, 0.0, 2.0],
            docs: vec![1.0, 1.0],
            df: vec![1.0, 1.0],
            summary: TrainingSummary::default(),
        }
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&sample());
        assert_eq!(decode(&bytes, "m").unwrap(), sample());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&sample());
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], "m").is_err(), "length {len}");
        }
    }

    #[test]
    fn flipped_bit_fails_the_checksum() {
        let mut bytes = encode(&sample());
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        let e = decode(&bytes, "m").unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
    }

    #[test]
    fn newer_version_is_named() {
        let mut bytes = encode(&sample());
        bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
        let e = decode(&bytes, "m.model").unwrap_err().to_string();
        assert!(e.contains("version 99 is newer"), "{e}");
    }

    /// A file of `version` holding `data`, its checksum recomputed.
    fn with_version(data: &ModelData, version: u32) -> Vec<u8> {
        let mut bytes = encode(data);
        bytes[8..12].copy_from_slice(&version.to_le_bytes());
        let body_end = bytes.len() - CHECKSUM_LEN;
        let digest = Sha256::digest(&bytes[..body_end]);
        bytes[body_end..].copy_from_slice(&digest);
        bytes
    }

    #[test]
    fn version_1_loads_with_terms_but_not_with_buckets() {
        let terms = sample();
        assert_eq!(decode(&with_version(&terms, 1), "m").unwrap(), terms);
        let buckets = ModelData {
            vocabulary: Vocabulary::Buckets(vec![3, 7]),
            ..sample()
        };
        assert_eq!(decode(&with_version(&buckets, 2), "m").unwrap(), buckets);
        let e = decode(&with_version(&buckets, 1), "old.model")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("old.model: model format version 1"), "{e}");
        assert!(e.contains("retrain"), "{e}");
    }

    #[test]
    fn foreign_file_is_not_a_model() {
        let e = decode(b"id,text\n1,hello\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "x.csv: not a commentguard model file");
    }
}
