//! `commentguard learn` and `commentguard forget`: add labeled comments to a model's counts, or
//! take comments learned before out again, and write the result to a new model file.

use std::path::PathBuf;

use anyhow::bail;
use clap::Args;
use commentguard::{read_path_with_source, Direction, Feedback, InputFormat, LabelSpec};

use super::{report_skipped, ColumnArgs, ModelArgs};

#[derive(Debug, Args)]
pub struct LearnArgs {
    /// Labeled CSV (or .jsonl) file; repeat for several.
    #[arg(long, required = true, value_name = "PATH")]
    data: Vec<PathBuf>,
    /// Label to read: NAME, NAME=COLUMN or NAME=COLUMN:V1,V2 (as `train`). Labels of the model
    /// not given take the model's own verdict for each comment, which `learn` records in the
    /// model so that `forget` takes out the same. Repeat for several labels.
    #[arg(long, required = true, value_name = "SPEC")]
    label: Vec<LabelSpec>,
    /// Where to write the new model (never over --model or a --data file).
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

pub fn run(args: LearnArgs, direction: Direction) -> anyhow::Result<()> {
    // Never over an input: the model read, or any data file (by device and inode, so through
    // symlinks, hard links and standard input redirected from the file too).
    let mut inputs: Vec<&std::path::Path> = args.data.iter().map(PathBuf::as_path).collect();
    commentguard::check_distinct_inputs(&inputs)?;
    if let Some(model) = &args.model.model {
        inputs.push(model);
    }
    commentguard::check_output(&args.out, &inputs)?;
    let mut model = args.model.load()?;
    // Where each --label goes among the model's labels.
    let slots = super::label_slots(&model, &args.label)?;
    let opts = args.columns.options(args.label.clone());
    let n_labels = model.labels().len();
    // Every file's comments in one batch: each missing verdict is then filled from the model
    // as it was before the command, so a comment in two files (or learned by one command over
    // several) gets the same verdicts each time, and the same command forgets them.
    let (mut batch, mut places, mut sources) = (Vec::new(), Vec::new(), Vec::new());
    for (file, path) in args.data.iter().enumerate() {
        let (summary, mut source) =
            read_path_with_source(path, InputFormat::from_path(path), &opts, |record| {
                let mut labels = vec![None; n_labels];
                for (&slot, &v) in slots.iter().zip(&record.labels) {
                    labels[slot] = Some(v);
                }
                batch.push(Feedback {
                    text: record.text.clone(),
                    labels,
                });
                places.push((file, record.line));
                Ok(())
            })?;
        report_skipped(path, &summary);
        if direction == Direction::Forget {
            source.name = format!("forgotten: {}", source.name);
        }
        sources.push(source);
    }
    let at = |index: usize| {
        let (file, line) = places[index];
        format!("{}: line {line}", args.data[file].display())
    };
    // Labels the files do not give keep the model's own verdicts, recorded when learned.
    match model.apply_partial_feedback(direction, &batch) {
        Ok(filled) => report_filled(&filled),
        Err(commentguard::Error::NeverLearned { index }) => {
            let missing: Vec<&str> = model
                .labels()
                .iter()
                .enumerate()
                .filter(|(l, _)| !slots.contains(l))
                .map(|(_, name)| name.as_str())
                .collect();
            let why = if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; no record of its learning was found, so the labels not given ({}) took \
                     the model's own verdicts",
                    missing.join(", ")
                )
            };
            bail!(
                "{}: this comment was never learned with these labels (or was forgotten \
                 already), so it cannot be forgotten{why}; nothing was written",
                at(index)
            )
        }
        Err(commentguard::Error::ForgetDisagrees { index }) => bail!(
            "{}: this comment was learned, but with other verdicts than this row gives, so it \
             cannot be forgotten with these; nothing was written",
            at(index)
        ),
        Err(e) => return Err(e.into()),
    }
    let rows = batch.len() as u64;
    for source in sources {
        model.add_source(source)?;
    }
    commentguard::write_output(&args.out, &model.to_bytes(), &inputs)?;
    let verb = match direction {
        Direction::Learn => "learned",
        Direction::Forget => "forgot",
    };
    eprintln!(
        "commentguard: {verb} {}; the model now counts {} rows and {} features; wrote {}",
        comments(rows),
        model.summary().rows,
        model.vocabulary().len(),
        args.out.display()
    );
    Ok(())
}

/// Says how the labels the files did not give were settled.
fn report_filled(filled: &commentguard::FilledVerdicts) {
    if filled.recorded > 0 {
        eprintln!(
            "commentguard: {} lacked some labels: learned with the model's own \
             verdicts for those, recorded in the model for `forget`",
            comments(filled.recorded)
        );
    }
    if filled.recalled > 0 {
        eprintln!(
            "commentguard: {} lacked some labels: forgotten with the verdicts \
             they were learned with",
            comments(filled.recalled)
        );
    }
    if filled.unrecorded > 0 {
        eprintln!(
            "commentguard: {} lacked some labels, with no record of a learning with \
             labels missing (learned with every label, trained on, or learned before format \
             version 5): forgotten with the model's own verdicts for those",
            comments(filled.unrecorded)
        );
    }
}

/// "1 comment", "2 comments".
fn comments(n: u64) -> String {
    match n {
        1 => "1 comment".to_owned(),
        n => format!("{n} comments"),
    }
}
