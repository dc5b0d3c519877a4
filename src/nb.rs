//! Sparse naive Bayes (multinomial or complement) with one binary head per label.
//!
//! Follows linfa's estimator pattern: [`NbParams`] → [`ParamGuard::check`] → [`NbValidParams`]
//! → [`Fit::fit`] on a [`SparseDataset`] → [`NaiveBayes`].
//!
//! The model is its sufficient statistics, [`Counts`]: per feature, label and class the summed
//! feature values, per feature the document frequency, and rows per label and class. Counts
//! add up, so a model learns more rows by adding and forgets rows exactly by subtracting; a
//! cross-validation fold's model is the total minus that fold. Scoring weights are derived:
//!
//! - a comment is a vector `x` of term weights: raw counts, presence (binary) or `ln(1 + tf)`,
//!   optionally divided by its L2 norm (Rennie et al. 2003's length normalization);
//! - IDF, when on, multiplies feature `j` by `ln((1 + N) / (1 + df_j)) + 1`, in the counts and in
//!   the comment alike, so it folds into the weights; `N` counts every row, including those
//!   that carry only some of the labels (the rows per label and class count only their own);
//! - multinomial: `w_j = log θ_pos,j − log θ_neg,j` with Lidstone-smoothed
//!   `θ_c,j = (N_c,j + α) / (N_c + α·n)`; complement (Rennie et al., with weight normalization):
//!   `w_j = log θ_neg,j / Σ_k log θ_neg,k − log θ_pos,j / Σ_k log θ_pos,k`;
//! - log-odds `z = b + Σ_j x_j w_j`, with `b` the log prior odds (or 0 for uniform priors), and
//!   `P(pos | x) = σ(z)` (complement NB uses no prior: see [`Weights::from_counts`]), computed
//!   without overflow, so a 1 MB comment still gets a finite score.
//!
//! Features below `min_df` documents or above `max_df` of them, or never seen, get weight 0 and do
//! not count in `n`.

use linfa::dataset::{DatasetBase, Records};
use linfa::traits::Fit;
use linfa::ParamGuard;
use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nblr::Linear;

/// Which naive Bayes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NbKind {
    /// Multinomial naive Bayes.
    Multinomial,
    /// Complement naive Bayes with weight normalization (Rennie et al. 2003).
    Complement,
    /// Bernoulli naive Bayes: presence and absence of each feature (needs binary term weights,
    /// no IDF, no normalization, so the counts are per-class document frequencies).
    Bernoulli,
}

/// How a feature's count in a comment becomes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TermWeight {
    /// The count itself.
    Raw,
    /// 1 if present.
    Binary,
    /// `ln(1 + count)`.
    Log,
}

/// Hyper-parameters of [`NaiveBayes`].
///
/// The defaults were chosen by cross-validation across four public datasets (README.md,
/// "Accuracy"): complement NB on log-scaled, IDF-weighted, length-normalized counts (Rennie et
/// al.'s TWCNB) with light smoothing and singletons dropped. [`NbParams::multinomial`] is the
/// textbook multinomial NB instead.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `kind` | complement | multinomial, complement or Bernoulli NB | |
/// | `alpha` | 0.05 | Lidstone smoothing added to every feature count | (0, 1e6] |
/// | `term_weight` | log | raw counts, presence, or `ln(1 + tf)` | |
/// | `idf` | true | weight features by inverse document frequency | |
/// | `normalize` | true | divide each comment's vector by its L2 norm | |
/// | `uniform_priors` | false | ignore the label's base rate | |
/// | `min_df` | 2 | ignore features in fewer training comments | 1.. |
/// | `max_df` | 1.0 | ignore features in a larger share of training comments | (0, 1] |
#[derive(Debug, Clone, PartialEq)]
pub struct NbParams(NbValidParams);

/// Checked hyper-parameters of [`NaiveBayes`]; see [`NbParams`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NbValidParams {
    kind: NbKind,
    alpha: f64,
    term_weight: TermWeight,
    idf: bool,
    normalize: bool,
    uniform_priors: bool,
    min_df: u32,
    max_df: f64,
}

impl Default for NbParams {
    fn default() -> Self {
        NbParams(NbValidParams {
            kind: NbKind::Complement,
            alpha: 0.05,
            term_weight: TermWeight::Log,
            idf: true,
            normalize: true,
            uniform_priors: false,
            min_df: 2,
            max_df: 1.0,
        })
    }
}

impl NbParams {
    /// Default hyper-parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Textbook multinomial naive Bayes: raw counts, α = 1, learned priors, every feature kept
    /// (as linfa-bayes and scikit-learn's `MultinomialNB`).
    pub fn multinomial() -> Self {
        NbParams(NbValidParams {
            kind: NbKind::Multinomial,
            alpha: 1.0,
            term_weight: TermWeight::Raw,
            idf: false,
            normalize: false,
            uniform_priors: false,
            min_df: 1,
            max_df: 1.0,
        })
    }

    /// Multinomial or complement naive Bayes.
    pub fn kind(mut self, kind: NbKind) -> Self {
        self.0.kind = kind;
        self
    }

    /// Sets the smoothing parameter.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.alpha = alpha;
        self
    }

    /// Sets how counts become feature values.
    pub fn term_weight(mut self, w: TermWeight) -> Self {
        self.0.term_weight = w;
        self
    }

    /// Turns IDF weighting on or off.
    pub fn idf(mut self, on: bool) -> Self {
        self.0.idf = on;
        self
    }

    /// Turns L2 length normalization on or off.
    pub fn normalize(mut self, on: bool) -> Self {
        self.0.normalize = on;
        self
    }

    /// Uses uniform class priors instead of learned ones.
    pub fn uniform_priors(mut self, on: bool) -> Self {
        self.0.uniform_priors = on;
        self
    }

    /// Ignores features seen in fewer than `n` training comments.
    pub fn min_df(mut self, n: u32) -> Self {
        self.0.min_df = n;
        self
    }

    /// Ignores features seen in more than this share of training comments.
    pub fn max_df(mut self, share: f64) -> Self {
        self.0.max_df = share;
        self
    }
}

impl NbValidParams {
    /// Multinomial or complement.
    pub fn kind(&self) -> NbKind {
        self.kind
    }
    /// The smoothing parameter.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }
    /// How counts become feature values.
    pub fn term_weight(&self) -> TermWeight {
        self.term_weight
    }
    /// Whether IDF weighting is on.
    pub fn idf(&self) -> bool {
        self.idf
    }
    /// Whether comment vectors are L2-normalized.
    pub fn normalize(&self) -> bool {
        self.normalize
    }
    /// Whether priors are uniform.
    pub fn uniform_priors(&self) -> bool {
        self.uniform_priors
    }
    /// Minimum document frequency.
    pub fn min_df(&self) -> u32 {
        self.min_df
    }
    /// Maximum document frequency share.
    pub fn max_df(&self) -> f64 {
        self.max_df
    }

    /// The parameters whose weights are NB-LR's ratios: the same weighting, smoothing and
    /// pruning, as multinomial log-count ratios (see `crate::nblr`).
    pub(crate) fn ratio_params(&self) -> NbValidParams {
        NbValidParams {
            kind: NbKind::Multinomial,
            ..self.clone()
        }
    }

    /// True when a comment's features can be summed occurrence by occurrence, with no need to
    /// gather counts per feature first.
    pub(crate) fn is_linear(&self) -> bool {
        self.term_weight == TermWeight::Raw && !self.normalize
    }

    /// A feature's value for a count, before normalization.
    #[inline]
    pub(crate) fn term_value(&self, count: f64) -> f64 {
        match self.term_weight {
            TermWeight::Raw => count,
            TermWeight::Binary => 1.0,
            TermWeight::Log => log_1p_count(count),
        }
    }

    /// [`term_value`](Self::term_value) of a whole count, without converting a float back
    /// to an integer on the scoring path; the same value bit for bit.
    #[inline]
    pub(crate) fn term_value_of_count(&self, count: u32) -> f64 {
        match self.term_weight {
            TermWeight::Raw => f64::from(count),
            TermWeight::Binary => 1.0,
            TermWeight::Log => match LOG_1P.get(count as usize) {
                Some(&x) => x,
                None => f64::from(count).ln_1p(),
            },
        }
    }

    /// What a comment's summed `value × weight` is divided by: its L2 norm when normalizing.
    #[inline]
    pub(crate) fn norm(&self, sum_of_squares: f64) -> f64 {
        if self.normalize && sum_of_squares > 0.0 {
            sum_of_squares.sqrt()
        } else {
            1.0
        }
    }

    /// Turns `(feature, count)` pairs of one comment into feature values, in place.
    pub(crate) fn transform<K>(&self, row: &mut [(K, f64)]) {
        let mut sum_of_squares = 0.0;
        for (_, x) in row.iter_mut() {
            *x = self.term_value(*x);
            sum_of_squares += *x * *x;
        }
        let norm = self.norm(sum_of_squares);
        if norm != 1.0 {
            row.iter_mut().for_each(|(_, x)| *x /= norm);
        }
    }
}

/// The largest `alpha` accepted: far past any useful smoothing, far below where the sums of
/// smoothed counts overflow.
const MAX_ALPHA: f64 = 1e6;

impl ParamGuard for NbParams {
    type Checked = NbValidParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&NbValidParams> {
        let p = &self.0;
        if !(p.alpha > 0.0 && p.alpha <= MAX_ALPHA) {
            return Err(Error::InvalidParam {
                name: "alpha",
                // Debug formatting: `1e308` rather than its 309 digits.
                value: format!("{:?}", p.alpha),
                reason: "must be greater than 0 and at most 1e6 (more drowns every count, \
                         and past about 1e300 the math overflows)",
            });
        }
        if p.min_df == 0 {
            return Err(Error::InvalidParam {
                name: "min-df",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if p.kind == NbKind::Bernoulli
            && (p.term_weight != TermWeight::Binary || p.idf || p.normalize)
        {
            return Err(Error::InvalidParam {
                name: "naive Bayes kind",
                value: "bernoulli".into(),
                reason: "needs binary term weights, no IDF and no normalization",
            });
        }
        if !(p.max_df > 0.0 && p.max_df <= 1.0) {
            return Err(Error::InvalidParam {
                name: "max-df",
                value: p.max_df.to_string(),
                reason: "must be in (0, 1]",
            });
        }
        Ok(p)
    }

    fn check(self) -> Result<NbValidParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl NbValidParams {
    /// Checks parameters that did not come through [`NbParams::check`]: those read from a
    /// model file.
    pub(crate) fn recheck(&self) -> Result<()> {
        NbParams(self.clone()).check_ref().map(|_| ())
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

    /// Appends a row of `(feature, count)` entries with distinct features below `n_features`.
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

/// The sufficient statistics of naive Bayes, grown one row at a time.
#[derive(Debug, Clone, PartialEq)]
pub struct Counts {
    n_labels: usize,
    /// Feature-major: `values[(f * n_labels + l) * 2 + class]`, summed feature values.
    values: Vec<f64>,
    /// Rows per label and class: `docs[l * 2 + class]`.
    docs: Vec<f64>,
    /// Rows containing each feature.
    df: Vec<f64>,
    /// Rows counted, whatever labels they carry: the `N` of IDF and `max_df`. (Each label's
    /// own rows are in `docs`; a row may carry some labels and not others.)
    rows: f64,
}

impl Counts {
    /// Empty counts for `n_labels` labels.
    pub fn new(n_labels: usize) -> Self {
        Counts {
            n_labels,
            values: Vec::new(),
            docs: vec![0.0; n_labels * 2],
            df: Vec::new(),
            rows: 0.0,
        }
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.n_labels
    }

    /// Number of features with a slot (seen or not).
    pub fn n_features(&self) -> usize {
        self.df.len()
    }

    /// Rows counted.
    pub fn rows(&self) -> f64 {
        self.rows
    }

    /// Rows counted for label `l`: those that carry its value.
    pub fn label_rows(&self, l: usize) -> f64 {
        self.docs(l, 0) + self.docs(l, 1)
    }

    /// Makes room for features up to `n` (new ones start at zero).
    pub fn grow_features(&mut self, n: usize) {
        if n > self.n_features() {
            self.values.resize(n * self.n_labels * 2, 0.0);
            self.df.resize(n, 0.0);
        }
    }

    /// Adds (`sign` 1) or removes (`sign` −1) one row of distinct `(feature, value)` pairs.
    pub fn update(&mut self, row: &[(u32, f64)], labels: &[bool], sign: f64) {
        debug_assert_eq!(labels.len(), self.n_labels);
        self.rows += sign;
        for (l, &positive) in labels.iter().enumerate() {
            self.docs[l * 2 + usize::from(positive)] += sign;
        }
        let width = self.n_labels * 2;
        for &(f, x) in row {
            let f = f as usize;
            self.df[f] += sign;
            let base = f * width;
            for (l, &positive) in labels.iter().enumerate() {
                self.values[base + l * 2 + usize::from(positive)] += sign * x;
            }
        }
    }

    /// As [`update`](Self::update) for a row that carries only the labels `known` marks: the
    /// others' counts get nothing from it, the rows and document frequencies count it.
    pub fn update_partial(
        &mut self,
        row: &[(u32, f64)],
        labels: &[bool],
        known: &[bool],
        sign: f64,
    ) {
        debug_assert_eq!(known.len(), self.n_labels);
        self.rows += sign;
        let carried = || (0..self.n_labels).filter(|&l| known[l]);
        for l in carried() {
            self.docs[l * 2 + usize::from(labels[l])] += sign;
        }
        let width = self.n_labels * 2;
        for &(f, x) in row {
            let f = f as usize;
            self.df[f] += sign;
            for l in carried() {
                self.values[f * width + l * 2 + usize::from(labels[l])] += sign * x;
            }
        }
    }

    /// Checks every label has rows of both classes.
    pub fn check_classes(&self, labels: &[String]) -> Result<()> {
        for (l, label) in labels.iter().enumerate().take(self.n_labels) {
            if self.label_rows(l) <= 0.0 {
                return Err(Error::NoLabelRows {
                    label: label.clone(),
                });
            }
            for (class, name) in [(0, "negative"), (1, "positive")] {
                if self.docs(l, class) <= 0.0 {
                    return Err(Error::NoExamples {
                        label: label.clone(),
                        class: name,
                    });
                }
            }
        }
        Ok(())
    }

    /// `self − other`, feature by feature (features `other` lacks count as zero).
    pub fn minus(&self, other: &Counts) -> Counts {
        let mut out = self.clone();
        for (a, b) in out.values.iter_mut().zip(&other.values) {
            *a -= b;
        }
        for (a, b) in out.docs.iter_mut().zip(&other.docs) {
            *a -= b;
        }
        for (a, b) in out.df.iter_mut().zip(&other.df) {
            *a -= b;
        }
        out.rows -= other.rows;
        out
    }

    /// The value sum of feature `f` for label `l` and class (0 negative, 1 positive).
    pub fn value(&self, f: usize, l: usize, class: usize) -> f64 {
        self.values[(f * self.n_labels + l) * 2 + class]
    }

    /// Feature `f`'s value sums, by label and class (`[l * 2 + class]`).
    fn feature_values(&self, f: usize) -> &[f64] {
        let width = self.n_labels * 2;
        &self.values[f * width..][..width]
    }

    /// Rows of label `l` in class (0 negative, 1 positive).
    pub fn docs(&self, l: usize, class: usize) -> f64 {
        self.docs[l * 2 + class]
    }

    /// Rows containing feature `f`.
    pub fn df(&self, f: usize) -> f64 {
        self.df[f]
    }

    pub(crate) fn parts(&self) -> (&[f64], &[f64], &[f64]) {
        (&self.values, &self.docs, &self.df)
    }

    /// The counts from their tables and `rows`, the rows counted (see [`rows`](Self::rows)).
    pub(crate) fn from_parts(
        n_labels: usize,
        values: Vec<f64>,
        docs: Vec<f64>,
        df: Vec<f64>,
        rows: f64,
    ) -> Option<Counts> {
        let consistent =
            n_labels > 0 && docs.len() == n_labels * 2 && values.len() == df.len() * n_labels * 2;
        consistent.then_some(Counts {
            n_labels,
            values,
            docs,
            df,
            rows,
        })
    }
}

/// Per feature: its IDF factor (1 without IDF), or 0 when `min_df` or `max_df` leaves it out.
fn feature_factors(p: &NbValidParams, c: &Counts) -> Vec<f64> {
    let rows = c.rows();
    let max_df = p.max_df * rows;
    (0..c.n_features())
        .map(|f| {
            let df = c.df(f);
            if df < f64::from(p.min_df) || df > max_df || df <= 0.0 {
                0.0
            } else if p.idf {
                ((1.0 + rows) / (1.0 + df)).ln() + 1.0
            } else {
                1.0
            }
        })
        .collect()
}

/// Bernoulli naive Bayes weights of label `l` into `w`, and the label's bias.
fn bernoulli_label(
    p: &NbValidParams,
    c: &Counts,
    factor: &[f64],
    l: usize,
    n_labels: usize,
    w: &mut [f64],
) -> f64 {
    // P(feature present | class) = (df_c + α) / (N_c + 2α); an absent feature adds
    // log((1 − p_pos) / (1 − p_neg)), constant per model, so it goes to the bias.
    let mut absent = 0.0;
    for (f, &k) in factor.iter().enumerate() {
        if k == 0.0 {
            continue;
        }
        let pp = (c.value(f, l, 1) + p.alpha) / (c.docs(l, 1) + 2.0 * p.alpha);
        let pn = (c.value(f, l, 0) + p.alpha) / (c.docs(l, 0) + 2.0 * p.alpha);
        let off = (1.0 - pp).ln() - (1.0 - pn).ln();
        absent += off;
        w[f * n_labels + l] = pp.ln() - pn.ln() - off;
    }
    let prior = if p.uniform_priors {
        0.0
    } else {
        c.docs(l, 1).ln() - c.docs(l, 0).ln()
    };
    prior + absent
}

/// Scoring weights: log-odds per feature and label (0 for ignored features) and per-label bias.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Weights {
    /// Feature-major, `n_features × n_labels`.
    w: Vec<f64>,
    bias: Vec<f64>,
}

impl Weights {
    /// Weights from their parts: feature-major `w` (`n_features × n_labels`) and one bias per
    /// label.
    pub(crate) fn from_parts(w: Vec<f64>, bias: Vec<f64>) -> Weights {
        debug_assert!(bias.is_empty() || w.len().is_multiple_of(bias.len()));
        Weights { w, bias }
    }

    pub(crate) fn from_counts(p: &NbValidParams, c: &Counts, labels: &[String]) -> Result<Weights> {
        c.check_classes(labels)?;
        let (n_labels, n_features) = (c.n_labels, c.n_features());
        let factor = feature_factors(p, c);
        let active = factor.iter().filter(|&&x| x > 0.0).count() as f64;
        let mut w = vec![0.0; n_features * n_labels];
        if p.kind == NbKind::Bernoulli {
            let bias = (0..n_labels)
                .map(|l| bernoulli_label(p, c, &factor, l, n_labels, &mut w))
                .collect();
            return Ok(Weights { w, bias });
        }
        // Feature-major passes over the counts (they are stored so), every label at once: one
        // label at a time read the megabytes of counts four times per label, and a learning
        // server derives these weights at every group commit. Each label's sums still add the
        // features in order, so the weights are the same to the bit.
        let width = n_labels * 2;
        let mut totals = vec![0.0; width];
        for (f, &k) in factor.iter().enumerate() {
            for (t, v) in totals.iter_mut().zip(c.feature_values(f)) {
                *t += k * v;
            }
        }
        let denom: Vec<f64> = totals.iter().map(|t| (t + p.alpha * active).ln()).collect();
        // A count of zero, as most are for a rare label, has the log of alpha: no call to ln.
        let ln_alpha = p.alpha.ln();
        let log_theta = |k: f64, v: f64, i: usize| {
            let ln = if v == 0.0 {
                ln_alpha
            } else {
                (k * v + p.alpha).ln()
            };
            ln - denom[i]
        };
        if p.kind == NbKind::Complement {
            // Normalized by each class's sum over all features: a second pass.
            let mut thetas = vec![0.0; c.values.len()];
            let mut sums = vec![0.0; width];
            for (f, &k) in factor.iter().enumerate() {
                if k == 0.0 {
                    continue;
                }
                for (i, (t, &v)) in thetas[f * width..][..width]
                    .iter_mut()
                    .zip(c.feature_values(f))
                    .enumerate()
                {
                    *t = log_theta(k, v, i);
                    sums[i] += *t;
                }
            }
            for (f, &k) in factor.iter().enumerate() {
                if k == 0.0 {
                    continue;
                }
                let t = &thetas[f * width..][..width];
                for l in 0..n_labels {
                    // The comment's value for f is multiplied by k too, so k folds into the
                    // weight.
                    w[f * n_labels + l] =
                        k * (t[l * 2] / sums[l * 2] - t[l * 2 + 1] / sums[l * 2 + 1]);
                }
            }
        } else {
            for (f, &k) in factor.iter().enumerate() {
                if k == 0.0 {
                    continue;
                }
                let values = c.feature_values(f);
                for l in 0..n_labels {
                    let neg = log_theta(k, values[l * 2], l * 2);
                    let pos = log_theta(k, values[l * 2 + 1], l * 2 + 1);
                    w[f * n_labels + l] = k * (pos - neg);
                }
            }
        }
        // Complement NB's normalized weights live on a scale ~1e-4 of log-odds, where a prior
        // would drown them; like scikit-learn's ComplementNB it uses none, and calibration
        // supplies the base rate.
        let bias = (0..n_labels)
            .map(|l| {
                if p.uniform_priors || p.kind == NbKind::Complement {
                    0.0
                } else {
                    c.docs(l, 1).ln() - c.docs(l, 0).ln()
                }
            })
            .collect();
        Ok(Weights { w, bias })
    }

    pub(crate) fn n_labels(&self) -> usize {
        self.bias.len()
    }

    /// True when every weight and bias is a finite number, as they are for any counts that
    /// training gives.
    pub(crate) fn all_finite(&self) -> bool {
        self.w.iter().chain(&self.bias).all(|x| x.is_finite())
    }

    pub(crate) fn bias(&self) -> &[f64] {
        &self.bias
    }

    /// Every feature's weights, feature-major (`n_features × n_labels`).
    pub(crate) fn values(&self) -> &[f64] {
        &self.w
    }

    /// The weights of feature `f`, one per label.
    #[inline]
    pub(crate) fn feature(&self, f: u32) -> &[f64] {
        let n = self.bias.len();
        &self.w[f as usize * n..(f as usize + 1) * n]
    }

    /// Log-odds per label for one row of distinct `(feature, value)` pairs.
    pub(crate) fn log_odds(&self, row: &[(u32, f64)], out: &mut [f64]) {
        out.copy_from_slice(&self.bias);
        for &(f, x) in row {
            for (z, w) in out.iter_mut().zip(self.feature(f)) {
                *z += x * w;
            }
        }
    }
}

/// A fitted multi-label naive Bayes: counts, parameters, and the weights derived from them;
/// with an NB-LR head (`crate::nblr`), the weights are the head's on the counts' ratios.
#[derive(Debug, Clone, PartialEq)]
pub struct NaiveBayes {
    params: NbValidParams,
    counts: Counts,
    linear: Option<Linear>,
    weights: Weights,
}

impl NaiveBayes {
    pub(crate) fn new(params: NbValidParams, counts: Counts, labels: &[String]) -> Result<Self> {
        Self::with_head(params, counts, None, labels)
    }

    /// A model whose scoring weights come from `linear` when given (NB-LR), else from naive
    /// Bayes itself.
    pub(crate) fn with_head(
        params: NbValidParams,
        counts: Counts,
        linear: Option<Linear>,
        labels: &[String],
    ) -> Result<Self> {
        let weights = match &linear {
            Some(head) => head.apply(&Weights::from_counts(
                &params.ratio_params(),
                &counts,
                labels,
            )?),
            None => Weights::from_counts(&params, &counts, labels)?,
        };
        Ok(NaiveBayes {
            params,
            counts,
            linear,
            weights,
        })
    }

    /// The NB-LR head, when the model has one.
    pub(crate) fn linear(&self) -> Option<&Linear> {
        self.linear.as_ref()
    }

    /// The NB-LR head's hyper-parameters, when the model has one (else it scores with naive
    /// Bayes alone).
    pub fn linear_params(&self) -> Option<crate::LinearParams> {
        self.linear.as_ref().map(|l| l.params)
    }

    /// Number of labels.
    pub fn n_labels(&self) -> usize {
        self.weights.n_labels()
    }

    /// Number of feature slots.
    pub fn n_features(&self) -> usize {
        self.counts.n_features()
    }

    /// The hyper-parameters.
    pub fn params(&self) -> &NbValidParams {
        &self.params
    }

    /// The sufficient statistics.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The log-odds weight of feature `f` for label `l` (0 for an ignored feature).
    pub fn weight(&self, f: usize, l: usize) -> f64 {
        self.weights.feature(f as u32)[l]
    }

    /// Log prior odds per label (0 with uniform priors).
    pub fn bias(&self) -> &[f64] {
        self.weights.bias()
    }

    pub(crate) fn weights(&self) -> &Weights {
        &self.weights
    }

    /// Log-odds per label for one row of distinct `(feature, count)` pairs, written into `out`.
    /// The counts are weighted as the parameters say (binary, log, normalized).
    pub fn log_odds(&self, row: &[(u32, f64)], out: &mut [f64]) {
        let mut row = row.to_vec();
        self.params.transform(&mut row);
        self.weights.log_odds(&row, out);
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
        let mut counts = Counts::new(targets.ncols());
        counts.grow_features(records.nfeatures());
        let mut row_labels = Vec::with_capacity(targets.ncols());
        let mut row = Vec::new();
        for (i, t) in targets.rows().into_iter().enumerate() {
            row_labels.clear();
            row_labels.extend(t.iter().copied());
            row.clear();
            row.extend_from_slice(records.row(i));
            self.transform(&mut row);
            counts.update(&row, &row_labels, 1.0);
        }
        NaiveBayes::new(self.clone(), counts, &labels)
    }
}

/// `ln(1 + x)`, from a table for the small whole counts nearly every feature has: the logarithm
/// was a tenth of the scoring time.
#[inline]
fn log_1p_count(x: f64) -> f64 {
    let i = x as usize;
    if i < LOG_1P.len() && i as f64 == x {
        LOG_1P[i]
    } else {
        x.ln_1p()
    }
}

/// `ln(1 + n)` for the whole numbers below 64.
static LOG_1P: std::sync::LazyLock<[f64; 64]> =
    std::sync::LazyLock::new(|| std::array::from_fn(|i| (i as f64).ln_1p()));

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

    #[test]
    fn whole_counts_get_the_same_term_values_as_floats() {
        for weight in [TermWeight::Raw, TermWeight::Binary, TermWeight::Log] {
            let p = NbParams::new().term_weight(weight).check().unwrap();
            for count in (0..200).chain([u32::MAX]) {
                let (ours, float) = (p.term_value_of_count(count), p.term_value(count.into()));
                assert_eq!(ours.to_bits(), float.to_bits(), "{weight:?} {count}");
            }
        }
    }

    /// The derivation before the feature-major passes, one label at a time (as of 1c12b26): the
    /// oracle the faster one must match to the bit.
    fn per_label_weights(p: &NbValidParams, c: &Counts) -> (Vec<f64>, Vec<f64>) {
        let (n_labels, n_features) = (c.n_labels, c.n_features());
        // The factors were not changed; only what is done with them was.
        let factor = feature_factors(p, c);
        let active = factor.iter().filter(|&&x| x > 0.0).count() as f64;
        let (mut w, mut bias) = (vec![0.0; n_features * n_labels], Vec::new());
        let mut log_theta = [vec![0.0; n_features], vec![0.0; n_features]];
        for l in 0..n_labels {
            let mut totals = [0.0; 2];
            for (f, &k) in factor.iter().enumerate() {
                totals[0] += k * c.value(f, l, 0);
                totals[1] += k * c.value(f, l, 1);
            }
            let mut sums = [0.0; 2];
            for class in 0..2 {
                let denom = (totals[class] + p.alpha * active).ln();
                for (f, &k) in factor.iter().enumerate() {
                    if k > 0.0 {
                        let t = (k * c.value(f, l, class) + p.alpha).ln() - denom;
                        log_theta[class][f] = t;
                        sums[class] += t;
                    }
                }
            }
            for (f, &k) in factor.iter().enumerate() {
                if k > 0.0 {
                    let (neg, pos) = (log_theta[0][f], log_theta[1][f]);
                    w[f * n_labels + l] = k * match p.kind {
                        NbKind::Complement => neg / sums[0] - pos / sums[1],
                        _ => pos - neg,
                    };
                }
            }
            bias.push(if p.uniform_priors || p.kind == NbKind::Complement {
                0.0
            } else {
                c.docs(l, 1).ln() - c.docs(l, 0).ln()
            });
        }
        (w, bias)
    }

    proptest::proptest! {
        #[test]
        fn weights_are_the_per_label_derivations_to_the_bit(
            n_labels in 1usize..5,
            cells in proptest::collection::vec((0u8..3, 0.0f64..20.0, 0u32..30), 1..200),
            complement: bool,
            idf: bool,
            uniform_priors: bool,
            min_df in 1u32..4,
            max_df in 0.3f64..1.0,
            alpha in 0.01f64..2.0,
        ) {
            let n_features = cells.len().div_ceil(n_labels * 2);
            let rows = 30.0;
            // Most counts of a real model are zero: one cell in three here.
            let values: Vec<f64> = (0..n_features * n_labels * 2)
                .map(|i| match cells[i % cells.len()] {
                    (0, _, _) => 0.0,
                    (_, v, _) => v,
                })
                .collect();
            let df = (0..n_features).map(|f| f64::from(cells[f % cells.len()].2)).collect();
            let docs = (0..n_labels * 2).map(|i| 3.0 + i as f64).collect();
            let c = Counts::from_parts(n_labels, values, docs, df, rows).unwrap();
            let kind = if complement { NbKind::Complement } else { NbKind::Multinomial };
            let p = NbParams::new()
                .kind(kind)
                .idf(idf)
                .uniform_priors(uniform_priors)
                .min_df(min_df)
                .max_df(max_df)
                .alpha(alpha)
                .check()
                .unwrap();
            let labels: Vec<String> = (0..n_labels).map(|l| format!("l{l}")).collect();
            let fast = Weights::from_counts(&p, &c, &labels).unwrap();
            let (w, bias) = per_label_weights(&p, &c);
            let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            proptest::prop_assert_eq!(bits(&fast.w), bits(&w));
            proptest::prop_assert_eq!(bits(&fast.bias), bits(&bias));
        }
    }

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

    fn fit(p: NbParams) -> NaiveBayes {
        p.check().unwrap().fit(&dataset()).unwrap()
    }

    #[test]
    fn multinomial_matches_hand_computed_weights() {
        let model = fit(NbParams::multinomial());
        // Positive rows sum to [3, 1, 1] (total 5), negative to [0, 5, 2] (total 7); α = 1, n = 3.
        let expected = ((3.0 + 1.0) / 8.0f64).ln() - ((0.0 + 1.0) / 10.0f64).ln();
        assert!((model.weight(0, 0) - expected).abs() < 1e-12);
        assert_eq!(model.bias(), &[0.0]);
    }

    #[test]
    fn complement_normalizes_each_class_by_its_log_sum() {
        let model = fit(NbParams::multinomial().kind(NbKind::Complement));
        let pos: Vec<f64> = [4.0, 2.0, 2.0].iter().map(|c| (c / 8.0f64).ln()).collect();
        let neg: Vec<f64> = [1.0, 6.0, 3.0].iter().map(|c| (c / 10.0f64).ln()).collect();
        let (sp, sn): (f64, f64) = (pos.iter().sum(), neg.iter().sum());
        for f in 0..3 {
            let expected = neg[f] / sn - pos[f] / sp;
            assert!((model.weight(f, 0) - expected).abs() < 1e-12, "feature {f}");
        }
    }

    #[test]
    fn idf_and_df_pruning() {
        // Feature 0 is in 2 of 4 rows, 1 in 3, 2 in 2.
        let model = fit(NbParams::multinomial().max_df(0.7));
        assert_eq!(model.weight(1, 0), 0.0, "feature 1 is in 75% of rows");
        assert!(model.weight(0, 0) != 0.0);
        let model = fit(NbParams::multinomial().min_df(3));
        assert_eq!((model.weight(0, 0), model.weight(2, 0)), (0.0, 0.0));
        let plain = fit(NbParams::multinomial());
        let idf = fit(NbParams::multinomial().idf(true));
        assert!(idf.weight(0, 0).abs() != plain.weight(0, 0).abs());
    }

    #[test]
    fn binary_log_and_normalized_values() {
        let p = NbParams::new()
            .term_weight(TermWeight::Log)
            .normalize(true)
            .check()
            .unwrap();
        let mut row = vec![(0u32, 3.0), (1, 1.0)];
        p.transform(&mut row);
        let (a, b) = (4f64.ln(), 2f64.ln());
        let n = (a * a + b * b).sqrt();
        assert!((row[0].1 - a / n).abs() < 1e-12 && (row[1].1 - b / n).abs() < 1e-12);
        let p = NbParams::new()
            .term_weight(TermWeight::Binary)
            .check()
            .unwrap();
        let mut row = vec![(0u32, 3.0)];
        p.transform(&mut row);
        assert_eq!(row[0].1, 1.0);
    }

    #[test]
    fn log_table_matches_ln_1p() {
        for x in [0.0, 1.0, 2.0, 7.0, 63.0, 64.0, 1000.0, 0.5, 2.25] {
            assert_eq!(log_1p_count(x), f64::ln_1p(x), "{x}");
        }
    }

    #[test]
    fn uniform_priors_zero_the_bias() {
        let x = array![[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]];
        let ds = DatasetBase::new(
            SparseRows::from_dense(x.view()),
            array![[true], [false], [false]],
        );
        let learned = NbParams::multinomial().check().unwrap().fit(&ds).unwrap();
        assert!((learned.bias()[0] - 0.5f64.ln()).abs() < 1e-12);
        let uniform = NbParams::multinomial()
            .uniform_priors(true)
            .check()
            .unwrap()
            .fit(&ds)
            .unwrap();
        assert_eq!(uniform.bias(), &[0.0]);
    }

    #[test]
    fn probabilities_stay_finite_for_huge_counts() {
        let model = fit(NbParams::new());
        let lp = model.predict_log_proba(&[(0, 1e7), (1, 1.0)]);
        assert!(lp[0].iter().all(|v| v.is_finite()), "{lp:?}");
        assert!(sigmoid(1e6) == 1.0 && sigmoid(-1e6) == 0.0);
    }

    #[test]
    fn invalid_params_are_rejected() {
        assert!(NbParams::new().alpha(0.0).check().is_err());
        assert!(NbParams::new().alpha(f64::NAN).check().is_err());
        assert!(NbParams::new().min_df(0).check().is_err());
        assert!(NbParams::new().max_df(0.0).check().is_err());
    }

    #[test]
    fn subtracting_a_row_restores_counts_exactly() {
        let mut c = Counts::new(1);
        c.grow_features(3);
        c.update(&[(0, 2.0), (2, 1.0)], &[true], 1.0);
        let before = c.clone();
        let mut extra = Counts::new(1);
        extra.grow_features(3);
        extra.update(&[(1, 3.0)], &[false], 1.0);
        c.update(&[(1, 3.0)], &[false], 1.0);
        assert_eq!(c.minus(&extra), before);
    }

    #[test]
    fn a_fold_model_ignores_features_it_never_saw() {
        let mut all = Counts::new(1);
        all.grow_features(3);
        all.update(&[(0, 1.0)], &[true], 1.0);
        all.update(&[(1, 1.0)], &[false], 1.0);
        let mut fold = Counts::new(1);
        fold.grow_features(3);
        fold.update(&[(2, 1.0)], &[true], 1.0);
        all.update(&[(2, 1.0)], &[true], 1.0);
        let p = NbParams::multinomial().check().unwrap();
        let w = Weights::from_counts(&p, &all.minus(&fold), &["x".into()]).unwrap();
        assert_eq!(w.feature(2), &[0.0]);
    }

    #[test]
    fn a_label_without_positives_is_an_error() {
        let x = array![[1.0], [2.0]];
        let ds = DatasetBase::new(SparseRows::from_dense(x.view()), array![[false], [false]]);
        let err = NbParams::new().check().unwrap().fit(&ds).unwrap_err();
        assert!(err.to_string().contains("no positive"), "{err}");
    }
}
