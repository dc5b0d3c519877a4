//! The linfa-bayes peer of `benches/peers/run.sh`: trains linfa-bayes' `MultinomialNb` on the
//! features commentguard extracts from a labeled CSV, then scores the same file, and prints one
//! JSON line with the time (wall and CPU) and peak resident memory of each phase.
//!
//! ```sh
//! cargo run --release --example linfa_peer -- corpus.csv text toxic
//! ```
//!
//! linfa-bayes takes dense matrices, so rows are fed in chunks of at most `CHUNK_BYTES` through
//! `fit_with` (its incremental fit) rather than as one matrix of rows × vocabulary. The
//! vocabulary comes from a one-pass commentguard training over the same file (multinomial NB,
//! no tuning), which is counted in linfa's training time: it is how this peer gets its features.

use std::error::Error;
use std::fs;
use std::time::Instant;

use commentguard::{CalibrationKind, Classifier, NbParams, Scratch, ThresholdRule, TrainParams};
use linfa::traits::FitWith;
use linfa::ParamGuard;
use linfa_bayes::NaiveBayes;
use ndarray::{Array1, Array2};

/// The largest dense chunk handed to linfa-bayes at once.
const CHUNK_BYTES: usize = 256 << 20;

/// The process's peak resident set so far, in KiB (`VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; Linux counts
    // them in USER_HZ, which is 100 on every architecture it exports to user space.
    (ticks(11) + ticks(12)) / 100.0
}

/// Restarts the peak resident set count, so the next phase is measured on its own (Linux: writing
/// 5 to `clear_refs` resets `VmHWM` to the current resident set).
fn reset_peak_rss() {
    let _ = fs::write("/proc/self/clear_refs", "5");
}

/// Reads (text, label) pairs from a CSV, streaming, calling `each` per row.
fn for_each_row(
    path: &str,
    text_col: &str,
    label_col: &str,
    mut each: impl FnMut(&str, bool),
) -> Result<(), Box<dyn Error>> {
    let mut rdr = csv::Reader::from_path(path)?;
    let headers = rdr.headers()?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| format!("{path}: no column {name:?}"))
    };
    let (t, l) = (find(text_col)?, find(label_col)?);
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record)? {
        each(&record[t], &record[l] == "1");
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path, text_col, label_col] = args.as_slice() else {
        return Err("usage: linfa_peer CSV TEXT_COLUMN LABEL_COLUMN".into());
    };

    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut vocab_trainer = TrainParams::new([label_col.as_str()])
        .linear(None)
        .nb(NbParams::multinomial())
        .default_threshold(ThresholdRule::Fixed(0.5))
        .calibration(CalibrationKind::None)
        .check()?
        .trainer();
    let mut err = None;
    for_each_row(path, text_col, label_col, |text, label| {
        if let Err(e) = vocab_trainer.add(text, &[label]) {
            err.get_or_insert(e);
        }
    })?;
    if let Some(e) = err {
        return Err(e.into());
    }
    let reference: Classifier = vocab_trainer.finish()?;
    let vocabulary = reference.vocabulary().len();
    let chunk_rows = (CHUNK_BYTES / (vocabulary.max(1) * 8)).max(1);

    let params = linfa_bayes::MultinomialNb::params().check()?;
    // linfa-bayes 0.8.1 leaves a dbg! in fit_with that prints both class histograms on every
    // call; it is part of its cost, but its output is not wanted.
    let quiet = gag::Gag::stderr().ok();
    let mut scratch = Scratch::default();
    let mut row = Vec::new();
    let mut model = None;
    let mut texts: Vec<String> = Vec::with_capacity(chunk_rows);
    let mut labels: Vec<usize> = Vec::with_capacity(chunk_rows);
    let mut rows = 0usize;
    let mut fit_chunk = |texts: &mut Vec<String>,
                         labels: &mut Vec<usize>,
                         model: &mut Option<linfa_bayes::MultinomialNb<f64, usize>>|
     -> Result<(), Box<dyn Error>> {
        let mut x = Array2::<f64>::zeros((texts.len(), vocabulary));
        for (i, text) in texts.iter().enumerate() {
            reference.features(text, &mut scratch, &mut row);
            for &(f, c) in &row {
                x[(i, f as usize)] += c;
            }
        }
        let y = Array1::from_vec(std::mem::take(labels));
        *model = Some(params.fit_with(model.take(), &linfa::Dataset::new(x, y))?);
        texts.clear();
        Ok(())
    };
    let mut chunk_err = None;
    for_each_row(path, text_col, label_col, |text, label| {
        rows += 1;
        texts.push(text.to_owned());
        labels.push(usize::from(label));
        if texts.len() == chunk_rows && chunk_err.is_none() {
            chunk_err = fit_chunk(&mut texts, &mut labels, &mut model).err();
        }
    })?;
    if let Some(e) = chunk_err {
        return Err(e);
    }
    if !texts.is_empty() {
        fit_chunk(&mut texts, &mut labels, &mut model)?;
    }
    drop(quiet);
    let model = model.ok_or("no rows")?;
    let train_s = start.elapsed().as_secs_f64();
    let train_cpu = cpu_seconds() - cpu_start;
    let train_rss = peak_rss_kib();

    reset_peak_rss();
    let start = Instant::now();
    let cpu_start = cpu_seconds();
    let mut positive = 0usize;
    let mut non_finite = 0usize;
    let mut score_chunk = |texts: &mut Vec<String>| {
        let mut x = Array2::<f64>::zeros((texts.len(), vocabulary));
        for (i, text) in texts.iter().enumerate() {
            reference.features(text, &mut scratch, &mut row);
            for &(f, c) in &row {
                x[(i, f as usize)] += c;
            }
        }
        let (proba, classes) = model.predict_proba(x.view());
        let col = classes.iter().position(|&&c| c == 1).unwrap_or(0);
        for p in proba.column(col) {
            if !p.is_finite() {
                non_finite += 1;
            } else if *p >= 0.5 {
                positive += 1;
            }
        }
        texts.clear();
    };
    for_each_row(path, text_col, label_col, |text, _| {
        texts.push(text.to_owned());
        if texts.len() == chunk_rows {
            score_chunk(&mut texts);
        }
    })?;
    if !texts.is_empty() {
        score_chunk(&mut texts);
    }
    let score_s = start.elapsed().as_secs_f64();
    let score_cpu = cpu_seconds() - cpu_start;
    println!(
        "{{\"rows\":{rows},\"vocabulary\":{vocabulary},\"chunk_rows\":{chunk_rows},\
         \"train_s\":{train_s:.4},\"train_cpu_s\":{train_cpu:.2},\"train_rss_kib\":{train_rss},\
         \"score_s\":{score_s:.4},\"score_cpu_s\":{score_cpu:.2},\"score_rss_kib\":{},\
         \"positive\":{positive},\"non_finite\":{non_finite}}}",
        peak_rss_kib()
    );
    Ok(())
}
