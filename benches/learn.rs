//! What one group commit of the service's learner costs: learning a feedback into the embedded
//! default model, the new scoring table included (`Classifier::with_changes`). The learner
//! keeps to a share of one core, so this time sets how often it can publish what moderators
//! teach it. Every iteration checks that the feedback moved the score, so broken code cannot
//! look fast. Each size runs twice: with the C allocator's defaults, then as `serve` sets it
//! (`serve::tune_allocator`).

// criterion_group! generates an undocumented pub fn.
#![allow(missing_docs)]

use std::hint::black_box;

use commentguard::{Classifier, Direction, Feedback, DEFAULT_MODEL};
use criterion::{criterion_group, criterion_main, Criterion};

const COMMENT: &str = "the parking on elm street has been a mess since the council moved the \
                       bus stop, someone should write to them";

fn bench_learn(c: &mut Criterion) {
    let model = Classifier::from_bytes(DEFAULT_MODEL).expect("the embedded model");
    // Decoded once here: a server's model has its counts in memory from its first commit on.
    model.to_bytes();
    let spam = model
        .labels()
        .iter()
        .position(|l| l == "spam")
        .expect("a spam label");
    let before = model.score(COMMENT).probabilities()[spam];
    let mut group = c.benchmark_group("learn");
    group.sample_size(20);
    let runs = [
        (1usize, "defaults"),
        (100, "defaults"),
        (1, "serve"),
        (100, "serve"),
    ];
    for (size, allocator) in runs {
        if allocator == "serve" {
            commentguard::serve::tune_allocator();
        }
        let feedback: Vec<Feedback> = (0..size)
            .map(|_| Feedback {
                text: COMMENT.to_owned(),
                labels: (0..model.labels().len()).map(|l| Some(l == spam)).collect(),
            })
            .collect();
        let changes: Vec<(Direction, &Feedback)> =
            feedback.iter().map(|f| (Direction::Learn, f)).collect();
        let name = format!("group commit of {size}, allocator as {allocator}");
        group.bench_function(name, |b| {
            b.iter(|| {
                let learned = model.with_changes(black_box(&changes)).expect("learns");
                let after = learned.score(COMMENT).probabilities()[spam];
                assert!(after > before, "spam {before} -> {after}");
                learned
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_learn);
criterion_main!(benches);
