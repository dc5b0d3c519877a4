//! NB-LR: naive Bayes log-count ratios as feature scales, logistic regression on top (Wang &
//! Manning 2012, "Baselines and Bigrams", the NBSVM family, with a logistic loss).
//!
//! Naive Bayes counts correlated evidence as independent votes; a linear model learned on top of
//! its ratios weighs them against each other. Per label:
//!
//! - `r_j = idf_j · (log θ_pos,j − log θ_neg,j)`, the multinomial log-count ratio with Lidstone
//!   smoothing α, computed from the counts the model keeps (so [`learn`](crate::Classifier) and
//!   forget change `r` exactly, like any naive Bayes weight);
//! - a comment's weighted values `x` (the same `ln(1 + tf)`, length-normalized values naive
//!   Bayes sees) are scaled to `x̃_j = r_j x_j`;
//! - `z = b + Σ_j w_j x̃_j`, `P = σ(z)`, with `w` and `b` fitted by FTRL-proximal (McMahan et
//!   al. 2013) on the logistic loss with an L2 penalty λ: per-coordinate adaptive steps, sparse
//!   updates, a fixed row order, so the same rows give the same bytes;
//! - Wang & Manning's interpolation `w' = (1 − β)·mean|w| + β·w` (β = 1: none).
//!
//! The scoring weight of feature `j` is `r_j · w'_j`: the scorer's sum is the same dot product
//! as plain naive Bayes, so NB-LR scores at naive Bayes' speed. Only `w` and `b` are stored;
//! `r` is derived from the counts at load.
//!
//! Rows stream: each epoch is one more read of the rows, from the first pass's featurized
//! copy on disk when the trainer keeps one (`Trainer::keep_rows`), else from the training
//! files. Within blocks of [`BLOCK_ROWS`] consecutive rows the order is shuffled with a fixed
//! generator, so files sorted by label do not leave the model leaning towards the last class
//! seen. Out-of-fold scores for
//! thresholds and calibration come from one model per fold trained in the same passes on the
//! other folds' rows, each with ratios from its own counts (the total minus its fold).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::nb::{sigmoid, Weights};
use crate::train::splitmix64;

/// Rows shuffled together in each epoch.
pub const BLOCK_ROWS: usize = 4096;

/// Hyper-parameters of the NB-LR head.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `epochs` | 2 | passes of FTRL over the rows (each reads the rows once more) | 1..=100 |
/// | `l2` | 100 | L2 penalty λ on the weights | [0, 1e6] |
/// | `rate` | 1.0 | FTRL's learning rate α | (0, 100] |
/// | `beta` | 1.0 | Wang & Manning's interpolation towards the mean weight (1: none) | [0, 1] |
///
/// The defaults were chosen by cross-validation on five rows of public data (docs/accuracy.md):
/// the best mean rank across the rows, and no row worse than third of the configurations tried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinearParams {
    epochs: u32,
    l2: f64,
    rate: f64,
    beta: f64,
}

/// As `inspect` shows them: `epochs 2, l2 100, rate 1, beta 1`.
impl std::fmt::Display for LinearParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "epochs {}, l2 {}, rate {}, beta {}",
            self.epochs, self.l2, self.rate, self.beta
        )
    }
}

impl Default for LinearParams {
    fn default() -> Self {
        LinearParams {
            epochs: 2,
            l2: 100.0,
            rate: 1.0,
            beta: 1.0,
        }
    }
}

impl LinearParams {
    /// The defaults (see the table above).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the number of epochs.
    pub fn epochs(mut self, epochs: u32) -> Self {
        self.epochs = epochs;
        self
    }

    /// Sets the L2 penalty.
    pub fn l2(mut self, l2: f64) -> Self {
        self.l2 = l2;
        self
    }

    /// Sets FTRL's learning rate.
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = rate;
        self
    }

    /// Sets the interpolation β.
    pub fn beta(mut self, beta: f64) -> Self {
        self.beta = beta;
        self
    }

    /// Number of epochs.
    pub fn n_epochs(&self) -> u32 {
        self.epochs
    }

    /// Checks every value against the range where the math is finite.
    pub fn check(self) -> Result<Self> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParam {
                name,
                value,
                reason,
            })
        };
        if !(1..=100).contains(&self.epochs) {
            return bad("epochs", self.epochs.to_string(), "must be from 1 to 100");
        }
        if !(self.l2.is_finite() && (0.0..=1e6).contains(&self.l2)) {
            return bad("l2", self.l2.to_string(), "must be in [0, 1e6]");
        }
        if !(self.rate.is_finite() && self.rate > 0.0 && self.rate <= 100.0) {
            return bad("rate", self.rate.to_string(), "must be in (0, 100]");
        }
        if !(self.beta.is_finite() && (0.0..=1.0).contains(&self.beta)) {
            return bad("beta", self.beta.to_string(), "must be in [0, 1]");
        }
        Ok(self)
    }
}

/// A fitted NB-LR head: the linear weights on the ratio-scaled features, feature-major
/// (`n_features × n_labels`), one bias per label, and what moderators' feedback added since
/// training (`learned`, the same shape, or empty): per feature and label the sum of the
/// learned comments' signed steps, and (`learned_count`) how many learned comments hold the
/// feature with a verdict for the label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Linear {
    pub(crate) params: LinearParams,
    pub(crate) w: Vec<f32>,
    pub(crate) bias: Vec<f64>,
    pub(crate) learned: Vec<f64>,
    /// Stored after the rest of the model file's payload (format version 5), not here, so that
    /// older files decode; empty in a model learned on by an older build, whose learned
    /// weights are sums (each as if one comment had added it).
    #[serde(skip)]
    pub(crate) learned_count: Vec<f64>,
}

/// The step one learned comment adds to each of its features' learned sums, per unit of
/// feature value, towards its verdict: `learned_j += ±LEARN_STEP · x_j`, and one to the
/// feature's count. A feature scores the mean of its steps (`learned_j / count_j`), not their
/// sum: a comment's values have unit L2 norm, so a comment whose features no other learned
/// comment holds moves its own log-odds by `LEARN_STEP` (the odds by a factor e), and a
/// similar comment's by their cosine similarity; but a feature many learned comments share
/// (a common word) takes their average vote, at most its value in one comment, where the
/// sum grew without bound (a few hundred spam decisions flagged every comment holding their
/// common words). Sums and counts do not depend on the model at the time (as a gradient
/// step would), so forgetting takes out what learning put in, in any order.
pub(crate) const LEARN_STEP: f64 = 1.0;

impl Linear {
    /// Checks the shapes and values against a model of `n_features × n_labels`.
    pub(crate) fn is_valid(&self, n_features: usize, n_labels: usize) -> bool {
        self.w.len() == n_features * n_labels
            && (self.learned.is_empty() || self.learned.len() == self.w.len())
            && self.learned.iter().all(|v| v.is_finite())
            && (self.learned_count.is_empty() || self.learned_count.len() == self.w.len())
            && self
                .learned_count
                .iter()
                .all(|c| c.is_finite() && *c >= 0.0)
            && self.bias.len() == n_labels
            && self.w.iter().all(|w| w.is_finite())
            && self.bias.iter().all(|b| b.is_finite())
            && self.params.check().is_ok()
    }

    /// Feature `i`'s (feature-major, by label) learned log-odds weight: the mean of its
    /// learned steps, or their sum in a model learned on before the counts were kept.
    fn learned_weight(&self, i: usize) -> f64 {
        let sum = self.learned.get(i).copied().unwrap_or(0.0);
        if self.learned_count.is_empty() {
            return sum;
        }
        match self.learned_count[i] {
            n if n >= 0.5 => sum / n,
            _ => 0.0,
        }
    }

    /// The scoring weights `r_j · w'_j + learned_j` from the ratios `r`.
    pub(crate) fn apply(&self, ratios: &Weights) -> Weights {
        let n_labels = self.bias.len();
        let beta = self.params.beta;
        let mut mean = vec![0.0; n_labels];
        if beta < 1.0 {
            // Over the features the ratios use, as the fold models' out-of-fold scores take
            // it (`Ftrl::mean_abs_weights`): over every column, `cv`'s models (whose columns
            // are every fold's features) divided by features they never saw, and scored
            // lower than the scores their thresholds were tuned on.
            let mut features = 0_usize;
            for (f, row) in self.w.chunks_exact(n_labels.max(1)).enumerate() {
                if ratios.feature(f as u32).iter().all(|&r| r == 0.0) {
                    continue;
                }
                features += 1;
                for (m, &w) in mean.iter_mut().zip(row) {
                    *m += f64::from(w).abs();
                }
            }
            mean.iter_mut().for_each(|m| *m /= features.max(1) as f64);
        }
        let w = self
            .w
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let (f, l) = (i / n_labels, i % n_labels);
                let r = ratios.feature(f as u32)[l];
                r * ((1.0 - beta) * mean[l] + beta * f64::from(w)) + self.learned_weight(i)
            })
            .collect();
        Weights::from_parts(w, self.bias.clone())
    }
}

/// One coordinate of an FTRL model: `(r, z, n)`, the NB ratio that scales its feature and
/// FTRL's `z` and `n` sums, side by side so a step reads one stretch of memory instead of three
/// arrays. A tuple, not a struct, so that a table of them starts as zeroed memory the system
/// hands out untouched: the coordinates of features no row moves (a ratio of zero) then cost
/// no memory, as they did when `z` and `n` were arrays of their own.
type Coord = (f64, f32, f32);

/// FTRL-proximal state of one model (all labels): per coordinate its ratio and the `z` and `n`
/// sums.
#[derive(Debug, Clone)]
pub(crate) struct Ftrl {
    n_labels: usize,
    coords: Vec<Coord>,
    bias_z: Vec<f64>,
    bias_n: Vec<f64>,
    l2: f64,
    rate: f64,
}

/// FTRL's β (its learning-rate offset, not Wang & Manning's): 1, as McMahan et al. suggest.
const FTRL_BETA: f64 = 1.0;

/// One coordinate's forward step for value `x`: its scaled value x̃, its weight and √n, or
/// zeros when x̃ is 0 (a coordinate with no ratio never learns).
#[inline(always)]
fn forward<const UNIT_RATE: bool>(c: Coord, x: f64, rate: f64, l2: f64) -> (f64, f64, f64) {
    let xt = c.0 * x;
    if xt == 0.0 {
        return (0.0, 0.0, 0.0);
    }
    let sqrt_n = f64::from(c.2).sqrt();
    let w = -f64::from(c.1) / (per_rate::<UNIT_RATE>(FTRL_BETA + sqrt_n, rate) + l2);
    (xt, w, sqrt_n)
}

/// `x / rate`, where a unit rate (the default) skips the division: `x / 1.0` is `x` exactly.
#[inline(always)]
fn per_rate<const UNIT: bool>(x: f64, rate: f64) -> f64 {
    if UNIT {
        x
    } else {
        x / rate
    }
}

/// Asks for the cache line holding the start of `items` (a hint; no effect on results).
#[inline(always)]
pub(crate) fn prefetch<T>(items: &[T]) {
    #[cfg(target_arch = "x86_64")]
    if let Some(first) = items.first() {
        safe_arch::prefetch_t0(first);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = items;
}

/// Two square roots at once, each exactly as `f64::sqrt` rounds it.
#[inline(always)]
fn sqrt2(v: [f64; 2]) -> [f64; 2] {
    #[cfg(target_arch = "x86_64")]
    return safe_arch::sqrt_m128d(safe_arch::m128d::from_array(v)).to_array();
    #[cfg(not(target_arch = "x86_64"))]
    return [v[0].sqrt(), v[1].sqrt()];
}

/// Two divisions at once, each exactly as `/` rounds it.
#[inline(always)]
fn div2(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    #[cfg(target_arch = "x86_64")]
    return safe_arch::div_m128d(
        safe_arch::m128d::from_array(a),
        safe_arch::m128d::from_array(b),
    )
    .to_array();
    #[cfg(not(target_arch = "x86_64"))]
    return [a[0] / b[0], a[1] / b[1]];
}

impl Ftrl {
    /// A model at zero on the features scaled by `ratios`.
    pub(crate) fn new(ratios: &Weights, p: &LinearParams) -> Ftrl {
        let n_labels = ratios.n_labels();
        Ftrl {
            n_labels,
            coords: {
                let mut coords: Vec<Coord> = vec![(0.0, 0.0, 0.0); ratios.values().len()];
                for (c, &r) in coords.iter_mut().zip(ratios.values()) {
                    if r.to_bits() != 0 {
                        c.0 = r;
                    }
                }
                coords
            },
            bias_z: vec![0.0; n_labels],
            bias_n: vec![0.0; n_labels],
            l2: p.l2,
            rate: p.rate,
        }
    }

    #[inline]
    fn weight(z: f64, n: f64, rate: f64, l2: f64) -> f64 {
        -z / ((FTRL_BETA + n.sqrt()) / rate + l2)
    }

    /// Log-odds per label of one row under the current weights.
    pub(crate) fn log_odds(&self, row: &[(u32, f64)], out: &mut [f64]) {
        let l = self.n_labels;
        for (k, o) in out.iter_mut().enumerate() {
            *o = Self::weight(self.bias_z[k], self.bias_n[k], self.rate, 0.0);
        }
        for &(f, x) in row {
            let at = f as usize * l;
            for (o, c) in out.iter_mut().zip(&self.coords[at..at + l]) {
                if c.0 != 0.0 {
                    let w = Self::weight(f64::from(c.1), f64::from(c.2), self.rate, self.l2);
                    *o += w * c.0 * x;
                }
            }
        }
    }

    /// Per label, the mean `|w|` over the features the ratios use (a ratio not zero for some
    /// label), each weight rounded to `f32` as the head stores it: the mean towards which
    /// [`Linear::apply`] interpolates with `beta` below 1, taken there over the vocabulary
    /// kept, whose features are the ones with ratios.
    fn mean_abs_weights(&self) -> Vec<f64> {
        let l = self.n_labels;
        let mut sums = vec![0.0; l];
        let mut features = 0_usize;
        for row in self.coords.chunks_exact(l.max(1)) {
            if row.iter().all(|c| c.0 == 0.0) {
                continue;
            }
            features += 1;
            for (sum, c) in sums.iter_mut().zip(row) {
                let w = Self::weight(f64::from(c.1), f64::from(c.2), self.rate, self.l2) as f32;
                *sum += f64::from(w).abs();
            }
        }
        sums.iter().map(|s| s / features.max(1) as f64).collect()
    }

    /// [`log_odds`](Self::log_odds) with Wang & Manning's interpolation, as the head scores
    /// ([`Linear::apply`]): each weight `w` counts as `(1 - beta) · mean + beta · w`.
    fn log_odds_interpolated(&self, row: &[(u32, f64)], beta: f64, mean: &[f64], out: &mut [f64]) {
        let l = self.n_labels;
        for (k, o) in out.iter_mut().enumerate() {
            *o = Self::weight(self.bias_z[k], self.bias_n[k], self.rate, 0.0);
        }
        for &(f, x) in row {
            let at = f as usize * l;
            for ((o, c), m) in out.iter_mut().zip(&self.coords[at..at + l]).zip(mean) {
                if c.0 != 0.0 {
                    let w = Self::weight(f64::from(c.1), f64::from(c.2), self.rate, self.l2);
                    *o += ((1.0 - beta) * m + beta * f64::from(w as f32)) * c.0 * x;
                }
            }
        }
    }

    /// One FTRL step on one row for every label it carries (`known`, `None`: all). Each
    /// coordinate's weight and `√n` are computed once, for the prediction, and kept in `buf`
    /// for the step.
    pub(crate) fn update(
        &mut self,
        row: &[(u32, f64)],
        labels: &[bool],
        known: Option<&[bool]>,
        z: &mut [f64],
        buf: &mut Vec<(f64, f64, f64)>,
    ) {
        // The common cases compiled apart: a unit rate (the default), and one label.
        match (self.rate == 1.0, self.n_labels == 1) {
            (unit, true) => {
                let carried = known.is_none_or(|k| k[0]);
                if unit {
                    self.update_one::<true>(row, labels[0], carried, z, buf);
                } else {
                    self.update_one::<false>(row, labels[0], carried, z, buf);
                }
            }
            (true, false) => self.update_with::<true>(row, labels, known, z, buf),
            (false, false) => self.update_with::<false>(row, labels, known, z, buf),
        }
    }

    /// [`update`](Self::update) for any number of labels.
    #[inline(always)]
    fn update_with<const UNIT_RATE: bool>(
        &mut self,
        row: &[(u32, f64)],
        labels: &[bool],
        known: Option<&[bool]>,
        z: &mut [f64],
        buf: &mut Vec<(f64, f64, f64)>,
    ) {
        let carried = |k: usize| known.is_none_or(|known| known[k]);
        let (l, rate, l2) = (self.n_labels, self.rate, self.l2);
        buf.clear();
        for (k, o) in z.iter_mut().enumerate() {
            *o = Self::weight(self.bias_z[k], self.bias_n[k], rate, 0.0);
        }
        // The row's coordinates are scattered over a table larger than the caches: ask for
        // them all at once, so that the misses overlap instead of stalling one after another.
        for &(f, _) in row {
            prefetch(&self.coords[f as usize * l..]);
        }
        // Per (feature, label): the scaled value x̃, the weight, and √n.
        for &(f, x) in row {
            let at = f as usize * l;
            for (zk, &c) in z.iter_mut().zip(&self.coords[at..at + l]) {
                let (xt, w, sqrt_n) = forward::<UNIT_RATE>(c, x, rate, l2);
                if xt != 0.0 {
                    *zk += w * xt;
                }
                buf.push((xt, w, sqrt_n));
            }
        }
        // The gradient of the logistic loss in the log-odds, once per label.
        for (k, g) in z.iter_mut().enumerate() {
            *g = sigmoid(*g) - f64::from(u8::from(labels[k]));
        }
        for (k, &g) in z.iter().enumerate() {
            if !carried(k) {
                continue;
            }
            let w = Self::weight(self.bias_z[k], self.bias_n[k], rate, 0.0);
            let n = self.bias_n[k];
            let sigma = ((n + g * g).sqrt() - n.sqrt()) / rate;
            self.bias_z[k] += g - sigma * w;
            self.bias_n[k] += g * g;
        }
        let mut next = buf.iter();
        for &(f, _) in row {
            let at = f as usize * l;
            for (k, (&gk, c)) in z.iter().zip(&mut self.coords[at..at + l]).enumerate() {
                let &(xt, w, sqrt_n) = next.next().expect("one entry per feature and label");
                if xt == 0.0 || !carried(k) {
                    continue;
                }
                let g = gk * xt;
                let n = f64::from(c.2);
                let sigma = per_rate::<UNIT_RATE>((n + g * g).sqrt() - sqrt_n, rate);
                c.1 = (f64::from(c.1) + g - sigma * w) as f32;
                c.2 = (n + g * g) as f32;
            }
        }
    }

    /// [`update`](Self::update) for one label: the same arithmetic, two coordinates at a time
    /// where square roots and divisions bound the speed, each lane rounded as the scalar
    /// operation would be, so the bytes are the same.
    #[inline(always)]
    fn update_one<const UNIT_RATE: bool>(
        &mut self,
        row: &[(u32, f64)],
        label: bool,
        carried: bool,
        z: &mut [f64],
        buf: &mut Vec<(f64, f64, f64)>,
    ) {
        let (rate, l2) = (self.rate, self.l2);
        buf.clear();
        for &(f, _) in row {
            prefetch(&self.coords[f as usize..]);
        }
        let mut sum = Self::weight(self.bias_z[0], self.bias_n[0], rate, 0.0);
        let mut pairs = row.chunks_exact(2);
        for pair in &mut pairs {
            let (a, b) = (
                self.coords[pair[0].0 as usize],
                self.coords[pair[1].0 as usize],
            );
            let xt = [a.0 * pair[0].1, b.0 * pair[1].1];
            let sqrt_n = sqrt2([f64::from(a.2), f64::from(b.2)]);
            let scale = [FTRL_BETA + sqrt_n[0], FTRL_BETA + sqrt_n[1]];
            let scale = if UNIT_RATE {
                scale
            } else {
                div2(scale, [rate, rate])
            };
            let w = div2(
                [-f64::from(a.1), -f64::from(b.1)],
                [scale[0] + l2, scale[1] + l2],
            );
            for k in 0..2 {
                if xt[k] == 0.0 {
                    buf.push((0.0, 0.0, 0.0));
                } else {
                    sum += w[k] * xt[k];
                    buf.push((xt[k], w[k], sqrt_n[k]));
                }
            }
        }
        for &(f, x) in pairs.remainder() {
            let (xt, w, sqrt_n) = forward::<UNIT_RATE>(self.coords[f as usize], x, rate, l2);
            if xt != 0.0 {
                sum += w * xt;
            }
            buf.push((xt, w, sqrt_n));
        }
        let g = sigmoid(sum) - f64::from(u8::from(label));
        z[0] = g;
        if !carried {
            return;
        }
        let w = Self::weight(self.bias_z[0], self.bias_n[0], rate, 0.0);
        let n = self.bias_n[0];
        let sigma = ((n + g * g).sqrt() - n.sqrt()) / rate;
        self.bias_z[0] += g - sigma * w;
        self.bias_n[0] += g * g;
        // One coordinate's step from its entry in `buf`, its `g` and its new `n`'s root.
        let step = |c: &mut Coord, (xt, w, sqrt_n): (f64, f64, f64), g: f64, nn: f64, s: f64| {
            if xt != 0.0 {
                let sigma = per_rate::<UNIT_RATE>(s - sqrt_n, rate);
                c.1 = (f64::from(c.1) + g - sigma * w) as f32;
                c.2 = nn as f32;
            }
        };
        let mut entries = buf.chunks_exact(2);
        let mut pairs = row.chunks_exact(2);
        for (pair, e) in (&mut pairs).zip(&mut entries) {
            let (ia, ib) = (pair[0].0 as usize, pair[1].0 as usize);
            let ga = g * e[0].0;
            let gb = g * e[1].0;
            let na = f64::from(self.coords[ia].2) + ga * ga;
            let nb = f64::from(self.coords[ib].2) + gb * gb;
            let s = sqrt2([na, nb]);
            step(&mut self.coords[ia], e[0], ga, na, s[0]);
            step(&mut self.coords[ib], e[1], gb, nb, s[1]);
        }
        for (&(f, _), &e) in pairs.remainder().iter().zip(entries.remainder()) {
            let gf = g * e.0;
            let nn = f64::from(self.coords[f as usize].2) + gf * gf;
            step(&mut self.coords[f as usize], e, gf, nn, nn.sqrt());
        }
    }

    /// The fitted head, with features renumbered: new column `c` is old column `order[c]`.
    pub(crate) fn into_linear(self, params: LinearParams, order: &[u32]) -> Linear {
        let l = self.n_labels;
        let mut w = Vec::with_capacity(order.len() * l);
        for &old in order {
            let at = old as usize * l;
            for c in &self.coords[at..at + l] {
                w.push(Self::weight(f64::from(c.1), f64::from(c.2), self.rate, self.l2) as f32);
            }
        }
        let bias = (0..l)
            .map(|k| Self::weight(self.bias_z[k], self.bias_n[k], self.rate, 0.0))
            .collect();
        Linear {
            params,
            w,
            bias,
            learned: Vec::new(),
            learned_count: Vec::new(),
        }
    }
}

/// A training row of a block: its features, labels, which labels it carries (`None`: all),
/// fold (`None`: in every model) and whether its out-of-fold log-odds are wanted.
pub(crate) struct BlockRow<'a> {
    pub features: &'a [(u32, f64)],
    pub labels: &'a [bool],
    pub known: Option<&'a [bool]>,
    pub fold: Option<usize>,
    pub want: bool,
}

/// Several FTRL models trained in the same passes: one per fold (on the other folds' rows) and
/// the full model last.
#[derive(Debug)]
pub(crate) struct LinearFit {
    params: LinearParams,
    n_labels: usize,
    models: Vec<Ftrl>,
    seed: u64,
}

impl LinearFit {
    /// `ratios` holds each fold's ratios, then the full model's; each is dropped once its model
    /// holds a copy.
    pub(crate) fn new(params: LinearParams, ratios: Vec<Weights>) -> Self {
        let n_labels = ratios.last().map_or(0, Weights::n_labels);
        let models = ratios.into_iter().map(|r| Ftrl::new(&r, &params)).collect();
        LinearFit {
            params,
            n_labels,
            models,
            seed: 0,
        }
    }

    pub(crate) fn params(&self) -> &LinearParams {
        &self.params
    }

    /// Learns one block of rows in a shuffled order fixed by `(seed, epoch, block)`; the models
    /// learn in parallel, each in that order. Returns, for each row with `want`, the log-odds
    /// of its fold's model just before that model would have seen it (it never does), in
    /// `oof[row * n_labels..]`.
    pub(crate) fn block(&mut self, rows: &[BlockRow<'_>], key: u64, oof: &mut Vec<f64>) {
        let n_labels = self.n_labels;
        let mut order: Vec<usize> = (0..rows.len()).collect();
        // Fisher-Yates with SplitMix64, so the order is the same everywhere.
        let mut state = splitmix64(self.seed ^ key);
        for i in (1..order.len()).rev() {
            state = splitmix64(state);
            order.swap(i, (state % (i as u64 + 1)) as usize);
        }
        oof.clear();
        oof.resize(rows.len() * n_labels, 0.0);
        let full = self.models.len() - 1;
        let beta = self.params.beta;
        let outs: Vec<Vec<(usize, Vec<f64>)>> = self
            .models
            .par_iter_mut()
            .enumerate()
            .map(|(m, model)| {
                let mut z = vec![0.0; n_labels];
                let mut buf = Vec::new();
                let mut found = Vec::new();
                // With beta below 1 the out-of-fold scores interpolate as the head will, or
                // thresholds and calibration fit other scores than the model gives (with beta
                // 0, F1 0 in every fold of `cv` at an AUC of 0.99). The mean moves as the model
                // learns, and a pass over every weight per row would cost more than the row, so
                // the held-out rows are scored when the block is learned, weights and mean of
                // the same moment. (With beta 1 each is scored as it comes, as before.)
                let interpolate = beta < 1.0 && m != full;
                let mut held = Vec::new();
                for (j, &i) in order.iter().enumerate() {
                    // The block is larger than the caches and read in shuffled order: ask for
                    // the next row's features while this one learns.
                    if let Some(&next) = order.get(j + 1) {
                        for entry in rows[next].features.iter().step_by(4) {
                            prefetch(std::slice::from_ref(entry));
                        }
                    }
                    let row = &rows[i];
                    if m != full && row.fold == Some(m) {
                        if row.want && interpolate {
                            held.push(i);
                        } else if row.want {
                            model.log_odds(row.features, &mut z);
                            found.push((i, z.clone()));
                        }
                        continue;
                    }
                    model.update(row.features, row.labels, row.known, &mut z, &mut buf);
                }
                if !held.is_empty() {
                    let mean = model.mean_abs_weights();
                    for i in held {
                        model.log_odds_interpolated(rows[i].features, beta, &mean, &mut z);
                        found.push((i, z.clone()));
                    }
                }
                found
            })
            .collect();
        for (i, z) in outs.into_iter().flatten() {
            oof[i * n_labels..(i + 1) * n_labels].copy_from_slice(&z);
        }
    }

    /// The full model's head, renumbered by `order` (see [`Ftrl::into_linear`]).
    pub(crate) fn finish(mut self, order: &[u32]) -> Linear {
        let full = self.models.pop().expect("the full model is last");
        full.into_linear(self.params, order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ratios of 1 for every feature and label.
    fn unit_ratios(n_features: usize, n_labels: usize) -> Weights {
        Weights::from_parts(vec![1.0; n_features * n_labels], vec![0.0; n_labels])
    }

    /// A row that does not carry a label leaves that label's weights and bias exactly as they
    /// were, while the labels it carries learn.
    #[test]
    fn a_row_moves_only_the_labels_it_carries() {
        let p = LinearParams::new();
        let mut m = Ftrl::new(&unit_ratios(2, 2), &p);
        let (mut z, mut buf) = (vec![0.0; 2], Vec::new());
        m.update(&[(0, 1.0)], &[true, false], None, &mut z, &mut buf);
        let before = m.clone();
        m.update(
            &[(0, 0.6), (1, 0.8)],
            &[false, true],
            Some(&[false, true]),
            &mut z,
            &mut buf,
        );
        let label =
            |v: &[Coord], k: usize| v.iter().skip(k).step_by(2).copied().collect::<Vec<_>>();
        assert_eq!(label(&m.coords, 0), label(&before.coords, 0));
        assert_eq!(m.bias_z[0].to_bits(), before.bias_z[0].to_bits());
        assert_eq!(m.bias_n[0].to_bits(), before.bias_n[0].to_bits());
        assert_ne!(label(&m.coords, 1), label(&before.coords, 1));
        assert_ne!(m.bias_n[1], before.bias_n[1]);
    }

    /// The one-label step (two coordinates at a time) must give, bit for bit, what the step for
    /// any number of labels gives: rows of odd and even lengths, ratios of zero, rows that do
    /// not carry the label, unit and other rates.
    #[test]
    fn the_one_label_step_is_the_general_step_bit_for_bit() {
        let n_features = 50;
        let ratios: Vec<f64> = (0..n_features)
            .map(|f| {
                if f % 7 == 3 {
                    0.0
                } else {
                    (f as f64 - 20.0) / 9.0
                }
            })
            .collect();
        let r = Weights::from_parts(ratios, vec![0.0]);
        for rate in [1.0, 0.3] {
            let p = LinearParams::new().rate(rate).l2(0.5);
            let (mut one, mut general) = (Ftrl::new(&r, &p), Ftrl::new(&r, &p));
            let (mut z, mut buf) = (vec![0.0], Vec::new());
            let mut state = 7;
            for i in 0..400u64 {
                let mut row: Vec<(u32, f64)> = Vec::new();
                for _ in 0..(i % 9) {
                    state = crate::train::splitmix64(state);
                    let f = (state % n_features as u64) as u32;
                    if !row.iter().any(|&(g, _)| g == f) {
                        row.push((f, (state >> 40) as f64 / (1u64 << 24) as f64));
                    }
                }
                let (label, known) = ([i % 3 == 0], [i % 5 != 0]);
                one.update(&row, &label, Some(&known), &mut z, &mut buf);
                general.update_with::<false>(&row, &label, Some(&known), &mut z, &mut buf);
            }
            let bits = |m: &Ftrl| -> Vec<(u64, u32, u32)> {
                m.coords
                    .iter()
                    .map(|c| (c.0.to_bits(), c.1.to_bits(), c.2.to_bits()))
                    .collect()
            };
            assert_eq!(bits(&one), bits(&general), "rate {rate}");
            assert_eq!(one.bias_z[0].to_bits(), general.bias_z[0].to_bits());
            assert!(one.coords.iter().filter(|c| c.2 > 0.0).count() > 30);
        }
    }

    #[test]
    fn ftrl_learns_a_separable_problem() {
        let p = LinearParams::new().l2(0.1).rate(0.5);
        let mut m = Ftrl::new(&unit_ratios(3, 1), &p);
        let (mut z, mut buf) = (vec![0.0], Vec::new());
        let pos: &[(u32, f64)] = &[(0, 1.0), (2, 0.5)];
        let neg: &[(u32, f64)] = &[(1, 1.0), (2, 0.5)];
        for _ in 0..200 {
            m.update(pos, &[true], None, &mut z, &mut buf);
            m.update(neg, &[false], None, &mut z, &mut buf);
        }
        m.log_odds(pos, &mut z);
        assert!(z[0] > 2.0, "positive row: {}", z[0]);
        m.log_odds(neg, &mut z);
        assert!(z[0] < -2.0, "negative row: {}", z[0]);
        let lin = m.into_linear(p, &[0, 1, 2]);
        assert!(lin.w[0] > 0.0 && lin.w[1] < 0.0);
        // The shared feature carries no evidence: its weight stays small.
        assert!(lin.w[2].abs() < lin.w[0].abs() / 4.0, "{:?}", lin.w);
    }

    #[test]
    fn a_zero_ratio_feature_is_never_learned() {
        let p = LinearParams::new();
        let r = Weights::from_parts(vec![1.0, 0.0], vec![0.0]);
        let mut m = Ftrl::new(&r, &p);
        let (mut z, mut buf) = (vec![0.0], Vec::new());
        for _ in 0..10 {
            m.update(&[(0, 1.0), (1, 1.0)], &[true], None, &mut z, &mut buf);
        }
        let lin = m.into_linear(p, &[0, 1]);
        assert_eq!(lin.w[1], 0.0);
        assert!(lin.w[0] > 0.0);
    }

    #[test]
    fn interpolation_pulls_weights_to_their_mean_magnitude() {
        let lin = Linear {
            params: LinearParams::new().beta(0.0),
            w: vec![2.0, -4.0],
            bias: vec![0.5],
            learned: Vec::new(),
            learned_count: Vec::new(),
        };
        let r = unit_ratios(2, 1);
        let eff = lin.apply(&r);
        assert_eq!(eff.feature(0), &[3.0]);
        assert_eq!(eff.feature(1), &[3.0]);
        let lin = Linear {
            params: LinearParams::new(),
            ..lin
        };
        assert_eq!(lin.apply(&r).feature(1), &[-4.0]);
    }

    #[test]
    fn out_of_range_values_are_refused() {
        assert!(LinearParams::new().epochs(0).check().is_err());
        assert!(LinearParams::new().l2(f64::NAN).check().is_err());
        assert!(LinearParams::new().l2(1e308).check().is_err());
        assert!(LinearParams::new().rate(0.0).check().is_err());
        assert!(LinearParams::new().beta(1.5).check().is_err());
        assert!(LinearParams::new().check().is_ok());
    }

    #[test]
    fn fold_models_skip_their_own_rows_and_report_them() {
        let p = LinearParams::new();
        let ratios = vec![unit_ratios(2, 1), unit_ratios(2, 1), unit_ratios(2, 1)];
        let mut fit = LinearFit::new(p, ratios);
        let a: &[(u32, f64)] = &[(0, 1.0)];
        let b: &[(u32, f64)] = &[(1, 1.0)];
        let rows = [
            BlockRow {
                features: a,
                labels: &[true],
                known: None,
                fold: Some(0),
                want: true,
            },
            BlockRow {
                features: b,
                labels: &[false],
                known: None,
                fold: Some(1),
                want: true,
            },
        ];
        let mut oof = Vec::new();
        for epoch in 0..5 {
            fit.block(&rows, epoch, &mut oof);
        }
        // Fold 0's model never saw row 0 (the only row with feature 0), so it has no opinion
        // about it beyond its bias, which row 1 (negative) pushed down.
        assert!(oof[0] < 0.0, "{oof:?}");
        let lin = fit.finish(&[0, 1]);
        assert!(lin.w[0] > 0.0 && lin.w[1] < 0.0);
    }
}
