//! Reading comments and labels from CSV, JSONL and plain lines.
//!
//! Every reader streams: it calls back once per row with a reused [`Record`], so memory does
//! not grow with the file. Errors name the file, line and column; with `skip_invalid` the rows
//! that would have failed are counted in [`ReadSummary`] instead.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::format::{HashingReader, Source};

mod batch;
mod quotes;

use quotes::{QuoteTracker, RecordTooLong, UnclosedQuote};

pub use batch::{read_batched, RowBatch, BATCHES_AHEAD, BATCH_BYTES};

/// The longest comment read from a file, in bytes: a row longer than this (plus a little room
/// for a CSV record's other fields) is an error naming its line. Analyzing a comment takes about
/// ten times its size, so this bounds a scoring or training thread's memory near 160 MiB.
pub const MAX_COMMENT_BYTES: usize = 16 << 20;

/// The most columns a CSV header may have: far more than any comment export, few enough that
/// a header row of stray delimiters is caught at once.
pub const MAX_COLUMNS: usize = 1024;

/// The layout of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// CSV with a header row (comma-separated unless [`InputOptions::delimiter`] says).
    Csv,
    /// Tab-separated values with a header row: CSV with tabs.
    Tsv,
    /// One JSON object per line.
    Jsonl,
    /// One comment per line, no header.
    Lines,
}

impl InputFormat {
    /// By the extension, in any case: JSONL for `.jsonl` and `.ndjson`, TSV for `.tsv` and
    /// `.tab`, CSV otherwise.
    pub fn from_path(path: &Path) -> InputFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("jsonl" | "ndjson") => InputFormat::Jsonl,
            Some("tsv" | "tab") => InputFormat::Tsv,
            _ => InputFormat::Csv,
        }
    }
}

/// Reads `path` (`-` for standard input) in `format`, calling `f` for each row.
pub fn read_path(
    path: &Path,
    format: InputFormat,
    opts: &InputOptions,
    f: impl FnMut(&Record) -> Result<()>,
) -> Result<ReadSummary> {
    let name = display_name(path);
    read_format(open(path, &name)?, &name, format, opts, f)
}

fn display_name(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn open(path: &Path, name: &str) -> Result<Box<dyn Read>> {
    Ok(if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(name, e))?)
    })
}

/// As [`read_path`], also returning a [`Source`] naming the file with the SHA-256 of its
/// bytes, for a model's training summary.
pub fn read_path_with_source(
    path: &Path,
    format: InputFormat,
    opts: &InputOptions,
    f: impl FnMut(&Record) -> Result<()>,
) -> Result<(ReadSummary, Source)> {
    let name = display_name(path);
    let mut hashing = HashingReader::new(open(path, &name)?);
    let summary = read_format(&mut hashing, &name, format, opts, f)?;
    // Hash any bytes the parser did not need (a trailing newline, say) so the digest covers the file.
    std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| Error::io(&name, e))?;
    let source = Source {
        name: path
            .file_name()
            .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned()),
        sha256: hashing.sha256_hex(),
        rows: summary.rows,
        skipped: summary.skipped,
    };
    Ok((summary, source))
}

/// Reads `reader` in `format`. Input in UTF-16 or UTF-32 (told by a byte-order mark, or by
/// the NUL bytes of plain text in them) is refused with an error that names the encoding:
/// read as UTF-8 it gave "no column \"text\"" with the header's NUL bytes, or "invalid
/// UTF-8".
pub fn read_format<R: Read>(
    mut reader: R,
    file: &str,
    format: InputFormat,
    opts: &InputOptions,
    f: impl FnMut(&Record) -> Result<()>,
) -> Result<ReadSummary> {
    // What one read gives (at least the two bytes of a byte-order mark), never waiting for
    // more: a stream of comments piped in is scored as its lines come.
    let mut start = vec![0; SNIFF_BYTES];
    let mut got = 0;
    while got < 2 {
        match reader.read(&mut start[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(file, e)),
        }
    }
    start.truncate(got);
    if let Some((encoding, iconv)) = wide_encoding(&start) {
        return Err(Error::NotUtf8Encoding {
            file: file.to_owned(),
            encoding,
            iconv,
        });
    }
    let reader = std::io::Cursor::new(start).chain(reader);
    match format {
        InputFormat::Csv => read_csv(reader, file, opts, f),
        InputFormat::Tsv => read_delimited(reader, file, opts, opts.delimiter.unwrap_or(b'\t'), f),
        InputFormat::Jsonl => read_jsonl(BufReader::new(reader), file, opts, f),
        InputFormat::Lines => read_lines(BufReader::new(reader), file, opts.skip_invalid, f),
    }
}

/// How much of an input's start is looked at to tell its encoding.
const SNIFF_BYTES: usize = 256;

/// The encoding `start` (an input's first bytes) is in, when it is UTF-16 or UTF-32 rather
/// than UTF-8: `(name, iconv's name)`. A byte-order mark says so; without one, text of mostly
/// ASCII characters in UTF-16 has a NUL byte in every other place (the odd places in
/// little-endian, the even in big-endian). UTF-8 text has no NUL bytes at all, so a start
/// with few of them, or with them in both places, is left to the parser.
fn wide_encoding(start: &[u8]) -> Option<(&'static str, &'static str)> {
    match start {
        // With a mark, iconv's plain name reads it and leaves it out.
        [0xFF, 0xFE, 0, 0, ..] => return Some(("UTF-32 (little-endian)", "UTF-32")),
        [0, 0, 0xFE, 0xFF, ..] => return Some(("UTF-32 (big-endian)", "UTF-32")),
        [0xFF, 0xFE, ..] => return Some(("UTF-16 (little-endian)", "UTF-16")),
        [0xFE, 0xFF, ..] => return Some(("UTF-16 (big-endian)", "UTF-16")),
        _ => {}
    }
    let nuls = |parity: usize| {
        start
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (nuls(0), nuls(1));
    let pairs = start.len() / 2;
    // Three in four of the places: a few non-ASCII characters do not hide it.
    if pairs >= 2 && odd * 4 >= pairs * 3 && even == 0 {
        Some(("UTF-16 (little-endian)", "UTF-16LE"))
    } else if pairs >= 2 && even * 4 >= pairs * 3 && odd == 0 {
        Some(("UTF-16 (big-endian)", "UTF-16BE"))
    } else {
        None
    }
}

/// How a label is read from a column: `NAME`, `NAME=COLUMN` or `NAME=COLUMN:V1,V2`.
///
/// A plain column holds 1/0, true/false or yes/no (any case). With values, the column is
/// categorical: positive when the value is one of them, negative for any other value; an empty
/// cell (or `NaN`, `NA`, `null`, `none`) is invalid in both kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSpec {
    /// The label's name in the model.
    pub name: String,
    /// The column it is read from.
    pub column: String,
    /// Values that mean positive, for a categorical column.
    pub positive: Option<Vec<String>>,
}

impl FromStr for LabelSpec {
    type Err = Error;

    fn from_str(spec: &str) -> Result<LabelSpec> {
        let bad = |reason| Error::InvalidSpec {
            what: "label",
            spec: spec.to_owned(),
            reason,
        };
        let (name, rest) = match spec.split_once('=') {
            Some((name, rest)) => (name, Some(rest)),
            None => (spec, None),
        };
        if name.is_empty() {
            return Err(bad(
                "the label name is empty (use NAME, NAME=COLUMN or NAME=COLUMN:V1,V2)",
            ));
        }
        let (column, positive) = match rest {
            None => (name, None),
            Some(rest) => match rest.split_once(':') {
                None => (rest, None),
                Some((column, values)) => {
                    // Cells are compared trimmed, so values are too: `class:0, 1` once made
                    // every 1 a negative.
                    let values: Vec<String> =
                        values.split(',').map(|v| v.trim().to_owned()).collect();
                    if values.iter().any(String::is_empty) {
                        return Err(bad("a positive value is empty (use NAME=COLUMN:V1,V2)"));
                    }
                    (column, Some(values))
                }
            },
        };
        if column.is_empty() {
            return Err(bad("the column name is empty (use NAME=COLUMN)"));
        }
        Ok(LabelSpec {
            name: name.to_owned(),
            column: column.to_owned(),
            positive,
        })
    }
}

impl LabelSpec {
    fn parse_value(&self, value: &str) -> Option<bool> {
        let value = value.trim();
        if let Some(positive) = &self.positive {
            // A missing value is no category: an empty cell, or what pandas and R write for
            // one, is invalid as in a 0/1 column, not a negative.
            let missing = ["", "nan", "na", "n/a", "null", "none"]
                .iter()
                .any(|m| value.eq_ignore_ascii_case(m));
            let hit = positive.iter().any(|p| p == value);
            return (hit || !missing).then_some(hit);
        }
        // Compared in place: lowercasing a copy allocated twice per row of a two-label file.
        let is = |words: [&str; 3]| words.iter().any(|w| value.eq_ignore_ascii_case(w));
        if is(["1", "true", "yes"]) {
            Some(true)
        } else if is(["0", "false", "no"]) {
            Some(false)
        } else {
            None
        }
    }
}

/// Which columns or fields to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputOptions {
    /// The comment text column (CSV) or field (JSONL).
    pub text_column: String,
    /// An optional id column or field.
    pub id_column: Option<String>,
    /// Labels to read; empty when only scoring.
    pub labels: Vec<LabelSpec>,
    /// Skip and count invalid rows instead of stopping at the first.
    pub skip_invalid: bool,
    /// The field delimiter of CSV input (`None`: a comma, or a tab for TSV).
    pub delimiter: Option<u8>,
    /// Let a file (CSV) or row (JSONL) lack some of the labels: those labels are then unknown
    /// for its rows ([`Record::known`]). Lacking all of them is still an error.
    pub partial_labels: bool,
}

impl Default for InputOptions {
    fn default() -> Self {
        InputOptions {
            text_column: "text".into(),
            id_column: None,
            labels: Vec::new(),
            skip_invalid: false,
            delimiter: None,
            partial_labels: false,
        }
    }
}

/// One row, reused between callbacks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// 1-based position among the input's rows (skipped rows included).
    pub position: u64,
    /// 1-based line where the row starts.
    pub line: u64,
    /// The id column's value, if one was asked for.
    pub id: Option<String>,
    /// The comment.
    pub text: String,
    /// Label values, in the order of [`InputOptions::labels`]; `false` where not known.
    pub labels: Vec<bool>,
    /// Whether each label's value is known: false only for a label whose column (or field) the
    /// input lacks, with [`InputOptions::partial_labels`].
    pub known: Vec<bool>,
}

impl Record {
    /// The id to report: the id column's value, else the position.
    pub fn display_id(&self) -> String {
        self.id.clone().unwrap_or_else(|| self.position.to_string())
    }
}

/// What a reader did with its input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadSummary {
    /// Rows passed to the callback.
    pub rows: u64,
    /// Invalid rows skipped.
    pub skipped: u64,
    /// Lines of the first few skipped rows.
    pub first_skipped: Vec<u64>,
    /// The error of the first skipped row.
    pub first_error: Option<String>,
    /// CSV records read with labels whose comment spans lines, one of which reads as a whole
    /// record of the file (its number of fields, a valid value in each label column): what a
    /// stray quote leaves when it finds a closing quote some lines on. Valid CSV, so read, but
    /// reported.
    pub merged: u64,
    /// `(line of the record, line in its comment that reads as a record)` of the first few.
    pub first_merged: Vec<(u64, u64)>,
}

const SKIPPED_LINES_KEPT: usize = 5;

impl ReadSummary {
    fn skip(&mut self, line: u64, error: Error) {
        self.skipped += 1;
        if self.first_skipped.len() < SKIPPED_LINES_KEPT {
            self.first_skipped.push(line);
        }
        self.first_error.get_or_insert_with(|| error.to_string());
    }

    /// "skipped 3 invalid rows (lines 4, 9, 12; first: ...)", or `None` when nothing was skipped.
    pub fn skipped_note(&self) -> Option<String> {
        if self.skipped == 0 {
            return None;
        }
        let lines: Vec<String> = self.first_skipped.iter().map(u64::to_string).collect();
        let more = if self.skipped as usize > self.first_skipped.len() {
            ", ..."
        } else {
            ""
        };
        Some(format!(
            "skipped {} invalid row{} (line{} {}{more}); first error: {}",
            self.skipped,
            if self.skipped == 1 { "" } else { "s" },
            if self.first_skipped.len() == 1 {
                ""
            } else {
                "s"
            },
            lines.join(", "),
            self.first_error.as_deref().unwrap_or("")
        ))
    }

    /// "line 2's comment holds line 3, which reads as a row of its own: ...", or `None`.
    pub fn merged_note(&self) -> Option<String> {
        const WHY: &str = "if a quote there is stray, those rows were read as one comment; \
                           check the quotes";
        match self.first_merged[..] {
            [] => None,
            [(record, inner)] if self.merged == 1 => Some(format!(
                "line {record}'s comment holds line {inner}, which reads as a row of its own: {WHY}"
            )),
            _ => {
                let places: Vec<String> = self
                    .first_merged
                    .iter()
                    .map(|(record, inner)| format!("line {record}'s holds line {inner}"))
                    .collect();
                let more = if self.merged as usize > self.first_merged.len() {
                    "; ..."
                } else {
                    ""
                };
                Some(format!(
                    "{} rows' comments hold lines that read as rows of their own ({}{more}): {WHY}",
                    self.merged,
                    places.join("; ")
                ))
            }
        }
    }

    fn merge_suspect(&mut self, record: u64, inner: u64) {
        self.merged += 1;
        if self.first_merged.len() < SKIPPED_LINES_KEPT {
            self.first_merged.push((record, inner));
        }
    }

    fn finish(self, file: &str) -> Result<ReadSummary> {
        match (self.rows, self.skipped) {
            (0, 0) => Err(Error::NoRows { file: file.into() }),
            (0, skipped) => Err(Error::AllRowsSkipped {
                file: file.into(),
                skipped,
            }),
            _ => Ok(self),
        }
    }
}

/// Reads a CSV with a header row.
pub fn read_csv<R: Read>(
    reader: R,
    file: &str,
    opts: &InputOptions,
    f: impl FnMut(&Record) -> Result<()>,
) -> Result<ReadSummary> {
    read_delimited(reader, file, opts, opts.delimiter.unwrap_or(b','), f)
}

fn read_delimited<R: Read>(
    reader: R,
    file: &str,
    opts: &InputOptions,
    delimiter: u8,
    mut f: impl FnMut(&Record) -> Result<()>,
) -> Result<ReadSummary> {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .delimiter(delimiter)
        .from_reader(QuoteTracker::new(reader, delimiter));
    let header = csv
        .byte_headers()
        .map_err(|e| csv_error(file, e, 1))?
        .clone();
    if header.is_empty() || (header.len() == 1 && header[0].is_empty()) {
        return Err(Error::EmptyInput { file: file.into() });
    }
    if header.len() > MAX_COLUMNS {
        return Err(Error::TooManyColumns {
            file: file.into(),
            found: header.len(),
            limit: MAX_COLUMNS,
        });
    }
    let names: Vec<String> = header
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_owned())
        .collect();
    let column = |name: &str| {
        let mut at = names.iter().enumerate().filter(|(_, n)| *n == name);
        match (at.next(), at.next()) {
            (Some((i, _)), None) => Ok(i),
            // Which of two columns the user meant cannot be guessed.
            (Some(_), Some(_)) => Err(Error::DuplicateColumn {
                file: file.into(),
                column: name.into(),
            }),
            (None, _) => Err(Error::MissingColumn {
                file: file.into(),
                column: name.into(),
                available: names.clone(),
            }),
        }
    };
    let text_col = column(&opts.text_column)?;
    let id_col = opts.id_column.as_deref().map(column).transpose()?;
    let label_cols = opts
        .labels
        .iter()
        .map(|l| match column(&l.column) {
            Err(Error::MissingColumn { .. }) if opts.partial_labels => Ok(None),
            Err(Error::MissingColumn { available, .. }) => Err(Error::MissingLabel {
                file: file.into(),
                line: None,
                label: l.name.clone(),
                column: l.column.clone(),
                available,
            }),
            found => found.map(Some),
        })
        .collect::<Result<Vec<_>>>()?;
    if !opts.labels.is_empty() && label_cols.iter().all(Option::is_none) {
        return Err(Error::NoLabels {
            file: file.into(),
            line: None,
            columns: opts.labels.iter().map(|l| l.column.clone()).collect(),
            available: names,
        });
    }

    let mut summary = ReadSummary::default();
    let mut record = Record::default();
    let mut row = csv::ByteRecord::new();
    loop {
        match csv.read_byte_record(&mut row) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| csv.get_mut().line_at(p.byte()));
                let err = csv_error(file, e, line);
                if opts.skip_invalid && line > 0 {
                    record.position += 1;
                    summary.skip(line, err);
                    continue;
                }
                return Err(err);
            }
        }
        record.position += 1;
        record.line = row
            .position()
            .map_or(0, |p| csv.get_mut().line_at(p.byte()));
        if let Some(at) = csv.get_mut().stray_quote(record.line) {
            let err = stray_quote_error(file, record.line, at);
            if opts.skip_invalid {
                summary.skip(record.line, err);
                continue;
            }
            return Err(err);
        }
        match fill_csv_record(
            &row,
            &mut record,
            file,
            opts,
            &names,
            text_col,
            id_col,
            &label_cols,
        ) {
            Ok(()) => {
                if let Some(inner) =
                    row_inside(&row[text_col], delimiter, &names, opts, &label_cols)
                {
                    summary.merge_suspect(record.line, record.line + inner);
                }
                f(&record)?;
                summary.rows += 1;
            }
            Err(e) if opts.skip_invalid => summary.skip(record.line, e),
            Err(e) => return Err(e),
        }
    }
    summary.finish(file)
}

/// The first line of a comment, after its first line and before its last, that reads as a
/// whole record of the file, counted from the comment's first line; only when labels are read,
/// as a stray quote in a labeled file trains the rows it swallowed into one comment. Such a line
/// has the header's number of fields (split at the delimiter, quotes aside) and a valid value
/// in every label column: a line of prose rarely does both.
fn row_inside(
    text: &[u8],
    delimiter: u8,
    names: &[String],
    opts: &InputOptions,
    label_cols: &[Option<usize>],
) -> Option<u64> {
    if opts.labels.is_empty() || memchr::memchr2(b'\n', b'\r', text).is_none() {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    // The comment's lines, ending at `\n`, `\r\n` or a lone `\r`, as the reader counts them.
    // The first is the record's own line; what follows the last line end runs into the closing
    // quote, so it is no whole record.
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(end) = rest.find(['\n', '\r']) {
        lines.push(&rest[..end]);
        let ending = if rest[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
        rest = &rest[end + ending..];
    }
    let reads_as_record = |line: &str| {
        let fields: Vec<&str> = line.split(char::from(delimiter)).collect();
        fields.len() == names.len()
            && opts
                .labels
                .iter()
                .zip(label_cols)
                .all(|(spec, col)| col.is_none_or(|c| spec.parse_value(fields[c]).is_some()))
    };
    lines
        .iter()
        .skip(1)
        .position(|line| reads_as_record(line))
        .map(|i| i as u64 + 1)
}

#[allow(clippy::too_many_arguments)]
fn fill_csv_record(
    row: &csv::ByteRecord,
    record: &mut Record,
    file: &str,
    opts: &InputOptions,
    names: &[String],
    text_col: usize,
    id_col: Option<usize>,
    label_cols: &[Option<usize>],
) -> Result<()> {
    if row.len() != names.len() {
        return Err(Error::FieldCount {
            file: file.into(),
            line: record.line,
            found: row.len(),
            expected: names.len(),
        });
    }
    let field = |col: usize| {
        std::str::from_utf8(&row[col]).map_err(|_| Error::InvalidUtf8 {
            file: file.into(),
            line: record.line,
            field: Some(names[col].clone()),
        })
    };
    if row[text_col].len() > MAX_COMMENT_BYTES {
        // The record's limit leaves room for its other fields; the comment itself is held to
        // the same limit as a line or a JSON Lines row.
        return Err(Error::RowTooLong {
            file: file.into(),
            line: record.line,
            limit: MAX_COMMENT_BYTES as u64,
        });
    }
    record.text.clear();
    record.text.push_str(field(text_col)?);
    record.id = id_col.map(field).transpose()?.map(str::to_owned);
    record.labels.clear();
    record.known.clear();
    for (spec, &col) in opts.labels.iter().zip(label_cols) {
        let Some(col) = col else {
            record.labels.push(false);
            record.known.push(false);
            continue;
        };
        let value = field(col)?;
        let parsed = spec.parse_value(value).ok_or_else(|| Error::InvalidLabel {
            file: file.into(),
            line: record.line,
            column: spec.column.clone(),
            value: value.to_owned(),
        })?;
        record.labels.push(parsed);
        record.known.push(true);
    }
    Ok(())
}

/// A record whose quoted field has text after its closing quote (on line `at`): the csv crate
/// would keep it, and when the quote was a stray that opened a field, the record has swallowed
/// the next line's.
fn stray_quote_error(file: &str, line: u64, at: u64) -> Error {
    let message = if at == line {
        "text follows the quote that closes a quoted field; a quote inside a quoted field is \
         written twice (\"\")"
            .to_owned()
    } else {
        format!(
            "a quoted field opens on this line and closes on line {at} with text after its \
             closing quote: is a quote stray or missing? (a quote inside a quoted field is \
             written twice, \"\")"
        )
    };
    Error::Parse {
        file: file.into(),
        line,
        message,
    }
}

/// `e` as an [`Error`] at physical `line`.
fn csv_error(file: &str, e: csv::Error, line: u64) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => {
            let inner = io.get_ref();
            if let Some(quote) = inner.and_then(|e| e.downcast_ref::<UnclosedQuote>()) {
                Error::Parse {
                    file: file.into(),
                    line: quote.line,
                    message: quote.to_string(),
                }
            } else if let Some(long) = inner.and_then(|e| e.downcast_ref::<RecordTooLong>()) {
                Error::RowTooLong {
                    file: file.into(),
                    line: long.line,
                    limit: MAX_COMMENT_BYTES as u64,
                }
            } else {
                Error::io(file, io)
            }
        }
        csv::ErrorKind::Utf8 { .. } => Error::InvalidUtf8 {
            file: file.into(),
            line,
            field: None,
        },
        kind => Error::Parse {
            file: file.into(),
            line,
            message: format!("{kind:?}"),
        },
    }
}

/// Reads one comment per line (no labels); the id is the line number.
pub fn read_lines<R: BufRead>(
    mut reader: R,
    file: &str,
    skip_invalid: bool,
    mut f: impl FnMut(&Record) -> Result<()>,
) -> Result<ReadSummary> {
    let mut summary = ReadSummary::default();
    let mut record = Record::default();
    // One comment per line; a lone `\r` ends a line, as it ends a CSV record.
    for_each_line(&mut reader, file, true, |line_no, line| {
        record.position = line_no;
        record.line = line_no;
        match std::str::from_utf8(line) {
            Ok(text) => {
                record.text.clear();
                record.text.push_str(text);
                f(&record)?;
                summary.rows += 1;
            }
            Err(_) => {
                let err = Error::InvalidUtf8 {
                    file: file.into(),
                    line: record.line,
                    field: None,
                };
                if !skip_invalid {
                    return Err(err);
                }
                summary.skip(record.line, err);
            }
        }
        Ok(())
    })?;
    if summary.rows == 0 && summary.skipped == 0 {
        return Err(Error::EmptyInput { file: file.into() });
    }
    summary.finish(file)
}

/// Reads JSON Lines: one object per line with the text field, and optionally id and label fields.
pub fn read_jsonl<R: BufRead>(
    mut reader: R,
    file: &str,
    opts: &InputOptions,
    mut f: impl FnMut(&Record) -> Result<()>,
) -> Result<ReadSummary> {
    let mut summary = ReadSummary::default();
    let mut record = Record::default();
    let mut any_line = false;
    // JSON allows `\r` between tokens, so only `\n` (or `\r\n`) ends a line here.
    for_each_line(&mut reader, file, false, |line_no, line| {
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        any_line = true;
        record.position += 1;
        record.line = line_no;
        // A byte-order mark, as editors on Windows write, is accepted as it is for CSV.
        let line = if line_no == 1 {
            line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
        } else {
            line
        };
        match fill_json_record(line, &mut record, file, opts) {
            Ok(()) => {
                f(&record)?;
                summary.rows += 1;
            }
            Err(e) if opts.skip_invalid => summary.skip(line_no, e),
            Err(e) => return Err(e),
        }
        Ok(())
    })?;
    if !any_line {
        return Err(Error::EmptyInput { file: file.into() });
    }
    summary.finish(file)
}

fn fill_json_record(
    line: &[u8],
    record: &mut Record,
    file: &str,
    opts: &InputOptions,
) -> Result<()> {
    let parse_err = |message: String| Error::Parse {
        file: file.into(),
        line: record.line,
        message,
    };
    let text = std::str::from_utf8(line).map_err(|_| Error::InvalidUtf8 {
        file: file.into(),
        line: record.line,
        field: None,
    })?;
    // Fields are kept as written: a numeric id comes back as its digits (`1.10`, `1e3`, 21
    // digits), not as what a float makes of them.
    let JsonFields(obj) = serde_json::from_str(text).map_err(|e| {
        parse_err(if e.is_data() {
            // The only data errors: not an object, or a field twice.
            e.to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned()
        } else {
            format!("invalid JSON: {e}")
        })
    })?;
    let get = |name: &str| {
        obj.get(name).copied().ok_or_else(|| {
            parse_err(format!(
                "no field {name:?}; the fields are: {}",
                obj.keys()
                    .map(|k| format!("{k:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    };
    // serde_json's position is within the field, not the line: dropped.
    let json_string = |raw: &str, name: &str| {
        serde_json::from_str::<String>(raw).map_err(|e| {
            let why = e.to_string();
            let why = why.split(" at line ").next().unwrap_or(&why).to_owned();
            parse_err(format!("field {name:?}: {why}"))
        })
    };
    let scalar = |v: &serde_json::value::RawValue, name: &str| {
        let raw = v.get();
        match raw.as_bytes()[0] {
            b'"' => json_string(raw, name),
            b'-' | b'0'..=b'9' | b't' | b'f' => Ok(raw.to_owned()),
            _ => Err(parse_err(format!(
                "field {name:?} is not a string or number"
            ))),
        }
    };
    let t = get(&opts.text_column)?;
    // A string that does not decode gets the reason (a lone UTF-16 surrogate escape such as
    // \udfff, most often), not "not a string".
    record.text = if t.get().starts_with('"') {
        json_string(t.get(), &opts.text_column)?
    } else {
        return Err(parse_err(format!(
            "field {:?} is not a string",
            opts.text_column
        )));
    };
    record.id = match &opts.id_column {
        Some(name) => Some(scalar(get(name)?, name)?),
        None => None,
    };
    record.labels.clear();
    record.known.clear();
    let fields = || obj.keys().cloned().collect::<Vec<_>>();
    for spec in &opts.labels {
        let Some(raw) = obj.get(&spec.column).copied() else {
            if !opts.partial_labels {
                return Err(Error::MissingLabel {
                    file: file.into(),
                    line: Some(record.line),
                    label: spec.name.clone(),
                    column: spec.column.clone(),
                    available: fields(),
                });
            }
            record.labels.push(false);
            record.known.push(false);
            continue;
        };
        let value = scalar(raw, &spec.column)?;
        let parsed = spec
            .parse_value(&value)
            .ok_or_else(|| Error::InvalidLabel {
                file: file.into(),
                line: record.line,
                column: spec.column.clone(),
                value,
            })?;
        record.labels.push(parsed);
        record.known.push(true);
    }
    if !opts.labels.is_empty() && !record.known.contains(&true) {
        return Err(Error::NoLabels {
            file: file.into(),
            line: Some(record.line),
            columns: opts.labels.iter().map(|l| l.column.clone()).collect(),
            available: fields(),
        });
    }
    Ok(())
}

/// A JSON object's fields, kept as written; a field named twice is an error (which one was
/// meant cannot be guessed, as for a CSV column named twice).
struct JsonFields<'a>(std::collections::BTreeMap<String, &'a serde_json::value::RawValue>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for JsonFields<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Fields<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Fields<'a> {
            type Value = JsonFields<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                mut map: M,
            ) -> std::result::Result<Self::Value, M::Error> {
                let mut fields = std::collections::BTreeMap::new();
                while let Some((name, value)) = map.next_entry::<String, &'de _>()? {
                    if fields.contains_key(&name) {
                        return Err(serde::de::Error::custom(format!(
                            "field {name:?} appears twice in the object"
                        )));
                    }
                    fields.insert(name, value);
                }
                Ok(JsonFields(fields))
            }
        }
        d.deserialize_map(Fields(std::marker::PhantomData))
    }
}

/// Calls `f(line number, line)` for each line of `reader`, without its `\n` or `\r\n` (or,
/// with `lone_cr`, a lone `\r` too), through one reused buffer.
fn for_each_line<R: BufRead>(
    reader: &mut R,
    file: &str,
    lone_cr: bool,
    mut f: impl FnMut(u64, &[u8]) -> Result<()>,
) -> Result<()> {
    // A line ending, and a UTF-8 byte-order mark on the first line.
    const ROOM: u64 = 5;
    let mut buf = Vec::new();
    let mut line_no = 0;
    loop {
        buf.clear();
        // Read no further than the longest line allowed: a file without line ends must not
        // be read whole into memory.
        let mut limited = (&mut *reader).take(MAX_COMMENT_BYTES as u64 + ROOM);
        let n = if lone_cr {
            read_line_any_end(&mut limited, &mut buf)
        } else {
            limited.read_until(b'\n', &mut buf)
        }
        .map_err(|e| Error::io(file, e))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        if n as u64 == MAX_COMMENT_BYTES as u64 + ROOM && !matches!(buf.last(), Some(b'\n' | b'\r'))
        {
            return Err(Error::RowTooLong {
                file: file.into(),
                line: line_no,
                limit: MAX_COMMENT_BYTES as u64,
            });
        }
        f(line_no, trim_newline(&buf))?;
    }
}

/// Appends to `buf` the bytes up to and including the next `\n`, `\r\n` or lone `\r` (the
/// line ends of plain text, as the CSV parser ends records); returns how many.
fn read_line_any_end<R: BufRead>(reader: &mut R, buf: &mut Vec<u8>) -> io::Result<usize> {
    let start = buf.len();
    loop {
        let available = fill(reader)?;
        let Some(i) = memchr::memchr2(b'\n', b'\r', available) else {
            if available.is_empty() {
                return Ok(buf.len() - start);
            }
            let n = available.len();
            buf.extend_from_slice(available);
            reader.consume(n);
            continue;
        };
        let end = available[i];
        buf.extend_from_slice(&available[..=i]);
        reader.consume(i + 1);
        // A `\n` right after a `\r`, even in the next read, belongs to this line end.
        if end == b'\r' && fill(reader)?.first() == Some(&b'\n') {
            buf.push(b'\n');
            reader.consume(1);
        }
        return Ok(buf.len() - start);
    }
}

/// `fill_buf`, tried again when a signal interrupts it (as `read_until` does).
fn fill<R: BufRead>(reader: &mut R) -> io::Result<&[u8]> {
    loop {
        match reader.fill_buf() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            _ => break,
        }
    }
    reader.fill_buf()
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(specs: &[&str]) -> InputOptions {
        InputOptions {
            labels: specs.iter().map(|s| s.parse().unwrap()).collect(),
            ..InputOptions::default()
        }
    }

    fn collect(csv: &str, opts: &InputOptions) -> Result<(Vec<Record>, ReadSummary)> {
        let mut rows = Vec::new();
        let s = read_csv(csv.as_bytes(), "t.csv", opts, |r| {
            rows.push(r.clone());
            Ok(())
        })?;
        Ok((rows, s))
    }

    /// Plain lines end at `\n`, `\r\n` or a lone `\r`, wherever the reader's buffer is cut
    /// (a `\r` last in one fill and its `\n` first in the next is one line end).
    #[test]
    fn plain_lines_end_at_any_line_end_across_buffer_cuts() {
        let input = "one\rtwo\r\nthree\n\nfour\r\rfive";
        let expected = ["one", "two", "three", "", "four", "", "five"];
        for capacity in 1..=input.len() + 1 {
            let reader = BufReader::with_capacity(capacity, input.as_bytes());
            let mut got = Vec::new();
            read_lines(reader, "t.txt", false, |r| {
                got.push((r.line, r.text.clone()));
                Ok(())
            })
            .unwrap();
            let want: Vec<(u64, String)> = expected
                .iter()
                .enumerate()
                .map(|(i, t)| (i as u64 + 1, (*t).to_owned()))
                .collect();
            assert_eq!(got, want, "capacity {capacity}");
        }
    }

    #[test]
    fn label_specs_parse() {
        let s: LabelSpec = "toxic=class:0,1".parse().unwrap();
        assert_eq!(s.column, "class");
        assert_eq!(s.positive, Some(vec!["0".into(), "1".into()]));
        let s: LabelSpec = "spam=CLASS".parse().unwrap();
        assert_eq!((s.name.as_str(), s.column.as_str()), ("spam", "CLASS"));
        assert!("=x".parse::<LabelSpec>().is_err());
        assert!("a=b:".parse::<LabelSpec>().is_err());
    }

    #[test]
    fn reads_boolean_and_categorical_labels() {
        let (rows, _) = collect(
            "text,spam,class\nhi,Yes,2\nbuy,1,0\n",
            &labels(&["spam", "toxic=class:0,1"]),
        )
        .unwrap();
        assert_eq!(rows[0].labels, [true, false]);
        assert_eq!(rows[1].labels, [true, true]);
        assert_eq!(rows[1].line, 3);
        // Audit M6: a space after the comma in the spec kept every 1 from matching.
        let (rows, _) = collect("text,class\na,1\nb,2\n", &labels(&["toxic=class:0, 1"])).unwrap();
        assert_eq!((rows[0].labels[0], rows[1].labels[0]), (true, false));
        // Audit M5: a missing value was read as a negative; it is invalid, naming its line.
        for missing in ["", "NaN", "null"] {
            let e = collect(
                &format!("text,class\na,1\nb,{missing}\n"),
                &labels(&["toxic=class:0,1"]),
            )
            .unwrap_err();
            assert!(e.to_string().contains("line 3"), "{missing:?}: {e}");
        }
    }

    #[test]
    fn partial_labels_mark_missing_columns_and_fields_unknown() {
        let mut opts = labels(&["spam", "toxic=toxicity"]);
        let e = collect("text,spam\nhi,1\n", &opts).unwrap_err();
        assert!(matches!(e, Error::MissingLabel { line: None, .. }), "{e}");
        opts.partial_labels = true;
        let (rows, _) = collect("text,spam\nhi,1\nyo,0\n", &opts).unwrap();
        assert_eq!(
            (rows[0].labels.clone(), rows[0].known.clone()),
            (vec![true, false], vec![true, false])
        );
        assert_eq!(rows[1].labels, [false, false]);
        let e = collect("text,rating\nhi,1\n", &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"t.csv: none of the label columns "spam", "toxicity" is there (the columns are: "text", "rating"); partial labels let an input lack some labels, not all"#
        );

        let mut known = Vec::new();
        let jsonl =
            "{\"text\":\"a\",\"toxicity\":1}\n{\"text\":\"b\",\"spam\":\"yes\",\"toxicity\":0}\n";
        read_jsonl(jsonl.as_bytes(), "c.jsonl", &opts, |r| {
            known.push((r.labels.clone(), r.known.clone()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            known,
            [
                (vec![false, true], vec![false, true]),
                (vec![true, false], vec![true, true])
            ]
        );
        let e = read_jsonl(
            "{\"text\":\"a\"}\n".as_bytes(),
            "c.jsonl",
            &opts,
            |_| Ok(()),
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("c.jsonl: line 1: none of the label fields"),
            "{e}"
        );
    }

    #[test]
    fn boolean_label_values_ignore_case_and_spaces() {
        let spec: LabelSpec = "spam".parse().unwrap();
        for (value, parsed) in [
            ("1", Some(true)),
            (" TRUE", Some(true)),
            ("yEs ", Some(true)),
            ("0", Some(false)),
            ("False", Some(false)),
            ("NO", Some(false)),
            ("y", None),
            ("", None),
            ("10", None),
        ] {
            assert_eq!(spec.parse_value(value), parsed, "{value:?}");
        }
    }

    #[test]
    fn invalid_label_names_line_column_and_value() {
        let e = collect("text,spam\nhi,0\nyo,maybe\n", &labels(&["spam"])).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"t.csv: line 3, column "spam": invalid label value "maybe" (expected 1/0, true/false or yes/no)"#
        );
    }

    #[test]
    fn skip_invalid_counts_and_reports_lines() {
        let mut opts = labels(&["spam"]);
        opts.skip_invalid = true;
        let (rows, s) = collect("text,spam\na,1\nb,2\nc,0,extra\nd,0\n", &opts).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((s.skipped, s.first_skipped.clone()), (2, vec![3, 4]));
        assert!(s
            .skipped_note()
            .unwrap()
            .starts_with("skipped 2 invalid rows (lines 3, 4)"));
        assert_eq!(rows[1].position, 4, "positions count skipped rows");
    }

    #[test]
    fn lines_are_physical_with_a_bom_crlf_and_blank_lines() {
        let e = collect(
            "\u{feff}text,spam\r\n\r\nok,0\r\n\n\"a\r\nb\",1\r\nbad,maybe\r\n",
            &labels(&["spam"]),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("t.csv: line 7, "), "{e}");
    }

    #[test]
    fn quoted_fields_with_newlines_keep_their_line() {
        let (rows, _) = collect("text,id\n\"a\nb\",1\nc,2\n", &InputOptions::default()).unwrap();
        assert_eq!(rows[0].text, "a\nb");
        assert_eq!(rows[1].line, 4);
    }

    #[test]
    fn lines_and_jsonl() {
        let mut texts = Vec::new();
        read_lines("one\r\ntwo\n".as_bytes(), "-", false, |r| {
            texts.push((r.display_id(), r.text.clone()));
            Ok(())
        })
        .unwrap();
        assert_eq!(
            texts,
            [("1".into(), "one".into()), ("2".into(), "two".into())]
        );

        let opts = InputOptions {
            id_column: Some("id".into()),
            ..InputOptions::default()
        };
        let mut ids = Vec::new();
        read_jsonl(
            "{\"id\":7,\"text\":\"hi\"}\n\n{\"id\":\"x\",\"text\":\"yo\"}\n".as_bytes(),
            "c.jsonl",
            &opts,
            |r| {
                ids.push(r.display_id());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(ids, ["7", "x"]);
        // Issue 12 (sibling of defect 11): a field named twice was read as its last value.
        let e = read_jsonl(
            "{\"text\":\"a\",\"id\":1,\"text\":\"b\"}\n".as_bytes(),
            "c.jsonl",
            &opts,
            |_| Ok(()),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"c.jsonl: line 1: field "text" appears twice in the object"#
        );
        let e = read_jsonl("[1]\n".as_bytes(), "c.jsonl", &opts, |_| Ok(())).unwrap_err();
        assert!(e.to_string().contains("expected a JSON object"), "{e}");
        let e = read_jsonl("{\"body\":1}\n".as_bytes(), "c.jsonl", &opts, |_| Ok(())).unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"c.jsonl: line 1: no field "text"; the fields are: "body""#
        );
    }
}
