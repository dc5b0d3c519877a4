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

/// Bits of a counting table for `n` keys: at most one sixteenth full, as each collision costs
/// a mispredicted branch, while that is at most 16,384 slots (128 KiB, 1,024 keys); at most one
/// quarter full beyond, so that a huge comment's table stays within 32 bytes a key.
fn bits_for(n: usize) -> u32 {
    let sparse = (n.max(8) * 16).next_power_of_two();
    let slots = if sparse <= 1 << 14 {
        sparse
    } else {
        (n * 4).next_power_of_two()
    };
    slots.trailing_zeros()
}

/// Counts the distinct keys of one comment, in first-seen order; reused from comment to
/// comment, so it allocates only while growing to the longest comment seen. (Counting the keys
/// as the analyzer yields them, growing the table on demand, took more instructions.)
#[derive(Debug, Clone, Default)]
pub(crate) struct KeyCounts {
    /// Per slot, the number of the count that last filled it (high 32 bits) and the index in
    /// `distinct` of its key (low 32 bits): a slot filled by an earlier count is empty, so no
    /// count has to empty the table first, and the table can be sparse enough that keys
    /// rarely collide (each collision, like each repeated key, is a mispredicted branch).
    slots: Vec<u64>,
    /// The number of this count, from 1; slots of 0 were never filled.
    generation: u32,
    /// `(key, count)` of each distinct key, in first-seen order.
    distinct: Vec<(u64, u32)>,
}

/// Past this many keys (a comment of about 200 KB) the keys are sorted in place and counted in
/// runs instead: a table sparse enough to be fast takes 32 bytes or more a key, and a 50 MB
/// comment took 1.4 GB. Sorting takes no memory beyond the keys and the counts.
const SORT_PAST: usize = 1 << 16;

impl KeyCounts {
    /// Counts `keys`, which it may reorder; read the result with [`iter`](Self::iter).
    pub(crate) fn count(&mut self, keys: &mut [u64]) {
        self.distinct.clear();
        if keys.len() > SORT_PAST {
            self.count_sorted(keys);
            return;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Once in 2^32 counts: slots filled that many counts ago would look filled.
            self.slots.fill(0);
            self.generation = 1;
        }
        let filled = u64::from(self.generation) << 32;
        let bits = bits_for(keys.len());
        if self.slots.len() < 1 << bits {
            self.slots.resize(1 << bits, 0);
        }
        // Only the first 2^bits slots, so a short comment after a long one stays in cache.
        let mask = (1 << bits) - 1;
        // Indexes masked into a slice of mask + 1 slots need no bounds checks.
        let slots = &mut self.slots[..=mask];
        for &key in &*keys {
            // Keys are hashes, or hash buckets: their low bits are as good as any.
            let mut i = key as usize;
            loop {
                let slot = &mut slots[i & mask];
                if *slot >> 32 != filled >> 32 {
                    *slot = filled | self.distinct.len() as u64;
                    self.distinct.push((key, 1));
                    break;
                }
                let seen = &mut self.distinct[*slot as u32 as usize];
                if seen.0 == key {
                    seen.1 += 1;
                    break;
                }
                i += 1;
            }
        }
    }

    /// Counts the keys of a huge comment by sorting them.
    #[cold]
    fn count_sorted(&mut self, keys: &mut [u64]) {
        keys.sort_unstable();
        let runs = 1 + keys.windows(2).filter(|w| w[0] != w[1]).count();
        // Exactly: doubling a huge vector would take twice the memory it needs.
        self.distinct.shrink_to(0);
        self.distinct.reserve_exact(runs);
        for run in keys.chunk_by(|a, b| a == b) {
            self.distinct.push((run[0], run.len() as u32));
        }
    }

    /// Each distinct key and how often it occurred, in first-seen order (in key order past
    /// [`SORT_PAST`] keys).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.distinct.iter().copied()
    }

    /// About how many bytes the table and the counts hold.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.slots.capacity() * size_of::<u64>()
            + self.distinct.capacity() * size_of::<(u64, u32)>()
    }

    /// [`iter`](Self::iter)'s pairs as a slice.
    pub(crate) fn distinct(&self) -> &[(u64, u32)] {
        &self.distinct
    }
}

/// A [`WeightTable`]'s layout: log2 of its slots, the key of its empty slots, and each filled
/// slot's number, key and weights, in slot order.
pub(crate) type Layout<'t> = (u32, u64, Vec<(u32, u64, &'t [f64])>);

/// The model's weights by feature key, for scoring.
///
/// Cuckoo hashing with two choices: each key sits in one of two slots, both read on every
/// lookup, and conditional moves pick the one whose key matches, or a sentinel slot whose
/// weights are zeros: the same instructions whether the key is known or not. (A third of a
/// comment's features are unknown to the model, and which third cannot be predicted.)
///
/// A slot is a record of the key and its weights, within one cache line for up to seven
/// labels, so the two loads of a lookup are independent of each other and of everything but
/// the key. Slots are at most 45% full, below the 50% at which two-choice cuckoo insertion
/// starts failing.
///
/// Empty slots hold a key the table does not have, and zero weights, so any slot whose key
/// equals the one looked up holds its weights. The sentinel is slot 0, kept empty: a key one
/// of whose places it is has only the other.
#[derive(Debug)]
pub(crate) struct WeightTable {
    n_labels: usize,
    /// `64 - log2(slots)`.
    shift: u32,
    /// `log2` of a record's length in `f64`s: the key and `n_labels` weights, rounded up to a
    /// power of two.
    record_bits: u32,
    /// From `records[base]` on, per slot, a record: the key as the bits of an `f64`, then its
    /// weights. `base` puts the first record at the start of a cache line.
    records: Vec<f64>,
    base: usize,
}

/// The slot that stands for every key the table does not hold.
const SENTINEL: usize = 0;

/// A key's two slots. Either may be the sentinel's, which no key takes.
#[inline(always)]
fn places(key: u64, shift: u32) -> (usize, usize) {
    // The xor keeps key 0 from having one place twice: only one key has `h1 == 0`, and
    // its `h2` is not.
    let h1 = (key ^ 0x5851_F42D_4C95_7F2D).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    // The second place mixes in the first's bits, which depend on every low bit of the key:
    // hash-bucket keys (below 2^30) have no high bits.
    let h2 = key.wrapping_mul(0xC2B2_AE3D_27D4_EB4F) ^ (h1 << 17);
    ((h1 >> shift) as usize, (h2 >> shift) as usize)
}

/// `if c { a } else { b }`, compiled into a conditional move rather than a branch. (Masks
/// and `&`/`|` are not enough: LLVM sees through them and may emit a branch.)
#[inline(always)]
fn select(c: bool, a: usize, b: usize) -> usize {
    std::hint::select_unpredictable(c, a, b)
}

/// A key none of `keys` is, for empty slots: one above the largest, or failing that (the
/// largest is u64::MAX) the smallest number missing, which takes a sort.
fn empty_key(keys: impl Iterator<Item = u64> + Clone) -> u64 {
    let largest = keys.clone().max().unwrap_or(0);
    largest.checked_add(1).unwrap_or_else(|| {
        let mut keys: Vec<u64> = keys.collect();
        keys.sort_unstable();
        let n = keys.len() as u64;
        keys.iter()
            .zip(0..)
            .find(|&(&key, i)| key != i)
            .map_or(n, |(_, i)| i)
    })
}

/// The fewest slots for `n` keys: at most 45% full (and the sentinel's slot besides), and two
/// at least, so that the shift stays under 64.
fn least_slots(n: usize) -> usize {
    ((n + 1) * 20 / 9 + 1).max(2).next_power_of_two()
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
        let empty = empty_key(entries.clone().map(|(key, _)| key));
        // Double the slots until every key finds a place.
        let mut bits = least_slots(n).trailing_zeros();
        loop {
            if let Some(table) = Self::try_build(n_labels, bits, empty, entries.clone()) {
                return table;
            }
            bits += 1;
        }
    }

    /// The table [`new`](Self::new) builds from `entries`, whose first `old` keys are this
    /// table's, inserted in the same order: a copy with the other keys inserted after them and
    /// every key's weights set. `None` when `new` would build another table (one of more
    /// slots, or with another empty key), or a key finds no place. (`new` inserts the first
    /// `old` keys as it did for this table, fails at every size this table's keys failed at, and
    /// then goes on from this table.)
    pub(crate) fn extended<'w>(
        &self,
        old: usize,
        entries: impl Iterator<Item = (u64, &'w [f64])> + Clone,
    ) -> Option<WeightTable> {
        let n = entries.clone().count();
        let slots = 1usize << (64 - self.shift);
        let empty = self.key(SENTINEL);
        if n < old
            || least_slots(n) > slots
            || empty_key(entries.clone().map(|(key, _)| key)) != empty
            || entries.clone().any(|(_, w)| w.len() != self.n_labels)
        {
            return None;
        }
        let mut table = self.clone();
        let mut moving = vec![0.0; self.n_labels];
        for (key, weights) in entries.clone().skip(old) {
            moving.copy_from_slice(weights);
            if !table.insert(key, &mut moving, empty) {
                return None;
            }
        }
        for (key, weights) in entries {
            let slot = table.view().slot_of(key);
            if slot == SENTINEL {
                return None;
            }
            table.weights_mut(slot).copy_from_slice(weights);
        }
        Some(table)
    }

    /// A table of `2^bits` slots whose records are all zeros (keys to be set).
    fn zeroed(n_labels: usize, bits: u32) -> WeightTable {
        let record_bits = (n_labels + 1).next_power_of_two().trailing_zeros();
        let (records, base) = aligned_records((1usize << bits) << record_bits);
        WeightTable {
            n_labels,
            shift: 64 - bits,
            record_bits,
            records,
            base,
        }
    }

    fn try_build<'w>(
        n_labels: usize,
        bits: u32,
        empty: u64,
        entries: impl Iterator<Item = (u64, &'w [f64])>,
    ) -> Option<WeightTable> {
        let slots = 1usize << bits;
        let mut table = Self::zeroed(n_labels, bits);
        for slot in 0..slots {
            table.set_key(slot, empty);
        }
        let mut moving = vec![0.0; n_labels];
        for (key, weights) in entries {
            moving.copy_from_slice(weights);
            if !table.insert(key, &mut moving, empty) {
                return None;
            }
        }
        Some(table)
    }

    /// Inserts `key` with `weights` (scratch: it may come back holding another key's), moving
    /// the key in the way to its other slot as cuckoo hashing does. False when a chain of
    /// moves grows too long.
    fn insert(&mut self, mut key: u64, weights: &mut [f64], empty: u64) -> bool {
        const MAX_MOVES: usize = 500;
        // A key with one place (its two are one slot, or one is the sentinel's) must stay
        // there: moved out, it would have nowhere to go but back.
        let shift = self.shift;
        let pinned = |key: u64| {
            let (s1, s2) = places(key, shift);
            s1 == s2 || s1 == SENTINEL || s2 == SENTINEL
        };
        // The slot the key being placed was just moved out of, if any.
        let mut from = usize::MAX;
        for _ in 0..MAX_MOVES {
            let (s1, s2) = places(key, self.shift);
            let free = |s: usize| s != SENTINEL && self.key(s) == empty;
            if let Some(s) = [s1, s2].into_iter().find(|&s| free(s)) {
                self.set_key(s, key);
                self.weights_mut(s).copy_from_slice(weights);
                return true;
            }
            // Evict from the place not just left, or failing that (the other holds a pinned
            // key) from it again, which walks the chain of moves back; never a pinned key.
            let movable = |s: usize| s != SENTINEL && !pinned(self.key(s));
            let s = match (movable(s1), movable(s2)) {
                (true, true) if s1 == from => s2,
                (true, _) => s1,
                (false, true) => s2,
                (false, false) => return false,
            };
            let evicted = self.key(s);
            self.set_key(s, key);
            self.weights_mut(s).swap_with_slice(weights);
            key = evicted;
            from = s;
        }
        false
    }

    /// The table's layout: log2 of its slots, the key of its empty slots, and each filled
    /// slot with its key and weights, in slot order. [`from_layout`](Self::from_layout) rebuilds
    /// the table from it with sequential writes, without a cuckoo insertion's random reads
    /// (most of the time a model took to load).
    pub(crate) fn layout(&self) -> Layout<'_> {
        let slots = 1usize << (64 - self.shift);
        let empty = self.key(SENTINEL);
        let filled = (0..slots)
            .filter(|&s| self.key(s) != empty)
            .map(|s| (s as u32, self.key(s), self.weights(s)))
            .collect();
        (64 - self.shift, empty, filled)
    }

    /// A table of `2^bits` slots holding `entries` (slot, key, weights) in strictly
    /// increasing slot order, each key in one of its two places and never in the sentinel's.
    /// `None` when they are not such a layout: a key in another slot would never be found.
    pub(crate) fn from_layout<'w>(
        n_labels: usize,
        bits: u32,
        empty: u64,
        entries: impl Iterator<Item = (u32, u64, &'w [f64])>,
    ) -> Option<WeightTable> {
        if !(1..=40).contains(&bits) {
            return None;
        }
        let slots = 1usize << bits;
        let mut table = Self::zeroed(n_labels, bits);
        let mut next = SENTINEL + 1;
        for (slot, key, weights) in entries {
            let slot = slot as usize;
            let (s1, s2) = places(key, table.shift);
            if slot < next || slot >= slots || (slot != s1 && slot != s2) || key == empty {
                return None;
            }
            if weights.len() != n_labels {
                return None;
            }
            for s in next..slot {
                table.set_key(s, empty);
            }
            table.set_key(slot, key);
            table.weights_mut(slot).copy_from_slice(weights);
            next = slot + 1;
        }
        table.set_key(SENTINEL, empty);
        for s in next..slots {
            table.set_key(s, empty);
        }
        Some(table)
    }

    fn weights(&self, slot: usize) -> &[f64] {
        &self.records[self.base + (slot << self.record_bits) + 1..][..self.n_labels]
    }

    fn key(&self, slot: usize) -> u64 {
        self.records[self.base + (slot << self.record_bits)].to_bits()
    }

    fn set_key(&mut self, slot: usize, key: u64) {
        self.records[self.base + (slot << self.record_bits)] = f64::from_bits(key);
    }

    fn weights_mut(&mut self, slot: usize) -> &mut [f64] {
        &mut self.records[self.base + (slot << self.record_bits) + 1..][..self.n_labels]
    }

    /// The table as lookups read it; take it once for many lookups, so that its fields are
    /// read once too.
    #[inline(always)]
    pub(crate) fn view(&self) -> View<'_> {
        let len = 1usize << (64 - self.shift + self.record_bits);
        View {
            records: &self.records[self.base..][..len],
            shift: self.shift,
            record_bits: self.record_bits,
            n_labels: self.n_labels,
        }
    }
}

/// Lookups in a [`WeightTable`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct View<'t> {
    /// The records, a power of two of `f64`s: indexes masked by `len - 1` need no bounds
    /// checks.
    records: &'t [f64],
    shift: u32,
    record_bits: u32,
    n_labels: usize,
}

impl View<'_> {
    /// The weights of `key`, one per label, or zeros when the model does not know it.
    #[cfg(test)]
    pub(crate) fn get(&self, key: u64) -> &[f64] {
        self.weights_at(self.slot_of(key))
    }

    /// The slot holding `key`'s weights: its own, or the sentinel's zeros. Slots are found
    /// first and read after, so that many lookups' cache misses overlap.
    #[inline(always)]
    pub(crate) fn slot_of(&self, key: u64) -> usize {
        let (s1, s2) = places(key, self.shift);
        let mask = self.records.len() - 1;
        let key_at = |slot: usize| self.records[(slot << self.record_bits) & mask].to_bits();
        if key_at(s1) == key {
            return s1;
        }
        select(key_at(s2) == key, s2, SENTINEL)
    }

    /// The weights in `slot`, one per label.
    #[inline(always)]
    pub(crate) fn weights_at(&self, slot: usize) -> &[f64] {
        let first = (slot << self.record_bits) + 1;
        &self.records[first..][..self.n_labels]
    }

    /// [`weights_at`](Self::weights_at) for a table of `N` labels, known when compiling.
    #[inline(always)]
    pub(crate) fn array_at<const N: usize>(&self, slot: usize) -> [f64; N] {
        // The record length, a constant here.
        let record_bits = (N + 1).next_power_of_two().trailing_zeros();
        debug_assert_eq!(record_bits, self.record_bits);
        let record = slot << record_bits;
        let mask = self.records.len() - 1;
        std::array::from_fn(|l| self.records[(record + 1 + l) & mask])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn key_counts_match_a_hash_map_across_reuse() {
        let mut counts = KeyCounts::default();
        // Long comments between short ones leave slots past the short ones' tables in use.
        let long: Vec<u64> = (0..300).chain(0..300).map(|k| k * 7).collect();
        // Past 1,024 keys, a denser table.
        let longer: Vec<u64> = (0..3000).chain(0..2000).map(|k| k * 13).collect();
        // Other keys in the same slots.
        let other: Vec<u64> = (0..300).map(|k| k * 7 + (3 << 12)).collect();
        let comments: [&[u64]; 9] = [
            &[3, 1, 3, 0, 3, u64::MAX, 1],
            &[],
            &[42; 100],
            &[9, 8, 7, 8, 0, 0],
            &long,
            &longer,
            &[7, 14, 7],
            &longer[..1030],
            &other,
        ];
        for keys in comments {
            counts.count(&mut keys.to_vec());
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

    /// Issue 12, defect 9: a huge comment's keys are counted by sorting, with the same counts.
    #[test]
    fn key_counts_of_a_huge_comment_are_sorted_runs() {
        let mut counts = KeyCounts::default();
        let keys: Vec<u64> = (0..SORT_PAST as u64 * 2).map(|k| (k * k) % 1000).collect();
        counts.count(&mut keys.clone());
        let mut expected: HashMap<u64, u32> = HashMap::new();
        for &k in &keys {
            *expected.entry(k).or_default() += 1;
        }
        let mut want: Vec<(u64, u32)> = expected.into_iter().collect();
        want.sort_unstable();
        assert_eq!(counts.iter().collect::<Vec<_>>(), want);
        // And a short comment after it is counted by the table again, in first-seen order.
        counts.count(&mut [5, 3, 5]);
        assert_eq!(counts.iter().collect::<Vec<_>>(), [(5, 2), (3, 1)]);
    }

    /// Counting number 2^32 empties the table, or the slots a count filled 2^32 counts before
    /// would look filled: keys in the same slots would then read entries that are not there.
    #[test]
    fn key_counts_survive_the_wrap_of_the_count_number() {
        let mut counts = KeyCounts::default();
        let first: Vec<u64> = (0..300).map(|k| k * 7).collect();
        // Other keys, in the same slots.
        let same_slots: Vec<u64> = (0..300).map(|k| k * 7 + (1 << 40)).collect();
        counts.count(&mut first.clone());
        counts.generation = u32::MAX;
        counts.count(&mut same_slots.clone());
        let expected: Vec<(u64, u32)> = same_slots.iter().map(|&k| (k, 1)).collect();
        assert_eq!(counts.iter().collect::<Vec<_>>(), expected);
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
        // Grown twice at most: the hashes spread even consecutive or low-bit-sharing keys.
        // (Twice, as in tiny tables a key with one place, and another with the same one, is
        // a coincidence proptest finds; and up to 4,096 slots, as a key's two places are both
        // the sentinel's until the table has 2^b slots one time in 4^b: proptest found a key
        // whose places part only at 1,024.)
        let least = least_slots(known.len());
        assert!(
            1 << (64 - table.shift) <= (4 * least).max(1 << 12),
            "{} keys",
            known.len()
        );
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

        /// Extending a table of the first keys gives the table built from all of them, or
        /// nothing; and from a table of many keys, a few more always fit.
        #[test]
        fn an_extended_table_is_the_table_built_from_scratch(
            keys in proptest::collection::hash_set(proptest::prelude::any::<u64>(), 1..3000),
            split in 0.0f64..1.0,
        ) {
            let keys: Vec<u64> = keys.into_iter().collect();
            let old = ((keys.len() as f64 * split) as usize).min(keys.len());
            let weights: Vec<[f64; 2]> = (0..keys.len()).map(|i| [i as f64, -(i as f64)]).collect();
            let entries = || keys.iter().copied().zip(weights.iter().map(|w| &w[..]));
            // The first keys' table had other weights: extending replaces every one.
            let stale = vec![[7.0, 7.0]; keys.len()];
            let first = WeightTable::new(2, keys[..old].iter().copied().zip(stale.iter().map(|w| &w[..])));
            let fresh = WeightTable::new(2, entries());
            match first.extended(old, entries()) {
                Some(table) => proptest::prop_assert_eq!(table.layout(), fresh.layout()),
                // Only when a fresh build needs more slots or another empty key.
                None => proptest::prop_assert!(
                    fresh.shift != first.shift || fresh.key(SENTINEL) != first.key(SENTINEL)
                        || least_slots(keys.len()) > 1 << (64 - first.shift),
                    "{} of {} keys", old, keys.len()
                ),
            }
        }
    }
}
