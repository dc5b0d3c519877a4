//! `commentguard evaluate`

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use commentguard::{
    read_path, Evaluation, InputFormat, LabelReport, LabelSpec, PlotFormat, Report,
};

use super::{report_skipped, ColumnArgs, ModelArgs, ADAPT_MIN_COMMENTS};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labeled CSV (or .jsonl) file; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Label to evaluate, as in `train` [default: every model label, from the column of its name].
    #[arg(long, value_name = "SPEC")]
    label: Vec<LabelSpec>,
    /// Let a file lack some of the labels' columns: each label is measured on the rows that
    /// carry it. A file with none of them is still an error.
    #[arg(long)]
    partial_labels: bool,
    /// Also report the lowest threshold reaching this precision, and the recall there.
    #[arg(long, value_name = "P")]
    target_precision: Option<f64>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    /// Re-estimate each label's positive share on these comments (EM, Saerens et al. 2002)
    /// and rescale the probabilities to it before measuring.
    #[arg(long)]
    adapt_prior: bool,
    /// Also draw each label's ROC, precision-recall, reliability and score histogram panels
    /// into this image, one row per label; `.svg` or `.png` by the file name (1600 pixels
    /// wide, 420 high per label).
    #[arg(long, value_name = "PATH")]
    plot: Option<PathBuf>,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
    let mut inputs: Vec<&Path> = args.data.iter().map(PathBuf::as_path).collect();
    commentguard::check_distinct_inputs(&inputs)?;
    inputs.extend(args.model.model.as_deref());
    // Refused before the data is read, and checked again as the figure is written.
    let plot = match &args.plot {
        Some(path) => {
            let Some(format) = PlotFormat::from_path(path) else {
                anyhow::bail!(
                    "--plot {}: unknown image format; the file name must end in .svg or .png",
                    path.display()
                );
            };
            commentguard::check_output(path, &inputs)?;
            Some((path, format))
        }
        None => None,
    };
    let model = args.model.load()?;
    let specs = if args.label.is_empty() {
        model
            .labels()
            .iter()
            .map(|l| l.parse())
            .collect::<commentguard::Result<Vec<LabelSpec>>>()?
    } else {
        args.label.clone()
    };
    let indices = super::label_slots(&model, &specs)?;
    let mut eval = Evaluation::new(
        specs
            .iter()
            .zip(&indices)
            .map(|(s, &i)| (s.name.clone(), model.thresholds()[i]))
            .collect(),
    );
    if let Some(p) = args.target_precision {
        anyhow::ensure!(
            (0.0..=1.0).contains(&p),
            "--target-precision must be between 0 and 1"
        );
        eval = eval.target_precision(p);
    }
    let mut opts = args.columns.options(specs.clone());
    opts.partial_labels = args.partial_labels;
    let mut scorer = model.scorer();
    let (mut z, mut p) = (Vec::new(), Vec::new());
    for path in &args.data {
        let summary = read_path(path, InputFormat::from_path(path), &opts, |r| {
            let probs = scorer.score(&r.text);
            p.clear();
            p.extend(indices.iter().map(|&i| probs[i]));
            z.clear();
            z.extend(indices.iter().map(|&i| scorer.last_log_odds()[i]));
            eval.add_partial(&z, &p, &r.labels, &r.known);
            Ok(())
        })?;
        report_skipped(path, &summary);
    }
    let label_rows = eval.label_rows();
    if let Some(l) = label_rows.iter().position(|&n| n == 0) {
        return Err(commentguard::Error::NoLabelRows {
            label: specs[l].name.clone(),
        }
        .into());
    }
    if args.adapt_prior {
        // As `score` refuses: three comments took the share to 1 and every metric to 1.0.
        if let Some((spec, &n)) = specs
            .iter()
            .zip(&label_rows)
            .find(|(_, &n)| (n as usize) < ADAPT_MIN_COMMENTS)
        {
            anyhow::bail!(
                "--adapt-prior estimates each label's share from the comments it measures and \
                 needs at least {ADAPT_MIN_COMMENTS} of them, got {n} for {:?}",
                spec.name
            );
        }
        let shares = model.training_shares();
        let train: Vec<f64> = indices.iter().map(|&i| shares[i]).collect();
        for ((spec, share), t) in specs.iter().zip(eval.adapt_priors(&train)).zip(&train) {
            eprintln!(
                "commentguard: {}: positive share estimated at {share:.4} (training share {t:.4})",
                spec.name
            );
        }
    }
    if let Some((path, format)) = plot {
        let figure = commentguard::plot(&eval, format)?;
        for note in &figure.notes {
            note!("warning: {note}");
        }
        commentguard::write_output(path, &figure.bytes, &inputs)
            .with_context(|| format!("writing the figure to {}", path.display()))?;
    }
    let report = eval.report();
    let mut out = super::stdout();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_tables(&mut out, &report)?;
    }
    out.flush()?;
    Ok(())
}

fn print_tables(out: &mut impl Write, report: &Report) -> io::Result<()> {
    writeln!(out, "rows: {}", report.rows)?;
    for (label, r) in &report.labels {
        print_label(out, label, r, report.rows)?;
    }
    Ok(())
}

fn print_label(out: &mut impl Write, label: &str, r: &LabelReport, rows: u64) -> io::Result<()> {
    let m = &r.metrics;
    writeln!(out)?;
    let carried = m.tp + m.fp + m.tn + m.fn_;
    if carried == rows {
        writeln!(out, "{label} (threshold {:.4})", m.threshold)?;
    } else {
        writeln!(
            out,
            "{label} (threshold {:.4}; {carried} of {rows} rows carry it)",
            m.threshold
        )?;
    }
    writeln!(
        out,
        "  accuracy {:.4}  precision {:.4}  recall {:.4}  f1 {:.4}",
        m.accuracy, m.precision, m.recall, m.f1
    )?;
    writeln!(
        out,
        "  roc_auc {}  pr_auc {}  log_loss {:.4}  ece {:.4}",
        optional(m.roc_auc),
        optional(m.pr_auc),
        m.log_loss,
        m.ece
    )?;
    writeln!(out, "  {:<12}{:>12}{:>12}", "", "flagged", "not flagged")?;
    writeln!(out, "  {:<12}{:>12}{:>12}", "positive", m.tp, m.fn_)?;
    writeln!(out, "  {:<12}{:>12}{:>12}", "negative", m.fp, m.tn)?;
    let b = &r.best_f1;
    writeln!(
        out,
        "  best F1 here: threshold {:.4} gives precision {:.4}, recall {:.4}, f1 {:.4}",
        b.threshold, b.precision, b.recall, b.f1
    )?;
    if let Some(at) = &r.at_precision {
        match &at.point {
            Some(p) => writeln!(
                out,
                "  precision >= {}: threshold {:.4} gives precision {:.4}, recall {:.4}",
                at.target, p.threshold, p.precision, p.recall
            )?,
            None => writeln!(out, "  precision >= {}: no threshold reaches it", at.target)?,
        }
    }
    writeln!(
        out,
        "  reliability: score bin, comments, mean score, positive rate"
    )?;
    for bin in &r.reliability {
        writeln!(
            out,
            "    [{:.1}, {:.1})  {:>8}  {:>8.4}  {:>8.4}",
            bin.lo, bin.hi, bin.count, bin.mean_score, bin.positive_rate
        )?;
    }
    Ok(())
}

fn optional(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
}
