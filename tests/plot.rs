//! `commentguard evaluate --plot`: the figure's structure, its formats, and its refusals.

mod util;

use std::fs;
use std::path::{Path, PathBuf};

use util::{cg, fails_with, repo, tempdir, write};

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// The project's holdout files, as `--data` arguments.
fn holdout() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(repo().join("training-data/holdout"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "training-data/holdout has CSV files");
    files
}

/// Runs `evaluate --json` on `data` for `labels` with `--plot plot`; returns the report and
/// stderr.
fn evaluate(data: &[PathBuf], labels: &[&str], plot: &Path) -> (serde_json::Value, String) {
    let mut cmd = cg();
    cmd.args(["evaluate", "--json", "--plot"]).arg(plot);
    for d in data {
        cmd.arg("--data").arg(d);
    }
    for l in labels {
        cmd.args(["--label", l]);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "evaluate failed: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// The `<g class="label">` groups of a figure, each with its title.
fn label_groups<'a>(doc: &'a roxmltree::Document) -> Vec<(String, roxmltree::Node<'a, 'a>)> {
    doc.root_element()
        .children()
        .filter(|n| n.has_tag_name((SVG_NS, "g")) && n.attribute("class") == Some("label"))
        .map(|g| {
            let title = g
                .children()
                .find(|n| n.has_tag_name((SVG_NS, "title")))
                .and_then(|t| t.text())
                .expect("each label group has a title")
                .to_owned();
            (title, g)
        })
        .collect()
}

/// Texts drawn inside `node`.
fn texts(node: roxmltree::Node) -> Vec<String> {
    node.descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "text")))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_owned())
        .collect()
}

/// Point counts of the blue polylines: the ROC, precision-recall and reliability curves,
/// each followed by its two-point sample in the panel's legend.
fn curves(node: roxmltree::Node) -> Vec<usize> {
    node.descendants()
        .filter(|n| n.has_tag_name((SVG_NS, "polyline")))
        .filter(|n| n.attribute("stroke") == Some("#0000FF"))
        .map(|n| {
            n.attribute("points")
                .unwrap_or("")
                .split_whitespace()
                .count()
        })
        .collect()
}

#[test]
fn svg_has_a_titled_group_with_curves_per_label() {
    let dir = tempdir();
    let svg = dir.path().join("report.svg");
    let (report, stderr) = evaluate(&holdout(), &["spam", "toxicity"], &svg);
    assert!(!stderr.contains("warning"), "{stderr}");
    let text = fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert!(root.has_tag_name((SVG_NS, "svg")));
    assert_eq!(root.attribute("width"), Some("1600"));
    assert_eq!(root.attribute("height"), Some("840"), "420 per label");
    let groups = label_groups(&doc);
    assert_eq!(groups.len(), 2);
    for ((title, g), label) in groups.iter().zip(["spam", "toxicity"]) {
        // The title carries the metrics evaluate reports for that label.
        let m = &report["labels"][label];
        let expected = format!(
            "{label}: ROC AUC {:.4}, F1 {:.4} at threshold {:.4}",
            m["roc_auc"].as_f64().unwrap(),
            m["f1"].as_f64().unwrap(),
            m["threshold"].as_f64().unwrap()
        );
        assert!(title.starts_with(&expected), "{title:?} vs {expected:?}");
        let drawn = texts(*g);
        for panel in ["ROC", "Precision-recall", "Reliability", "Scores by class"] {
            assert!(
                drawn.iter().any(|t| t == panel),
                "{label}: no {panel} panel"
            );
        }
        assert!(drawn.iter().any(|t| t == title), "{label}: title not drawn");
        // The operating point is in the legends of the ROC, PR and histogram panels.
        let threshold = format!("threshold {:.4}", m["threshold"].as_f64().unwrap());
        assert_eq!(drawn.iter().filter(|t| **t == threshold).count(), 3);
        // ROC and PR over a few thousand comments have hundreds of points; reliability
        // has one per non-empty bin.
        let lines = curves(*g);
        assert_eq!(lines.len(), 6, "{label}: {lines:?}");
        assert!(lines[0] > 100 && lines[2] > 100, "{label}: {lines:?}");
        let bins = m["reliability"].as_array().unwrap().len();
        assert_eq!(lines[4], bins, "{label}: one reliability point per bin");
        assert_eq!([lines[1], lines[3], lines[5]], [2, 2, 2], "legend samples");
    }
}

#[test]
fn png_is_a_png_of_the_expected_size() {
    let dir = tempdir();
    let png = dir.path().join("report.png");
    evaluate(&holdout(), &["spam", "toxicity", "threat"], &png);
    let bytes = fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    // The first chunk is IHDR: length 13, then width and height, big-endian.
    assert_eq!(&bytes[8..16], b"\0\0\0\x0dIHDR");
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!((width, height), (1600, 3 * 420));
    // And it decodes, with the operating points' red among its pixels.
    let decoder = png::Decoder::new(fs::File::open(&png).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    let red = pixels[..info.buffer_size()]
        .chunks(3)
        .filter(|p| p == &[255, 0, 0])
        .count();
    assert!(red > 100, "{red} pure red pixels");
}

#[test]
fn unknown_extensions_are_refused_naming_the_flag_and_path() {
    let dir = tempdir();
    let data = write(dir.path(), "c.csv", "text,spam\nhello there,0\nbuy now,1\n");
    for name in ["report.pdf", "report"] {
        let out = dir.path().join(name);
        fails_with(
            cg().args(["evaluate", "--label", "spam", "--data"])
                .arg(&data)
                .arg("--plot")
                .arg(&out),
            &["--plot", &out.display().to_string(), ".svg or .png"],
        );
        assert!(!out.exists());
    }
}

#[test]
fn an_input_is_never_plotted_over() {
    let dir = tempdir();
    // CSV in a file named .svg: a valid input and a valid figure name.
    let contents = "text,spam\nhello there,0\nbuy cheap pills now,1\n";
    let data = write(dir.path(), "comments.svg", contents);
    let link = dir.path().join("link.svg");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    for plot in [&data, &link] {
        fails_with(
            cg().args(["evaluate", "--label", "spam", "--data"])
                .arg(&data)
                .arg("--plot")
                .arg(plot),
            &[
                &plot.display().to_string(),
                "not written",
                "one of the inputs",
            ],
        );
    }
    assert_eq!(fs::read_to_string(&data).unwrap(), contents);
    // The model is an input too.
    let model = dir.path().join("model.png");
    fs::copy(repo().join("models/default.model"), &model).unwrap();
    fails_with(
        cg().args(["evaluate", "--label", "spam", "--data"])
            .arg(&data)
            .arg("--model")
            .arg(&model)
            .arg("--plot")
            .arg(&model),
        &[&model.display().to_string(), "one of the inputs"],
    );
}

#[test]
fn a_label_without_positives_still_gets_a_figure_and_a_warning() {
    let dir = tempdir();
    let data = write(
        dir.path(),
        "c.csv",
        "text,spam,toxicity\n\
         Thanks for the write-up.,0,0\n\
         You are an idiot and everyone hates you,0,1\n\
         The bus was late again today.,0,0\n",
    );
    for name in ["r.svg", "r.png"] {
        let plot = dir.path().join(name);
        let (_, stderr) = evaluate(std::slice::from_ref(&data), &["spam", "toxicity"], &plot);
        assert_eq!(
            stderr
                .lines()
                .filter(|l| l.contains("warning: spam: no positive comments"))
                .count(),
            1,
            "{stderr}"
        );
        assert!(!stderr.contains("warning: toxicity"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(fs::metadata(&plot).unwrap().len() > 0);
    }
    let text = fs::read_to_string(dir.path().join("r.svg")).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let groups = label_groups(&doc);
    assert_eq!(groups.len(), 2);
    let spam = texts(groups[0].1);
    assert!(
        groups[0].0.starts_with("spam: ROC AUC n/a"),
        "{}",
        groups[0].0
    );
    assert!(
        spam.iter().any(|t| t == "undefined: no positives"),
        "{spam:?}"
    );
    assert!(spam.iter().any(|t| t.starts_with("undefined")));
    // Its reliability and histogram panels are still drawn.
    assert_eq!(curves(groups[0].1).len(), 2, "the reliability curve only");
    assert_eq!(curves(groups[1].1).len(), 6, "toxicity has both classes");
}

#[test]
fn one_class_or_one_score_labels_are_drawn_with_warnings() {
    let dir = tempdir();
    // Every comment the same: one log-odds for all, and every one spam.
    let data = write(
        dir.path(),
        "same.csv",
        "text,spam\nsame words,1\nsame words,1\nsame words,1\n",
    );
    for name in ["r.svg", "r.png"] {
        let plot = dir.path().join(name);
        let (_, stderr) = evaluate(std::slice::from_ref(&data), &["spam"], &plot);
        assert!(
            stderr.contains("warning: spam: no negative comments; the ROC curve is undefined"),
            "{stderr}"
        );
        assert!(
            stderr.contains("warning: spam: every comment has the same log-odds"),
            "{stderr}"
        );
        assert!(plot.exists());
    }
    // A header and no rows: an error naming the file, and no figure.
    let empty = write(dir.path(), "empty.csv", "text,spam\n");
    fails_with(
        cg().args(["evaluate", "--label", "spam", "--data"])
            .arg(&empty)
            .arg("--plot")
            .arg(dir.path().join("e.svg")),
        &[&empty.display().to_string(), "no rows"],
    );
    assert!(!dir.path().join("e.svg").exists());
}

/// docs/evaluate-example.svg is derived from the embedded model and the holdout files by the
/// command in README.md's Accuracy section: when either (or the drawing) changes, run that
/// command again.
#[test]
fn the_documented_example_is_what_the_documented_command_draws() {
    let dir = tempdir();
    let svg = dir.path().join("example.svg");
    evaluate(&holdout(), &["spam", "toxicity"], &svg);
    let shipped = fs::read(repo().join("docs/evaluate-example.svg")).unwrap();
    assert!(
        fs::read(&svg).unwrap() == shipped,
        "docs/evaluate-example.svg is stale: regenerate it with the command in README.md"
    );
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(readme.contains("--plot docs/evaluate-example.svg"));
}
