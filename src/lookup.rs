//! Hash tables for the scoring path: counting a comment's feature keys, and finding their
//! weights.
//!
//! Log term weights and length normalization need each distinct feature's count before any
//! weight is read. Sorting the comment's keys to find them took a tenth of the scoring time; a
//! small open-addressing table, reused from comment to comment, takes less.
//!
//! A third of a comment's features are unknown to the model, and which third cannot be
//! predicted, so a lookup that branches on whether it found the key mispredicts often: with
//! `HashMap` those mispredictions were the largest share of the scoring path's. [`WeightTable`]
//! finds a key, or a row of zeros, without a branch.

/// Fibonacci hashing: spreads keys whose entropy sits in the low bits (hash buckets) as well
/// as full 64-bit hashes.
#[inline]
fn home(key: u64, shift: u32) -> usize {
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

/// Bits of a table with room for `n` entries at a load factor of at most one half.
fn bits_for(n: usize) -> u32 {
    (n.max(8) * 4).next_power_of_two().trailing_zeros()
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

/// Lanes (slots) per bucket of a [`WeightTable`]: one tag byte each in a `u64`.
const LANES: usize = 8;

/// The model's weights by feature key, for scoring.
///
/// Each key may sit in one of two buckets of eight slots. A bucket keeps a one-byte tag per slot
/// in one `u64` (the tags of all buckets fit in the L1 cache), and no two keys in a bucket share
/// a tag, so a lookup compares the tags of both buckets at once, reads at most one key from
/// each, and selects the slot whose key matches, or a sentinel slot whose weights are zeros: the
/// same instructions whether the key is known or not.
///
/// A slot's key and weights share one record, and a record of up to eight `f64`s lies within
/// one cache line: the weights of a key that missed the cache arrive with the key. (Kept in an
/// array of their own, the weights' loads took a third of the scoring time.)
///
/// Empty slots hold a key the table does not have, and zero weights, so any slot whose key
/// equals the one looked up holds its weights. A bucket without the tag gives the sentinel, an
/// empty slot kept empty (the last lane of the first bucket): it is read for every unknown
/// key, so it stays cached.
#[derive(Debug)]
pub(crate) struct WeightTable {
    n_labels: usize,
    /// `64 - log2(buckets)`.
    shift: u32,
    /// Per bucket, the tag of each lane (0 for an empty lane, else the high bit is set).
    tags: Vec<u64>,
    /// `log2` of a record's length in `f64`s: the key and `n_labels` weights, rounded up to a
    /// power of two.
    record_bits: u32,
    /// From `records[base]` on, per slot (`bucket * LANES + lane`), a record: the key as the
    /// bits of an `f64`, then its weights. `base` puts the first record at the start of a
    /// cache line.
    records: Vec<f64>,
    base: usize,
}

/// The slot that stands for every key the table does not hold; its tag is [`RESERVED`].
const SENTINEL: usize = LANES - 1;

/// The tag of the sentinel's lane: not zero, so the lane counts as taken, and without the high
/// bit, so no key's tag equals it.
const RESERVED: u64 = 0x7F;

/// A key's two buckets and its tag.
#[inline]
fn places(key: u64, shift: u32) -> (usize, usize, u8) {
    let h1 = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let h2 = key.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ (h1 >> 29);
    // The tag comes from bits of `h1` below the bucket's, which depend on every low bit of the
    // key: hash-bucket keys (below 2^30) have no high bits.
    let tag = (h1 >> 24) as u8 | 0x80;
    ((h1 >> shift) as usize, (h2 >> shift) as usize, tag)
}

/// `if c { a } else { b }`, compiled into a conditional move rather than a branch. (Masks
/// and `&`/`|` are not enough: LLVM sees through them and may emit a branch.)
#[inline(always)]
fn select(c: bool, a: usize, b: usize) -> usize {
    std::hint::select_unpredictable(c, a, b)
}

/// The high bit of every byte of `tags` equal to `tag`.
#[inline]
fn lanes_with_tag(tags: u64, tag: u8) -> u64 {
    const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
    let x = tags ^ (0x0101_0101_0101_0101 * u64::from(tag));
    // A byte's high bit is set here exactly when the byte of `x` is not zero; no carries.
    let nonzero = ((x & LOW7) + LOW7) | x;
    !nonzero & !LOW7
}

/// Records with room for `len` `f64`s from a cache line's start; `(records, base)`.
fn aligned_records(len: usize) -> (Vec<f64>, usize) {
    const LINE: usize = 64 / size_of::<f64>();
    let records = vec![0.0; len + LINE];
    let misalignment = (records.as_ptr() as usize / size_of::<f64>()) % LINE;
    (records, (LINE - misalignment) % LINE)
}

impl Clone for WeightTable {
    /// A copy whose records are aligned in their new place too.
    fn clone(&self) -> WeightTable {
        let len = self.records.len() - self.base;
        let (mut records, base) = aligned_records(len);
        records[base..base + len].copy_from_slice(&self.records[self.base..]);
        WeightTable {
            tags: self.tags.clone(),
            records,
            base,
            ..*self
        }
    }
}

impl WeightTable {
    /// Builds the table from `(key, weights)` pairs, each with `n_labels` weights; keys are
    /// distinct.
    pub(crate) fn new<'w>(
        n_labels: usize,
        entries: impl Iterator<Item = (u64, &'w [f64])> + Clone,
    ) -> WeightTable {
        let n = entries.clone().count();
        // A key the table does not have: one above the largest, or failing that (the largest
        // is u64::MAX) the smallest number missing, which takes a sort.
        let largest = entries.clone().map(|(key, _)| key).max().unwrap_or(0);
        let empty = largest.checked_add(1).unwrap_or_else(|| {
            let mut keys: Vec<u64> = entries.clone().map(|(key, _)| key).collect();
            keys.sort_unstable();
            keys.iter()
                .zip(0..)
                .find(|&(&key, i)| key != i)
                .map_or(n as u64, |(_, i)| i)
        });
        // Seven keys per eight slots at most (the fewer slots, the more of them stay cached);
        // double them until every key finds a place. Two buckets at least, so that the shift
        // stays under 64.
        let mut bits = (n * 8 / 7 / LANES + 1)
            .max(2)
            .next_power_of_two()
            .trailing_zeros();
        loop {
            if let Some(table) = Self::try_build(n_labels, bits, empty, entries.clone()) {
                return table;
            }
            bits += 1;
        }
    }

    fn try_build<'w>(
        n_labels: usize,
        bits: u32,
        empty: u64,
        entries: impl Iterator<Item = (u64, &'w [f64])>,
    ) -> Option<WeightTable> {
        let buckets = 1usize << bits;
        let slots = buckets * LANES;
        let record_bits = (n_labels + 1).next_power_of_two().trailing_zeros();
        let (records, base) = aligned_records(slots << record_bits);
        let mut table = WeightTable {
            n_labels,
            shift: 64 - bits,
            tags: vec![0; buckets],
            record_bits,
            records,
            base,
        };
        for slot in 0..slots {
            *table.key_mut(slot) = f64::from_bits(empty);
        }
        table.tags[0] = RESERVED << (8 * SENTINEL);
        let mut moving = vec![0.0; n_labels];
        for (key, weights) in entries {
            moving.copy_from_slice(weights);
            if !table.insert(key, &mut moving) {
                return None;
            }
        }
        Some(table)
    }

    /// Inserts `key` with `weights` (scratch: it may come back holding another key's), moving
    /// keys to their other bucket as cuckoo hashing does when both of its buckets are full or
    /// hold its tag already. False when a chain of moves grows too long.
    fn insert(&mut self, mut key: u64, weights: &mut [f64]) -> bool {
        const MAX_MOVES: usize = 500;
        let tag_at = |tags: u64, lane: usize| (tags >> (8 * lane)) & 0xFF;
        // The bucket the key being placed was just moved out of, if any.
        let mut from = usize::MAX;
        for moves in 0..MAX_MOVES {
            let (b1, b2, tag) = places(key, self.shift);
            // The bucket `key` goes to: the emptier of the two that can take it.
            let takes = |tags: u64| {
                // Empty lanes have tag 0.
                let used = LANES - lanes_with_tag(tags, 0).count_ones() as usize;
                (lanes_with_tag(tags, tag) == 0 && used < LANES).then_some(used)
            };
            let b = match (takes(self.tags[b1]), takes(self.tags[b2])) {
                (Some(u1), Some(u2)) => Some(if u1 <= u2 { b1 } else { b2 }),
                (Some(_), None) => Some(b1),
                (None, Some(_)) => Some(b2),
                (None, None) => None,
            };
            if let Some(b) = b {
                let lane = (0..LANES)
                    .find(|&l| tag_at(self.tags[b], l) == 0)
                    .expect("the bucket has a free lane");
                self.set(b, lane, tag, key);
                self.weights_mut(b * LANES + lane).copy_from_slice(weights);
                return true;
            }
            // Evict from the bucket not just left: the lane with the same tag if there is one
            // (it must go), else a lane that changes from move to move. Never the sentinel.
            let b = if b1 == from { b2 } else { b1 };
            let same = lanes_with_tag(self.tags[b], tag).trailing_zeros() as usize / 8;
            let lane = if same < LANES {
                same
            } else {
                (moves * 5 + 1) % LANES
            };
            if b * LANES + lane == SENTINEL {
                continue;
            }
            let slot = b * LANES + lane;
            let evicted = self.key_mut(slot).to_bits();
            self.weights_mut(slot).swap_with_slice(weights);
            self.set(b, lane, tag, key);
            key = evicted;
            from = b;
        }
        false
    }

    /// Gives a lane `key` and its tag (its weights are the caller's to place).
    fn set(&mut self, bucket: usize, lane: usize, tag: u8, key: u64) {
        self.tags[bucket] &= !(0xFF << (8 * lane));
        self.tags[bucket] |= u64::from(tag) << (8 * lane);
        *self.key_mut(bucket * LANES + lane) = f64::from_bits(key);
    }

    fn key_mut(&mut self, slot: usize) -> &mut f64 {
        &mut self.records[self.base + (slot << self.record_bits)]
    }

    fn weights_mut(&mut self, slot: usize) -> &mut [f64] {
        &mut self.records[self.base + (slot << self.record_bits) + 1..][..self.n_labels]
    }

    /// The table as lookups read it; take it once for many lookups, so that its fields are
    /// read once too.
    #[inline(always)]
    pub(crate) fn view(&self) -> View<'_> {
        let slots = self.tags.len() * LANES;
        View {
            tags: &self.tags,
            records: &self.records[self.base..][..slots << self.record_bits],
            shift: self.shift,
            record_bits: self.record_bits,
            n_labels: self.n_labels,
        }
    }
}

/// Lookups in a [`WeightTable`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'t> {
    tags: &'t [u64],
    /// The records, a power of two of `f64`s: indexes masked by `len - 1` need no bounds
    /// checks.
    records: &'t [f64],
    shift: u32,
    record_bits: u32,
    n_labels: usize,
}

impl View<'_> {
    /// The weights of `key`, one per label, or zeros when the model does not know it.
    #[inline(always)]
    pub(crate) fn get(&self, key: u64) -> &[f64] {
        let first = (self.slot(key, self.record_bits) << self.record_bits) + 1;
        &self.records[first..][..self.n_labels]
    }

    /// [`get`](Self::get) for a table of `N` labels, known when compiling.
    #[inline(always)]
    pub(crate) fn get_array<const N: usize>(&self, key: u64) -> [f64; N] {
        // The record length, a constant here.
        let record_bits = (N + 1).next_power_of_two().trailing_zeros();
        debug_assert_eq!(record_bits, self.record_bits);
        let record = self.slot(key, record_bits) << record_bits;
        let mask = self.records.len() - 1;
        std::array::from_fn(|l| self.records[(record + 1 + l) & mask])
    }

    #[inline(always)]
    fn slot(&self, key: u64, record_bits: u32) -> usize {
        // Bucket and slot numbers are masked into range, which spares the bounds checks.
        let buckets = self.tags.len() - 1;
        let slots = self.tags.len() * LANES - 1;
        let (b1, b2, tag) = places(key, self.shift);
        // At most one lane per bucket has the tag; none gives lane 8, and the sentinel, which
        // stays cached where another bucket's slot would not.
        let candidate = |b: usize| {
            let lane = lanes_with_tag(self.tags[b & buckets], tag).trailing_zeros() as usize / 8;
            select(lane < LANES, (b & buckets) * LANES + lane, SENTINEL) & slots
        };
        let (s1, s2) = (candidate(b1), candidate(b2));
        let mask = self.records.len() - 1;
        let key_at = |slot: usize| self.records[(slot << record_bits) & mask].to_bits();
        let found2 = select(key_at(s2) == key, s2, SENTINEL);
        select(key_at(s1) == key, s1, found2)
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

    /// Looks up `known` keys and `unknown` ones in a table of `known`, against a `HashMap`.
    fn check_table(known: &[u64], unknown: &[u64], n_labels: usize) {
        let weights: Vec<Vec<f64>> = (0..known.len())
            .map(|i| {
                (0..n_labels)
                    .map(|l| (i * n_labels + l + 1) as f64)
                    .collect()
            })
            .collect();
        let map: HashMap<u64, &[f64]> = known
            .iter()
            .copied()
            .zip(weights.iter().map(Vec::as_slice))
            .collect();
        let table = WeightTable::new(n_labels, map.iter().map(|(&k, &w)| (k, w)));
        let zeros = vec![0.0; n_labels];
        for key in known.iter().chain(unknown) {
            let expected = map.get(key).copied().unwrap_or(&zeros);
            assert_eq!(table.view().get(*key), expected, "key {key}");
            assert_eq!(table.clone().view().get(*key), expected, "key {key}");
        }
    }

    #[test]
    fn weight_table_edge_cases() {
        check_table(&[], &[0, 1, u64::MAX], 2);
        check_table(&[0], &[1, u64::MAX], 2);
        // Key 0 is the sentinel's key: it must still be found wherever it sits.
        check_table(&[u64::MAX, 0, 7], &[1, 2, 3], 1);
        // Hash buckets: small, consecutive keys.
        let buckets: Vec<u64> = (0..5000).collect();
        check_table(&buckets, &(5000..10000).collect::<Vec<_>>(), 3);
        // Keys that all share their low bits.
        let shifted: Vec<u64> = (1..3000).map(|k| k << 40).collect();
        check_table(&shifted, &[0, 1 << 39, 3001 << 40], 2);
    }

    proptest::proptest! {
        #[test]
        fn weight_table_finds_known_keys_and_zeros_for_others(
            known in proptest::collection::hash_set(proptest::prelude::any::<u64>(), 0..3000),
            unknown in proptest::collection::vec(proptest::prelude::any::<u64>(), 0..200),
            n_labels in 1usize..4,
        ) {
            let known: Vec<u64> = known.into_iter().collect();
            check_table(&known, &unknown, n_labels);
        }
    }
}
