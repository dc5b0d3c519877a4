//! `commentguard learn` and `commentguard forget` on model files, run as a user would.

use assert_cmd::Command;

fn cg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_commentguard"))
}

fn spam_score(model: &std::path::Path, text: &str) -> f64 {
    let out = cg()
        .args(["score", "--model"])
        .arg(model)
        .arg(text)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["scores"]["spam"].as_f64().unwrap()
}

#[test]
fn learn_then_forget_restores_the_scores_and_never_overwrites_the_input() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.model");
    std::fs::write(&base, commentguard::DEFAULT_MODEL).unwrap();
    let data = dir.path().join("fb.csv");
    let text = "zorblax vouchers, claim your zorblax at zorblax dot example";
    std::fs::write(
        &data,
        format!("text,spam,toxic\n\"{text}\",1,0\n\"{text}\",1,0\n\"nice parade today\",0,0\n"),
    )
    .unwrap();
    let learned = dir.path().join("learned.model");
    let run = |cmd: &str, model: &std::path::Path, out: &std::path::Path| {
        cg().args([cmd, "--label", "spam", "--label", "toxic", "--data"])
            .arg(&data)
            .arg("--model")
            .arg(model)
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    };
    let out = run("learn", &base, &learned);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("learned 3 comments"));
    // Learned twice as spam, the comment's spam log-odds rise by 2 (one step per comment); on
    // the default model it already scores about 0.91, so the probability moves by a few points.
    assert!(spam_score(&learned, text) > spam_score(&base, text) + 0.03);
    let forgotten = dir.path().join("forgotten.model");
    let out = run("forget", &learned, &forgotten);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!((spam_score(&forgotten, text) - spam_score(&base, text)).abs() < 1e-9);
    // Forgetting again is more than was learned: refused, nothing written.
    let again = dir.path().join("again.model");
    let out = run("forget", &forgotten, &again);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 2: this comment was never learned"),
        "{err}"
    );
    assert!(!again.exists());
    // Writing over the model read is refused.
    let before = std::fs::read(&learned).unwrap();
    let out = run("learn", &learned, &learned);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the file is one of the inputs"));
    assert_eq!(std::fs::read(&learned).unwrap(), before);
}

/// Audit D1: `learn --out` naming its own --data file replaced the labeled CSV with the model,
/// and said it had succeeded. Every spelling of the same file is refused now, the CSV intact.
#[test]
fn learn_and_forget_never_write_over_their_data() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("decisions.csv");
    let csv = "text,spam\n\"win a free cruise at cruisy dot example\",1\n\"lovely photos\",0\n";
    std::fs::write(&data, csv).unwrap();
    let link = dir.path().join("link.csv");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    let hard = dir.path().join("hard.csv");
    std::fs::hard_link(&data, &hard).unwrap();
    for cmd in ["learn", "forget"] {
        for out in [&data, &link, &hard] {
            let run = cg()
                .args([cmd, "--label", "spam", "--data"])
                .arg(&data)
                .arg("--out")
                .arg(out)
                .output()
                .unwrap();
            assert_eq!(run.status.code(), Some(1), "{cmd} --out {}", out.display());
            let err = String::from_utf8_lossy(&run.stderr);
            assert!(err.contains("the file is one of the inputs"), "{err}");
            assert_eq!(std::fs::read_to_string(&data).unwrap(), csv);
        }
        // Standard input redirected from the file is the same file.
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
            .args([cmd, "--label", "spam", "--data", "-", "--out"])
            .arg(&data)
            .stdin(std::fs::File::open(&data).unwrap())
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(1), "{cmd} --data - < the file");
        assert_eq!(std::fs::read_to_string(&data).unwrap(), csv);
    }
}

/// Audit M2: no model trained with the default --min-df could forget one of its own training
/// rows: the features training had dropped were taken for signs of a comment never learned.
/// They are skipped now; forgetting the row twice is refused, naming its line.
#[test]
fn a_training_row_can_be_forgotten_once() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/train/legacy.csv"),
    )
    .unwrap();
    let rows: Vec<&str> = corpus.lines().take(301).collect();
    let data = dir.path().join("small.csv");
    std::fs::write(&data, rows.join("\n") + "\n").unwrap();
    let first = dir.path().join("first.csv");
    std::fs::write(&first, format!("{}\n{}\n", rows[0], rows[1])).unwrap();
    let model = dir.path().join("m.model");
    let labels = ["--label", "spam", "--label", "toxicity"];
    cg().args(["train", "--data"])
        .arg(&data)
        .args(labels)
        .arg("--out")
        .arg(&model)
        .assert()
        .success();
    let forget = |from: &std::path::Path, to: &std::path::Path| {
        cg().args(["forget", "--data"])
            .arg(&first)
            .args(labels)
            .arg("--model")
            .arg(from)
            .arg("--out")
            .arg(to)
            .output()
            .unwrap()
    };
    let once = dir.path().join("once.model");
    let out = forget(&model, &once);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("forgot 1 comment; the model now counts 299 rows"),
        "{err}"
    );
    let twice = dir.path().join("twice.model");
    let out = forget(&once, &twice);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("first.csv: line 2: this comment was never learned"),
        "{err}"
    );
    assert!(!twice.exists());
}

/// `learn --label spam` on the seven-label embedded model fills the other labels with the
/// model's verdicts, which the learning moves, so the same `forget` once failed with "never
/// learned" (or, where other comments shared the features, took the counts out of the wrong
/// class). `learn` now records the filled verdicts in the model and `forget` takes them: the
/// comments come out exactly, and the model scores as the embedded one again.
#[test]
fn a_forget_without_every_label_takes_out_what_its_learn_put_in() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv"),
    )
    .unwrap();
    let data = dir.path().join("d.csv");
    let head: Vec<&str> = fixture.lines().take(301).collect();
    std::fs::write(&data, head.join("\n") + "\n").unwrap();
    let learned = dir.path().join("l.model");
    let out = cg()
        .args(["learn", "--label", "spam", "--data"])
        .arg(&data)
        .arg("--out")
        .arg(&learned)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("300 comments lacked some labels: learned with the model's own"),
        "{stderr}"
    );
    let out = cg()
        .args(["inspect", "--model"])
        .arg(&learned)
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("filled verdicts recorded (for forget): 300 learnings of "),
        "{shown}"
    );
    let forgotten = dir.path().join("f.model");
    let out = cg()
        .args(["forget", "--label", "spam", "--model"])
        .arg(&learned)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(&forgotten)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "300 comments lacked some labels: forgotten with the verdicts they were learned with"
        ),
        "{stderr}"
    );
    // Every label's probability of every comment, by the embedded model, the learned one and
    // the one the learning was forgotten from.
    let scores = |model: Option<&std::path::Path>| -> Vec<f64> {
        let mut cmd = cg();
        cmd.args(["score", "--format", "jsonl", "--input"])
            .arg(&data);
        if let Some(m) = model {
            cmd.arg("--model").arg(m);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .flat_map(|line| {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let scores = v["scores"].as_object().unwrap().clone();
                scores.into_iter().map(|(_, p)| p.as_f64().unwrap())
            })
            .collect()
    };
    let (base, after_learn, after_forget) = (
        scores(None),
        scores(Some(&learned)),
        scores(Some(&forgotten)),
    );
    assert_eq!(base.len(), 300 * 7);
    let most = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max)
    };
    assert!(most(&base, &after_learn) > 0.01, "learning moved nothing");
    assert!(
        most(&base, &after_forget) < 1e-9,
        "{}",
        most(&base, &after_forget)
    );
    // The record went with the forget: forgetting again finds nothing learned.
    let out = cg()
        .args(["forget", "--label", "spam", "--model"])
        .arg(&forgotten)
        .arg("--data")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("twice.model"))
        .output()
        .unwrap();
    assert!(!out.status.success());
}

/// Toxic comments of the corpus's holdout files the model at `model` (the embedded one when
/// `None`) flags for toxicity.
fn toxic_flagged(model: Option<&std::path::Path>) -> (usize, usize) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut toxic, mut flagged) = (0, 0);
    for name in ["threats.csv", "rants.csv", "identity.csv", "comebacks.csv"] {
        let file = root.join("training-data/holdout").join(name);
        let mut cmd = cg();
        cmd.args(["score", "--format", "jsonl", "--input"])
            .arg(&file);
        if let Some(m) = model {
            cmd.arg("--model").arg(m);
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut rows = csv::Reader::from_path(&file).unwrap();
        let is_toxic: Vec<bool> = rows.records().map(|r| &r.unwrap()[3] == "1").collect();
        for (line, toxic_row) in String::from_utf8(out.stdout).unwrap().lines().zip(is_toxic) {
            if toxic_row {
                toxic += 1;
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                flagged += usize::from(
                    v["flagged"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|l| l == "toxicity"),
                );
            }
        }
    }
    (flagged, toxic)
}

/// The third audit: learning comments with only spam given stepped every other label's
/// learned weights towards the verdicts the model filled in ("not toxic", mostly), and 100
/// YouTube comments learned that way took the Jigsaw comments flagged for toxicity from 150
/// to 46. Filled verdicts now count but do not step: the toxic comments of the corpus's
/// holdout are flagged as before, within a few.
#[test]
fn learning_one_label_leaves_the_others_where_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv");
    let learned = dir.path().join("spam.model");
    let out = cg()
        .args(["learn", "--label", "spam", "--data"])
        .arg(&fixture)
        .arg("--out")
        .arg(&learned)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (before, toxic) = toxic_flagged(None);
    let (after, _) = toxic_flagged(Some(&learned));
    assert!(toxic > 300 && before > toxic / 2, "{before} of {toxic}");
    assert!(
        after * 100 >= before * 97,
        "toxic flagged: {before} before, {after} after learning spam"
    );
}

/// The third audit: a forget whose extra label disagreed with the verdict `learn` recorded
/// fell back to the model's own verdicts and took the comment out of the wrong class, with
/// exit 0, and a second forget then took it out again. It is refused, naming the line.
#[test]
fn a_forget_that_disagrees_with_the_recorded_verdicts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    std::fs::write(&a, "text,spam\n\"this is\",0\n").unwrap();
    std::fs::write(&b, "text,spam,tox\n\"this is\",0,1\n").unwrap();
    let learned = dir.path().join("l.model");
    cg().args(["learn", "--label", "spam", "--data"])
        .arg(&a)
        .arg("--out")
        .arg(&learned)
        .assert()
        .success();
    let wrong = dir.path().join("f.model");
    let out = cg()
        .args([
            "forget",
            "--label",
            "spam",
            "--label",
            "toxicity=tox",
            "--model",
        ])
        .arg(&learned)
        .arg("--data")
        .arg(&b)
        .arg("--out")
        .arg(&wrong)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("b.csv: line 2: this comment was learned, but with other verdicts"),
        "{stderr}"
    );
    assert!(!wrong.exists());
    // The learn's own file forgets it, once.
    let right = dir.path().join("r.model");
    cg().args(["forget", "--label", "spam", "--model"])
        .arg(&learned)
        .arg("--data")
        .arg(&a)
        .arg("--out")
        .arg(&right)
        .assert()
        .success();
}

/// The third audit: `learn --label spam --label spam=tox` learned spam from `tox` (the last
/// won), as `evaluate` did; `train` refused it. Both refuse it now, aliases included.
#[test]
fn a_label_given_twice_is_refused_by_learn_and_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d.csv");
    std::fs::write(
        &data,
        "text,spam,tox\n\"hello there\",0,1\n\"buy now\",1,0\n",
    )
    .unwrap();
    for (command, labels, expected) in [
        (
            "learn",
            ["spam", "spam=tox"],
            "label \"spam\" is given twice by --label",
        ),
        (
            "evaluate",
            ["toxicity=tox", "toxic=tox"],
            "--label toxicity and --label toxic both give the model's label \"toxicity\"",
        ),
    ] {
        let mut cmd = cg();
        cmd.args([command, "--data"]).arg(&data);
        for l in labels {
            cmd.args(["--label", l]);
        }
        if command == "learn" {
            cmd.arg("--out").arg(dir.path().join("l.model"));
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{command}: {stderr}");
        assert!(stderr.contains(expected), "{command}: {stderr}");
    }
    assert!(!dir.path().join("l.model").exists());
}
