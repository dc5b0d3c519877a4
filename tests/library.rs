//! The library as a moderation service uses it: shared across threads, batch and single scoring.

use std::sync::Arc;

use commentguard::{CalibrationKind, Classifier, NbParams, ThresholdRule, TrainParams};

const COMMENTS: &[&str] = &[
    "Make $300 a day from your phone, message me on WhatsApp +1 555 010 2233",
    "The referee missed two obvious fouls in the second half.",
    "shut up you brainless clown, nobody asked you",
    "Does anyone know if the library is open on Sunday?",
];

#[test]
fn one_classifier_shared_by_threads_scores_like_one_thread() {
    let model = Arc::new(Classifier::embedded().unwrap());
    let expected: Vec<Vec<f64>> = model
        .score_batch(COMMENTS)
        .iter()
        .map(|s| s.probabilities().to_vec())
        .collect();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let model = Arc::clone(&model);
            std::thread::spawn(move || {
                let mut scorer = model.scorer();
                (0..50)
                    .flat_map(|_| {
                        COMMENTS
                            .iter()
                            .map(|c| scorer.score(c).to_vec())
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for h in handles {
        let got = h.join().unwrap();
        for (i, probs) in got.iter().enumerate() {
            assert_eq!(probs, &expected[i % COMMENTS.len()]);
        }
    }
}

#[test]
fn default_model_flags_what_a_moderator_would() {
    let model = Classifier::embedded().unwrap();
    let flagged: Vec<Vec<String>> = model
        .score_batch(COMMENTS)
        .iter()
        .map(|s| s.flagged().map(str::to_owned).collect())
        .collect();
    assert_eq!(flagged[0], ["spam"]);
    assert!(flagged[1].is_empty(), "{flagged:?}");
    assert_eq!(flagged[2], ["toxicity", "insult"]);
    assert!(flagged[3].is_empty(), "{flagged:?}");
}

#[test]
fn loads_from_bytes_and_path_like_the_embedded_model() {
    let embedded = Classifier::embedded().unwrap();
    let from_bytes = Classifier::from_bytes(commentguard::DEFAULT_MODEL).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default.model");
    let from_path = Classifier::load(path).unwrap();
    for m in [&from_bytes, &from_path] {
        assert_eq!(m.to_bytes(), embedded.to_bytes());
    }
}

#[test]
fn explanation_adds_up_to_the_score() {
    let model = Classifier::embedded().unwrap();
    for text in COMMENTS {
        let scores = model.score(text);
        for l in model.explain(text).labels {
            let z: f64 =
                l.prior_log_odds + l.contributions.iter().map(|c| c.log_odds()).sum::<f64>();
            assert!((z - l.log_odds).abs() < 1e-9, "{text}: {}", l.label);
            // The score is the label's calibration map applied to those log-odds.
            let cal = &model.calibration()[model.label_index(&l.label).unwrap()];
            let p = cal.apply(z);
            assert!(
                (p - scores.get(&l.label).unwrap()).abs() < 1e-9,
                "{text}: {}",
                l.label
            );
            // On the score's own scale: the prior's score plus every part is the score.
            let parts: f64 = l.contributions.iter().map(|c| c.score_part).sum();
            assert!(
                (l.prior_score + parts - l.score).abs() < 1e-9,
                "{text}: {}",
                l.label
            );
        }
    }
}

#[test]
fn trainer_learns_multiple_labels_at_once() {
    // Four rows: textbook multinomial NB with fixed thresholds (too few rows to tune), so one
    // pass and no NB-LR head.
    let mut t = TrainParams::new(["spam", "toxic"])
        .linear(None)
        .nb(NbParams::multinomial())
        .default_threshold(ThresholdRule::Fixed(0.5))
        .calibration(CalibrationKind::None)
        .check()
        .unwrap()
        .trainer();
    let rows = [
        ("buy cheap pills online", [true, false]),
        ("you idiot, buy cheap pills", [true, true]),
        ("you are an idiot", [false, true]),
        ("nice weather today", [false, false]),
    ];
    for (text, labels) in rows {
        t.add(text, &labels).unwrap();
    }
    let m = t.finish().unwrap();
    assert_eq!(m.labels(), ["spam", "toxic"]);
    assert_eq!(m.summary().positives, [2, 2]);
    let s = m.score("idiot pills");
    assert!(s.is_flagged("spam") && s.is_flagged("toxic"));
}

/// Forgetting is exact in what it takes out, but the counts and learned weights are sums of
/// floating-point values, so a forget after other changes restores them to within rounding.
/// The docs promise scores within 1e-13 (found by a walk-through of the library: 150 comments
/// learned one by one and forgotten in shuffled order left probabilities 4e-15 away; here,
/// 9e-15).
#[test]
fn learning_then_forgetting_in_another_order_restores_the_scores_to_rounding() {
    let rows: Vec<(String, bool, bool)> = csv::Reader::from_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/comments-v1.csv"
    ))
    .unwrap()
    .records()
    .map(|r| {
        let r = r.unwrap();
        (r[1].to_owned(), &r[2] == "1", &r[3] == "1")
    })
    .collect();
    let params = TrainParams::new(["spam", "toxic"]).check().unwrap();
    let mut t = params.trainer();
    let train = &rows[..800];
    for (text, spam, toxic) in train {
        t.add(text, &[*spam, *toxic]).unwrap();
    }
    for _ in 1..params.passes() {
        for (text, spam, toxic) in train {
            t.add_second_pass(text, &[*spam, *toxic]).unwrap();
        }
    }
    let base = t.finish().unwrap();
    let feedback = &rows[800..950];
    let probe: Vec<&str> = rows[800..1200].iter().map(|r| r.0.as_str()).collect();

    let mut model = base.clone();
    for (text, spam, toxic) in feedback {
        model.learn(text, &[Some(*spam), Some(*toxic)]).unwrap();
    }
    let learned = model.score_batch(&probe);
    // Forget in an order of its own: every 7th, wrapping round (7 and 150 share no factor).
    for k in 0..feedback.len() {
        let (text, spam, toxic) = &feedback[(k * 7) % feedback.len()];
        model.forget(text, &[Some(*spam), Some(*toxic)]).unwrap();
    }
    let (mut moved, mut worst) = (0, 0.0_f64);
    for (text, (a, b)) in probe.iter().zip(
        base.score_batch(&probe)
            .iter()
            .zip(model.score_batch(&probe)),
    ) {
        for (x, y) in a.probabilities().iter().zip(b.probabilities()) {
            worst = worst.max((x - y).abs());
        }
        assert_eq!(
            a.flagged().collect::<Vec<_>>(),
            b.flagged().collect::<Vec<_>>(),
            "{text}"
        );
        moved += usize::from(a.probabilities() != b.probabilities());
    }
    assert!(worst < 1e-13, "worst {worst:e}, {moved} comments moved");
    // The feedback itself moved the scores, so the check above is one of restoring.
    let learned_moved = base
        .score_batch(&probe)
        .iter()
        .zip(&learned)
        .filter(|(a, b)| (a.probabilities()[0] - b.probabilities()[0]).abs() > 1e-3)
        .count();
    assert!(learned_moved > 20, "{learned_moved}");
}

/// An empty path named no file at all in its error (": No such file or directory").
#[test]
fn loading_an_empty_path_says_so() {
    let e = Classifier::load("").unwrap_err().to_string();
    assert!(e.starts_with("\"\" (an empty path): "), "{e}");
}

#[test]
fn explanation_parts_stay_on_the_probability_scale_and_keep_their_sign() {
    // Every held-back corpus comment: a part is a share of a move between probabilities, so
    // it lies in [-1, 1] and goes the way its log-odds go, and the parts add up to the score.
    let model = Classifier::embedded().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/holdout");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (mut comments, mut parts_seen) = (0, 0);
    let mut widest = 0.0f64;
    for path in files {
        let mut reader = csv::Reader::from_path(&path).unwrap();
        for record in reader.records() {
            let record = record.unwrap();
            let text = &record[1];
            comments += 1;
            for l in model.explain(text).labels {
                let mut sum = 0.0;
                for c in &l.contributions {
                    parts_seen += 1;
                    widest = widest.max(c.score_part.abs());
                    assert!(
                        c.score_part.abs() <= 1.0 + 1e-12,
                        "{text:?}: {} part {} for {}",
                        l.label,
                        c.score_part,
                        c.feature
                    );
                    assert!(
                        c.score_part == 0.0 || c.score_part.signum() == c.log_odds().signum(),
                        "{text:?}: {} part {} against log-odds {} for {}",
                        l.label,
                        c.score_part,
                        c.log_odds(),
                        c.feature
                    );
                    sum += c.score_part;
                }
                assert!(
                    (l.prior_score + sum - l.score).abs() < 1e-9,
                    "{text:?}: {}",
                    l.label
                );
            }
        }
    }
    assert!(
        comments > 5_000 && parts_seen > 1_000_000,
        "{comments} comments, {parts_seen} parts"
    );
    assert!(
        widest > 0.1,
        "the parts never moved a score: widest {widest}"
    );
}
