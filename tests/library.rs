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
