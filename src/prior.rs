//! Prior-shift correction: a comment section with another share of spam than the training data
//! gets probabilities for its own share (Saerens, Latinne & Decaestecker 2002, "Adjusting the
//! outputs of a classifier to new a priori probabilities").
//!
//! Calibrated probabilities `p_i` say what they mean at the training base rate `π_t`. At a new
//! base rate `π`, Bayes' rule rescales each one:
//! `p'_i = (π/π_t) p_i / ((π/π_t) p_i + ((1 − π)/(1 − π_t)) (1 − p_i))`. The new rate is not
//! known, but it is the mean of the rescaled probabilities: EM starts at `π_t` and alternates
//! the two until `π` settles. It needs no labels, only the comments being scored.

/// EM stops when the estimated share moves less than this.
const TOLERANCE: f64 = 1e-7;
/// And after this many rounds at the most.
const MAX_ROUNDS: usize = 1000;
/// Probabilities and shares are kept this far from 0 and 1, where the odds are infinite.
const EDGE: f64 = 1e-9;

/// Re-estimates the positive share of `probs` (calibrated probabilities of one label, for
/// comments of one section) from the training share `train_prior`, rescales `probs` to it in
/// place, and returns it. Non-finite probabilities are left as they are and not counted.
pub fn adapt_prior(probs: &mut [f64], train_prior: f64) -> f64 {
    let train = train_prior.clamp(EDGE, 1.0 - EDGE);
    let finite = probs.iter().filter(|p| p.is_finite()).count();
    if finite == 0 || !train_prior.is_finite() {
        return train_prior;
    }
    let rescale = |p: f64, prior: f64| {
        let p = p.clamp(EDGE, 1.0 - EDGE);
        let pos = prior / train * p;
        let neg = (1.0 - prior) / (1.0 - train) * (1.0 - p);
        pos / (pos + neg)
    };
    let mut prior = train;
    for _ in 0..MAX_ROUNDS {
        let mean = probs
            .iter()
            .filter(|p| p.is_finite())
            .map(|&p| rescale(p, prior))
            .sum::<f64>()
            / finite as f64;
        let next = mean.clamp(EDGE, 1.0 - EDGE);
        let settled = (next - prior).abs() < TOLERANCE;
        prior = next;
        if settled {
            break;
        }
    }
    for p in probs.iter_mut().filter(|p| p.is_finite()) {
        *p = rescale(*p, prior);
    }
    prior
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores from a model calibrated at a 50% share, whose likelihood ratio is 9 or 1/9: a
    /// positive scores 0.9 nine times in ten, a negative 0.1 nine times in ten. On a section
    /// where 10% are positive (100 of 1,000: 90 + 90 score 0.9, 10 + 810 score 0.1), EM
    /// recovers the 10%, and the rescaled scores are calibrated there: half the 0.9s are
    /// positive.
    #[test]
    fn recovers_a_new_share_from_unlabeled_scores() {
        let mut probs: Vec<f64> = (0..1000).map(|i| if i < 180 { 0.9 } else { 0.1 }).collect();
        let prior = adapt_prior(&mut probs, 0.5);
        assert!((prior - 0.1).abs() < 1e-3, "{prior}");
        assert!((probs[0] - 0.5).abs() < 0.01, "{}", probs[0]);
        assert!((probs[500] - 10.0 / 820.0).abs() < 0.002, "{}", probs[500]);
    }

    #[test]
    fn the_training_share_is_a_fixed_point() {
        let mut probs = vec![0.2, 0.2, 0.2, 0.2, 0.2];
        let before = probs.clone();
        let prior = adapt_prior(&mut probs, 0.2);
        assert!((prior - 0.2).abs() < 1e-6);
        for (a, b) in probs.iter().zip(&before) {
            assert!((a - b).abs() < 1e-6);
        }
    }

    #[test]
    fn degenerate_inputs_end_and_stay_finite() {
        let mut probs = vec![0.0, 1.0, f64::NAN, 1.0];
        let prior = adapt_prior(&mut probs, 0.3);
        assert!(prior.is_finite() && (0.0..=1.0).contains(&prior));
        assert!(probs[2].is_nan(), "a NaN is left for the caller to report");
        assert!(probs
            .iter()
            .filter(|p| p.is_finite())
            .all(|p| (0.0..=1.0).contains(p)));
        let mut none: Vec<f64> = Vec::new();
        assert_eq!(adapt_prior(&mut none, 0.3), 0.3);
    }
}
