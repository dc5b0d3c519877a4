//! `commentguard train`

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use commentguard::{read_batched, read_path, read_path_with_source, InputFormat, LabelSpec};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{report_skipped, ColumnArgs, TrainOptionArgs};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labeled CSV (or .jsonl) file; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Label to learn: NAME (column NAME), NAME=COLUMN, or NAME=COLUMN:V1,V2 for a categorical
    /// column positive on those values. Repeat for several labels.
    #[arg(long, required = true, value_name = "SPEC")]
    label: Vec<LabelSpec>,
    /// Let a file lack some of the labels' columns: its rows then train only the labels it
    /// has (each label's counts, weights, thresholds and calibration come from the rows that
    /// carry it). A file with none of them is still an error.
    #[arg(long)]
    partial_labels: bool,
    /// Where to write the model.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Threads that extract features, at most 4 per core [default: one per core].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    #[command(flatten)]
    options: TrainOptionArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let params = args
        .options
        .params(args.label.iter().map(|l| l.name.clone()))?
        .check()?;
    // Refused before hours of training, and checked again as the model is written.
    let inputs: Vec<&std::path::Path> = args.data.iter().map(PathBuf::as_path).collect();
    commentguard::check_distinct_inputs(&inputs)?;
    commentguard::check_output(&args.out, &inputs)?;
    let mut trainer = params.trainer();
    let mut opts = args.columns.options(args.label.clone());
    opts.partial_labels = args.partial_labels;
    let passes = params.passes();
    if passes > 1 {
        // A pipe read a second time would be empty (or, a FIFO, block for ever): refused
        // before the first pass, as standard input is.
        let why = if params.linear().is_some() {
            "NB-LR epochs, tuning and calibration"
        } else {
            "out-of-fold thresholds and calibration"
        };
        for path in &args.data {
            let once = if path.as_os_str() == "-" {
                Some("standard input")
            } else {
                std::fs::metadata(path)
                    .ok()
                    .filter(|m| !m.is_file() && !m.is_dir())
                    .map(|_| "a pipe or a device")
            };
            if let Some(kind) = once {
                bail!(
                    "{}: this training reads the data {passes} times ({why}), so --data \
                     cannot be {kind} (read only once); save the data to a file first",
                    path.display()
                );
            }
        }
    }

    // Drawn only on a terminal: indicatif hides itself when stderr is a pipe or file.
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({per_sec}, {elapsed})")
            .expect("the template is valid"),
    );
    progress.enable_steady_tick(Duration::from_millis(120));
    let pool = super::thread_pool(args.threads)?;
    // NB-LR epochs read the first pass's featurized rows back from a temporary file rather
    // than parse and tokenize the files again (when the file can be made).
    trainer.keep_rows();
    // Rows are read ahead on a thread of their own, in batches whose features are extracted in
    // parallel; only a few batches are held, never the file.
    for path in &args.data {
        progress.set_message(path.display().to_string());
        let format = InputFormat::from_path(path);
        let (summary, source) = read_batched(
            BATCH,
            |each| read_path_with_source(path, format, &opts, each),
            |batch| {
                progress.inc(batch.len() as u64);
                pool.install(|| trainer.add_row_batch(batch))
            },
        )?;
        report_skipped(path, &summary);
        trainer.add_source(source);
    }
    if passes > 1 {
        progress.set_position(0);
        progress.set_message(format!("NB-LR epochs (passes 2 to {passes})"));
    }
    let replayed = pool.install(|| trainer.replay(|rows| progress.inc(rows)))?;
    // Otherwise (naive Bayes' out-of-fold scores for thresholds and calibration, or no room
    // for the rows): read the files again rather than keep the rows in memory.
    for pass in (2..=passes).filter(|_| !replayed) {
        trainer.start_second_pass()?;
        progress.set_position(0);
        for path in &args.data {
            progress.set_message(format!("{} (pass {pass} of {passes})", path.display()));
            let format = InputFormat::from_path(path);
            read_batched(
                BATCH,
                |each| read_path(path, format, &opts, each),
                |batch| {
                    progress.inc(batch.len() as u64);
                    pool.install(|| trainer.add_second_pass_row_batch(batch))
                },
            )?;
        }
    }
    progress.finish_and_clear();

    let model = trainer.finish()?;
    commentguard::write_output(&args.out, &model.to_bytes(), &inputs)
        .with_context(|| format!("writing the model to {}", args.out.display()))?;
    let summary = model.summary();
    let counts = model.naive_bayes().counts();
    let positives: Vec<String> = model
        .labels()
        .iter()
        .zip(&summary.positives)
        .enumerate()
        .map(|(i, (l, p))| match counts.label_rows(i) as u64 {
            rows if rows == summary.rows => format!("{l} {p}"),
            rows => format!("{l} {p} of {rows} rows"),
        })
        .collect();
    note!(
        "trained on {} rows from {} file{} (positives: {}); {} features; wrote {}",
        summary.rows,
        summary.sources.len(),
        if summary.sources.len() == 1 { "" } else { "s" },
        positives.join(", "),
        model.vocabulary().len(),
        args.out.display()
    );
    for (t, threshold) in summary.tuning.iter().zip(model.thresholds()) {
        note!(
            "{}: threshold {threshold:.4} ({}; out of {} folds: precision {:.3}, recall {:.3}, F1 {:.3})",
            t.label, t.rule, t.folds, t.precision, t.recall, t.f1
        );
    }
    Ok(())
}

/// Rows per batch: enough to keep every thread busy, few enough to stream.
const BATCH: usize = 8192;
