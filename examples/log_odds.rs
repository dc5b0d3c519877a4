//! Prints each comment's log-odds for every label of a model, one CSV row per comment, for
//! measurements that need the uncalibrated ranking (`score` prints calibrated probabilities
//! to four decimals, which tie at the extremes). `benches/accuracy/two_heads.py` averages two
//! models' log-odds with it.
//!
//! ```sh
//! target/release/examples/log_odds MODEL INPUT.csv [TEXT_COLUMN] > log_odds.csv
//! ```

use std::io::Write;

use commentguard::Classifier;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: log_odds MODEL INPUT.csv [TEXT_COLUMN]";
    let model = Classifier::load(args.next().ok_or(usage)?)?;
    let input = args.next().ok_or(usage)?;
    let column = args.next().unwrap_or_else(|| "text".to_owned());
    let mut rdr = csv::Reader::from_path(&input)?;
    let at = rdr
        .headers()?
        .iter()
        .position(|h| h == column)
        .ok_or_else(|| format!("{input} has no column {column:?}"))?;
    let mut out = csv::Writer::from_writer(std::io::stdout().lock());
    out.write_record(model.labels())?;
    let mut scorer = model.scorer();
    for record in rdr.records() {
        let record = record?;
        let z = scorer.log_odds(&record[at]);
        out.write_record(z.iter().map(|v| v.to_string()))?;
    }
    out.flush()?;
    std::io::stdout().flush()?;
    Ok(())
}
