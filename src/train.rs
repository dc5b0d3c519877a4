//! Training: [`TrainParams`] → [`ParamGuard::check`] → [`ValidTrainParams::trainer`] →
//! [`Trainer::add`] row by row → [`Trainer::finish`] → [`Classifier`].
//!
//! Rows stream through: only the vocabulary and the counts are kept, never the rows.

use std::collections::HashMap;

use linfa::ParamGuard;
use nohash_hasher::BuildNoHashHasher;

use crate::error::{Error, Result};
use crate::format::{ModelData, Source, TrainingSummary};
use crate::model::Classifier;
use crate::nb::{NbCounts, NbParams, NbValidParams};
use crate::text::{Analyzer, AnalyzerOptions, Scratch};

/// Everything that decides what a training run produces.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `labels` | (required) | label names, one binary head each | 1 or more, distinct, non-empty |
/// | `analyzer` | [`AnalyzerOptions::default`] | the feature extractor | see there |
/// | `alpha` | 1.0 | Lidstone smoothing | (0, ∞) |
/// | `threshold` | 0.5 | probability at which a label is flagged | [0, 1] |
#[derive(Debug, Clone, PartialEq)]
pub struct TrainParams(ValidTrainParams);

/// Checked [`TrainParams`].
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTrainParams {
    labels: Vec<String>,
    analyzer: AnalyzerOptions,
    nb: NbParams,
    thresholds: Vec<(String, f64)>,
}

impl TrainParams {
    /// Parameters for a model with these labels and default options.
    pub fn new<S: Into<String>>(labels: impl IntoIterator<Item = S>) -> Self {
        TrainParams(ValidTrainParams {
            labels: labels.into_iter().map(Into::into).collect(),
            analyzer: AnalyzerOptions::default(),
            nb: NbParams::new(),
            thresholds: Vec::new(),
        })
    }

    /// Sets the feature extractor's options.
    pub fn analyzer(mut self, options: AnalyzerOptions) -> Self {
        self.0.analyzer = options;
        self
    }

    /// Sets the smoothing parameter.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.0.nb = self.0.nb.alpha(alpha);
        self
    }

    /// Sets `label`'s threshold (0.5 otherwise).
    pub fn threshold(mut self, label: impl Into<String>, threshold: f64) -> Self {
        self.0.thresholds.push((label.into(), threshold));
        self
    }
}

impl ParamGuard for TrainParams {
    type Checked = ValidTrainParams;
    type Error = Error;

    fn check_ref(&self) -> Result<&ValidTrainParams> {
        let p = &self.0;
        if p.labels.is_empty() {
            return Err(Error::InvalidParam {
                name: "labels",
                value: "none".into(),
                reason: "at least one label is needed",
            });
        }
        for (i, l) in p.labels.iter().enumerate() {
            if l.is_empty() || p.labels[..i].contains(l) {
                return Err(Error::InvalidParam {
                    name: "label",
                    value: format!("{l:?}"),
                    reason: "labels must be non-empty and distinct",
                });
            }
        }
        for (label, t) in &p.thresholds {
            if !p.labels.contains(label) {
                return Err(Error::UnknownLabel {
                    label: label.clone(),
                    available: p.labels.clone(),
                });
            }
            if !(0.0..=1.0).contains(t) {
                return Err(Error::InvalidParam {
                    name: "threshold",
                    value: t.to_string(),
                    reason: "must be between 0 and 1",
                });
            }
        }
        p.analyzer.check()?;
        p.nb.check_ref()?;
        Ok(p)
    }

    fn check(self) -> Result<ValidTrainParams> {
        self.check_ref()?;
        Ok(self.0)
    }
}

impl ValidTrainParams {
    /// The label names.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// A trainer that takes rows one at a time.
    pub fn trainer(&self) -> Trainer {
        let nb = self
            .nb
            .clone()
            .check()
            .expect("checked by TrainParams::check");
        Trainer {
            analyzer: Analyzer::new(self.analyzer.clone()).expect("checked by TrainParams::check"),
            params: self.clone(),
            nb,
            index: HashMap::default(),
            vocabulary: Vec::new(),
            counts: NbCounts::new(self.labels.len()),
            scratch: Scratch::default(),
            row: Vec::new(),
            summary: TrainingSummary {
                rows: 0,
                positives: vec![0; self.labels.len()],
                sources: Vec::new(),
            },
        }
    }
}

/// Learns a [`Classifier`] from rows streamed into it.
#[derive(Debug)]
pub struct Trainer {
    params: ValidTrainParams,
    analyzer: Analyzer,
    nb: NbValidParams,
    index: HashMap<u64, u32, BuildNoHashHasher<u64>>,
    vocabulary: Vec<String>,
    counts: NbCounts,
    scratch: Scratch,
    row: Vec<(u32, f64)>,
    summary: TrainingSummary,
}

impl Trainer {
    /// Learns one comment with its label values (in label order).
    pub fn add(&mut self, text: &str, labels: &[bool]) -> Result<()> {
        if labels.len() != self.params.labels.len() {
            return Err(Error::InvalidParam {
                name: "label values",
                value: labels.len().to_string(),
                reason: "one value per label is needed",
            });
        }
        self.row.clear();
        let (index, vocabulary, row) = (&mut self.index, &mut self.vocabulary, &mut self.row);
        self.analyzer
            .for_each_feature(text, &mut self.scratch, |hash, feature| {
                let next = vocabulary.len() as u32;
                let f = *index.entry(hash).or_insert_with(|| {
                    vocabulary.push(feature.to_owned());
                    next
                });
                row.push((f, 1.0));
            });
        self.counts.grow_features(self.vocabulary.len());
        self.counts.update(&self.row, labels, 1.0);
        self.summary.rows += 1;
        for (p, &positive) in self.summary.positives.iter_mut().zip(labels) {
            *p += u64::from(positive);
        }
        Ok(())
    }

    /// Records an input file in the model's training summary.
    pub fn add_source(&mut self, source: Source) {
        self.summary.sources.push(source);
    }

    /// Rows learned so far.
    pub fn rows(&self) -> u64 {
        self.summary.rows
    }

    /// Builds the classifier. The vocabulary is sorted, so the result does not depend on the
    /// order in which features were first seen.
    pub fn finish(mut self) -> Result<Classifier> {
        let mut order: Vec<u32> = (0..self.vocabulary.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            self.vocabulary[a as usize].cmp(&self.vocabulary[b as usize])
        });
        self.counts.permute(&order);
        let mut old = std::mem::take(&mut self.vocabulary);
        let vocabulary = order
            .iter()
            .map(|&i| std::mem::take(&mut old[i as usize]))
            .collect();
        let labels = self.params.labels.clone();
        let thresholds = labels
            .iter()
            .map(|l| {
                self.params
                    .thresholds
                    .iter()
                    .rev()
                    .find(|(name, _)| name == l)
                    .map_or(0.5, |&(_, t)| t)
            })
            .collect();
        let (counts, docs) = self.counts.into_parts();
        // from_data checks every label has rows of both classes.
        Classifier::from_data(ModelData {
            analyzer: self.params.analyzer,
            labels,
            thresholds,
            alpha: self.nb.alpha(),
            vocabulary,
            counts,
            docs,
            summary: self.summary,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn train(rows: &[(&str, bool)]) -> Classifier {
        let params = TrainParams::new(["spam"]).check().unwrap();
        let mut t = params.trainer();
        for (text, spam) in rows {
            t.add(text, &[*spam]).unwrap();
        }
        t.finish().unwrap()
    }

    const ROWS: &[(&str, bool)] = &[
        ("win free cash now", true),
        ("free gift cards click here", true),
        ("great game last night", false),
        ("the council meets on monday", false),
    ];

    #[test]
    fn row_order_does_not_change_the_model() {
        let mut reversed = ROWS.to_vec();
        reversed.reverse();
        assert_eq!(train(ROWS).to_bytes(), train(&reversed).to_bytes());
    }

    #[test]
    fn learns_which_words_are_spam() {
        let m = train(ROWS);
        assert!(m.score("free cash").get("spam").unwrap() > 0.5);
        assert!(m.score("the game on monday").get("spam").unwrap() < 0.5);
    }

    #[test]
    fn model_survives_a_round_trip_through_bytes() {
        let m = train(ROWS);
        let again = Classifier::from_bytes(&m.to_bytes()).unwrap();
        assert_eq!(again.to_bytes(), m.to_bytes());
        assert_eq!(
            again.score("free").probabilities(),
            m.score("free").probabilities()
        );
    }

    #[test]
    fn duplicate_labels_are_rejected() {
        assert!(TrainParams::new(["spam", "spam"]).check().is_err());
        assert!(TrainParams::new(Vec::<String>::new()).check().is_err());
    }
}
