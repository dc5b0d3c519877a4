//! Scores the same 1,000 corpus comments (rows 1,000 to 1,999 of `training-data/comments.csv`,
//! the batch `benches/score.rs` uses) `REPS` times with the embedded default model on one
//! thread, and prints the rate.
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
    let reps: usize = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 1000,
    };
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("training-data/comments.csv");
    let mut texts = Vec::new();
    for record in csv::Reader::from_path(path)?.records() {
        texts.push(record?[1].to_owned());
    }
    let batch = texts.get(1000..2000).ok_or("the corpus has 2,000 rows")?;
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
        "{} comments in {seconds:.3} s: {:.0} comments/s ({flagged} flagged spam)",
        reps * batch.len(),
        (reps * batch.len()) as f64 / seconds
    );
    Ok(())
}
