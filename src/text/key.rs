//! Feature keys: a 64-bit hash of a feature's bytes, built on the folded 128-bit multiply of
//! wyhash and rapidhash.
//!
//! Most words are at most 16 bytes. Their key is computed from one 16-byte read, masked to the
//! word's length, and two multiplies, with no branch on the length: scoring reads each word
//! from [`Tokens`](super::Tokens), whose buffer ends in 16 bytes of padding so that the read
//! never runs past it. Library hashes (xxh3, rapidhash) take a slice and branch on its length
//! class (1 to 3 bytes, 4 to 8, 9 to 16): about ten mispredicted branches per comment, a tenth
//! of the scoring time. Longer inputs go through 16-byte blocks. [`key`] and [`padded_key`]
//! give the same key for the same bytes, whatever follows them (a property test holds them to
//! it).
//!
//! The keys are only ever compared with keys computed by the same build: a model stores its
//! feature texts and computes their keys when loaded, except a model with hash buckets, whose
//! format version names this function.

/// What must follow the last key's bytes in a buffer that [`padded_key`] reads.
pub(crate) const PADDING: &str = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// Constants from wyhash, odd and with balanced bits.
const K: [u64; 4] = [
    0xa076_1d64_78bd_642f,
    0xe703_7ed1_a0b4_28db,
    0x8ebc_6af0_9c88_c6e3,
    0x5899_65cc_7537_4cc3,
];

/// The 128-bit product of `a` and `b`, as its low and high halves.
#[inline(always)]
fn multiply(a: u64, b: u64) -> (u64, u64) {
    let r = u128::from(a) * u128::from(b);
    (r as u64, (r >> 64) as u64)
}

/// The product of `a` and `b` folded to 64 bits.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let (lo, hi) = multiply(a, b);
    lo ^ hi
}

/// The key of the last (or only) block `block` of an input of `len` bytes, after `state`.
#[inline(always)]
fn finish(block: u128, len: usize, state: u64) -> u64 {
    let (lo, hi) = multiply(block as u64 ^ K[0] ^ state, (block >> 64) as u64 ^ K[1]);
    fold(lo ^ K[2] ^ len as u64, hi ^ K[3])
}

/// Per length up to 16, the mask of a block's first `len` bytes: a load, where computing it
/// takes a 128-bit shift and a test for the shift by 128.
const FIRST_BYTES: [u128; 17] = {
    let mut masks = [0; 17];
    let mut len = 1;
    while len <= 16 {
        masks[len] = u128::MAX >> (128 - 8 * len);
        len += 1;
    }
    masks
};

/// The key of `bytes` with `seed`, which separates kinds of feature.
pub(crate) fn key(bytes: &[u8], seed: u64) -> u64 {
    if bytes.len() <= 16 {
        let mut block = [0u8; 16];
        block[..bytes.len()].copy_from_slice(bytes);
        return finish(u128::from_le_bytes(block), bytes.len(), seed);
    }
    let read = |at: usize| u128::from_le_bytes(bytes[at..at + 16].try_into().expect("16 bytes"));
    // Every whole block but the last is mixed into the state; the last 16 bytes end it (they
    // overlap the block before when the length is not a multiple of 16).
    let mut state = seed;
    for at in (0..bytes.len() - 16).step_by(16) {
        let block = read(at);
        state = fold(block as u64 ^ K[2] ^ state, (block >> 64) as u64 ^ K[3]);
    }
    finish(read(bytes.len() - 16), bytes.len(), state)
}

/// The key of `buf[start..end]` with seed 0, as [`key`] gives it, read without a branch on the
/// length when at least 16 bytes of `buf` start at `start`.
#[inline(always)]
pub(crate) fn padded_key(buf: &[u8], start: usize, end: usize) -> u64 {
    padded_key_with(buf, start, end, 0)
}

/// [`padded_key`] with `seed`, as [`key`] gives it.
#[inline(always)]
pub(crate) fn padded_key_with(buf: &[u8], start: usize, end: usize, seed: u64) -> u64 {
    let len = end - start;
    match buf.get(start..start + 16) {
        Some(block) if len <= 16 => {
            let block = u128::from_le_bytes(block.try_into().expect("16 bytes"));
            finish(block & FIRST_BYTES[len], len, seed)
        }
        _ => key(&buf[start..end], seed),
    }
}

/// The key of a sequence whose keys so far combine to `prefix`, extended by an item with key
/// `next`. Not symmetric: `combine(a, b)` and `combine(b, a)` differ.
#[inline(always)]
pub(crate) fn combine(prefix: u64, next: u64) -> u64 {
    let (lo, hi) = multiply(prefix ^ K[1], next ^ K[2]);
    fold(lo ^ K[3], hi ^ K[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn padded_reads_give_the_slice_key(
            bytes in proptest::collection::vec(any::<u8>(), 0..70),
            before in proptest::collection::vec(any::<u8>(), 0..20),
            after in proptest::collection::vec(any::<u8>(), 0..40),
        ) {
            let mut buf = before.clone();
            buf.extend_from_slice(&bytes);
            buf.extend_from_slice(&after);
            let (start, end) = (before.len(), before.len() + bytes.len());
            prop_assert_eq!(padded_key(&buf, start, end), key(&bytes, 0));
            let seed = 0x6368_6172_6772_616d;
            prop_assert_eq!(padded_key_with(&buf, start, end, seed), key(&bytes, seed));
        }

        #[test]
        fn one_changed_byte_changes_the_key(
            bytes in proptest::collection::vec(any::<u8>(), 1..70),
            at in any::<prop::sample::Index>(),
            flip in 1u8..,
        ) {
            let mut other = bytes.clone();
            other[at.index(bytes.len())] ^= flip;
            prop_assert_ne!(key(&bytes, 0), key(&other, 0));
        }
    }

    #[test]
    fn length_seed_and_order_count() {
        // Trailing zero bytes, the seed and the order of combined keys all change the key.
        assert_ne!(key(b"a", 0), key(b"a\0", 0));
        assert_ne!(key(&[0; 16], 0), key(&[0; 17], 0));
        assert_ne!(key(b"gift", 0), key(b"gift", 1));
        let (a, b) = (key(b"free", 0), key(b"gift", 0));
        assert_ne!(combine(a, b), combine(b, a));
        assert_ne!(key(b"", 0), key(b"", 1));
    }

    #[test]
    fn no_two_words_of_a_large_vocabulary_share_a_key() {
        // Every string of one to four lowercase letters (475,254 of them), and the same with a
        // long common prefix, so that the 16-byte blocks are exercised as well.
        let mut keys = std::collections::HashSet::new();
        let mut word = Vec::new();
        let mut total = 0;
        for len in 1..=4u32 {
            for n in 0..26u32.pow(len) {
                word.clear();
                let mut n = n;
                for _ in 0..len {
                    word.push(b'a' + (n % 26) as u8);
                    n /= 26;
                }
                assert!(keys.insert(key(&word, 0)));
                let long: Vec<u8> = b"pneumonoultramicroscopic"
                    .iter()
                    .chain(&word)
                    .copied()
                    .collect();
                assert!(keys.insert(key(&long, 0)));
                total += 2;
            }
        }
        assert_eq!(keys.len(), total);
    }
}
