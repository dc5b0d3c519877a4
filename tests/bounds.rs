//! Every size that comes from input has a bound and a clear error past it (issue 12). The
//! bounds tested elsewhere: comment length in tests/reliability.rs
//! (`a_row_longer_than_the_comment_limit_is_an_error_naming_its_line`), threads there too
//! (`threads_beyond_four_per_core_are_refused`), quoted-field lines there
//! (`a_quoted_field_across_thousands_of_lines_is_an_error`), batch bytes in src/data/batch.rs
//! and src/cli/score.rs unit tests.

mod util;

use util::{cg, fails_with, tempdir, write};

/// A header of stray delimiters (or a wrong --delimiter on some other file) is refused at
/// once rather than parsed into a million columns.
#[test]
fn columns_past_the_bound_are_refused() {
    let dir = tempdir();
    let limit = commentguard::MAX_COLUMNS;
    let header: Vec<String> = (0..=limit).map(|i| format!("c{i}")).collect();
    let data = write(
        dir.path(),
        "wide.csv",
        format!(
            "text,{}\nhello{}\n",
            header.join(","),
            ",x".repeat(limit + 1)
        ),
    );
    fails_with(
        cg().args(["score", "--input"]).arg(&data),
        &[&format!(
            "wide.csv: line 1: the header has {} columns; at most {limit}",
            limit + 2
        )],
    );
    let header: Vec<String> = (0..limit - 1).map(|i| format!("c{i}")).collect();
    let data = write(
        dir.path(),
        "ok.csv",
        format!(
            "text,{}\nhello{}\n",
            header.join(","),
            ",x".repeat(limit - 1)
        ),
    );
    cg().args(["score", "--input"])
        .arg(&data)
        .assert()
        .success();
}

/// `cv` keeps every row in memory, so it reads at most 2,000,000 and says so past that.
#[test]
fn cv_rows_past_the_bound_are_refused() {
    let dir = tempdir();
    let mut data = String::from("text,spam\n");
    for i in 0..=2_000_000u32 {
        data.push_str(if i % 2 == 0 { "a,0\n" } else { "b,1\n" });
    }
    let path = write(dir.path(), "many.csv", data);
    fails_with(
        cg().args(["cv", "--label", "spam", "--data"]).arg(&path),
        &["many.csv: line 2000002: cv holds every row in memory and reads at most 2000000"],
    );
}
