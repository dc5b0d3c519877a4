//! Where each row's out-of-fold scores go in the second pass's reservoir sample, and which rows
//! are still there at the end.

use super::{splitmix64, OUT_OF_FOLD_SAMPLE};

/// Row `i`'s place in the reservoir (Vitter's algorithm R, with a fixed generator): appended as
/// slot `i` while the reservoir fills, then overwriting a uniformly drawn slot, or not kept.
/// It depends on the position and the seed only, never on the scores.
pub(super) fn slot(i: u64, seed: u64) -> Option<usize> {
    if (i as usize) < OUT_OF_FOLD_SAMPLE {
        return Some(i as usize);
    }
    let j = splitmix64(seed ^ 0xA5A5_5A5A ^ i) % (i + 1);
    usize::try_from(j).ok().filter(|&j| j < OUT_OF_FOLD_SAMPLE)
}

/// The rows whose scores are in the reservoir once all `rows` rows of the first pass are kept:
/// only these need scoring, every other row's scores being overwritten or never kept.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Survivors {
    rows: u64,
    seed: u64,
    /// Per slot, the last row kept there.
    last: Vec<u64>,
}

impl Survivors {
    pub(super) fn new(rows: u64, seed: u64) -> Self {
        let filled = rows.min(OUT_OF_FOLD_SAMPLE as u64);
        let mut last: Vec<u64> = (0..filled).collect();
        for i in filled..rows {
            if let Some(j) = slot(i, seed) {
                last[j] = i;
            }
        }
        Survivors { rows, seed, last }
    }

    /// Whether row `i`'s scores are in the final reservoir. Rows past the first pass's count
    /// are scored as usual (training then fails: the passes must read the same rows).
    pub(super) fn contains(&self, i: u64) -> bool {
        i >= self.rows || slot(i, self.seed).is_some_and(|j| self.last[j] == i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn survivors_are_the_rows_left_in_the_reservoir() {
        for rows in [
            10,
            OUT_OF_FOLD_SAMPLE as u64,
            3 * OUT_OF_FOLD_SAMPLE as u64 + 7,
        ] {
            let mut reservoir = Vec::new();
            for i in 0..rows {
                match slot(i, 5) {
                    Some(j) if j == reservoir.len() => reservoir.push(i),
                    Some(j) => reservoir[j] = i,
                    None => {}
                }
            }
            let survivors = Survivors::new(rows, 5);
            let kept: Vec<u64> = (0..rows).filter(|&i| survivors.contains(i)).collect();
            reservoir.sort_unstable();
            assert_eq!(kept, reservoir, "{rows} rows");
            assert!(survivors.contains(rows), "rows past the count are scored");
        }
    }
}
