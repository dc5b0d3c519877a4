//! `commentguard evaluate`

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use commentguard::{read_path, BinaryMetrics, Evaluation, InputFormat, LabelSpec, Report};

use super::{report_skipped, ColumnArgs, ModelArgs};

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// Labeled CSV (or .jsonl) file; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Label to evaluate, as in `train` [default: every model label, from the column of its name].
    #[arg(long, value_name = "SPEC")]
    label: Vec<LabelSpec>,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

pub fn run(args: EvaluateArgs) -> anyhow::Result<()> {
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
    let indices = specs
        .iter()
        .map(|s| model.label_index(&s.name))
        .collect::<commentguard::Result<Vec<usize>>>()?;
    let mut eval = Evaluation::new(
        specs
            .iter()
            .zip(&indices)
            .map(|(s, &i)| (s.name.clone(), model.thresholds()[i]))
            .collect(),
    );
    let opts = args.columns.options(specs);
    let mut scorer = model.scorer();
    for path in &args.data {
        let (summary, _) = read_path(path, InputFormat::from_path(path), &opts, |r| {
            let z = scorer.log_odds(&r.text);
            eval.add(indices.iter().map(|&i| z[i]), &r.labels);
            Ok(())
        })?;
        report_skipped(path, &summary);
    }
    let report = eval.report();
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_tables(&mut out, &report)?;
    }
    Ok(())
}

fn print_tables(out: &mut impl Write, report: &Report) -> io::Result<()> {
    writeln!(out, "rows: {}", report.rows)?;
    for (label, m) in &report.labels {
        writeln!(out)?;
        writeln!(out, "{label} (threshold {:.2})", m.threshold)?;
        writeln!(
            out,
            "  accuracy {:.4}  precision {:.4}  recall {:.4}  f1 {:.4}",
            m.accuracy, m.precision, m.recall, m.f1
        )?;
        writeln!(
            out,
            "  roc_auc {}  pr_auc {}  log_loss {:.4}",
            optional(m.roc_auc),
            optional(m.pr_auc),
            m.log_loss
        )?;
        confusion(out, m)?;
    }
    Ok(())
}

fn confusion(out: &mut impl Write, m: &BinaryMetrics) -> io::Result<()> {
    writeln!(out, "  {:<12}{:>12}{:>12}", "", "flagged", "not flagged")?;
    writeln!(out, "  {:<12}{:>12}{:>12}", "positive", m.tp, m.fn_)?;
    writeln!(out, "  {:<12}{:>12}{:>12}", "negative", m.fp, m.tn)
}

fn optional(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
}
