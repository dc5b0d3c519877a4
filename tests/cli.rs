//! The commands as a user runs them: inputs, outputs, training, evaluation, explanation.

mod util;

use util::{cg, fails_with, jsonl, tempdir, write};

/// A tiny labeled set: 4 spam, 4 ham; `toxic` is a categorical column for the spec tests.
const LABELED: &str = "\
id,text,spam,kind
a1,win free cash now click here,1,bad
a2,free gift cards for everyone click,yes,bad
a3,cheap pills online no prescription,TRUE,bad
a4,earn cash from home click my link,1,bad
b1,great game last night what a goal,0,ok
b2,the council meets on monday about roads,no,ok
b3,i disagree with the mayor on taxes,false,ok
b4,lovely photos of the park in spring,0,rude
";

/// Textbook multinomial NB with a fixed threshold: 8 rows are too few for 5-fold tuning, and
/// for an NB-LR head's weights.
pub const PLAIN: &[&str] = &[
    "--head",
    "nb",
    "--nb",
    "multinomial",
    "--alpha",
    "1",
    "--tf",
    "raw",
    "--idf",
    "false",
    "--norm",
    "false",
    "--min-df",
    "1",
    "--tune",
    "none",
    "--calibration",
    "none",
];

fn train(dir: &std::path::Path, args: &[&str]) -> std::path::PathBuf {
    let data = write(dir, "labeled.csv", LABELED);
    let model = dir.join("m.model");
    cg().arg("train")
        .arg("--data")
        .arg(&data)
        .args(PLAIN)
        .args(args)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    model
}

#[test]
fn score_csv_input_with_ids_to_csv_output() {
    let dir = tempdir();
    let input = write(
        dir.path(),
        "in.csv",
        "COMMENT_ID,CONTENT\nx7,\"Free gift cards!!! click bit.ly/abc, earn $500 a day\"\ny8,\"Nice goal, what a game\"\n",
    );
    let out = cg()
        .args([
            "score",
            "--text-column",
            "CONTENT",
            "--id-column",
            "COMMENT_ID",
            "--format",
            "csv",
            "--input",
        ])
        .arg(&input)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        rdr.headers().unwrap(),
        vec![
            "id",
            "spam",
            "toxicity",
            "severe_toxicity",
            "identity_attack",
            "insult",
            "profanity",
            "threat",
            "flagged"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][0], "x7");
    assert_eq!(&rows[0][8], "spam");
    assert_eq!(&rows[1][0], "y8");
    assert_eq!(&rows[1][8], "");
}

#[test]
fn score_jsonl_input_and_table_output() {
    let dir = tempdir();
    let input = write(
        dir.path(),
        "in.jsonl",
        "{\"id\": 10, \"text\": \"what a great match\"}\n{\"id\": 11, \"text\": \"FREE iPhone giveaway, claim at win-prize.xyz\"}\n",
    );
    let out = cg()
        .args(["score", "--id-column", "id", "--input"])
        .arg(&input)
        .assert()
        .success();
    let rows = jsonl(&out.get_output().stdout);
    assert_eq!(rows[0]["id"], "10");
    assert_eq!(rows[1]["id"], "11");
    assert_eq!(rows[1]["flagged"], serde_json::json!(["spam"]));

    let out = cg()
        .args(["score", "--format", "table", "hello there"])
        .assert()
        .success();
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].contains("spam") && lines[0].contains("toxic") && lines[0].contains("flagged")
    );
    assert!(lines[1].contains("hello there"));

    // Audit L2: a newline in an id broke the table's row (the text was already cleaned).
    let dir = tempdir();
    let data = write(
        dir.path(),
        "ids.csv",
        "id,text\n\"new\nline\",hello\n2,world\n",
    );
    let out = cg()
        .args(["score", "--format", "table", "--id-column", "id", "--input"])
        .arg(&data)
        .assert()
        .success();
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert_eq!(table.lines().count(), 3, "{table}");
}

/// Audit M7: a second value for a label's threshold silently replaced the first.
#[test]
fn a_label_given_two_thresholds_is_refused() {
    fails_with(
        cg().args([
            "score",
            "--threshold",
            "spam=0.1",
            "--threshold",
            "spam=0.9",
            "hi",
        ]),
        &["label \"spam\" is given twice (--threshold and --threshold)"],
    );
    let dir = tempdir();
    let data = write(dir.path(), "d.csv", "text,spam\nwin cash,1\nhello,0\n");
    fails_with(
        cg().args(["train", "--label", "spam", "--threshold", "spam=0.5"])
            .args(["--target-precision", "spam=0.9", "--data"])
            .arg(&data)
            .arg("--out")
            .arg(dir.path().join("m.model")),
        &["label \"spam\" is given twice (--target-precision and --threshold)"],
    );
}

#[test]
fn threshold_override_changes_what_is_flagged() {
    let comment = "Free gift cards, click here";
    let out = cg().args(["score", comment]).assert().success();
    let spam = jsonl(&out.get_output().stdout)[0]["scores"]["spam"]
        .as_f64()
        .unwrap();
    assert!((0.5..1.0).contains(&spam), "spam {spam}");
    let out = cg()
        .args(["score", comment, "--threshold", "spam=1"])
        .assert()
        .success();
    assert_eq!(
        jsonl(&out.get_output().stdout)[0]["flagged"],
        serde_json::json!([])
    );
}

#[test]
fn train_with_column_and_categorical_specs_then_evaluate() {
    let dir = tempdir();
    let model = train(
        dir.path(),
        &["--label", "spam", "--label", "rude=kind:bad,rude"],
    );
    let out = cg()
        .args(["evaluate", "--json", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(dir.path().join("labeled.csv"))
        .args(["--label", "spam", "--label", "rude=kind:bad,rude"])
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(report["rows"], 8);
    let spam = &report["labels"]["spam"];
    // Each row's words appear in training, so the model separates its own training set.
    let (tp, fp, tn, fn_) = (&spam["tp"], &spam["fp"], &spam["tn"], &spam["fn"]);
    assert_eq!(
        (tp, fp, tn, fn_),
        (&4.into(), &0.into(), &4.into(), &0.into()),
        "{report}"
    );
    assert_eq!(spam["precision"], 1.0);
    assert_eq!(spam["roc_auc"], 1.0);
    assert_eq!(spam["threshold"], 0.5);
    // rude = kind in {bad, rude}: rows a1..a4 and b4 are positive, 5 of 8.
    let rude = &report["labels"]["rude"];
    let positives = rude["tp"].as_u64().unwrap() + rude["fn"].as_u64().unwrap();
    assert_eq!(positives, 5);

    let out = cg()
        .args(["evaluate", "--model"])
        .arg(&model)
        .arg("--data")
        .arg(dir.path().join("labeled.csv"))
        .args(["--label", "spam"])
        .assert()
        .success();
    let table = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(table.contains("rows: 8"), "{table}");
    assert!(table.contains("spam (threshold 0.5000)"), "{table}");
    assert!(table.contains("positive"), "confusion matrix: {table}");
}

#[test]
fn training_twice_gives_identical_bytes_and_leaves_no_temporary_files() {
    let dir = tempdir();
    let first = std::fs::read(train(dir.path(), &["--label", "spam"])).unwrap();
    let second = std::fs::read(train(dir.path(), &["--label", "spam"])).unwrap();
    assert_eq!(first, second);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["labeled.csv", "m.model"]);
}

#[test]
fn explain_names_the_tokens_that_pushed_each_label() {
    let out = cg()
        .args(["explain", "check out my channel and subscribe"])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        text.contains("spam:") && text.contains("toxicity:"),
        "{text}"
    );
    assert!(text.contains("subscribe"), "{text}");
    let out = cg()
        .args(["explain", "--json", "--top", "3", "free gift cards"])
        .assert()
        .success();
    let rows = jsonl(&out.get_output().stdout);
    let features = rows[0]["labels"]["spam"]["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let first = features[0]["log_odds"].as_f64().unwrap();
    assert!(
        first > 0.0,
        "the strongest spam feature of a gift-card pitch pushes up"
    );
    // The features --top leaves out are summed in `rest` (the audit's L2: the prior and the
    // parts listed came to 0.48 of a score of 0.99999): every label adds up again.
    for (label, l) in rows[0]["labels"].as_object().unwrap() {
        let parts = |key: &str| {
            let listed: f64 = l["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f[key].as_f64().unwrap())
                .sum();
            listed + l["rest"][key].as_f64().unwrap()
        };
        let score = l["prior_score"].as_f64().unwrap() + parts("score_part");
        assert!(
            (score - l["score"].as_f64().unwrap()).abs() < 1e-9,
            "{label}: {l}"
        );
        let log_odds = l["prior_log_odds"].as_f64().unwrap() + parts("log_odds");
        assert!(
            (log_odds - l["log_odds"].as_f64().unwrap()).abs() < 1e-9,
            "{label}: {l}"
        );
        assert!(l["rest"]["features"].as_u64().unwrap() > 0, "{label}: {l}");
    }
}

/// Regression (issue 15, item 8): every part printed as +0.000 in log-odds; the table now
/// shows each feature's part of the calibrated score, and the printed parts (with the line for
/// the features not shown) add up to the printed score.
#[test]
fn explain_parts_add_up_to_the_printed_score() {
    let comment = "I think the article misses the point about sanctions.";
    let out = cg()
        .args(["explain", "--top", "4", comment])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let mut lines = text.lines().skip(1).peekable();
    while let Some(head) = lines.next() {
        // "  spam: 0.0123 (not flagged, threshold 0.4) = 0.0456 before any feature + ..."
        let score: f64 = head
            .split(':')
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let prior: f64 = head
            .split("= ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let mut sum = prior;
        let mut nonzero = 0;
        while lines.peek().is_some_and(|l| l.starts_with("    ")) {
            let part: f64 = lines
                .next()
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap_or(0.0);
            nonzero += usize::from(part != 0.0);
            sum += part;
        }
        assert!(
            (sum - score).abs() < 0.0004,
            "{head}: parts add up to {sum}"
        );
        assert!(
            nonzero > 0 || (score - prior).abs() < 1e-4,
            "{head}: every part printed as zero\n{text}"
        );
    }
}

#[test]
fn inspect_shows_labels_vocabulary_rows_and_sources() {
    let dir = tempdir();
    let model = train(dir.path(), &["--label", "spam"]);
    let out = cg()
        .args(["inspect", "--min-df", "1", "--model"])
        .arg(&model)
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(text.contains("labels: spam (threshold 0.5)"), "{text}");
    assert!(text.contains("rows: 8"), "{text}");
    assert!(text.contains("spam: 4 positive, 4 negative"), "{text}");
    assert!(
        text.contains("labeled.csv (8 rows, 0 skipped) sha256 "),
        "{text}"
    );
    assert!(text.contains("top features for spam:"), "{text}");
    assert!(text.contains("click"), "{text}");
    assert!(text.contains("head: naive Bayes alone"), "{text}");
}

/// The table cut every id to 8 characters, so YouTube's 43-character ids all read
/// `LZQPQhL…` (the walk-through of the README); its id column now fits the first rows' ids,
/// up to 48 characters.
#[test]
fn the_table_shows_whole_ids() {
    let dir = tempdir();
    let id = "LZQPQhLyRh80UYxNuaDWhIGQYNQ96IuCg-AYWqNPjpU";
    let data = write(
        dir.path(),
        "c.csv",
        format!("id,text\n{id},nice video\n7,ok\n"),
    );
    let out = cg()
        .args(["score", "--format", "table", "--id-column", "id", "--input"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[1].starts_with(id), "{text}");
    assert!(lines[2].starts_with(&format!("{:>43}", "7")), "{text}");
    // Columns stay aligned: the spam header ends where the spam score ends, 8 characters
    // after the id column and its two spaces.
    let spam = id.len() + 2..id.len() + 10;
    assert_eq!(lines[0][spam.clone()].trim(), "spam", "{text}");
    for line in &lines[1..] {
        assert!(line[spam.clone()].trim().parse::<f64>().is_ok(), "{text}");
    }
}

/// `inspect` told an NB-LR model from a naive Bayes one by nothing (found by a walk-through
/// of the README); boolean feature options work alone, as the README lists them (`--idf`).
#[test]
fn inspect_names_the_head_and_boolean_options_stand_alone() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default.model");
    let out = cg()
        .args(["inspect", "--top", "1", "--model", model])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("head: NB-LR (") && text.contains("epochs 2, l2 100, rate 1, beta 1"),
        "{text}"
    );

    let dir = tempdir();
    let data = write(dir.path(), "labeled.csv", LABELED);
    let model = |options: &[&str]| -> Vec<u8> {
        let out = dir.path().join("m.model");
        cg().args(["train", "--label", "spam", "--head", "nb", "--min-df", "1"])
            .args(["--tune", "none", "--calibration", "none", "--data"])
            .arg(&data)
            .args(options)
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        std::fs::read(out).unwrap()
    };
    let bare = model(&["--idf", "--norm", "--uniform-priors"]);
    assert_eq!(
        bare,
        model(&[
            "--idf",
            "true",
            "--norm",
            "true",
            "--uniform-priors",
            "true"
        ])
    );
    assert_ne!(
        bare,
        model(&["--uniform-priors", "false", "--idf", "--norm"])
    );
}

/// The default model's complement NB weights are a few 1e-4 each: the listing must still show
/// them as the positive numbers they are, not as +0.000.
#[test]
fn inspect_shows_small_weights() {
    let model = concat!(env!("CARGO_MANIFEST_DIR"), "/models/default.model");
    let out = cg()
        .args(["inspect", "--top", "5", "--model", model])
        .assert()
        .success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let listed = text.split("top features for spam:\n").nth(1).unwrap();
    for line in listed.lines().take(5) {
        let w: f64 = line.split_whitespace().next().unwrap().parse().unwrap();
        assert!(w > 1e-6, "{line:?} in {text}");
    }
}

#[test]
fn broken_pipe_exits_quietly() {
    let lines = "some comment\n".repeat(200_000);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .arg("score")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let _ = stdin.write_all(lines.as_bytes());
    });
    // Read one line, then close our end of stdout.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(first.starts_with("{\"id\":\"1\""), "{first}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Audit M10: `explain --json` (like `cv --json`) writes through serde_json, whose error hid
/// the broken pipe: "Broken pipe (os error 32)", exit 1, where every other output ends quietly.
#[test]
fn explain_json_into_a_closed_pipe_exits_quietly() {
    let comments: Vec<String> = (0..3000).map(|i| format!("comment number {i}")).collect();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["explain", "--json"])
        .args(&comments)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("{\"id\":\"1\""), "{first}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
}

#[test]
fn help_states_the_library_defaults() {
    use commentguard::{AnalyzerOptions, NbParams, ParamGuard};
    let out = cg().args(["train", "--help"]).assert().success();
    let help = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    let p = NbParams::new().check().unwrap();
    let a = AnalyzerOptions::default();
    let expected = [
        format!("[default: {}]", format!("{:?}", p.kind()).to_lowercase()),
        format!("[default: {}]", p.alpha()),
        format!(
            "[default: {}]",
            format!("{:?}", p.term_weight()).to_lowercase()
        ),
        format!("[default: {}]", p.idf()),
        format!("[default: {}]", p.normalize()),
        format!("[default: {}]", p.uniform_priors()),
        format!("[default: {}]", p.min_df()),
        format!("[default: {}]", p.max_df()),
        format!("[default: {}]", a.word_ngrams),
    ];
    for e in &expected {
        assert!(help.contains(e), "{e} missing from train --help:\n{help}");
    }
    assert_eq!(a.char_ngrams, None);
    assert!(help.contains("[default: none]"));
}

/// Audit M8: options the input would not use were silently ignored (`--id-column` on lines
/// from stdin gave position ids without a word); they are refused, as `--input-format` without
/// `--input` was.
#[test]
fn options_the_input_does_not_use_are_refused() {
    fails_with(
        cg().args(["score", "--id-column", "COMMENT_ID"])
            .write_stdin("free money now\n"),
        &["--id-column and --delimiter need --input"],
    );
    fails_with(
        cg().args(["score", "--text-column", "CONTENT", "free money"]),
        &["need --input with a CSV, TSV or JSONL file"],
    );
    fails_with(
        cg().args(["score", "--skip-invalid", "free money"]),
        &["--skip-invalid is for input read from a file"],
    );
    let dir = tempdir();
    let data = write(dir.path(), "one.jsonl", "{\"text\": \"free money now\"}\n");
    fails_with(
        cg().args(["score", "--delimiter", ";", "--input"])
            .arg(&data),
        &["--delimiter is for CSV input"],
    );
    // What they are for still works.
    let data = write(dir.path(), "c.csv", "CONTENT;ID\nfree money now;c1\n");
    let out = cg()
        .args(["score", "--text-column", "CONTENT", "--id-column", "ID"])
        .args(["--delimiter", ";", "--input"])
        .arg(&data)
        .assert()
        .success();
    assert_eq!(jsonl(&out.get_output().stdout)[0]["id"], "c1");
}
