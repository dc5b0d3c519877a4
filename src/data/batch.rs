//! Rows read ahead on a thread of their own and handed over in batches, so parsing (and hashing)
//! a file overlaps whatever the caller does with the rows already read.

use std::sync::mpsc;

use super::Record;
use crate::error::{Error, Result};

/// Batches read ahead and not yet taken: with the one being filled and the one being used, the
/// rows held at once stay a few batches whatever the size of the file.
pub const BATCHES_AHEAD: usize = 2;

/// Bytes of text at which a batch is handed over even if it has fewer rows than asked for:
/// with comments of up to [`MAX_COMMENT_BYTES`](crate::MAX_COMMENT_BYTES), a batch of rows
/// alone could hold gigabytes.
pub const BATCH_BYTES: usize = 32 << 20;

/// Rows of one batch: their texts in one buffer and their label values in row order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowBatch {
    text: String,
    ends: Vec<usize>,
    labels: Vec<bool>,
    /// Whether each label value is known, as `labels`; kept only once one is not (`partial`).
    known: Vec<bool>,
    partial: bool,
}

impl RowBatch {
    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The text of row `i`.
    pub fn text(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Every row's label values in turn, as [`Trainer::add_batch`](crate::Trainer::add_batch)
    /// takes them.
    pub fn labels(&self) -> &[bool] {
        &self.labels
    }

    /// Whether each of [`labels`](Self::labels) is known (see [`Record::known`]), or `None`
    /// when every one is.
    pub fn known(&self) -> Option<&[bool]> {
        self.partial.then_some(self.known.as_slice())
    }

    /// Appends a row's text, label values and whether each is known.
    pub fn push(&mut self, record: &Record) {
        self.text.push_str(&record.text);
        self.ends.push(self.text.len());
        // Complete rows, the usual case, keep no flags until a row lacks a label.
        if !self.partial && record.known.contains(&false) {
            self.partial = true;
            self.known.resize(self.labels.len(), true);
        }
        if self.partial {
            if record.known.len() == record.labels.len() {
                self.known.extend_from_slice(&record.known);
            } else {
                self.known
                    .resize(self.known.len() + record.labels.len(), true);
            }
        }
        self.labels.extend_from_slice(&record.labels);
    }

    /// Removes every row, keeping the buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.labels.clear();
        self.known.clear();
        self.partial = false;
    }
}

/// Runs `read` (a reader such as [`read_path`](crate::read_path), given the row callback) on a
/// thread of its own and hands its rows to `f` in order, in batches of `rows` rows (the last one
/// shorter). At most [`BATCHES_AHEAD`] full batches wait for `f`, so memory does not grow with
/// the input, and batch buffers are reused.
///
/// Returns what `read` returns; an error of `f` stops the reading and is returned instead.
///
/// ```
/// use commentguard::{read_batched, read_csv, InputOptions};
///
/// let csv = "text\nhello\nworld\nagain\n";
/// let mut seen = Vec::new();
/// let summary = read_batched(
///     2,
///     |each| read_csv(csv.as_bytes(), "t.csv", &InputOptions::default(), each),
///     |batch| {
///         seen.push((0..batch.len()).map(|i| batch.text(i).to_owned()).collect::<Vec<_>>());
///         Ok(())
///     },
/// )?;
/// assert_eq!(summary.rows, 3);
/// assert_eq!(seen, [vec!["hello", "world"], vec!["again"]]);
/// # Ok::<(), commentguard::Error>(())
/// ```
pub fn read_batched<T: Send>(
    rows: usize,
    read: impl FnOnce(&mut dyn FnMut(&Record) -> Result<()>) -> Result<T> + Send,
    mut f: impl FnMut(&RowBatch) -> Result<()>,
) -> Result<T> {
    let rows = rows.max(1);
    let (full, ready) = mpsc::sync_channel::<RowBatch>(BATCHES_AHEAD);
    let (recycle, used) = mpsc::channel::<RowBatch>();
    std::thread::scope(|s| {
        let reader = s.spawn(move || {
            let mut batch = RowBatch::default();
            let result = read(&mut |record| {
                batch.push(record);
                if batch.len() >= rows || batch.text.len() >= BATCH_BYTES {
                    let next = used.try_recv().unwrap_or_default();
                    full.send(std::mem::replace(&mut batch, next))
                        .map_err(|_| stopped())?;
                }
                Ok(())
            });
            if result.is_ok() && !batch.is_empty() {
                // A failed send means `f` failed, and its error is the one returned.
                let _ = full.send(batch);
            }
            result
        });
        let mut consumed = Ok(());
        for mut batch in ready.iter() {
            consumed = f(&batch);
            if consumed.is_err() {
                break;
            }
            batch.clear();
            // The reader may be done and gone; the buffer is then simply dropped.
            let _ = recycle.send(batch);
        }
        // Unblocks a reader waiting to send, whose next send then fails and stops it.
        drop(ready);
        let read = reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        consumed.and(read)
    })
}

/// What the reader's callback returns once the batches' consumer has stopped: never seen by
/// callers, who get the consumer's error instead.
fn stopped() -> Error {
    Error::io(
        "<batch reader>",
        std::io::Error::other("the consumer of the batches stopped"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{read_csv, InputOptions};

    fn csv(rows: usize) -> String {
        let mut s = String::from("text,spam\n");
        for i in 0..rows {
            s.push_str(&format!("row {i},{}\n", i % 2));
        }
        s
    }

    fn opts() -> InputOptions {
        InputOptions {
            labels: vec!["spam".parse().unwrap()],
            ..InputOptions::default()
        }
    }

    #[test]
    fn batches_hold_every_row_in_order() {
        let data = csv(1000);
        let mut texts = Vec::new();
        let mut labels = Vec::new();
        let summary = read_batched(
            64,
            |each| read_csv(data.as_bytes(), "t.csv", &opts(), each),
            |batch| {
                assert!(batch.len() <= 64 && !batch.is_empty());
                texts.extend((0..batch.len()).map(|i| batch.text(i).to_owned()));
                labels.extend_from_slice(batch.labels());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(summary.rows, 1000);
        let expected: Vec<String> = (0..1000).map(|i| format!("row {i}")).collect();
        assert_eq!(texts, expected);
        assert_eq!(labels, (0..1000).map(|i| i % 2 == 1).collect::<Vec<_>>());
    }

    /// Long comments are handed over before the batch has its rows: memory is bounded by
    /// bytes too.
    #[test]
    fn batches_are_cut_at_their_byte_bound() {
        let long = "x".repeat(BATCH_BYTES / 3 + 1);
        let data = format!("text,spam\n{long},1\n{long},0\n{long},1\n{long},0\nshort,1\n");
        let mut sizes = Vec::new();
        read_batched(
            1000,
            |each| read_csv(data.as_bytes(), "t.csv", &opts(), each),
            |batch| {
                sizes.push(batch.len());
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(sizes, [3, 2]);
    }

    #[test]
    fn a_read_error_comes_after_the_rows_before_it() {
        let data = "text,spam\na,1\nb,0\nc,maybe\nd,1\n";
        let mut seen = 0;
        let e = read_batched(
            1,
            |each| read_csv(data.as_bytes(), "t.csv", &opts(), each),
            |batch| {
                seen += batch.len();
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(seen, 2);
        assert!(e.to_string().starts_with("t.csv: line 4"), "{e}");
    }

    #[test]
    fn an_error_of_the_consumer_stops_the_reader_and_is_returned() {
        let data = csv(100_000);
        let mut calls = 0;
        let e = read_batched(
            10,
            |each| read_csv(data.as_bytes(), "t.csv", &opts(), each),
            |_| {
                calls += 1;
                Err(Error::EmptyInput {
                    file: "consumer".into(),
                })
            },
        )
        .unwrap_err();
        assert_eq!(calls, 1);
        assert_eq!(e.to_string(), "consumer: the file is empty");
    }
}
