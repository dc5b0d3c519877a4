//! Counting a comment's feature keys for the scoring path.
//!
//! Log term weights and length normalization need each distinct feature's count before any
//! weight is read. Sorting the comment's keys to find them took a tenth of the scoring time; a
//! small open-addressing table, reused from comment to comment, takes less. (A table holding
//! the model's weights inline was tried as well, and lost to the `HashMap`: its control bytes
//! keep the lookups of unknown features, a third of all, in the L1 cache.)

/// Fibonacci hashing: spreads keys whose entropy sits in the low bits (hash buckets) as well
/// as full 64-bit hashes.
#[inline]
fn home(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// Bits of a table with room for `n` entries at a load factor of at most one half.
fn bits_for(n: usize) -> u32 {
    (n.max(8) * 2).next_power_of_two().trailing_zeros()
}

/// Counts the distinct keys of one comment, in first-seen order; reused from comment to
/// comment, so it allocates only while growing to the longest comment seen. (Counting the keys
/// as the analyzer yields them, growing the table on demand, took more instructions.)
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyCounts {
    /// `(key, count)` per slot; count 0 marks an empty slot.
    slots: Vec<(u64, u32)>,
    /// The occupied slots, in first-seen order.
    used: Vec<u32>,
}

impl KeyCounts {
    /// Counts `keys`; read the result with [`iter`](Self::iter).
    pub(crate) fn count(&mut self, keys: &[u64]) {
        for &i in &self.used {
            self.slots[i as usize].1 = 0;
        }
        self.used.clear();
        let bits = bits_for(keys.len());
        if self.slots.len() < 1 << bits {
            self.slots.resize(1 << bits, (0, 0));
        }
        // Only the first 2^bits slots, so a short comment after a long one stays in cache.
        let mask = (1 << bits) - 1;
        // Indexes masked into a slice of mask + 1 slots need no bounds checks.
        let slots = &mut self.slots[..=mask];
        for &key in keys {
            let mut i = home(key, 64 - bits) & mask;
            loop {
                let slot = &mut slots[i & mask];
                if slot.1 == 0 {
                    *slot = (key, 1);
                    self.used.push(i as u32);
                    break;
                }
                if slot.0 == key {
                    slot.1 += 1;
                    break;
                }
                i = (i + 1) & mask;
            }
        }
    }

    /// Each distinct key and how often it occurred, in first-seen order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.used.iter().map(|&i| self.slots[i as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn key_counts_match_a_hash_map_across_reuse() {
        let mut counts = KeyCounts::default();
        let comments: [&[u64]; 4] = [
            &[3, 1, 3, 0, 3, u64::MAX, 1],
            &[],
            &[42; 100],
            &[9, 8, 7, 8, 0, 0],
        ];
        for keys in comments {
            counts.count(keys);
            let mut expected: HashMap<u64, u32> = HashMap::new();
            let mut order = Vec::new();
            for &k in keys {
                *expected.entry(k).or_insert_with(|| {
                    order.push(k);
                    0
                }) += 1;
            }
            let got: Vec<(u64, u32)> = counts.iter().collect();
            let want: Vec<(u64, u32)> = order.iter().map(|k| (*k, expected[k])).collect();
            assert_eq!(got, want);
        }
    }
}
