//! Learning and scoring rows in batches: feature extraction runs in parallel on rayon's current
//! pool into per-chunk buffers reused from batch to batch, then the rows are learned (or their
//! out-of-fold scores kept) in order, so a batch gives exactly what its rows would one by one.

use rayon::prelude::*;

use super::{fold_of, weigh, Trainer};
use crate::data::RowBatch;
use crate::error::{Error, Result};
use crate::text::Scratch;

/// Rows per chunk, the unit of parallel work: small enough to balance the threads, large enough
/// that handing chunks out costs little.
const CHUNK_ROWS: usize = 128;

/// One chunk's featurized rows, with the buffers that make them.
#[derive(Debug, Default)]
pub(super) struct Chunk {
    /// Every row's `(column, value)` pairs, one row after another.
    entries: Vec<(u32, f64)>,
    /// Where each row's pairs end in `entries`.
    ends: Vec<usize>,
    /// Whether each row's features were all known.
    complete: Vec<bool>,
    /// Second pass: each row's log-odds, one per label.
    z: Vec<f64>,
    scratch: Scratch,
    keys: Vec<u64>,
}

/// The comments of a batch, by position.
trait Texts: Sync {
    fn len(&self) -> usize;
    fn text(&self, i: usize) -> &str;
}

impl<S: AsRef<str> + Sync> Texts for [S] {
    fn len(&self) -> usize {
        <[S]>::len(self)
    }

    fn text(&self, i: usize) -> &str {
        self[i].as_ref()
    }
}

impl Texts for RowBatch {
    fn len(&self) -> usize {
        RowBatch::len(self)
    }

    fn text(&self, i: usize) -> &str {
        RowBatch::text(self, i)
    }
}

impl Chunk {
    /// Extracts the features of `texts`' rows `rows` into the chunk's buffers; rows for which
    /// `wanted` is false are left empty.
    fn featurize(
        &mut self,
        trainer: &Trainer,
        texts: &(impl Texts + ?Sized),
        rows: std::ops::Range<usize>,
        wanted: impl Fn(usize) -> bool,
    ) {
        self.entries.clear();
        self.ends.clear();
        self.complete.clear();
        for i in rows {
            if !wanted(i) {
                self.ends.push(self.entries.len());
                self.complete.push(true);
                continue;
            }
            self.keys.clear();
            trainer
                .analyzer
                .push_keys(texts.text(i), &mut self.scratch, &mut self.keys);
            self.keys.sort_unstable();
            let complete = weigh(
                &trainer.params.nb,
                &trainer.index,
                &self.keys,
                &mut self.entries,
            );
            self.ends.push(self.entries.len());
            self.complete.push(complete);
        }
    }

    /// Row `r`'s `(column, value)` pairs.
    fn row(&self, r: usize) -> &[(u32, f64)] {
        row(&self.entries, &self.ends, r)
    }
}

/// Row `r` of rows stored one after another in `entries`, ending at `ends`.
fn row<'a>(entries: &'a [(u32, f64)], ends: &[usize], r: usize) -> &'a [(u32, f64)] {
    let start = if r == 0 { 0 } else { ends[r - 1] };
    &entries[start..ends[r]]
}

impl Trainer {
    /// Learns a batch of comments: `labels` holds each comment's label values in turn. Feature
    /// extraction runs in parallel on rayon's current pool; the rows are then learned in order,
    /// so the model is exactly the one [`add`](Self::add) would build row by row.
    pub fn add_batch<S: AsRef<str> + Sync>(&mut self, texts: &[S], labels: &[bool]) -> Result<()> {
        self.learn_batch(texts, labels, None)
    }

    /// As [`add_batch`](Self::add_batch), for rows read by [`read_batched`](crate::read_batched);
    /// a row lacking some labels ([`RowBatch::known`]) is learned as
    /// [`add_partial`](Self::add_partial) learns it.
    pub fn add_row_batch(&mut self, batch: &RowBatch) -> Result<()> {
        self.learn_batch(batch, batch.labels(), batch.known())
    }

    /// As [`add_second_pass`](Self::add_second_pass), for a batch (see [`add_batch`](Self::add_batch)).
    pub fn add_second_pass_batch<S: AsRef<str> + Sync>(
        &mut self,
        texts: &[S],
        labels: &[bool],
    ) -> Result<()> {
        self.score_batch(texts, labels, None)
    }

    /// As [`add_second_pass_batch`](Self::add_second_pass_batch), for rows read by
    /// [`read_batched`](crate::read_batched).
    pub fn add_second_pass_row_batch(&mut self, batch: &RowBatch) -> Result<()> {
        self.score_batch(batch, batch.labels(), batch.known())
    }

    fn learn_batch(
        &mut self,
        texts: &(impl Texts + ?Sized),
        labels: &[bool],
        known: Option<&[bool]>,
    ) -> Result<()> {
        self.check_batch(texts.len(), labels.len(), known)?;
        if self.second.is_some() {
            return Err(Error::InvalidParam {
                name: "training row",
                value: "after the second pass began".into(),
                reason: "all rows must be added before start_second_pass",
            });
        }
        let chunks = self.featurize_chunks(texts);
        // Rows with a feature new at the batch's start (perhaps learned since by an earlier row
        // of the batch) are featurized again in order, growing the vocabulary as `add` would.
        let (mut redo, mut redo_ends) = (Vec::new(), Vec::new());
        for (c, chunk) in chunks.iter().enumerate() {
            for (r, _) in chunk.complete.iter().enumerate().filter(|(_, &c)| !c) {
                self.featurize(texts.text(c * CHUNK_ROWS + r), true);
                redo.extend_from_slice(&self.row);
                redo_ends.push(redo.len());
            }
        }
        let mut rows: Vec<&[(u32, f64)]> = Vec::with_capacity(texts.len());
        let mut redone = 0;
        for chunk in &chunks {
            for (r, &complete) in chunk.complete.iter().enumerate() {
                rows.push(if complete {
                    chunk.row(r)
                } else {
                    redone += 1;
                    row(&redo, &redo_ends, redone - 1)
                });
            }
        }
        let first = self.summary.rows;
        let folds: Vec<usize> = if self.counts.folds() > 0 {
            let (seed, folds) = (self.params.seed, self.params.folds);
            (0..texts.len() as u64)
                .map(|i| fold_of(first + i, seed, folds))
                .collect()
        } else {
            Vec::new()
        };
        self.counts.grow_features(self.index.len());
        self.counts.learn_rows(&rows, labels, known, &folds);
        self.summary.rows += texts.len() as u64;
        if self.spill.is_some() {
            let n = self.params.labels.len();
            for (i, row) in rows.iter().enumerate() {
                let at = i * n..(i + 1) * n;
                self.keep_row(row, &labels[at.clone()], known.map(|k| &k[at]));
            }
        }
        drop(rows);
        self.count_positives(labels, known);
        let mut chunks = chunks;
        chunks.append(&mut self.chunks);
        self.chunks = chunks;
        Ok(())
    }

    fn score_batch(
        &mut self,
        texts: &(impl Texts + ?Sized),
        labels: &[bool],
        known: Option<&[bool]>,
    ) -> Result<()> {
        let n = self.params.labels.len();
        self.check_batch(texts.len(), labels.len(), known)?;
        if self.second.is_none() {
            self.start_second_pass()?;
        }
        if self.second.as_ref().is_some_and(|s| s.linear.is_some()) {
            return self.learn_linear_batch(texts, labels, known);
        }
        let (seed, folds) = (self.params.seed, self.params.folds);
        let second = self.second.as_ref().expect("started above");
        let first = second.rows;
        let mut wanted = Vec::with_capacity(texts.len());
        second.wanted(texts.len(), known, &mut wanted);
        let mut chunks = std::mem::take(&mut self.chunks);
        chunks.resize_with(
            chunks.len().max(texts.len().div_ceil(CHUNK_ROWS)),
            Chunk::default,
        );
        // Each row's log-odds under the model of its fold (the models are read-only); features
        // not seen in the first pass are dropped, as `featurize` drops them.
        chunks[..texts.len().div_ceil(CHUNK_ROWS)]
            .par_iter_mut()
            .enumerate()
            .for_each(|(c, chunk)| {
                let rows = c * CHUNK_ROWS..texts.len().min((c + 1) * CHUNK_ROWS);
                // Only rows whose scores stay in the reservoir to the end are worth featurizing;
                // the others hold their places with the bias alone, overwritten before the end.
                let survives = |i: usize| wanted[i];
                chunk.featurize(self, texts, rows.clone(), survives);
                chunk.z.clear();
                chunk.z.resize(rows.len() * n, 0.0);
                for (r, i) in rows.enumerate() {
                    let model = &second.models[fold_of(first + i as u64, seed, folds)];
                    let z = &mut chunk.z[r * n..(r + 1) * n];
                    model.log_odds(row(&chunk.entries, &chunk.ends, r), z);
                }
            });
        let second = self.second.as_mut().expect("started above");
        for (i, z) in chunks
            .iter()
            .flat_map(|chunk| chunk.z.chunks_exact(n))
            .take(texts.len())
            .enumerate()
        {
            second.log_odds.copy_from_slice(z);
            let at = i * n..(i + 1) * n;
            second.keep(seed, &labels[at.clone()], known.map(|k| &k[at]));
            second.rows += 1;
        }
        self.chunks = chunks;
        Ok(())
    }

    /// An NB-LR epoch's batch: featurized in parallel, then learned in order, block by block.
    fn learn_linear_batch(
        &mut self,
        texts: &(impl Texts + ?Sized),
        labels: &[bool],
        known: Option<&[bool]>,
    ) -> Result<()> {
        let n = self.params.labels.len();
        let chunks = self.featurize_chunks(texts);
        for (i, row_labels) in labels.chunks_exact(n).enumerate() {
            self.advance_epoch()?;
            let chunk = &chunks[i / CHUNK_ROWS];
            let row_known = known.map(|k| &k[i * n..(i + 1) * n]);
            self.push_linear_row(chunk.row(i % CHUNK_ROWS), row_labels, row_known);
        }
        let mut chunks = chunks;
        chunks.append(&mut self.chunks);
        self.chunks = chunks;
        Ok(())
    }

    /// Each row of `texts` featurized against the vocabulary as it stands, in parallel, into
    /// chunks of [`CHUNK_ROWS`] rows taken from `self.chunks` (the caller puts them back).
    fn featurize_chunks(&mut self, texts: &(impl Texts + ?Sized)) -> Vec<Chunk> {
        let n_chunks = texts.len().div_ceil(CHUNK_ROWS);
        let mut chunks = std::mem::take(&mut self.chunks);
        chunks.resize_with(chunks.len().max(n_chunks), Chunk::default);
        let spare = chunks.split_off(n_chunks);
        self.chunks = spare;
        let trainer = &*self;
        chunks.par_iter_mut().enumerate().for_each(|(c, chunk)| {
            chunk.featurize(
                trainer,
                texts,
                c * CHUNK_ROWS..texts.len().min((c + 1) * CHUNK_ROWS),
                |_| true,
            )
        });
        chunks
    }

    fn check_batch(&self, texts: usize, labels: usize, known: Option<&[bool]>) -> Result<()> {
        if labels == texts * self.params.labels.len() && known.is_none_or(|k| k.len() == labels) {
            Ok(())
        } else {
            Err(Error::InvalidParam {
                name: "label values",
                value: labels.to_string(),
                reason: "one value per label per comment is needed",
            })
        }
    }
}
