//! [`Classifier`]: a trained model ready to score comments.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use nohash_hasher::BuildNoHashHasher;

use crate::calibrate::Calibration;
use crate::error::{Error, ModelError, Result};
use crate::format::{self, FilledRecord, ModelData, ScoringData, TrainingSummary, Vocabulary};
use crate::lookup::{KeyCounts, View, WeightTable};
use crate::nb::{Counts, NaiveBayes, NbValidParams};
use crate::text::{Analyzer, Scratch};

/// The model shipped inside the binary, trained from `training-data/` (see its README).
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../models/default.model");

/// Feature key → column. Keys are hashes or hash buckets already, so hashing them again
/// is waste.
pub(crate) type FeatureIndex = HashMap<u64, u32, BuildNoHashHasher<u64>>;

/// Adds `text`'s features that `index` lacks to it and to `vocabulary`, numbered in the order
/// they come: what training and learning do with a comment's new features.
pub(crate) fn grow_vocabulary(
    analyzer: &Analyzer,
    text: &str,
    scratch: &mut Scratch,
    index: &mut FeatureIndex,
    vocabulary: &mut Vocabulary,
) {
    analyzer.for_each_feature(text, scratch, |key, feature| {
        let next = index.len() as u32;
        index.entry(key).or_insert_with(|| {
            match vocabulary {
                Vocabulary::Terms(t) => t.push(feature.to_owned()),
                Vocabulary::Buckets(b) => b.push(key),
            }
            next
        });
    });
}

/// A trained model: the feature extractor's options, the vocabulary, one naive Bayes head per
/// label, and each label's calibration and threshold.
///
/// Scoring takes `&self` and the type is `Send + Sync`: share one behind an `Arc` across
/// threads and give each thread its own [`Scorer`] for allocation-free scoring. The methods
/// that change it (`learn`, `forget`, `apply_feedback`, `set_threshold`) take `&mut self`; a
/// service swaps in a changed copy (as `commentguard serve` does).
#[derive(Debug, Clone)]
pub struct Classifier {
    analyzer: Analyzer,
    labels: Arc<[String]>,
    thresholds: Arc<[f64]>,
    block_thresholds: Arc<[f64]>,
    calibration: Vec<Calibration>,
    summary: TrainingSummary,
    /// The naive Bayes parameters: scoring weighs a comment's counts by them.
    params: NbValidParams,
    linear_head: bool,
    /// Log prior odds per label.
    bias: Arc<[f64]>,
    /// The weights by key, for the scoring path.
    table: WeightTable,
    /// The format version of the file it was read from (this build's for a model built here).
    format_version: u32,
    /// The vocabulary and the counts, which scoring does not need: the embedded model decodes
    /// them when first asked.
    full: Arc<Full>,
}

/// What a model keeps beside its scoring table.
#[derive(Debug)]
struct Parts {
    vocabulary: Vocabulary,
    index: FeatureIndex,
    nb: NaiveBayes,
    /// The verdicts `learn` filled in, by comment (see `FilledRecord`).
    filled: Vec<FilledRecord>,
}

/// [`Parts`], built now or from the rest of the embedded model's payload when first needed.
struct Full {
    parts: OnceLock<Parts>,
    /// The undecoded rest of the embedded model's payload, when `parts` is not built yet.
    pending: Option<&'static [u8]>,
}

impl std::fmt::Debug for Full {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.parts.get() {
            Some(parts) => parts.fmt(f),
            None => f.write_str("<decoded when first needed>"),
        }
    }
}

impl Classifier {
    /// The embedded default model.
    ///
    /// It loads in a few milliseconds: only its scoring section is read now, and its checksum
    /// is not computed, since the bytes are part of the binary (`tests/default_model.rs` loads
    /// them in full: checksum, counts, and the scoring section against the counts). The
    /// vocabulary and the counts are decoded when something first needs them (`explain`,
    /// learning, saving).
    pub fn embedded() -> Result<Classifier> {
        let name = "<embedded default model>";
        match format::decode_scoring(DEFAULT_MODEL, name)? {
            Some((scoring, rest)) => Self::from_scoring(
                scoring,
                Full {
                    parts: OnceLock::new(),
                    pending: Some(rest),
                },
            )
            .map_err(|e| rename(e, name)),
            None => Self::from_bytes_named(DEFAULT_MODEL, name),
        }
    }

    /// Loads a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Classifier> {
        Self::load_with_bytes(path).map(|(model, _)| model)
    }

    /// Loads a model file, and returns its bytes too (read once, so they are the bytes the
    /// model came from even if the file is replaced meanwhile).
    pub fn load_with_bytes(path: impl AsRef<Path>) -> Result<(Classifier, Vec<u8>)> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let bytes = format::read_file(path, &name)?;
        let model = Self::from_bytes_named(&bytes, &name)?;
        Ok((model, bytes))
    }

    /// Loads a model from the bytes of a model file.
    pub fn from_bytes(bytes: &[u8]) -> Result<Classifier> {
        Self::from_bytes_named(bytes, "<model bytes>")
    }

    fn from_bytes_named(bytes: &[u8], name: &str) -> Result<Classifier> {
        let (scoring, data) = format::decode(bytes, name)?;
        let mut model = Self::from_data(data).map_err(|e| rename(e, name))?;
        model.format_version = format::version_of(bytes);
        model
            .check_read()
            .map_err(|why| Error::model(name, ModelError::Corrupt(why)))?;
        if let Some(scoring) = scoring {
            if scoring != model.scoring_data() {
                return Err(Error::model(
                    name,
                    ModelError::Corrupt("its scoring section disagrees with its counts".into()),
                ));
            }
        }
        Ok(model)
    }

    /// Checks what a file can hold but training never writes: parameters out of range (they
    /// are checked when given, not when read) and counts whose weights are not finite, with
    /// which every score was NaN.
    fn check_read(&self) -> std::result::Result<(), String> {
        let nb = &self.parts().nb;
        nb.params().recheck().map_err(|e| e.to_string())?;
        if !nb.weights().all_finite() {
            return Err("its counts give weights that are not finite numbers".into());
        }
        // Training writes ratios here. A NaN loaded, but the model's own saved bytes then did
        // not (the scoring section compares unequal to itself).
        let ratio = |x: f64| (0.0..=1.0).contains(&x);
        if let Some(t) = self
            .summary
            .tuning
            .iter()
            .find(|t| !(ratio(t.precision) && ratio(t.recall) && ratio(t.f1)))
        {
            return Err(format!(
                "its training summary gives label {:?} a precision, recall or F1 outside [0, 1]",
                t.label
            ));
        }
        Ok(())
    }

    /// The vocabulary, the index and the counts, decoded now if the model was loaded without
    /// them.
    fn parts(&self) -> &Parts {
        self.full.parts.get_or_init(|| {
            let rest = self
                .full
                .pending
                .expect("a model without its parts has their bytes");
            // Only the embedded model is loaded this way, and tests/default_model.rs decodes
            // it in full, so this cannot fail in a released binary.
            format::decode_rest(rest, format::FORMAT_VERSION, "<embedded default model>")
                .and_then(|data| {
                    let rows = self.summary.rows as f64;
                    Self::parts_of(&self.analyzer, data, &self.labels, rows, None)
                })
                .expect("the embedded model decodes: tests/default_model.rs checks it")
        })
    }

    /// Builds the parts from a payload's counts and vocabulary; `rows` is the summary's row
    /// count, which the document frequencies are relative to. `index`, when given, is the
    /// vocabulary's index, known to be valid (learning extends the model's own).
    fn parts_of(
        analyzer: &Analyzer,
        mut data: ModelData,
        labels: &[String],
        rows: f64,
        index: Option<FeatureIndex>,
    ) -> Result<Parts> {
        let corrupt = |why: String| Error::model("", ModelError::Corrupt(why));
        if data.linear.is_none() && !data.learned_count.is_empty() {
            return Err(corrupt(
                "it counts learned comments for an NB-LR head it does not have".into(),
            ));
        }
        data.join_counts();
        let n_features = data.vocabulary.len();
        if data.df.len() != n_features {
            return Err(corrupt(format!(
                "{} document frequencies for {n_features} features",
                data.df.len()
            )));
        }
        // Every row trained on (or learned since) counts in the document frequencies, whatever
        // labels it carried.
        if data.df.iter().any(|&df| df > rows) {
            return Err(corrupt(format!(
                "a feature is counted in more rows than the {rows} the model was trained on"
            )));
        }
        let counts = Counts::from_parts(labels.len(), data.counts, data.docs, data.df, rows)
            .ok_or_else(|| corrupt("count tables do not match the vocabulary and labels".into()))?;
        let index = match index {
            Some(index) => index,
            None => build_index(analyzer, &data.vocabulary)
                .map_err(|dup| corrupt(format!("vocabulary entry {dup} repeats or collides")))?,
        };
        if let Some(head) = &data.linear {
            if !head.is_valid(n_features, labels.len()) {
                return Err(corrupt(
                    "the NB-LR head does not match the vocabulary".into(),
                ));
            }
        }
        let filled_valid = data.filled.iter().all(|r| {
            r.count > 0 && r.verdicts.len() == labels.len() && r.given.len() == labels.len()
        }) && data.filled.windows(2).all(|w| {
            (&w[0].text, &w[0].verdicts, &w[0].given) < (&w[1].text, &w[1].verdicts, &w[1].given)
        });
        if !filled_valid {
            return Err(corrupt(
                "its record of filled verdicts is out of order or does not match the labels".into(),
            ));
        }
        let nb = NaiveBayes::with_head(data.nb, counts, data.linear, labels)?;
        Ok(Parts {
            vocabulary: data.vocabulary,
            index,
            nb,
            filled: data.filled,
        })
    }

    /// A model from its scoring section, with `full` holding (or to decode) the rest.
    fn from_scoring(s: ScoringData, full: Full) -> Result<Classifier> {
        let corrupt = |why: String| Error::model("", ModelError::Corrupt(why));
        check_labels(
            &s.labels,
            &s.thresholds,
            &s.block_thresholds,
            &s.calibration,
            &s.summary,
        )?;
        let n_labels = s.labels.len();
        if s.bias.len() != n_labels
            || s.slots.len() != s.keys.len()
            || s.weights.len() != s.keys.len() * n_labels
        {
            return Err(corrupt(
                "the scoring section's weights do not match its keys and labels".into(),
            ));
        }
        if !s.weights.iter().chain(&s.bias).all(|w| w.is_finite()) {
            return Err(corrupt(
                "the scoring section's weights are not finite".into(),
            ));
        }
        let analyzer = Analyzer::new(s.analyzer)?;
        let table = WeightTable::from_layout(
            n_labels,
            s.table_bits,
            s.empty_key,
            s.slots
                .iter()
                .zip(&s.keys)
                .zip(s.weights.chunks_exact(n_labels))
                .map(|((&slot, &key), w)| (slot, key, w)),
        )
        .ok_or_else(|| corrupt("the scoring section's table is not a valid layout".into()))?;
        Ok(Classifier {
            analyzer,
            labels: s.labels.into(),
            thresholds: s.thresholds.into(),
            block_thresholds: s.block_thresholds.into(),
            calibration: s.calibration,
            summary: s.summary,
            params: s.nb,
            linear_head: s.linear_head,
            bias: s.bias.into(),
            table,
            format_version: format::FORMAT_VERSION,
            full: Arc::new(full),
        })
    }

    /// The scoring section of this model's file.
    pub(crate) fn scoring_data(&self) -> ScoringData {
        // The table's own layout: built in vocabulary order (`table_of`), or read from a
        // scoring section that a file check or tests/default_model.rs found equal to that.
        let (table_bits, empty_key, filled) = self.table.layout();
        ScoringData {
            analyzer: self.analyzer.options().clone(),
            nb: self.params.clone(),
            labels: self.labels.to_vec(),
            thresholds: self.thresholds.to_vec(),
            block_thresholds: self.block_thresholds.to_vec(),
            calibration: self.calibration.clone(),
            summary: self.summary.clone(),
            linear_head: self.linear_head,
            bias: self.bias.to_vec(),
            table_bits,
            empty_key,
            slots: filled.iter().map(|&(slot, _, _)| slot).collect(),
            keys: filled.iter().map(|&(_, key, _)| key).collect(),
            weights: filled
                .iter()
                .flat_map(|&(_, _, w)| w.iter().copied())
                .collect(),
        }
    }

    pub(crate) fn from_data(data: ModelData) -> Result<Classifier> {
        Self::from_data_with(data, None)
    }

    /// How many comments learned with verdicts the model filled in are recorded for an exact
    /// forget (see [`apply_partial_feedback`](Self::apply_partial_feedback)), and how many
    /// learnings of them: `(comments, learnings)`.
    pub fn filled_verdicts_recorded(&self) -> (usize, u64) {
        let filled = self.parts_filled();
        let mut texts: Vec<&[u8; 32]> = filled.iter().map(|r| &r.text).collect();
        texts.dedup();
        (texts.len(), filled.iter().map(|r| r.count).sum())
    }

    /// The verdicts `learn` filled in, by comment.
    pub(crate) fn parts_filled(&self) -> &[FilledRecord] {
        &self.parts().filled
    }

    /// This model's feature index (decoded now if the model was loaded without it).
    pub(crate) fn feature_index(&self) -> &FeatureIndex {
        &self.parts().index
    }

    /// What [`from_data`](Self::from_data) gives for `data`, whose vocabulary is this model's
    /// followed by new features and whose index is `index`: what learning makes. It neither
    /// rebuilds the index nor, when the new features fit in its table, inserts the old features
    /// again (together most of the time a learning took).
    pub(crate) fn extended(&self, data: ModelData, index: FeatureIndex) -> Result<Classifier> {
        let old_features = self.parts().vocabulary.len();
        Self::from_data_with(data, Some((index, &self.table, old_features)))
    }

    /// [`from_data`](Self::from_data), with an index and a table of the vocabulary's first
    /// features when known.
    fn from_data_with(
        mut data: ModelData,
        known: Option<(FeatureIndex, &WeightTable, usize)>,
    ) -> Result<Classifier> {
        check_labels(
            &data.labels,
            &data.thresholds,
            &data.block_thresholds,
            &data.calibration,
            &data.summary,
        )?;
        if ![&data.counts, &data.docs, &data.df]
            .iter()
            .all(|counts| counts_are_valid(counts))
        {
            return Err(Error::model(
                "",
                ModelError::Corrupt("negative or non-finite counts".into()),
            ));
        }
        let analyzer = Analyzer::new(data.analyzer.clone())?;
        let labels = data.labels.clone();
        let thresholds = std::mem::take(&mut data.thresholds);
        let block_thresholds = std::mem::take(&mut data.block_thresholds);
        let calibration = std::mem::take(&mut data.calibration);
        let summary = std::mem::take(&mut data.summary);
        let params = data.nb.clone();
        let (index, base) = match known {
            Some((index, table, n)) => (Some(index), Some((table, n))),
            None => (None, None),
        };
        let parts = Self::parts_of(&analyzer, data, &labels, summary.rows as f64, index)?;
        let table = table_of(&parts, labels.len(), base);
        let weights = parts.nb.weights();
        Ok(Classifier {
            analyzer,
            labels: labels.into(),
            thresholds: thresholds.into(),
            block_thresholds: block_thresholds.into(),
            calibration,
            summary,
            params,
            linear_head: parts.nb.linear().is_some(),
            bias: weights.bias().into(),
            table,
            format_version: format::FORMAT_VERSION,
            full: Arc::new(Full {
                parts: OnceLock::from(parts),
                pending: None,
            }),
        })
    }

    pub(crate) fn to_data(&self) -> ModelData {
        let parts = self.parts();
        let (counts, docs, df) = parts.nb.counts().parts();
        let mut data = ModelData {
            analyzer: self.analyzer.options().clone(),
            nb: self.params.clone(),
            labels: self.labels.to_vec(),
            thresholds: self.thresholds.to_vec(),
            calibration: self.calibration.clone(),
            vocabulary: parts.vocabulary.clone(),
            counts: counts.to_vec(),
            docs: docs.to_vec(),
            df: df.to_vec(),
            summary: self.summary.clone(),
            linear: parts.nb.linear().cloned(),
            block_thresholds: self.block_thresholds.to_vec(),
            filled: parts.filled.clone(),
            learned_count: Vec::new(),
        };
        data.split_counts();
        data
    }

    /// The bytes of this model's file.
    pub fn to_bytes(&self) -> Vec<u8> {
        format::encode(&self.scoring_data(), &self.to_data())
    }

    /// Writes the model file atomically (a temporary file, then a rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        crate::fsafe::write_output(path.as_ref(), &self.to_bytes(), &[])
    }

    /// The labels, in the order scores are given.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Each label's threshold, in label order.
    pub fn thresholds(&self) -> &[f64] {
        &self.thresholds
    }

    /// Each label's block threshold, in label order: a comment at or above it is blocked
    /// outright rather than held for review (the probability at 99% out-of-fold precision when
    /// the model was tuned; 1.0 in models older than format version 3).
    pub fn block_thresholds(&self) -> &[f64] {
        &self.block_thresholds
    }

    /// True when the model scores with an NB-LR head (naive Bayes ratios, learned weights).
    pub fn has_linear_head(&self) -> bool {
        self.linear_head
    }

    /// Each label's calibration map, in label order.
    pub fn calibration(&self) -> &[Calibration] {
        &self.calibration
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

    /// The position of `label` among [`labels`](Self::labels). `toxic`, the label of models
    /// before the Perspective-style attributes, finds `toxicity` in a model without `toxic`.
    pub fn label_index(&self, label: &str) -> Result<usize> {
        position(&self.labels, label).ok_or_else(|| Error::UnknownLabel {
            label: label.to_owned(),
            available: self.labels.to_vec(),
        })
    }

    /// The feature extractor.
    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// The format version of the file the model was read from; a model trained or changed
    /// here has this build's, [`FORMAT_VERSION`](crate::FORMAT_VERSION), and saves in it.
    pub fn format_version(&self) -> u32 {
        self.format_version
    }

    /// What the model was trained on.
    pub fn summary(&self) -> &TrainingSummary {
        &self.summary
    }

    /// Each label's share of positives among the rows that trained it (with partial labels,
    /// not every row trained every label): the base rate its probabilities are calibrated at,
    /// from which [`adapt_prior`](crate::adapt_prior) starts.
    pub fn training_shares(&self) -> Vec<f64> {
        let counts = self.naive_bayes().counts();
        (0..self.labels.len())
            .map(|l| self.summary.positives[l] as f64 / counts.label_rows(l).max(1.0))
            .collect()
    }

    /// The feature columns.
    pub fn vocabulary(&self) -> &Vocabulary {
        &self.parts().vocabulary
    }

    /// The naive Bayes parameters.
    pub fn naive_bayes(&self) -> &NaiveBayes {
        &self.parts().nb
    }

    /// A scorer with its own buffers; cheap to make, allocation-free once warm.
    pub fn scorer(&self) -> Scorer<'_> {
        self.scorer_with(ScorerBuffers::default())
    }

    /// A [`Scorer`] that reuses `buffers`, taken from an earlier scorer with
    /// [`Scorer::into_buffers`] (of this model or another): for code that makes a scorer per
    /// request, such as a server, so that each does not allocate and clear its buffers again.
    pub fn scorer_with(&self, mut buffers: ScorerBuffers) -> Scorer<'_> {
        buffers.log_odds.resize(self.labels.len(), 0.0);
        buffers.probs.resize(self.labels.len(), 0.0);
        Scorer {
            model: self,
            buf: buffers,
            count_values: std::array::from_fn(|n| self.params.term_value_of_count(n as u32)),
        }
    }

    /// Scores one comment.
    pub fn score(&self, text: &str) -> Scores {
        self.scorer().scores(text)
    }

    /// Scores a batch of comments, in order.
    pub fn score_batch<S: AsRef<str>>(&self, texts: &[S]) -> Vec<Scores> {
        let mut scorer = self.scorer();
        texts.iter().map(|t| scorer.scores(t.as_ref())).collect()
    }

    /// Scores `texts` in parallel on rayon's current pool (wrap the call in
    /// `ThreadPool::install` to choose the threads), writing each text's probabilities, in
    /// label order, to `out[i * labels .. (i + 1) * labels]`. Each worker reuses one [`Scorer`],
    /// so nothing is allocated per comment.
    ///
    /// # Panics
    ///
    /// When `out` does not hold exactly `texts.len() × labels` probabilities, as slice
    /// indexing would.
    pub fn score_parallel<S: AsRef<str> + Sync>(&self, texts: &[S], out: &mut [f64]) {
        use rayon::prelude::*;
        let n = self.labels.len();
        assert_eq!(
            out.len(),
            texts.len() * n,
            "out holds one probability per text and label"
        );
        // Chunks large enough that per-task overhead vanishes, small enough to balance.
        const CHUNK: usize = 256;
        out.par_chunks_mut(CHUNK * n)
            .zip(texts.par_chunks(CHUNK))
            .for_each_init(
                || self.scorer(),
                |scorer, (out, texts)| {
                    for (o, t) in out.chunks_mut(n).zip(texts) {
                        o.copy_from_slice(scorer.score(t.as_ref()));
                    }
                },
            );
    }

    /// The sparse feature-count row of `text` over this model's vocabulary (unknown features
    /// are dropped), sorted by column: raw counts, before any weighting. Useful to feed the
    /// same features to another estimator.
    pub fn features(&self, text: &str, scratch: &mut Scratch, row: &mut Vec<(u32, f64)>) {
        row.clear();
        let index = &self.parts().index;
        self.analyzer.for_each_key(text, scratch, |key| {
            if let Some(&f) = index.get(&key) {
                row.push((f, 1.0));
            }
        });
        sum_duplicates(row);
    }

    /// Why `text` got its scores: each label's prior log-odds and the features that moved it.
    pub fn explain(&self, text: &str) -> Explanation {
        let mut scorer = self.scorer();
        let probs = scorer.score(text).to_vec();
        let log_odds = scorer.last_log_odds().to_vec();
        // The scorer's (key, value) pairs, with a readable text per key.
        let mut names: HashMap<u64, String> = HashMap::new();
        let mut scratch = Scratch::default();
        self.analyzer
            .for_each_feature(text, &mut scratch, |key, feature| {
                names.entry(key).or_insert_with(|| feature.to_owned());
            });
        let values = scorer.values(text).to_vec();
        let parts = self.parts();
        let labels = self
            .labels
            .iter()
            .enumerate()
            .map(|(l, label)| {
                let mut contributions: Vec<Contribution> = values
                    .iter()
                    .filter_map(|&(key, value)| {
                        let f = *parts.index.get(&key)?;
                        Some(Contribution {
                            feature: names.get(&key).cloned().unwrap_or_default(),
                            value,
                            weight: parts.nb.weight(f as usize, l),
                            score_part: 0.0,
                        })
                    })
                    .filter(|c| c.weight != 0.0)
                    .collect();
                // On the scale of the calibrated score: the move from the prior's probability
                // to the comment's. Shared in proportion to log-odds alone, opposite features
                // that nearly cancel gave parts beyond ±1. So the raising and the lowering
                // features are two players of a Shapley split (each one's move averaged over
                // both orders), and each side's move is shared within it in proportion to
                // log-odds: every part has its log-odds' sign, lies in [-1, 1], and the parts
                // add up to the move exactly.
                let prior = self.bias[l];
                let cal = &self.calibration[l];
                let prior_score = cal.apply(prior);
                let moved = probs[l] - prior_score;
                let (mut up, mut down) = (0.0, 0.0);
                for c in &contributions {
                    let z = c.log_odds();
                    if z > 0.0 {
                        up += z;
                    } else {
                        down += z;
                    }
                }
                let raised = if up == 0.0 {
                    0.0
                } else if down == 0.0 {
                    moved
                } else {
                    0.5 * ((cal.apply(prior + up) - prior_score)
                        + (probs[l] - cal.apply(prior + down)))
                };
                let lowered = moved - raised;
                for c in &mut contributions {
                    let z = c.log_odds();
                    c.score_part = if z > 0.0 {
                        raised * z / up
                    } else if z < 0.0 {
                        lowered * z / down
                    } else {
                        0.0
                    };
                }
                // Strongest first on the scale shown, then by log-odds, then by name.
                contributions.sort_by(|a, b| {
                    b.score_part
                        .abs()
                        .total_cmp(&a.score_part.abs())
                        .then_with(|| b.log_odds().abs().total_cmp(&a.log_odds().abs()))
                        .then_with(|| a.feature.cmp(&b.feature))
                });
                LabelExplanation {
                    label: label.clone(),
                    score: probs[l],
                    log_odds: log_odds[l],
                    threshold: self.thresholds[l],
                    prior_log_odds: prior,
                    prior_score,
                    contributions,
                }
            })
            .collect();
        Explanation { labels }
    }

    /// The `n` features that most raise `label`'s score, with their log-odds weights, among
    /// features in at least `min_df` training comments.
    pub fn top_features(
        &self,
        label: &str,
        n: usize,
        min_df: f64,
    ) -> Result<Vec<(std::borrow::Cow<'_, str>, f64)>> {
        let l = self.label_index(label)?;
        let parts = self.parts();
        let counts = parts.nb.counts();
        let mut top: Vec<(usize, f64)> = (0..parts.vocabulary.len())
            .filter(|&f| counts.df(f) >= min_df)
            .map(|f| (f, parts.nb.weight(f, l)))
            .collect();
        top.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(top
            .into_iter()
            .take(n)
            .map(|(f, w)| (parts.vocabulary.name(f), w))
            .collect())
    }
}

/// The scoring table of `parts`, its keys inserted in vocabulary order: the layout then depends
/// only on the model, so the file's scoring section is the same whichever way it was built.
/// `base`, when given, is the table of the vocabulary's first features: the same table comes
/// back either way.
fn table_of(parts: &Parts, n_labels: usize, base: Option<(&WeightTable, usize)>) -> WeightTable {
    let mut keys = vec![0; parts.vocabulary.len()];
    for (&key, &f) in &parts.index {
        keys[f as usize] = key;
    }
    let weights = parts.nb.weights();
    let entries = keys
        .iter()
        .enumerate()
        .map(|(f, &key)| (key, weights.feature(f as u32)));
    base.and_then(|(table, n)| table.extended(n, entries.clone()))
        .unwrap_or_else(|| WeightTable::new(n_labels, entries))
}

/// True when every count is finite and not negative. Folded without an early exit so that
/// it compiles to vector code: a learning server checks a million counts per group commit,
/// and a short-circuiting loop took a sixth of it.
fn counts_are_valid(counts: &[f64]) -> bool {
    counts
        .iter()
        .fold(true, |ok, c| ok & (0.0..=f64::MAX).contains(c))
}

/// `e` as an error of the model file `name`.
fn rename(e: Error, name: &str) -> Error {
    match e {
        Error::Model { kind, .. } => Error::model(name, kind),
        other => Error::model(name, ModelError::Corrupt(other.to_string())),
    }
}

/// Checks the per-label sections of a payload: one entry per label, thresholds in [0, 1],
/// valid calibration maps, distinct labels.
fn check_labels(
    labels: &[String],
    thresholds: &[f64],
    block_thresholds: &[f64],
    calibration: &[Calibration],
    summary: &TrainingSummary,
) -> Result<()> {
    let corrupt = |why: String| Error::model("", ModelError::Corrupt(why));
    let n_labels = labels.len();
    if n_labels == 0 {
        return Err(corrupt("no labels".into()));
    }
    if thresholds.len() != n_labels
        || block_thresholds.len() != n_labels
        || calibration.len() != n_labels
        || summary.positives.len() != n_labels
    {
        return Err(corrupt(
            "per-label sections disagree on the number of labels".into(),
        ));
    }
    if let Some(t) = thresholds
        .iter()
        .chain(block_thresholds)
        .find(|t| !(0.0..=1.0).contains(*t))
    {
        return Err(corrupt(format!("threshold {t} is outside [0, 1]")));
    }
    if calibration.iter().any(|c| !c.is_valid()) {
        return Err(corrupt("invalid calibration map".into()));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = labels.iter().find(|l| !seen.insert(l.as_str())) {
        return Err(corrupt(format!("label {dup:?} appears twice")));
    }
    Ok(())
}

/// Maps every vocabulary entry's key to its column; `Err` names an entry whose key repeats.
pub(crate) fn build_index(
    analyzer: &Analyzer,
    vocabulary: &Vocabulary,
) -> std::result::Result<FeatureIndex, String> {
    let mut index = FeatureIndex::with_capacity_and_hasher(vocabulary.len(), Default::default());
    let mut insert = |key: u64, i: usize, name: &dyn Fn() -> String| {
        if index.insert(key, i as u32).is_some() {
            Err(name())
        } else {
            Ok(())
        }
    };
    match vocabulary {
        Vocabulary::Terms(terms) => {
            for (i, t) in terms.iter().enumerate() {
                insert(analyzer.key(t), i, &|| format!("{t:?}"))?;
            }
        }
        Vocabulary::Buckets(buckets) => {
            for (i, &b) in buckets.iter().enumerate() {
                insert(b, i, &|| format!("bucket {b}"))?;
            }
        }
    }
    Ok(index)
}

/// Sorts `(key, count)` pairs by key and merges equal keys by summing their counts.
pub(crate) fn sum_duplicates<K: Ord + Copy>(row: &mut Vec<(K, f64)>) {
    row.sort_unstable_by_key(|&(k, _)| k);
    row.dedup_by(|next, kept| {
        let same = next.0 == kept.0;
        if same {
            kept.1 += next.1;
        }
        same
    });
}

/// A comment is counted in shares of this many bytes: with character n-grams a comment has
/// ten or more keys a word, 8 bytes each, and their distinct counts 16 more, which for a 6 MiB
/// comment came to over 64 MB at once (issue 12's bound is a few times the comment). Each
/// share reads the whole comment again and keeps the keys of one hash class. Half a MiB: with
/// 1 MiB shares a 6 MiB comment still peaked near 120 MB (a share's 2.5 million keys, and the
/// vector's doubling to hold them), an 80,000-feature model past a 120 MB limit.
const HUGE_COMMENT: usize = 1 << 19;

/// The share of `key` among `shares`: keys are hashes, but hash buckets are small numbers, so
/// they are mixed first.
fn share_of(key: u64, shares: u64) -> u64 {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) % shares
}

/// Scores comments one at a time with reused buffers: no allocation per comment once warm.
#[derive(Debug, Clone)]
pub struct Scorer<'m> {
    model: &'m Classifier,
    buf: ScorerBuffers,
    /// The term value of each small count, so that the scoring loop reads a table rather than
    /// choosing a term weighting for every feature.
    count_values: [f64; 16],
}

/// A [`Scorer`]'s buffers, without the model it borrows: see [`Classifier::scorer_with`].
#[derive(Debug, Clone, Default)]
pub struct ScorerBuffers {
    scratch: Scratch,
    keys: Vec<u64>,
    counts: KeyCounts,
    /// Each key's slot in the weight table, found before any weight is read (see [`weigh`]).
    slots: Vec<usize>,
    row: Vec<(u64, f64)>,
    log_odds: Vec<f64>,
    probs: Vec<f64>,
}

impl ScorerBuffers {
    /// About how many bytes the buffers hold: they grow to the longest comment scored, so a
    /// caller that keeps them may prefer to drop them past a bound.
    pub fn capacity_bytes(&self) -> usize {
        self.keys.capacity() * size_of::<u64>()
            + self.counts.capacity_bytes()
            + self.slots.capacity() * size_of::<usize>()
            + self.row.capacity() * size_of::<(u64, f64)>()
            + self.scratch.capacity_bytes()
    }
}

impl Scorer<'_> {
    /// This scorer's buffers, to make the next scorer with [`Classifier::scorer_with`].
    pub fn into_buffers(self) -> ScorerBuffers {
        self.buf
    }

    /// The calibrated probability of each label for `text`, in label order.
    pub fn score(&mut self, text: &str) -> &[f64] {
        self.log_odds(text);
        for ((p, &z), c) in self
            .buf
            .probs
            .iter_mut()
            .zip(&self.buf.log_odds)
            .zip(&self.model.calibration)
        {
            *p = c.apply(z);
        }
        &self.buf.probs
    }

    /// The log-odds behind the last [`score`](Self::score) or [`log_odds`](Self::log_odds) call.
    pub fn last_log_odds(&self) -> &[f64] {
        &self.buf.log_odds
    }

    /// The log-odds of each label for `text`, in label order, before calibration: unlike
    /// probabilities they never saturate, so they keep every comment ranked.
    pub fn log_odds(&mut self, text: &str) -> &[f64] {
        let model = self.model;
        // (A loop: `copy_from_slice` calls memcpy, costly for two numbers.)
        for (z, &b) in self.buf.log_odds.iter_mut().zip(model.bias.iter()) {
            *z = b;
        }
        if model.params.is_linear() {
            // Raw counts, no normalization: each occurrence adds its weight.
            let keys = model
                .analyzer
                .keys(text, &mut self.buf.scratch, &mut self.buf.keys);
            let items = Items {
                keys: &*keys,
                key: |&key: &u64| key,
                value: |_: &u64| 1.0,
            };
            weigh(
                &model.table,
                items,
                &mut self.buf.slots,
                &mut self.buf.log_odds,
                Start::Acc,
            );
        } else {
            // One pass over the distinct keys and their counts. Normalizing divides every value
            // by one number, so the sum is divided once at the end.
            // A huge comment's keys are counted a share at a time, each share its keys of one
            // hash class, so that no key's count is split between shares.
            let shares = text.len().div_ceil(HUGE_COMMENT).max(1) as u64;
            let acc = &mut self.buf.probs;
            let params = &model.params;
            let count_values = &self.count_values;
            let mut sum_of_squares = 0.0;
            for share in 0..shares {
                let keys = if shares == 1 {
                    model
                        .analyzer
                        .keys(text, &mut self.buf.scratch, &mut self.buf.keys)
                } else {
                    let keys = &mut self.buf.keys;
                    keys.clear();
                    model
                        .analyzer
                        .for_each_key(text, &mut self.buf.scratch, |key| {
                            if share_of(key, shares) == share {
                                keys.push(key);
                            }
                        });
                    &mut keys[..]
                };
                self.buf.counts.count(keys);
                let items = Items {
                    keys: self.buf.counts.distinct(),
                    key: |&(key, _): &(u64, u32)| key,
                    value: |&(_, count): &(u64, u32)| match count_values.get(count as usize) {
                        Some(&value) => value,
                        None => params.term_value_of_count(count),
                    },
                };
                let start = if share == 0 { Start::Zero } else { Start::Acc };
                sum_of_squares += weigh(&model.table, items, &mut self.buf.slots, acc, start);
            }
            let norm = params.norm(sum_of_squares);
            for (z, a) in self.buf.log_odds.iter_mut().zip(acc.iter()) {
                *z += a / norm;
            }
        }
        &self.buf.log_odds
    }

    /// The comment's `(key, value)` pairs after term weighting and normalization, over all of
    /// its features (known to the model or not, as in training).
    fn values(&mut self, text: &str) -> &[(u64, f64)] {
        let keys = self
            .model
            .analyzer
            .keys(text, &mut self.buf.scratch, &mut self.buf.keys);
        // Counted as log_odds counts them, so the values are the ones it sums.
        self.buf.counts.count(keys);
        let row = &mut self.buf.row;
        row.clear();
        row.extend(self.buf.counts.iter().map(|(key, n)| (key, f64::from(n))));
        self.model.params.transform(row);
        row
    }

    /// Scores `text` and returns the full [`Scores`].
    pub fn scores(&mut self, text: &str) -> Scores {
        let probs = self.score(text).to_vec();
        Scores {
            labels: Arc::clone(&self.model.labels),
            thresholds: Arc::clone(&self.model.thresholds),
            probs,
        }
    }
}

/// Where the sums of [`weigh`] start.
#[derive(Clone, Copy, PartialEq)]
enum Start {
    /// At the values in `acc`.
    Acc,
    /// At zero: `acc` is only written. (Zeroing it first called memset.)
    Zero,
}

/// A comment's features for [`weigh`]: each item's key and term value.
struct Items<'a, T, K, V> {
    keys: &'a [T],
    key: K,
    value: V,
}

/// Sets `acc` (one sum per label, in order) to its start plus `x * weights(key)` for every
/// item, and returns the sum of the squared `x`. Unknown keys get zero weights rather than a
/// branch (see `WeightTable`).
///
/// Two loops: the first finds every key's slot, the second reads the weights. The table is
/// megabytes and each slot a likely cache miss; a loop of a few instructions a key keeps many
/// of those misses in flight at once, where one that also summed seven weights a key kept few
/// (they took most of the scoring time). The second loop then reads lines already in cache.
#[inline(always)]
fn weigh<T, K: Fn(&T) -> u64, V: Fn(&T) -> f64>(
    table: &WeightTable,
    items: Items<'_, T, K, V>,
    slots: &mut Vec<usize>,
    acc: &mut [f64],
    start: Start,
) -> f64 {
    let view = table.view();
    slots.clear();
    slots.extend(
        items
            .keys
            .iter()
            .map(|item| view.slot_of((items.key)(item))),
    );
    let values = items
        .keys
        .iter()
        .map(&items.value)
        .zip(slots.iter().copied());
    // With the label count a constant the sums stay in registers, where a loop over labels
    // would chain every addition through memory.
    match acc.len() {
        1 => weigh_n::<1>(view, values, acc, start),
        2 => weigh_n::<2>(view, values, acc, start),
        3 => weigh_n::<3>(view, values, acc, start),
        4 => weigh_n::<4>(view, values, acc, start),
        5 => weigh_n::<5>(view, values, acc, start),
        6 => weigh_n::<6>(view, values, acc, start),
        7 => weigh_n::<7>(view, values, acc, start),
        _ => {
            if start == Start::Zero {
                acc.fill(0.0);
            }
            weigh_any(view, values, acc)
        }
    }
}

/// [`weigh`]'s sums for `N` labels, over `(value, slot)` pairs.
#[inline(always)]
fn weigh_n<const N: usize>(
    table: View<'_>,
    values: impl Iterator<Item = (f64, usize)>,
    acc: &mut [f64],
    start: Start,
) -> f64 {
    let mut sums: [f64; N] = match start {
        Start::Acc => acc.try_into().expect("one sum per label"),
        Start::Zero => [0.0; N],
    };
    let mut sum_of_squares = 0.0;
    for (x, slot) in values {
        sum_of_squares += x * x;
        let w = table.array_at::<N>(slot);
        for l in 0..N {
            sums[l] += x * w[l];
        }
    }
    acc.copy_from_slice(&sums);
    sum_of_squares
}

/// [`weigh`]'s sums for any number of labels.
fn weigh_any(table: View<'_>, values: impl Iterator<Item = (f64, usize)>, acc: &mut [f64]) -> f64 {
    let mut sum_of_squares = 0.0;
    for (x, slot) in values {
        sum_of_squares += x * x;
        for (a, w) in acc.iter_mut().zip(table.weights_at(slot)) {
            *a += x * w;
        }
    }
    sum_of_squares
}

/// One comment's probability per label, and which labels reach their threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    labels: Arc<[String]>,
    thresholds: Arc<[f64]>,
    probs: Vec<f64>,
}

/// Where `label` is among `labels`. The label `toxic` of models before the Perspective-style
/// attributes finds `toxicity` in a model that has no `toxic`, so code written for them keeps
/// working.
fn position(labels: &[String], label: &str) -> Option<usize> {
    labels.iter().position(|l| l == label).or_else(|| {
        (label == "toxic")
            .then(|| labels.iter().position(|l| l == "toxicity"))
            .flatten()
    })
}

impl Scores {
    /// The probability of `label`, if the model has it (`toxic` finds `toxicity`, see
    /// [`Classifier::label_index`]).
    pub fn get(&self, label: &str) -> Option<f64> {
        position(&self.labels, label).map(|i| self.probs[i])
    }

    /// `(label, probability)` in label order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> + '_ {
        self.labels
            .iter()
            .map(String::as_str)
            .zip(self.probs.iter().copied())
    }

    /// True when `label`'s probability reaches its threshold; false for a label the model does
    /// not have (check the name with [`get`](Self::get), which then gives `None`).
    pub fn is_flagged(&self, label: &str) -> bool {
        position(&self.labels, label).is_some_and(|i| self.probs[i] >= self.thresholds[i])
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

/// How one label's score came about: `log_odds = prior_log_odds + Σ contributions`, and
/// `score` is the calibrated probability of `log_odds`.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelExplanation {
    /// The label.
    pub label: String,
    /// Its calibrated probability.
    pub score: f64,
    /// Its log-odds before calibration.
    pub log_odds: f64,
    /// Its threshold.
    pub threshold: f64,
    /// Log-odds before any feature is seen.
    pub prior_log_odds: f64,
    /// The calibrated score before any feature is seen; `score` is this plus every
    /// contribution's [`score_part`](Contribution::score_part).
    pub prior_score: f64,
    /// The comment's known features, the strongest first.
    pub contributions: Vec<Contribution>,
}

/// One feature's push on a label's log-odds.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The feature text (a word, an n-gram, a `#`-marked character n-gram, or a class token
    /// like `<url>`).
    pub feature: String,
    /// Its value in the comment: the count, or the weighted value (binary, log, normalized).
    pub value: f64,
    /// Its log-odds weight per unit of value.
    pub weight: f64,
    /// Its part of the calibrated score's move from the prior's score. The features that raise
    /// the log-odds and those that lower them share the move as the two players of a Shapley
    /// split (each side's move averaged over both orders), and each side's part is shared in
    /// proportion to log-odds. So a part has its log-odds' sign, lies in [-1, 1], and the
    /// parts add up to `score` minus `prior_score`.
    pub score_part: f64,
}

impl Contribution {
    /// Its total push on the log-odds: `value × weight`.
    pub fn log_odds(&self) -> f64 {
        self.value * self.weight
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

    /// The scoring path (weights looked up and summed as features are counted) gives the
    /// log-odds of the plain path: the comment's weighted values, then weights by column.
    /// A scorer made on another scorer's buffers, of another model and after a longer
    /// comment, or on buffers sized for another label count, scores exactly as a fresh one.
    #[test]
    fn reused_buffers_score_as_fresh_ones() {
        let model = Classifier::embedded().unwrap();
        let corpus = include_str!("../tests/fixtures/comments-v1.csv");
        let mut other = model.clone();
        let all = vec![Some(true); other.labels().len()];
        other
            .learn("free vouchers at zorblax dot example", &all)
            .unwrap();
        let mut buffers = ScorerBuffers {
            log_odds: vec![1.0; 3],
            probs: vec![2.0; 12],
            ..ScorerBuffers::default()
        };
        for (i, text) in corpus.lines().take(200).enumerate() {
            let which = if i % 2 == 0 { &model } else { &other };
            let mut scorer = which.scorer_with(buffers);
            let reused = scorer.score(text).to_vec();
            assert_eq!(reused, which.scorer().score(text), "{text}");
            // A long comment leaves long buffers behind for the next one.
            scorer.score(&text.repeat(20));
            buffers = scorer.into_buffers();
            assert!(buffers.capacity_bytes() > 0);
        }
    }

    #[test]
    fn scorer_matches_the_weights_by_column() {
        let model = Classifier::embedded().unwrap();
        let corpus = include_str!("../tests/fixtures/comments-v1.csv");
        let extra = [
            "",
            "!!!",
            "free free free FREE gift gift",
            "a b c d e f g h",
        ];
        let (mut scorer, mut plain) = (model.scorer(), vec![0.0; model.labels().len()]);
        for text in corpus.lines().take(2000).chain(extra) {
            let row: Vec<(u32, f64)> = scorer
                .values(text)
                .iter()
                .filter_map(|&(key, x)| Some((*model.parts().index.get(&key)?, x)))
                .collect();
            model.parts().nb.weights().log_odds(&row, &mut plain);
            for (ours, plain) in scorer.log_odds(text).iter().zip(&plain) {
                assert!((ours - plain).abs() < 1e-9, "{text:?}: {ours} vs {plain}");
            }
        }
    }

    /// A checksummed file with parameters or counts that training never writes (found by the
    /// `model` fuzz target's weight check on a seed with its alpha bytes changed): it loaded,
    /// and every comment with a known feature scored NaN.
    #[test]
    fn a_file_whose_weights_are_not_numbers_is_refused() {
        let data = Classifier::embedded().unwrap().to_data();
        let with_params = |change: &dyn Fn(&mut serde_json::Value)| {
            let mut params = serde_json::to_value(&data.nb).unwrap();
            change(&mut params);
            ModelData {
                nb: serde_json::from_value(params).unwrap(),
                ..data.clone()
            }
        };
        // A file whose scoring section is the one its counts give, as `train` writes it (or
        // the default model's, when the counts build no model: the load must fail before the
        // sections are compared).
        let fallback = Classifier::embedded().unwrap().scoring_data();
        let load = |d: &ModelData| {
            let scoring = Classifier::from_data(d.clone())
                .map(|m| m.scoring_data())
                .unwrap_or_else(|_| fallback.clone());
            Classifier::from_bytes_named(&format::encode(&scoring, d), "m.model")
        };
        assert!(load(&data).is_ok());

        for alpha in [-0.05, 0.0] {
            let e = load(&with_params(&|p| p["alpha"] = alpha.into()))
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("m.model: corrupted model file"), "{e}");
            assert!(e.contains("alpha"), "{e}");
        }
        // Bernoulli counts are per-class document frequencies: more than the class's rows
        // give a probability above 1 and a NaN log (in a naive Bayes head: an NB-LR head takes
        // multinomial ratios from the same counts).
        let mut bernoulli = with_params(&|p| {
            p["kind"] = "Bernoulli".into();
            p["term_weight"] = "Binary".into();
            p["idf"] = false.into();
            p["normalize"] = false.into();
        });
        bernoulli.linear = None;
        assert!(load(&bernoulli).is_ok());
        bernoulli.docs.iter_mut().for_each(|d| *d = 1.0);
        let e = load(&bernoulli).unwrap_err().to_string();
        assert!(e.contains("not finite"), "{e}");
    }

    /// A file's scoring section must be the one its counts give: a changed weight, or a key
    /// moved to a slot where lookups would never find it, is refused, checksum or not.
    #[test]
    fn a_scoring_section_that_disagrees_with_the_counts_is_refused() {
        let model = Classifier::embedded().unwrap();
        let (scoring, data) = (model.scoring_data(), model.to_data());
        let load = |s: &ScoringData| {
            Classifier::from_bytes_named(&format::encode(s, &data), "m.model")
                .map(|_| ())
                .map_err(|e| e.to_string())
        };
        assert_eq!(load(&scoring), Ok(()));
        let mut weight = scoring.clone();
        weight.weights[3] += 1e-12;
        let e = load(&weight).unwrap_err();
        assert!(e.contains("scoring section disagrees"), "{e}");
        // Through the embedded model's path, which reads the section alone: the layout is
        // checked even there.
        let mut moved = scoring.clone();
        let last = moved.slots.len() - 1;
        moved.slots[last] = (1 << moved.table_bits) - 1;
        if moved.slots[last] == scoring.slots[last] {
            moved.slots[last] -= 1;
        }
        let full = || Full {
            parts: OnceLock::new(),
            pending: None,
        };
        let e = Classifier::from_scoring(moved, full())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a valid layout"), "{e}");
        let mut unsorted = scoring.clone();
        unsorted.slots.swap(0, 1);
        assert!(Classifier::from_scoring(unsorted, full()).is_err());
        assert!(Classifier::from_scoring(scoring, full()).is_ok());
    }

    /// A comment past `HUGE_COMMENT` bytes is counted in shares of its keys; its log-odds are
    /// the ones the plain path's values and weights give.
    #[test]
    fn a_huge_comment_counted_in_shares_scores_as_the_plain_path() {
        let model = Classifier::embedded().unwrap();
        let corpus = include_str!("../tests/fixtures/comments-v1.csv");
        let mut text = String::new();
        for line in corpus.lines().cycle() {
            if text.len() > HUGE_COMMENT + (HUGE_COMMENT / 2) {
                break;
            }
            text.push_str(line);
            text.push(' ');
        }
        let mut scorer = model.scorer();
        let chunked = scorer.log_odds(&text).to_vec();
        let row: Vec<(u32, f64)> = scorer
            .values(&text)
            .iter()
            .filter_map(|&(key, x)| Some((*model.parts().index.get(&key)?, x)))
            .collect();
        let mut plain = vec![0.0; model.labels().len()];
        model.parts().nb.weights().log_odds(&row, &mut plain);
        for (c, p) in chunked.iter().zip(&plain) {
            assert!((c - p).abs() < 1e-9 * p.abs().max(1.0), "{c} vs {p}");
        }
    }

    #[test]
    fn sum_duplicates_merges_counts() {
        let mut row = vec![(3u64, 1.0), (1, 1.0), (3, 1.0)];
        sum_duplicates(&mut row);
        assert_eq!(row, [(1, 1.0), (3, 2.0)]);
    }
}
