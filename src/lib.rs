//! commentguard flags spam and toxic comments in the comment sections of news sites, blogs and
//! forums.
//!
//! A [`Classifier`] holds a trained model: the feature extractor's options ([`AnalyzerOptions`]),
//! a vocabulary, and one sparse multinomial naive Bayes head per label ([`NaiveBayes`]). It
//! scores a comment into a probability per label ([`Scores`]) and explains how
//! ([`Explanation`]). Models are trained row by row with a [`Trainer`] (from [`TrainParams`])
//! and stored in versioned, checksummed files; one trained from the project's own corpus is
//! embedded in the crate.
//!
//! ```
//! use commentguard::Classifier;
//!
//! let model = Classifier::embedded()?;
//! let scores = model.score("Make $500 a day from home!! Free gift cards, click bit.ly/cash-now");
//! assert!(scores.is_flagged("spam"));
//! assert!(scores.get("spam").unwrap() > 0.9);
//!
//! let scores = model.score("The council should fix the potholes on Main Street before winter.");
//! assert_eq!(scores.flagged().count(), 0);
//! Ok::<(), commentguard::Error>(())
//! ```
//!
//! A [`Classifier`] is `Send + Sync`; share it across threads and give each thread a
//! [`Scorer`], which reuses its buffers.
#![deny(missing_docs)]

mod calibrate;
mod cv;
mod data;
mod error;
mod format;
mod fsafe;
mod learn;
mod lookup;
mod metrics;
mod model;
mod nb;
mod nblr;
mod plot;
mod prior;
pub mod serve;
mod text;
mod train;

pub use calibrate::{Calibration, CalibrationKind};
pub use cv::{cross_validate, CvLabel, CvOptions, CvReport, CvRow, Stat, MAX_GROUP_FOLDS};
pub use data::{
    read_batched, read_csv, read_format, read_jsonl, read_lines, read_path, read_path_with_source,
    InputFormat, InputOptions, LabelSpec, ReadSummary, Record, RowBatch, BATCHES_AHEAD,
    BATCH_BYTES, MAX_COLUMNS, MAX_COMMENT_BYTES,
};
pub use error::{Error, ModelError, OutputProblem, Result};
pub use format::{HashingReader, LabelTuning, Source, TrainingSummary, Vocabulary, FORMAT_VERSION};
pub use fsafe::{check_distinct_inputs, check_output, write_output};
pub use learn::{Direction, Feedback, FilledVerdicts};
pub use metrics::{
    best_f1_threshold, binary_metrics, reliability, threshold_for_precision, threshold_point,
    AtPrecision, BinaryMetrics, Evaluation, LabelReport, ReliabilityBin, Report, ThresholdPoint,
};
pub use model::{
    Classifier, Contribution, Explanation, LabelExplanation, Scorer, ScorerBuffers, Scores,
    DEFAULT_MODEL,
};
pub use nb::{
    Counts, NaiveBayes, NbKind, NbParams, NbValidParams, SparseDataset, SparseRows, TermWeight,
};
pub use nblr::LinearParams;
pub use plot::{plot, Figure, PlotFormat, PLOT_ROW_HEIGHT, PLOT_WIDTH};
pub use prior::adapt_prior;
pub use text::{Analyzer, AnalyzerOptions, Scratch, Tokens};
pub use train::{ThresholdRule, TrainParams, Trainer, ValidTrainParams};

/// linfa's traits, re-exported so users of [`NbParams`] can call `check` and `fit`.
pub use linfa::{traits::Fit, DatasetBase, ParamGuard};
