//! `commentguard train`

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use commentguard::{read_path, AnalyzerOptions, InputFormat, LabelSpec, ParamGuard, TrainParams};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::{report_skipped, ColumnArgs};

#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Labeled CSV (or .jsonl) file; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Label to learn: NAME (column NAME), NAME=COLUMN, or NAME=COLUMN:V1,V2 for a categorical
    /// column positive on those values. Repeat for several labels.
    #[arg(long, required = true, value_name = "SPEC")]
    label: Vec<LabelSpec>,
    /// Where to write the model.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// Lidstone smoothing added to every feature count.
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Longest word n-gram (1 to 3).
    #[arg(long, default_value_t = AnalyzerOptions::default().word_ngrams)]
    word_ngrams: u8,
    /// Store a label's threshold in the model, e.g. `--threshold spam=0.7` (default 0.5).
    #[arg(long, value_name = "LABEL=P", value_parser = super::parse_threshold)]
    threshold: Vec<(String, f64)>,
    #[command(flatten)]
    columns: ColumnArgs,
}

pub fn run(args: TrainArgs) -> anyhow::Result<()> {
    let mut params = TrainParams::new(args.label.iter().map(|l| l.name.clone()))
        .alpha(args.alpha)
        .analyzer(AnalyzerOptions {
            word_ngrams: args.word_ngrams,
            ..AnalyzerOptions::default()
        });
    for (label, t) in &args.threshold {
        params = params.threshold(label.clone(), *t);
    }
    let params = params.check()?;
    let mut trainer = params.trainer();
    let opts = args.columns.options(args.label.clone());

    // Drawn only on a terminal: indicatif hides itself when stderr is a pipe or file.
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{spinner} {msg} {human_pos} rows ({per_sec}, {elapsed})")
            .expect("the template is valid"),
    );
    progress.enable_steady_tick(Duration::from_millis(120));
    for path in &args.data {
        progress.set_message(path.display().to_string());
        let (summary, source) = read_path(path, InputFormat::from_path(path), &opts, |r| {
            progress.inc(1);
            trainer.add(&r.text, &r.labels)
        })?;
        report_skipped(path, &summary);
        trainer.add_source(source);
    }
    progress.finish_and_clear();

    let model = trainer.finish()?;
    model
        .save(&args.out)
        .with_context(|| format!("writing the model to {}", args.out.display()))?;
    let summary = model.summary();
    let positives: Vec<String> = model
        .labels()
        .iter()
        .zip(&summary.positives)
        .map(|(l, p)| format!("{l} {p}"))
        .collect();
    eprintln!(
        "commentguard: trained on {} rows from {} file{} (positives: {}); {} features; wrote {}",
        summary.rows,
        summary.sources.len(),
        if summary.sources.len() == 1 { "" } else { "s" },
        positives.join(", "),
        model.vocabulary().len(),
        args.out.display()
    );
    Ok(())
}
