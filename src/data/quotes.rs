//! Where CSV quotes open and close, followed byte by byte beside the csv crate's parser.
//!
//! The csv crate ends a quoted field that never closes at the end of the file without a word,
//! so one stray quote folds the rest of the file into one comment. [`QuoteTracker`] runs the
//! same state machine as `csv_core` (RFC 4180 quoting, doubled quotes, `\r`, `\n` or `\r\n`
//! ending a record) over the bytes it passes on, and fails the read when a quoted field reaches
//! the end of the input or runs over [`MAX_QUOTED_LINES`] lines: the error names the line where
//! the quote opened.
//!
//! It also gives each record its physical line, as an editor shows it: the csv crate's line
//! count skips blank lines and counts `\r\n` oddly. A line ends at `\n`, `\r\n` or a lone
//! `\r`, as records do: counting `\n` alone put every record of an old Mac file on line 1,
//! and let a stray quote there run past the line limit unseen.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read};

use super::MAX_COMMENT_BYTES;

/// The longest CSV record, in bytes: a comment of [`MAX_COMMENT_BYTES`] and room for its
/// other fields.
const MAX_RECORD_BYTES: u64 = MAX_COMMENT_BYTES as u64 + (1 << 20);

/// The most lines one quoted field may span. A comment of a thousand lines is far beyond any
/// seen in a comment section; a field that long is a quote that was never closed.
pub const MAX_QUOTED_LINES: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a record, or in the line ends and blank lines before it.
    StartRecord,
    /// At the start of a field.
    StartField,
    /// Inside an unquoted field: quotes are plain characters here.
    InField,
    /// Inside a quoted field.
    InQuoted,
    /// Just after a quote inside a quoted field: it closes the field unless another follows.
    QuoteInQuoted,
}

/// Why a CSV read stopped inside a quoted field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UnclosedQuote {
    /// 1-based line where the quote opened.
    pub line: u64,
    /// True when the input ended inside the field; false when it ran over the line limit.
    pub at_end: bool,
}

impl fmt::Display for UnclosedQuote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.at_end {
            f.write_str(
                "a quoted field opens on this line and never closes (the file ends inside it)",
            )
        } else {
            write!(
                f,
                "a quoted field opens on this line and runs over {MAX_QUOTED_LINES} lines; \
                 is its closing quote missing?"
            )
        }
    }
}

impl std::error::Error for UnclosedQuote {}

/// Why a CSV read stopped in a record too long to be a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordTooLong {
    /// 1-based line where the record starts.
    pub line: u64,
    /// The limit in bytes.
    pub limit: u64,
}

impl fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record longer than {} bytes", self.limit)
    }
}

impl std::error::Error for RecordTooLong {}

/// A reader that follows CSV quoting in the bytes read through it (see the module doc).
#[derive(Debug)]
pub(crate) struct QuoteTracker<R> {
    inner: R,
    delimiter: u8,
    state: State,
    /// The physical line of the next byte, 1-based.
    line: u64,
    /// Whether the last byte was `\r`, so that a `\n` after it ends no further line.
    after_cr: bool,
    /// The line where the open quoted field began.
    quote_line: u64,
    /// Bytes passed on so far.
    offset: u64,
    /// `(offset, line)` of the first byte of each record passed on and not yet behind one asked
    /// for in [`line_at`](Self::line_at): those of the parser's read-ahead buffer.
    starts: VecDeque<(u64, u64)>,
    /// `(record line, line)` of each closing quote followed by more text in its field
    /// (`"a "quoted" word"`), not yet asked for in [`stray_quote`](Self::stray_quote). The csv
    /// crate keeps such text, and where the quote was a stray that opened a field, the next
    /// line's record ended up inside this one.
    strays: VecDeque<(u64, u64)>,
    /// `(offset, line)` of the record being read.
    record_start: (u64, u64),
    /// The longest record allowed, in bytes.
    max_record: u64,
}

impl<R: Read> QuoteTracker<R> {
    pub(crate) fn new(inner: R, delimiter: u8) -> Self {
        QuoteTracker {
            inner,
            delimiter,
            state: State::StartRecord,
            line: 1,
            after_cr: false,
            quote_line: 0,
            offset: 0,
            starts: VecDeque::new(),
            strays: VecDeque::new(),
            record_start: (0, 1),
            max_record: MAX_RECORD_BYTES,
        }
    }

    /// The 1-based line of the record the parser says starts at byte `offset`, for offsets asked
    /// for in ascending order. (The parser's offset may point at the line end before the record,
    /// or at blank lines it skipped: the record starts at the first byte after them.)
    pub(crate) fn line_at(&mut self, offset: u64) -> u64 {
        while let Some(&(start, line)) = self.starts.front() {
            if start >= offset {
                return line;
            }
            self.starts.pop_front();
        }
        self.line
    }

    /// The line of a closing quote followed by text in the record that starts on `line`, if it
    /// has one; for records asked for in ascending order.
    pub(crate) fn stray_quote(&mut self, line: u64) -> Option<u64> {
        while let Some(&(record, at)) = self.strays.front() {
            if record >= line {
                return (record == line).then_some(at);
            }
            self.strays.pop_front();
        }
        None
    }

    fn unclosed(&self, at_end: bool) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            UnclosedQuote {
                line: self.quote_line,
                at_end,
            },
        )
    }

    fn too_long(&self) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            RecordTooLong {
                line: self.record_start.1,
                limit: self.max_record,
            },
        )
    }

    fn step(&mut self, b: u8) -> io::Result<()> {
        let line_end = b == b'\n' || b == b'\r';
        if self.state == State::StartRecord && !line_end {
            self.starts.push_back((self.offset, self.line));
            self.record_start = (self.offset, self.line);
        } else if self.offset - self.record_start.0 >= self.max_record {
            return Err(self.too_long());
        }
        self.state = match self.state {
            State::StartRecord | State::StartField if b == b'"' => {
                self.quote_line = self.line;
                State::InQuoted
            }
            State::StartRecord | State::StartField | State::InField | State::QuoteInQuoted
                if line_end =>
            {
                State::StartRecord
            }
            State::StartRecord | State::StartField | State::InField | State::QuoteInQuoted
                if b == self.delimiter =>
            {
                State::StartField
            }
            State::StartRecord | State::StartField | State::InField => State::InField,
            State::InQuoted if b == b'"' => State::QuoteInQuoted,
            State::InQuoted => State::InQuoted,
            State::QuoteInQuoted if b == b'"' => State::InQuoted,
            State::QuoteInQuoted => {
                if self.strays.back().map(|s| s.0) != Some(self.record_start.1) {
                    self.strays.push_back((self.record_start.1, self.line));
                }
                State::InField
            }
        };
        if b == b'\r' || (b == b'\n' && !self.after_cr) {
            self.line += 1;
            if self.state == State::InQuoted && self.line - self.quote_line > MAX_QUOTED_LINES {
                return Err(self.unclosed(false));
            }
        }
        self.after_cr = b == b'\r';
        self.offset += 1;
        Ok(())
    }
}

impl<R: Read> Read for QuoteTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.state == State::InQuoted {
            return Err(self.unclosed(true));
        }
        let mut i = 0;
        while i < n {
            // Inside a field most bytes change nothing but the offset: skip to the next that
            // may (a byte-by-byte state machine took an eighth of `score --input`'s time).
            let rest = &buf[i..n];
            let plain = match self.state {
                State::InField => memchr::memchr3(self.delimiter, b'\n', b'\r', rest),
                State::InQuoted => memchr::memchr3(b'"', b'\n', b'\r', rest),
                _ => Some(0),
            }
            .unwrap_or(rest.len());
            if plain > 0 {
                // The last of them is the one furthest into the record.
                let last = self.offset + plain as u64 - 1;
                if last - self.record_start.0 >= self.max_record {
                    return Err(self.too_long());
                }
                self.offset += plain as u64;
                self.after_cr = false;
                i += plain;
                continue;
            }
            self.step(buf[i])?;
            i += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the tracker ends with after reading `input` `chunk` bytes at a time: its error,
    /// else its state, line, offset and the record starts it holds.
    fn outcome(input: &[u8], chunk: usize, max_record: u64, bulk: bool) -> String {
        let mut t = QuoteTracker::new(input, b',');
        t.max_record = max_record;
        let mut buf = vec![0; chunk];
        loop {
            let read = if bulk {
                t.read(&mut buf)
            } else {
                // The reference: every byte through the state machine.
                let n = t.inner.read(&mut buf).unwrap();
                if n == 0 && t.state == State::InQuoted {
                    Err(t.unclosed(true))
                } else {
                    buf[..n].iter().try_for_each(|&b| t.step(b)).map(|()| n)
                }
            };
            match read {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return format!("error {e}"),
            }
        }
        format!("{:?} {} {} {:?}", t.state, t.line, t.offset, t.starts)
    }

    proptest::proptest! {
        /// Skipping the plain bytes inside fields changes nothing the byte-by-byte machine gives.
        #[test]
        fn skipping_plain_bytes_gives_what_every_byte_gives(
            parts in proptest::collection::vec(
                proptest::prop_oneof!["[a-z ]{0,12}", "\"", ",", "\n", "\r", "\r\n", "\"\""],
                0..60,
            ),
            chunk in 1usize..40,
            max_record in 5u64..80,
        ) {
            let input = parts.concat();
            proptest::prop_assert_eq!(
                outcome(input.as_bytes(), chunk, max_record, true),
                outcome(input.as_bytes(), chunk, max_record, false)
            );
        }
    }

    fn read_all(input: &str) -> Result<Vec<u8>, UnclosedQuote> {
        let mut out = Vec::new();
        QuoteTracker::new(input.as_bytes(), b',')
            .read_to_end(&mut out)
            .map(|_| out)
            .map_err(|e| {
                *e.get_ref()
                    .unwrap()
                    .downcast_ref::<UnclosedQuote>()
                    .unwrap()
            })
    }

    #[test]
    fn closed_quotes_doubled_quotes_and_bare_quotes_pass() {
        for ok in [
            "a,b\n\"x, \"\"y\"\"\nz\",1\n",
            "a,b\n5 \"inch,1\n",
            "a,b\n\"x\"tail,1\r\n\"\",\"\"\n",
        ] {
            assert_eq!(read_all(ok).unwrap(), ok.as_bytes());
        }
    }

    #[test]
    fn a_record_over_the_limit_names_its_line() {
        let mut t = QuoteTracker::new("a\nok\n\nlong line\nx\n".as_bytes(), b',');
        t.max_record = 5;
        let e = t.read_to_end(&mut Vec::new()).unwrap_err();
        let e = e
            .get_ref()
            .unwrap()
            .downcast_ref::<RecordTooLong>()
            .unwrap();
        assert_eq!(e.line, 4);
    }

    #[test]
    fn a_quote_open_at_the_end_names_its_line() {
        let e = read_all("a,b\n1,ok\n2,\"open\n3,x\n").unwrap_err();
        assert_eq!(
            e,
            UnclosedQuote {
                line: 3,
                at_end: true
            }
        );
    }

    /// Lines end at `\n`, `\r\n` or a lone `\r`, as records do.
    #[test]
    fn a_lone_carriage_return_ends_a_line() {
        for (input, lines) in [
            ("a\r1\r2\r", 4),
            ("a\r\n1\r\n2\r\n", 4),
            ("a\n1\n2\n", 4),
            ("a\r\r\n1\n\r2", 5),
            ("a\r\"x\ry\"\r2\r", 5),
        ] {
            let mut t = QuoteTracker::new(input.as_bytes(), b',');
            t.read_to_end(&mut Vec::new()).unwrap();
            assert_eq!(t.line, lines, "{input:?}");
        }
        let e = read_all("a,b\r1,ok\r2,\"open\r3,x\r").unwrap_err();
        assert_eq!(e.line, 3);
        let s = format!("a\r\"{}\"\r", "x\r".repeat(MAX_QUOTED_LINES as usize + 1));
        assert_eq!(
            read_all(&s).unwrap_err(),
            UnclosedQuote {
                line: 2,
                at_end: false
            }
        );
    }

    #[test]
    fn a_quoted_field_over_the_line_limit_names_its_line() {
        let s = format!("a\n\"{}\"\n", "x\n".repeat(MAX_QUOTED_LINES as usize + 1));
        let e = read_all(&s).unwrap_err();
        assert_eq!(
            e,
            UnclosedQuote {
                line: 2,
                at_end: false
            }
        );
        let s = format!("a\n\"{}\"\n", "x\n".repeat(MAX_QUOTED_LINES as usize - 1));
        assert!(read_all(&s).is_ok());
    }
}
