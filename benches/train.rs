//! Training speed: commentguard's streaming trainer, with the default options (two passes:
//! out-of-fold tuning and calibration) and as plain multinomial NB (one pass), against
//! linfa-bayes' dense MultinomialNb fitted on the same features, in one run. Each iteration
//! checks what it learned.

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;

use commentguard::{CalibrationKind, NbParams, Scratch, ThresholdRule, TrainParams};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linfa::traits::Fit;
use ndarray::{Array1, Array2};

const ROWS: usize = 2000;

fn bench_train(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv");
    let mut rdr = csv::Reader::from_path(path).expect("tests/fixtures/comments-v1.csv");
    let rows: Vec<(String, [bool; 2])> = rdr
        .records()
        .take(ROWS)
        .map(|r| {
            let r = r.expect("a valid corpus row");
            (r[1].to_owned(), [&r[2] == "1", &r[3] == "1"])
        })
        .collect();
    let plain = || {
        TrainParams::new(["spam", "toxic"])
            .linear(None)
            .nb(NbParams::multinomial())
            .default_threshold(ThresholdRule::Fixed(0.5))
            .calibration(CalibrationKind::None)
            .check()
            .expect("valid params")
    };
    let train_plain = || {
        let mut t = plain().trainer();
        for (text, labels) in &rows {
            t.add(black_box(text), labels).expect("two labels per row");
        }
        t.finish().expect("both classes present")
    };
    let reference = train_plain();
    let vocabulary = reference.vocabulary().len();

    let mut group = c.benchmark_group("train");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.sample_size(20);
    group.bench_function("commentguard-plain-one-pass", |b| {
        b.iter(|| assert_eq!(train_plain().vocabulary().len(), vocabulary))
    });
    let defaults = TrainParams::new(["spam", "toxic"])
        .check()
        .expect("valid params");
    // The defaults: NB-LR, one pass for the counts and one per epoch.
    group.bench_function("commentguard-defaults", |b| {
        b.iter(|| {
            let mut t = defaults.trainer();
            for (text, labels) in &rows {
                t.add(black_box(text), labels).expect("two labels per row");
            }
            for _ in 1..defaults.passes() {
                for (text, labels) in &rows {
                    t.add_second_pass(text, labels).expect("same rows");
                }
            }
            let m = t.finish().expect("both classes present");
            assert_eq!(m.summary().rows, ROWS as u64);
        })
    });
    // linfa-bayes on the same features: vectorize with our analyzer and vocabulary into its
    // dense input, then fit (one label: it has no multi-label heads).
    let y = Array1::from_iter(rows.iter().map(|(_, l)| usize::from(l[0])));
    group.bench_function("linfa-bayes-dense", |b| {
        let mut scratch = Scratch::default();
        let mut row = Vec::new();
        b.iter(|| {
            let mut x = Array2::zeros((ROWS, vocabulary));
            for (i, (text, _)) in rows.iter().enumerate() {
                reference.features(text, &mut scratch, &mut row);
                for &(f, c) in &row {
                    x[(i, f as usize)] = c;
                }
            }
            // linfa-bayes 0.8.1 leaves a dbg! in fit_with that prints both class histograms.
            let _quiet = gag::Gag::stderr().ok();
            let model = linfa_bayes::MultinomialNb::params()
                .fit(&linfa::Dataset::new(x, y.clone()))
                .expect("linfa fits");
            black_box(model);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_train);
criterion_main!(benches);
