//! `commentguard explain`

use std::io::Write;

use clap::Args;
use serde_json::json;

use super::ModelArgs;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Comments to explain.
    #[arg(required = true)]
    comments: Vec<String>,
    /// Features shown per label.
    #[arg(long, default_value_t = 10)]
    top: usize,
    /// Print JSON Lines instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    model: ModelArgs,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<()> {
    let model = args.model.load()?;
    let mut out = super::stdout();
    for (i, text) in args.comments.iter().enumerate() {
        let explanation = model.explain(text);
        if args.json {
            let labels: serde_json::Map<String, serde_json::Value> = explanation
                .labels
                .iter()
                .map(|l| {
                    let features: Vec<_> = l
                        .contributions
                        .iter()
                        .take(args.top)
                        .map(|c| json!({"feature": c.feature, "score_part": c.score_part, "value": c.value, "weight": c.weight, "log_odds": c.log_odds()}))
                        .collect();
                    // The features --top leaves out, as the text's "(N more features)" line,
                    // so that the prior and the parts still add up to the score.
                    let left_out = &l.contributions[features.len()..];
                    let rest = json!({
                        "features": left_out.len(),
                        "score_part": left_out.iter().map(|c| c.score_part).sum::<f64>(),
                        "log_odds": left_out.iter().map(|c| c.log_odds()).sum::<f64>(),
                    });
                    (
                        l.label.clone(),
                        json!({"score": l.score, "threshold": l.threshold, "prior_score": l.prior_score,
                               "log_odds": l.log_odds, "prior_log_odds": l.prior_log_odds, "features": features,
                               "rest": rest}),
                    )
                })
                .collect();
            serde_json::to_writer(
                &mut out,
                &json!({"id": (i + 1).to_string(), "labels": labels}),
            )?;
            writeln!(out)?;
            continue;
        }
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "comment {}: {text}", i + 1)?;
        for l in &explanation.labels {
            let verdict = if l.score >= l.threshold {
                "FLAGGED"
            } else {
                "not flagged"
            };
            writeln!(
                out,
                "  {}: {:.4} ({verdict}, threshold {:.4}) = {:.4} before any feature + the parts below",
                l.label, l.score, l.threshold, l.prior_score
            )?;
            for c in l.contributions.iter().take(args.top) {
                writeln!(
                    out,
                    "    {:+.4}  {} (log-odds {:+.4} = value {:.3} x weight {:+.4})",
                    c.score_part,
                    c.feature,
                    c.log_odds(),
                    c.value,
                    c.weight
                )?;
            }
            let shown = l.contributions.len().min(args.top);
            if shown < l.contributions.len() {
                let rest: f64 = l.contributions[shown..].iter().map(|c| c.score_part).sum();
                writeln!(
                    out,
                    "    {rest:+.4}  ({} more features)",
                    l.contributions.len() - shown
                )?;
            }
            if l.contributions.is_empty() {
                writeln!(out, "    (no known features)")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
