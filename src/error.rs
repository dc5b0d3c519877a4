//! The library's one error type.

use std::fmt;
use std::io;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in commentguard, with enough context to find the cause.
///
/// Data errors name the file (as the user gave it) and the line, and the column or field where
/// one applies.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{file}: {source}")]
    Io {
        /// The file being read or written.
        file: String,
        /// The underlying I/O error.
        source: io::Error,
    },
    /// A CSV or JSONL input could not be parsed.
    #[error("{file}: line {line}: {message}")]
    Parse {
        /// The input file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A CSV record had a different number of fields from the header.
    #[error("{file}: line {line}: found {found} fields, but the header has {expected}")]
    FieldCount {
        /// The input file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// Fields in this record.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A required column is not in the header.
    #[error(
        "{file}: no column {column:?}; the columns are: {}{}",
        quoted_list(available),
        delimiter_hint(available)
    )]
    MissingColumn {
        /// The input file.
        file: String,
        /// The column that was asked for.
        column: String,
        /// The columns the file has.
        available: Vec<String>,
    },
    /// A label's column (CSV) or field (JSONL) is not in the input.
    #[error(
        "{file}: {}no {} {column:?} for label {label:?}; the {}s are: {}{}; \
         with --partial-labels, `train`, `cv` and `evaluate` read each label only from the \
         files that have it",
        line_prefix(line),
        column_word(line),
        column_word(line),
        quoted_list(available),
        delimiter_hint(available)
    )]
    MissingLabel {
        /// The input file.
        file: String,
        /// 1-based line, for JSONL (whose rows each name their fields).
        line: Option<u64>,
        /// The label.
        label: String,
        /// Its column or field.
        column: String,
        /// The columns (or the row's fields) the input has.
        available: Vec<String>,
    },
    /// With partial labels, an input (CSV) or row (JSONL) has none of the labels at all.
    #[error(
        "{file}: {}none of the label {}s {} is there (the {}s are: {}{}); \
         partial labels let an input lack some labels, not all",
        line_prefix(line),
        column_word(line),
        quoted_list(columns),
        column_word(line),
        quoted_list(available),
        delimiter_hint(available)
    )]
    NoLabels {
        /// The input file.
        file: String,
        /// 1-based line, for JSONL.
        line: Option<u64>,
        /// The label columns (or fields) asked for.
        columns: Vec<String>,
        /// The columns (or the row's fields) the input has.
        available: Vec<String>,
    },
    /// A CSV header has more columns than commentguard reads.
    #[error("{file}: line 1: the header has {found} columns; at most {limit} are read")]
    TooManyColumns {
        /// The input file.
        file: String,
        /// Columns in the header.
        found: usize,
        /// The limit.
        limit: usize,
    },
    /// The same file is given twice as input (by another path, a symlink or a hard link
    /// too): its rows would count twice.
    #[error(
        "{first} and {second} are the same file: its rows would count twice (and, in `cv`, \
         be trained on and measured on); give it once"
    )]
    RepeatedInput {
        /// The first name the file was given by.
        first: String,
        /// The second.
        second: String,
    },
    /// A column that is read appears more than once in the header.
    #[error("{file}: column {column:?} appears twice in the header; rename one of them")]
    DuplicateColumn {
        /// The input file.
        file: String,
        /// The column.
        column: String,
    },
    /// A label cell holds a value that is not a recognised boolean.
    #[error(
        "{file}: line {line}, column {column:?}: invalid label value {value:?} \
         (expected 1/0, true/false or yes/no)"
    )]
    InvalidLabel {
        /// The input file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The label column.
        column: String,
        /// The value found.
        value: String,
    },
    /// A field or line is not valid UTF-8.
    #[error("{file}: line {line}{}: invalid UTF-8", field_suffix(field))]
    InvalidUtf8 {
        /// The input file.
        file: String,
        /// 1-based line number.
        line: u64,
        /// The column, for CSV input.
        field: Option<String>,
    },
    /// The input is text in another encoding than UTF-8 (UTF-16 or UTF-32, as spreadsheet
    /// programs and PowerShell save it), told by its byte-order mark or its NUL bytes.
    #[error(
        "{file}: line 1: this looks like {encoding} text, and commentguard reads UTF-8; \
         convert it first (for example: iconv -f {iconv} -t UTF-8 FILE > NEW_FILE)"
    )]
    NotUtf8Encoding {
        /// The input file.
        file: String,
        /// The encoding it looks like, as a person would name it.
        encoding: &'static str,
        /// The encoding's name for iconv.
        iconv: &'static str,
    },
    /// A row (a line, or a CSV record) is longer than a comment may be.
    #[error(
        "{file}: line {line}: the row is longer than {} MiB, the most a comment may take",
        limit >> 20
    )]
    RowTooLong {
        /// The input file.
        file: String,
        /// 1-based line where the row starts.
        line: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The input has no header or no content at all.
    #[error("{file}: the file is empty")]
    EmptyInput {
        /// The input file.
        file: String,
    },
    /// The input has a header but no data rows.
    #[error("{file}: the file has a header but no rows")]
    NoRows {
        /// The input file.
        file: String,
    },
    /// A trainer was asked for a later pass or a model before any row was added to it.
    #[error("no training rows: add at least one row before {stage}")]
    NoTrainingRows {
        /// What was asked for: `"finish"` or `"a later pass"`.
        stage: &'static str,
    },
    /// A later pass over the training rows that the trainer does not need, or that did not
    /// read every row.
    #[error("training pass {pass} of {passes}: {problem}")]
    TrainingPass {
        /// The 1-based pass.
        pass: u32,
        /// How many passes this training reads in all ([`crate::Trainer::passes`]).
        passes: u32,
        /// What went wrong.
        problem: String,
    },
    /// Every row of the input was invalid and skipped.
    #[error("{file}: all {skipped} rows were invalid and skipped")]
    AllRowsSkipped {
        /// The input file.
        file: String,
        /// How many rows were skipped.
        skipped: u64,
    },
    /// A model file could not be loaded.
    #[error("{file}: {kind}")]
    Model {
        /// The model file (`<embedded>` for the built-in model).
        file: String,
        /// What is wrong with it.
        kind: ModelError,
    },
    /// A hyper-parameter or option is out of range.
    #[error("invalid {name} {value}: {reason}")]
    InvalidParam {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: String,
        /// The accepted range.
        reason: &'static str,
    },
    /// A label spec (`--label`) or threshold spec could not be parsed.
    #[error("invalid {what} {spec:?}: {reason}")]
    InvalidSpec {
        /// What kind of spec it is.
        what: &'static str,
        /// The spec as given.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A label has no rows of one class, so its head cannot be trained.
    #[error(
        "label {label:?} has no {class} rows; each label needs both positive and negative examples"
    )]
    NoExamples {
        /// The label.
        label: String,
        /// "positive" or "negative".
        class: &'static str,
    },
    /// No row of the training data has a value for a label: no input has its column.
    #[error("label {label:?}: no input row has a value for it (no file has its column or field)")]
    NoLabelRows {
        /// The label.
        label: String,
    },
    /// Forgetting took out more than was learned: a comment that was never learned with these
    /// verdicts, or was forgotten already.
    #[error(
        "comment {} of the changes was never learned with these labels (or was forgotten \
         already): nothing to forget",
        index + 1
    )]
    NeverLearned {
        /// 0-based place of the comment among the changes applied.
        index: usize,
    },
    /// A comment to forget was learned (with verdicts the model filled in), but never with the
    /// verdicts given now.
    #[error(
        "comment {} of the changes was learned with other verdicts than the ones given now; \
         nothing to forget with these",
        index + 1
    )]
    ForgetDisagrees {
        /// 0-based place of the comment among the changes applied.
        index: usize,
    },
    /// Forgetting would leave a label without rows of one class.
    #[error(
        "forgetting these comments would leave label {label:?} with no {class} rows; a model \
         needs both positive and negative examples of each label"
    )]
    ForgetsAllExamples {
        /// The label.
        label: String,
        /// "positive" or "negative".
        class: &'static str,
    },
    /// A cross-validation fold left a label without rows of one class to train on.
    #[error(
        "fold {fold} of {folds}: label {label:?} has no {class} rows outside this fold; \
         use fewer folds or more data"
    )]
    FoldWithoutExamples {
        /// 1-based fold.
        fold: usize,
        /// Number of folds.
        folds: u32,
        /// The label.
        label: String,
        /// "positive" or "negative".
        class: &'static str,
    },
    /// A tuning fold (the folds whose out-of-fold scores set thresholds and calibration) left
    /// a label without rows of one class to train on; in `cv`, inside fold `outer`.
    #[error(
        "{}tuning fold {fold} of {folds}: label {label:?} has no {class} rows outside this \
         fold; lower --tune-folds, or use --tune none --calibration none, or give more data",
        outer.map_or_else(String::new, |(f, k)| format!("fold {f} of {k}, "))
    )]
    TuningFoldWithoutExamples {
        /// In `cv`, the 1-based fold and the number of folds the tuning ran in.
        outer: Option<(usize, u32)>,
        /// 1-based tuning fold.
        fold: usize,
        /// Number of tuning folds.
        folds: u32,
        /// The label.
        label: String,
        /// "positive", "negative" or "labeled".
        class: &'static str,
    },
    /// An error raised by linfa's dataset types (linfa's `Fit` requires we can carry one).
    #[error(transparent)]
    Linfa(#[from] linfa::Error),
    /// A row's out-of-fold score is not a finite number: the options overflow the model's math.
    #[error(
        "row {row}: the score of label {label:?} is not a finite number; \
         the training options overflow the model's math"
    )]
    NonFiniteScore {
        /// 1-based row of the training data (across files, in order).
        row: u64,
        /// The label.
        label: String,
    },
    /// An output file was not written, to keep an input or a special file safe.
    #[error("{file}: not written: {problem}")]
    Output {
        /// The output file, as given.
        file: String,
        /// Why it was not written.
        problem: OutputProblem,
    },
    /// Drawing or encoding a figure failed (a drawing library's error, kept as its source).
    #[error("drawing the figure: {0}")]
    Plot(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A label was named that the model does not have.
    #[error(
        "the model has no label {label:?}; its labels are: {}",
        quoted_list(available)
    )]
    UnknownLabel {
        /// The label asked for.
        label: String,
        /// The model's labels.
        available: Vec<String>,
    },
}

/// Why an output file was not written.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OutputProblem {
    /// It is the same file as one of the command's inputs.
    IsAnInput {
        /// The input, as given.
        input: String,
    },
    /// It exists and is not a regular file: renaming over it would replace a FIFO, a device
    /// or a directory.
    NotARegularFile {
        /// What it is, e.g. "a FIFO".
        kind: &'static str,
    },
}

impl fmt::Display for OutputProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OutputProblem::IsAnInput { input } => {
                write!(f, "the file is one of the inputs ({input})")
            }
            OutputProblem::NotARegularFile { kind } => {
                write!(f, "it exists and is not a regular file ({kind})")
            }
        }
    }
}

/// Why a model file was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModelError {
    /// The file does not start with the commentguard magic bytes.
    NotAModel,
    /// The file is shorter than its header says.
    Truncated {
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file is longer than its header says.
    TrailingBytes {
        /// Bytes the header promises.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// The file was written by a newer commentguard.
    UnsupportedVersion {
        /// The file's format version.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// The file's format version is one no commentguard ever wrote (0).
    InvalidVersion {
        /// The file's format version.
        found: u32,
    },
    /// The model hashes features into buckets with the hash of an older format version.
    OldHashBuckets {
        /// The file's format version.
        found: u32,
    },
    /// The checksum does not match the contents.
    ChecksumMismatch,
    /// The contents decode to something inconsistent.
    Corrupt(String),
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelError::NotAModel => f.write_str("not a commentguard model file"),
            ModelError::Truncated { expected, found } => write!(
                f,
                "truncated model file: expected {expected} bytes, found {found}"
            ),
            ModelError::TrailingBytes { expected, found } => write!(
                f,
                "model file has trailing data: expected {expected} bytes, found {found}"
            ),
            ModelError::UnsupportedVersion { found, supported } => write!(
                f,
                "model format version {found} is newer than this commentguard reads \
                 (up to {supported}); upgrade commentguard"
            ),
            ModelError::InvalidVersion { found } => write!(
                f,
                "model format version {found} was never written by commentguard: \
                 the file is corrupted"
            ),
            ModelError::OldHashBuckets { found } => write!(
                f,
                "model format version {found} hashes features into buckets with a hash this \
                 commentguard no longer computes; retrain the model"
            ),
            ModelError::ChecksumMismatch => {
                f.write_str("checksum mismatch: the model file is corrupted")
            }
            ModelError::Corrupt(why) => write!(f, "corrupted model file: {why}"),
        }
    }
}

impl Error {
    pub(crate) fn io(file: impl Into<String>, source: io::Error) -> Error {
        let file = file.into();
        Error::Io {
            // An empty path printed as nothing at all (": No such file or directory").
            file: if file.is_empty() {
                "\"\" (an empty path)".into()
            } else {
                file
            },
            source,
        }
    }

    pub(crate) fn model(file: impl Into<String>, kind: ModelError) -> Error {
        Error::Model {
            file: file.into(),
            kind,
        }
    }

    /// True when the error is a broken pipe on output, which a CLI treats as a normal end.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A hint when a header read as one column holds another likely delimiter: the file is
/// probably tab- or semicolon-separated.
fn delimiter_hint(columns: &[String]) -> String {
    // A JSON Lines file named otherwise was read as CSV: its "header" is the first object.
    if columns
        .first()
        .is_some_and(|c| c.trim_start().starts_with('{'))
    {
        return " (the first line is a JSON object: for JSON Lines, name the file .jsonl, or \
                 give score --input-format jsonl)"
            .to_owned();
    }
    match columns {
        [only] => match ['\t', ';', '|'].into_iter().find(|&d| only.contains(d)) {
            Some('\t') => " (the header is one column holding tabs: for a tab-separated file, \
                           use --delimiter tab or a .tsv name)"
                .to_owned(),
            Some(d) => format!(
                " (the header is one column holding {d:?}: for that delimiter, use \
                 --delimiter '{d}')"
            ),
            None => String::new(),
        },
        _ => String::new(),
    }
}

fn line_prefix(line: &Option<u64>) -> String {
    line.map_or_else(String::new, |l| format!("line {l}: "))
}

/// "column" for a CSV header (no line), "field" for a JSONL row.
fn column_word(line: &Option<u64>) -> &'static str {
    if line.is_some() {
        "field"
    } else {
        "column"
    }
}

fn field_suffix(field: &Option<String>) -> String {
    match field {
        Some(name) => format!(", column {name:?}"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_column_lists_available_columns() {
        let e = Error::MissingColumn {
            file: "a.csv".into(),
            column: "text".into(),
            available: vec!["id".into(), "body".into()],
        };
        assert_eq!(
            e.to_string(),
            r#"a.csv: no column "text"; the columns are: "id", "body""#
        );
    }

    #[test]
    fn invalid_utf8_names_field_when_known() {
        let e = Error::InvalidUtf8 {
            file: "a.csv".into(),
            line: 3,
            field: Some("text".into()),
        };
        assert_eq!(
            e.to_string(),
            r#"a.csv: line 3, column "text": invalid UTF-8"#
        );
    }
}
