//! The text pipeline: normalize → tokenize → n-grams → feature hashes.
//!
//! Its options are data ([`AnalyzerOptions`]) stored inside every model file, so scoring always
//! extracts features exactly as training did.

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
/// | `word_ngrams` | 2 | longest word n-gram | 1..=3 |
/// | `fold_confusables` | true | fold Cyrillic/Greek lookalike letters in Latin text | |
/// | `fold_leet` | true | fold digits and symbols inside words (`g1ft` → `gift`) | |
/// | `max_token_chars` | 40 | longer words become the `<long>` token | 8..=1000 |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerOptions {
    /// Longest word n-gram.
    pub word_ngrams: u8,
    /// Fold lookalike letters from other scripts.
    pub fold_confusables: bool,
    /// Fold leetspeak inside words.
    pub fold_leet: bool,
    /// Longest word kept as itself.
    pub max_token_chars: u16,
}

impl Default for AnalyzerOptions {
    fn default() -> Self {
        AnalyzerOptions {
            word_ngrams: 2,
            fold_confusables: true,
            fold_leet: true,
            max_token_chars: 40,
        }
    }
}

impl AnalyzerOptions {
    /// Checks the options are in range.
    pub fn check(&self) -> Result<()> {
        if !(1..=3).contains(&self.word_ngrams) {
            return Err(Error::InvalidParam {
                name: "word n-gram length",
                value: self.word_ngrams.to_string(),
                reason: "must be 1, 2 or 3",
            });
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
    normalized: String,
    tokens: Tokens,
    gram: String,
}

impl Scratch {
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
        normalize::normalize(text, self.options.fold_confusables, &mut scratch.normalized);
        tokenize::tokenize(
            &scratch.normalized,
            usize::from(self.options.max_token_chars),
            self.options.fold_leet,
            &mut scratch.tokens,
            &mut scratch.gram,
        );
    }

    /// Calls `f(hash, feature)` for every feature occurrence in `text`, in order.
    pub fn for_each_feature(&self, text: &str, scratch: &mut Scratch, f: impl FnMut(u64, &str)) {
        self.tokenize(text, scratch);
        ngrams::for_each_ngram(
            &scratch.tokens,
            usize::from(self.options.word_ngrams),
            &mut scratch.gram,
            f,
        );
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

    #[test]
    fn out_of_range_options_are_rejected() {
        let bad = AnalyzerOptions {
            word_ngrams: 4,
            ..AnalyzerOptions::default()
        };
        assert!(Analyzer::new(bad).is_err());
    }
}
