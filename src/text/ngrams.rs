//! Stage 3: word n-grams, character n-grams inside words, and their feature hashes.
//!
//! A feature is identified by the xxh3 hash of its text: `word`, `word1 word2` for word n-grams,
//! `#^gi`, `#gif`, `#ft$` for character n-grams of a word padded with `^` and `$` (no token
//! contains `#`, `^`, `$` or a space, so the kinds cannot collide). xxh3 is a fixed, specified
//! function, so ids are stable across platforms and releases, and a model file only has to store
//! the feature texts. Character n-grams let `g1veaway`, `giveawayy` and `giveaway` share most of
//! their features, as in fastText.

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

/// Reused buffers for character n-grams.
#[derive(Debug, Default, Clone)]
pub(crate) struct CharScratch {
    gram: String,
    key: String,
    bounds: Vec<usize>,
}

/// Calls `f(hash, text)` for every character n-gram of length `min..=max` of every word token
/// (class tokens like `<url>`, punctuation and emoji have none).
pub(crate) fn for_each_char_ngram(
    tokens: &Tokens,
    (min, max): (usize, usize),
    scratch: &mut CharScratch,
    mut f: impl FnMut(u64, &str),
) {
    let CharScratch { gram, key, bounds } = scratch;
    for token in tokens.iter() {
        if !token.starts_with(char::is_alphanumeric) {
            continue;
        }
        // "#^token$": the n-gram window slides over "^token$", `#` marks the feature kind.
        gram.clear();
        gram.push_str("#^");
        gram.push_str(token);
        gram.push('$');
        bounds.clear();
        bounds.extend(gram.char_indices().skip(1).map(|(i, _)| i));
        bounds.push(gram.len());
        let chars = bounds.len() - 1;
        for n in min..=max.min(chars) {
            for start in 0..=chars - n {
                key.clear();
                key.push('#');
                key.push_str(&gram[bounds[start]..bounds[start + n]]);
                f(feature_hash(key), key);
            }
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

    fn char_grams(s: &str, range: (usize, usize)) -> Vec<String> {
        let mut tokens = Tokens::default();
        let mut folded = String::new();
        tokenize(s, 40, true, &mut tokens, &mut folded);
        let mut out = Vec::new();
        for_each_char_ngram(&tokens, range, &mut CharScratch::default(), |h, g| {
            assert_eq!(h, feature_hash(g));
            out.push(g.to_owned());
        });
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
    fn empty_text_has_no_features() {
        assert!(grams("  ", 2).is_empty());
    }
}
