//! `commentguard score`

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::bail;
use clap::{Args, ValueEnum};
use commentguard::{read_path, Classifier, InputFormat, Record};

use super::{report_skipped, ColumnArgs, ModelArgs, ADAPT_MIN_COMMENTS};

#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Comments to score; without them, comments are read from --input or one per line on stdin.
    comments: Vec<String>,
    /// Read comments from a CSV or JSONL file (`-` for stdin).
    #[arg(long, value_name = "PATH", conflicts_with = "comments")]
    input: Option<PathBuf>,
    /// Layout of --input [default: by extension, in any case: .jsonl/.ndjson are JSONL,
    /// .tsv/.tab TSV, others CSV].
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputKind>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Jsonl)]
    format: OutputFormat,
    /// Threads that score, at most 4 per core [default: one per core].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Re-estimate each label's positive share on these comments (EM, Saerens et al. 2002) and
    /// rescale the probabilities to it before flagging, for a section whose share of spam
    /// differs from the training data's. Every comment's scores are held until the input ends.
    #[arg(long)]
    adapt_prior: bool,
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    columns: ColumnArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum InputKind {
    Csv,
    Tsv,
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
    let pool = super::thread_pool(args.threads)?;
    let stdout = io::stdout();
    let out = Output::new(args.format, BufWriter::new(stdout.lock()), model.labels());
    let mut batch = Batch::new(out, &model, &pool);
    if args.adapt_prior {
        batch.held = Some(Held {
            texts: (args.format == OutputFormat::Table).then(Vec::new),
            ..Held::default()
        });
    }
    if !args.comments.is_empty() {
        args.columns.check_used(None)?;
        if args.columns.skip_invalid {
            bail!("--skip-invalid is for input read from a file or standard input");
        }
        for (i, text) in args.comments.iter().enumerate() {
            batch.push(&(i + 1).to_string(), text);
        }
        batch.flush().map_err(stdout_error)?;
        batch.check_held()?;
        batch.write_held().map_err(stdout_error)?;
        return Ok(batch.out.finish().map_err(stdout_error)?);
    }
    let (path, format) = match &args.input {
        Some(path) => (
            path.clone(),
            match args.input_format {
                Some(InputKind::Csv) => InputFormat::Csv,
                Some(InputKind::Tsv) => InputFormat::Tsv,
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
    args.columns.check_used(Some(format))?;
    let opts = args.columns.options(Vec::new());
    let summary = read_path(&path, format, &opts, |r: &Record| {
        match &r.id {
            Some(id) => batch.push(id, &r.text),
            None => batch.push(&r.position.to_string(), &r.text),
        }
        if batch.is_full() {
            batch.flush().map_err(stdout_error)?;
        }
        Ok(())
    })?;
    batch.flush().map_err(stdout_error)?;
    if let Err(e) = batch.check_held() {
        report_skipped(&path, &summary);
        return Err(e);
    }
    batch.write_held().map_err(stdout_error)?;
    batch.out.finish().map_err(stdout_error)?;
    report_skipped(&path, &summary);
    Ok(())
}

/// With `--adapt-prior`, the scored comments until the input ends: EM needs every comment's
/// probabilities before the first can be rescaled and written.
#[derive(Default)]
struct Held {
    ids: Vec<String>,
    /// Row-major, a row per comment.
    probs: Vec<f64>,
    /// Only for the table, which shows the text.
    texts: Option<Vec<String>>,
}

/// Comments waiting to be scored together: read on this thread, scored on the pool, written in
/// input order. Buffers are reused from batch to batch.
struct Batch<'m, W: Write> {
    model: &'m Classifier,
    pool: &'m rayon::ThreadPool,
    out: Output<W>,
    ids: Vec<String>,
    texts: Vec<String>,
    len: usize,
    /// Bytes of text in the batch.
    bytes: usize,
    probs: Vec<f64>,
    held: Option<Held>,
}

/// Comments per batch: enough to keep every thread busy, few enough to stream.
const BATCH: usize = 8192;
/// Bytes of comment text per batch: a batch of long comments is scored before it holds more.
const BATCH_BYTES: usize = 32 << 20;

impl<'m, W: Write> Batch<'m, W> {
    fn new(out: Output<W>, model: &'m Classifier, pool: &'m rayon::ThreadPool) -> Self {
        Batch {
            model,
            pool,
            out,
            ids: Vec::new(),
            texts: Vec::new(),
            len: 0,
            bytes: 0,
            probs: Vec::new(),
            held: None,
        }
    }

    fn push(&mut self, id: &str, text: &str) {
        if self.len == self.texts.len() {
            self.ids.push(String::new());
            self.texts.push(String::new());
        }
        self.ids[self.len].clear();
        self.ids[self.len].push_str(id);
        self.texts[self.len].clear();
        self.texts[self.len].push_str(text);
        self.len += 1;
        self.bytes += text.len();
    }

    fn is_full(&self) -> bool {
        self.len >= BATCH || self.bytes >= BATCH_BYTES
    }

    fn flush(&mut self) -> io::Result<()> {
        let n = self.model.labels().len();
        self.probs.resize(self.len * n, 0.0);
        let (texts, probs) = (&self.texts[..self.len], &mut self.probs);
        self.pool
            .install(|| self.model.score_parallel(texts, probs));
        if let Some(held) = &mut self.held {
            held.ids.extend_from_slice(&self.ids[..self.len]);
            held.probs.extend_from_slice(&self.probs[..self.len * n]);
            if let Some(texts) = &mut held.texts {
                texts.extend_from_slice(&self.texts[..self.len]);
            }
            self.len = 0;
            self.bytes = 0;
            return Ok(());
        }
        self.out.header(self.ids[..self.len].iter())?;
        for i in 0..self.len {
            self.out.row(
                &self.ids[i],
                self.model.thresholds(),
                &self.probs[i * n..(i + 1) * n],
                &self.texts[i],
            )?;
        }
        self.len = 0;
        self.bytes = 0;
        Ok(())
    }

    /// With `--adapt-prior`, refuses to estimate shares from too few comments (before any row
    /// is written).
    fn check_held(&self) -> anyhow::Result<()> {
        match &self.held {
            Some(held) if held.ids.len() < ADAPT_MIN_COMMENTS => bail!(
                "--adapt-prior estimates each label's share from the comments it scores and \
                 needs at least {ADAPT_MIN_COMMENTS} of them, got {}",
                held.ids.len()
            ),
            _ => Ok(()),
        }
    }

    /// With `--adapt-prior`: re-estimates each label's share on every comment held, says so
    /// on stderr, rescales the probabilities to it, and writes the rows with their flags at
    /// the model's thresholds.
    fn write_held(&mut self) -> io::Result<()> {
        let Some(mut held) = self.held.take() else {
            return Ok(());
        };
        let (labels, n, rows) = (
            self.model.labels(),
            self.model.labels().len(),
            held.ids.len(),
        );
        let mut column = Vec::with_capacity(rows);
        for (l, train) in self.model.training_shares().into_iter().enumerate() {
            column.clear();
            column.extend(held.probs.iter().skip(l).step_by(n));
            let share = commentguard::adapt_prior(&mut column, train);
            for (row, p) in held.probs.chunks_exact_mut(n).zip(&column) {
                row[l] = *p;
            }
            eprintln!(
                "commentguard: {}: positive share estimated at {share:.4} on {rows} comments \
                 (training share {train:.4})",
                labels[l]
            );
        }
        self.out.header(held.ids.iter().take(BATCH))?;
        for (i, (id, probs)) in held.ids.iter().zip(held.probs.chunks_exact(n)).enumerate() {
            let text = held.texts.as_ref().map_or("", |t| t[i].as_str());
            self.out.row(id, self.model.thresholds(), probs, text)?;
        }
        Ok(())
    }
}

/// Writes scored rows in one of the output formats.
struct Output<W: Write> {
    labels: Vec<String>,
    kind: Kind<W>,
    /// The header is written with the first rows (or at the end, for no rows): a run that
    /// fails before scoring anything (a wrong delimiter) leaves nothing on stdout.
    header_written: bool,
    /// The table's id column, as wide as the first rows' longest id (within bounds).
    id_width: usize,
}

enum Kind<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
    Table(W),
}

/// Characters of comment text shown in the table.
const TABLE_TEXT_CHARS: usize = 60;
/// The table's id column: at least this wide, and at most the other.
const TABLE_ID_CHARS: (usize, usize) = (8, 48);

impl<W: Write> Output<W> {
    fn new(format: OutputFormat, out: W, labels: &[String]) -> Self {
        let kind = match format {
            OutputFormat::Jsonl => Kind::Jsonl(out),
            OutputFormat::Csv => Kind::Csv(Box::new(csv::Writer::from_writer(out))),
            OutputFormat::Table => Kind::Table(out),
        };
        Output {
            labels: labels.to_vec(),
            kind,
            header_written: false,
            id_width: TABLE_ID_CHARS.0,
        }
    }

    /// Writes the header, once, before the first rows, whose ids size the table's id column.
    fn header<'a>(&mut self, first_ids: impl Iterator<Item = &'a String>) -> io::Result<()> {
        if std::mem::replace(&mut self.header_written, true) {
            return Ok(());
        }
        match &mut self.kind {
            Kind::Jsonl(_) => {}
            Kind::Csv(csv) => {
                csv.write_field("id").map_err(csv_io)?;
                for l in &self.labels {
                    csv.write_field(l).map_err(csv_io)?;
                }
                csv.write_field("flagged").map_err(csv_io)?;
                csv.write_record(None::<&[u8]>).map_err(csv_io)?;
            }
            Kind::Table(out) => {
                let longest = first_ids.map(|id| id.chars().count()).max().unwrap_or(0);
                self.id_width = longest.clamp(TABLE_ID_CHARS.0, TABLE_ID_CHARS.1);
                write!(out, "{:>w$}", "id", w = self.id_width)?;
                for l in &self.labels {
                    write!(out, "  {:>8}", truncate(l, 8))?;
                }
                writeln!(out, "  {:<14}  text", "flagged")?;
            }
        }
        Ok(())
    }

    fn row(&mut self, id: &str, thresholds: &[f64], probs: &[f64], text: &str) -> io::Result<()> {
        let labels = &self.labels;
        let flagged = || {
            labels
                .iter()
                .zip(probs.iter().zip(thresholds))
                .filter(|(_, (p, t))| p >= t)
                .map(|(l, _)| l.as_str())
        };
        match &mut self.kind {
            Kind::Jsonl(out) => {
                out.write_all(b"{\"id\":")?;
                serde_json::to_writer(&mut *out, id)?;
                out.write_all(b",\"scores\":{")?;
                for (i, (label, p)) in labels.iter().zip(probs).enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, label)?;
                    out.write_all(b":")?;
                    write_probability(out, *p)?;
                }
                out.write_all(b"},\"flagged\":[")?;
                for (i, label) in flagged().enumerate() {
                    if i > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut *out, label)?;
                }
                out.write_all(b"]}\n")?;
            }
            Kind::Csv(csv) => {
                csv.write_field(id).map_err(csv_io)?;
                let mut buf = ryu::Buffer::new();
                for p in probs {
                    csv.write_field(probability_digits(&mut buf, *p))
                        .map_err(csv_io)?;
                }
                csv.write_field(flagged().collect::<Vec<_>>().join(";"))
                    .map_err(csv_io)?;
                csv.write_record(None::<&[u8]>).map_err(csv_io)?;
            }
            Kind::Table(out) => {
                // Control characters (a newline, an escape) would break the row or the
                // terminal: blanked in the id as in the text.
                let printable = |s: &str| -> String {
                    s.chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect()
                };
                let w = self.id_width;
                write!(out, "{:>w$}", truncate(&printable(id), w))?;
                for p in probs {
                    write!(out, "  {p:>8.4}")?;
                }
                let text = printable(text);
                writeln!(
                    out,
                    "  {:<14}  {}",
                    truncate(&flagged().collect::<Vec<_>>().join(","), 14),
                    truncate(&text, TABLE_TEXT_CHARS)
                )?;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<()> {
        self.header(std::iter::empty())?;
        match self.kind {
            Kind::Jsonl(mut out) | Kind::Table(mut out) => out.flush(),
            Kind::Csv(mut csv) => csv.flush(),
        }
    }
}

/// An error writing the scores, naming standard output.
fn stdout_error(source: io::Error) -> commentguard::Error {
    commentguard::Error::Io {
        file: "<stdout>".into(),
        source,
    }
}

/// The I/O error inside a csv writer's error, so that a broken pipe is still seen as one (the
/// csv crate's own conversion wraps it as `Other`, and `--format csv | head` then failed).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => io,
        kind => io::Error::other(format!("{kind:?}")),
    }
}

/// Writes a probability in full: the shortest digits that read back as the same `f64`, as the
/// service sends them. Four decimals tied thousands of comments that the calibrated map ranks
/// apart (2,821 of Davidson's 24,783 tweets at toxicity 0.9779), so a queue sorted by the
/// printed score could not order them. `ryu` is the formatter serde_json already uses; it
/// kept `score --input`'s time (200k YouTube comments, one thread: 0.25 to 0.27 s against 0.25
/// to 0.30 s with four decimals written as integers, which had replaced `{:.4}`'s slow exact
/// path).
fn write_probability(out: &mut impl Write, p: f64) -> io::Result<()> {
    out.write_all(probability_digits(&mut ryu::Buffer::new(), p).as_bytes())
}

fn probability_digits(buf: &mut ryu::Buffer, p: f64) -> &str {
    buf.format_finite(if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch of long comments is scored before it holds more than BATCH_BYTES of text, not
    /// only when it has BATCH comments.
    #[test]
    fn a_batch_is_full_at_its_byte_bound() {
        let model = Classifier::embedded().unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let out = Output::new(OutputFormat::Jsonl, Vec::new(), model.labels());
        let mut batch = Batch::new(out, &model, &pool);
        let long = "x".repeat(BATCH_BYTES / 4);
        for _ in 0..3 {
            batch.push("1", &long);
            assert!(!batch.is_full());
        }
        batch.push("4", &long);
        assert!(batch.is_full());
        batch.flush().unwrap();
        assert!(!batch.is_full());
    }
}
