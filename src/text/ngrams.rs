//! Stage 3: word n-grams, character n-grams inside words, and their feature keys.
//!
//! Feature texts are `word`, `word1 word2` for word n-grams, and `#^gi`, `#gif`, `#ft$` for
//! character n-grams of a word padded with `^` and `$` (no token contains `#`, `^`, `$` or a
//! space, so the kinds cannot collide). A feature's key is computed from its parts so that
//! scoring never builds a string: a word's key is the hash of its text ([`super::key`]), a word
//! n-gram's combines its words' keys, and a character n-gram's is the seeded hash of its
//! characters. [`feature_hash`] computes the same key from a stored text. Keys are the same on
//! every platform, and a model file stores the feature texts, not their keys (except with hash
//! buckets, whose format version names the hash). Character n-grams let `g1veaway`,
//! `giveawayy` and `giveaway` share most of their features, as in fastText.

use super::key::{combine, key, padded_key_with, PADDING};
use super::tokenize::Tokens;

/// Seed separating character n-gram keys from word keys.
const CHAR_SEED: u64 = 0x6368_6172_6772_616d;

fn word_key(word: &str) -> u64 {
    key(word.as_bytes(), 0)
}

#[inline]
fn char_key(gram: &str) -> u64 {
    key(gram.as_bytes(), CHAR_SEED)
}

/// The key of a feature text, as analysis computes it.
pub(crate) fn feature_hash(feature: &str) -> u64 {
    if let Some(gram) = feature.strip_prefix('#') {
        char_key(gram)
    } else {
        let mut words = feature.split(' ');
        let first = word_key(words.next().unwrap_or(""));
        words.fold(first, |key, w| combine(key, word_key(w)))
    }
}

/// Calls `f(key, text)` for every word n-gram of length 1 to `max_n`, in token order. With
/// `gram` the text is built in it; without, `f` gets an empty text and nothing is built.
pub(crate) fn for_each_ngram(
    tokens: &Tokens,
    max_n: usize,
    keys: &mut Vec<u64>,
    mut gram: Option<&mut String>,
    mut f: impl FnMut(u64, &str),
) {
    keys.clear();
    keys.extend(tokens.keys());
    for i in 0..tokens.len() {
        let mut key = keys[i];
        match gram.as_deref_mut() {
            Some(g) => {
                g.clear();
                g.push_str(tokens.get(i));
                f(key, g);
            }
            None => f(key, ""),
        }
        for n in 2..=max_n.min(tokens.len() - i) {
            key = combine(key, keys[i + n - 1]);
            match gram.as_deref_mut() {
                Some(g) => {
                    g.push(' ');
                    g.push_str(tokens.get(i + n - 1));
                    f(key, g);
                }
                None => f(key, ""),
            }
        }
    }
}

/// Writes the key of every word n-gram of length 1 to `max_n` into `out` from `start` on: all
/// words, then all pairs, then all triples; returns where they end. `out` grows as needed but
/// is never shortened, so that a buffer reused from comment to comment is not zeroed each time
/// (a call to memset for every comment, whose branches on the length mispredicted). `grams` is
/// scratch.
pub(crate) fn write_ngram_keys(
    tokens: &Tokens,
    max_n: usize,
    grams: &mut Vec<u64>,
    out: &mut Vec<u64>,
    start: usize,
) -> usize {
    let words = tokens.len();
    let end = start + words + (1..max_n).map(|n| words.saturating_sub(n)).sum::<usize>();
    if out.len() < end {
        out.resize(end, 0);
    }
    let mut keys = tokens.keys();
    let Some(first) = keys.next() else {
        return start;
    };
    if max_n < 2 {
        out[start] = first;
        for (slot, key) in out[start + 1..end].iter_mut().zip(keys) {
            *slot = key;
        }
        return end;
    }
    // Words and pairs in one loop: a loop over the pairs alone is vectorized, badly (the
    // 128-bit multiplies are scalar, so lanes are shuffled in and out).
    let (word_keys, pair_keys) = out[start..start + 2 * words - 1].split_at_mut(words);
    word_keys[0] = first;
    let mut prev = first;
    for ((word, pair), key) in word_keys[1..].iter_mut().zip(pair_keys).zip(keys) {
        *word = key;
        *pair = combine(prev, key);
        prev = key;
    }
    // Longer n-grams extend the (n - 1)-grams just before them in `out`.
    let (mut shorter, mut at) = (start + words, start + 2 * words - 1);
    for n in 3..=max_n.min(words) {
        let prefixes = &out[shorter..at];
        let last_words = &out[start + n - 1..start + words];
        grams.clear();
        grams.extend(
            prefixes
                .iter()
                .zip(last_words)
                .map(|(&p, &w)| combine(p, w)),
        );
        shorter = at;
        at += grams.len();
        out[shorter..at].copy_from_slice(grams);
    }
    debug_assert_eq!(at, end);
    end
}

/// Reused buffers for character n-grams.
#[derive(Debug, Default, Clone)]
pub(crate) struct CharScratch {
    padded: String,
    text: String,
    bounds: Vec<usize>,
}

impl CharScratch {
    /// About how many bytes the buffers hold.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.padded.capacity() + self.text.capacity() + self.bounds.capacity() * size_of::<usize>()
    }
}

/// Calls `f(key, text)` for every character n-gram of length `min..=max` of every word token
/// (class tokens like `<url>`, punctuation and emoji have none). The text (`#` and the
/// characters) is built only when `with_text` is set.
pub(crate) fn for_each_char_ngram(
    tokens: &Tokens,
    (min, max): (usize, usize),
    scratch: &mut CharScratch,
    with_text: bool,
    mut f: impl FnMut(u64, &str),
) {
    let CharScratch {
        padded,
        text,
        bounds,
    } = scratch;
    for token in tokens.iter() {
        if !token.starts_with(char::is_alphanumeric) {
            continue;
        }
        padded.clear();
        padded.push('^');
        padded.push_str(token);
        padded.push('$');
        let end = padded.len();
        // Keys read 16 bytes from each n-gram's start, masked, rather than copying it.
        padded.push_str(PADDING);
        let mut emit = |a: usize, b: usize| {
            let key = padded_key_with(padded.as_bytes(), a, b, CHAR_SEED);
            if with_text {
                text.clear();
                text.push('#');
                text.push_str(&padded[a..b]);
                f(key, text);
            } else {
                f(key, "");
            }
        };
        if token.is_ascii() {
            // Most words: each character one byte, no boundaries to find.
            for n in min..=max.min(end) {
                for start in 0..=end - n {
                    emit(start, start + n);
                }
            }
            continue;
        }
        bounds.clear();
        bounds.extend(padded[..end].char_indices().map(|(i, _)| i));
        bounds.push(end);
        let chars = bounds.len() - 1;
        for n in min..=max.min(chars) {
            for start in 0..=chars - n {
                emit(bounds[start], bounds[start + n]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::tokenize;

    fn tokens(s: &str) -> Tokens {
        let mut tokens = Tokens::default();
        let mut scratch = String::new();
        tokenize(s, 40, true, &mut tokens, &mut scratch);
        tokens
    }

    fn grams(s: &str, n: usize) -> Vec<String> {
        let tokens = tokens(s);
        let (mut keys, mut gram) = (Vec::new(), String::new());
        let mut out = Vec::new();
        let mut with_text = Vec::new();
        for_each_ngram(&tokens, n, &mut keys, Some(&mut gram), |k, g| {
            assert_eq!(k, feature_hash(g), "{g}");
            with_text.push(k);
            out.push(g.to_owned());
        });
        let mut without = Vec::new();
        for_each_ngram(&tokens, n, &mut keys, None, |k, g| {
            assert!(g.is_empty());
            without.push(k);
        });
        assert_eq!(with_text, without, "keys do not depend on building texts");
        out
    }

    #[test]
    fn unigrams_and_bigrams_in_order() {
        assert_eq!(
            grams("free gift cards", 2),
            ["free", "free gift", "gift", "gift cards", "cards"]
        );
    }

    #[test]
    fn trigrams_when_asked() {
        assert_eq!(
            grams("a bb c", 3),
            ["a", "a bb", "a bb c", "bb", "bb c", "c"]
        );
    }

    #[test]
    fn unigrams_only() {
        assert_eq!(grams("hi there", 1), ["hi", "there"]);
    }

    fn char_grams(s: &str, range: (usize, usize)) -> Vec<String> {
        let tokens = tokens(s);
        let mut scratch = CharScratch::default();
        let mut out = Vec::new();
        let mut keys = Vec::new();
        for_each_char_ngram(&tokens, range, &mut scratch, true, |k, g| {
            assert_eq!(k, feature_hash(g));
            keys.push(k);
            out.push(g.to_owned());
        });
        let mut without = Vec::new();
        for_each_char_ngram(&tokens, range, &mut scratch, false, |k, _| without.push(k));
        assert_eq!(keys, without);
        out
    }

    #[test]
    fn char_ngrams_of_padded_words_only() {
        assert_eq!(
            char_grams("gift bit.ly/x", (3, 4)),
            ["#^gi", "#gif", "#ift", "#ft$", "#^gif", "#gift", "#ift$"]
        );
        assert_eq!(char_grams("né", (3, 3)), ["#^né", "#né$"]);
        assert_eq!(char_grams("a", (3, 5)), ["#^a$"]);
    }

    #[test]
    fn kinds_of_feature_never_share_a_key() {
        // "gif" the word, "#gif" the character trigram, and a bigram are all different keys.
        let keys = [
            feature_hash("gif"),
            feature_hash("#gif"),
            feature_hash("g if"),
        ];
        assert!(keys[0] != keys[1] && keys[1] != keys[2] && keys[0] != keys[2]);
    }

    #[test]
    fn empty_text_has_no_features() {
        assert!(grams("  ", 2).is_empty());
    }
}
