//! Scores the same 1,000 corpus comments (rows 1,000 to 1,999 of `tests/fixtures/comments-v1.csv`,
//! the batch `benches/score.rs` uses) `REPS` times with the embedded default model on one
//! thread, and prints the rate. Given CSV files after `REPS`, it scores the comments of their
//! `text` or `CONTENT` column instead, e.g. the YouTube spam set:
//!
//! ```sh
//! target/release/examples/score_loop 300 ../shared/data/youtube-dev/Youtube0*.csv
//! ```
//!
//! Wall times on a shared machine drift by 20% within an hour (see README.md, "Performance"),
//! so compare two builds by running copies of this example alternately, a few times each:
//!
//! ```sh
//! cargo build --release --example score_loop && cp target/release/examples/score_loop /tmp/a
//! # ... change, build again, copy to /tmp/b, then:
//! for i in 1 2 3; do /tmp/a 2000; /tmp/b 2000; done
//! ```
//!
//! Its fixed work also suits `valgrind --tool=cachegrind` (runs of 10 and 20 repetitions differ
//! by the cost of 10,000 comments), which shows where instructions go, but not what a cache
//! miss costs: judge a change by the alternating wall times.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use commentguard::Classifier;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let reps: usize = match args.next() {
        Some(n) => n.parse()?,
        None => 1000,
    };
    let files: Vec<String> = args.collect();
    let mut texts = Vec::new();
    let batch = if files.is_empty() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv");
        for record in csv::Reader::from_path(path)?.records() {
            texts.push(record?[1].to_owned());
        }
        texts.get(1000..2000).ok_or("the corpus has 2,000 rows")?
    } else {
        for file in &files {
            let mut reader = csv::Reader::from_path(file)?;
            let column = reader
                .headers()?
                .iter()
                .position(|h| h.eq_ignore_ascii_case("text") || h.eq_ignore_ascii_case("content"))
                .ok_or_else(|| format!("{file}: no text or CONTENT column"))?;
            for record in reader.records() {
                texts.push(record?[column].to_owned());
            }
        }
        &texts[..]
    };
    let bytes: usize = batch.iter().map(String::len).sum();
    let model = Classifier::embedded()?;
    let mut scorer = model.scorer();
    let threshold = model.thresholds()[0];
    let start = Instant::now();
    let mut flagged = 0;
    for _ in 0..reps {
        for comment in batch {
            flagged += usize::from(scorer.score(black_box(comment))[0] >= threshold);
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{} comments in {seconds:.3} s: {:.0} comments/s ({flagged} flagged spam; {} comments of {:.1} bytes on average)",
        reps * batch.len(),
        (reps * batch.len()) as f64 / seconds,
        batch.len(),
        bytes as f64 / batch.len() as f64,
    );
    Ok(())
}
