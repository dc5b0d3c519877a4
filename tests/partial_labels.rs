//! `train --partial-labels`: one model from files that each carry some of the labels (issue 15,
//! item 6). A row trains only the heads whose labels it carries; it still counts for the
//! vocabulary and the document frequencies.

mod util;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use commentguard::Classifier;
use util::{cg, fails_with, tempdir, write};

/// A site's spam reports: no toxicity column.
const SPAM: &str = "\
text,spam
buy cheap watches now at our online store,1
win free money click here today,1
limited offer buy now cheap prices,1
free prize waiting click the link below,1
cheap pills online click here now,1
visit my store for free money,1
great article thanks for writing it,0
I disagree with the second point you make,0
the photos of the lake are lovely,0
thanks for the clear explanation of the vote,0
interesting point about the council budget,0
my kids loved this recipe thank you,0
";

/// Its toxicity reports: no spam column. Some rows use spam's words ("click", "free", "now"),
/// so counting them as spam negatives would show in spam's counts.
const TOXIC: &str = "\
text,toxicity
you are an idiot and nobody cares,1
shut up you moron click away now,1
what a stupid take you idiot,1
nobody cares about your free opinion moron,1
idiot writer stupid article,1
get lost you pathetic clown,1
I think the council is right about the budget,0
lovely photos of the lake thanks,0
thanks for the article it was clear,0
the second point is interesting now,0
click the link in the article for the full vote,0
a kind and clear explanation,0
";

fn files(dir: &Path) -> (PathBuf, PathBuf) {
    (write(dir, "spam.csv", SPAM), write(dir, "toxic.csv", TOXIC))
}

/// Trains `args` into `dir/name` and returns the model's path. `--min-df 1` keeps every word,
/// so a word's presence in the vocabulary does not depend on the other file's rows.
fn train(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(name);
    cg().arg("train")
        .args(args)
        .args(["--min-df", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    out
}

fn both(dir: &Path) -> Vec<String> {
    let (spam, toxic) = files(dir);
    vec![
        "--data".into(),
        spam.display().to_string(),
        "--data".into(),
        toxic.display().to_string(),
        "--label".into(),
        "spam".into(),
        "--label".into(),
        "toxic=toxicity".into(),
        "--partial-labels".into(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn a_missing_label_column_without_the_flag_names_the_file_the_label_and_the_flag() {
    let dir = tempdir();
    let (spam, toxic) = files(dir.path());
    let out = dir.path().join("m.model");
    let line = fails_with(
        cg().arg("train")
            .arg("--data")
            .arg(&spam)
            .arg("--data")
            .arg(&toxic)
            .args(["--label", "spam", "--label", "toxic=toxicity", "--out"])
            .arg(&out),
        &[
            "spam.csv",
            r#"no column "toxicity""#,
            r#"label "toxic""#,
            "--partial-labels",
        ],
    );
    assert!(
        line.contains(r#"the columns are: "text", "spam""#),
        "{line}"
    );
    assert!(!out.exists(), "no model is written");
    // JSONL names the line and the field.
    let rows = write(
        dir.path(),
        "rows.jsonl",
        "{\"text\":\"buy now\",\"spam\":1,\"toxicity\":0}\n{\"text\":\"hello\",\"spam\":0}\n",
    );
    fails_with(
        cg().args(["train", "--data"])
            .arg(&rows)
            .args(["--label", "spam", "--label", "toxicity", "--out"])
            .arg(&out),
        &[
            "rows.jsonl: line 2: no field \"toxicity\"",
            "--partial-labels",
        ],
    );
}

/// Every head of the partial model holds exactly the counts of a model trained on its own
/// file alone: same rows per class, same summed values per word, bit for bit. Words of the other
/// file get nothing. The document frequencies, shared by the heads, count both files.
#[test]
fn each_head_counts_exactly_the_rows_that_carry_its_label() {
    let dir = tempdir();
    let (spam, toxic) = files(dir.path());
    let spam = spam.display().to_string();
    let toxic = toxic.display().to_string();
    let partial =
        Classifier::load(train(dir.path(), "both.model", &strs(&both(dir.path())))).unwrap();
    let spam_alone = Classifier::load(train(
        dir.path(),
        "spam.model",
        &["--data", &spam, "--label", "spam"],
    ))
    .unwrap();
    let toxic_alone = Classifier::load(train(
        dir.path(),
        "toxic.model",
        &["--data", &toxic, "--label", "toxic=toxicity"],
    ))
    .unwrap();

    let names = |m: &Classifier| -> HashMap<String, usize> {
        (0..m.vocabulary().len())
            .map(|i| (m.vocabulary().name(i).into_owned(), i))
            .collect()
    };
    let in_partial = names(&partial);
    let (spam_words, toxic_words) = (names(&spam_alone), names(&toxic_alone));
    let c = partial.naive_bayes().counts();
    assert_eq!(c.rows(), 24.0);
    for (l, alone, words, other) in [
        (0, &spam_alone, &spam_words, &toxic_words),
        (1, &toxic_alone, &toxic_words, &spam_words),
    ] {
        let a = alone.naive_bayes().counts();
        assert_eq!(c.label_rows(l), 12.0);
        for class in 0..2 {
            assert_eq!(
                c.docs(l, class),
                a.docs(0, class),
                "label {l} class {class}"
            );
        }
        for (word, &j) in &in_partial {
            match words.get(word) {
                Some(&i) => {
                    for class in 0..2 {
                        assert_eq!(
                            c.value(j, l, class).to_bits(),
                            a.value(i, 0, class).to_bits(),
                            "label {l}, {word:?}, class {class}"
                        );
                    }
                }
                None => assert_eq!(
                    (c.value(j, l, 0), c.value(j, l, 1)),
                    (0.0, 0.0),
                    "label {l} learned {word:?}, a word of the other file only"
                ),
            }
            let df = |m: &Classifier, w: &HashMap<String, usize>| {
                w.get(word).map_or(0.0, |&i| m.naive_bayes().counts().df(i))
            };
            let other_model = if l == 0 { &toxic_alone } else { &spam_alone };
            assert_eq!(
                c.df(j),
                df(alone, words) + df(other_model, other),
                "{word:?}"
            );
        }
    }
    assert_eq!(partial.summary().positives, [6, 6]);

    let out = cg()
        .args(["inspect", "--model"])
        .arg(dir.path().join("both.model"))
        .assert()
        .success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(text.contains("rows: 24"), "{text}");
    assert!(
        text.contains("spam: 6 positive, 6 negative (12 of 24 rows carry it)"),
        "{text}"
    );
    assert!(
        text.contains("toxic: 6 positive, 6 negative (12 of 24 rows carry it)"),
        "{text}"
    );
}

/// With Bernoulli naive Bayes on presence alone (no IDF, no normalization), a word's weight
/// depends only on its own counts, and the words of other rows add only a constant to the bias:
/// the spam head scores the spam file's rows exactly as the model of that file alone does, up
/// to that constant, so it ranks them the same.
#[test]
fn the_spam_head_scores_its_rows_as_the_spam_model_does_up_to_a_constant() {
    let dir = tempdir();
    let (spam, _) = files(dir.path());
    let spam = spam.display().to_string();
    let nb = [
        "--head",
        "nb",
        "--nb",
        "bernoulli",
        "--tf",
        "binary",
        "--idf",
        "false",
        "--norm",
        "false",
    ];
    let mut args = both(dir.path());
    args.extend(nb.iter().map(|s| s.to_string()));
    let partial = Classifier::load(train(dir.path(), "both.model", &strs(&args))).unwrap();
    let mut alone_args = vec!["--data", &spam, "--label", "spam"];
    alone_args.extend(nb);
    let alone = Classifier::load(train(dir.path(), "spam.model", &alone_args)).unwrap();
    let texts: Vec<&str> = SPAM
        .lines()
        .skip(1)
        .map(|l| l.rsplit_once(',').unwrap().0)
        .collect();
    let log_odds = |m: &Classifier| {
        let mut scorer = m.scorer();
        texts
            .iter()
            .map(|t| scorer.log_odds(t)[0])
            .collect::<Vec<f64>>()
    };
    let (z, z_alone) = (log_odds(&partial), log_odds(&alone));
    let shift = z[0] - z_alone[0];
    for (i, (a, b)) in z.iter().zip(&z_alone).enumerate() {
        assert!(
            (a - b - shift).abs() < 1e-9,
            "row {i}: {a} vs {b} (+{shift})"
        );
    }
    // And the head learned spam: every spam row scores above every other row.
    let lowest_spam = z[..6].iter().copied().fold(f64::INFINITY, f64::min);
    assert!(z[6..].iter().all(|&v| v < lowest_spam), "{z:?}");
}

#[test]
fn a_file_with_none_of_the_labels_is_an_error_even_with_the_flag() {
    let dir = tempdir();
    let mut args = both(dir.path());
    let other = write(dir.path(), "ratings.csv", "text,rating\ngreat,5\nawful,1\n");
    args.extend(["--data".into(), other.display().to_string()]);
    let out = dir.path().join("m.model");
    fails_with(
        cg().arg("train").args(&args).arg("--out").arg(&out),
        &[
            "ratings.csv",
            r#"none of the label columns "spam", "toxicity" is there"#,
            r#"the columns are: "text", "rating""#,
        ],
    );
    assert!(!out.exists());
    // In JSONL each row names its fields: a row with none of the labels is the error.
    let rows = write(
        dir.path(),
        "rows.jsonl",
        "{\"text\":\"buy now\",\"spam\":1}\n{\"text\":\"hello\",\"stars\":4}\n",
    );
    fails_with(
        cg().args(["train", "--partial-labels", "--data"])
            .arg(&rows)
            .args(["--label", "spam", "--label", "toxicity", "--out"])
            .arg(&out),
        &["rows.jsonl: line 2: none of the label fields"],
    );
}

#[test]
fn a_label_that_no_file_carries_is_an_error() {
    let dir = tempdir();
    let mut args = both(dir.path());
    args.extend(["--label".into(), "threat".into()]);
    let out = dir.path().join("m.model");
    fails_with(
        cg().arg("train").args(&args).arg("--out").arg(&out),
        &[r#"label "threat": no input row has a value for it"#],
    );
    assert!(!out.exists());
}

#[test]
fn partial_training_gives_the_same_bytes_every_time_on_any_number_of_threads() {
    let dir = tempdir();
    let args = both(dir.path());
    let model = |name: &str, threads: &str| {
        let mut args = strs(&args);
        args.extend(["--threads", threads]);
        std::fs::read(train(dir.path(), name, &args)).unwrap()
    };
    let first = model("a.model", "1");
    assert_eq!(model("b.model", "1"), first);
    assert_eq!(model("c.model", "3"), first);
}

/// `evaluate --partial-labels` measures each label on the rows that carry it: the spam metrics
/// over both files are exactly those over the spam file alone.
#[test]
fn evaluate_measures_each_label_on_the_rows_that_carry_it() {
    let dir = tempdir();
    let model = train(dir.path(), "both.model", &strs(&both(dir.path())));
    let (spam, toxic) = files(dir.path());
    let evaluate = |data: &[&Path], labels: &[&str], partial: bool| {
        let mut cmd = cg();
        cmd.args(["evaluate", "--json", "--model"]).arg(&model);
        for d in data {
            cmd.arg("--data").arg(d);
        }
        for l in labels {
            cmd.args(["--label", l]);
        }
        if partial {
            cmd.arg("--partial-labels");
        }
        let out = cmd.assert().success();
        serde_json::from_slice::<serde_json::Value>(&out.get_output().stdout).unwrap()
    };
    let report = evaluate(&[&spam, &toxic], &["spam", "toxic=toxicity"], true);
    assert_eq!(report["rows"], 24);
    for label in ["spam", "toxic"] {
        let m = &report["labels"][label];
        let carried: u64 = ["tp", "fp", "tn", "fn"]
            .iter()
            .map(|k| m[k].as_u64().unwrap_or_else(|| panic!("{k} in {m}")))
            .sum();
        assert_eq!(carried, 12, "{label}");
    }
    let alone = evaluate(&[&spam], &["spam"], false);
    assert_eq!(report["labels"]["spam"], alone["labels"]["spam"]);

    let mut cmd = cg();
    cmd.args(["evaluate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(&spam)
        .arg("--data")
        .arg(&toxic);
    fails_with(
        &mut cmd,
        &["spam.csv", r#"label "toxic""#, "--partial-labels"],
    );
}

/// `cv --partial-labels` on real comments: the spam column of one site's file and the toxicity
/// column of another's, cross-validated as one two-label model.
#[test]
fn cv_cross_validates_labels_from_different_files() {
    let dir = tempdir();
    let column = |src: &str, name: &str, col: &str| {
        let mut reader = csv::Reader::from_path(util::repo().join(src)).unwrap();
        let header = reader.headers().unwrap().clone();
        let find = |c: &str| header.iter().position(|h| h == c).unwrap();
        let (text, at) = (find("text"), find(col));
        let mut out = csv::Writer::from_path(dir.path().join(name)).unwrap();
        out.write_record(["text", col]).unwrap();
        let mut rows = 0;
        for row in reader.records() {
            let row = row.unwrap();
            out.write_record([&row[text], &row[at]]).unwrap();
            rows += 1;
        }
        out.flush().unwrap();
        (dir.path().join(name), rows)
    };
    let (spam, spam_rows) = column("training-data/train/blog.csv", "blog-spam.csv", "spam");
    let (toxic, toxic_rows) = column(
        "training-data/train/discussion.csv",
        "discussion-toxicity.csv",
        "toxicity",
    );
    let mut cmd = cg();
    cmd.args([
        "cv",
        "--json",
        "--partial-labels",
        "--label",
        "spam",
        "--label",
        "toxicity",
    ])
    .arg("--data")
    .arg(&spam)
    .arg("--data")
    .arg(&toxic);
    let out = cmd.assert().success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["rows"], spam_rows + toxic_rows);
    for (label, floor) in [("spam", 0.95), ("toxicity", 0.9)] {
        let auc = &report["labels"][label]["roc_auc"];
        // Every fold holds rows of both labels (folds are stratified by the labels carried).
        assert!(
            auc["folds"].as_array().unwrap().iter().all(|v| v.is_f64()),
            "{label}: {auc}"
        );
        assert!(auc["mean"].as_f64().unwrap() > floor, "{label}: {auc}");
    }
    let mut cmd = cg();
    cmd.args(["cv", "--label", "spam", "--label", "toxicity", "--data"])
        .arg(&spam)
        .arg("--data")
        .arg(&toxic);
    fails_with(
        &mut cmd,
        &["blog-spam.csv", r#"label "toxicity""#, "--partial-labels"],
    );
}
