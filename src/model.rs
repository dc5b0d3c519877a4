//! [`Classifier`]: a trained model ready to score comments.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ndarray::{Array2, Array3};
use nohash_hasher::BuildNoHashHasher;

use crate::error::{Error, ModelError, Result};
use crate::format::{self, ModelData, TrainingSummary};
use crate::nb::{sigmoid, NaiveBayes};
use crate::text::{feature_hash, Analyzer, Scratch};

/// The model shipped inside the binary, trained from `training-data/` (see its README).
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../models/default.model");

/// Feature hash → column. The keys are already xxh3 hashes, so hashing them again is waste.
type FeatureIndex = HashMap<u64, u32, BuildNoHashHasher<u64>>;

/// A trained model: the feature extractor's options, the vocabulary, one naive Bayes head per
/// label, and each label's threshold.
///
/// It is immutable once built and `Send + Sync`: share one behind an `Arc` across threads and
/// give each thread its own [`Scorer`] for allocation-free scoring.
#[derive(Debug, Clone)]
pub struct Classifier {
    analyzer: Analyzer,
    labels: Arc<[String]>,
    thresholds: Arc<[f64]>,
    vocabulary: Vec<String>,
    index: FeatureIndex,
    nb: NaiveBayes,
    summary: TrainingSummary,
}

impl Classifier {
    /// The embedded default model.
    pub fn embedded() -> Result<Classifier> {
        Self::from_bytes_named(DEFAULT_MODEL, "<embedded default model>")
    }

    /// Loads a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Classifier> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::io(&name, e))?;
        Self::from_bytes_named(&bytes, &name)
    }

    /// Loads a model from the bytes of a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier> {
        Self::from_bytes_named(bytes, "<model bytes>")
    }

    fn from_bytes_named(bytes: &[u8], name: &str) -> Result<Classifier> {
        let data = format::decode(bytes, name)?;
        Self::from_data(data).map_err(|e| match e {
            Error::Model { kind, .. } => Error::model(name, kind),
            other => Error::model(name, ModelError::Corrupt(other.to_string())),
        })
    }

    pub(crate) fn from_data(data: ModelData) -> Result<Classifier> {
        let corrupt = |why: String| Error::model("", ModelError::Corrupt(why));
        let n_labels = data.labels.len();
        let n_features = data.vocabulary.len();
        if n_labels == 0 {
            return Err(corrupt("no labels".into()));
        }
        if data.thresholds.len() != n_labels
            || data.docs.len() != n_labels * 2
            || data.summary.positives.len() != n_labels
        {
            return Err(corrupt(
                "per-label sections disagree on the number of labels".into(),
            ));
        }
        if data.counts.len() != n_features * n_labels * 2 {
            return Err(corrupt(format!(
                "{} counts for {n_features} features and {n_labels} labels",
                data.counts.len()
            )));
        }
        if let Some(t) = data.thresholds.iter().find(|t| !(0.0..=1.0).contains(*t)) {
            return Err(corrupt(format!("threshold {t} is outside [0, 1]")));
        }
        if data
            .counts
            .iter()
            .chain(&data.docs)
            .any(|c| !c.is_finite() || *c < 0.0)
        {
            return Err(corrupt("negative or non-finite counts".into()));
        }
        let mut seen = std::collections::HashSet::new();
        if let Some(dup) = data.labels.iter().find(|l| !seen.insert(l.as_str())) {
            return Err(corrupt(format!("label {dup:?} appears twice")));
        }
        let analyzer = Analyzer::new(data.analyzer)?;
        let mut index = FeatureIndex::with_capacity_and_hasher(n_features, Default::default());
        for (i, term) in data.vocabulary.iter().enumerate() {
            if index.insert(feature_hash(term), i as u32).is_some() {
                return Err(corrupt(format!(
                    "vocabulary entry {term:?} repeats (or its hash collides)"
                )));
            }
        }
        let counts = Array3::from_shape_vec((n_features, n_labels, 2), data.counts)
            .expect("length checked above");
        let docs = Array2::from_shape_vec((n_labels, 2), data.docs).expect("length checked above");
        let nb = NaiveBayes::from_parts(data.alpha, counts, docs, &data.labels)?;
        Ok(Classifier {
            analyzer,
            labels: data.labels.into(),
            thresholds: data.thresholds.into(),
            vocabulary: data.vocabulary,
            index,
            nb,
            summary: data.summary,
        })
    }

    pub(crate) fn to_data(&self) -> ModelData {
        ModelData {
            analyzer: self.analyzer.options().clone(),
            labels: self.labels.to_vec(),
            thresholds: self.thresholds.to_vec(),
            alpha: self.nb.alpha(),
            vocabulary: self.vocabulary.clone(),
            counts: self.nb.counts().iter().copied().collect(),
            docs: self.nb.docs().iter().copied().collect(),
            summary: self.summary.clone(),
        }
    }

    /// The bytes of this model's file.
    pub fn to_bytes(&self) -> Vec<u8> {
        format::encode(&self.to_data())
    }

    /// Writes the model file atomically (a temporary file, then a rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        format::write_atomic(path.as_ref(), &self.to_bytes())
    }

    /// The labels, in the order scores are given.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Each label's threshold, in label order.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Sets the threshold at which `label` is flagged.
    pub fn set_threshold(&mut self, label: &str, threshold: f64) -> Result<()> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(Error::InvalidParam {
                name: "threshold",
                value: threshold.to_string(),
                reason: "must be between 0 and 1",
            });
        }
        let l = self.label_index(label)?;
        let mut t = self.thresholds.to_vec();
        t[l] = threshold;
        self.thresholds = t.into();
        Ok(())
    }

    /// The position of `label` among [`labels`](Self::labels).
    pub fn label_index(&self, label: &str) -> Result<usize> {
        self.labels
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| Error::UnknownLabel {
                label: label.to_owned(),
                available: self.labels.to_vec(),
            })
    }

    /// The feature extractor.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// What the model was trained on.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    /// The feature texts, in column order.
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The naive Bayes parameters.
    pub fn naive_bayes(&self) -> &NaiveBayes {
        &self.nb
    }

    /// A scorer with its own buffers; cheap to make, allocation-free once warm.
    pub fn scorer(&self) -> Scorer<'_> {
        Scorer {
            model: self,
            scratch: Scratch::default(),
            log_odds: vec![0.0; self.labels.len()],
            probs: vec![0.0; self.labels.len()],
        }
    }

    /// Scores one comment.
    pub fn score(&self, text: &str) -> Scores {
        let probs = self.scorer().score(text).to_vec();
        self.scores(probs)
    }

    /// Scores a batch of comments, in order.
    pub fn score_batch<S: AsRef<str>>(&self, texts: &[S]) -> Vec<Scores> {
        let mut scorer = self.scorer();
        texts
            .iter()
            .map(|t| self.scores(scorer.score(t.as_ref()).to_vec()))
            .collect()
    }

    pub(crate) fn scores(&self, probs: Vec<f64>) -> Scores {
        Scores {
            labels: Arc::clone(&self.labels),
            thresholds: Arc::clone(&self.thresholds),
            probs,
        }
    }

    /// The sparse feature-count row of `text` over this model's vocabulary (unknown features
    /// are dropped), sorted by column. Useful to feed the same features to another estimator.
    pub fn features(&self, text: &str, scratch: &mut Scratch, row: &mut Vec<(u32, f64)>) {
        row.clear();
        self.analyzer.for_each_feature(text, scratch, |h, _| {
            if let Some(&f) = self.index.get(&h) {
                row.push((f, 1.0));
            }
        });
        row.sort_unstable_by_key(|&(f, _)| f);
        row.dedup_by(|next, kept| {
            let same = next.0 == kept.0;
            if same {
                kept.1 += 1.0;
            }
            same
        });
    }

    /// Why `text` got its scores: each label's prior log-odds and the features that moved it.
    pub fn explain(&self, text: &str) -> Explanation {
        let mut scratch = Scratch::default();
        let mut row = Vec::new();
        self.features(text, &mut scratch, &mut row);
        let scores = self.score(text);
        let labels = self
            .labels
            .iter()
            .enumerate()
            .map(|(l, label)| {
                let mut contributions: Vec<Contribution> = row
                    .iter()
                    .map(|&(f, count)| Contribution {
                        feature: self.vocabulary[f as usize].clone(),
                        count,
                        weight: self.nb.feature_weights(f)[l],
                    })
                    .collect();
                contributions.sort_by(|a, b| {
                    b.log_odds()
                        .abs()
                        .total_cmp(&a.log_odds().abs())
                        .then_with(|| a.feature.cmp(&b.feature))
                });
                LabelExplanation {
                    label: label.clone(),
                    score: scores.probs[l],
                    threshold: self.thresholds[l],
                    prior_log_odds: self.nb.bias()[l],
                    contributions,
                }
            })
            .collect();
        Explanation { labels }
    }

    /// The `n` features that most raise `label`'s score, with their log-odds weights, among
    /// features seen at least `min_count` times in training.
    pub fn top_features(&self, label: &str, n: usize, min_count: f64) -> Result<Vec<(&str, f64)>> {
        let l = self.label_index(label)?;
        let counts = self.nb.counts();
        let mut top: Vec<(&str, f64)> = (0..self.vocabulary.len())
            .filter(|&f| counts[(f, l, 0)] + counts[(f, l, 1)] >= min_count)
            .map(|f| (self.vocabulary[f].as_str(), self.nb.weights()[(f, l)]))
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        top.truncate(n);
        Ok(top)
    }
}

/// Scores comments one at a time with reused buffers: no allocation per comment once warm.
#[derive(Debug, Clone)]
pub struct Scorer<'m> {
    model: &'m Classifier,
    scratch: Scratch,
    log_odds: Vec<f64>,
    probs: Vec<f64>,
}

impl Scorer<'_> {
    /// The probability of each label for `text`, in label order.
    pub fn score(&mut self, text: &str) -> &[f64] {
        self.log_odds(text);
        for (p, &z) in self.probs.iter_mut().zip(self.log_odds.iter()) {
            *p = sigmoid(z);
        }
        &self.probs
    }

    /// The log-odds of each label for `text`, in label order: unlike probabilities, they do not
    /// saturate at 0 or 1, so they keep confident comments ranked (for ROC and PR curves).
    pub fn log_odds(&mut self, text: &str) -> &[f64] {
        let model = self.model;
        self.log_odds.copy_from_slice(model.nb.bias());
        let log_odds = &mut self.log_odds;
        model
            .analyzer
            .for_each_feature(text, &mut self.scratch, |h, _| {
                if let Some(&f) = model.index.get(&h) {
                    for (z, w) in log_odds.iter_mut().zip(model.nb.feature_weights(f)) {
                        *z += w;
                    }
                }
            });
        &self.log_odds
    }

    /// Scores `text` and returns the full [`Scores`].
    pub fn scores(&mut self, text: &str) -> Scores {
        let probs = self.score(text).to_vec();
        self.model.scores(probs)
    }
}

/// One comment's probability per label, and which labels reach their threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    labels: Arc<[String]>,
    thresholds: Arc<[f64]>,
    probs: Vec<f64>,
}

impl Scores {
    /// The probability of `label`, if the model has it.
    pub fn get(&self, label: &str) -> Option<f64> {
        self.labels
            .iter()
            .position(|l| l == label)
            .map(|i| self.probs[i])
    }

    /// `(label, probability)` in label order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.labels
            .iter()
            .map(String::as_str)
            .zip(self.probs.iter().copied())
    }

    /// True when `label`'s probability reaches its threshold.
    pub fn is_flagged(&self, label: &str) -> bool {
        self.flagged().any(|l| l == label)
    }

    /// The labels whose probability reaches their threshold, in label order.
    pub fn flagged(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter()
            .zip(self.thresholds.iter())
            .filter(|((_, p), &t)| *p >= t)
            .map(|((l, _), _)| l)
    }

    /// Probabilities in label order.
    pub fn probabilities(&self) -> &[f64] {
        &self.probs
    }
}

/// Why a comment got its scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// One entry per label, in label order.
    pub labels: Vec<LabelExplanation>,
}

/// How one label's score came about: `score = σ(prior_log_odds + Σ contributions)`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelExplanation {
    /// The label.
    pub label: String,
    /// Its probability.
    pub score: f64,
    /// Its threshold.
    pub threshold: f64,
    /// Log-odds before any feature is seen.
    pub prior_log_odds: f64,
    /// The comment's known features, the strongest first.
    pub contributions: Vec<Contribution>,
}

/// One feature's push on a label's log-odds.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The feature text (a word, a bigram, or a class token like `<url>`).
    pub feature: String,
    /// How often it occurs in the comment.
    pub count: f64,
    /// Its log-odds weight per occurrence.
    pub weight: f64,
}

impl Contribution {
    /// Its total push on the log-odds: `count × weight`.
    pub fn log_odds(&self) -> f64 {
        self.count * self.weight
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifier_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Classifier>();
        assert_send_sync::<Scores>();
    }
}
