//! The first pass's counts: the total and one table per fold, laid out for learning fast.

use crate::error::Result;
use crate::nb::Counts;

/// The total [`Counts`] and, when tuning, one per fold, as training builds them: each table is
/// feature-major with a feature's document frequency next to its value sums, so learning a row
/// touches one stretch of memory per feature in the total and one in the row's fold, where
/// [`Counts`] keeps document frequencies apart. Every sum gets the same additions in the same
/// order as [`Counts::update`], so the tables convert to exactly the counts it would build.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FoldCounts {
    n_labels: usize,
    /// `1 + 2 × n_labels`: a feature's document frequency, then its value sums by label and class.
    width: usize,
    n_features: usize,
    /// The total, then each fold's: `tables[t][f * width]` is feature `f`'s document frequency
    /// and `tables[t][f * width + 1 + l * 2 + class]` its summed values.
    tables: Vec<Vec<f64>>,
    /// Rows per table, label and class: `docs[t][l * 2 + class]`.
    docs: Vec<Vec<f64>>,
    /// Rows per table, whatever labels they carry (see [`Counts::rows`]).
    rows: Vec<f64>,
}

impl FoldCounts {
    /// Empty counts for `n_labels` labels: the total and `folds` fold tables (0 for none).
    pub(crate) fn new(n_labels: usize, folds: usize) -> Self {
        FoldCounts {
            n_labels,
            width: 1 + 2 * n_labels,
            n_features: 0,
            tables: vec![Vec::new(); 1 + folds],
            docs: vec![vec![0.0; 2 * n_labels]; 1 + folds],
            rows: vec![0.0; 1 + folds],
        }
    }

    /// Number of labels.
    pub(crate) fn n_labels(&self) -> usize {
        self.n_labels
    }

    /// Rows that carry label `l`'s value.
    pub(crate) fn label_rows(&self, l: usize) -> f64 {
        self.docs[0][l * 2] + self.docs[0][l * 2 + 1]
    }

    /// Number of fold tables.
    pub(crate) fn folds(&self) -> usize {
        self.tables.len() - 1
    }

    /// Makes room for features up to `n` (new ones start at zero).
    pub(crate) fn grow_features(&mut self, n: usize) {
        if n > self.n_features {
            self.n_features = n;
            for table in &mut self.tables {
                table.resize(n * self.width, 0.0);
            }
        }
    }

    /// Adds one row of distinct `(feature, value)` pairs to the total and, if it has one, to its
    /// fold's table; `known` (`None`: all) says which labels' values it carries.
    pub(crate) fn learn(
        &mut self,
        row: &[(u32, f64)],
        labels: &[bool],
        known: Option<&[bool]>,
        fold: Option<usize>,
    ) {
        debug_assert_eq!(labels.len(), self.n_labels);
        self.learn_table(0, row, labels, known);
        if let Some(fold) = fold {
            self.learn_table(1 + fold, row, labels, known);
        }
    }

    fn learn_table(
        &mut self,
        t: usize,
        row: &[(u32, f64)],
        labels: &[bool],
        known: Option<&[bool]>,
    ) {
        self.rows[t] += 1.0;
        learn_table(
            &mut self.tables[t],
            &mut self.docs[t],
            self.width,
            row,
            labels,
            known,
        );
    }

    /// As [`learn`](Self::learn) for each of `rows` in turn, with `labels` (and `known`, when
    /// some are not) holding each row's label values in turn and `folds` each row's fold (empty
    /// without fold tables). The tables are filled in parallel on rayon's current pool, each by
    /// one thread walking the rows in order, so every sum is the same whatever the number of
    /// threads.
    pub(crate) fn learn_rows(
        &mut self,
        rows: &[&[(u32, f64)]],
        labels: &[bool],
        known: Option<&[bool]>,
        folds: &[usize],
    ) {
        use rayon::prelude::*;
        let (n, width) = (self.n_labels, self.width);
        debug_assert_eq!(labels.len(), rows.len() * n);
        debug_assert!(known.is_none_or(|k| k.len() == labels.len()));
        debug_assert!(folds.len() == rows.len() || self.folds() == 0);
        // The total gets every row, each fold table a share: with two threads, one fills the
        // total while the other fills the folds.
        self.tables
            .par_iter_mut()
            .zip(&mut self.docs)
            .zip(&mut self.rows)
            .enumerate()
            .with_max_len(1)
            .for_each(|(t, ((table, docs), count))| {
                for (i, row) in rows.iter().enumerate() {
                    if t == 0 || folds[i] + 1 == t {
                        *count += 1.0;
                        let at = i * n..(i + 1) * n;
                        let known = known.map(|k| &k[at.clone()]);
                        learn_table(table, docs, width, row, &labels[at], known);
                    }
                }
            });
    }

    /// Rows containing feature `f`, over all rows.
    pub(crate) fn df(&self, f: usize) -> f64 {
        self.tables[0][f * self.width]
    }

    /// Checks every label has rows of both classes, as [`Counts::check_classes`].
    pub(crate) fn check_classes(&self, labels: &[String]) -> Result<()> {
        Counts::from_parts(
            self.n_labels,
            Vec::new(),
            self.docs[0].clone(),
            Vec::new(),
            self.rows[0],
        )
        .expect("docs has two entries per label")
        .check_classes(labels)
    }

    /// The counts of every row but fold `fold`'s: the total minus the fold, entry by entry, as
    /// [`Counts::minus`] computes it.
    pub(crate) fn without_fold(&self, fold: usize) -> Counts {
        let t = 1 + fold;
        let mut values = Vec::with_capacity(self.n_features * 2 * self.n_labels);
        let mut df = Vec::with_capacity(self.n_features);
        for (all, out) in self.tables[0]
            .chunks_exact(self.width)
            .zip(self.tables[t].chunks_exact(self.width))
        {
            df.push(all[0] - out[0]);
            values.extend(all[1..].iter().zip(&out[1..]).map(|(a, b)| a - b));
        }
        let docs = self.docs[0]
            .iter()
            .zip(&self.docs[t])
            .map(|(a, b)| a - b)
            .collect();
        Counts::from_parts(self.n_labels, values, docs, df, self.rows[0] - self.rows[t])
            .expect("the tables are laid out for n_labels labels")
    }

    /// The counts of every row, features reordered: new feature `i` is old feature `order[i]`.
    pub(crate) fn total(&self, order: impl IntoIterator<Item = u32>) -> Counts {
        let table = &self.tables[0];
        let mut values = Vec::with_capacity(self.n_features * 2 * self.n_labels);
        let mut df = Vec::with_capacity(self.n_features);
        for f in order {
            let feature = &table[f as usize * self.width..][..self.width];
            df.push(feature[0]);
            values.extend(feature[1..].iter().copied());
        }
        Counts::from_parts(
            self.n_labels,
            values,
            self.docs[0].clone(),
            df,
            self.rows[0],
        )
        .expect("the tables are laid out for n_labels labels")
    }
}

/// Adds one row to a table and its row counts (see [`FoldCounts`]); a label not `known` gets
/// nothing from it, though the row's features still count in the document frequencies.
fn learn_table(
    table: &mut [f64],
    docs: &mut [f64],
    width: usize,
    row: &[(u32, f64)],
    labels: &[bool],
    known: Option<&[bool]>,
) {
    if let Some(known) = known.filter(|k| k.contains(&false)) {
        return learn_table_partial(table, docs, width, row, labels, known);
    }
    for (l, &positive) in labels.iter().enumerate() {
        docs[l * 2 + usize::from(positive)] += 1.0;
    }
    // The row's features are scattered over a table larger than the caches: ask for them all
    // first, so that the misses overlap.
    for &(f, _) in row {
        crate::nblr::prefetch(&table[f as usize * width..]);
    }
    for &(f, x) in row {
        let feature = &mut table[f as usize * width..][..width];
        feature[0] += 1.0;
        for (l, &positive) in labels.iter().enumerate() {
            feature[1 + l * 2 + usize::from(positive)] += x;
        }
    }
}

/// [`learn_table`] for a row lacking some labels: kept apart so complete rows, the usual case,
/// take the plain loop.
fn learn_table_partial(
    table: &mut [f64],
    docs: &mut [f64],
    width: usize,
    row: &[(u32, f64)],
    labels: &[bool],
    known: &[bool],
) {
    let carried = || {
        labels
            .iter()
            .zip(known)
            .enumerate()
            .filter(|(_, (_, &k))| k)
            .map(|(l, (&positive, _))| l * 2 + usize::from(positive))
    };
    for at in carried() {
        docs[at] += 1.0;
    }
    for &(f, x) in row {
        let feature = &mut table[f as usize * width..][..width];
        feature[0] += 1.0;
        for at in carried() {
            feature[1 + at] += x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_convert_to_the_counts_update_builds() {
        type Row = (Vec<(u32, f64)>, [bool; 2]);
        let rows: Vec<Row> = (0..200u32)
            .map(|i| {
                let row = (0..i % 7)
                    .map(|j| ((i * 13 + j * 5) % 31, 0.1 + f64::from(i * j % 11) / 7.0))
                    .collect::<Vec<_>>();
                (row, [i % 3 == 0, i % 5 == 1])
            })
            .collect();
        let mut fused = FoldCounts::new(2, 3);
        let mut total = Counts::new(2);
        let mut folds = vec![Counts::new(2); 3];
        for (i, (row, labels)) in rows.iter().enumerate() {
            let n = row.iter().map(|&(f, _)| f as usize + 1).max().unwrap_or(0);
            fused.grow_features(n);
            fused.learn(row, labels, None, Some(i % 3));
            total.grow_features(n);
            total.update(row, labels, 1.0);
            folds[i % 3].grow_features(n);
            folds[i % 3].update(row, labels, 1.0);
        }
        // Fold tables cover every feature; the reference's stop at the fold's last one.
        total.grow_features(31);
        for fold in &mut folds {
            fold.grow_features(31);
        }
        fused.grow_features(31);
        assert_eq!(fused.total(0..31), total);
        for (k, fold) in folds.iter().enumerate() {
            assert_eq!(fused.without_fold(k), total.minus(fold));
        }
        let order = [30, 2, 7, 0];
        let permuted = fused.total(order);
        for (new, &old) in order.iter().enumerate() {
            assert_eq!(permuted.df(new), total.df(old as usize));
            for (l, class) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                assert_eq!(
                    permuted.value(new, l, class),
                    total.value(old as usize, l, class)
                );
            }
        }
        assert_eq!(fused.df(4), total.df(4));

        let mut batched = FoldCounts::new(2, 3);
        batched.grow_features(31);
        let refs: Vec<&[(u32, f64)]> = rows.iter().map(|(row, _)| row.as_slice()).collect();
        let labels: Vec<bool> = rows.iter().flat_map(|(_, l)| *l).collect();
        let folds: Vec<usize> = (0..rows.len()).map(|i| i % 3).collect();
        for at in (0..rows.len()).step_by(64) {
            let end = rows.len().min(at + 64);
            batched.learn_rows(
                &refs[at..end],
                &labels[at * 2..end * 2],
                None,
                &folds[at..end],
            );
        }
        assert_eq!(batched, fused);
    }
}
