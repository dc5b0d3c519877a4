//! Binary classification metrics, computed the way scikit-learn defines them, plus thresholds
//! and reliability tables.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// Metrics of one label on one dataset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BinaryMetrics {
    /// The threshold used for the counts below.
    pub threshold: f64,
    /// (tp + tn) / rows.
    pub accuracy: f64,
    /// tp / (tp + fp), 0 when nothing is flagged.
    pub precision: f64,
    /// tp / (tp + fn), 0 when there are no positives.
    pub recall: f64,
    /// Harmonic mean of precision and recall, 0 when both are 0.
    pub f1: f64,
    /// Area under the ROC curve (ties count half); `None` when one class is absent.
    pub roc_auc: Option<f64>,
    /// Average precision (step-wise area under the precision-recall curve); `None` without positives.
    pub pr_auc: Option<f64>,
    /// Mean negative log-likelihood, probabilities clipped to [1e-15, 1 − 1e-15].
    pub log_loss: f64,
    /// Expected calibration error over 10 equal-width probability bins.
    pub ece: f64,
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    #[serde(rename = "fn")]
    pub fn_: u64,
}

/// Computes [`BinaryMetrics`]: ranking metrics from `ranks` (any score that orders comments,
/// such as log-odds), the rest from probabilities `probs` and the probability `threshold`.
///
/// Ranking by log-odds rather than probabilities matters for naive Bayes: its probabilities
/// saturate to exactly 0 or 1 in floating point, and ties would blur the ROC and PR curves.
pub fn binary_metrics(
    ranks: &[f64],
    probs: &[f64],
    truth: &[bool],
    threshold: f64,
) -> BinaryMetrics {
    assert!(
        ranks.len() == truth.len() && probs.len() == truth.len(),
        "one truth per score"
    );
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    let mut loss = 0.0;
    for (&p, &y) in probs.iter().zip(truth) {
        match (p >= threshold, y) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
        let p = p.clamp(1e-15, 1.0 - 1e-15);
        loss -= if y { p.ln() } else { (1.0 - p).ln() };
    }
    let n = truth.len().max(1) as f64;
    let at = point(threshold, tp, fp, tp + fn_);
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_by(|&a, &b| ranks[b].total_cmp(&ranks[a]));
    let ece = reliability(probs, truth)
        .iter()
        .map(|b| b.count as f64 / n * (b.mean_score - b.positive_rate).abs())
        .sum();
    BinaryMetrics {
        threshold,
        accuracy: (tp + tn) as f64 / n,
        precision: at.precision,
        recall: at.recall,
        f1: at.f1,
        roc_auc: roc_auc(ranks, truth, &order),
        pr_auc: average_precision(ranks, truth, &order),
        log_loss: loss / n,
        ece,
        tp,
        fp,
        tn,
        fn_,
    }
}

/// One bin of a reliability table: comments whose score fell in `[lo, hi)`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReliabilityBin {
    /// Lower score bound.
    pub lo: f64,
    /// Upper score bound (inclusive for the last bin).
    pub hi: f64,
    /// Comments in the bin.
    pub count: u64,
    /// Their mean score.
    pub mean_score: f64,
    /// The share of them that are positive.
    pub positive_rate: f64,
}

/// Ten equal-width bins of predicted probability against the observed positive rate.
pub fn reliability(probs: &[f64], truth: &[bool]) -> Vec<ReliabilityBin> {
    const BINS: usize = 10;
    let mut sums = [(0u64, 0.0f64, 0u64); BINS];
    for (&p, &y) in probs.iter().zip(truth) {
        let b = ((p * BINS as f64) as usize).min(BINS - 1);
        sums[b].0 += 1;
        sums[b].1 += p;
        sums[b].2 += u64::from(y);
    }
    sums.iter()
        .enumerate()
        .filter(|(_, s)| s.0 > 0)
        .map(|(b, &(count, sum, pos))| ReliabilityBin {
            lo: b as f64 / BINS as f64,
            hi: (b + 1) as f64 / BINS as f64,
            count,
            mean_score: sum / count as f64,
            positive_rate: pos as f64 / count as f64,
        })
        .collect()
}

/// A threshold and what it achieves.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThresholdPoint {
    /// The probability threshold (flag when score ≥ threshold).
    pub threshold: f64,
    /// Precision there.
    pub precision: f64,
    /// Recall there.
    pub recall: f64,
    /// F1 there.
    pub f1: f64,
}

fn point(threshold: f64, tp: u64, fp: u64, positives: u64) -> ThresholdPoint {
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let (precision, recall) = (ratio(tp, tp + fp), ratio(tp, positives));
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    ThresholdPoint {
        threshold,
        precision,
        recall,
        f1,
    }
}

/// What flagging `probs ≥ threshold` achieves.
pub fn threshold_point(probs: &[f64], truth: &[bool], threshold: f64) -> ThresholdPoint {
    let (mut tp, mut fp, mut positives) = (0, 0, 0);
    for (&p, &y) in probs.iter().zip(truth) {
        positives += u64::from(y);
        if p >= threshold {
            tp += u64::from(y);
            fp += u64::from(!y);
        }
    }
    point(threshold, tp, fp, positives)
}

/// Every distinct cut, highest first, with what flagging scores ≥ its threshold achieves.
/// Thresholds sit halfway between neighbouring distinct scores, so a cut generalizes to new
/// comments instead of hugging one training score.
fn cuts(probs: &[f64], truth: &[bool]) -> Vec<ThresholdPoint> {
    let positives = truth.iter().filter(|&&y| y).count() as u64;
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut out = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let p = probs[order[i]];
        while i < order.len() && same_score(probs[order[i]], p) {
            if truth[order[i]] {
                tp += 1;
            } else {
                fp += 1;
            }
            i += 1;
        }
        let next = if i < order.len() {
            probs[order[i]]
        } else {
            0.0
        };
        out.push(point((p + next) / 2.0, tp, fp, positives));
    }
    out
}

/// The threshold that maximizes F1 (the highest such threshold on ties).
pub fn best_f1_threshold(probs: &[f64], truth: &[bool]) -> ThresholdPoint {
    let positives = truth.iter().filter(|&&y| y).count() as u64;
    cuts(probs, truth)
        .into_iter()
        .fold(point(1.0, 0, 0, positives), |best, p| {
            if p.f1 > best.f1 {
                p
            } else {
                best
            }
        })
}

/// The lowest threshold whose precision reaches `target` (so the most recall at that
/// precision), or `None` when no threshold does.
pub fn threshold_for_precision(
    probs: &[f64],
    truth: &[bool],
    target: f64,
) -> Option<ThresholdPoint> {
    cuts(probs, truth)
        .into_iter()
        .rev()
        .find(|p| p.precision >= target && p.recall > 0.0)
}

/// Scores and truths gathered over a dataset, for each evaluated label.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub(crate) labels: Vec<(String, f64)>,
    pub(crate) ranks: Vec<Vec<f64>>,
    pub(crate) probs: Vec<Vec<f64>>,
    pub(crate) truth: Vec<Vec<bool>>,
    rows: u64,
    target_precision: Option<f64>,
}

impl Evaluation {
    /// An empty evaluation of these `(label, threshold)` pairs.
    pub fn new(labels: Vec<(String, f64)>) -> Self {
        let n = labels.len();
        Evaluation {
            labels,
            ranks: vec![Vec::new(); n],
            probs: vec![Vec::new(); n],
            truth: vec![Vec::new(); n],
            rows: 0,
            target_precision: None,
        }
    }

    /// Also reports, per label, the threshold reaching this precision and the recall there.
    pub fn target_precision(mut self, target: f64) -> Self {
        self.target_precision = Some(target);
        self
    }

    /// Rescales every label's probabilities to the positive share EM estimates on them
    /// ([`adapt_prior`](crate::adapt_prior)), from each label's training share; returns the
    /// estimated shares. Ranks, and so ROC AUC, do not change; thresholds then cut at the new
    /// share.
    pub fn adapt_priors(&mut self, train_priors: &[f64]) -> Vec<f64> {
        self.probs
            .iter_mut()
            .zip(train_priors)
            .map(|(p, &prior)| crate::prior::adapt_prior(p, prior))
            .collect()
    }

    /// Adds one row: a ranking score (log-odds), a probability and a true value per label,
    /// in the order given to `new`.
    pub fn add(&mut self, ranks: &[f64], probs: &[f64], truth: &[bool]) {
        self.rows += 1;
        for l in 0..self.labels.len() {
            self.ranks[l].push(ranks[l]);
            self.probs[l].push(probs[l]);
            self.truth[l].push(truth[l]);
        }
    }

    /// As [`add`](Self::add), for a row whose true value is `known` for some labels only: the
    /// others' metrics do not see it.
    pub fn add_partial(&mut self, ranks: &[f64], probs: &[f64], truth: &[bool], known: &[bool]) {
        self.rows += 1;
        for l in (0..self.labels.len()).filter(|&l| known[l]) {
            self.ranks[l].push(ranks[l]);
            self.probs[l].push(probs[l]);
            self.truth[l].push(truth[l]);
        }
    }

    /// Rows added for each label: those that carried its true value.
    pub fn label_rows(&self) -> Vec<u64> {
        self.truth.iter().map(|t| t.len() as u64).collect()
    }

    /// The metrics of every label.
    pub fn report(&self) -> Report {
        Report {
            rows: self.rows,
            labels: self
                .labels
                .iter()
                .enumerate()
                .map(|(l, (name, t))| {
                    let (r, p, y) = (&self.ranks[l], &self.probs[l], &self.truth[l]);
                    let report = LabelReport {
                        metrics: binary_metrics(r, p, y, *t),
                        best_f1: best_f1_threshold(p, y),
                        at_precision: self.target_precision.map(|target| AtPrecision {
                            target,
                            point: threshold_for_precision(p, y, target),
                        }),
                        reliability: reliability(p, y),
                    };
                    (name.clone(), report)
                })
                .collect(),
        }
    }
}

/// One label's evaluation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelReport {
    /// Metrics at the label's threshold.
    #[serde(flatten)]
    pub metrics: BinaryMetrics,
    /// The threshold that would have maximized F1 on this data.
    pub best_f1: ThresholdPoint,
    /// The threshold reaching the target precision, when one was asked for.
    pub at_precision: Option<AtPrecision>,
    /// Predicted score bins against observed positive rates.
    pub reliability: Vec<ReliabilityBin>,
}

/// The threshold reaching a target precision (`point` is `None` when no threshold does).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AtPrecision {
    /// The precision asked for.
    pub target: f64,
    /// The lowest threshold reaching it.
    pub point: Option<ThresholdPoint>,
}

/// Metrics per label over a dataset; serializes as `{"rows":N,"labels":{"spam":{...}}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Rows evaluated.
    pub rows: u64,
    /// Metrics per label, in the model's label order.
    #[serde(serialize_with = "ordered_map")]
    pub labels: Vec<(String, LabelReport)>,
}

/// Serializes `(key, value)` pairs as a map, keeping their order.
pub(crate) fn ordered_map<S: Serializer, V: Serialize>(
    entries: &[(String, V)],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// True when two scores tie. NaN ties with NaN, so that a loop over a run of equal scores
/// always moves past its first one: with `==` a NaN score stalled it forever.
pub(crate) fn same_score(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// Groups of equal scores, highest first: yields (positives, negatives) per group.
pub(crate) fn tie_groups<'a>(
    scores: &'a [f64],
    truth: &'a [bool],
    order: &'a [usize],
) -> impl Iterator<Item = (u64, u64)> + 'a {
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= order.len() {
            return None;
        }
        let s = scores[order[i]];
        let (mut pos, mut neg) = (0, 0);
        while i < order.len() && same_score(scores[order[i]], s) {
            if truth[order[i]] {
                pos += 1;
            } else {
                neg += 1;
            }
            i += 1;
        }
        Some((pos, neg))
    })
}

fn roc_auc(scores: &[f64], truth: &[bool], order: &[usize]) -> Option<f64> {
    let positives = truth.iter().filter(|&&y| y).count() as f64;
    let negatives = truth.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return None;
    }
    // For each positive: negatives scored below it, plus half the tied ones.
    let mut negatives_above = 0.0;
    let mut wins = 0.0;
    for (pos, neg) in tie_groups(scores, truth, order) {
        let (pos, neg) = (pos as f64, neg as f64);
        wins += pos * (negatives - negatives_above - neg) + pos * neg / 2.0;
        negatives_above += neg;
    }
    Some(wins / (positives * negatives))
}

fn average_precision(scores: &[f64], truth: &[bool], order: &[usize]) -> Option<f64> {
    let positives = truth.iter().filter(|&&y| y).count() as f64;
    if positives == 0.0 {
        return None;
    }
    let (mut tp, mut seen, mut ap) = (0.0, 0.0, 0.0);
    for (pos, neg) in tie_groups(scores, truth, order) {
        tp += pos as f64;
        seen += (pos + neg) as f64;
        ap += (pos as f64 / positives) * (tp / seen);
    }
    Some(ap)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12, defect 4: a NaN score stalled the cut loop forever, growing its output.
    #[test]
    fn nan_scores_end_the_loops_over_scores() {
        let probs = [0.9, f64::NAN, 0.2, f64::NAN];
        let truth = [true, false, true, false];
        assert_eq!(cuts(&probs, &truth).len(), 3);
        let _ = best_f1_threshold(&probs, &truth);
        let mut order: Vec<usize> = (0..4).collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        assert_eq!(tie_groups(&probs, &truth, &order).count(), 3);
    }

    fn logits(p: &[f64]) -> Vec<f64> {
        p.iter().map(|p| (p / (1.0 - p)).ln()).collect()
    }

    #[test]
    fn hand_computed_example() {
        // Sorted by score: 0.9 P, 0.8 N, 0.7 P, 0.3 N, 0.2 P, 0.1 N.
        let p = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
        let y = [true, false, true, false, true, false];
        let m = binary_metrics(&logits(&p), &p, &y, 0.5);
        assert_eq!((m.tp, m.fp, m.tn, m.fn_), (2, 1, 2, 1));
        assert!((m.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((m.recall - 2.0 / 3.0).abs() < 1e-12);
        // Pairs (P, N) with P above N: 0.9 beats 3, 0.7 beats 2, 0.2 beats 1 → 6 of 9.
        assert!((m.roc_auc.unwrap() - 6.0 / 9.0).abs() < 1e-12);
        // AP = (1/3)(1/1) + (1/3)(2/3) + (1/3)(3/5).
        let ap = (1.0 + 2.0 / 3.0 + 3.0 / 5.0) / 3.0;
        assert!((m.pr_auc.unwrap() - ap).abs() < 1e-12);
    }

    #[test]
    fn ties_count_half_in_roc_auc() {
        let m = binary_metrics(&[0.0, 0.0], &[0.5, 0.5], &[true, false], 0.5);
        assert_eq!(m.roc_auc, Some(0.5));
    }

    #[test]
    fn single_class_has_no_auc() {
        let p = [0.2, 0.4];
        let m = binary_metrics(&logits(&p), &p, &[false, false], 0.5);
        assert_eq!(
            (m.roc_auc, m.pr_auc, m.precision, m.f1),
            (None, None, 0.0, 0.0)
        );
    }

    #[test]
    fn log_loss_is_clipped() {
        let m = binary_metrics(&[-1e6], &[0.0], &[true], 0.5);
        assert!((m.log_loss - (-(1e-15f64).ln())).abs() < 1e-9);
        let m = binary_metrics(&[0.0, 0.0], &[0.5, 0.5], &[true, false], 0.5);
        assert!((m.log_loss - 2f64.ln()).abs() < 1e-12);
    }

    #[test]
    fn thresholds_by_hand() {
        // Scores 0.9 P, 0.8 N, 0.7 P, 0.3 N, 0.2 P, 0.1 N.
        let p = [0.9, 0.8, 0.7, 0.3, 0.2, 0.1];
        let y = [true, false, true, false, true, false];
        // Cuts: ≥0.9 → P 1/1 R 1/3 F1 .5; ≥0.7 → P 2/3 R 2/3 F1 .667; ≥0.2 → P 3/5 R 1 F1 .75.
        let best = best_f1_threshold(&p, &y);
        assert!((best.f1 - 0.75).abs() < 1e-12, "{best:?}");
        assert!((best.threshold - 0.15).abs() < 1e-12, "{best:?}");
        let at = threshold_for_precision(&p, &y, 0.6).unwrap();
        assert!(
            (at.threshold - 0.15).abs() < 1e-12 && at.recall == 1.0,
            "{at:?}"
        );
        let at = threshold_for_precision(&p, &y, 0.9).unwrap();
        assert!((at.threshold - 0.85).abs() < 1e-12 && (at.recall - 1.0 / 3.0).abs() < 1e-12);
        assert!(threshold_for_precision(&[0.5], &[false], 0.5).is_none());
    }

    #[test]
    fn reliability_and_ece_by_hand() {
        // Bin [0.8, 0.9): scores 0.8, 0.8 with one positive → mean .8, rate .5.
        // Bin [0.1, 0.2): 0.1, 0.1 with no positive → mean .1, rate 0.
        let p = [0.8, 0.8, 0.1, 0.1];
        let y = [true, false, false, false];
        let bins = reliability(&p, &y);
        assert_eq!(bins.len(), 2);
        assert_eq!((bins[1].count, bins[1].positive_rate), (2, 0.5));
        let m = binary_metrics(&p, &p, &y, 0.5);
        assert!((m.ece - (0.5 * 0.3 + 0.5 * 0.1)).abs() < 1e-12, "{}", m.ece);
    }
}
