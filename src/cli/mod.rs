//! Command-line arguments, one subcommand per file.

mod cv;
mod evaluate;
mod explain;
mod inspect;
mod learn;
mod score;
mod serve;
mod train;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use commentguard::{
    AnalyzerOptions, CalibrationKind, Classifier, InputOptions, LinearParams, NbKind, NbParams,
    TermWeight, ThresholdRule, TrainParams,
};

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
    /// Cross-validate training options on labeled data.
    Cv(cv::CvArgs),
    /// Show which features pushed each label's score.
    Explain(explain::ExplainArgs),
    /// Show a model's labels, options, vocabulary, training data and top features.
    Inspect(inspect::InspectArgs),
    /// Learn labeled comments into a model's counts (thresholds and calibration stay as the
    /// model has them, or as --threshold sets them: they are saved, and fill missing labels).
    Learn(learn::LearnArgs),
    /// Take comments learned before out of a model's counts again.
    Forget(learn::LearnArgs),
    /// Run the moderation service: native, Perspective- and Akismet-compatible HTTP APIs.
    Serve(serve::ServeArgs),
}

pub fn run() -> anyhow::Result<()> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout, whose errors count (`--help > /dev/full` is a
        // failure); usage errors go to stderr with clap's exit code 2.
        Err(e) if !e.use_stderr() => {
            let mut out = stdout();
            write!(out, "{}", e.render().ansi())?;
            out.flush()?;
            return Ok(());
        }
        Err(e) => {
            let _ = e.print();
            std::process::exit(e.exit_code());
        }
    };
    match cli.command {
        Command::Score(a) => score::run(a),
        Command::Train(a) => train::run(a),
        Command::Evaluate(a) => evaluate::run(a),
        Command::Cv(a) => cv::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Learn(a) => learn::run(a, commentguard::Direction::Learn),
        Command::Forget(a) => learn::run(a, commentguard::Direction::Forget),
        Command::Serve(a) => serve::run(a),
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
        once_per_label(&[("--threshold", &self.threshold)])?;
        for (label, t) in &self.threshold {
            model.set_threshold(label, *t)?;
        }
        Ok(model)
    }
}

/// Which columns to read, shared by the commands that read files.
#[derive(Debug, Args)]
struct ColumnArgs {
    /// Column (CSV) or field (JSONL) holding the comment text [default: text].
    #[arg(long, value_name = "NAME")]
    text_column: Option<String>,
    /// Column or field holding an id to report.
    #[arg(long, value_name = "NAME")]
    id_column: Option<String>,
    /// Skip invalid rows (counted and reported) instead of stopping at the first.
    #[arg(long)]
    skip_invalid: bool,
    /// Field delimiter of CSV input, one ASCII character or `tab` [default: `,`, or a tab for
    /// .tsv files].
    #[arg(long, value_name = "CHAR", value_parser = parse_delimiter)]
    delimiter: Option<u8>,
}

fn parse_delimiter(s: &str) -> anyhow::Result<u8> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" && s != "\r" => {
            Ok(s.as_bytes()[0])
        }
        _ => bail!("expected one ASCII character other than a quote or a line end, or `tab`"),
    }
}

impl ColumnArgs {
    /// Refuses the options that input in `format` would not use (`None`: comments given as
    /// arguments, or as lines on standard input), which were silently ignored: a user who gave
    /// `--id-column` got positions for ids without a word.
    fn check_used(&self, format: Option<commentguard::InputFormat>) -> anyhow::Result<()> {
        use commentguard::InputFormat;
        let columns = self.text_column.is_some() || self.id_column.is_some();
        match format {
            None | Some(InputFormat::Lines) if columns || self.delimiter.is_some() => bail!(
                "--text-column, --id-column and --delimiter need --input with a CSV, TSV or \
                 JSONL file: comments given as arguments or as lines have no columns"
            ),
            Some(InputFormat::Jsonl) if self.delimiter.is_some() => {
                bail!("--delimiter is for CSV input; this input is read as JSON Lines")
            }
            _ => Ok(()),
        }
    }

    fn options(&self, labels: Vec<commentguard::LabelSpec>) -> InputOptions {
        InputOptions {
            text_column: self.text_column.clone().unwrap_or_else(|| "text".into()),
            id_column: self.id_column.clone(),
            labels,
            skip_invalid: self.skip_invalid,
            delimiter: self.delimiter,
            partial_labels: false,
        }
    }
}

/// Model and feature options, shared by `train` and `cv`. Unset options take the library's
/// defaults (see README.md, "Accuracy", for how they were chosen).
#[derive(Debug, Args)]
struct TrainOptionArgs {
    /// Naive Bayes kind [default: complement].
    #[arg(long, value_enum, value_name = "KIND")]
    nb: Option<NbArg>,
    /// Lidstone smoothing added to every feature count [default: 0.05].
    #[arg(long, allow_negative_numbers = true)]
    alpha: Option<f64>,
    /// Term weighting: raw counts, presence, or ln(1 + count) [default: log].
    #[arg(long, value_enum, value_name = "WEIGHT")]
    tf: Option<TfArg>,
    /// Weight features by inverse document frequency [default: true]; alone, `true`.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    idf: Option<bool>,
    /// Divide each comment's vector by its L2 norm [default: true]; alone, `true`.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    norm: Option<bool>,
    /// Ignore each label's base rate (uniform priors) [default: false]; alone, `true`.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    uniform_priors: Option<bool>,
    /// Ignore features in fewer training comments [default: 2].
    #[arg(long, value_name = "N")]
    min_df: Option<u32>,
    /// Ignore features in a larger share of training comments [default: 1].
    #[arg(long, allow_negative_numbers = true, value_name = "SHARE")]
    max_df: Option<f64>,
    /// Longest word n-gram, 1 to 3, or 0 for character n-grams alone [default: 2].
    #[arg(long, value_name = "N")]
    word_ngrams: Option<u8>,
    /// Character n-grams inside words, MIN-MAX (e.g. 3-5), or `none` [default: none].
    #[arg(long, value_name = "RANGE", value_parser = parse_char_ngrams)]
    char_ngrams: Option<CharNgrams>,
    /// Feature hashing into 2^BITS buckets instead of a stored vocabulary [default: off].
    #[arg(long, value_name = "BITS")]
    hash_bits: Option<u8>,
    /// Calibration fitted on out-of-fold scores [default: isotonic].
    #[arg(long, value_enum, value_name = "MAP")]
    calibration: Option<CalibrationArg>,
    /// Pick every label's threshold from out-of-fold scores: `f1` maximizes F1, `none` keeps 0.5
    /// [default: f1].
    #[arg(long, value_enum, value_name = "RULE")]
    tune: Option<TuneArg>,
    /// Pick LABEL's threshold as the lowest reaching precision P out of fold (repeatable).
    #[arg(long, value_name = "LABEL=P", value_parser = parse_threshold)]
    target_precision: Vec<(String, f64)>,
    /// Fix LABEL's threshold at P (repeatable).
    #[arg(long, value_name = "LABEL=P", value_parser = parse_threshold)]
    threshold: Vec<(String, f64)>,
    /// The scoring head: naive Bayes alone, or NB-LR (logistic regression on naive Bayes
    /// log-count ratios, one more read of the data per epoch) [default: nblr].
    #[arg(long, value_enum, value_name = "HEAD")]
    head: Option<HeadArg>,
    /// NB-LR: passes of FTRL-proximal over the rows [default: 2].
    #[arg(long, value_name = "N")]
    epochs: Option<u32>,
    /// NB-LR: L2 penalty on the weights [default: 100].
    #[arg(long, allow_negative_numbers = true, value_name = "LAMBDA")]
    l2: Option<f64>,
    /// NB-LR: FTRL's learning rate [default: 1].
    #[arg(long, allow_negative_numbers = true, value_name = "RATE")]
    rate: Option<f64>,
    /// NB-LR: Wang & Manning's interpolation towards the mean weight, 1 for none [default: 1].
    #[arg(long, allow_negative_numbers = true, value_name = "BETA")]
    beta: Option<f64>,
    /// Folds for the out-of-fold scores that tuning and calibration use [default: 5].
    #[arg(long, value_name = "K")]
    tune_folds: Option<u32>,
    /// Seed of the fold assignment.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum NbArg {
    Multinomial,
    Complement,
    Bernoulli,
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
enum HeadArg {
    Nb,
    Nblr,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TfArg {
    Raw,
    Binary,
    Log,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum CalibrationArg {
    None,
    Platt,
    Isotonic,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TuneArg {
    F1,
    None,
}

#[derive(Debug, Clone, Copy)]
struct CharNgrams(Option<(u8, u8)>);

fn parse_char_ngrams(s: &str) -> anyhow::Result<CharNgrams> {
    if s == "none" {
        return Ok(CharNgrams(None));
    }
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let range = (a.parse::<u8>()?, b.parse::<u8>()?);
    Ok(CharNgrams(Some(range)))
}

impl TrainOptionArgs {
    /// Training parameters for `labels`, with the library's defaults where no flag was given.
    fn params(&self, labels: impl IntoIterator<Item = String>) -> anyhow::Result<TrainParams> {
        let mut analyzer = AnalyzerOptions::default();
        if let Some(n) = self.word_ngrams {
            analyzer.word_ngrams = n;
        }
        if let Some(CharNgrams(range)) = self.char_ngrams {
            analyzer.char_ngrams = range;
        }
        if self.hash_bits.is_some() {
            analyzer.hash_bits = self.hash_bits;
        }
        let mut nb = NbParams::new();
        if let Some(kind) = self.nb {
            nb = nb.kind(match kind {
                NbArg::Multinomial => NbKind::Multinomial,
                NbArg::Complement => NbKind::Complement,
                NbArg::Bernoulli => NbKind::Bernoulli,
            });
        }
        if let Some(a) = self.alpha {
            nb = nb.alpha(a);
        }
        if let Some(tf) = self.tf {
            nb = nb.term_weight(match tf {
                TfArg::Raw => TermWeight::Raw,
                TfArg::Binary => TermWeight::Binary,
                TfArg::Log => TermWeight::Log,
            });
        }
        if let Some(on) = self.idf {
            nb = nb.idf(on);
        }
        if let Some(on) = self.norm {
            nb = nb.normalize(on);
        }
        if let Some(on) = self.uniform_priors {
            nb = nb.uniform_priors(on);
        }
        if let Some(n) = self.min_df {
            nb = nb.min_df(n);
        }
        if let Some(share) = self.max_df {
            nb = nb.max_df(share);
        }
        let mut params = TrainParams::new(labels)
            .analyzer(analyzer)
            .nb(nb)
            .seed(self.seed);
        if let Some(kind) = self.calibration {
            params = params.calibration(match kind {
                CalibrationArg::None => CalibrationKind::None,
                CalibrationArg::Platt => CalibrationKind::Platt,
                CalibrationArg::Isotonic => CalibrationKind::Isotonic,
            });
        }
        if let Some(rule) = self.tune {
            params = params.default_threshold(match rule {
                TuneArg::F1 => ThresholdRule::F1,
                TuneArg::None => ThresholdRule::Fixed(0.5),
            });
        }
        once_per_label(&[
            ("--target-precision", &self.target_precision),
            ("--threshold", &self.threshold),
        ])?;
        for (label, p) in &self.target_precision {
            params = params.threshold(label.clone(), ThresholdRule::Precision(*p));
        }
        for (label, t) in &self.threshold {
            params = params.threshold(label.clone(), ThresholdRule::Fixed(*t));
        }
        if let Some(k) = self.tune_folds {
            params = params.folds(k);
        }
        let head = self.head.unwrap_or(HeadArg::Nblr);
        if head == HeadArg::Nb
            && (self.epochs, self.l2, self.rate, self.beta) != (None, None, None, None)
        {
            bail!("--epochs, --l2, --rate and --beta set the NB-LR head; they need --head nblr");
        }
        let linear = (head == HeadArg::Nblr).then(|| {
            let mut p = LinearParams::new();
            if let Some(n) = self.epochs {
                p = p.epochs(n);
            }
            if let Some(l2) = self.l2 {
                p = p.l2(l2);
            }
            if let Some(r) = self.rate {
                p = p.rate(r);
            }
            if let Some(b) = self.beta {
                p = p.beta(b);
            }
            p
        });
        Ok(params.linear(linear))
    }
}

/// The model label each `--label` sets, refusing two that set the same one (`spam` and
/// `spam=other`, or an alias and its label): `learn` and `evaluate` let the last win.
pub(crate) fn label_slots(
    model: &commentguard::Classifier,
    specs: &[commentguard::LabelSpec],
) -> anyhow::Result<Vec<usize>> {
    let mut slots: Vec<usize> = Vec::with_capacity(specs.len());
    for spec in specs {
        let slot = model.label_index(&spec.name)?;
        if let Some(first) = slots.iter().position(|&s| s == slot) {
            let first = &specs[first].name;
            if *first == spec.name {
                anyhow::bail!("label {first:?} is given twice by --label; give each label once");
            }
            anyhow::bail!(
                "--label {first} and --label {} both give the model's label {:?}; give each \
                 label once",
                spec.name,
                model.labels()[slot]
            );
        }
        slots.push(slot);
    }
    Ok(slots)
}

/// Refuses a label given twice among `flags`, which each set one value per label: the last
/// silently won.
pub(crate) fn once_per_label(flags: &[(&str, &[(String, f64)])]) -> anyhow::Result<()> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (flag, values) in flags {
        for (label, _) in values.iter() {
            if let Some((first, _)) = seen.iter().find(|(_, l)| *l == label.as_str()) {
                anyhow::bail!(
                    "label {label:?} is given twice ({first} and {flag}); give each label one value"
                );
            }
            seen.push((flag, label));
        }
    }
    Ok(())
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

/// Threads per core at most: beyond a few, threads only add start-up time and contention
/// (`--threads 3000` took 17 s to score one comment).
const MAX_THREADS_PER_CORE: usize = 4;

/// The pool for `--threads` (one thread per core when not given), refusing 0 and more than
/// [`MAX_THREADS_PER_CORE`] per core.
fn thread_pool(threads: Option<usize>) -> anyhow::Result<rayon::ThreadPool> {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let most = MAX_THREADS_PER_CORE * cores;
    if let Some(n) = threads {
        if n == 0 || n > most {
            bail!(
                "invalid --threads {n}: must be between 1 and {most} \
                 ({MAX_THREADS_PER_CORE} per core on this machine's {cores} cores)"
            );
        }
    }
    Ok(rayon::ThreadPoolBuilder::new()
        .num_threads(threads.unwrap_or(cores))
        .build()?)
}

/// Comments `--adapt-prior` needs to estimate a share from (in `score`, and per label in
/// `evaluate`). On random draws of the YouTube spam set (51% spam), the estimate from 100
/// comments ranged over 0.45 to 0.68, from 30 over 0.36 to 0.79, from 10 over 0.16 to 0.89
/// (docs/accuracy.md).
const ADAPT_MIN_COMMENTS: usize = 100;

/// Prints the notes of `summary` for `file` on stderr: rows skipped, and rows whose comment
/// holds lines that read as rows of their own (a stray quote's mark).
fn report_skipped(file: &Path, summary: &commentguard::ReadSummary) {
    let name = if file.as_os_str() == "-" {
        "<stdin>".into()
    } else {
        file.display().to_string()
    };
    for note in [summary.skipped_note(), summary.merged_note()]
        .into_iter()
        .flatten()
    {
        note!("{name}: {note}");
    }
}

/// Standard output, line-buffered, whose errors say `<stdout>`: "No space left on device"
/// alone does not say which file. The error keeps its kind, so a broken pipe is still one.
struct Stdout(io::StdoutLock<'static>);

fn stdout() -> Stdout {
    Stdout(io::stdout().lock())
}

fn name_stdout(e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("<stdout>: {e}"))
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(name_stdout)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(name_stdout)
    }
}
