//! Learning from moderators: [`Classifier::apply_feedback`] adds comments to a trained model's
//! counts or takes them away again.
//!
//! Naive Bayes keeps its sufficient statistics (see the module doc of `nb.rs`): per feature,
//! label and class the summed feature values, per feature its document frequency, and rows per
//! label and class. A comment is learned by adding its feature values, exactly as training
//! counted its rows (new features join the vocabulary), and forgotten by subtracting them. The
//! scoring weights are then derived again from the counts; thresholds and calibration stay as
//! trained. Deriving the weights costs about as much as loading the model, so callers batch:
//! many changes, one call.
//!
//! With an NB-LR head (the default), learning adds to the counts exactly what training would
//! have, and so moves the naive Bayes log-count ratios `r` that scale each feature. The
//! trained linear weights `w` stay; each learned comment adds a fixed step `±x_j` (towards its
//! verdict, per label) to a separate `learned` sum of each of its features, and one to the
//! feature's count of learned comments, and a feature scores `r·w + learned / count`: the mean
//! of its steps. A comment whose features no other learned comment holds moves its own
//! log-odds by 1 per label with a verdict; the counts' new ratios move them a little more (by
//! 0.002 to 0.03 on the embedded model). A feature many learned comments share takes their
//! average vote, never more than its value in one comment (summed, the steps of a few hundred
//! spam decisions flagged every comment holding their common words). Steps and counts depend
//! only on the comments and their verdicts, never on the model, so forgetting subtracts what
//! learning added, in any order. The counts and steps are
//! sums of floating-point values, so a forget after other changes restores them to within
//! rounding, not bit for bit: 150 comments learned and forgotten in another order left
//! probabilities within 4e-15 to 9e-15 of the model's before
//! (`learning_then_forgetting_in_another_order_restores_the_scores_to_rounding`). `commentguard train` on the data plus
//! the feedback refits `w` in full.
//!
//! A label a comment carries no verdict for (`None`) gets no counts and no step from it, while
//! the document frequencies every label shares still count it: that shifts the label's weights
//! for the comment's new features away from zero. [`Classifier::apply_partial_feedback`] fills
//! such gaps with the model's own verdicts for the counts only, records them for an exact
//! forget, and steps only the given labels. (Filling first and passing the filled verdicts to
//! [`Classifier::apply_feedback`] steps them all: every comment then moves towards the model's
//! own verdict on every label it was not given, and a few hundred spam decisions unlearned
//! toxicity.) The service passes which labels were given the same way.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::format::{FilledRecord, ModelData, Source};
use crate::model::{grow_vocabulary, Classifier};
use crate::nblr::{Linear, LEARN_STEP};
use crate::text::Scratch;

/// Whether a [`Feedback`] is added to the model or taken out of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Add the comment to the counts.
    Learn,
    /// Subtract a comment learned before.
    Forget,
}

impl Direction {
    fn sign(self) -> f64 {
        match self {
            Direction::Learn => 1.0,
            Direction::Forget => -1.0,
        }
    }
}

/// One moderator decision: a comment and its verdict per label, in the model's label order
/// (`None` for a label the moderator said nothing about).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The comment.
    pub text: String,
    /// One verdict per label of the model, in [`Classifier::labels`] order.
    pub labels: Vec<Option<bool>>,
}

/// Counts below this after a subtraction are rounding left over from adding and subtracting the
/// same irrational feature values, and are set to exactly zero.
const ROUNDING: f64 = 1e-9;

impl Classifier {
    /// Learns one comment: `labels` holds a verdict per label, in label order.
    pub fn learn(&mut self, text: &str, labels: &[Option<bool>]) -> Result<()> {
        self.apply_feedback(Direction::Learn, &[feedback(text, labels)])
    }

    /// Forgets one comment learned before with the same verdicts.
    pub fn forget(&mut self, text: &str, labels: &[Option<bool>]) -> Result<()> {
        self.apply_feedback(Direction::Forget, &[feedback(text, labels)])
    }

    /// Learns or forgets a batch of comments and derives the weights once. On an error (a
    /// verdict list of the wrong length, or forgetting more than was ever learned) the model is
    /// left unchanged.
    pub fn apply_feedback(&mut self, direction: Direction, batch: &[Feedback]) -> Result<()> {
        let changes: Vec<(Direction, &Feedback)> = batch.iter().map(|f| (direction, f)).collect();
        self.apply_changes(&changes)
    }

    /// Applies learnings and forgettings in order, deriving the weights once at the end; as
    /// [`apply_feedback`](Self::apply_feedback), all or nothing.
    pub fn apply_changes(&mut self, changes: &[(Direction, &Feedback)]) -> Result<()> {
        if !changes.is_empty() {
            *self = self.with_changes(changes)?;
        }
        Ok(())
    }

    /// Learns or forgets a batch in which some comments lack a verdict for some labels, as
    /// `commentguard learn` and `forget` do with a file that lacks a label's column.
    ///
    /// Learning fills each missing verdict with the model's own (before the batch) for the
    /// counts, and records the comment's verdicts, and which were given, in the model. Only
    /// the given verdicts move the NB-LR head's learned weights: a filled verdict stepping
    /// them too moved every feature of every comment towards "not toxic" when only spam was
    /// given, and a few hundred spam decisions unlearned toxicity. Forgetting takes the record
    /// for the same text whose verdicts agree with the ones given (when several agree, the
    /// first in the record's order), and refuses when the text has records and none agrees. A
    /// comment with no record (learned with every label given, trained on, or learned by a
    /// build before format version 5) takes the model's own verdicts. All or nothing, as
    /// [`apply_feedback`](Self::apply_feedback).
    pub fn apply_partial_feedback(
        &mut self,
        direction: Direction,
        batch: &[Feedback],
    ) -> Result<FilledVerdicts> {
        // Keyed by text, then verdicts, then which were given, as the model's sorted record.
        type Key = ([u8; 32], Vec<bool>, Vec<bool>);
        let mut record: BTreeMap<Key, u64> = self
            .parts_filled()
            .iter()
            .map(|r| ((r.text, r.verdicts.clone(), r.given.clone()), r.count))
            .collect();
        let mut outcome = FilledVerdicts::default();
        let mut resolved = Vec::with_capacity(batch.len());
        let mut stepped = Vec::with_capacity(batch.len());
        for (index, fb) in batch.iter().enumerate() {
            let text: [u8; 32] = Sha256::digest(fb.text.as_bytes()).into();
            let partial = fb.labels.iter().any(Option::is_none);
            let mut labels = fb.labels.clone();
            let mut given: Vec<bool> = fb.labels.iter().map(Option::is_some).collect();
            match direction {
                Direction::Learn => {
                    if partial {
                        self.fill_verdicts(&fb.text, &mut labels);
                        let verdicts = labels.iter().map(|v| v.unwrap_or(false)).collect();
                        *record.entry((text, verdicts, given.clone())).or_default() += 1;
                        outcome.recorded += 1;
                    }
                }
                Direction::Forget => {
                    let agrees = |verdicts: &[bool]| {
                        verdicts.len() == labels.len()
                            && verdicts
                                .iter()
                                .zip(&labels)
                                .all(|(&r, v)| v.is_none_or(|v| v == r))
                    };
                    // Empty lists sort first: from there on, this text's records.
                    let mut this_text = record
                        .range((text, Vec::new(), Vec::new())..)
                        .take_while(|((t, _, _), _)| *t == text)
                        .peekable();
                    let learned = this_text.peek().is_some();
                    // Learned more than once with different filled verdicts that the given ones
                    // do not tell apart: the first in the record's order is taken out, so as
                    // many forgets as learns take out all of them, in any order (refusing left
                    // a file learned twice impossible to forget).
                    let found = this_text
                        .find(|((_, verdicts, _), _)| agrees(verdicts))
                        .map(|(key, _)| key.clone());
                    match found {
                        Some(key) => {
                            labels = key.1.iter().map(|&v| Some(v)).collect();
                            given.clone_from(&key.2);
                            let count = record.get_mut(&key).expect("found just now");
                            *count -= 1;
                            if *count == 0 {
                                record.remove(&key);
                            }
                            if partial {
                                outcome.recalled += 1;
                            }
                        }
                        None if learned => {
                            // Learned, but not with these verdicts: filling the rest from the
                            // model would take the comment out of the wrong classes.
                            return Err(Error::ForgetDisagrees { index });
                        }
                        None => {
                            if partial {
                                self.fill_verdicts(&fb.text, &mut labels);
                                outcome.unrecorded += 1;
                            }
                        }
                    }
                }
            }
            resolved.push(Feedback {
                text: fb.text.clone(),
                labels,
            });
            stepped.push(given);
        }
        let changes: Vec<Change<'_>> = resolved
            .iter()
            .zip(&stepped)
            .map(|(f, given)| (direction, f, Some(given.as_slice())))
            .collect();
        if !changes.is_empty() {
            let record = record
                .into_iter()
                .map(|((text, verdicts, given), count)| FilledRecord {
                    text,
                    verdicts,
                    given,
                    count,
                })
                .collect();
            *self = self.with_given_changes(&changes, |data| data.filled = record)?;
        }
        Ok(outcome)
    }

    /// A copy of this model with `changes` applied in order (this one stays as it is): what a
    /// server publishes while requests in flight finish on the old model.
    pub fn with_changes(&self, changes: &[(Direction, &Feedback)]) -> Result<Classifier> {
        let changes: Vec<Change<'_>> = changes.iter().map(|&(d, f)| (d, f, None)).collect();
        self.with_given_changes(&changes, |_| {})
    }

    /// [`with_changes`](Self::with_changes) where each change may say which labels' verdicts
    /// were given (the others were filled in: they count, but do not step the learned
    /// weights), with `edit` applied to the new model's data before it is built.
    pub(crate) fn with_given_changes(
        &self,
        changes: &[Change<'_>],
        edit: impl FnOnce(&mut ModelData),
    ) -> Result<Classifier> {
        let n_labels = self.labels().len();
        if let Some((_, f, _)) = changes.iter().find(|(_, f, given)| {
            f.labels.len() != n_labels || given.is_some_and(|g| g.len() != n_labels)
        }) {
            return Err(Error::InvalidParam {
                name: "feedback verdicts",
                value: f.labels.len().to_string(),
                reason: "one verdict (or none) is needed per label of the model",
            });
        }
        let mut data = self.to_data();
        data.join_counts();
        if let Some(head) = data.linear.as_mut() {
            if head.learned_count.is_empty() && !head.learned.is_empty() {
                // Learned on by a build before the counts were kept: its weights are sums,
                // each read as one comment's, so they score as they did.
                head.learned_count = head
                    .learned
                    .iter()
                    .map(|&v| if v == 0.0 { 0.0 } else { 1.0 })
                    .collect();
            }
        }
        let mut index = self.feature_index().clone();
        let params = data.nb.clone();
        let mut tables = Tables {
            n_labels,
            values: &mut data.counts,
            docs: &mut data.docs,
            df: &mut data.df,
        };
        if tables.values.len() != tables.df.len() * n_labels * 2 {
            return Err(Error::InvalidParam {
                name: "model counts",
                value: "inconsistent".into(),
                reason: "count tables do not match the vocabulary",
            });
        }
        let (mut scratch, mut keys, mut row) = (Scratch::default(), Vec::new(), Vec::new());
        // The features these changes touch: only their counts can need rounding after.
        let mut touched: Vec<u32> = Vec::new();
        for (at, &(direction, fb, given)) in changes.iter().enumerate() {
            if direction == Direction::Learn {
                grow_vocabulary(
                    self.analyzer(),
                    &fb.text,
                    &mut scratch,
                    &mut index,
                    &mut data.vocabulary,
                );
                tables.grow_features(index.len());
            }
            // Values weighted and normalized over all of the comment's features, as training
            // and scoring weigh them.
            keys.clear();
            self.analyzer().push_keys(&fb.text, &mut scratch, &mut keys);
            keys.sort_unstable();
            row.clear();
            let mut sum_of_squares = 0.0;
            for run in keys.chunk_by(|a, b| a == b) {
                let x = params.term_value(run.len() as f64);
                sum_of_squares += x * x;
                // Learning added every feature above, so a feature not there is a forget's:
                // one training dropped (under --min-df), which has no counts to take out.
                if let Some(&col) = index.get(&run[0]) {
                    row.push((col, x));
                }
            }
            if direction == Direction::Forget && row.is_empty() && !keys.is_empty() {
                // None of its features is in the model: nothing says it was ever learned.
                return Err(Error::NeverLearned { index: at });
            }
            let norm = params.norm(sum_of_squares);
            row.iter_mut().for_each(|(_, x)| *x /= norm);
            touched.extend(row.iter().map(|&(f, _)| f));
            tables.update(&row, &fb.labels, direction.sign());
            if direction == Direction::Forget && tables.took_too_much(&row) {
                return Err(Error::NeverLearned { index: at });
            }
            if let Some(head) = data.linear.as_mut() {
                let stepped: Vec<Option<bool>> = match given {
                    Some(given) => fb
                        .labels
                        .iter()
                        .zip(given)
                        .map(|(v, &g)| v.filter(|_| g))
                        .collect(),
                    None => fb.labels.clone(),
                };
                learn_step(head, &row, &stepped, direction.sign());
            }
            data.summary.rows = add_signed(data.summary.rows, direction);
            for (p, v) in data.summary.positives.iter_mut().zip(&fb.labels) {
                if *v == Some(true) {
                    *p = add_signed(*p, direction);
                }
            }
        }
        for (l, label) in self.labels().iter().enumerate() {
            for (class, name) in [(0, "negative"), (1, "positive")] {
                if tables.docs[l * 2 + class] < 1.0 - ROUNDING {
                    return Err(Error::ForgetsAllExamples {
                        label: label.clone(),
                        class: name,
                    });
                }
            }
        }
        // What learning and forgetting the same comments leave is rounding. Only the features
        // touched are looked at: a pass over every count took a tenth of a group commit.
        touched.sort_unstable();
        touched.dedup();
        for &f in &touched {
            tables
                .feature_values_mut(f)
                .iter_mut()
                .filter(|v| **v < ROUNDING)
                .for_each(|v| *v = 0.0);
        }
        if let Some(head) = data.linear.as_mut() {
            head.w.resize(data.df.len() * n_labels, 0.0);
            if !head.learned.is_empty() {
                head.learned.resize(head.w.len(), 0.0);
                head.learned_count.resize(head.w.len(), 0.0);
                for &f in &touched {
                    let at = f as usize * n_labels;
                    for (v, n) in head.learned[at..][..n_labels]
                        .iter_mut()
                        .zip(&mut head.learned_count[at..][..n_labels])
                    {
                        // Counts are whole numbers: below one half is none.
                        if *n < 0.5 {
                            *n = 0.0;
                        }
                        if v.abs() < ROUNDING || *n == 0.0 {
                            *v = 0.0;
                        }
                    }
                }
            }
        }
        edit(&mut data);
        self.extended(data, index)
    }

    /// Fills the labels without a verdict with the model's own: whether `text` reaches the
    /// label's threshold. Learning these verdicts leaves the labels where the model has them.
    pub fn fill_verdicts(&self, text: &str, labels: &mut [Option<bool>]) {
        if labels.iter().all(Option::is_some) {
            return;
        }
        let scores = self.score(text);
        for ((v, &p), &t) in labels
            .iter_mut()
            .zip(scores.probabilities())
            .zip(self.thresholds())
        {
            v.get_or_insert(p >= t);
        }
    }

    /// Records a file the model learned from in its training summary.
    pub fn add_source(&mut self, source: Source) -> Result<()> {
        let mut data = self.to_data();
        data.summary.sources.push(source);
        *self = rebuild(data)?;
        Ok(())
    }
}

/// One change to a model: learn or forget, the comment with a verdict per label, and which of
/// those verdicts were given (`None`: all of them).
pub(crate) type Change<'a> = (Direction, &'a Feedback, Option<&'a [bool]>);

/// What [`Classifier::apply_partial_feedback`] did with the verdicts a batch did not give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FilledVerdicts {
    /// Comments learned with verdicts filled in by the model's own, and recorded.
    pub recorded: u64,
    /// Comments forgotten with the verdicts recorded when they were learned.
    pub recalled: u64,
    /// Comments forgotten with labels missing and no record: the missing labels took the
    /// model's own verdicts, which learning since may have moved.
    pub unrecorded: u64,
}

/// Moves an NB-LR head's learned sums one fixed step per feature towards each verdict, and
/// counts the comment in each feature's count (`sign` -1 takes both back).
fn learn_step(head: &mut Linear, row: &[(u32, f64)], labels: &[Option<bool>], sign: f64) {
    let n_labels = labels.len();
    let needed = row
        .iter()
        .map(|&(f, _)| (f as usize + 1) * n_labels)
        .max()
        .unwrap_or(0);
    let size = needed.max(head.w.len());
    head.w.resize(size, 0.0);
    head.learned.resize(size, 0.0);
    head.learned_count.resize(size, 0.0);
    for &(f, x) in row {
        for (l, v) in labels.iter().enumerate() {
            if let Some(positive) = v {
                let toward = if *positive { 1.0 } else { -1.0 };
                let i = f as usize * n_labels + l;
                head.learned[i] += sign * toward * LEARN_STEP * x;
                head.learned_count[i] += sign;
            }
        }
    }
}

fn feedback(text: &str, labels: &[Option<bool>]) -> Feedback {
    Feedback {
        text: text.to_owned(),
        labels: labels.to_vec(),
    }
}

fn add_signed(n: u64, direction: Direction) -> u64 {
    match direction {
        Direction::Learn => n.saturating_add(1),
        Direction::Forget => n.saturating_sub(1),
    }
}

fn rebuild(data: ModelData) -> Result<Classifier> {
    Classifier::from_data(data)
}

/// The counts of a model file (see `ModelData`): summed values per feature, label and class
/// flattened in that order, rows per label and class, rows per feature.
struct Tables<'a> {
    n_labels: usize,
    values: &'a mut Vec<f64>,
    docs: &'a mut [f64],
    df: &'a mut Vec<f64>,
}

impl Tables<'_> {
    fn grow_features(&mut self, n: usize) {
        if n > self.df.len() {
            self.df.resize(n, 0.0);
            self.values.resize(n * self.n_labels * 2, 0.0);
        }
    }

    /// True when a count `row` touched (or a label's number of rows) is below zero: more
    /// was taken out than was ever put in.
    fn took_too_much(&self, row: &[(u32, f64)]) -> bool {
        let negative = |c: &f64| *c < -ROUNDING;
        self.docs.iter().any(negative)
            || row.iter().any(|&(f, _)| {
                negative(&self.df[f as usize]) || self.feature_values(f).iter().any(negative)
            })
    }

    /// Feature `f`'s summed values, by label and class.
    fn feature_values(&self, f: u32) -> &[f64] {
        let width = self.n_labels * 2;
        &self.values[f as usize * width..][..width]
    }

    fn feature_values_mut(&mut self, f: u32) -> &mut [f64] {
        let width = self.n_labels * 2;
        &mut self.values[f as usize * width..][..width]
    }

    /// `Counts::update` for the labels with a verdict only.
    fn update(&mut self, row: &[(u32, f64)], labels: &[Option<bool>], sign: f64) {
        for (l, v) in labels.iter().enumerate() {
            if let Some(positive) = v {
                self.docs[l * 2 + usize::from(*positive)] += sign;
            }
        }
        for &(f, x) in row {
            let f = f as usize;
            self.df[f] += sign;
            for (l, v) in labels.iter().enumerate() {
                if let Some(positive) = v {
                    self.values[(f * self.n_labels + l) * 2 + usize::from(*positive)] += sign * x;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOVEL: &str = "zorblax quux frobnicate zorblax vouchers at zorblax dot example";

    fn spam_only(model: &Classifier, spam: bool) -> Vec<Option<bool>> {
        model
            .labels()
            .iter()
            .map(|l| (l == "spam").then_some(spam))
            .collect()
    }

    /// Learning extends the model's table instead of building it again: the model must be
    /// the one its own counts give, byte for byte, or its file would not load.
    #[test]
    fn a_learned_model_is_the_model_its_counts_give() {
        let base = Classifier::embedded().unwrap();
        let all: Vec<Option<bool>> = vec![Some(true); base.labels().len()];
        let learned = base
            .with_changes(&[(Direction::Learn, &feedback(NOVEL, &all))])
            .unwrap();
        let (before, after) = (base.to_data(), learned.to_data());
        assert!(after.vocabulary.len() > before.vocabulary.len());
        let fresh = Classifier::from_data(after).unwrap();
        assert!(learned.to_bytes() == fresh.to_bytes());
        assert_eq!(learned.score(NOVEL), fresh.score(NOVEL));
    }

    #[test]
    fn forgetting_restores_what_learning_changed() {
        let base = Classifier::embedded().unwrap();
        let mut model = base.clone();
        let all: Vec<Option<bool>> = vec![Some(true); model.labels().len()];
        model.learn(NOVEL, &all).unwrap();
        model.learn("the council meets on tuesday", &all).unwrap();
        assert_ne!(model.to_data().counts.len(), base.to_data().counts.len());
        model.forget(NOVEL, &all).unwrap();
        model.forget("the council meets on tuesday", &all).unwrap();
        let (before, after) = (base.to_data(), model.to_data());
        assert_eq!(before.docs, after.docs);
        assert_eq!(before.summary.rows, after.summary.rows);
        // New features stay in the vocabulary, with nothing counted.
        assert_eq!(&after.df[..before.df.len()], &before.df[..]);
        assert!(after.df[before.df.len()..].iter().all(|&d| d == 0.0));
        for (a, b) in before.counts.iter().zip(&after.counts) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        for text in [NOVEL, "Free gift cards, click here", "Nice article, thanks"] {
            let (p, q) = (base.score(text), model.score(text));
            for (a, b) in p.probabilities().iter().zip(q.probabilities()) {
                assert!((a - b).abs() < 1e-9, "{text}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn learning_adds_the_rows_values_and_moves_the_score() {
        let mut model = Classifier::embedded().unwrap();
        let before = model.score(NOVEL).get("spam").unwrap();
        let rows = model.to_data().summary.rows;
        let batch: Vec<Feedback> = (0..5)
            .map(|_| feedback(NOVEL, &spam_only(&model, true)))
            .collect();
        model.apply_feedback(Direction::Learn, &batch).unwrap();
        let after = model.score(NOVEL).get("spam").unwrap();
        assert!(after > before, "spam score {before} -> {after}");
        assert_eq!(model.to_data().summary.rows, rows + 5);
    }

    #[test]
    fn a_label_without_a_verdict_is_left_alone() {
        let base = Classifier::embedded().unwrap();
        let mut model = base.clone();
        let spam = base.label_index("spam").unwrap();
        model.learn(NOVEL, &spam_only(&base, true)).unwrap();
        let (before, after) = (base.to_data(), model.to_data());
        let n = base.labels().len();
        for l in 0..n {
            for class in 0..2 {
                let (b, a) = (before.docs[l * 2 + class], after.docs[l * 2 + class]);
                let expected = if l == spam && class == 1 { b + 1.0 } else { b };
                assert_eq!(a, expected, "label {l} class {class}");
            }
        }
        // Only the spam label's positive column received the comment's values.
        let width = n * 2;
        for f in 0..after.df.len() {
            for k in 0..width {
                let old = before.counts.get(f * width + k).copied().unwrap_or(0.0);
                let new = after.counts[f * width + k];
                if k != spam * 2 + 1 {
                    assert_eq!(old, new, "feature {f} slot {k}");
                }
            }
        }
    }

    #[test]
    fn filled_verdicts_are_the_models_own() {
        let model = Classifier::embedded().unwrap();
        let spam = model.label_index("spam").unwrap();
        let toxic = model.label_index("toxic").unwrap();
        let text = "Earn money by Gift Cards, just follow this link";
        let mut labels = vec![None; model.labels().len()];
        labels[spam] = Some(false);
        model.fill_verdicts(text, &mut labels);
        assert_eq!(labels[spam], Some(false), "a given verdict stays");
        assert_eq!(labels[toxic], Some(model.score(text).is_flagged("toxic")));
    }

    /// A comment learned twice with only spam given, once while the model did not flag it
    /// for toxicity and once while it did: two records. Two forgets with only spam take out
    /// one each, and the model scores as it did.
    #[test]
    fn filled_verdicts_are_recalled_one_record_per_forget() {
        let base = Classifier::embedded().unwrap();
        let mut model = base.clone();
        let toxicity = model.label_index("toxicity").unwrap();
        let text = "Thanks for the recap of the council meeting";
        let partial = spam_only(&model, false);
        let learned = model
            .apply_partial_feedback(Direction::Learn, &[feedback(text, &partial)])
            .unwrap();
        assert_eq!(learned.recorded, 1);
        assert!(!model.score(text).is_flagged("toxicity"));
        // The model's own verdict turns (here by its threshold; on a server, by what it
        // learned meanwhile), and the same comment is learned again with only spam given.
        let threshold = model.thresholds()[toxicity];
        model.set_threshold("toxicity", 1e-9).unwrap();
        assert!(model.score(text).is_flagged("toxicity"));
        model
            .apply_partial_feedback(Direction::Learn, &[feedback(text, &partial)])
            .unwrap();
        model.set_threshold("toxicity", threshold).unwrap();
        assert_eq!(model.parts_filled().len(), 2);
        for left in [1, 0] {
            let forgot = model
                .apply_partial_feedback(Direction::Forget, &[feedback(text, &partial)])
                .unwrap();
            assert_eq!((forgot.recalled, forgot.unrecorded), (1, 0));
            assert_eq!(model.parts_filled().len(), left);
        }
        for probe in [text, "Free gift cards, click here", "you are an idiot"] {
            let (p, q) = (base.score(probe), model.score(probe));
            for (a, b) in p.probabilities().iter().zip(q.probabilities()) {
                assert!((a - b).abs() < 1e-9, "{probe}: {a} vs {b}");
            }
        }
        // A forget whose given verdicts agree with no record of the text is refused, and
        // changes nothing.
        let mut again = base.clone();
        again
            .apply_partial_feedback(Direction::Learn, &[feedback(text, &partial)])
            .unwrap();
        let before = again.to_bytes();
        let mut spam_and_toxic = partial.clone();
        spam_and_toxic[toxicity] = Some(true);
        let e = again
            .apply_partial_feedback(Direction::Forget, &[feedback(text, &spam_and_toxic)])
            .unwrap_err();
        assert!(matches!(e, Error::ForgetDisagrees { index: 0 }), "{e}");
        assert!(
            again.to_bytes() == before,
            "a refused forget changed the model"
        );
        // The record is saved with the model and read back.
        let loaded = Classifier::from_bytes(&again.to_bytes()).unwrap();
        assert_eq!(loaded.parts_filled(), again.parts_filled());
        assert_eq!(loaded.parts_filled().len(), 1);
    }

    /// Learned weights are means, not sums: 300 spam decisions that share the words of an
    /// ordinary thank-you (each also holding words of its own) added their steps on "thanks",
    /// "for", "the", "video" until every comment holding them scored spam at 1.0 (the build
    /// before: "great article, thanks for sharing" too). The counts still move them (300 more
    /// spam rows), but none is flagged.
    #[test]
    fn many_learned_comments_sharing_words_move_others_by_their_mean() {
        let base = Classifier::embedded().unwrap();
        let mut model = base.clone();
        let words = [
            "zorblax",
            "quuxly",
            "frobnic",
            "vouchr",
            "blorptown",
            "snarfle",
        ];
        let batch: Vec<Feedback> = (0..300)
            .map(|i| {
                let own = format!("{}{} {}{}", words[i % 6], i, words[(i / 6) % 6], i * 7);
                feedback(
                    &format!("thanks for the video {own}"),
                    &spam_only(&model, true),
                )
            })
            .collect();
        model.apply_feedback(Direction::Learn, &batch).unwrap();
        let spam = |m: &Classifier, text: &str| m.score(text).get("spam").unwrap();
        let learned = &batch[7].text;
        assert!(
            spam(&model, learned) > spam(&base, learned) * 2.0,
            "a learned comment moved"
        );
        for probe in [
            "thanks for the video",
            "great article, thanks for sharing",
            "I loved the video, thanks",
        ] {
            assert!(spam(&model, probe) >= spam(&base, probe), "{probe}");
            assert!(
                spam(&model, probe) < 0.3,
                "{probe}: {}",
                spam(&model, probe)
            );
            assert!(!model.score(probe).is_flagged("spam"), "{probe}");
        }
    }

    #[test]
    fn learning_matches_counts_update() {
        // The layout the tables here write is the one `Counts` keeps.
        let mut counts = crate::nb::Counts::new(2);
        counts.grow_features(3);
        counts.update(&[(0, 0.5), (2, 0.25)], &[true, false], 1.0);
        let mut values = vec![0.0; 12];
        let mut docs = vec![0.0; 4];
        let mut df = vec![0.0; 3];
        let mut tables = Tables {
            n_labels: 2,
            values: &mut values,
            docs: &mut docs,
            df: &mut df,
        };
        tables.update(&[(0, 0.5), (2, 0.25)], &[Some(true), Some(false)], 1.0);
        let (v, d, f) = counts.parts();
        assert_eq!((v, d, f), (&values[..], &docs[..], &df[..]));
    }

    #[test]
    fn bad_verdicts_and_overforgetting_are_errors_that_change_nothing() {
        let base = Classifier::embedded().unwrap();
        let mut model = base.clone();
        let err = model.learn(NOVEL, &[Some(true)]).unwrap_err();
        assert!(err.to_string().contains("one verdict"), "{err}");
        let all: Vec<Option<bool>> = vec![Some(true); base.labels().len()];
        let err = model.forget(NOVEL, &all).unwrap_err();
        assert!(err.to_string().contains("was never learned"), "{err}");
        assert_eq!(model.to_data(), base.to_data());
    }
}
