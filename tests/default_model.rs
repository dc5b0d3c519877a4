//! The shipped model must be exactly what `commentguard train` makes from `training-data/`.

mod util;

use util::{cg, repo, tempdir};

/// The command that builds `models/default.model`; README.md and training-data/README.md quote it.
/// Word 1-2-grams and character 3-5-grams in words, features in 7 comments or more (the best
/// zero-shot choice, docs/accuracy.md; 7 rather than 5 halves the scoring table at no cost
/// beyond noise). Spam is tuned for 98% out-of-fold precision, toxicity
/// 97%, insult 95%: the lowest targets at which the held-back ordinary comments are flagged
/// under 1% for every label, since false alarms are what make a site switch a filter off; the
/// rarer attributes for F1.
pub const DEFAULT_MODEL_ARGS: &[&str] = &[
    "train",
    "--data",
    "training-data/train/bait.csv",
    "--data",
    "training-data/train/blog.csv",
    "--data",
    "training-data/train/buried.csv",
    "--data",
    "training-data/train/chat.csv",
    "--data",
    "training-data/train/civil.csv",
    "--data",
    "training-data/train/comebacks.csv",
    "--data",
    "training-data/train/creators.csv",
    "--data",
    "training-data/train/discussion.csv",
    "--data",
    "training-data/train/dunks.csv",
    "--data",
    "training-data/train/family.csv",
    "--data",
    "training-data/train/fans.csv",
    "--data",
    "training-data/train/gaming.csv",
    "--data",
    "training-data/train/hellos.csv",
    "--data",
    "training-data/train/identity.csv",
    "--data",
    "training-data/train/kids.csv",
    "--data",
    "training-data/train/legacy.csv",
    "--data",
    "training-data/train/links.csv",
    "--data",
    "training-data/train/lobby.csv",
    "--data",
    "training-data/train/local.csv",
    "--data",
    "training-data/train/longform.csv",
    "--data",
    "training-data/train/memes.csv",
    "--data",
    "training-data/train/multilingual.csv",
    "--data",
    "training-data/train/musicvideo.csv",
    "--data",
    "training-data/train/news.csv",
    "--data",
    "training-data/train/plugs.csv",
    "--data",
    "training-data/train/politics.csv",
    "--data",
    "training-data/train/questions.csv",
    "--data",
    "training-data/train/rants.csv",
    "--data",
    "training-data/train/replies.csv",
    "--data",
    "training-data/train/reviews.csv",
    "--data",
    "training-data/train/selfpromo.csv",
    "--data",
    "training-data/train/shorts.csv",
    "--data",
    "training-data/train/social.csv",
    "--data",
    "training-data/train/sports.csv",
    "--data",
    "training-data/train/stans.csv",
    "--data",
    "training-data/train/streams.csv",
    "--data",
    "training-data/train/street.csv",
    "--data",
    "training-data/train/talk.csv",
    "--data",
    "training-data/train/threats.csv",
    "--data",
    "training-data/train/tweets.csv",
    "--data",
    "training-data/train/vandal.csv",
    "--data",
    "training-data/train/video.csv",
    "--data",
    "training-data/train/wikitalk.csv",
    "--label",
    "spam",
    "--label",
    "toxicity",
    "--label",
    "severe_toxicity",
    "--label",
    "identity_attack",
    "--label",
    "insult",
    "--label",
    "profanity",
    "--label",
    "threat",
    "--char-ngrams",
    "3-5",
    "--min-df",
    "7",
    "--target-precision",
    "spam=0.97",
    "--target-precision",
    "toxicity=0.97",
    "--target-precision",
    "insult=0.97",
];

#[test]
fn default_model_is_retrained_byte_for_byte() {
    let dir = tempdir();
    let out = dir.path().join("default.model");
    cg().current_dir(repo())
        .args(DEFAULT_MODEL_ARGS)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let fresh = std::fs::read(&out).unwrap();
    let shipped = std::fs::read(repo().join("models/default.model")).unwrap();
    assert!(
        fresh == shipped,
        "models/default.model is stale: rerun `cargo run --release -- {} --out models/default.model`",
        DEFAULT_MODEL_ARGS.join(" ")
    );
    assert_eq!(
        shipped,
        commentguard::DEFAULT_MODEL,
        "the binary embeds models/default.model"
    );
}

/// Reading ahead, featurizing and counting run on several threads; none of it may change a bit.
#[test]
fn thread_count_does_not_change_the_model() {
    let dir = tempdir();
    let shipped = std::fs::read(repo().join("models/default.model")).unwrap();
    for threads in ["1", "3"] {
        let out = dir.path().join(format!("{threads}.model"));
        cg().current_dir(repo())
            .args(DEFAULT_MODEL_ARGS)
            .args(["--threads", threads, "--out"])
            .arg(&out)
            .assert()
            .success();
        assert!(
            std::fs::read(&out).unwrap() == shipped,
            "--threads {threads} trained a different model"
        );
    }
}

#[test]
fn the_acceptance_comments_are_not_in_the_corpus() {
    let fixture = std::fs::read_to_string(repo().join("tests/fixtures/news-thread.txt")).unwrap();
    let mut texts = std::collections::HashSet::new();
    for dir in ["train", "holdout"] {
        for entry in std::fs::read_dir(repo().join("training-data").join(dir)).unwrap() {
            let mut rdr = csv::Reader::from_path(entry.unwrap().path()).unwrap();
            for r in rdr.records() {
                texts.insert(r.unwrap()[1].to_owned());
            }
        }
    }
    for line in fixture.lines() {
        assert!(
            !texts.contains(line),
            "acceptance comment in the corpus: {line}"
        );
    }
}

/// The embedded model loads from its scoring section alone, without its checksum; the same
/// bytes loaded as a file are checked in full (checksum, counts, and the scoring section
/// against the counts), and both give the same model: the same scores, explanations and file.
#[test]
fn the_embedded_fast_path_is_the_file_loaded_in_full() {
    use commentguard::Classifier;
    let fast = Classifier::embedded().unwrap();
    let full = Classifier::from_bytes(commentguard::DEFAULT_MODEL).expect("checked in full");
    let corpus = std::fs::read_to_string(repo().join("tests/fixtures/comments-v1.csv")).unwrap();
    let (mut a, mut b) = (fast.scorer(), full.scorer());
    for text in corpus.lines().take(3000) {
        assert_eq!(a.log_odds(text), b.log_odds(text), "{text:?}");
    }
    let text = "Hey, I know how badly you need money. Here's an opportunity to earn some money";
    assert_eq!(fast.explain(text), full.explain(text));
    assert_eq!(fast.to_bytes(), commentguard::DEFAULT_MODEL);
    assert_eq!(fast.vocabulary().len(), full.vocabulary().len());
}
