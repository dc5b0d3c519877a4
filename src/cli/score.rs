//! `commentguard score`

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};
use commentguard::{read_path, InputFormat, Record, Scores};

use super::{report_skipped, ColumnArgs, ModelArgs};

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Comments to score; without them, comments are read from --input or one per line on stdin.
    comments: Vec<String>,
    /// Read comments from a CSV or JSONL file (`-` for stdin).
    #[arg(long, value_name = "PATH", conflicts_with = "comments")]
    input: Option<PathBuf>,
    /// Layout of --input [default: by extension: .jsonl/.ndjson are JSONL, others CSV].
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputKind>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    format: OutputFormat,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InputKind {
    Csv,
    Jsonl,
    Lines,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Jsonl,
    Csv,
    Table,
}

pub fn run(args: ScoreArgs) -> anyhow::Result<()> {
    let model = args.model.load()?;
    let stdout = io::stdout();
    let mut out = Output::new(args.format, BufWriter::new(stdout.lock()), model.labels())?;
    let mut scorer = model.scorer();
    if !args.comments.is_empty() {
        for (i, text) in args.comments.iter().enumerate() {
            out.row(&(i + 1).to_string(), &scorer.scores(text), text)?;
        }
        return out.finish();
    }
    let (path, format) = match &args.input {
        Some(path) => (
            path.clone(),
            match args.input_format {
                Some(InputKind::Csv) => InputFormat::Csv,
                Some(InputKind::Jsonl) => InputFormat::Jsonl,
                Some(InputKind::Lines) => InputFormat::Lines,
                None => InputFormat::from_path(path),
            },
        ),
        None => {
            if args.input_format.is_some() {
                bail!("--input-format needs --input");
            }
            (PathBuf::from("-"), InputFormat::Lines)
        }
    };
    let opts = args.columns.options(Vec::new());
    let (summary, _) = read_path(&path, format, &opts, |r: &Record| {
        let scores = scorer.scores(&r.text);
        out.row(&r.display_id(), &scores, &r.text)
            .map_err(|source| commentguard::Error::Io {
                file: "<stdout>".into(),
                source,
            })
    })?;
    out.finish()?;
    report_skipped(&path, &summary);
    Ok(())
}

/// Writes scored rows in one of the output formats.
enum Output<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
    Table(W),
}

/// Characters of comment text shown in the table.
const TABLE_TEXT_CHARS: usize = 60;

impl<W: Write> Output<W> {
    fn new(format: OutputFormat, mut out: W, labels: &[String]) -> anyhow::Result<Self> {
        Ok(match format {
            OutputFormat::Jsonl => Output::Jsonl(out),
            OutputFormat::Csv => {
                let mut csv = csv::Writer::from_writer(out);
                csv.write_field("id")?;
                for l in labels {
                    csv.write_field(l)?;
                }
                csv.write_field("flagged")?;
                csv.write_record(None::<&[u8]>)?;
                Output::Csv(Box::new(csv))
            }
            OutputFormat::Table => {
                write!(out, "{:>8}", "id")?;
                for l in labels {
                    write!(out, "  {:>8}", truncate(l, 8))?;
                }
                writeln!(out, "  {:<14}  text", "flagged")?;
                Output::Table(out)
            }
        })
    }

    fn row(&mut self, id: &str, scores: &Scores, text: &str) -> io::Result<()> {
        let flagged: Vec<&str> = scores.flagged().collect();
        match self {
            Output::Jsonl(out) => {
                out.write_all(b"{\"id\":")?;
                serde_json::to_writer(&mut *out, id)?;
                out.write_all(b",\"scores\":{")?;
                for (i, (label, p)) in scores.iter().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, label)?;
                    write!(out, ":{p:.4}")?;
                }
                out.write_all(b"},\"flagged\":")?;
                serde_json::to_writer(&mut *out, &flagged)?;
                out.write_all(b"}\n")?;
            }
            Output::Csv(csv) => {
                csv.write_field(id)?;
                for (_, p) in scores.iter() {
                    csv.write_field(format!("{p:.4}"))?;
                }
                csv.write_field(flagged.join(";"))?;
                csv.write_record(None::<&[u8]>)?;
            }
            Output::Table(out) => {
                write!(out, "{:>8}", truncate(id, 8))?;
                for (_, p) in scores.iter() {
                    write!(out, "  {p:>8.4}")?;
                }
                let text: String = text
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                writeln!(
                    out,
                    "  {:<14}  {}",
                    truncate(&flagged.join(","), 14),
                    truncate(&text, TABLE_TEXT_CHARS)
                )?;
            }
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Output::Jsonl(mut out) | Output::Table(mut out) => out.flush()?,
            Output::Csv(mut csv) => csv.flush()?,
        }
        Ok(())
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
