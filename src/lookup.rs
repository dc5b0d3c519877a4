//! Hash tables for the scoring hot path, keyed by feature keys (already well-mixed hashes).
//!
//! Scoring looks up some 40 keys per comment, a third of them unknown to the model. A general
//! hash map costs three dependent cache lines per hit (control bytes, bucket, weights row); here
//! a slot holds the key and the weights side by side, so a lookup is usually one cache line,
//! and a per-comment count table replaces sorting the comment's keys.

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

/// An immutable open-addressing map from a feature's key to its weights, one per label.
///
/// Slot `i` is `width = 1 + labels` words of `data`: the key's bits, then the weights. Key 0
/// marks an empty slot, so a feature whose key is 0 is kept aside in `zero`.
#[derive(Debug, Clone, Default)]
pub(crate) struct WeightTable {
    data: Vec<f64>,
    width: usize,
    mask: usize,
    shift: u32,
    zero: Option<Box<[f64]>>,
}

impl WeightTable {
    /// A table of `labels` weights per key, from `(key, weights)` pairs with distinct keys.
    pub(crate) fn new<'a>(
        labels: usize,
        entries: impl ExactSizeIterator<Item = (u64, &'a [f64])>,
    ) -> WeightTable {
        let bits = bits_for(entries.len());
        let width = 1 + labels;
        let mut table = WeightTable {
            data: vec![0.0; width << bits],
            width,
            mask: (1 << bits) - 1,
            shift: 64 - bits,
            zero: None,
        };
        for (key, weights) in entries {
            debug_assert_eq!(weights.len(), labels);
            if key == 0 {
                table.zero = Some(weights.into());
                continue;
            }
            let mut i = home(key, table.shift);
            while table.data[i * width].to_bits() != 0 {
                debug_assert_ne!(table.data[i * width].to_bits(), key, "keys are distinct");
                i = (i + 1) & table.mask;
            }
            let slot = &mut table.data[i * width..(i + 1) * width];
            slot[0] = f64::from_bits(key);
            slot[1..].copy_from_slice(weights);
        }
        table
    }

    /// The weights of `key`, if the model knows it.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<&[f64]> {
        if key == 0 {
            return self.zero.as_deref();
        }
        let mut i = home(key, self.shift);
        loop {
            let slot = &self.data[i * self.width..(i + 1) * self.width];
            match slot[0].to_bits() {
                k if k == key => return Some(&slot[1..]),
                0 => return None,
                _ => i = (i + 1) & self.mask,
            }
        }
    }
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
    fn weight_table_finds_every_key_and_only_those() {
        // Keys crowded into few home slots (small buckets, and 0) force long probe runs.
        let keys: Vec<u64> = (0..500u64).chain([u64::MAX, 1 << 63]).collect();
        let weights: Vec<[f64; 2]> = keys.iter().map(|&k| [k as f64, -(k as f64)]).collect();
        let table = WeightTable::new(2, keys.iter().zip(&weights).map(|(&k, w)| (k, &w[..])));
        for (&k, w) in keys.iter().zip(&weights) {
            assert_eq!(table.get(k), Some(&w[..]), "key {k}");
        }
        for k in [500, 501, 10_000, u64::MAX - 1] {
            assert_eq!(table.get(k), None, "key {k}");
        }
        assert_eq!(WeightTable::new(1, std::iter::empty()).get(7), None);
        assert_eq!(WeightTable::new(1, std::iter::empty()).get(0), None);
    }

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
