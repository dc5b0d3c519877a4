//! Writes a large labeled CSV for performance measurements: `N` rows drawn (deterministically)
//! from `tests/fixtures/comments-v1.csv`, with fresh ids, to standard output.
//!
//! ```sh
//! cargo run --release --example big_corpus -- 1000000 > /tmp/corpus-1m.csv
//! ```
//!
//! The comments repeat the corpus's 3,000-odd texts, so the vocabulary stops growing early: this
//! measures throughput and memory per row, not vocabulary growth (see README.md, "Performance").

use std::io::{self, BufWriter, Write};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args()
        .nth(1)
        .ok_or("usage: big_corpus ROWS")?
        .parse()?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/comments-v1.csv");
    let mut rdr = csv::Reader::from_path(path)?;
    let rows: Vec<csv::StringRecord> = rdr.records().collect::<Result<_, _>>()?;
    let stdout = io::stdout();
    let mut w = csv::Writer::from_writer(BufWriter::new(stdout.lock()));
    w.write_record(["id", "text", "spam", "toxic"])?;
    let mut state = 0x5EED_u64;
    for i in 0..n {
        // SplitMix64, so every run writes the same file.
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        let r = &rows[((z ^ (z >> 31)) % rows.len() as u64) as usize];
        w.write_record([format!("r{i}").as_str(), &r[1], &r[2], &r[3]])?;
    }
    w.into_inner()?.flush()?;
    Ok(())
}
