//! Training: [`TrainParams`] → [`TrainParams::check`] → [`ValidTrainParams::trainer`] →
//! [`Trainer::add`] row by row → the same rows again, in the same order, through
//! [`Trainer::add_second_pass`], once for each later pass [`Trainer::passes`] counts (out-of-fold
//! scores for tuning, and one per NB-LR epoch) → [`Trainer::finish`] → [`Classifier`].
//!
//! Rows stream through: only the vocabulary and the counts are kept in memory, never the rows
//! (with an NB-LR head, [`Trainer::keep_rows`] keeps their features on disk for the epochs).
//! Tuned thresholds and calibration need out-of-fold scores; each row is assigned a fold by a
//! hash of its position, the first pass also keeps one count table per fold, and a fold's model
//! is the total counts minus that fold's, which is exactly the model trained without it. The second
//! pass reads the same rows again and scores them with the model that never saw them: only the
//! rows left in the bounded sample of scores at the end, known in advance from the row count.
//!
//! A row may carry only some of the labels ([`Trainer::add_partial`], a reader's rows with
//! partial labels): a label it lacks gets nothing from it (counts, NB-LR steps, out-of-fold
//! scores), while the vocabulary and document frequencies count it as any comment. Each label's
//! sample of out-of-fold scores is then drawn from the rows that carry it.

use linfa::ParamGuard;
use serde::{Deserialize, Serialize};

use crate::calibrate::{Calibration, CalibrationKind};
use crate::error::{Error, Result};
use crate::format::{LabelTuning, ModelData, Source, TrainingSummary, Vocabulary};
use crate::metrics::{best_f1_threshold, threshold_for_precision, threshold_point};
use crate::model::{grow_vocabulary, Classifier, FeatureIndex};
use crate::nb::{NbParams, NbValidParams, Weights};
use crate::nblr::{BlockRow, LinearFit, LinearParams, BLOCK_ROWS};
use crate::text::{Analyzer, AnalyzerOptions, Scratch};

mod batch;
mod counts;
mod reservoir;
mod spill;

use counts::FoldCounts;
use reservoir::Survivors;
use spill::Spill;

/// How a label's threshold is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum ThresholdRule {
    /// A fixed probability.
    Fixed(f64),
    /// The threshold maximizing out-of-fold F1.
    F1,
    /// The lowest threshold whose out-of-fold precision reaches the target.
    Precision(f64),
}

impl ThresholdRule {
    fn name(&self) -> String {
        match self {
            ThresholdRule::Fixed(t) => format!("fixed {t}"),
            ThresholdRule::F1 => "f1".into(),
            ThresholdRule::Precision(p) => format!("precision>={p}"),
        }
    }
}

/// Everything that decides what a training run produces.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `labels` | (required) | label names, one binary head each | 1 or more, distinct, non-empty |
/// | `analyzer` | [`AnalyzerOptions::default`] | the feature extractor | see there |
/// | `nb` | [`NbParams::default`] | naive Bayes kind, weighting, smoothing, pruning | see there |
/// | `threshold` | best F1 | per label: fixed, best F1, or a target precision | [0, 1] |
/// | `calibration` | isotonic | map out-of-fold log-odds to probabilities | none, Platt, isotonic |
/// | `folds` | 5 | folds for out-of-fold tuning | 2..=50 |
/// | `seed` | 0 | fold assignment | any |
/// | `linear` | NB-LR, [`LinearParams::default`] | an NB-LR head on the naive Bayes ratios, or `None` for naive Bayes alone | see there |
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams {
    labels: Vec<String>,
    analyzer: AnalyzerOptions,
    nb: NbParams,
    linear: Option<LinearParams>,
    default_rule: ThresholdRule,
    rules: Vec<(String, ThresholdRule)>,
    calibration: CalibrationKind,
    folds: u32,
    seed: u64,
}

/// Checked [`TrainParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTrainParams {
    labels: Vec<String>,
    analyzer: AnalyzerOptions,
    nb: NbValidParams,
    linear: Option<LinearParams>,
    rules: Vec<ThresholdRule>,
    calibration: CalibrationKind,
    folds: u32,
    seed: u64,
}

impl TrainParams {
    /// Parameters for a model with these labels and default options.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        TrainParams {
            labels: labels.into_iter().map(Into::into).collect(),
            analyzer: AnalyzerOptions::default(),
            nb: NbParams::new(),
            linear: Some(LinearParams::new()),
            default_rule: ThresholdRule::F1,
            rules: Vec::new(),
            calibration: CalibrationKind::Isotonic,
            folds: 5,
            seed: 0,
        }
    }

    /// Sets the feature extractor's options.
    pub fn analyzer(mut self, options: AnalyzerOptions) -> Self {
        self.analyzer = options;
        self
    }

    /// Sets the naive Bayes hyper-parameters.
    pub fn nb(mut self, nb: NbParams) -> Self {
        self.nb = nb;
        self
    }

    /// Adds an NB-LR head (`Some`) or scores with naive Bayes alone (`None`).
    pub fn linear(mut self, linear: Option<LinearParams>) -> Self {
        self.linear = linear;
        self
    }

    /// Sets the rule for labels without one of their own.
    pub fn default_threshold(mut self, rule: ThresholdRule) -> Self {
        self.default_rule = rule;
        self
    }

    /// Sets `label`'s threshold rule.
    pub fn threshold(mut self, label: impl Into<String>, rule: ThresholdRule) -> Self {
        self.rules.push((label.into(), rule));
        self
    }

    /// Sets the calibration map fitted on out-of-fold scores.
    pub fn calibration(mut self, kind: CalibrationKind) -> Self {
        self.calibration = kind;
        self
    }

    /// Sets the number of folds for out-of-fold tuning.
    pub fn folds(mut self, folds: u32) -> Self {
        self.folds = folds;
        self
    }

    /// Sets the seed of the fold assignment.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Names a label may not take: they name the other parts of `score`'s output.
const RESERVED_LABELS: [&str; 5] = ["id", "flagged", "scores", "action", "text"];

fn check_rule(rule: &ThresholdRule) -> Result<()> {
    match *rule {
        ThresholdRule::Fixed(t) | ThresholdRule::Precision(t) if !(0.0..=1.0).contains(&t) => {
            Err(Error::InvalidParam {
                name: "threshold or target precision",
                value: t.to_string(),
                reason: "must be between 0 and 1",
            })
        }
        _ => Ok(()),
    }
}

impl TrainParams {
    /// Checks every parameter and resolves each label's threshold rule. (Not linfa's
    /// `ParamGuard`: the checked form is built here, not held, so there is no reference to lend.)
    pub fn check(self) -> Result<ValidTrainParams> {
        if self.labels.is_empty() {
            return Err(Error::InvalidParam {
                name: "labels",
                value: "none".into(),
                reason: "at least one label is needed",
            });
        }
        for (i, l) in self.labels.iter().enumerate() {
            if l.is_empty() || self.labels[..i].contains(l) {
                return Err(Error::InvalidParam {
                    name: "label",
                    value: format!("{l:?}"),
                    reason: "labels must be non-empty and distinct",
                });
            }
            // A label names a column of `score`'s CSV and table output and an entry of their
            // `flagged` lists (joined with ';' and ','): the audit's labels `id`, `flagged`
            // and `a;b` made headers with a column twice and lists no one could split.
            if RESERVED_LABELS.contains(&l.as_str()) {
                return Err(Error::InvalidParam {
                    name: "label",
                    value: format!("{l:?}"),
                    reason: "id, flagged, scores, action and text name parts of score's output",
                });
            }
            if l.chars()
                .any(|c| c.is_control() || [',', ';', '"'].contains(&c))
            {
                return Err(Error::InvalidParam {
                    name: "label",
                    value: format!("{l:?}"),
                    reason: "a label may not hold a comma, a semicolon, a quote or a control \
                             character: score's output lists labels with them",
                });
            }
        }
        check_rule(&self.default_rule)?;
        for (label, rule) in &self.rules {
            if !self.labels.contains(label) {
                return Err(Error::UnknownLabel {
                    label: label.clone(),
                    available: self.labels.clone(),
                });
            }
            check_rule(rule)?;
        }
        if !(2..=50).contains(&self.folds) {
            return Err(Error::InvalidParam {
                name: "folds",
                value: self.folds.to_string(),
                reason: "must be between 2 and 50",
            });
        }
        self.analyzer.check()?;
        let rules = self
            .labels
            .iter()
            .map(|l| {
                self.rules
                    .iter()
                    .rev()
                    .find(|(name, _)| name == l)
                    .map_or(self.default_rule, |&(_, r)| r)
            })
            .collect();
        let linear = self.linear.map(LinearParams::check).transpose()?;
        Ok(ValidTrainParams {
            nb: self.nb.check()?,
            linear,
            labels: self.labels,
            analyzer: self.analyzer,
            rules,
            calibration: self.calibration,
            folds: self.folds,
            seed: self.seed,
        })
    }
}

impl ValidTrainParams {
    /// The label names.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The naive Bayes hyper-parameters.
    pub fn nb(&self) -> &NbValidParams {
        &self.nb
    }

    /// The feature extractor's options.
    pub fn analyzer(&self) -> &AnalyzerOptions {
        &self.analyzer
    }

    /// Folds used for out-of-fold tuning.
    pub fn folds(&self) -> u32 {
        self.folds
    }

    /// The NB-LR head's parameters, when there is one.
    pub fn linear(&self) -> Option<&LinearParams> {
        self.linear.as_ref()
    }

    /// How many times training reads its rows: once for the counts; once more to fit
    /// thresholds and calibration on out-of-fold scores; with an NB-LR head, once per epoch
    /// instead (the last epoch gives the out-of-fold scores), from the copy
    /// [`Trainer::keep_rows`] keeps on disk when there is one.
    pub fn passes(&self) -> u32 {
        match &self.linear {
            Some(p) => 1 + p.n_epochs(),
            None => 1 + u32::from(self.needs_tuning()),
        }
    }

    /// True when training reads its rows more than once (see [`passes`](Self::passes)).
    pub fn needs_second_pass(&self) -> bool {
        self.passes() > 1
    }

    /// True when thresholds or calibration are fitted on out-of-fold scores.
    pub(crate) fn needs_tuning(&self) -> bool {
        self.calibration != CalibrationKind::None
            || self
                .rules
                .iter()
                .any(|r| !matches!(r, ThresholdRule::Fixed(_)))
    }

    /// A trainer that takes rows one at a time.
    pub fn trainer(&self) -> Trainer {
        let n_labels = self.labels.len();
        let folds = if self.needs_tuning() {
            self.folds as usize
        } else {
            0
        };
        Trainer {
            analyzer: Analyzer::new(self.analyzer.clone()).expect("checked by TrainParams::check"),
            params: self.clone(),
            index: FeatureIndex::default(),
            vocabulary: match self.analyzer.hash_bits {
                Some(_) => Vocabulary::Buckets(Vec::new()),
                None => Vocabulary::Terms(Vec::new()),
            },
            counts: FoldCounts::new(n_labels, folds),
            scratch: Scratch::default(),
            keys: Vec::new(),
            row: Vec::new(),
            summary: TrainingSummary {
                positives: vec![0; n_labels],
                ..TrainingSummary::default()
            },
            second: None,
            chunks: Vec::new(),
            spill: None,
        }
    }

    /// Each label's calibration and threshold when nothing is fitted (fixed thresholds, no
    /// calibration): what [`tune`](Self::tune) gives with no out-of-fold scores.
    pub(crate) fn untuned(&self) -> Tuned {
        let none = vec![Vec::new(); self.labels.len()];
        let truth = vec![Vec::new(); self.labels.len()];
        self.tune(&none, &truth)
    }

    /// Fits each label's calibration, threshold and block threshold to out-of-fold log-odds
    /// `z` and truths `y`.
    pub(crate) fn tune(&self, z: &[Vec<f64>], y: &[Vec<bool>]) -> Tuned {
        let mut calibration = Vec::new();
        let mut thresholds = Vec::new();
        let mut block = Vec::new();
        let mut tuning = Vec::new();
        for (l, label) in self.labels.iter().enumerate() {
            let cal = Calibration::fit(self.calibration, &z[l], &y[l]);
            let p: Vec<f64> = z[l].iter().map(|&v| cal.apply(v)).collect();
            let point = match self.rules[l] {
                ThresholdRule::Fixed(t) => threshold_point(&p, &y[l], t),
                ThresholdRule::F1 => best_f1_threshold(&p, &y[l]),
                // Out of reach: the most precise cut there is.
                ThresholdRule::Precision(target) => threshold_for_precision(&p, &y[l], target)
                    .unwrap_or_else(|| {
                        let mut best = best_f1_threshold(&p, &y[l]);
                        best.threshold = 1.0;
                        best
                    }),
            };
            tuning.push(LabelTuning {
                label: label.clone(),
                rule: self.rules[l].name(),
                folds: self.folds,
                precision: point.precision,
                recall: point.recall,
                f1: point.f1,
            });
            let threshold = point.threshold.clamp(0.0, 1.0);
            // Blocking needs more certainty than review: 99% out-of-fold precision, never below
            // the review threshold; out of reach (or untuned), only certainty blocks.
            let at_99 = threshold_for_precision(&p, &y[l], BLOCK_PRECISION)
                .map_or(1.0, |b| b.threshold.clamp(0.0, 1.0));
            block.push(at_99.max(threshold));
            thresholds.push(threshold);
            calibration.push(cal);
        }
        Tuned {
            calibration,
            thresholds,
            block,
            tuning,
        }
    }
}

/// The out-of-fold precision a label's block threshold is chosen for.
pub const BLOCK_PRECISION: f64 = 0.99;

/// What tuning fits per label.
#[derive(Debug, Clone)]
pub(crate) struct Tuned {
    pub calibration: Vec<Calibration>,
    pub thresholds: Vec<f64>,
    pub block: Vec<f64>,
    pub tuning: Vec<LabelTuning>,
}

/// Appends a comment's `(column, value)` pairs from its sorted feature keys to `row`: each run
/// of equal keys is one feature and its count; values are weighted and normalized over every
/// feature, known or not, as the scorer does; only known features are kept. Returns whether all
/// were known.
fn weigh(
    nb: &NbValidParams,
    index: &FeatureIndex,
    sorted_keys: &[u64],
    row: &mut Vec<(u32, f64)>,
) -> bool {
    let start = row.len();
    let (mut sum_of_squares, mut complete) = (0.0, true);
    for run in sorted_keys.chunk_by(|a, b| a == b) {
        let x = nb.term_value(run.len() as f64);
        sum_of_squares += x * x;
        match index.get(&run[0]) {
            Some(&col) => row.push((col, x)),
            None => complete = false,
        }
    }
    let norm = nb.norm(sum_of_squares);
    if norm != 1.0 {
        row[start..].iter_mut().for_each(|(_, x)| *x /= norm);
    }
    complete
}

/// The fold of row `i`: a hash of its position, so both passes agree without keeping rows.
pub(crate) fn fold_of(i: u64, seed: u64, folds: u32) -> usize {
    (splitmix64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) % u64::from(folds)) as usize
}

/// SplitMix64: a tiny, fixed generator, so folds are the same on every platform and release.
pub(crate) fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Out-of-fold scores kept for tuning: every row up to this many, then a uniform sample of
/// this many (reservoir sampling), so memory does not grow with the data.
pub const OUT_OF_FOLD_SAMPLE: usize = 1 << 16;

/// State of the later passes: one model per fold and a sample of the out-of-fold scores; with an
/// NB-LR head, the linear models being fitted instead.
#[derive(Debug)]
struct SecondPass {
    models: Vec<Weights>,
    linear: Option<LinearPass>,
    /// Per label, its rows whose scores are kept to the end, the only ones worth scoring: each
    /// label samples the rows that carry it.
    survivors: Vec<Survivors>,
    /// Per label, the rows carrying it read so far in this pass (a position in its sample).
    seen: Vec<u64>,
    /// True when every row carries every label, so the labels' samples are one.
    complete: bool,
    rows: u64,
    z: Vec<Vec<f64>>,
    y: Vec<Vec<bool>>,
    log_odds: Vec<f64>,
}

/// The NB-LR epochs: the models, the epoch, and the rows of the current block.
#[derive(Debug)]
struct LinearPass {
    fit: LinearFit,
    epoch: u32,
    entries: Vec<(u32, f64)>,
    ends: Vec<usize>,
    labels: Vec<bool>,
    known: Vec<bool>,
    oof: Vec<f64>,
}

impl SecondPass {
    /// The state of the passes after the first, whose `counts` hold `rows` rows.
    fn new(
        models: Vec<Weights>,
        linear: Option<LinearPass>,
        counts: &FoldCounts,
        rows: u64,
        seed: u64,
    ) -> Self {
        let n = counts.n_labels();
        let label_rows: Vec<u64> = (0..n).map(|l| counts.label_rows(l) as u64).collect();
        let mut survivors: Vec<Survivors> = Vec::with_capacity(n);
        for (l, &r) in label_rows.iter().enumerate() {
            // Labels carried by the same number of rows share a sample's positions.
            let same = label_rows[..l].iter().position(|&o| o == r);
            survivors.push(match same {
                Some(o) => survivors[o].clone(),
                None => Survivors::new(r, seed),
            });
        }
        SecondPass {
            models,
            linear,
            survivors,
            seen: vec![0; n],
            complete: label_rows.iter().all(|&r| r == rows),
            rows: 0,
            z: vec![Vec::new(); n],
            y: vec![Vec::new(); n],
            log_odds: vec![0.0; n],
        }
    }

    /// Whether each of the next rows (with label flags `known` in turn, `None`: all known)
    /// leaves a score in some label's final sample, into `out`.
    fn wanted(&self, rows: usize, known: Option<&[bool]>, out: &mut Vec<bool>) {
        out.clear();
        if self.complete {
            // Every label samples every row: one check per row.
            out.extend((0..rows as u64).map(|i| self.survivors[0].contains(self.seen[0] + i)));
            return;
        }
        let n = self.seen.len();
        let mut seen = self.seen.clone();
        for i in 0..rows {
            let known = known.map(|k| &k[i * n..(i + 1) * n]);
            out.push(self.wants(&seen, known));
            for (l, at) in seen.iter_mut().enumerate() {
                *at += u64::from(known.is_none_or(|k| k[l]));
            }
        }
    }

    /// Whether a row carrying `known` labels, at the positions `seen` in their samples, leaves
    /// a score in one of them.
    fn wants(&self, seen: &[u64], known: Option<&[bool]>) -> bool {
        (0..seen.len()).any(|l| known.is_none_or(|k| k[l]) && self.survivors[l].contains(seen[l]))
    }

    /// Keeps the current row's scores in the sample of each label it carries (`known`, `None`:
    /// all): Vitter's algorithm R, with a fixed generator, over that label's rows.
    fn keep(&mut self, seed: u64, labels: &[bool], known: Option<&[bool]>) {
        for (l, &y) in labels.iter().enumerate() {
            if known.is_some_and(|k| !k[l]) {
                continue;
            }
            let i = self.seen[l];
            self.seen[l] += 1;
            let Some(j) = reservoir::slot(i, seed) else {
                continue;
            };
            if j == self.z[l].len() {
                self.z[l].push(self.log_odds[l]);
                self.y[l].push(y);
            } else {
                self.z[l][j] = self.log_odds[l];
                self.y[l][j] = y;
            }
        }
    }
}

/// Learns a [`Classifier`] from rows streamed into it.
#[derive(Debug)]
pub struct Trainer {
    params: ValidTrainParams,
    analyzer: Analyzer,
    index: FeatureIndex,
    vocabulary: Vocabulary,
    counts: FoldCounts,
    scratch: Scratch,
    keys: Vec<u64>,
    row: Vec<(u32, f64)>,
    summary: TrainingSummary,
    second: Option<SecondPass>,
    /// Buffers of [`add_batch`](Self::add_batch)'s parallel featurizing, reused.
    chunks: Vec<batch::Chunk>,
    /// The first pass's rows, kept for [`replay`](Self::replay).
    spill: Option<Spill>,
}

impl Trainer {
    /// Learns one comment with its label values (in label order).
    pub fn add(&mut self, text: &str, labels: &[bool]) -> Result<()> {
        self.with_keys(text, |t, keys| t.add_keys(text, keys, labels, None))
    }

    /// As [`add`](Self::add), for a comment that carries only the labels `known` marks: the
    /// others' counts, weights, out-of-fold scores and thresholds get nothing from it, while
    /// the vocabulary and document frequencies count it as any comment.
    pub fn add_partial(&mut self, text: &str, labels: &[bool], known: &[bool]) -> Result<()> {
        self.check_labels(known)?;
        self.with_keys(text, |t, keys| t.add_keys(text, keys, labels, Some(known)))
    }

    /// Runs `f` with `text`'s feature keys, extracted into a reused buffer.
    fn with_keys<R>(&mut self, text: &str, f: impl FnOnce(&mut Self, &mut [u64]) -> R) -> R {
        let mut keys = std::mem::take(&mut self.keys);
        keys.clear();
        self.analyzer.push_keys(text, &mut self.scratch, &mut keys);
        let result = f(self, &mut keys);
        self.keys = keys;
        result
    }

    fn add_keys(
        &mut self,
        text: &str,
        keys: &mut [u64],
        labels: &[bool],
        known: Option<&[bool]>,
    ) -> Result<()> {
        self.check_labels(labels)?;
        if self.second.is_some() {
            return Err(Error::InvalidParam {
                name: "training row",
                value: "after the second pass began".into(),
                reason: "all rows must be added before start_second_pass",
            });
        }
        self.featurize_keys(text, keys, true);
        let row = std::mem::take(&mut self.row);
        self.learn(&row, labels, known);
        self.row = row;
        Ok(())
    }

    /// Adds one featurized row to the counts (and its fold's).
    fn learn(&mut self, row: &[(u32, f64)], labels: &[bool], known: Option<&[bool]>) {
        let i = self.summary.rows;
        self.counts.grow_features(self.index.len());
        let fold =
            (self.counts.folds() > 0).then(|| fold_of(i, self.params.seed, self.params.folds));
        self.counts.learn(row, labels, known, fold);
        self.summary.rows += 1;
        self.count_positives(labels, known);
        self.keep_row(row, labels, known);
    }

    /// Writes a learned row to the kept rows, if they are kept. A write that fails (a full
    /// disk) drops them all: [`replay`](Self::replay) then declines and the caller reads its
    /// files again, as without them.
    fn keep_row(&mut self, row: &[(u32, f64)], labels: &[bool], known: Option<&[bool]>) {
        if let Some(spill) = &mut self.spill {
            if spill.push(row, labels, known).is_err() {
                self.spill = None;
            }
        }
    }

    /// Keeps every row in a temporary file (in the system's temporary directory, `TMPDIR`) as
    /// the first pass learns it, so that [`replay`](Self::replay) runs the later passes without
    /// the training files: each NB-LR epoch then reads the rows' features back, compactly,
    /// instead of parsing and tokenizing their text again. Memory does not grow with the rows;
    /// the file takes a few hundred bytes per row and is gone when the trainer is.
    ///
    /// Returns whether the rows will be kept: not without an NB-LR head (naive Bayes' second
    /// pass scores only a sample of the rows), nor once rows were added, nor when the file
    /// cannot be made.
    pub fn keep_rows(&mut self) -> bool {
        if self.params.linear.is_none() || self.summary.rows > 0 || self.second.is_some() {
            return false;
        }
        self.spill = Spill::new().ok();
        self.spill.is_some()
    }

    /// Runs every pass after the first from the rows [`keep_rows`](Self::keep_rows) kept,
    /// exactly as passing the same rows again to
    /// [`add_second_pass_batch`](Self::add_second_pass_batch) would; `progress` is told of
    /// each pass's rows as they are learned, a block at a time. Returns false, having done
    /// nothing, when no rows were kept (or keeping them failed, or a later pass has begun): the
    /// caller then passes its rows again itself.
    pub fn replay(&mut self, mut progress: impl FnMut(u64)) -> Result<bool> {
        let Some(mut spill) = self.spill.take() else {
            return Ok(false);
        };
        if self.second.is_some() || spill.rows() != self.summary.rows {
            return Ok(false);
        }
        let io = |e| Error::io("the temporary copy of the training rows", e);
        let (mut row, mut labels, mut known) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 1..self.params.passes() {
            self.start_second_pass()?;
            let mut rows = spill.read().map_err(io)?;
            let mut done = 0;
            while rows
                .next_row(&mut row, &mut labels, &mut known)
                .map_err(io)?
            {
                self.push_linear_row(&row, &labels, Some(&known));
                done += 1;
                if done == BLOCK_ROWS as u64 {
                    progress(done);
                    done = 0;
                }
            }
            progress(done);
        }
        Ok(true)
    }

    /// Adds rows' positive label values (each row's `labels` in turn) to the summary.
    fn count_positives(&mut self, labels: &[bool], known: Option<&[bool]>) {
        let n = self.params.labels.len();
        for (i, &positive) in labels.iter().enumerate() {
            if positive && known.is_none_or(|k| k[i]) {
                self.summary.positives[i % n] += 1;
            }
        }
    }

    fn check_labels(&self, labels: &[bool]) -> Result<()> {
        if labels.len() == self.params.labels.len() {
            Ok(())
        } else {
            Err(Error::InvalidParam {
                name: "label values",
                value: labels.len().to_string(),
                reason: "one value per label is needed",
            })
        }
    }

    /// Turns `text` into distinct `(column, value)` pairs in `self.row`, adding new features to
    /// the vocabulary when `learn` is set (and skipping them otherwise). Values are weighted over
    /// all of the comment's features, as the scorer does.
    fn featurize(&mut self, text: &str, learn: bool) {
        self.with_keys(text, |t, keys| t.featurize_keys(text, keys, learn));
    }

    /// As [`featurize`](Self::featurize), from the comment's feature keys already extracted
    /// (in parallel, by [`add_batch`](Self::add_batch)).
    fn featurize_keys(&mut self, text: &str, keys: &mut [u64], learn: bool) {
        keys.sort_unstable();
        self.row.clear();
        let complete = weigh(&self.params.nb, &self.index, keys, &mut self.row);
        if learn && !complete {
            // Building feature texts is needed just for features not seen before.
            grow_vocabulary(
                &self.analyzer,
                text,
                &mut self.scratch,
                &mut self.index,
                &mut self.vocabulary,
            );
            self.row.clear();
            weigh(&self.params.nb, &self.index, keys, &mut self.row);
        }
    }

    /// Records an input file in the model's training summary.
    pub fn add_source(&mut self, source: Source) {
        self.summary.sources.push(source);
    }

    /// Rows learned so far.
    pub fn rows(&self) -> u64 {
        self.summary.rows
    }

    /// True when [`finish`](Self::finish) needs at least one more pass over the same rows
    /// first; [`passes`](Self::passes) says how many passes in all.
    pub fn needs_second_pass(&self) -> bool {
        self.params.needs_second_pass()
    }

    /// How many times this training reads its rows, the first pass included (see
    /// [`ValidTrainParams::passes`]): every pass after the first goes through
    /// [`add_second_pass`](Self::add_second_pass) (or [`replay`](Self::replay)).
    pub fn passes(&self) -> u32 {
        self.params.passes()
    }

    /// Starts the next pass over the same rows. After the first pass it builds one model per
    /// fold for out-of-fold scores (and, with an NB-LR head, the linear models to fit); later,
    /// once a pass has read every row, it starts the next NB-LR epoch. Passing rows to
    /// [`add_second_pass`](Self::add_second_pass) starts passes by itself.
    pub fn start_second_pass(&mut self) -> Result<()> {
        if self.second.is_some() {
            return self.advance_epoch();
        }
        if self.summary.rows == 0 {
            return Err(Error::NoTrainingRows {
                stage: "a later pass",
            });
        }
        if !self.needs_second_pass() {
            return Err(Error::TrainingPass {
                pass: 2,
                passes: 1,
                problem: "this training reads its rows once (no NB-LR head, fixed thresholds, \
                          no calibration): finish it after the first pass"
                    .into(),
            });
        }
        // A label missing a class altogether is that, not a problem of some fold.
        self.counts.check_classes(&self.params.labels)?;
        if let Some(p) = self.params.linear {
            let ratio = self.params.nb.ratio_params();
            let labels = &self.params.labels;
            let mut ratios = (0..self.counts.folds())
                .map(|f| {
                    Weights::from_counts(&ratio, &self.counts.without_fold(f), labels)
                        .map_err(|e| tuning_fold_error(None, f, self.params.folds, e))
                })
                .collect::<Result<Vec<_>>>()?;
            let all = self.counts.total(0..self.index.len() as u32);
            ratios.push(Weights::from_counts(&ratio, &all, labels)?);
            let linear = LinearPass {
                fit: LinearFit::new(p, ratios),
                epoch: 0,
                entries: Vec::new(),
                ends: Vec::new(),
                labels: Vec::new(),
                known: Vec::new(),
                oof: Vec::new(),
            };
            self.second = Some(SecondPass::new(
                Vec::new(),
                Some(linear),
                &self.counts,
                self.summary.rows,
                self.params.seed,
            ));
            return Ok(());
        }
        let models = (0..self.counts.folds())
            .map(|f| {
                Weights::from_counts(
                    &self.params.nb,
                    &self.counts.without_fold(f),
                    &self.params.labels,
                )
                .map_err(|e| tuning_fold_error(None, f, self.params.folds, e))
            })
            .collect::<Result<Vec<_>>>()?;
        self.second = Some(SecondPass::new(
            models,
            None,
            &self.counts,
            self.summary.rows,
            self.params.seed,
        ));
        Ok(())
    }

    /// Scores one row of the second pass (the same rows, in the same order, as the first).
    pub fn add_second_pass(&mut self, text: &str, labels: &[bool]) -> Result<()> {
        self.second_pass_row(text, labels, None)
    }

    /// As [`add_second_pass`](Self::add_second_pass), for a row added with
    /// [`add_partial`](Self::add_partial).
    pub fn add_second_pass_partial(
        &mut self,
        text: &str,
        labels: &[bool],
        known: &[bool],
    ) -> Result<()> {
        self.check_labels(known)?;
        self.second_pass_row(text, labels, Some(known))
    }

    fn second_pass_row(
        &mut self,
        text: &str,
        labels: &[bool],
        known: Option<&[bool]>,
    ) -> Result<()> {
        self.check_labels(labels)?;
        if self.second.is_none() {
            self.start_second_pass()?;
        }
        self.advance_epoch()?;
        let second = self.second.as_mut().expect("started above");
        if second.linear.is_some() {
            self.with_keys(text, |t, keys| t.featurize_keys(text, keys, false));
            let row = std::mem::take(&mut self.row);
            self.push_linear_row(&row, labels, known);
            self.row = row;
            return Ok(());
        }
        if second.rows >= self.summary.rows {
            return Err(Error::TrainingPass {
                pass: 2,
                passes: self.params.passes(),
                problem: format!(
                    "every one of the {} rows the first pass read has been read again already",
                    self.summary.rows
                ),
            });
        }
        let wanted = if second.complete {
            second.survivors[0].contains(second.rows)
        } else {
            second.wants(&second.seen, known)
        };
        if wanted {
            self.with_keys(text, |t, keys| t.featurize_keys(text, keys, false));
            let second = self.second.as_mut().expect("started above");
            let f = fold_of(second.rows, self.params.seed, self.params.folds);
            second.models[f].log_odds(&self.row, &mut second.log_odds);
            // A NaN would stall every sort and cut over the scores after it: stop here.
            if let Some(l) = second.log_odds.iter().position(|z| !z.is_finite()) {
                return Err(Error::NonFiniteScore {
                    row: second.rows + 1,
                    label: self.params.labels[l].clone(),
                });
            }
        }
        // A row left unscored holds its place with stale scores, overwritten before the end.
        let second = self.second.as_mut().expect("started above");
        second.keep(self.params.seed, labels, known);
        second.rows += 1;
        Ok(())
    }

    /// With an NB-LR head: when the current pass has read every row and epochs remain, starts
    /// the next epoch.
    fn advance_epoch(&mut self) -> Result<()> {
        let rows = self.summary.rows;
        let Some(second) = self.second.as_mut() else {
            return Ok(());
        };
        let Some(linear) = second.linear.as_mut() else {
            return Ok(());
        };
        if second.rows == rows && rows > 0 {
            if linear.epoch + 1 >= linear.fit.params().n_epochs() {
                return Err(Error::TrainingPass {
                    pass: linear.epoch + 3,
                    passes: self.params.passes(),
                    problem: "every pass over the rows has been read already".into(),
                });
            }
            linear.epoch += 1;
            second.rows = 0;
        }
        Ok(())
    }

    /// Buffers one row of an NB-LR epoch; a full block (or the pass's last row) is learned.
    fn push_linear_row(&mut self, row: &[(u32, f64)], labels: &[bool], known: Option<&[bool]>) {
        let total = self.summary.rows;
        let second = self.second.as_mut().expect("in a later pass");
        let linear = second.linear.as_mut().expect("an NB-LR pass");
        linear.entries.extend_from_slice(row);
        linear.ends.push(linear.entries.len());
        linear.labels.extend_from_slice(labels);
        match known {
            Some(known) => linear.known.extend_from_slice(known),
            None => linear.known.resize(linear.labels.len(), true),
        }
        second.rows += 1;
        if second.rows.is_multiple_of(BLOCK_ROWS as u64) || second.rows == total {
            self.learn_linear_block();
        }
    }

    /// Learns the buffered block of rows; in the last epoch, keeps their out-of-fold scores.
    fn learn_linear_block(&mut self) {
        let (seed, folds) = (self.params.seed, self.params.folds);
        let tuned = self.counts.folds() > 0;
        let n = self.params.labels.len();
        let second = self.second.as_mut().expect("in a later pass");
        let mut linear = second.linear.take().expect("an NB-LR pass");
        let count = linear.ends.len() as u64;
        let first = second.rows - count;
        let last = linear.epoch + 1 == linear.fit.params().n_epochs();
        let mut wanted = Vec::new();
        if last && tuned {
            second.wanted(count as usize, Some(&linear.known), &mut wanted);
        }
        let mut start = 0;
        let rows: Vec<BlockRow<'_>> = (0..count as usize)
            .map(|r| {
                let i = first + r as u64;
                let end = linear.ends[r];
                let features = &linear.entries[start..end];
                start = end;
                let known = &linear.known[r * n..(r + 1) * n];
                BlockRow {
                    features,
                    labels: &linear.labels[r * n..(r + 1) * n],
                    known: known.contains(&false).then_some(known),
                    fold: tuned.then(|| fold_of(i, seed, folds)),
                    want: wanted.get(r).copied().unwrap_or(false),
                }
            })
            .collect();
        let key = (u64::from(linear.epoch) << 40) ^ (first / BLOCK_ROWS as u64);
        let mut oof = std::mem::take(&mut linear.oof);
        linear.fit.block(&rows, key, &mut oof);
        drop(rows);
        if last && tuned {
            for r in 0..count as usize {
                second.log_odds.copy_from_slice(&oof[r * n..(r + 1) * n]);
                let at = r * n..(r + 1) * n;
                second.keep(seed, &linear.labels[at.clone()], Some(&linear.known[at]));
            }
        }
        linear.oof = oof;
        linear.entries.clear();
        linear.ends.clear();
        linear.labels.clear();
        linear.known.clear();
        second.linear = Some(linear);
    }

    /// Builds the classifier. The vocabulary is sorted, so the result does not depend on the
    /// order in which features were first seen; features below `min_df` are dropped.
    pub fn finish(mut self) -> Result<Classifier> {
        if self.summary.rows == 0 {
            return Err(Error::NoTrainingRows { stage: "finish" });
        }
        let passes = self.params.passes();
        let mut linear = None;
        let tuned = match self.second.take() {
            Some(mut second) => {
                // The pass being read: the second, or with an NB-LR head, one per epoch.
                let pass = 2 + second.linear.as_ref().map_or(0, |l| l.epoch);
                if second.rows != self.summary.rows {
                    return Err(Error::TrainingPass {
                        pass,
                        passes,
                        problem: format!(
                            "read {} of the {} rows the first pass read; every pass reads them \
                             all, in the same order",
                            second.rows, self.summary.rows
                        ),
                    });
                }
                if pass < passes {
                    return Err(Error::TrainingPass {
                        pass: pass + 1,
                        passes,
                        problem: format!(
                            "not read: finish came after pass {pass}, and this training reads \
                             its rows {passes} times (Trainer::passes)"
                        ),
                    });
                }
                linear = second.linear.take().map(|l| l.fit);
                if self.counts.folds() > 0 {
                    let tuned = self.params.tune(&second.z, &second.y);
                    self.summary.tuning = tuned.tuning.clone();
                    tuned
                } else {
                    self.params.untuned()
                }
            }
            None if self.needs_second_pass() => {
                return Err(Error::TrainingPass {
                    pass: 2,
                    passes,
                    problem: format!(
                        "not read: tuned thresholds and calibration, and an NB-LR head's \
                         epochs, read the same rows again; this training reads them {passes} \
                         times (Trainer::passes)"
                    ),
                })
            }
            // Fixed thresholds and no calibration: no out-of-fold scores are needed.
            None => self.params.untuned(),
        };
        let min_df = f64::from(self.params.nb.min_df());
        let mut order: Vec<u32> = (0..self.index.len() as u32)
            .filter(|&f| self.counts.df(f as usize) >= min_df)
            .collect();
        // A model without a feature gives every comment the same score: it flagged every
        // comment, and training said it had succeeded.
        let max_df = self.params.nb.max_df() * self.summary.rows as f64;
        if !order.iter().any(|&f| self.counts.df(f as usize) <= max_df) {
            return Err(Error::InvalidParam {
                name: "--min-df / --max-df",
                value: format!("{} / {}", self.params.nb.min_df(), self.params.nb.max_df()),
                reason: "no feature is left: every one is in fewer comments than --min-df or in \
                         a larger share of them than --max-df; lower --min-df or raise --max-df",
            });
        }
        let vocabulary = match self.vocabulary {
            Vocabulary::Terms(mut terms) => {
                order.sort_unstable_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
                Vocabulary::Terms(
                    order
                        .iter()
                        .map(|&i| std::mem::take(&mut terms[i as usize]))
                        .collect(),
                )
            }
            Vocabulary::Buckets(buckets) => {
                order.sort_unstable_by_key(|&i| buckets[i as usize]);
                Vocabulary::Buckets(order.iter().map(|&i| buckets[i as usize]).collect())
            }
        };
        let linear = linear.map(|fit| fit.finish(&order));
        let total = self.counts.total(order);
        let (counts, docs, df) = total.parts();
        Classifier::from_data(ModelData {
            analyzer: self.params.analyzer.clone(),
            nb: self.params.nb.clone(),
            labels: self.params.labels.clone(),
            thresholds: tuned.thresholds,
            block_thresholds: tuned.block,
            linear,
            calibration: tuned.calibration,
            vocabulary,
            counts: counts.to_vec(),
            docs: docs.to_vec(),
            df: df.to_vec(),
            summary: self.summary,
            filled: Vec::new(),
            learned_count: Vec::new(),
        })
    }

    /// Featurizes `text` for cross-validation, growing the vocabulary; returns the
    /// `(column, value)` pairs.
    pub(crate) fn featurize_row(&mut self, text: &str) -> &[(u32, f64)] {
        self.featurize(text, true);
        &self.row
    }

    /// Number of features seen.
    pub(crate) fn n_features(&self) -> usize {
        self.index.len()
    }
}

/// An error of fold `fold` (0-based) of `folds`: a label left without a class there is named
/// by its fold.
pub(crate) fn fold_error(fold: usize, folds: u32, e: Error) -> Error {
    match short_class(e) {
        Ok((label, class)) => Error::FoldWithoutExamples {
            fold: fold + 1,
            folds,
            label,
            class,
        },
        Err(other) => other,
    }
}

/// [`fold_error`] for a tuning fold; in `cv`, inside `outer` (the 0-based fold, the number of
/// folds).
pub(crate) fn tuning_fold_error(
    outer: Option<(usize, u32)>,
    fold: usize,
    folds: u32,
    e: Error,
) -> Error {
    match short_class(e) {
        Ok((label, class)) => Error::TuningFoldWithoutExamples {
            outer: outer.map(|(f, k)| (f + 1, k)),
            fold: fold + 1,
            folds,
            label,
            class,
        },
        Err(other) => other,
    }
}

/// The label and the class a fold's rows lacked, or the error when it is another.
fn short_class(e: Error) -> std::result::Result<(String, &'static str), Error> {
    match e {
        Error::NoExamples { label, class } => Ok((label, class)),
        // With partial labels, the rows outside a fold may carry none of a label.
        Error::NoLabelRows { label } => Ok((label, "labeled")),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(rows: &[(&str, bool)], params: TrainParams) -> Classifier {
        let params = params.check().unwrap();
        let mut t = params.trainer();
        for (text, spam) in rows {
            t.add(text, &[*spam]).unwrap();
        }
        if t.needs_second_pass() {
            for (text, spam) in rows {
                t.add_second_pass(text, &[*spam]).unwrap();
            }
        }
        t.finish().unwrap()
    }

    const ROWS: &[(&str, bool)] = &[
        ("win free cash now", true),
        ("free gift cards click here", true),
        ("great game last night", false),
        ("the council meets on monday", false),
    ];

    /// Plain multinomial NB with a fixed threshold: no out-of-fold tuning, for tiny data.
    fn plain() -> TrainParams {
        TrainParams::new(["spam"])
            .linear(None)
            .nb(NbParams::multinomial())
            .default_threshold(ThresholdRule::Fixed(0.5))
            .calibration(CalibrationKind::None)
    }

    #[test]
    fn row_order_does_not_change_an_untuned_model() {
        let mut reversed = ROWS.to_vec();
        reversed.reverse();
        assert_eq!(
            train(ROWS, plain()).to_bytes(),
            train(&reversed, plain()).to_bytes()
        );
    }

    #[test]
    fn learns_which_words_are_spam() {
        let m = train(ROWS, plain());
        assert!(m.score("free cash").get("spam").unwrap() > 0.5);
        assert!(m.score("the game on monday").get("spam").unwrap() < 0.5);
    }

    #[test]
    fn model_survives_a_round_trip_through_bytes() {
        let m = train(ROWS, plain());
        let again = Classifier::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(again.to_bytes(), m.to_bytes());
        assert_eq!(
            again.score("free").probabilities(),
            m.score("free").probabilities()
        );
    }

    #[test]
    fn invalid_params_are_rejected() {
        assert!(TrainParams::new(["spam", "spam"]).check().is_err());
        assert!(TrainParams::new(Vec::<String>::new()).check().is_err());
        assert!(TrainParams::new(["a"]).folds(1).check().is_err());
        assert!(TrainParams::new(["a"])
            .threshold("b", ThresholdRule::F1)
            .check()
            .is_err());
    }

    #[test]
    fn batches_learn_exactly_what_rows_learn() {
        let rows: Vec<(String, bool)> = (0..300)
            .map(|i| {
                (
                    format!("w{} x{} w{} common {}", i % 13, i % 7, i % 29, i % 5),
                    i % 3 == 0,
                )
            })
            .collect();
        // Naive Bayes alone (two passes), and NB-LR (one pass per epoch more).
        for linear in [None, Some(LinearParams::new().epochs(3))] {
            let params = TrainParams::new(["spam"])
                .linear(linear)
                .seed(3)
                .check()
                .unwrap();
            let mut one = params.trainer();
            for (t, y) in &rows {
                one.add(t, &[*y]).unwrap();
            }
            for _ in 1..params.passes() {
                for (t, y) in &rows {
                    one.add_second_pass(t, &[*y]).unwrap();
                }
            }
            let mut batched = params.trainer();
            let texts: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
            let labels: Vec<bool> = rows.iter().map(|(_, y)| *y).collect();
            // Uneven batches, so new features also arrive mid-batch.
            for (t, l) in texts.chunks(77).zip(labels.chunks(77)) {
                batched.add_batch(t, l).unwrap();
            }
            for _ in 1..params.passes() {
                batched.start_second_pass().unwrap();
                for (t, l) in texts.chunks(50).zip(labels.chunks(50)) {
                    batched.add_second_pass_batch(t, l).unwrap();
                }
            }
            let one = one.finish().unwrap();
            assert_eq!(one.has_linear_head(), linear.is_some());
            assert_eq!(one.to_bytes(), batched.finish().unwrap().to_bytes());
        }
    }

    #[test]
    fn an_nb_lr_model_needs_every_epoch() {
        let params = TrainParams::new(["spam"])
            .linear(Some(LinearParams::new().epochs(2)))
            // Four rows: keep the words seen once, or nothing is left to learn from.
            .nb(NbParams::new().min_df(1))
            .default_threshold(ThresholdRule::Fixed(0.5))
            .calibration(CalibrationKind::None)
            .check()
            .unwrap();
        assert_eq!(params.passes(), 3);
        let mut t = params.trainer();
        for (text, y) in ROWS {
            t.add(text, &[*y]).unwrap();
        }
        for (text, y) in ROWS {
            t.add_second_pass(text, &[*y]).unwrap();
        }
        // One epoch of two: finishing now would ship a half-fitted head.
        assert!(t.finish().is_err());
        let mut t = params.trainer();
        for _ in 0..3 {
            for (text, y) in ROWS {
                if t.second.is_none() && t.rows() < ROWS.len() as u64 {
                    t.add(text, &[*y]).unwrap();
                } else {
                    t.add_second_pass(text, &[*y]).unwrap();
                }
            }
        }
        let m = t.finish().unwrap();
        assert!(m.has_linear_head());
        assert!(m.score("free cash").get("spam").unwrap() > 0.5);
        assert!(m.score("the game on monday").get("spam").unwrap() < 0.5);
        // A fourth read is refused rather than learned as a third epoch.
        let mut t = params.trainer();
        for (text, y) in ROWS {
            t.add(text, &[*y]).unwrap();
        }
        for _ in 0..2 {
            for (text, y) in ROWS {
                t.add_second_pass(text, &[*y]).unwrap();
            }
        }
        assert!(t.add_second_pass(ROWS[0].0, &[ROWS[0].1]).is_err());
    }

    #[test]
    fn batches_learn_the_same_bytes_on_any_number_of_threads() {
        let rows: Vec<(String, [bool; 2])> = (0..3000)
            .map(|i| {
                (
                    format!("w{} x{} y{} z{}", i % 31, i % 17, i * 7 % 101, i % 1000),
                    [i % 3 == 0, i % 4 == 1],
                )
            })
            .collect();
        let texts: Vec<&str> = rows.iter().map(|(t, _)| t.as_str()).collect();
        let labels: Vec<bool> = rows.iter().flat_map(|(_, l)| *l).collect();
        let params = TrainParams::new(["spam", "toxic"]).check().unwrap();
        assert!(params.linear().is_some(), "the default head");
        let train = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut t = params.trainer();
            pool.install(|| {
                for (t_, l) in texts.chunks(1000).zip(labels.chunks(2000)) {
                    t.add_batch(t_, l).unwrap();
                }
                for _ in 1..params.passes() {
                    for (t_, l) in texts.chunks(700).zip(labels.chunks(1400)) {
                        t.add_second_pass_batch(t_, l).unwrap();
                    }
                }
            });
            t.finish().unwrap().to_bytes()
        };
        let one = train(1);
        assert_eq!(train(2), one);
        assert_eq!(train(3), one);
    }

    #[test]
    fn scoring_only_the_survivors_keeps_the_sample_of_scoring_every_row() {
        // Past OUT_OF_FOLD_SAMPLE rows the second pass scores only the rows left in the
        // reservoir at the end; the sample must be exactly that of scoring every row.
        let n = OUT_OF_FOLD_SAMPLE + 3000;
        let text = |i: usize| format!("w{} x{}", i % 13, i % 7);
        let label = |i: usize| i.is_multiple_of(3);
        let params = TrainParams::new(["spam"])
            .linear(None)
            .seed(9)
            .check()
            .unwrap();
        let mut t = params.trainer();
        for i in 0..n {
            t.add(&text(i), &[label(i)]).unwrap();
        }
        for i in 0..n {
            t.add_second_pass(&text(i), &[label(i)]).unwrap();
        }
        let second = t.second.take().unwrap();
        let (mut z, mut y) = (Vec::new(), Vec::new());
        let mut out = [0.0];
        for i in 0..n {
            t.featurize(&text(i), false);
            second.models[fold_of(i as u64, 9, 5)].log_odds(&t.row, &mut out);
            match reservoir::slot(i as u64, 9) {
                Some(j) if j == z.len() => {
                    z.push(out[0]);
                    y.push(label(i));
                }
                Some(j) => {
                    z[j] = out[0];
                    y[j] = label(i);
                }
                None => {}
            }
        }
        assert_eq!(second.z[0].len(), OUT_OF_FOLD_SAMPLE);
        assert!(second.z[0]
            .iter()
            .zip(&z)
            .all(|(a, b)| a.to_bits() == b.to_bits()));
        assert_eq!(second.y[0], y);
    }

    /// A label a row does not carry is never read: whatever value stands in its place, the
    /// model (counts, NB-LR weights, out-of-fold thresholds and calibration) is the same, and
    /// the batch path learns what the row path learns.
    #[test]
    fn the_value_of_a_label_a_row_lacks_is_never_read() {
        let rows: Vec<(String, [bool; 2], [bool; 2])> = (0..600)
            .map(|i| {
                let text = format!("w{} x{} y{} common", i % 13, i % 7, i % 29);
                // Rows of the two kinds interleave (two files would come one after the other):
                // each label's rows then sit at positions unlike the row count's.
                let known = if i % 3 == 0 {
                    [true, false]
                } else {
                    [false, true]
                };
                (text, [i % 5 == 0, i % 4 == 1], known)
            })
            .collect();
        // Naive Bayes alone (scored in a second pass), and NB-LR (one pass per epoch).
        for linear in [None, Some(LinearParams::new().epochs(2))] {
            let params = TrainParams::new(["spam", "toxic"])
                .linear(linear)
                .seed(5)
                .check()
                .unwrap();
            check_partial(&rows, &params);
        }
    }

    fn check_partial(rows: &[(String, [bool; 2], [bool; 2])], params: &ValidTrainParams) {
        let train = |flip: bool| {
            let mut t = params.trainer();
            let labels =
                |(y, k): ([bool; 2], [bool; 2])| [y[0] ^ (flip && !k[0]), y[1] ^ (flip && !k[1])];
            for (text, y, k) in rows {
                t.add_partial(text, &labels((*y, *k)), k).unwrap();
            }
            for _ in 1..params.passes() {
                for (text, y, k) in rows {
                    t.add_second_pass_partial(text, &labels((*y, *k)), k)
                        .unwrap();
                }
            }
            t.finish().unwrap()
        };
        let model = train(false);
        assert_eq!(model.to_bytes(), train(true).to_bytes());
        let counts = model.naive_bayes().counts();
        assert_eq!(counts.rows(), 600.0);
        assert_eq!((counts.label_rows(0), counts.label_rows(1)), (200.0, 400.0));
        assert_eq!(model.summary().positives, [40, 100]);

        // The same rows in batches, through a reader's `RowBatch`es.
        let batches = row_batches(rows, 128, |y, k| vec![y[0] && k[0], y[1] && k[1]]);
        assert_eq!(train_reading_again(params, &batches), model.to_bytes());
    }

    /// `rows` as a reader's `RowBatch`es of `size` rows, each row's labels from
    /// `labels(values, known)`.
    fn row_batches(
        rows: &[(String, [bool; 2], [bool; 2])],
        size: usize,
        labels: impl Fn(&[bool; 2], &[bool; 2]) -> Vec<bool>,
    ) -> Vec<crate::data::RowBatch> {
        rows.chunks(size)
            .map(|chunk| {
                let mut b = crate::data::RowBatch::default();
                for (text, y, k) in chunk {
                    b.push(&crate::data::Record {
                        text: text.clone(),
                        labels: labels(y, k),
                        known: k.to_vec(),
                        ..Default::default()
                    });
                }
                b
            })
            .collect()
    }

    /// The bytes of the model trained on `batches`, read again for each pass.
    fn train_reading_again(
        params: &ValidTrainParams,
        batches: &[crate::data::RowBatch],
    ) -> Vec<u8> {
        let mut t = params.trainer();
        for b in batches {
            t.add_row_batch(b).unwrap();
        }
        for _ in 1..params.passes() {
            t.start_second_pass().unwrap();
            for b in batches {
                t.add_second_pass_row_batch(b).unwrap();
            }
        }
        t.finish().unwrap().to_bytes()
    }

    /// As above with partial labels: each label's sample holds exactly the scores of the rows
    /// that carry it, drawn by their positions among those rows, whether rows come one by one
    /// or in batches.
    #[test]
    fn each_label_samples_the_rows_that_carry_it() {
        // Both labels' rows pass the sample's size, and in different numbers.
        let n = 2 * OUT_OF_FOLD_SAMPLE + 9000;
        let text = |i: usize| format!("w{} x{} y{}", i % 13, i % 7, i % 5);
        let known = |i: usize| [!i.is_multiple_of(5), i % 3 != 1];
        let labels = |i: usize| {
            let k = known(i);
            [k[0] && i.is_multiple_of(4), k[1] && i % 7 < 3]
        };
        let params = TrainParams::new(["spam", "toxic"])
            .linear(None)
            .seed(4)
            .check()
            .unwrap();
        let mut one = params.trainer();
        for i in 0..n {
            one.add_partial(&text(i), &labels(i), &known(i)).unwrap();
        }
        for i in 0..n {
            one.add_second_pass_partial(&text(i), &labels(i), &known(i))
                .unwrap();
        }
        let mut batched = params.trainer();
        let batches: Vec<crate::data::RowBatch> = (0..n)
            .collect::<Vec<_>>()
            .chunks(5000)
            .map(|chunk| {
                let mut b = crate::data::RowBatch::default();
                for &i in chunk {
                    b.push(&crate::data::Record {
                        text: text(i),
                        labels: labels(i).to_vec(),
                        known: known(i).to_vec(),
                        ..Default::default()
                    });
                }
                b
            })
            .collect();
        for b in &batches {
            batched.add_row_batch(b).unwrap();
        }
        for b in &batches {
            batched.add_second_pass_row_batch(b).unwrap();
        }
        let mut t = one;
        let second = t.second.take().unwrap();
        let batched_second = batched.second.take().unwrap();
        let mut out = [0.0; 2];
        for l in 0..2 {
            let (mut z, mut y) = (Vec::new(), Vec::new());
            let mut at = 0u64;
            for i in (0..n).filter(|&i| known(i)[l]) {
                t.featurize(&text(i), false);
                second.models[fold_of(i as u64, 4, 5)].log_odds(&t.row, &mut out);
                match reservoir::slot(at, 4) {
                    Some(j) if j == z.len() => {
                        z.push(out[l]);
                        y.push(labels(i)[l]);
                    }
                    Some(j) => {
                        z[j] = out[l];
                        y[j] = labels(i)[l];
                    }
                    None => {}
                }
                at += 1;
            }
            assert!(at > OUT_OF_FOLD_SAMPLE as u64, "label {l}: {at} rows");
            assert_eq!(second.z[l].len(), OUT_OF_FOLD_SAMPLE);
            for s in [&second, &batched_second] {
                assert!(
                    s.z[l]
                        .iter()
                        .zip(&z)
                        .all(|(a, b)| a.to_bits() == b.to_bits()),
                    "label {l}"
                );
                assert_eq!(s.y[l], y, "label {l}");
            }
        }
    }

    /// Rows kept on disk and replayed give the model of reading them again, bit for bit: rows
    /// one by one or in batches, with labels some rows lack, new features arriving mid-batch.
    #[test]
    fn replayed_rows_learn_what_rows_read_again_learn() {
        let rows: Vec<(String, [bool; 2], [bool; 2])> = (0..9000)
            .map(|i| {
                let text = format!("w{} x{} y{} z{} common", i % 13, i % 7, i * 7 % 101, i);
                let known = [i % 5 != 0, true];
                (text, [i % 5 == 1, i % 4 == 1], known)
            })
            .collect();
        let params = TrainParams::new(["spam", "toxic"]).seed(2).check().unwrap();
        let batches = row_batches(&rows, 1000, |y, _| y.to_vec());
        let again = train_reading_again(&params, &batches);

        let mut batched = params.trainer();
        assert!(batched.keep_rows());
        for b in &batches {
            batched.add_row_batch(b).unwrap();
        }
        let mut told = 0;
        assert!(batched.replay(|n| told += n).unwrap());
        assert_eq!(told, rows.len() as u64 * u64::from(params.passes() - 1));
        assert_eq!(batched.finish().unwrap().to_bytes(), again);

        let mut one = params.trainer();
        assert!(one.keep_rows());
        for (text, y, k) in &rows {
            one.add_partial(text, y, k).unwrap();
        }
        assert!(one.replay(|_| {}).unwrap());
        assert_eq!(one.finish().unwrap().to_bytes(), again);
    }

    #[test]
    fn rows_are_kept_only_for_an_nb_lr_head_from_the_first_row() {
        let nb = TrainParams::new(["spam"]).linear(None).check().unwrap();
        let mut t = nb.trainer();
        assert!(!t.keep_rows());
        t.add("x", &[true]).unwrap();
        assert!(
            !t.replay(|_| {}).unwrap(),
            "nothing kept: the caller reads again"
        );
        let mut t = TrainParams::new(["spam"]).check().unwrap().trainer();
        t.add("x", &[true]).unwrap();
        assert!(
            !t.keep_rows(),
            "too late: a row was learned without being kept"
        );
    }

    /// From a walk-through of the library's docs: a later pass that a one-pass training does
    /// not need indexed an empty list of fold models and panicked; a trainer with no rows, or
    /// one finished a pass short, gave errors about options and files it never had.
    #[test]
    fn passes_the_training_does_not_need_or_lacks_are_named_errors() {
        let one = plain().check().unwrap();
        assert_eq!(one.passes(), 1);
        let mut t = one.trainer();
        assert_eq!(t.passes(), 1);
        for (text, y) in ROWS {
            t.add(text, &[*y]).unwrap();
        }
        let e = t.add_second_pass(ROWS[0].0, &[ROWS[0].1]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TrainingPass {
                    pass: 2,
                    passes: 1,
                    ..
                }
            ),
            "{e}"
        );
        assert!(t.finish().is_ok(), "the refused pass changed nothing");

        for params in [plain(), TrainParams::new(["spam"])] {
            let t = params.check().unwrap().trainer();
            let e = t.finish().unwrap_err();
            assert!(
                matches!(e, Error::NoTrainingRows { stage: "finish" }),
                "{e}"
            );
        }
        let mut t = TrainParams::new(["spam"]).check().unwrap().trainer();
        assert!(matches!(
            t.start_second_pass(),
            Err(Error::NoTrainingRows { .. })
        ));

        // The defaults read the rows three times: after two, finish names the third.
        let params = TrainParams::new(["spam"])
            .nb(NbParams::new().min_df(1))
            .default_threshold(ThresholdRule::Fixed(0.5))
            .calibration(CalibrationKind::None)
            .check()
            .unwrap();
        let mut t = params.trainer();
        assert_eq!(t.passes(), 3);
        for (text, y) in ROWS {
            t.add(text, &[*y]).unwrap();
        }
        for (text, y) in ROWS {
            t.add_second_pass(text, &[*y]).unwrap();
        }
        let e = t.finish().unwrap_err();
        assert!(
            matches!(
                e,
                Error::TrainingPass {
                    pass: 3,
                    passes: 3,
                    ..
                }
            ),
            "{e}"
        );
        assert!(e.to_string().contains("finish came after pass 2"), "{e}");

        // A pass cut short says how many rows it read.
        let mut t = params.trainer();
        for (text, y) in ROWS {
            t.add(text, &[*y]).unwrap();
        }
        t.add_second_pass(ROWS[0].0, &[ROWS[0].1]).unwrap();
        let e = t.finish().unwrap_err();
        assert!(e.to_string().contains("read 1 of the 4 rows"), "{e}");

        // Tuning's second pass (no NB-LR head) refuses a fifth row of four.
        let tuned = TrainParams::new(["spam"])
            .linear(None)
            .nb(NbParams::new().min_df(1))
            .folds(2)
            .check()
            .unwrap();
        let mut t = tuned.trainer();
        let rows = [ROWS, ROWS].concat();
        for (text, y) in &rows {
            t.add(text, &[*y]).unwrap();
        }
        for (text, y) in &rows {
            t.add_second_pass(text, &[*y]).unwrap();
        }
        let e = t.add_second_pass(ROWS[0].0, &[true]).unwrap_err();
        assert!(
            matches!(
                e,
                Error::TrainingPass {
                    pass: 2,
                    passes: 2,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn tuning_without_the_second_pass_is_an_error() {
        let params = TrainParams::new(["spam"])
            .linear(None)
            .default_threshold(ThresholdRule::F1)
            .check()
            .unwrap();
        let mut t = params.trainer();
        t.add("x", &[true]).unwrap();
        t.add("y", &[false]).unwrap();
        assert!(t.finish().is_err());
    }

    #[test]
    fn fold_models_equal_models_trained_without_the_fold() {
        // The second pass's fold model must score like a model trained on the other folds only.
        let rows: Vec<(String, bool)> = (0..40)
            .map(|i| (format!("w{} w{} common", i % 7, i % 5), i % 3 == 0))
            .collect();
        let params = TrainParams::new(["spam"])
            .linear(None)
            .default_threshold(ThresholdRule::F1)
            .seed(7)
            .check()
            .unwrap();
        let mut t = params.trainer();
        for (text, y) in &rows {
            t.add(text, &[*y]).unwrap();
        }
        t.start_second_pass().unwrap();
        for (i, (text, y)) in rows.iter().enumerate() {
            t.add_second_pass(text, &[*y]).unwrap();
            let fold = fold_of(i as u64, 7, 5);
            let mut alone = TrainParams::new(["spam"])
                .linear(None)
                .default_threshold(ThresholdRule::Fixed(0.5))
                .calibration(CalibrationKind::None)
                .check()
                .unwrap()
                .trainer();
            for (j, (other, oy)) in rows.iter().enumerate() {
                if fold_of(j as u64, 7, 5) != fold {
                    alone.add(other, &[*oy]).unwrap();
                }
            }
            let alone = alone.finish().unwrap();
            let expected = alone.scorer().log_odds(text)[0];
            let got = *t.second.as_ref().unwrap().z[0].last().unwrap();
            assert!(
                (got - expected).abs() < 1e-9,
                "row {i}: {got} vs {expected}"
            );
        }
    }
}
