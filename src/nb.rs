//! Sparse multinomial naive Bayes with one binary head per label.
//!
//! Follows linfa's estimator pattern: [`NbParams`] → [`ParamGuard::check`] → [`NbValidParams`]
//! → [`Fit::fit`] on a [`SparseDataset`] → [`NaiveBayes`]. The model keeps the raw counts per
//! feature, label and class, so it can learn more rows later and forget rows exactly; the
//! log-odds weights used for scoring are derived from them.
//!
//! For a binary head the class posterior only needs the log-odds
//! `z = log P(pos)/P(neg) + Σ_j x_j (log θ_pos,j − log θ_neg,j)`, with Lidstone-smoothed
//! `θ_c,j = (N_c,j + α) / (N_c + α·n)`; `P(pos | x) = σ(z)`, computed without overflow, so a
//! 1 MB comment still gets a finite probability.

use linfa::dataset::{DatasetBase, Records};
use linfa::traits::Fit;
use linfa::ParamGuard;
use ndarray::{Array2, Array3, ArrayView2};

use crate::error::{Error, Result};

/// Hyper-parameters of [`NaiveBayes`].
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `alpha` | 1.0 | Lidstone smoothing added to every feature count | (0, ∞) |
#[derive(Debug, Clone, PartialEq)]
pub struct NbParams(NbValidParams);

/// Checked hyper-parameters of [`NaiveBayes`]; see [`NbParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct NbValidParams {
    alpha: f64,
}

impl Default for NbParams {
    fn default() -> Self {
        NbParams(NbValidParams { alpha: 1.0 })
    }
}

impl NbParams {
    /// Default hyper-parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the smoothing parameter.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }
}

impl NbValidParams {
    /// The smoothing parameter.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
}

impl ParamGuard for NbParams {
    type Checked = NbValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&NbValidParams> {
        if self.0.alpha.is_finite() && self.0.alpha > 0.0 {
            Ok(&self.0)
        } else {
            Err(Error::InvalidParam {
                name: "alpha",
                value: self.0.alpha.to_string(),
                reason: "must be a finite number greater than 0",
            })
        }
    }

    fn check(self) -> Result<NbValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

/// Rows of feature counts in compressed sparse row form: the records of a [`SparseDataset`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRows {
    starts: Vec<usize>,
    entries: Vec<(u32, f64)>,
    n_features: usize,
}

impl SparseRows {
    /// An empty matrix with `n_features` columns.
    pub fn new(n_features: usize) -> Self {
        SparseRows {
            starts: vec![0],
            entries: Vec::new(),
            n_features,
        }
    }

    /// Appends a row of `(feature, count)` entries; features must be below `n_features`.
    pub fn push_row(&mut self, row: &[(u32, f64)]) -> Result<()> {
        if let Some(&(f, _)) = row.iter().find(|(f, _)| *f as usize >= self.n_features) {
            return Err(Error::InvalidParam {
                name: "feature index",
                value: f.to_string(),
                reason: "must be below the number of features",
            });
        }
        self.entries.extend_from_slice(row);
        self.starts.push(self.entries.len());
        Ok(())
    }

    /// The `i`-th row.
    pub fn row(&self, i: usize) -> &[(u32, f64)] {
        &self.entries[self.starts[i]..self.starts[i + 1]]
    }

    /// A sparse copy of a dense matrix (zeros dropped).
    pub fn from_dense(dense: ArrayView2<f64>) -> Self {
        let mut rows = SparseRows::new(dense.ncols());
        for r in dense.rows() {
            let row: Vec<(u32, f64)> = r
                .iter()
                .enumerate()
                .filter(|(_, &v)| v != 0.0)
                .map(|(j, &v)| (j as u32, v))
                .collect();
            rows.push_row(&row)
                .expect("indices come from the dense matrix's own columns");
        }
        rows
    }
}

impl Records for SparseRows {
    type Elem = f64;

    fn nsamples(&self) -> usize {
        self.starts.len() - 1
    }

    fn nfeatures(&self) -> usize {
        self.n_features
    }
}

/// A dataset for [`NaiveBayes`]: sparse count rows, and one column of booleans per label.
pub type SparseDataset = DatasetBase<SparseRows, Array2<bool>>;

/// Raw counts, grown one row at a time: the sufficient statistics of naive Bayes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NbCounts {
    n_labels: usize,
    /// Feature-major: `counts[(f * n_labels + l) * 2 + class]`.
    counts: Vec<f64>,
    /// Rows per label and class: `docs[l * 2 + class]`.
    docs: Vec<f64>,
}

impl NbCounts {
    pub(crate) fn new(n_labels: usize) -> Self {
        NbCounts {
            n_labels,
            counts: Vec::new(),
            docs: vec![0.0; n_labels * 2],
        }
    }

    pub(crate) fn n_features(&self) -> usize {
        self.counts.len() / (self.n_labels * 2)
    }

    /// Makes room for features up to `n` (new ones start at zero).
    pub(crate) fn grow_features(&mut self, n: usize) {
        if n > self.n_features() {
            self.counts.resize(n * self.n_labels * 2, 0.0);
        }
    }

    /// Adds (`sign` 1) or removes (`sign` -1) one row.
    pub(crate) fn update(&mut self, row: &[(u32, f64)], labels: &[bool], sign: f64) {
        debug_assert_eq!(labels.len(), self.n_labels);
        for (l, &positive) in labels.iter().enumerate() {
            self.docs[l * 2 + usize::from(positive)] += sign;
        }
        for &(f, x) in row {
            let base = f as usize * self.n_labels * 2;
            for (l, &positive) in labels.iter().enumerate() {
                self.counts[base + l * 2 + usize::from(positive)] += sign * x;
            }
        }
    }

    /// The flat counts and per-class row counts, in [`NaiveBayes`] storage order.
    pub(crate) fn into_parts(self) -> (Vec<f64>, Vec<f64>) {
        (self.counts, self.docs)
    }

    /// Reorders features: new feature `i` is old feature `order[i]`.
    pub(crate) fn permute(&mut self, order: &[u32]) {
        let width = self.n_labels * 2;
        let mut counts = Vec::with_capacity(self.counts.len());
        for &old in order {
            let base = old as usize * width;
            counts.extend_from_slice(&self.counts[base..base + width]);
        }
        self.counts = counts;
    }
}

/// A fitted multi-label naive Bayes: raw counts and the log-odds weights derived from them.
#[derive(Debug, Clone, PartialEq)]
pub struct NaiveBayes {
    alpha: f64,
    /// Counts per feature, label and class (0 = negative, 1 = positive).
    counts: Array3<f64>,
    /// Rows per label and class.
    docs: Array2<f64>,
    /// Per feature and label: log θ_pos − log θ_neg.
    weights: Array2<f64>,
    /// Per label: log prior odds.
    bias: Vec<f64>,
}

impl NaiveBayes {
    pub(crate) fn from_counts(
        params: &NbValidParams,
        counts: NbCounts,
        labels: &[String],
    ) -> Result<NaiveBayes> {
        let n_labels = counts.n_labels;
        let n_features = counts.n_features();
        let counts3 = Array3::from_shape_vec((n_features, n_labels, 2), counts.counts)
            .expect("count vector length is n_features * n_labels * 2 by construction");
        let docs = Array2::from_shape_vec((n_labels, 2), counts.docs)
            .expect("docs vector length is n_labels * 2 by construction");
        Self::from_parts(params.alpha, counts3, docs, labels)
    }

    /// Builds the model from stored counts, checking they make sense.
    pub(crate) fn from_parts(
        alpha: f64,
        counts: Array3<f64>,
        docs: Array2<f64>,
        labels: &[String],
    ) -> Result<NaiveBayes> {
        NbParams::new().alpha(alpha).check()?;
        let (n_features, n_labels, _) = counts.dim();
        for (l, label) in labels.iter().enumerate().take(n_labels) {
            for (class, name) in [(0, "negative"), (1, "positive")] {
                if docs[(l, class)] <= 0.0 {
                    return Err(Error::NoExamples {
                        label: label.clone(),
                        class: name,
                    });
                }
            }
        }
        let mut weights = Array2::zeros((n_features, n_labels));
        let mut bias = Vec::with_capacity(n_labels);
        for l in 0..n_labels {
            let mut totals = [0.0; 2];
            for f in 0..n_features {
                totals[0] += counts[(f, l, 0)];
                totals[1] += counts[(f, l, 1)];
            }
            let denom = |class: usize| (totals[class] + alpha * n_features as f64).ln();
            let (d_neg, d_pos) = (denom(0), denom(1));
            for f in 0..n_features {
                let pos = (counts[(f, l, 1)] + alpha).ln() - d_pos;
                let neg = (counts[(f, l, 0)] + alpha).ln() - d_neg;
                weights[(f, l)] = pos - neg;
            }
            bias.push(docs[(l, 1)].ln() - docs[(l, 0)].ln());
        }
        Ok(NaiveBayes {
            alpha,
            counts,
            docs,
            weights,
            bias,
        })
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.bias.len()
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.weights.nrows()
    }

    /// The smoothing parameter.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Raw counts, shape `(features, labels, 2)`.
    pub fn counts(&self) -> &Array3<f64> {
        &self.counts
    }

    /// Rows seen per label and class, shape `(labels, 2)`.
    pub fn docs(&self) -> &Array2<f64> {
        &self.docs
    }

    /// Log-odds weight of each feature for each label, shape `(features, labels)`.
    pub fn weights(&self) -> &Array2<f64> {
        &self.weights
    }

    /// Log prior odds per label.
    pub fn bias(&self) -> &[f64] {
        &self.bias
    }

    /// The weights of feature `f`, one per label.
    #[inline]
    pub(crate) fn feature_weights(&self, f: u32) -> &[f64] {
        let n = self.bias.len();
        let all = self
            .weights
            .as_slice()
            .expect("weights are built in standard layout");
        &all[f as usize * n..(f as usize + 1) * n]
    }

    /// Log-odds per label for one sparse row, written into `out`.
    pub fn log_odds(&self, row: &[(u32, f64)], out: &mut [f64]) {
        out.copy_from_slice(&self.bias);
        for &(f, x) in row {
            for (z, w) in out.iter_mut().zip(self.feature_weights(f)) {
                *z += x * w;
            }
        }
    }

    /// `[log P(negative | row), log P(positive | row)]` for each label.
    pub fn predict_log_proba(&self, row: &[(u32, f64)]) -> Vec<[f64; 2]> {
        let mut z = vec![0.0; self.n_labels()];
        self.log_odds(row, &mut z);
        z.iter()
            .map(|&z| [log_sigmoid(-z), log_sigmoid(z)])
            .collect()
    }
}

impl Fit<SparseRows, Array2<bool>, Error> for NbValidParams {
    type Object = NaiveBayes;

    fn fit(&self, dataset: &SparseDataset) -> Result<NaiveBayes> {
        let targets = &dataset.targets;
        let records = &dataset.records;
        if targets.nrows() != records.nsamples() {
            return Err(Error::InvalidParam {
                name: "target rows",
                value: targets.nrows().to_string(),
                reason: "must equal the number of record rows",
            });
        }
        let labels: Vec<String> = if dataset.target_names().len() == targets.ncols() {
            dataset.target_names().to_vec()
        } else {
            (0..targets.ncols()).map(|l| format!("label{l}")).collect()
        };
        let mut counts = NbCounts::new(targets.ncols());
        counts.grow_features(records.nfeatures());
        let mut row_labels = Vec::with_capacity(targets.ncols());
        for (i, t) in targets.rows().into_iter().enumerate() {
            row_labels.clear();
            row_labels.extend(t.iter().copied());
            counts.update(records.row(i), &row_labels, 1.0);
        }
        NaiveBayes::from_counts(self, counts, &labels)
    }
}

/// `log σ(z)` without overflow for any finite or infinite `z`.
pub(crate) fn log_sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        -(-z).exp().ln_1p()
    } else {
        z - z.exp().ln_1p()
    }
}

/// `σ(z)` without overflow.
pub(crate) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn dataset() -> SparseDataset {
        let x = array![
            [2.0, 0.0, 1.0],
            [0.0, 3.0, 0.0],
            [1.0, 1.0, 0.0],
            [0.0, 2.0, 2.0]
        ];
        let y = array![[true], [false], [true], [false]];
        DatasetBase::new(SparseRows::from_dense(x.view()), y)
    }

    #[test]
    fn fit_matches_hand_computed_weights() {
        let model = NbParams::new().check().unwrap().fit(&dataset()).unwrap();
        // Positive rows sum to [3, 1, 1] (total 5), negative to [0, 5, 2] (total 7); α = 1, n = 3.
        let expected = ((3.0 + 1.0) / 8.0f64).ln() - ((0.0 + 1.0) / 10.0f64).ln();
        assert!((model.weights()[(0, 0)] - expected).abs() < 1e-12);
        assert_eq!(model.bias(), &[0.0]);
    }

    #[test]
    fn probabilities_stay_finite_for_huge_counts() {
        let model = NbParams::new().check().unwrap().fit(&dataset()).unwrap();
        let lp = model.predict_log_proba(&[(0, 1e7), (1, 1.0)]);
        assert!(lp[0].iter().all(|v| v.is_finite()), "{lp:?}");
        assert!(sigmoid(1e6) == 1.0 && sigmoid(-1e6) == 0.0);
    }

    #[test]
    fn alpha_must_be_positive() {
        assert!(NbParams::new().alpha(0.0).check().is_err());
        assert!(NbParams::new().alpha(f64::NAN).check().is_err());
    }

    #[test]
    fn removing_a_row_restores_counts_exactly() {
        let mut c = NbCounts::new(1);
        c.grow_features(3);
        c.update(&[(0, 2.0), (2, 1.0)], &[true], 1.0);
        let before = c.clone();
        c.update(&[(1, 3.0)], &[false], 1.0);
        c.update(&[(1, 3.0)], &[false], -1.0);
        assert_eq!(c, before);
    }

    #[test]
    fn a_label_without_positives_is_an_error() {
        let x = array![[1.0], [2.0]];
        let ds = DatasetBase::new(SparseRows::from_dense(x.view()), array![[false], [false]]);
        let err = NbParams::new().check().unwrap().fit(&ds).unwrap_err();
        assert!(err.to_string().contains("no positive"), "{err}");
    }
}
