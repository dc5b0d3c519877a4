//! The model file: a small fixed header, a postcard payload, and a SHA-256 trailer.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  "CMTGUARD"
//! 8       4     format version, u32 little-endian
//! 12      8     payload length in bytes, u64 little-endian
//! 20      n     payload: postcard-encoded ScoringData, then postcard-encoded ModelData
//! 20+n    32    SHA-256 of bytes 0..20+n
//! ```
//!
//! The header is checked before the payload is decoded, so a foreign, truncated, corrupted or
//! newer file gets a precise error instead of a decoder failure. Nothing in the payload depends
//! on time, paths or hash-map order, so the same training gives the same bytes.
//!
//! The scoring section (version 4 on) holds what scoring needs and nothing else: each feature's
//! key and weights, computed. Deriving them from the counts (a logarithm per count, a hash per
//! vocabulary entry) took most of the 40 ms a load took; the embedded model reads only this
//! section at start and decodes the rest (vocabulary, counts) when something asks for it.
//! A model file read from disk is decoded whole, and its scoring section must equal the one
//! its counts give.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::calibrate::Calibration;
use crate::error::{Error, ModelError, Result};
use crate::nb::NbValidParams;
use crate::nblr::Linear;
use crate::text::AnalyzerOptions;

const MAGIC: &[u8; 8] = b"CMTGUARD";
/// The model format this build writes, and the newest it reads.
///
/// Version 2 changed the feature hash (from xxh3 to commentguard's own, see `text::key`). A
/// model of version 1 with a vocabulary still loads, since its keys are computed from its
/// texts; one with hash buckets cannot, since its buckets are xxh3's. Version 3 added the
/// NB-LR head and the block thresholds at the end of the payload; older files load without
/// them. Version 4 put the scoring section before the payload. Version 5 added, at the end of
/// the payload, the verdicts `learn` filled in for labels its file did not give (older files
/// load with none recorded) and the NB-LR head's counts of learned comments per feature (older
/// files load without, their learned weights read as sums).
pub const FORMAT_VERSION: u32 = 5;
/// The first version with a scoring section.
const SCORING_SINCE: u32 = 4;
/// The first version with the NB-LR head and block thresholds.
const HEADS_SINCE: u32 = 3;
/// The first version with the record of filled verdicts.
const FILLED_SINCE: u32 = 5;
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
    /// The NB-LR head, when the model has one.
    pub linear: Option<Linear>,
    /// Per label, the probability at which a comment is blocked rather than held for review
    /// (the threshold at 99% out-of-fold precision when tuned).
    pub block_thresholds: Vec<f64>,
    /// The comments learned with verdicts the model filled in, sorted.
    pub filled: Vec<FilledRecord>,
    /// The NB-LR head's `learned_count` (see `Linear`), kept here at the end of the payload so
    /// that files before version 5 decode; empty without a head or learning.
    pub learned_count: Vec<f64>,
}

/// A comment learned with some labels' verdicts filled in by the model's own (a `learn` file
/// without a column for every label): the verdicts it was learned with, so that forgetting it
/// takes out exactly what learning put in, however the model's own verdicts moved since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct FilledRecord {
    /// SHA-256 of the comment's text.
    pub text: [u8; 32],
    /// Its verdict per label, in label order, as learned.
    pub verdicts: Vec<bool>,
    /// Per label, whether its verdict was given (the others were the model's own, which count
    /// but do not step the NB-LR head's learned weights).
    pub given: Vec<bool>,
    /// How many times it was learned with these verdicts, less the times forgotten.
    pub count: u64,
}

impl ModelData {
    /// Moves `learned_count` into the NB-LR head, where learning and scoring use it.
    pub(crate) fn join_counts(&mut self) {
        if let Some(head) = self.linear.as_mut() {
            if !self.learned_count.is_empty() {
                head.learned_count = std::mem::take(&mut self.learned_count);
            }
        }
    }

    /// Moves the NB-LR head's `learned_count` out to where the file keeps it.
    pub(crate) fn split_counts(&mut self) {
        if let Some(head) = self.linear.as_mut() {
            if !head.learned_count.is_empty() {
                self.learned_count = std::mem::take(&mut head.learned_count);
            }
        }
    }
}

/// What scoring needs, stored ahead of [`ModelData`] so that it loads without the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ScoringData {
    pub analyzer: AnalyzerOptions,
    pub nb: NbValidParams,
    pub labels: Vec<String>,
    pub thresholds: Vec<f64>,
    pub block_thresholds: Vec<f64>,
    pub calibration: Vec<Calibration>,
    pub summary: TrainingSummary,
    /// True for an NB-LR head.
    pub linear_head: bool,
    /// Log prior odds per label.
    pub bias: Vec<f64>,
    /// The scoring table's layout (see `WeightTable::layout`): log2 of its slots, the key of
    /// its empty slots, then per filled slot, in slot order, its number, key and weights (one
    /// per label).
    pub table_bits: u32,
    pub empty_key: u64,
    pub slots: Vec<u32>,
    pub keys: Vec<u64>,
    pub weights: Vec<f64>,
}

/// The payload of versions 1 and 2: [`ModelData`] without the fields version 3 appended.
#[derive(Deserialize)]
struct ModelDataV2 {
    analyzer: AnalyzerOptions,
    nb: NbValidParams,
    labels: Vec<String>,
    thresholds: Vec<f64>,
    calibration: Vec<Calibration>,
    vocabulary: Vocabulary,
    counts: Vec<f64>,
    docs: Vec<f64>,
    df: Vec<f64>,
    summary: TrainingSummary,
}

impl From<ModelDataV2> for ModelData {
    fn from(d: ModelDataV2) -> ModelData {
        // Blocking only what the review threshold already flags would block too much: with no
        // stored value, nothing is blocked below certainty.
        let block_thresholds = vec![1.0; d.labels.len()];
        ModelData {
            analyzer: d.analyzer,
            nb: d.nb,
            labels: d.labels,
            thresholds: d.thresholds,
            calibration: d.calibration,
            vocabulary: d.vocabulary,
            counts: d.counts,
            docs: d.docs,
            df: d.df,
            summary: d.summary,
            linear: None,
            block_thresholds,
            filled: Vec::new(),
            learned_count: Vec::new(),
        }
    }
}

pub(crate) fn encode(scoring: &ScoringData, data: &ModelData) -> Vec<u8> {
    let mut payload =
        postcard::to_stdvec(scoring).expect("ScoringData holds only serializable values");
    payload.extend(postcard::to_stdvec(data).expect("ModelData holds only serializable values"));
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len() + CHECKSUM_LEN);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&payload);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    out
}

/// A model file's parts: its scoring section (version 4 on) and the rest.
pub(crate) type Decoded = (Option<ScoringData>, ModelData);

/// Checks the header and the checksum and decodes the whole payload.
pub(crate) fn decode(bytes: &[u8], file: &str) -> Result<Decoded> {
    let (version, payload) = checked_payload(bytes, file)?;
    let body_end = HEADER_LEN + payload.len();
    if Sha256::digest(&bytes[..body_end]).as_slice() != &bytes[body_end..] {
        return Err(Error::model(file, ModelError::ChecksumMismatch));
    }
    let (scoring, rest) = if version >= SCORING_SINCE {
        let (s, rest) =
            postcard::take_from_bytes::<ScoringData>(payload).map_err(|e| corrupt(file, e))?;
        (Some(s), rest)
    } else {
        (None, payload)
    };
    Ok((scoring, decode_rest(rest, version, file)?))
}

/// The scoring section of a version 4 file and the undecoded rest of its payload, with the
/// header checked but not the checksum: for bytes whose integrity is known otherwise (the
/// embedded model, which `tests/default_model.rs` loads in full). `None` for older versions.
pub(crate) fn decode_scoring<'b>(
    bytes: &'b [u8],
    file: &str,
) -> Result<Option<(ScoringData, &'b [u8])>> {
    let (version, payload) = checked_payload(bytes, file)?;
    if version < SCORING_SINCE {
        return Ok(None);
    }
    let (s, rest) =
        postcard::take_from_bytes::<ScoringData>(payload).map_err(|e| corrupt(file, e))?;
    Ok(Some((s, rest)))
}

/// Decodes the payload after the scoring section (the whole payload before version 4).
pub(crate) fn decode_rest(rest: &[u8], version: u32, file: &str) -> Result<ModelData> {
    let data: ModelData = if version < HEADS_SINCE {
        postcard::from_bytes::<ModelDataV2>(rest)
            .map_err(|e| corrupt(file, e))?
            .into()
    } else if version < FILLED_SINCE {
        // Version 5 appended two fields, lists: read an older payload as one with empty lists
        // (postcard writes an empty list's length as a single zero byte).
        let mut bytes = Vec::with_capacity(rest.len() + 2);
        bytes.extend_from_slice(rest);
        bytes.extend_from_slice(&[0, 0]);
        postcard::from_bytes(&bytes).map_err(|e| corrupt(file, e))?
    } else {
        postcard::from_bytes(rest).map_err(|e| corrupt(file, e))?
    };
    if version < BUCKETS_SINCE && matches!(data.vocabulary, Vocabulary::Buckets(_)) {
        return Err(Error::model(
            file,
            ModelError::OldHashBuckets { found: version },
        ));
    }
    Ok(data)
}

/// The format version in the header of `bytes`, a file [`decode`] accepted.
pub(crate) fn version_of(bytes: &[u8]) -> u32 {
    u32::from_le_bytes(
        bytes[8..12]
            .try_into()
            .expect("a decoded file has a header"),
    )
}

fn corrupt(file: &str, e: postcard::Error) -> Error {
    Error::model(
        file,
        ModelError::Corrupt(format!("payload does not decode: {e}")),
    )
}

/// Largest payload a model file read from something other than a regular file may declare:
/// a FIFO or a device has no size to check the header against, and an endless stream behind
/// a forged header must not be read into memory for ever.
const MAX_STREAMED_PAYLOAD: u64 = 4 << 30;

/// Reads a model file's bytes, never more than its header declares (and one byte more, so that
/// trailing bytes are still reported): `--model /dev/zero` once read until memory ran out.
/// What the bytes lack is left to [`decode`] to report.
pub(crate) fn read_file(path: &std::path::Path, name: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e| Error::io(name, e);
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::from(std::io::ErrorKind::IsADirectory)));
    }
    let mut bytes = Vec::with_capacity(HEADER_LEN);
    (&file)
        .take(HEADER_LEN as u64)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() < HEADER_LEN || &bytes[..MAGIC.len()] != MAGIC {
        return Ok(bytes);
    }
    let payload_len = u64::from_le_bytes(bytes[12..20].try_into().expect("8-byte slice"));
    let expected = payload_len.saturating_add((HEADER_LEN + CHECKSUM_LEN) as u64);
    if meta.is_file() {
        // A regular file's size settles truncation and trailing bytes without reading them.
        let found = meta.len();
        if found < expected {
            return Err(Error::model(
                name,
                ModelError::Truncated { expected, found },
            ));
        }
        if found > expected {
            return Err(Error::model(
                name,
                ModelError::TrailingBytes { expected, found },
            ));
        }
    } else if payload_len > MAX_STREAMED_PAYLOAD {
        return Err(Error::model(
            name,
            ModelError::Corrupt(format!(
                "its header declares a payload of {payload_len} bytes, more than a model \
                 read from a stream may have ({MAX_STREAMED_PAYLOAD})"
            )),
        ));
    }
    (&file)
        .take(expected - HEADER_LEN as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// The version and payload of a file whose header and length are right.
fn checked_payload<'b>(bytes: &'b [u8], file: &str) -> Result<(u32, &'b [u8])> {
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
    Ok((version, &bytes[HEADER_LEN..body_end]))
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
            linear: Some(Linear {
                params: crate::nblr::LinearParams::new(),
                w: vec![0.5, -0.25],
                bias: vec![-1.0],
                learned: vec![0.0, 0.125],
                learned_count: Vec::new(),
            }),
            block_thresholds: vec![0.9],
            filled: vec![FilledRecord {
                text: [7; 32],
                verdicts: vec![true],
                given: vec![false],
                count: 2,
            }],
            learned_count: vec![0.0, 1.0],
        }
    }

    fn scoring() -> ScoringData {
        let d = sample();
        ScoringData {
            analyzer: d.analyzer,
            nb: d.nb,
            labels: d.labels,
            thresholds: d.thresholds,
            block_thresholds: d.block_thresholds,
            calibration: d.calibration,
            summary: d.summary,
            linear_head: true,
            bias: vec![-1.0],
            table_bits: 3,
            empty_key: 99,
            slots: vec![2, 5],
            keys: vec![17, 4],
            weights: vec![0.5, -0.25],
        }
    }

    /// A version 2 file (no NB-LR head, no block thresholds) still loads: blocking then needs
    /// certainty, and the model scores with naive Bayes.
    /// A file of `version` (1 or 2) in the layout before version 3: `d` without its NB-LR head
    /// and block thresholds.
    fn old_file(d: &ModelData, version: u32) -> Vec<u8> {
        let payload = postcard::to_stdvec(&(
            &d.analyzer,
            &d.nb,
            &d.labels,
            &d.thresholds,
            &d.calibration,
            &d.vocabulary,
            &d.counts,
            &d.docs,
            &d.df,
            &d.summary,
        ))
        .unwrap();
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&version.to_le_bytes());
        bytes.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&payload);
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        bytes
    }

    /// `d` as a file of before version 3 gives back.
    fn as_old(d: ModelData) -> ModelData {
        ModelData {
            linear: None,
            block_thresholds: vec![1.0; d.labels.len()],
            filled: Vec::new(),
            learned_count: Vec::new(),
            ..d
        }
    }

    #[test]
    fn version_2_files_load_without_the_new_fields() {
        let d = sample();
        let mut bytes = old_file(&d, 2);
        let (scoring, old) = decode(&bytes, "m").unwrap();
        assert_eq!(scoring, None);
        assert_eq!(old.linear, None);
        assert_eq!(old.block_thresholds, vec![1.0]);
        assert_eq!(old.counts, d.counts);
        // The same payload under version 3 lacks the appended fields: an error, not a guess.
        bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
        let body_end = bytes.len() - CHECKSUM_LEN;
        let digest = Sha256::digest(&bytes[..body_end]);
        bytes[body_end..].copy_from_slice(&digest);
        assert!(decode(&bytes, "m").is_err());
    }

    /// A model read from an older file says so (`inspect` prints it), and is written in this
    /// build's format when saved.
    #[test]
    fn version_4_files_load_with_no_filled_verdicts() {
        let d = ModelData {
            filled: Vec::new(),
            learned_count: Vec::new(),
            ..sample()
        };
        // A version 4 payload is version 5's without the last two fields, which are the empty
        // lists' zero bytes here.
        let mut bytes = encode(&scoring(), &d);
        let body_end = bytes.len() - CHECKSUM_LEN;
        assert_eq!(&bytes[body_end - 2..body_end], &[0, 0]);
        bytes.truncate(body_end - 2);
        bytes[8..12].copy_from_slice(&4u32.to_le_bytes());
        let payload_len = (body_end - 2 - HEADER_LEN) as u64;
        bytes[12..20].copy_from_slice(&payload_len.to_le_bytes());
        let digest = Sha256::digest(&bytes);
        bytes.extend_from_slice(&digest);
        assert_eq!(decode(&bytes, "m").unwrap(), (Some(scoring()), d));
        // A version 5 file whose list is cut off is an error, not an empty list.
        bytes[8..12].copy_from_slice(&5u32.to_le_bytes());
        let body_end = bytes.len() - CHECKSUM_LEN;
        let digest = Sha256::digest(&bytes[..body_end]);
        bytes[body_end..].copy_from_slice(&digest);
        assert!(decode(&bytes, "m").is_err());
    }

    #[test]
    fn a_model_keeps_the_version_of_its_file() {
        let model = crate::Classifier::embedded().unwrap();
        let data = model.to_data();
        let v2 = old_file(&data, 2);
        let old = crate::Classifier::from_bytes(&v2).unwrap();
        assert_eq!(old.format_version(), 2);
        assert_eq!(model.format_version(), FORMAT_VERSION);
        let saved = old.to_bytes();
        assert_eq!(version_of(&saved), FORMAT_VERSION);
        assert_eq!(
            crate::Classifier::from_bytes(&saved)
                .unwrap()
                .format_version(),
            FORMAT_VERSION
        );
    }

    #[test]
    fn round_trip() {
        let bytes = encode(&scoring(), &sample());
        assert_eq!(decode(&bytes, "m").unwrap(), (Some(scoring()), sample()));
        let (section, rest) = decode_scoring(&bytes, "m").unwrap().unwrap();
        assert_eq!(section, scoring());
        assert_eq!(decode_rest(rest, FORMAT_VERSION, "m").unwrap(), sample());
    }

    #[test]
    fn every_truncation_is_an_error() {
        let bytes = encode(&scoring(), &sample());
        for len in 0..bytes.len() {
            assert!(decode(&bytes[..len], "m").is_err(), "length {len}");
        }
    }

    #[test]
    fn flipped_bit_fails_the_checksum() {
        let mut bytes = encode(&scoring(), &sample());
        let mid = bytes.len() / 2;
        bytes[mid] ^= 1;
        let e = decode(&bytes, "m").unwrap_err().to_string();
        assert!(e.contains("checksum"), "{e}");
    }

    #[test]
    fn newer_version_is_named() {
        let mut bytes = encode(&scoring(), &sample());
        bytes[8..12].copy_from_slice(&99u32.to_le_bytes());
        let e = decode(&bytes, "m.model").unwrap_err().to_string();
        assert!(e.contains("version 99 is newer"), "{e}");
    }

    #[test]
    fn version_1_loads_with_terms_but_not_with_buckets() {
        let terms = sample();
        assert_eq!(decode(&old_file(&terms, 1), "m").unwrap().1, as_old(terms));
        let buckets = ModelData {
            vocabulary: Vocabulary::Buckets(vec![3, 7]),
            ..sample()
        };
        assert_eq!(
            decode(&old_file(&buckets, 2), "m").unwrap().1,
            as_old(buckets.clone())
        );
        let e = decode(&old_file(&buckets, 1), "old.model")
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
