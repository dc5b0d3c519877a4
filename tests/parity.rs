//! Our sparse naive Bayes against linfa-bayes on the same data: the log-probabilities agree.

use commentguard::{
    DatasetBase, Fit, NaiveBayes, NbKind, NbParams, ParamGuard, SparseRows, TermWeight,
};
use linfa_bayes::{MultinomialNb, NaiveBayes as _};
use ndarray::{Array1, Array2};

/// Count data with a deterministic, irregular pattern: 40 rows, 12 features, 2 classes.
fn data() -> (Array2<f64>, Array1<usize>) {
    let x = Array2::from_shape_fn((40, 12), |(i, j)| ((i * 7 + j * 13 + i * j) % 5) as f64);
    let y = Array1::from_shape_fn(40, |i| usize::from((i * 3 + i / 4) % 5 < 2));
    (x, y)
}

/// Our model on the same rows, class 1 as the positive label.
fn fit_ours(params: NbParams, x: &Array2<f64>, y: &Array1<usize>) -> NaiveBayes {
    let targets = y.mapv(|c| c == 1).insert_axis(ndarray::Axis(1));
    params
        .check()
        .unwrap()
        .fit(&DatasetBase::new(SparseRows::from_dense(x.view()), targets))
        .unwrap()
}

/// Every row's `[log P(0), log P(1)]` from both libraries agree within 1e-9.
fn assert_agree(ours: &NaiveBayes, theirs: &Array2<f64>, x: &Array2<f64>, what: &str) {
    let rows = SparseRows::from_dense(x.view());
    for i in 0..x.nrows() {
        let [neg, pos] = ours.predict_log_proba(rows.row(i))[0];
        let (tneg, tpos) = (theirs[(i, 0)], theirs[(i, 1)]);
        assert!(
            (neg - tneg).abs() < 1e-9,
            "{what}, row {i}: {neg} vs {tneg}"
        );
        assert!(
            (pos - tpos).abs() < 1e-9,
            "{what}, row {i}: {pos} vs {tpos}"
        );
    }
}

#[test]
fn log_probabilities_agree_with_linfa_bayes() {
    let (x, y) = data();
    for alpha in [1.0, 0.5, 0.01] {
        let theirs = MultinomialNb::params()
            .alpha(alpha)
            .fit(&linfa::Dataset::new(x.clone(), y.clone()))
            .unwrap();
        let (their_lp, classes) = theirs.predict_log_proba(x.view());
        assert_eq!(classes, [&0, &1]);
        let ours = fit_ours(NbParams::multinomial().alpha(alpha), &x, &y);
        assert_agree(&ours, &their_lp, &x, &format!("multinomial, alpha {alpha}"));
    }
}

#[test]
fn bernoulli_log_probabilities_agree_with_linfa_bayes() {
    let (x, y) = data();
    let x = x.mapv(|v| if v > 1.0 { 1.0 } else { 0.0 });
    for alpha in [1.0, 0.3] {
        let theirs = linfa_bayes::BernoulliNb::params()
            .alpha(alpha)
            .binarize(None)
            .fit(&linfa::Dataset::new(x.clone(), y.clone()))
            .unwrap();
        let (their_lp, _) = theirs.predict_log_proba(x.view());
        let params = NbParams::multinomial()
            .kind(NbKind::Bernoulli)
            .term_weight(TermWeight::Binary)
            .alpha(alpha);
        let ours = fit_ours(params, &x, &y);
        assert_agree(&ours, &their_lp, &x, &format!("Bernoulli, alpha {alpha}"));
    }
}

#[test]
fn linfa_bayes_overflows_where_we_stay_finite() {
    // One long comment: a count of 2,000 on one feature. linfa-bayes exponentiates the joint
    // log-likelihood without subtracting the maximum and gets -inf - (-inf) = NaN.
    let (x, y) = data();
    let theirs = MultinomialNb::params()
        .fit(&linfa::Dataset::new(x.clone(), y.clone()))
        .unwrap();
    let mut long = Array2::zeros((1, 12));
    long[(0, 3)] = 2000.0;
    let (their_lp, _) = theirs.predict_log_proba(long.view());
    assert!(their_lp.iter().any(|v| !v.is_finite()), "{their_lp:?}");

    let ours = fit_ours(NbParams::multinomial(), &x, &y);
    let lp = ours.predict_log_proba(&[(3, 2000.0)]);
    assert!(lp[0].iter().all(|v| v.is_finite()), "{lp:?}");
}
