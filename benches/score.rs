//! Scoring speed: commentguard's sparse naive Bayes against linfa-bayes' dense MultinomialNb on
//! the same features, in one run. Every iteration checks its result, so broken code cannot look
//! fast.
//!
//! Both models are trained on the first 1,000 comments of `tests/fixtures/comments-v1.csv` (a dense
//! matrix of all 3,000 would need gigabytes for linfa) and score a batch of the next 1,000.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use commentguard::{CalibrationKind, Classifier, NbParams, Scratch, ThresholdRule, TrainParams};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linfa::traits::Fit;
use linfa_bayes::{MultinomialNb, NaiveBayes};
use ndarray::{Array1, Array2};

const TRAIN_ROWS: usize = 1000;
const BATCH: usize = 1000;

struct Corpus {
    texts: Vec<String>,
    spam: Vec<bool>,
}

fn corpus() -> Corpus {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv");
    let mut rdr = csv::Reader::from_path(path).expect("tests/fixtures/comments-v1.csv");
    let (mut texts, mut spam) = (Vec::new(), Vec::new());
    for r in rdr.records() {
        let r = r.expect("a valid corpus row");
        texts.push(r[1].to_owned());
        spam.push(&r[2] == "1");
    }
    Corpus { texts, spam }
}

/// The dense count matrix of `texts` over `model`'s vocabulary: what linfa-bayes needs.
fn dense(model: &Classifier, texts: &[String], scratch: &mut Scratch) -> Array2<f64> {
    let mut x = Array2::zeros((texts.len(), model.vocabulary().len()));
    let mut row = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        model.features(t, scratch, &mut row);
        for &(f, c) in &row {
            x[(i, f as usize)] = c;
        }
    }
    x
}

fn bench_score(c: &mut Criterion) {
    let corpus = corpus();
    let (train, batch) = (
        &corpus.texts[..TRAIN_ROWS],
        &corpus.texts[TRAIN_ROWS..TRAIN_ROWS + BATCH],
    );
    // Textbook multinomial NB with a fixed threshold, the estimator linfa-bayes implements, so
    // both give the same probabilities.
    let mut trainer = TrainParams::new(["spam"])
        .linear(None)
        .nb(NbParams::multinomial())
        .default_threshold(ThresholdRule::Fixed(0.5))
        .calibration(CalibrationKind::None)
        .check()
        .expect("valid params")
        .trainer();
    for (t, &s) in train.iter().zip(&corpus.spam) {
        trainer.add(t, &[s]).expect("one label per row");
    }
    let ours = trainer.finish().expect("both classes present");
    let mut scratch = Scratch::default();
    let x_train = dense(&ours, train, &mut scratch);
    let y_train = Array1::from_iter(corpus.spam[..TRAIN_ROWS].iter().map(|&s| usize::from(s)));
    let linfa = {
        // linfa-bayes 0.8.1 leaves a dbg! in fit_with that prints both class histograms.
        let _quiet = gag::Gag::stderr().ok();
        MultinomialNb::params()
            .fit(&linfa::Dataset::new(x_train, y_train))
            .expect("linfa fits")
    };

    // The same features give the same probabilities wherever linfa's are finite (it overflows
    // on some comments: it sums exponentials without subtracting the maximum).
    let mut scorer = ours.scorer();
    let our_proba: Vec<f64> = batch.iter().map(|t| scorer.score(t)[0]).collect();
    let (linfa_proba, _) = linfa.predict_proba(dense(&ours, batch, &mut scratch).view());
    let mut linfa_non_finite = 0;
    for (ours, theirs) in our_proba.iter().zip(linfa_proba.column(1)) {
        if theirs.is_finite() {
            assert!((ours - theirs).abs() < 1e-6, "{ours} vs {theirs}");
        } else {
            linfa_non_finite += 1;
        }
    }
    eprintln!(
        "linfa-bayes gave non-finite probabilities for {linfa_non_finite} of {BATCH} comments"
    );
    let expected_flagged = our_proba.iter().filter(|&&p| p >= 0.5).count();
    let linfa_flagged = linfa_proba.column(1).iter().filter(|&&p| p >= 0.5).count();
    assert!(expected_flagged > 0);
    let batch_bytes: usize = batch.iter().map(String::len).sum();

    let mut group = c.benchmark_group("score_batch");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("commentguard", |b| {
        let mut scorer = ours.scorer();
        b.iter(|| {
            let flagged = batch
                .iter()
                .filter(|t| scorer.score(black_box(t))[0] >= 0.5)
                .count();
            assert_eq!(flagged, expected_flagged);
        })
    });
    group.bench_function("linfa-bayes", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            // Vectorize into linfa's dense input, then probabilities.
            let x = dense(&ours, black_box(batch), &mut scratch);
            let (proba, _) = linfa.predict_proba(x.view());
            let flagged = proba.column(1).iter().filter(|&&p| p >= 0.5).count();
            assert_eq!(flagged, linfa_flagged);
        })
    });
    group.finish();

    // The embedded default model (complement NB, log/IDF/normalized weights, calibrated):
    // what a user scores with.
    let default = Classifier::embedded().expect("the embedded model loads");
    let mut scorer = default.scorer();
    let default_flagged = batch
        .iter()
        .filter(|t| scorer.score(t)[0] >= default.thresholds()[0])
        .count();
    let mut group = c.benchmark_group("score_batch");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("commentguard-default-model", |b| {
        let mut scorer = default.scorer();
        let t = default.thresholds()[0];
        b.iter(|| {
            let flagged = batch
                .iter()
                .filter(|c| scorer.score(black_box(c))[0] >= t)
                .count();
            assert_eq!(flagged, default_flagged);
        })
    });
    let n_labels = default.labels().len();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("a thread pool");
        let mut out = vec![0.0; BATCH * n_labels];
        group.bench_function(
            format!("commentguard-default-model-{threads}-threads"),
            |b| {
                b.iter(|| {
                    pool.install(|| default.score_parallel(black_box(batch), &mut out));
                    let t = default.thresholds()[0];
                    let flagged = out.chunks(n_labels).filter(|p| p[0] >= t).count();
                    assert_eq!(flagged, default_flagged);
                })
            },
        );
    }
    group.finish();

    let mut group = c.benchmark_group("score_one");
    let comment = &batch[0];
    let expected = ours.score(comment).probabilities()[0];
    group.bench_function("commentguard", |b| {
        let mut scorer = ours.scorer();
        b.iter(|| assert_eq!(scorer.score(black_box(comment))[0], expected))
    });
    let expected = default.score(comment).probabilities()[0];
    group.bench_function("commentguard-default-model", |b| {
        let mut scorer = default.scorer();
        b.iter(|| assert_eq!(scorer.score(black_box(comment))[0], expected))
    });
    group.finish();
    latency_percentiles(&default, batch);

    let mut group = c.benchmark_group("load");
    // What every command and the service do at start: the scoring section alone.
    group.bench_function("embedded-default-model", |b| {
        b.iter(|| {
            let m = Classifier::embedded().expect("the embedded model loads");
            assert_eq!(
                m.labels().len(),
                7,
                "spam and the six Perspective attributes"
            );
        })
    });
    // The same bytes as a model file: checksum, counts, and the scoring section checked
    // against the counts.
    group.bench_function("default-model-as-a-file", |b| {
        b.iter(|| {
            let m = Classifier::from_bytes(black_box(commentguard::DEFAULT_MODEL))
                .expect("the default model loads as a file");
            assert_eq!(m.labels().len(), 7);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("extract");
    group.throughput(Throughput::Bytes(batch_bytes as u64));
    let analyzer = ours.analyzer().clone();
    let expected_features: usize = {
        let mut n = 0;
        for t in batch {
            analyzer.for_each_feature(t, &mut scratch, |_, _| n += 1);
        }
        n
    };
    group.bench_function("commentguard", |b| {
        let mut scratch = Scratch::default();
        b.iter(|| {
            let mut n = 0;
            for t in batch {
                analyzer.for_each_feature(black_box(t), &mut scratch, |_, _| n += 1);
            }
            assert_eq!(n, expected_features);
        })
    });
    group.finish();
}

/// One comment at a time through the library, every call timed: the median and the 99th
/// percentile over 200,000 calls (criterion reports means, not tails).
fn latency_percentiles(model: &Classifier, comments: &[String]) {
    let mut scorer = model.scorer();
    for c in comments {
        black_box(scorer.score(c));
    }
    let mut times = Vec::with_capacity(200_000);
    for i in 0..200_000 {
        let c = &comments[i % comments.len()];
        let start = std::time::Instant::now();
        black_box(scorer.score(black_box(c)));
        times.push(start.elapsed().as_nanos() as u64);
    }
    times.sort_unstable();
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q) as usize] as f64 / 1000.0;
    println!(
        "score_one latency, default model, {} comments averaging {} bytes: median {:.2} µs, p99 {:.2} µs",
        comments.len(),
        comments.iter().map(String::len).sum::<usize>() / comments.len(),
        at(0.5),
        at(0.99)
    );
}

criterion_group!(benches, bench_score);
criterion_main!(benches);
