//! `commentguard inspect`

use std::io::Write;

use clap::Args;
use commentguard::{Calibration, FORMAT_VERSION};

use super::ModelArgs;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Top features shown per label.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Only features in at least this many training comments are listed as top features.
    #[arg(long, default_value_t = 3.0)]
    min_df: f64,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let model = args.model.load()?;
    let mut out = super::stdout();
    let s = model.summary();
    let o = model.analyzer().options();
    writeln!(
        out,
        "format version: {}{}",
        model.format_version(),
        if model.format_version() == FORMAT_VERSION {
            String::new()
        } else {
            format!(" (this build writes {FORMAT_VERSION})")
        }
    )?;
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
        "features: word n-grams {}, character n-grams {}, fold confusables {}, fold leetspeak {}, \
         max token {} chars, {}",
        match o.word_ngrams {
            0 => "none".to_owned(),
            n => format!("1..={n}"),
        },
        o.char_ngrams
            .map_or_else(|| "none".to_owned(), |(a, b)| format!("{a}..={b}")),
        o.fold_confusables,
        o.fold_leet,
        o.max_token_chars,
        o.hash_bits.map_or_else(
            || "stored vocabulary".to_owned(),
            |b| format!("hashed into 2^{b} buckets")
        )
    )?;
    let p = model.naive_bayes().params();
    writeln!(
        out,
        "model: {:?} naive Bayes, alpha {}, term weight {:?}, idf {}, normalize {}, uniform priors {}, \
         min df {}, max df {}",
        p.kind(),
        p.alpha(),
        p.term_weight(),
        p.idf(),
        p.normalize(),
        p.uniform_priors(),
        p.min_df(),
        p.max_df()
    )?;
    match model.naive_bayes().linear_params() {
        Some(l) => writeln!(
            out,
            "head: NB-LR (the naive Bayes log-count ratios weight the features of a logistic \
             regression), {l}"
        )?,
        None => writeln!(out, "head: naive Bayes alone")?,
    }
    for (label, c) in model.labels().iter().zip(model.calibration()) {
        writeln!(out, "calibration {label}: {}", describe(c))?;
    }
    for t in &s.tuning {
        writeln!(
            out,
            "tuning {}: {} over {} folds (out of fold: precision {:.3}, recall {:.3}, F1 {:.3})",
            t.label, t.rule, t.folds, t.precision, t.recall, t.f1
        )?;
    }
    writeln!(out, "vocabulary: {} features", model.vocabulary().len())?;
    writeln!(out, "rows: {}", s.rows)?;
    let counts = model.naive_bayes().counts();
    for (i, (l, p)) in model.labels().iter().zip(&s.positives).enumerate() {
        // A label trained with partial labels has its own rows: those that carried it.
        let rows = counts.label_rows(i) as u64;
        let share = if rows == s.rows {
            String::new()
        } else {
            format!(" ({rows} of {} rows carry it)", s.rows)
        };
        writeln!(
            out,
            "  {l}: {p} positive, {} negative{share}",
            rows.saturating_sub(*p)
        )?;
    }
    let (texts, learnings) = model.filled_verdicts_recorded();
    if learnings > 0 {
        writeln!(
            out,
            "filled verdicts recorded (for forget): {learnings} learnings of {texts} comments"
        )?;
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
        for (feature, w) in model.top_features(label, args.top, args.min_df)? {
            // Complement NB weights are normalized per label, so they are small: keep 4 digits.
            writeln!(out, "  {w:+.3e}  {feature}")?;
        }
    }
    out.flush()?;
    Ok(())
}

fn describe(c: &Calibration) -> String {
    match c {
        Calibration::Identity => "none (raw naive Bayes probability)".into(),
        Calibration::Platt { a, b } => format!("Platt, p = sigmoid({a:.4} * log-odds {b:+.4})"),
        Calibration::Isotonic { z, .. } => format!("isotonic, {} breakpoints", z.len()),
    }
}
