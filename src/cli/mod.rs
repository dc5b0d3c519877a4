//! Command-line arguments, one subcommand per file.

mod evaluate;
mod explain;
mod inspect;
mod score;
mod train;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use commentguard::{Classifier, InputOptions};

/// Flags spam and toxic comments with naive Bayes models.
#[derive(Debug, Parser)]
#[command(name = "commentguard", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Score comments (arguments, stdin lines, or --input CSV/JSONL) and flag them.
    Score(score::ScoreArgs),
    /// Train a model from labeled CSV or JSONL files.
    Train(train::TrainArgs),
    /// Measure a model on labeled data.
    Evaluate(evaluate::EvaluateArgs),
    /// Show which features pushed each label's score.
    Explain(explain::ExplainArgs),
    /// Show a model's labels, options, vocabulary, training data and top features.
    Inspect(inspect::InspectArgs),
}

pub fn run() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Score(a) => score::run(a),
        Command::Train(a) => train::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Inspect(a) => inspect::run(a),
    }
}

/// `--model` and `--threshold`, shared by the commands that use a model.
#[derive(Debug, Args)]
struct ModelArgs {
    /// Model file [default: the embedded default model].
    #[arg(long, value_name = "PATH")]
    model: Option<PathBuf>,
    /// Override a label's threshold, e.g. `--threshold spam=0.9` (repeatable).
    #[arg(long, value_name = "LABEL=P", value_parser = parse_threshold)]
    threshold: Vec<(String, f64)>,
}

impl ModelArgs {
    fn load(&self) -> anyhow::Result<Classifier> {
        let mut model = match &self.model {
            Some(path) => Classifier::load(path)?,
            None => Classifier::embedded()?,
        };
        for (label, t) in &self.threshold {
            model.set_threshold(label, *t)?;
        }
        Ok(model)
    }
}

/// Which columns to read, shared by the commands that read files.
#[derive(Debug, Args)]
struct ColumnArgs {
    /// Column (CSV) or field (JSONL) holding the comment text.
    #[arg(long, default_value = "text", value_name = "NAME")]
    text_column: String,
    /// Column or field holding an id to report.
    #[arg(long, value_name = "NAME")]
    id_column: Option<String>,
    /// Skip invalid rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    skip_invalid: bool,
}

impl ColumnArgs {
    fn options(&self, labels: Vec<commentguard::LabelSpec>) -> InputOptions {
        InputOptions {
            text_column: self.text_column.clone(),
            id_column: self.id_column.clone(),
            labels,
            skip_invalid: self.skip_invalid,
        }
    }
}

fn parse_threshold(s: &str) -> anyhow::Result<(String, f64)> {
    let Some((label, value)) = s.split_once('=') else {
        bail!("expected LABEL=PROBABILITY, e.g. spam=0.9");
    };
    let t: f64 = value
        .parse()
        .with_context(|| format!("{value:?} is not a number"))?;
    if label.is_empty() || !(0.0..=1.0).contains(&t) {
        bail!("expected LABEL=PROBABILITY with a probability between 0 and 1");
    }
    Ok((label.to_owned(), t))
}

/// Prints a skipped-rows note for `file` on stderr, if any rows were skipped.
fn report_skipped(file: &Path, summary: &commentguard::ReadSummary) {
    if let Some(note) = summary.skipped_note() {
        eprintln!("commentguard: {}: {note}", file.display());
    }
}
