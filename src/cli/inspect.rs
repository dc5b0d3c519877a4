//! `commentguard inspect`

use std::io::{self, Write};

use clap::Args;
use commentguard::FORMAT_VERSION;

use super::ModelArgs;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Top features shown per label.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Only features seen at least this many times in training are listed as top features.
    #[arg(long, default_value_t = 3.0)]
    min_count: f64,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let model = args.model.load()?;
    let mut out = io::stdout().lock();
    let s = model.summary();
    let o = model.analyzer().options();
    writeln!(out, "format version: {FORMAT_VERSION}")?;
    writeln!(
        out,
        "labels: {}",
        model
            .labels()
            .iter()
            .zip(model.thresholds())
            .map(|(l, t)| format!("{l} (threshold {t})"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "features: word n-grams 1..={}, fold confusables {}, fold leetspeak {}, max token {} chars",
        o.word_ngrams, o.fold_confusables, o.fold_leet, o.max_token_chars
    )?;
    writeln!(
        out,
        "model: multinomial naive Bayes, alpha {}",
        model.naive_bayes().alpha()
    )?;
    writeln!(out, "vocabulary: {} features", model.vocabulary().len())?;
    writeln!(out, "rows: {}", s.rows)?;
    for (l, p) in model.labels().iter().zip(&s.positives) {
        writeln!(out, "  {l}: {p} positive, {} negative", s.rows - p)?;
    }
    writeln!(out, "sources:")?;
    for src in &s.sources {
        writeln!(
            out,
            "  {} ({} rows, {} skipped) sha256 {}",
            src.name, src.rows, src.skipped, src.sha256
        )?;
    }
    for label in model.labels() {
        writeln!(out, "top features for {label}:")?;
        for (feature, w) in model.top_features(label, args.top, args.min_count)? {
            writeln!(out, "  {w:+7.3}  {feature}")?;
        }
    }
    Ok(())
}
