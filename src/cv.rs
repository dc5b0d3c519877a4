//! Cross-validation: k folds, stratified by label pattern or grouped (no group is split).
//!
//! Every comment is featurized once. Because naive Bayes is counts, fold `f`'s model is the
//! total minus fold `f`'s counts; its thresholds and calibration come from out-of-fold scores
//! over its own training rows only (inner folds, as `train` makes them), never from fold `f`.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::metrics::{binary_metrics, ordered_map, BinaryMetrics};
use crate::nb::{Counts, Weights};
use crate::nblr::{BlockRow, LinearFit, BLOCK_ROWS};
use crate::train::{fold_error, fold_of, splitmix64, tuning_fold_error, Tuned, ValidTrainParams};

/// One labeled comment for cross-validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvRow {
    /// The comment.
    pub text: String,
    /// Label values, in the order of the parameters' labels.
    pub labels: Vec<bool>,
    /// Whether each label's value is known (empty: all are): a row lacking a label is neither
    /// trained nor measured on it.
    pub known: Vec<bool>,
    /// Its group (a thread, video or article), when folds are grouped.
    pub group: Option<String>,
}

impl CvRow {
    /// Whether the row carries label `l`'s value.
    fn carries(&self, l: usize) -> bool {
        self.known.get(l).is_none_or(|&k| k)
    }

    /// The known flags when some label is not known.
    fn partial(&self) -> Option<&[bool]> {
        self.known.contains(&false).then_some(self.known.as_slice())
    }
}

/// How folds are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvOptions {
    /// Number of folds; with groups and no number, one fold per group when there are at most
    /// [`MAX_GROUP_FOLDS`] groups, else 5.
    pub folds: Option<u32>,
    /// Seed of the shuffles.
    pub seed: u64,
}

/// With up to this many groups and no `folds`, each group is its own fold (leave one out).
pub const MAX_GROUP_FOLDS: usize = 10;

/// Mean and spread of one metric over the folds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stat {
    /// Mean over the folds where the metric is defined.
    pub mean: f64,
    /// Population standard deviation over those folds.
    pub std: f64,
    /// The per-fold values (`None` where undefined, e.g. ROC AUC without positives).
    pub folds: Vec<Option<f64>>,
}

impl Stat {
    fn new(values: Vec<Option<f64>>) -> Stat {
        let defined: Vec<f64> = values.iter().flatten().copied().collect();
        let n = defined.len().max(1) as f64;
        let mean = defined.iter().sum::<f64>() / n;
        let var = defined.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        // Nothing defined: no mean and no spread (NaN, `null` in JSON), where the spread came
        // out as -0.
        let (mean, std) = if defined.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (mean, var.sqrt())
        };
        Stat {
            mean,
            std,
            folds: values,
        }
    }
}

/// Cross-validated metrics; serializes as
/// `{"folds":5,"rows":N,"labels":{"spam":{"f1":{"mean":..,"std":..,"folds":[..]},...}}}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvReport {
    /// Number of folds.
    pub folds: u32,
    /// Rows.
    pub rows: u64,
    /// The groups each fold held out, in fold order (the order of every metric's `folds`),
    /// each fold's in order of first appearance; empty when folds are stratified.
    pub fold_groups: Vec<Vec<String>>,
    /// Per label, per metric.
    #[serde(serialize_with = "ordered_map")]
    pub labels: Vec<(String, CvLabel)>,
}

/// One label's cross-validated metrics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CvLabel {
    /// The threshold each fold's model picked.
    pub threshold: Stat,
    /// Accuracy.
    pub accuracy: Stat,
    /// Precision.
    pub precision: Stat,
    /// Recall.
    pub recall: Stat,
    /// F1.
    pub f1: Stat,
    /// ROC AUC.
    pub roc_auc: Stat,
    /// PR AUC (average precision).
    pub pr_auc: Stat,
    /// Log loss.
    pub log_loss: Stat,
    /// Expected calibration error.
    pub ece: Stat,
}

/// Runs cross-validation of `params` on `rows`.
pub fn cross_validate(
    params: &ValidTrainParams,
    rows: &[CvRow],
    opts: &CvOptions,
) -> Result<CvReport> {
    let n_labels = params.labels().len();
    let (assignment, fold_groups) = assign_folds(rows, opts)?;
    let k = assignment.iter().max().map_or(0, |&f| f + 1);
    let k32 = k as u32;

    // Featurize once, over a vocabulary of every row (a fold model gives weight 0 to features
    // its training rows never had, so the shared column numbering leaks nothing).
    let mut trainer = params.trainer();
    let mut features: Vec<Vec<(u32, f64)>> = Vec::with_capacity(rows.len());
    for r in rows {
        if r.labels.len() != n_labels || !(r.known.is_empty() || r.known.len() == n_labels) {
            return Err(Error::InvalidParam {
                name: "label values",
                value: r.labels.len().to_string(),
                reason: "one value (and at most one known flag) per label is needed",
            });
        }
        features.push(trainer.featurize_row(&r.text).to_vec());
    }
    if let Some(l) = (0..n_labels).find(|&l| !rows.iter().any(|r| r.carries(l))) {
        return Err(Error::NoLabelRows {
            label: params.labels()[l].clone(),
        });
    }
    let n_features = trainer.n_features();
    let table = |which: &dyn Fn(usize) -> bool| {
        let mut c = Counts::new(n_labels);
        c.grow_features(n_features);
        for (i, r) in rows.iter().enumerate() {
            if which(i) {
                match r.partial() {
                    Some(known) => c.update_partial(&features[i], &r.labels, known, 1.0),
                    None => c.update(&features[i], &r.labels, 1.0),
                }
            }
        }
        c
    };

    let mut per_fold: Vec<Vec<Option<BinaryMetrics>>> = vec![Vec::new(); n_labels];
    for f in 0..k {
        let train = table(&|i| assignment[i] != f);
        let inner_k = params.folds();
        let inner = |i: usize| fold_of(i as u64, opts.seed, inner_k);
        let (model, tuned) = if let Some(&lp) = params.linear() {
            // NB-LR: ratios from this fold's training counts (and, for tuning, each inner
            // fold's), the linear models fitted on the training rows in the order `train` reads.
            let tuning = params.needs_tuning();
            let ratio = params.nb().ratio_params();
            let mut ratios = Vec::new();
            if tuning {
                for j in 0..inner_k as usize {
                    let held = table(&|i| assignment[i] != f && inner(i) == j);
                    ratios.push(
                        Weights::from_counts(&ratio, &train.minus(&held), params.labels())
                            .map_err(|e| tuning_fold_error(Some((f, k32)), j, inner_k, e))?,
                    );
                }
            }
            let full = Weights::from_counts(&ratio, &train, params.labels())
                .map_err(|e| fold_error(f, k32, e))?;
            ratios.push(full.clone());
            let mut fit = LinearFit::new(lp, ratios);
            let train_rows: Vec<usize> = (0..rows.len()).filter(|&i| assignment[i] != f).collect();
            let (mut z, mut y) = (vec![Vec::new(); n_labels], vec![Vec::new(); n_labels]);
            let mut oof = Vec::new();
            for epoch in 0..lp.n_epochs() {
                let last = epoch + 1 == lp.n_epochs();
                for (b, block) in train_rows.chunks(BLOCK_ROWS).enumerate() {
                    let batch: Vec<BlockRow<'_>> = block
                        .iter()
                        .map(|&i| BlockRow {
                            features: &features[i],
                            labels: &rows[i].labels,
                            known: rows[i].partial(),
                            fold: tuning.then(|| inner(i)),
                            want: last && tuning,
                        })
                        .collect();
                    fit.block(&batch, (u64::from(epoch) << 40) ^ b as u64, &mut oof);
                    if last && tuning {
                        for (r, &i) in block.iter().enumerate() {
                            for l in (0..n_labels).filter(|&l| rows[i].carries(l)) {
                                z[l].push(oof[r * n_labels + l]);
                                y[l].push(rows[i].labels[l]);
                            }
                        }
                    }
                }
            }
            let tuned = if tuning {
                params.tune(&z, &y)
            } else {
                params.untuned()
            };
            let order: Vec<u32> = (0..n_features as u32).collect();
            (fit.finish(&order).apply(&full), tuned)
        } else {
            let model = Weights::from_counts(params.nb(), &train, params.labels())
                .map_err(|e| fold_error(f, k32, e))?;
            // Inner out-of-fold scores over this fold's training rows only.
            let tuned = if params.needs_tuning() {
                let mut z = vec![Vec::new(); n_labels];
                let mut y = vec![Vec::new(); n_labels];
                let mut out = vec![0.0; n_labels];
                for j in 0..inner_k as usize {
                    let held = table(&|i| assignment[i] != f && inner(i) == j);
                    let inner_model =
                        Weights::from_counts(params.nb(), &train.minus(&held), params.labels())
                            .map_err(|e| tuning_fold_error(Some((f, k32)), j, inner_k, e))?;
                    for (i, r) in rows.iter().enumerate() {
                        if assignment[i] != f && inner(i) == j {
                            inner_model.log_odds(&features[i], &mut out);
                            for l in (0..n_labels).filter(|&l| r.carries(l)) {
                                z[l].push(out[l]);
                                y[l].push(r.labels[l]);
                            }
                        }
                    }
                }
                params.tune(&z, &y)
            } else {
                params.untuned()
            };
            (model, tuned)
        };
        score_fold(
            &model,
            &tuned,
            f,
            &assignment,
            rows,
            &features,
            &mut per_fold,
        );
    }

    let labels = params
        .labels()
        .iter()
        .zip(per_fold)
        .map(|(name, folds)| {
            // A fold holding no row that carries the label has no metrics for it.
            let stat = |get: fn(&BinaryMetrics) -> Option<f64>| {
                Stat::new(folds.iter().map(|m| m.as_ref().and_then(get)).collect())
            };
            let label = CvLabel {
                threshold: stat(|m| Some(m.threshold)),
                accuracy: stat(|m| Some(m.accuracy)),
                // Undefined, not 0, where the fold flagged nothing (precision) or held no
                // positive (recall, F1): with one row a fold, leave-one-out averaged those
                // zeros into F1 0.49 at an accuracy of 0.974.
                precision: stat(|m| (m.tp + m.fp > 0).then_some(m.precision)),
                recall: stat(|m| (m.tp + m.fn_ > 0).then_some(m.recall)),
                f1: stat(|m| (m.tp + m.fn_ > 0).then_some(m.f1)),
                roc_auc: stat(|m| m.roc_auc),
                pr_auc: stat(|m| m.pr_auc),
                log_loss: stat(|m| Some(m.log_loss)),
                ece: stat(|m| Some(m.ece)),
            };
            (name.clone(), label)
        })
        .collect();
    Ok(CvReport {
        folds: k32,
        rows: rows.len() as u64,
        fold_groups,
        labels,
    })
}

/// Scores the held-out fold `f` with its model and tuning, adding each label's metrics.
fn score_fold(
    model: &Weights,
    tuned: &Tuned,
    f: usize,
    assignment: &[usize],
    rows: &[CvRow],
    features: &[Vec<(u32, f64)>],
    per_fold: &mut [Vec<Option<BinaryMetrics>>],
) {
    let n_labels = per_fold.len();
    let mut z = vec![Vec::new(); n_labels];
    let mut p = vec![Vec::new(); n_labels];
    let mut y = vec![Vec::new(); n_labels];
    let mut out = vec![0.0; n_labels];
    for (i, r) in rows.iter().enumerate() {
        if assignment[i] == f {
            model.log_odds(&features[i], &mut out);
            for l in (0..n_labels).filter(|&l| r.carries(l)) {
                z[l].push(out[l]);
                p[l].push(tuned.calibration[l].apply(out[l]));
                y[l].push(r.labels[l]);
            }
        }
    }
    for l in 0..n_labels {
        per_fold[l].push(
            (!y[l].is_empty()).then(|| binary_metrics(&z[l], &p[l], &y[l], tuned.thresholds[l])),
        );
    }
}

/// Each row's fold, and the groups each fold holds in order of first appearance (none when
/// folds are stratified).
type Folds = (Vec<usize>, Vec<Vec<String>>);

/// Each row's fold: grouped when rows carry groups, else stratified by label pattern.
fn assign_folds(rows: &[CvRow], opts: &CvOptions) -> Result<Folds> {
    if rows.is_empty() {
        return Err(Error::InvalidParam {
            name: "rows",
            value: "0".into(),
            reason: "cross-validation needs rows",
        });
    }
    let grouped = rows.iter().any(|r| r.group.is_some());
    if grouped {
        // Groups in order of first appearance.
        let mut names: Vec<&str> = Vec::new();
        let mut of_row = Vec::with_capacity(rows.len());
        let mut position = std::collections::HashMap::new();
        for r in rows {
            let g = r.group.as_deref().unwrap_or("");
            let id = *position.entry(g).or_insert_with(|| {
                names.push(g);
                names.len() - 1
            });
            of_row.push(id);
        }
        let n_groups = names.len();
        let k = match opts.folds {
            Some(k) => k as usize,
            None if n_groups <= MAX_GROUP_FOLDS => n_groups,
            None => 5,
        };
        check_folds(k, n_groups, "groups")?;
        let mut sizes = vec![0usize; n_groups];
        of_row.iter().for_each(|&g| sizes[g] += 1);
        // Largest groups first (ties in a seeded order), each to the emptiest fold.
        let mut order: Vec<usize> = (0..n_groups).collect();
        order.sort_by_key(|&g| {
            (
                std::cmp::Reverse(sizes[g]),
                splitmix64(opts.seed ^ g as u64),
            )
        });
        let mut fold_rows = vec![0usize; k];
        let mut fold_of_group = vec![0usize; n_groups];
        for g in order {
            let f = (0..k).min_by_key(|&f| (fold_rows[f], f)).expect("k >= 2");
            fold_of_group[g] = f;
            fold_rows[f] += sizes[g];
        }
        let mut fold_groups = vec![Vec::new(); k];
        for (g, name) in names.iter().enumerate() {
            fold_groups[fold_of_group[g]].push((*name).to_owned());
        }
        return Ok((
            of_row.iter().map(|&g| fold_of_group[g]).collect(),
            fold_groups,
        ));
    }
    let k = opts.folds.unwrap_or(5) as usize;
    check_folds(k, rows.len(), "rows")?;
    // Strata: rows with the same label values (and the same labels carried), shuffled, dealt
    // round-robin with a running offset so fold sizes stay within one of each other.
    let mut strata: std::collections::BTreeMap<Vec<Option<bool>>, Vec<usize>> = Default::default();
    for (i, r) in rows.iter().enumerate() {
        let pattern = (0..r.labels.len())
            .map(|l| r.carries(l).then_some(r.labels[l]))
            .collect();
        strata.entry(pattern).or_default().push(i);
    }
    let mut folds = vec![0usize; rows.len()];
    let mut next = 0usize;
    for members in strata.values_mut() {
        shuffle(members, opts.seed);
        for &i in members.iter() {
            folds[i] = next % k;
            next += 1;
        }
    }
    // A comment that repeats goes to the fold of its first appearance: one copy trained on and
    // the other held out, a model is measured on a comment it learned (every row of a YouTube
    // file written twice gave F1 1.000 in every fold, against 0.986 once).
    let mut first = std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let at = *first.entry(r.text.as_str()).or_insert(i);
        folds[i] = folds[at];
    }
    Ok((folds, Vec::new()))
}

fn check_folds(k: usize, available: usize, what: &'static str) -> Result<()> {
    if k < 2 || k > available {
        return Err(Error::InvalidParam {
            name: "folds",
            value: format!("{k} (with {available} {what})"),
            reason: "need at least 2 folds and no more folds than groups or rows",
        });
    }
    Ok(())
}

/// Fisher-Yates with SplitMix64, so the shuffle is the same everywhere for a seed.
fn shuffle(items: &mut [usize], seed: u64) {
    let mut state = seed;
    for i in (1..items.len()).rev() {
        state = splitmix64(state);
        let j = (state % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row with a comment of its own: repeated comments share a fold.
    fn row(labels: &[bool], group: Option<&str>) -> CvRow {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        CvRow {
            text: format!("comment {n}"),
            labels: labels.to_vec(),
            known: Vec::new(),
            group: group.map(str::to_owned),
        }
    }

    #[test]
    fn a_repeated_comment_is_held_out_with_its_first_appearance() {
        let mut rows: Vec<CvRow> = (0..40).map(|i| row(&[i % 4 == 0], None)).collect();
        for i in 0..10 {
            let mut copy = rows[i * 3].clone();
            copy.labels[0] = !copy.labels[0];
            rows.push(copy);
        }
        let opts = CvOptions {
            folds: Some(4),
            seed: 7,
        };
        let folds = assign_folds(&rows, &opts).unwrap().0;
        for i in 0..10 {
            assert_eq!(folds[40 + i], folds[i * 3], "copy of row {}", i * 3);
        }
    }

    #[test]
    fn stratified_folds_balance_each_label_pattern() {
        let rows: Vec<CvRow> = (0..50).map(|i| row(&[i % 5 == 0], None)).collect();
        let folds = assign_folds(
            &rows,
            &CvOptions {
                folds: Some(5),
                seed: 3,
            },
        )
        .unwrap()
        .0;
        for f in 0..5 {
            let members: Vec<usize> = (0..50).filter(|&i| folds[i] == f).collect();
            assert_eq!(members.len(), 10);
            assert_eq!(members.iter().filter(|&&i| rows[i].labels[0]).count(), 2);
        }
        let again = assign_folds(
            &rows,
            &CvOptions {
                folds: Some(5),
                seed: 3,
            },
        )
        .unwrap()
        .0;
        assert_eq!(folds, again, "deterministic for a seed");
    }

    /// A label a row does not carry is never read: the report is the same whatever value
    /// stands in its place, and the rows that carry it are the only ones measured on it.
    #[test]
    fn cv_never_reads_the_value_of_a_label_a_row_lacks() {
        let rows = |flip: bool| -> Vec<CvRow> {
            (0..400)
                .map(|i| {
                    let known = if i % 2 == 0 {
                        [true, false]
                    } else {
                        [false, true]
                    };
                    let y = [i % 5 < 2, i % 3 == 0];
                    CvRow {
                        text: format!("w{} x{} y{} z{}", i % 5, i % 3, i % 11, i % 7),
                        labels: vec![y[0] ^ (flip && !known[0]), y[1] ^ (flip && !known[1])],
                        known: known.to_vec(),
                        group: None,
                    }
                })
                .collect()
        };
        let opts = CvOptions {
            folds: Some(3),
            seed: 1,
        };
        for linear in [None, Some(crate::LinearParams::new())] {
            let params = crate::TrainParams::new(["spam", "toxic"])
                .linear(linear)
                .check()
                .unwrap();
            let report = cross_validate(&params, &rows(false), &opts).unwrap();
            let flipped = cross_validate(&params, &rows(true), &opts).unwrap();
            assert_eq!(
                serde_json::to_string(&report).unwrap(),
                serde_json::to_string(&flipped).unwrap()
            );
            assert_eq!(report.rows, 400);
            // Words give each label away on the rows that carry it.
            for (_, label) in &report.labels {
                assert!(label.roc_auc.mean > 0.99, "{:?}", label.roc_auc);
            }
        }
    }

    #[test]
    fn groups_stay_whole_and_few_groups_give_one_fold_each() {
        let rows: Vec<CvRow> = ["a", "b", "a", "c", "b", "c", "c"]
            .iter()
            .map(|g| row(&[true], Some(g)))
            .collect();
        let folds = assign_folds(
            &rows,
            &CvOptions {
                folds: None,
                seed: 0,
            },
        )
        .unwrap()
        .0;
        assert_eq!(folds.iter().max(), Some(&2));
        for (i, a) in rows.iter().enumerate() {
            for (j, b) in rows.iter().enumerate() {
                if a.group == b.group {
                    assert_eq!(folds[i], folds[j]);
                }
            }
        }
    }

    #[test]
    fn too_many_folds_is_an_error() {
        let rows = vec![row(&[true], Some("a")), row(&[false], Some("b"))];
        assert!(assign_folds(
            &rows,
            &CvOptions {
                folds: Some(3),
                seed: 0
            }
        )
        .is_err());
    }

    #[test]
    fn stat_mean_and_population_std() {
        let s = Stat::new(vec![Some(1.0), None, Some(3.0)]);
        assert_eq!((s.mean, s.std), (2.0, 1.0));
    }
}
