//! Calibration: maps naive Bayes log-odds, which are far too extreme, to probabilities that
//! mean what they say (of the comments scored about 0.8, about 80% are positive).
//!
//! Both maps are fitted on out-of-fold log-odds and are non-decreasing, so they never change
//! which of two comments ranks higher.

use serde::{Deserialize, Serialize};

use crate::nb::sigmoid;

/// Which calibration map to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalibrationKind {
    /// The raw naive Bayes probability σ(z).
    None,
    /// Platt scaling: σ(a·z + b).
    Platt,
    /// Isotonic regression (pool adjacent violators), interpolated linearly.
    Isotonic,
}

/// A fitted calibration map from log-odds to probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Calibration {
    /// σ(z).
    Identity,
    /// σ(a·z + b).
    Platt {
        /// Slope.
        a: f64,
        /// Intercept.
        b: f64,
    },
    /// Piecewise-linear through `(z[i], p[i])`, flat outside; `z` ascending.
    Isotonic {
        /// Log-odds breakpoints.
        z: Vec<f64>,
        /// Probabilities at the breakpoints.
        p: Vec<f64>,
    },
}

/// Isotonic probabilities are kept this far from 0 and 1: a few hundred training rows cannot
/// justify certainty.
const ISOTONIC_MARGIN: f64 = 1e-3;

/// The share of σ(z) blended into an isotonic map: it breaks ties between comments within a flat
/// run (at a few parts in a million or less, which is why `score` prints probabilities in full),
/// too little to move calibration (at most 0.001).
const ISOTONIC_TIE_BREAK: f64 = 1e-3;

impl Calibration {
    /// Fits a map of `kind` to log-odds `z` with outcomes `y`.
    pub fn fit(kind: CalibrationKind, z: &[f64], y: &[bool]) -> Calibration {
        match kind {
            CalibrationKind::None => Calibration::Identity,
            CalibrationKind::Platt => platt(z, y),
            CalibrationKind::Isotonic => isotonic(z, y, true),
        }
    }

    /// The calibrated probability for log-odds `z`.
    pub fn apply(&self, z: f64) -> f64 {
        match self {
            Calibration::Identity => sigmoid(z),
            Calibration::Platt { a, b } => sigmoid(a * z + b),
            Calibration::Isotonic { z: xs, p } => {
                if xs.is_empty() {
                    return sigmoid(z);
                }
                let i = xs.partition_point(|&x| x <= z);
                let steps = if i == 0 {
                    // Beyond the end points the map follows σ's shape towards 0 and 1, rather
                    // than a flat line on which every comment gets the same probability.
                    p[0] * sigmoid(z) / sigmoid(xs[0])
                } else if i == xs.len() {
                    let last = xs.len() - 1;
                    1.0 - (1.0 - p[last]) * sigmoid(-z) / sigmoid(-xs[last])
                } else {
                    let (x0, x1, p0, p1) = (xs[i - 1], xs[i], p[i - 1], p[i]);
                    p0 + (p1 - p0) * (z - x0) / (x1 - x0)
                };
                // A sliver of σ(z) makes the map strictly increasing on flat runs too, so
                // probabilities rank comments exactly as their log-odds do.
                (1.0 - ISOTONIC_TIE_BREAK) * steps + ISOTONIC_TIE_BREAK * sigmoid(z)
            }
        }
    }

    /// True when the map's numbers are usable (finite, probabilities in [0, 1], breakpoints
    /// ascending and non-decreasing).
    pub fn is_valid(&self) -> bool {
        match self {
            Calibration::Identity => true,
            Calibration::Platt { a, b } => a.is_finite() && b.is_finite() && *a >= 0.0,
            Calibration::Isotonic { z, p } => {
                z.len() == p.len()
                    && z.iter().chain(p).all(|v| v.is_finite())
                    && p.iter().all(|v| (0.0..=1.0).contains(v))
                    && z.windows(2).all(|w| w[0] < w[1])
                    && p.windows(2).all(|w| w[0] <= w[1])
            }
        }
    }
}

/// Platt scaling with Platt's smoothed targets, fitted by Newton's method with backtracking
/// (Lin, Lin and Weng 2007, "A note on Platt's probabilistic outputs") on standardized
/// log-odds: complement NB's normalized weights give log-odds a thousand times smaller than
/// multinomial NB's, and an unscaled fit would stop before it starts.
fn platt(z: &[f64], y: &[bool]) -> Calibration {
    let n = z.len().max(1) as f64;
    let mean = z.iter().sum::<f64>() / n;
    let std = (z.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if !(std > 0.0 && std.is_finite()) {
        let positives = y.iter().filter(|&&v| v).count() as f64;
        let b = ((positives + 1.0) / (n - positives + 1.0)).ln();
        return Calibration::Platt { a: 0.0, b };
    }
    let scaled: Vec<f64> = z.iter().map(|v| (v - mean) / std).collect();
    let (a, b) = platt_fit(&scaled, y);
    Calibration::Platt {
        a: a / std,
        b: b - a * mean / std,
    }
}

fn platt_fit(z: &[f64], y: &[bool]) -> (f64, f64) {
    let positives = y.iter().filter(|&&v| v).count() as f64;
    let negatives = y.len() as f64 - positives;
    let hi = (positives + 1.0) / (positives + 2.0);
    let lo = 1.0 / (negatives + 2.0);
    let t: Vec<f64> = y.iter().map(|&v| if v { hi } else { lo }).collect();
    // Loss in terms of f = a·z + b: Σ t·log(1+e^−f) + (1−t)·log(1+e^f).
    let loss = |a: f64, b: f64| -> f64 {
        z.iter()
            .zip(&t)
            .map(|(&zi, &ti)| {
                let f = a * zi + b;
                -ti * crate::nb::log_sigmoid(f) - (1.0 - ti) * crate::nb::log_sigmoid(-f)
            })
            .sum()
    };
    let (mut a, mut b) = (1.0, ((positives + 1.0) / (negatives + 1.0)).ln());
    let mut current = loss(a, b);
    for _ in 0..100 {
        // Gradient and Hessian (with a small ridge for stability).
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 1e-12, 0.0, 1e-12);
        for (&zi, &ti) in z.iter().zip(&t) {
            let p = sigmoid(a * zi + b);
            let d = p - ti;
            let w = p * (1.0 - p);
            ga += d * zi;
            gb += d;
            haa += w * zi * zi;
            hab += w * zi;
            hbb += w;
        }
        if ga.abs() < 1e-9 && gb.abs() < 1e-9 {
            break;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-300 {
            break;
        }
        let da = -(hbb * ga - hab * gb) / det;
        let db = -(haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-10 {
            let (na, nb) = (a + step * da, b + step * db);
            let l = loss(na, nb);
            if l < current - 1e-4 * step * (ga * da + gb * db).abs() || l < current {
                a = na;
                b = nb;
                current = l;
                improved = true;
                break;
            }
            step /= 2.0;
        }
        if !improved {
            break;
        }
    }
    // A negative slope would invert the ranking; naive Bayes log-odds are never anti-correlated
    // with the truth on data they were fitted to, but guard against degenerate folds.
    (a.max(0.0), b)
}

/// Isotonic regression by pool adjacent violators over `z` sorted ascending.
fn isotonic(z: &[f64], y: &[bool], drop_redundant: bool) -> Calibration {
    let mut order: Vec<usize> = (0..z.len()).collect();
    order.sort_by(|&i, &j| z[i].total_cmp(&z[j]));
    // Blocks: (sum of y, count, lowest z, highest z).
    let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        // Equal log-odds form one block: they cannot be told apart.
        let zi = z[order[i]];
        let (mut sum, mut n) = (0.0, 0.0);
        while i < order.len() && crate::metrics::same_score(z[order[i]], zi) {
            sum += f64::from(u8::from(y[order[i]]));
            n += 1.0;
            i += 1;
        }
        blocks.push((sum, n, zi, zi));
        while blocks.len() >= 2 {
            let (s1, n1, lo1, _) = blocks[blocks.len() - 2];
            let (s2, n2, _, hi2) = blocks[blocks.len() - 1];
            if s1 / n1 <= s2 / n2 {
                break;
            }
            blocks.truncate(blocks.len() - 2);
            blocks.push((s1 + s2, n1 + n2, lo1, hi2));
        }
    }
    let mut xs: Vec<f64> = Vec::with_capacity(blocks.len() * 2);
    let mut ps: Vec<f64> = Vec::with_capacity(blocks.len() * 2);
    for (sum, n, lo, hi) in blocks {
        let p = (sum / n).clamp(ISOTONIC_MARGIN, 1.0 - ISOTONIC_MARGIN);
        for x in [lo, hi] {
            if xs.last().is_some_and(|&last| x <= last) {
                continue;
            }
            // A point between two of equal probability changes nothing under linear
            // interpolation: drop it (runs of clamped blocks are common), so scoring searches
            // fewer breakpoints.
            let k = ps.len();
            if drop_redundant && k >= 2 && ps[k - 1] == p && ps[k - 2] == p {
                xs[k - 1] = x;
            } else {
                xs.push(x);
                ps.push(p);
            }
        }
    }
    Calibration::Isotonic { z: xs, p: ps }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12, defect 4: a NaN log-odds stalled pool adjacent violators forever.
    #[test]
    fn isotonic_fitting_ends_on_nan() {
        let z = [1.0, f64::NAN, -1.0, f64::NAN];
        let _ = Calibration::fit(CalibrationKind::Isotonic, &z, &[true, false, false, true]);
    }

    #[test]
    fn platt_recovers_a_known_sigmoid() {
        // Outcomes drawn deterministically from σ(0.5·z − 1): at each z, 200 rows with the
        // matching share of positives.
        let (mut z, mut y) = (Vec::new(), Vec::new());
        for k in -20..=20 {
            let zi = f64::from(k) / 2.0;
            let positives = (sigmoid(0.5 * zi - 1.0) * 200.0).round() as usize;
            for r in 0..200 {
                z.push(zi);
                y.push(r < positives);
            }
        }
        let Calibration::Platt { a, b } = Calibration::fit(CalibrationKind::Platt, &z, &y) else {
            panic!("Platt expected");
        };
        assert!(
            (a - 0.5).abs() < 0.02 && (b + 1.0).abs() < 0.05,
            "a {a} b {b}"
        );
    }

    #[test]
    fn platt_fits_tiny_log_odds_like_complement_nb_gives() {
        let (mut z, mut y) = (Vec::new(), Vec::new());
        for k in -20..=20 {
            let zi = f64::from(k) / 2.0;
            let positives = (sigmoid(0.5 * zi - 1.0) * 200.0).round() as usize;
            for r in 0..200 {
                z.push(zi * 1e-4 + 3e-3);
                y.push(r < positives);
            }
        }
        let c = Calibration::fit(CalibrationKind::Platt, &z, &y);
        let p = c.apply(5.0 * 1e-4 + 3e-3);
        assert!((p - sigmoid(1.5)).abs() < 0.02, "{c:?} gives {p}");
    }

    #[test]
    fn isotonic_pools_violators_and_interpolates() {
        // z: 1 2 3 4 with y: 1 0 1 1 → blocks {1,2} mean 0.5, {3} 1, {4} 1.
        let c = Calibration::fit(
            CalibrationKind::Isotonic,
            &[1.0, 2.0, 3.0, 4.0],
            &[true, false, true, true],
        );
        assert!(c.is_valid());
        let blend = |steps: f64, z: f64| {
            (1.0 - ISOTONIC_TIE_BREAK) * steps + ISOTONIC_TIE_BREAK * sigmoid(z)
        };
        assert!((c.apply(1.5) - blend(0.5, 1.5)).abs() < 1e-12);
        assert!((c.apply(2.5) - blend((0.5 + 0.999) / 2.0, 2.5)).abs() < 1e-12);
        // Beyond the end points: below p[0] and above p[last], still increasing.
        assert!(c.apply(-10.0) < c.apply(-9.0) && c.apply(-9.0) < blend(0.5, 1.0));
        assert!(c.apply(10.0) > c.apply(9.0) && c.apply(10.0) < 1.0);
    }

    /// Regression: the map was flat beyond its end points and along runs of equal probability,
    /// so a queue sorted by probability could not order those comments (issue 15, item 9).
    #[test]
    fn isotonic_probabilities_rank_as_the_log_odds_do() {
        let (mut z, mut y) = (Vec::new(), Vec::new());
        for k in 0..2000u64 {
            let x = (crate::train::splitmix64(k) % 20_000) as f64 / 1000.0 - 10.0;
            let u = (crate::train::splitmix64(k ^ 0xABCD) % 1000) as f64 / 1000.0;
            z.push(x);
            y.push(u < sigmoid(0.7 * x - 0.5));
        }
        let c = Calibration::fit(CalibrationKind::Isotonic, &z, &y);
        let p: Vec<f64> = z.iter().map(|&v| c.apply(v)).collect();
        let m_z = crate::metrics::binary_metrics(&z, &p, &y, 0.5);
        let m_p = crate::metrics::binary_metrics(&p, &p, &y, 0.5);
        assert_eq!(m_z.roc_auc, m_p.roc_auc);
        let mut sorted = z.clone();
        sorted.sort_by(f64::total_cmp);
        sorted.dedup();
        for w in sorted.windows(2) {
            assert!(
                c.apply(w[0]) < c.apply(w[1]),
                "tie at {} and {}",
                w[0],
                w[1]
            );
        }
    }

    #[test]
    fn dropping_redundant_isotonic_points_keeps_the_function() {
        // Many ties and long runs of all-negative and all-positive scores, as real data has.
        let score = |i: u32| f64::from((i * 37) % 401) / 20.0 - 10.0;
        let z: Vec<f64> = (0..3000).map(score).collect();
        let y: Vec<bool> = (0..3000u32)
            .map(|i| {
                let zi = score(i);
                zi > 6.0 || (zi > -4.0 && (i * 7919) % 100 < ((zi + 4.0) * 10.0) as u32)
            })
            .collect();
        let full = isotonic(&z, &y, false);
        let small = isotonic(&z, &y, true);
        let (Calibration::Isotonic { z: a, .. }, Calibration::Isotonic { z: b, .. }) =
            (&full, &small)
        else {
            panic!("isotonic maps expected");
        };
        assert!(
            b.len() < a.len() / 2,
            "{} of {} points kept",
            b.len(),
            a.len()
        );
        for k in -12_000..12_000 {
            let x = f64::from(k) / 1000.0;
            assert!(
                (full.apply(x) - small.apply(x)).abs() < 1e-12,
                "differs at {x}"
            );
        }
    }

    #[test]
    fn identity_is_the_sigmoid() {
        assert_eq!(Calibration::Identity.apply(0.0), 0.5);
    }

    #[test]
    fn calibration_keeps_the_order() {
        let z: Vec<f64> = (0..100).map(|i| f64::from(i % 17) - 8.0).collect();
        let y: Vec<bool> = (0..100).map(|i| (i * 7) % 10 < (i % 17) / 2).collect();
        for kind in [CalibrationKind::Platt, CalibrationKind::Isotonic] {
            let c = Calibration::fit(kind, &z, &y);
            let mut prev = 0.0;
            for k in -100..100 {
                let p = c.apply(f64::from(k) / 10.0);
                assert!(p >= prev, "{kind:?} decreases at {k}");
                prev = p;
            }
        }
    }
}
