//! The text pipeline: normalize → tokenize → n-grams → feature hashes.
//!
//! Its options are data ([`AnalyzerOptions`]) stored inside every model file, so scoring always
//! extracts features exactly as training did.

mod key;
mod ngrams;
mod normalize;
mod tokenize;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub(crate) use ngrams::feature_hash;
pub use tokenize::Tokens;

/// Options of the feature extractor.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `word_ngrams` | 2 | longest word n-gram; 0 for character n-grams alone | 0..=3 |
/// | `char_ngrams` | none | character n-gram lengths inside words, e.g. 3 to 5 | 1..=8 |
/// | `fold_confusables` | true | fold Cyrillic/Greek lookalike letters in Latin text | |
/// | `fold_leet` | true | fold digits and symbols inside words (`g1ft` → `gift`) | |
/// | `max_token_chars` | 40 | longer words become the `<long>` token | 8..=1000 |
/// | `hash_bits` | none | feature hashing into 2^bits buckets instead of a vocabulary | 10..=30 |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerOptions {
    /// Longest word n-gram; 0 for none (character n-grams alone).
    pub word_ngrams: u8,
    /// Shortest and longest character n-gram inside words, if any.
    pub char_ngrams: Option<(u8, u8)>,
    /// Fold lookalike letters from other scripts.
    pub fold_confusables: bool,
    /// Fold leetspeak inside words.
    pub fold_leet: bool,
    /// Longest word kept as itself.
    pub max_token_chars: u16,
    /// Feature hashing: features are 2^bits hash buckets and no texts are stored, so memory is
    /// bounded whatever the data.
    pub hash_bits: Option<u8>,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions {
            word_ngrams: 2,
            char_ngrams: None,
            fold_confusables: true,
            fold_leet: true,
            max_token_chars: 40,
            hash_bits: None,
        }
    }
}

impl AnalyzerOptions {
    /// Checks the options are in range.
    pub fn check(&self) -> Result<()> {
        if self.word_ngrams > 3 {
            return Err(Error::InvalidParam {
                name: "word n-gram length",
                value: self.word_ngrams.to_string(),
                reason: "must be 0, 1, 2 or 3",
            });
        }
        if self.word_ngrams == 0 && self.char_ngrams.is_none() {
            return Err(Error::InvalidParam {
                name: "word n-gram length",
                value: "0".to_owned(),
                reason: "0 (no word n-grams) needs character n-grams, or there are no features",
            });
        }
        if let Some((min, max)) = self.char_ngrams {
            if min == 0 || min > max || max > 8 {
                return Err(Error::InvalidParam {
                    name: "character n-gram range",
                    value: format!("{min}-{max}"),
                    reason: "must be MIN-MAX with 1 <= MIN <= MAX <= 8",
                });
            }
        }
        if let Some(bits) = self.hash_bits {
            if !(10..=30).contains(&bits) {
                return Err(Error::InvalidParam {
                    name: "hash bits",
                    value: bits.to_string(),
                    reason: "must be between 10 and 30",
                });
            }
        }
        if !(8..=1000).contains(&self.max_token_chars) {
            return Err(Error::InvalidParam {
                name: "maximum token length",
                value: self.max_token_chars.to_string(),
                reason: "must be between 8 and 1000",
            });
        }
        Ok(())
    }
}

/// Reusable buffers for analyzing one comment at a time; keep one per thread.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    tokens: Tokens,
    gram: String,
    keys: Vec<u64>,
    chars: ngrams::CharScratch,
}

impl Scratch {
    /// About how many bytes the buffers hold.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.tokens.capacity_bytes()
            + self.gram.capacity()
            + self.keys.capacity() * size_of::<u64>()
            + self.chars.capacity_bytes()
    }

    /// The tokens of the comment analyzed last.
    pub fn tokens(&self) -> &Tokens {
        &self.tokens
    }
}

/// Turns comments into features according to its [`AnalyzerOptions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyzer {
    options: AnalyzerOptions,
}

impl Analyzer {
    /// An analyzer with checked options.
    pub fn new(options: AnalyzerOptions) -> Result<Analyzer> {
        options.check()?;
        Ok(Analyzer { options })
    }

    /// Its options.
    pub fn options(&self) -> &AnalyzerOptions {
        &self.options
    }

    /// Normalizes and tokenizes `text` into `scratch.tokens()`.
    pub fn tokenize(&self, text: &str, scratch: &mut Scratch) {
        let tokens = &mut scratch.tokens;
        normalize::normalize(text, self.options.fold_confusables, tokens.text_mut());
        tokenize::tokenize_in_place(
            tokens,
            usize::from(self.options.max_token_chars),
            self.options.fold_leet,
            &mut scratch.gram,
        );
    }

    /// The key a feature text has in a model: its hash, or its hash bucket.
    pub fn key(&self, feature: &str) -> u64 {
        self.bucket(feature_hash(feature))
    }

    #[inline]
    fn bucket(&self, hash: u64) -> u64 {
        hash & self.bucket_mask()
    }

    /// The mask that takes a hash to its bucket: all ones without hashing.
    #[inline]
    fn bucket_mask(&self) -> u64 {
        self.options
            .hash_bits
            .map_or(u64::MAX, |bits| (1u64 << bits) - 1)
    }

    /// Calls `f(key, feature)` for every feature occurrence in `text`: word n-grams in token
    /// order, then character n-grams. The key is what [`Analyzer::key`] gives for the text.
    pub fn for_each_feature(&self, text: &str, scratch: &mut Scratch, f: impl FnMut(u64, &str)) {
        self.features(text, scratch, true, f);
    }

    /// Calls `f(key)` for every feature occurrence in `text`, as
    /// [`for_each_feature`](Self::for_each_feature) does but without building feature texts:
    /// the scoring path.
    pub fn for_each_key(&self, text: &str, scratch: &mut Scratch, mut f: impl FnMut(u64)) {
        self.features(text, scratch, false, |key, _| f(key));
    }

    /// Appends the key of every feature occurrence in `text` to `out`: the features of
    /// [`for_each_key`](Self::for_each_key), grouped by kind (words, then each longer n-gram,
    /// then character n-grams) rather than in token order, which is all counting needs and
    /// lets each kind be computed in one tight loop.
    pub fn push_keys(&self, text: &str, scratch: &mut Scratch, out: &mut Vec<u64>) {
        let from = out.len();
        let end = self.write_keys(text, scratch, out, from);
        out.truncate(end);
    }

    /// The keys [`push_keys`](Self::push_keys) would push, written over `buf` from its start
    /// rather than appended: `buf` grows as needed and is never shortened, so that reused from
    /// comment to comment it is not zeroed each time.
    pub(crate) fn keys<'b>(
        &self,
        text: &str,
        scratch: &mut Scratch,
        buf: &'b mut Vec<u64>,
    ) -> &'b mut [u64] {
        let end = self.write_keys(text, scratch, buf, 0);
        &mut buf[..end]
    }

    /// Writes the keys of `text` into `out` from `from` on, and returns where they end.
    #[inline(always)]
    fn write_keys(
        &self,
        text: &str,
        scratch: &mut Scratch,
        out: &mut Vec<u64>,
        from: usize,
    ) -> usize {
        self.tokenize(text, scratch);
        let mut end = match self.options.word_ngrams {
            0 => from,
            n => ngrams::write_ngram_keys(
                &scratch.tokens,
                usize::from(n),
                &mut scratch.keys,
                out,
                from,
            ),
        };
        if let Some((min, max)) = self.options.char_ngrams {
            out.truncate(end);
            let range = (usize::from(min), usize::from(max));
            ngrams::for_each_char_ngram(
                &scratch.tokens,
                range,
                &mut scratch.chars,
                false,
                |k, _| out.push(k),
            );
            end = out.len();
        }
        let mask = self.bucket_mask();
        if mask != u64::MAX {
            out[from..end].iter_mut().for_each(|k| *k &= mask);
        }
        end
    }

    fn features(
        &self,
        text: &str,
        scratch: &mut Scratch,
        with_text: bool,
        mut f: impl FnMut(u64, &str),
    ) {
        let mask = self.bucket_mask();
        let mut f = |hash: u64, feature: &str| f(hash & mask, feature);
        self.tokenize(text, scratch);
        if self.options.word_ngrams > 0 {
            ngrams::for_each_ngram(
                &scratch.tokens,
                usize::from(self.options.word_ngrams),
                &mut scratch.keys,
                with_text.then_some(&mut scratch.gram),
                &mut f,
            );
        }
        if let Some((min, max)) = self.options.char_ngrams {
            ngrams::for_each_char_ngram(
                &scratch.tokens,
                (usize::from(min), usize::from(max)),
                &mut scratch.chars,
                with_text,
                f,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipeline_sees_through_obfuscation() {
        let a = Analyzer::new(AnalyzerOptions::default()).unwrap();
        let mut s = Scratch::default();
        let mut feats = Vec::new();
        a.for_each_feature(
            "ＧＥＴ fr\u{0435}\u{0435} g1ft c@rds!!! at cashnow dot net",
            &mut s,
            |_, f| feats.push(f.to_owned()),
        );
        assert!(feats.contains(&"free gift".to_owned()), "{feats:?}");
        assert!(feats.contains(&"gift cards".to_owned()), "{feats:?}");
        assert!(
            feats.contains(&"<domain:cashnow.net>".to_owned()),
            "{feats:?}"
        );
    }

    /// `push_keys` and `keys` group the keys by kind; sorted, they are exactly `for_each_key`'s.
    #[test]
    fn pushed_keys_are_the_features_keys() {
        let corpus = include_str!("../../tests/fixtures/comments-v1.csv");
        let texts = corpus.lines().take(300).chain([
            "",
            "one",
            "two words",
            "g1ft c@rds at cashnow dot net!!! f r e e",
            "Ünïcödé 🎁🎁 ＦＵＬＬ width",
        ]);
        let mut options = Vec::new();
        for word_ngrams in 0..=3 {
            for char_ngrams in [None, Some((2, 4))] {
                if word_ngrams == 0 && char_ngrams.is_none() {
                    continue;
                }
                for hash_bits in [None, Some(12)] {
                    options.push(AnalyzerOptions {
                        word_ngrams,
                        char_ngrams,
                        hash_bits,
                        ..AnalyzerOptions::default()
                    });
                }
            }
        }
        let mut s = Scratch::default();
        // Reused across texts and options, as the scorer reuses it: what is left in it from a
        // longer comment must not show.
        let mut buf = Vec::new();
        for text in texts {
            for o in &options {
                let a = Analyzer::new(o.clone()).unwrap();
                let mut expected = Vec::new();
                a.for_each_key(text, &mut s, |k| expected.push(k));
                let mut pushed = vec![7];
                a.push_keys(text, &mut s, &mut pushed);
                assert_eq!(pushed.remove(0), 7, "appends");
                assert_eq!(a.keys(text, &mut s, &mut buf), pushed, "written over");
                expected.sort_unstable();
                pushed.sort_unstable();
                assert_eq!(pushed, expected, "{text:?} with {o:?}");
            }
        }
    }

    #[test]
    fn out_of_range_options_are_rejected() {
        let bad = AnalyzerOptions {
            word_ngrams: 4,
            ..AnalyzerOptions::default()
        };
        assert!(Analyzer::new(bad).is_err());
        // No word n-grams and no character n-grams: no features at all.
        let empty = AnalyzerOptions {
            word_ngrams: 0,
            ..AnalyzerOptions::default()
        };
        assert!(Analyzer::new(empty).is_err());
    }

    /// A word never starts with '#', the mark of a character n-gram's text, so every feature's
    /// key is the key of its text, which is what a model file keeps (found by the analyzer
    /// fuzz target: '#' and a combining mark that is a letter, U+0731, made a word "#\u{731}"
    /// whose stored text read back as a character n-gram).
    #[test]
    fn a_word_never_takes_the_character_ngram_mark() {
        let analyzer = Analyzer::new(AnalyzerOptions {
            char_ngrams: Some((2, 4)),
            ..AnalyzerOptions::default()
        })
        .unwrap();
        let mut s = Scratch::default();
        for text in [
            "#\u{731}",
            "##\u{731} and #\u{731}x",
            "say #\u{5b0}\u{5d0} now",
            "#\u{e31}#\u{731}",
        ] {
            let mut seen = 0;
            analyzer.for_each_feature(text, &mut s, |key, feature| {
                seen += 1;
                assert_eq!(key, analyzer.key(feature), "{text:?}: {feature:?}");
            });
            assert!(seen > 0, "{text:?} has no features");
            analyzer.tokenize(text, &mut s);
            for token in s.tokens().iter() {
                assert!(!token.starts_with('#'), "{text:?}: token {token:?}");
            }
        }
    }

    /// `word_ngrams: 0` gives the character view alone: the same character n-grams as with
    /// words, and no word feature.
    #[test]
    fn no_word_ngrams_leaves_the_character_ngrams() {
        let chars = Some((3, 4));
        let with_words = Analyzer::new(AnalyzerOptions {
            char_ngrams: chars,
            ..AnalyzerOptions::default()
        })
        .unwrap();
        let alone = Analyzer::new(AnalyzerOptions {
            word_ngrams: 0,
            char_ngrams: chars,
            ..AnalyzerOptions::default()
        })
        .unwrap();
        let mut s = Scratch::default();
        let text = "free gift cards now";
        let mut all = Vec::new();
        with_words.for_each_feature(text, &mut s, |_, f| all.push(f.to_owned()));
        let mut only = Vec::new();
        alone.for_each_feature(text, &mut s, |_, f| only.push(f.to_owned()));
        let expected: Vec<String> = all.into_iter().filter(|f| f.starts_with('#')).collect();
        assert!(expected.contains(&"#^gif".to_owned()), "{expected:?}");
        assert_eq!(only, expected);
    }
}
