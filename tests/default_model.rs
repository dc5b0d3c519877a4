//! The shipped model must be exactly what `commentguard train` makes from `training-data/`.

mod util;

use util::{cg, repo, tempdir};

/// The command that builds `models/default.model`; README.md and training-data/README.md quote it.
pub const DEFAULT_MODEL_ARGS: &[&str] = &[
    "train",
    "--data",
    "training-data/comments.csv",
    "--label",
    "spam",
    "--label",
    "toxic",
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
fn corpus_has_the_promised_size_and_labels() {
    let mut rdr = csv::Reader::from_path(repo().join("training-data/comments.csv")).unwrap();
    assert_eq!(rdr.headers().unwrap(), vec!["id", "text", "spam", "toxic"]);
    let (mut rows, mut spam, mut toxic) = (0, 0, 0);
    let mut texts = std::collections::HashSet::new();
    for r in rdr.records() {
        let r = r.unwrap();
        rows += 1;
        spam += usize::from(&r[2] == "1");
        toxic += usize::from(&r[3] == "1");
        assert!(
            texts.insert(r[1].to_owned()),
            "duplicate comment {:?}",
            &r[1]
        );
    }
    assert!(
        rows >= 2000 && spam >= 500 && toxic >= 500,
        "{rows} {spam} {toxic}"
    );
    // The acceptance comments are not in the corpus.
    let fixture = std::fs::read_to_string(repo().join("tests/fixtures/news-thread.txt")).unwrap();
    for line in fixture.lines() {
        assert!(
            !texts.contains(line),
            "acceptance comment in the corpus: {line}"
        );
    }
}
