//! Bad input: every case exits 1 with one clear line on stderr, or succeeds where it should.

mod util;

use util::{cg, fails_with, jsonl, tempdir, write};

const GOOD: &str = "id,text,spam\n1,win free cash now,1\n2,nice game last night,0\n";

#[test]
fn missing_column_lists_the_columns_that_exist() {
    let dir = tempdir();
    let data = write(dir.path(), "d.csv", GOOD);
    fails_with(
        cg().args(["train", "--text-column", "body", "--label", "spam", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &["d.csv", r#"no column "body""#, r#""id", "text", "spam""#],
    );
}

/// The CLI audit's L4: JSON Lines in a file named `.csv` said only that there was no column
/// "text", listing the first object's pieces as columns.
#[test]
fn json_lines_in_a_csv_name_get_a_hint() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "d.csv",
        "{\"text\": \"hello\", \"spam\": 0}\n{\"text\": \"win cash\", \"spam\": 1}\n",
    );
    fails_with(
        cg().args(["train", "--label", "spam", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &[
            "d.csv: no column \"text\"",
            "the first line is a JSON object",
            ".jsonl",
        ],
    );
}

/// The CLI audit's L1: labels named like the other columns of score's output, or holding the
/// separators its `flagged` lists use, made CSV headers with a column twice and lists no one
/// could split.
#[test]
fn labels_that_would_garble_score_output_are_refused() {
    let dir = tempdir();
    for (label, expected) in [
        ("flagged", "name parts of score's output"),
        ("id", "name parts of score's output"),
        ("a;b", "may not hold a comma, a semicolon"),
        ("a,b", "may not hold a comma, a semicolon"),
    ] {
        let data = write(
            dir.path(),
            "d.csv",
            "text,x\nwin free cash now,1\nnice game last night,0\n",
        );
        fails_with(
            cg().args(["train", "--label", &format!("{label}=x"), "--out"])
                .arg(dir.path().join("m.model"))
                .arg("--data")
                .arg(&data),
            &[&format!("invalid label {label:?}"), expected],
        );
    }
}

#[test]
fn wrong_number_of_fields_names_file_and_line() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "d.csv",
        "id,text,spam\n1,hello,0\n2,oops,0,extra\n3,x,1\n",
    );
    fails_with(
        cg().args(["train", "--label", "spam", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &["d.csv: line 3: found 4 fields, but the header has 3"],
    );
}

#[test]
fn invalid_label_names_file_line_column_and_value() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "d.csv",
        "id,text,spam\n1,hello,0\n2,buy now,maybe\n",
    );
    fails_with(
        cg().args(["train", "--label", "spam", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &[r#"d.csv: line 3, column "spam": invalid label value "maybe""#],
    );
}

#[test]
fn invalid_utf8_names_file_and_line() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "d.csv",
        b"id,text,spam\n1,ok,0\n2,caf\xe9,1\n".as_slice(),
    );
    fails_with(
        cg().args(["train", "--label", "spam", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &[r#"d.csv: line 3, column "text": invalid UTF-8"#],
    );
    // The same on stdin lines for score.
    fails_with(
        cg().arg("score")
            .write_stdin(b"fine\n\xff\xfe\n".as_slice()),
        &["<stdin>: line 2: invalid UTF-8"],
    );
}

/// A spreadsheet saved as "Unicode text", or PowerShell's `>`, gives UTF-16: read as UTF-8 its
/// header was `"t\0e\0x\0t\0"` and the error said no column "text".
#[test]
fn text_in_utf16_or_utf32_is_named_as_such() {
    let dir = tempdir();
    let utf16 = |big: bool, mark: bool| -> Vec<u8> {
        let units = (mark.then_some(0xFEFF_u16))
            .into_iter()
            .chain(GOOD.encode_utf16());
        units
            .flat_map(|u| {
                if big {
                    u.to_be_bytes()
                } else {
                    u.to_le_bytes()
                }
            })
            .collect()
    };
    let utf32: Vec<u8> = std::iter::once('\u{feff}')
        .chain(GOOD.chars())
        .flat_map(|c| (c as u32).to_le_bytes())
        .collect();
    let cases = [
        (
            "le-mark.csv",
            utf16(false, true),
            "UTF-16 (little-endian)",
            "-f UTF-16 ",
        ),
        (
            "le.csv",
            utf16(false, false),
            "UTF-16 (little-endian)",
            "-f UTF-16LE ",
        ),
        (
            "be.csv",
            utf16(true, false),
            "UTF-16 (big-endian)",
            "-f UTF-16BE ",
        ),
        (
            "be-mark.csv",
            utf16(true, true),
            "UTF-16 (big-endian)",
            "-f UTF-16 ",
        ),
        ("wide.csv", utf32, "UTF-32 (little-endian)", "-f UTF-32 "),
    ];
    for (name, bytes, encoding, iconv) in cases {
        let data = write(dir.path(), name, &bytes);
        let expected = [
            &format!("{name}: line 1: this looks like {encoding} text")[..],
            "commentguard reads UTF-8",
            iconv,
        ];
        fails_with(
            cg().args(["train", "--label", "spam", "--out"])
                .arg(dir.path().join("m.model"))
                .arg("--data")
                .arg(&data),
            &expected,
        );
        fails_with(cg().arg("score").arg("--input").arg(&data), &expected);
    }
    // JSON Lines and stdin are looked at the same way.
    let lines: Vec<u8> = "{\"text\": \"hello\"}\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let data = write(dir.path(), "c.jsonl", &lines);
    fails_with(
        cg().arg("score").arg("--input").arg(&data),
        &["c.jsonl: line 1: this looks like UTF-16 (little-endian) text"],
    );
    fails_with(
        cg().arg("score").write_stdin(lines),
        &["<stdin>: line 1: this looks like UTF-16 (little-endian) text"],
    );
    // UTF-8 text that is not ASCII, with or without its byte-order mark, is read as before.
    for text in [
        "\u{feff}id,text,spam\n1,café über naïve,0\n",
        "id,text,spam\n1,日本語のコメント,0\n",
    ] {
        let data = write(dir.path(), "u.csv", text);
        let out = cg()
            .arg("score")
            .arg("--input")
            .arg(&data)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    }
}

/// Ten rows, two cv folds: the fold that ran short of positives was a tuning fold inside the
/// cv fold, and the error blamed the cv folds (already at their minimum of 2).
#[test]
fn a_tuning_fold_short_of_a_class_is_named_as_such() {
    let dir = tempdir();
    let rows: String = (0..10)
        .map(|i| format!("word{i} common text here,{}\n", i % 2))
        .collect();
    let data = write(dir.path(), "ten.csv", format!("text,spam\n{rows}"));
    let line = fails_with(
        cg().args([
            "cv", "--label", "spam", "--min-df", "1", "--folds", "2", "--data",
        ])
        .arg(&data),
        &[
            "tuning fold",
            "--tune-folds",
            "--tune none --calibration none",
        ],
    );
    assert!(
        line.contains("fold 1 of 2, tuning fold") || line.contains("fold 2 of 2, tuning fold"),
        "{line}"
    );
    // One positive row: the tuning fold that holds it leaves none to train on.
    let rows: String = (0..10)
        .map(|i| format!("word{i} common text here,{}\n", u8::from(i == 3)))
        .collect();
    let data = write(dir.path(), "one.csv", format!("text,spam\n{rows}"));
    fails_with(
        cg().args(["train", "--label", "spam", "--min-df", "1", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &["tuning fold", "of 5", "no positive rows", "--tune-folds"],
    );
}

#[test]
fn empty_file_and_header_only() {
    let dir = tempdir();
    let empty = write(dir.path(), "empty.csv", "");
    let header = write(dir.path(), "header.csv", "id,text,spam\n");
    for (file, msg) in [
        (&empty, "empty.csv: the file is empty"),
        (&header, "header.csv: the file has a header but no rows"),
    ] {
        fails_with(
            cg().args(["train", "--label", "spam", "--out"])
                .arg(dir.path().join("m.model"))
                .arg("--data")
                .arg(file),
            &[msg],
        );
        fails_with(cg().args(["score", "--input"]).arg(file), &[msg]);
    }
}

#[test]
fn empty_comment_scores_fine() {
    let out = cg().args(["score", ""]).assert().success();
    let rows = jsonl(&out.get_output().stdout);
    let spam = rows[0]["scores"]["spam"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&spam));
}

#[test]
fn one_megabyte_comment_gets_finite_scores() {
    let mut big = String::new();
    while big.len() < 1 << 20 {
        big.push_str("free money click here now you idiot, gift cards at bit.ly/x ");
    }
    big.push('\n');
    let out = cg().arg("score").write_stdin(big).assert().success();
    let rows = jsonl(&out.get_output().stdout);
    assert_eq!(rows.len(), 1);
    for label in ["spam", "toxicity", "insult"] {
        let p = rows[0]["scores"][label].as_f64().unwrap();
        assert!(p.is_finite() && (0.0..=1.0).contains(&p), "{label}: {p}");
    }
}

#[test]
fn truncated_model_file() {
    let dir = tempdir();
    let bytes = commentguard::DEFAULT_MODEL;
    let model = write(dir.path(), "cut.model", &bytes[..bytes.len() / 2]);
    fails_with(
        cg().args(["score", "hello", "--model"]).arg(&model),
        &["cut.model: truncated model file"],
    );
}

/// Audit H2: the loader read the whole file before looking at its header, so `--model
/// /dev/zero` grew by a gigabyte a second and never answered. Endless streams are refused at
/// their header now, and a forged header cannot make a stream's read unbounded.
#[test]
fn endless_streams_as_models_are_refused_at_once() {
    for device in ["/dev/zero", "/dev/urandom"] {
        fails_with(
            cg().args(["score", "hello", "--model", device])
                .timeout(std::time::Duration::from_secs(20)),
            &[&format!("{device}: not a commentguard model file")],
        );
    }
    // A model's header declaring 2^40 bytes, then zeros for ever, on standard input.
    let mut header = b"CMTGUARD".to_vec();
    header.extend_from_slice(&4u32.to_le_bytes());
    header.extend_from_slice(&(1u64 << 40).to_le_bytes());
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_commentguard"))
        .args(["score", "hello", "--model", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let zeros = vec![0u8; 1 << 16];
        // Stops when the reader goes away.
        let _ = stdin.write_all(&header);
        while stdin.write_all(&zeros).is_ok() {}
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("its header declares a payload of"), "{err}");
}

#[test]
fn file_that_is_not_a_model() {
    let dir = tempdir();
    let model = write(dir.path(), "d.csv", GOOD);
    fails_with(
        cg().args(["score", "hello", "--model"]).arg(&model),
        &["d.csv: not a commentguard model file"],
    );
    fails_with(
        cg().args(["inspect", "--model"])
            .arg(dir.path().join("missing.model")),
        &["missing.model"],
    );
}

#[test]
fn corrupted_model_fails_its_checksum() {
    let dir = tempdir();
    let mut bytes = commentguard::DEFAULT_MODEL.to_vec();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    let model = write(dir.path(), "bad.model", bytes);
    fails_with(
        cg().args(["score", "hello", "--model"]).arg(&model),
        &["bad.model: checksum mismatch"],
    );
}

#[test]
fn skip_invalid_skips_and_reports_how_many_and_where() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "d.csv",
        "id,text,spam\n1,win cash,1\n2,bad,maybe\n3,nice game,0\n4,x,1,extra\n5,cheap pills,1\n6,see you monday,0\n",
    );
    let model = dir.path().join("m.model");
    let out = cg()
        .args([
            "train",
            "--label",
            "spam",
            "--skip-invalid",
            "--tune",
            "none",
        ])
        .args(["--calibration", "none", "--min-df", "1", "--out"])
        .arg(&model)
        .arg("--data")
        .arg(&data)
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("d.csv: skipped 2 invalid rows (lines 3, 5)"),
        "{stderr}"
    );
    assert!(stderr.contains("trained on 4 rows"), "{stderr}");
}

#[test]
fn unknown_threshold_label_is_an_error() {
    fails_with(
        cg().args(["score", "hi", "--threshold", "sapm=0.9"]),
        &[
            r#"the model has no label "sapm"; its labels are: "spam", "toxicity", "severe_toxicity""#,
        ],
    );
}

#[test]
fn label_with_one_class_only_is_an_error() {
    let dir = tempdir();
    let data = write(dir.path(), "d.csv", "text,spam\na,0\nb,0\n");
    fails_with(
        cg().args(["train", "--label", "spam", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &[r#"label "spam" has no positive rows"#],
    );
}

/// No word n-grams and no character n-grams would leave nothing to learn from.
#[test]
fn no_features_at_all_is_an_error() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "d.csv",
        "text,spam\nfree gift,1\nhello there,0\n",
    );
    fails_with(
        cg().args(["train", "--label", "spam", "--word-ngrams", "0", "--out"])
            .arg(dir.path().join("m.model"))
            .arg("--data")
            .arg(&data),
        &["word n-gram length", "needs character n-grams"],
    );
}

/// Audit M9: options that dropped every feature wrote a model giving every comment the same
/// score (it flagged all of them), and training reported success.
#[test]
fn options_that_leave_no_feature_are_refused() {
    let dir = tempdir();
    let rows: String = (0..40)
        .map(|i| {
            format!(
                "{i},comment number {i} about the {} game,{}\n",
                i % 7,
                i % 2
            )
        })
        .collect();
    let data = write(dir.path(), "d.csv", format!("id,text,spam\n{rows}"));
    for option in [["--max-df", "0.001"], ["--min-df", "100000"]] {
        let out = dir.path().join("m.model");
        fails_with(
            cg().args(["train", "--label", "spam", "--data"])
                .arg(&data)
                .args(option)
                .arg("--out")
                .arg(&out),
            &["no feature is left", "lower --min-df or raise --max-df"],
        );
        assert!(!out.exists());
    }
}

/// Audit L5: `--alpha -1` got the option parser's "unexpected argument '-1'" and a tip that
/// did not work; a negative value now reaches the range check, which says what is allowed.
#[test]
fn negative_numbers_reach_the_range_check() {
    let dir = tempdir();
    let data = write(dir.path(), "d.csv", GOOD);
    for (flag, needle) in [("--alpha", "alpha"), ("--l2", "l2"), ("--max-df", "max")] {
        let err = fails_with(
            cg().args(["train", "--label", "spam", flag, "-1", "--data"])
                .arg(&data)
                .arg("--out")
                .arg(dir.path().join("m.model")),
            &["-1"],
        );
        assert!(
            !err.contains("unexpected argument") && err.to_lowercase().contains(needle),
            "{flag}: {err}"
        );
    }
}

/// Audit M4: a lone UTF-16 surrogate escape in JSONL text was reported as "field \"text\" is
/// not a string"; the message now says what is wrong with the string.
#[test]
fn a_string_that_does_not_decode_says_why() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "s.jsonl",
        "{\"id\": \"a\", \"text\": \"x \\udfff y\"}\n",
    );
    let err = fails_with(
        cg().args(["score", "--input"]).arg(&data),
        &["s.jsonl: line 1: field \"text\"", "surrogate"],
    );
    assert!(!err.contains("not a string"), "{err}");
    let data = write(dir.path(), "n.jsonl", "{\"text\": 5}\n");
    fails_with(
        cg().args(["score", "--input"]).arg(&data),
        &["n.jsonl: line 1: field \"text\" is not a string"],
    );
}

/// Old Mac files end lines with a lone `\r`, which the CSV parser takes as a record end: the
/// line numbers counted `\n` alone, so every error said "line 1", and a stray quote ran past
/// the 1,000-line guard and swallowed the rest of the file without a word (audit, 2026-12-07).
#[test]
fn lone_carriage_returns_end_lines_in_errors_and_in_the_quote_guard() {
    let dir = tempdir();
    let utf8 = write(
        dir.path(),
        "u.csv",
        b"id,text\r1,hello\r2,world\r3,bad\xff\r4,ok\r",
    );
    fails_with(
        cg().args(["score", "--id-column", "id", "--input"])
            .arg(&utf8),
        &[r#"u.csv: line 4, column "text": invalid UTF-8"#],
    );
    let fields = write(dir.path(), "f.csv", "id,text\r1,a\r2,b,c\r3,ok\r4,x,y\r");
    let out = cg()
        .args(["score", "--skip-invalid", "--id-column", "id", "--input"])
        .arg(&fields)
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped 2 invalid rows (lines 3, 5)"),
        "{stderr}"
    );
    let ids: Vec<_> = jsonl(&out.stdout).iter().map(|r| r["id"].clone()).collect();
    assert_eq!(ids, ["1", "3"]);

    // One comment per line on stdin: a lone `\r` ends a line there too.
    let out = cg()
        .arg("score")
        .write_stdin("one\rtwo\r\nthree\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(jsonl(&out.stdout).len(), 3);

    // A stray quote on line 3 of 3,001 rows: refused, as the same file with `\n` is.
    let mut rows = vec!["id,text".to_owned(), "1,a".into(), "2,\"he said hi".into()];
    rows.extend((3..3000).map(|i| format!("{i},row {i}")));
    rows.extend(["3000,end\"".to_owned(), "3001,last".into()]);
    for (name, end) in [("cr.csv", "\r"), ("lf.csv", "\n"), ("crlf.csv", "\r\n")] {
        let data = write(dir.path(), name, rows.join(end) + end);
        fails_with(
            cg().args(["score", "--input"]).arg(&data),
            &[&format!(
                "{name}: line 3: a quoted field opens on this line and runs over 1000 lines"
            )],
        );
    }
}
