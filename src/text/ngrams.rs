//! Stage 3: word n-grams and their feature hashes.
//!
//! A feature is identified by the xxh3 hash of its text (`word` or `word1 word2`). xxh3 is a
//! fixed, specified function, so ids are stable across platforms and releases, and a model file
//! only has to store the feature texts.

use xxhash_rust::xxh3::xxh3_64;

use super::tokenize::Tokens;

/// Hash of one feature text.
pub(crate) fn feature_hash(feature: &str) -> u64 {
    xxh3_64(feature.as_bytes())
}

/// Calls `f(hash, text)` for every word n-gram of length 1 to `max_n`, in token order.
///
/// `gram` is scratch space reused across calls.
pub(crate) fn for_each_ngram(
    tokens: &Tokens,
    max_n: usize,
    gram: &mut String,
    mut f: impl FnMut(u64, &str),
) {
    for i in 0..tokens.len() {
        let first = tokens.get(i);
        f(feature_hash(first), first);
        gram.clear();
        gram.push_str(first);
        for n in 2..=max_n.min(tokens.len() - i) {
            gram.push(' ');
            gram.push_str(tokens.get(i + n - 1));
            f(feature_hash(gram), gram);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::tokenize::tokenize;

    fn grams(s: &str, n: usize) -> Vec<String> {
        let mut tokens = Tokens::default();
        let mut scratch = String::new();
        tokenize(s, 40, true, &mut tokens, &mut scratch);
        let mut out = Vec::new();
        for_each_ngram(&tokens, n, &mut scratch, |h, g| {
            assert_eq!(h, feature_hash(g));
            out.push(g.to_owned());
        });
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

    #[test]
    fn empty_text_has_no_features() {
        assert!(grams("  ", 2).is_empty());
    }
}
