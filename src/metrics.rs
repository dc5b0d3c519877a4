//! Binary classification metrics, computed the way scikit-learn defines them.

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

/// Computes [`BinaryMetrics`] from log-odds and true labels; `threshold` is a probability.
///
/// Log-odds rather than probabilities, because naive Bayes probabilities saturate to exactly
/// 0 or 1 in floating point and ties would blur the ROC and PR curves.
pub fn binary_metrics(log_odds: &[f64], truth: &[bool], threshold: f64) -> BinaryMetrics {
    assert_eq!(log_odds.len(), truth.len(), "one truth per score");
    let scores = log_odds;
    let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
    let mut loss = 0.0;
    for (&z, &y) in log_odds.iter().zip(truth) {
        let p = crate::nb::sigmoid(z);
        match (p >= threshold, y) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, false) => tn += 1,
            (false, true) => fn_ += 1,
        }
        // −log σ(z) for positives, −log σ(−z) for negatives, capped as sklearn clips at 1e-15.
        let nll = -crate::nb::log_sigmoid(if y { z } else { -z });
        loss += nll.min(-(1e-15f64).ln());
    }
    let n = scores.len().max(1) as f64;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    };
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    BinaryMetrics {
        threshold,
        accuracy: (tp + tn) as f64 / n,
        precision,
        recall,
        f1,
        roc_auc: roc_auc(scores, truth, &order),
        pr_auc: average_precision(scores, truth, &order),
        log_loss: loss / n,
        tp,
        fp,
        tn,
        fn_,
    }
}

/// Scores and truths gathered over a dataset, for each evaluated label.
#[derive(Debug, Clone)]
pub struct Evaluation {
    labels: Vec<(String, f64)>,
    scores: Vec<Vec<f64>>,
    truth: Vec<Vec<bool>>,
}

impl Evaluation {
    /// An empty evaluation of these `(label, threshold)` pairs.
    pub fn new(labels: Vec<(String, f64)>) -> Self {
        let n = labels.len();
        Evaluation {
            labels,
            scores: vec![Vec::new(); n],
            truth: vec![Vec::new(); n],
        }
    }

    /// Adds one row: a probability and a true value per label, in the order given to `new`.
    pub fn add(&mut self, probs: impl IntoIterator<Item = f64>, truth: &[bool]) {
        for ((scores, p), (t, &y)) in self
            .scores
            .iter_mut()
            .zip(probs)
            .zip(self.truth.iter_mut().zip(truth))
        {
            scores.push(p);
            t.push(y);
        }
    }

    /// The metrics of every label.
    pub fn report(&self) -> Report {
        Report {
            rows: self.scores.first().map_or(0, Vec::len) as u64,
            labels: self
                .labels
                .iter()
                .zip(self.scores.iter().zip(&self.truth))
                .map(|((name, t), (s, y))| (name.clone(), binary_metrics(s, y, *t)))
                .collect(),
        }
    }
}

/// Metrics per label over a dataset; serializes as `{"rows":N,"labels":{"spam":{...}}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Rows evaluated.
    pub rows: u64,
    /// Metrics per label, in the model's label order.
    #[serde(serialize_with = "ordered_map")]
    pub labels: Vec<(String, BinaryMetrics)>,
}

fn ordered_map<S: Serializer>(
    entries: &[(String, BinaryMetrics)],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(entries.len()))?;
    for (k, v) in entries {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// Groups of equal scores, highest first: yields (positives, negatives) per group.
fn tie_groups<'a>(
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
        while i < order.len() && scores[order[i]] == s {
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

    fn logits(p: &[f64]) -> Vec<f64> {
        p.iter().map(|p| (p / (1.0 - p)).ln()).collect()
    }

    #[test]
    fn hand_computed_example() {
        // Sorted by score: 0.9 P, 0.8 N, 0.7 P, 0.3 N, 0.2 P, 0.1 N.
        let s = logits(&[0.9, 0.8, 0.7, 0.3, 0.2, 0.1]);
        let y = [true, false, true, false, true, false];
        let m = binary_metrics(&s, &y, 0.5 + 1e-12);
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
        let m = binary_metrics(&[0.0, 0.0], &[true, false], 0.5);
        assert_eq!(m.roc_auc, Some(0.5));
    }

    #[test]
    fn single_class_has_no_auc() {
        let m = binary_metrics(&logits(&[0.2, 0.4]), &[false, false], 0.5);
        assert_eq!(
            (m.roc_auc, m.pr_auc, m.precision, m.f1),
            (None, None, 0.0, 0.0)
        );
    }

    #[test]
    fn log_loss_is_clipped() {
        let m = binary_metrics(&[-1e6], &[true], 0.5);
        assert!((m.log_loss - (-(1e-15f64).ln())).abs() < 1e-9);
        let m = binary_metrics(&[0.0, 0.0], &[true, false], 0.5);
        assert!((m.log_loss - 2f64.ln()).abs() < 1e-12);
    }
}
