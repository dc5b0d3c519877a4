//! Open-ended inputs never panic: the text pipeline, the model loader and the CSV reader.

use commentguard::{
    read_csv, Analyzer, AnalyzerOptions, Classifier, InputOptions, LabelSpec, Scratch,
};
use proptest::prelude::*;

fn embedded() -> &'static Classifier {
    static MODEL: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| Classifier::embedded().unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn analyzer_handles_any_unicode(text in "\\PC{0,200}", ascii in "[ -~]{0,200}") {
        let a = Analyzer::new(AnalyzerOptions::default()).unwrap();
        let mut s = Scratch::default();
        for t in [&text, &ascii] {
            let mut n = 0;
            a.for_each_feature(t, &mut s, |_, f| { assert!(!f.is_empty()); n += 1; });
            // Unigrams plus bigrams: 2k - 1 features for k tokens.
            let k = s.tokens().len();
            prop_assert_eq!(n, if k == 0 { 0 } else { 2 * k - 1 });
        }
    }

    #[test]
    fn scores_are_probabilities_for_any_text(text in "\\PC{0,300}") {
        for p in embedded().score(&text).probabilities() {
            prop_assert!((0.0..=1.0).contains(p));
        }
    }

    #[test]
    fn model_loader_rejects_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(Classifier::from_bytes(&bytes).is_err());
    }

}

proptest! {
    // Each case checks the whole 8 MB default model twice; 48 cases keep it to seconds.
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn model_loader_survives_corruption(pos in 0usize..10_000_000, bit in 0u8..8, cut in 0usize..10_000_000) {
        let mut bytes = commentguard::DEFAULT_MODEL.to_vec();
        let pos = pos % bytes.len();
        bytes[pos] ^= 1 << bit;
        prop_assert!(Classifier::from_bytes(&bytes).is_err());
        let cut = cut % commentguard::DEFAULT_MODEL.len();
        prop_assert!(Classifier::from_bytes(&commentguard::DEFAULT_MODEL[..cut]).is_err());
    }

    #[test]
    fn csv_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400), skip in any::<bool>()) {
        let mut input = b"text,spam\n".to_vec();
        input.extend_from_slice(&bytes);
        let opts = InputOptions {
            labels: vec!["spam".parse::<LabelSpec>().unwrap()],
            skip_invalid: skip,
            ..InputOptions::default()
        };
        let mut rows = 0u64;
        if let Ok(summary) = read_csv(input.as_slice(), "p.csv", &opts, |_| { rows += 1; Ok(()) }) {
            prop_assert_eq!(summary.rows, rows);
        }
    }
}
