//! `commentguard cv`

use std::io::{self, Write};
use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use commentguard::{
    cross_validate, read_path, CvOptions, CvReport, CvRow, InputFormat, LabelSpec, Stat,
};

use super::{report_skipped, ColumnArgs, TrainOptionArgs};

#[derive(Debug, Args)]
pub struct CvArgs {
    /// Labeled CSV (or .jsonl) file; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Label to learn, as in `train`; repeat for several.
    #[arg(long, required = true, value_name = "SPEC")]
    label: Vec<LabelSpec>,
    /// Number of folds [default: 5, or one per group when there are at most 10 groups].
    #[arg(long, value_name = "K")]
    folds: Option<u32>,
    /// Keep rows with the same value of this column in one fold (a thread, video, article).
    #[arg(long, value_name = "NAME", conflicts_with = "group_by_file")]
    group_column: Option<String>,
    /// Treat each --data file as one group (e.g. one video's comments per file).
    #[arg(long)]
    group_by_file: bool,
    /// Let a file lack some of the labels' columns: its rows train and measure only the labels
    /// it has. A file with none of them is still an error.
    #[arg(long)]
    partial_labels: bool,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    options: TrainOptionArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

pub fn run(args: CvArgs) -> anyhow::Result<()> {
    let params = args
        .options
        .params(args.label.iter().map(|l| l.name.clone()))?
        .check()?;
    let mut opts = args.columns.options(args.label.clone());
    opts.partial_labels = args.partial_labels;
    // The group column is read through the id column slot: it is only needed per row.
    if let Some(g) = &args.group_column {
        if opts.id_column.is_some() {
            bail!("--group-column and --id-column cannot be used together");
        }
        opts.id_column = Some(g.clone());
    }
    let inputs: Vec<&std::path::Path> = args.data.iter().map(|p| p.as_path()).collect();
    commentguard::check_distinct_inputs(&inputs)?;
    let mut rows = Vec::new();
    for path in &args.data {
        let file_group = args.group_by_file.then(|| path.display().to_string());
        let summary = read_path(path, InputFormat::from_path(path), &opts, |r| {
            // Cross-validation holds every row: bounded, so a huge input is an error up front
            // rather than an out-of-memory abort later.
            if rows.len() >= MAX_CV_ROWS {
                return Err(commentguard::Error::Parse {
                    file: path.display().to_string(),
                    line: r.line,
                    message: format!(
                        "cv holds every row in memory and reads at most {MAX_CV_ROWS}; \
                         sample the data, or use `train` (which streams) and `evaluate`"
                    ),
                });
            }
            rows.push(CvRow {
                text: r.text.clone(),
                labels: r.labels.clone(),
                known: r.known.clone(),
                group: file_group
                    .clone()
                    .or_else(|| args.group_column.as_ref().and(r.id.clone())),
            });
            Ok(())
        })?;
        report_skipped(path, &summary);
    }
    let report = cross_validate(
        &params,
        &rows,
        &CvOptions {
            folds: args.folds,
            seed: args.options.seed,
        },
    )?;
    let mut out = super::stdout();
    if args.json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_table(&mut out, &report)?;
    }
    out.flush()?;
    Ok(())
}

/// Rows `cv` reads at most: it keeps them all, with their features, in memory.
const MAX_CV_ROWS: usize = 2_000_000;

fn print_table(out: &mut impl Write, report: &CvReport) -> io::Result<()> {
    writeln!(out, "{} folds, {} rows", report.folds, report.rows)?;
    // Which group each fold held out, so a leave-one-out row can be read per video or thread.
    for (f, groups) in report.fold_groups.iter().enumerate() {
        // Rows with an empty group value are one group; say so rather than print nothing.
        let shown: Vec<&str> = groups
            .iter()
            .take(3)
            .map(|g| {
                if g.is_empty() {
                    "(empty group value)"
                } else {
                    g
                }
            })
            .collect();
        let more = groups.len().saturating_sub(shown.len());
        let tail = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(out, "fold {} held out: {}{tail}", f + 1, shown.join(", "))?;
    }
    for (label, m) in &report.labels {
        writeln!(out)?;
        writeln!(out, "{label}             mean      std")?;
        let rows: [(&str, &Stat); 9] = [
            ("threshold", &m.threshold),
            ("accuracy", &m.accuracy),
            ("precision", &m.precision),
            ("recall", &m.recall),
            ("f1", &m.f1),
            ("roc_auc", &m.roc_auc),
            ("pr_auc", &m.pr_auc),
            ("log_loss", &m.log_loss),
            ("ece", &m.ece),
        ];
        for (name, s) in rows {
            // Undefined in every fold (ROC AUC where no fold holds both classes).
            let shown = |v: f64| {
                if v.is_nan() {
                    "n/a".to_owned()
                } else {
                    format!("{v:.4}")
                }
            };
            writeln!(out, "  {name:<12} {:>8} {:>8}", shown(s.mean), shown(s.std))?;
        }
    }
    Ok(())
}
