//! The JSONL reader (and the plain-lines reader, which splits lines the same way, and at a lone
//! `\r` too) on arbitrary bytes.
//!
//! Byte 0 picks the reader's options (skip invalid rows, an id field, a plain and a
//! categorical label, lines instead of JSONL); the rest is the file. Beyond never panicking or
//! hanging, nothing may be dropped silently: on success every non-blank line is either a row
//! or a counted skipped row, and a row's line is its physical line.
#![no_main]

use commentguard::{read_jsonl, read_lines};
use libfuzzer_sys::fuzz_target;
use shared::options;

mod shared;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let opts = options(flags);
    let lines_mode = flags & 16 != 0;
    // Where each physical line starts (1-based line i starts at starts[i - 1]): after a `\n`,
    // and for plain lines after a `\r` that no `\n` follows.
    let ends_line = |i: usize, b: u8| {
        b == b'\n' || (lines_mode && b == b'\r' && input.get(i + 1) != Some(&b'\n'))
    };
    let starts: Vec<usize> = std::iter::once(0)
        .chain(
            input
                .iter()
                .enumerate()
                .filter(|&(i, &b)| ends_line(i, b) && i + 1 < input.len())
                .map(|(i, _)| i + 1),
        )
        .collect();
    let line_of = |no: u64| -> &[u8] {
        let i = (no - 1) as usize;
        let end = starts.get(i + 1).copied().unwrap_or(input.len());
        &input[starts[i]..end]
    };
    let mut last_line = 0;
    let mut on_record = |record: &commentguard::Record| {
        assert!(record.line > last_line, "lines must increase");
        assert!(
            record.line as usize <= starts.len(),
            "line {} of {}",
            record.line,
            starts.len()
        );
        last_line = record.line;
        Ok(())
    };
    let result = if lines_mode {
        read_lines(input, "fuzz.txt", opts.skip_invalid, |r| {
            assert_eq!(r.position, r.line);
            // The text is the line without its end: nothing added, nothing lost.
            let raw = line_of(r.line);
            let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            assert_eq!(r.text.as_bytes(), raw);
            on_record(r)
        })
    } else {
        read_jsonl(input, "fuzz.jsonl", &opts, |r| {
            assert_eq!(r.labels.len(), opts.labels.len());
            assert_eq!(r.id.is_some(), opts.id_column.is_some());
            assert!(!line_of(r.line).iter().all(u8::is_ascii_whitespace));
            on_record(r)
        })
    };
    match result {
        Ok(summary) => {
            let non_blank = if lines_mode {
                starts.len() as u64
            } else {
                (1..=starts.len() as u64)
                    .filter(|&no| !line_of(no).iter().all(u8::is_ascii_whitespace))
                    .count() as u64
            };
            assert_eq!(
                summary.rows + summary.skipped,
                non_blank,
                "every non-blank line is a row or a counted skip"
            );
            let _ = summary.skipped_note();
        }
        Err(e) => drop(e.to_string()),
    }
});
