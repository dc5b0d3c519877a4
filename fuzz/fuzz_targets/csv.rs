//! The CSV reader on arbitrary bytes.
//!
//! Byte 0 picks the reader's options (skip invalid rows, an id column, a plain and a
//! categorical label); the rest is the file. The reader must return rows or an error, never
//! panic or hang, and every row it gives must be consistent with the options and the input.
#![no_main]

use commentguard::read_csv;
use libfuzzer_sys::fuzz_target;
use shared::options;

mod shared;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let opts = options(flags);
    // A row's line can be at most the number of physical lines (the last one may lack its line
    // end). A line ends at `\n`, `\r\n` or a lone `\r`, as a record does.
    let lone_crs = input
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\r' && input.get(i + 1) != Some(&b'\n'))
        .count();
    let lines = (input.iter().filter(|&&b| b == b'\n').count() + lone_crs) as u64 + 1;
    let mut last_position = 0;
    let mut last_line = 0;
    let result = read_csv(input, "fuzz.csv", &opts, |record| {
        assert!(record.position > last_position, "positions must increase");
        assert!(
            record.line >= 1 && record.line <= lines,
            "line {} of {lines}",
            record.line
        );
        assert!(record.line >= last_line, "lines must not go back");
        assert_eq!(record.labels.len(), opts.labels.len());
        assert_eq!(record.id.is_some(), opts.id_column.is_some());
        last_position = record.position;
        last_line = record.line;
        Ok(())
    });
    match result {
        Ok(summary) => {
            assert!(summary.rows >= 1, "Ok with no rows");
            assert!(summary.merged <= summary.rows, "more merged rows than rows");
            for &(record, inner) in &summary.first_merged {
                assert!(inner > record && inner <= lines, "line {inner} inside {record}");
            }
            let _ = summary.skipped_note();
            let _ = summary.merged_note();
        }
        // The message is what a user sees: building it must not panic either.
        Err(e) => drop(e.to_string()),
    }
});
