//! The analyzer (normalize → tokenize → n-grams → keys) on arbitrary text.
//!
//! Bytes 0..3 pick the options (n-gram lengths, folding, token limit, hashing); the rest is the
//! comment, taken as is when it is UTF-8 and through lossy decoding otherwise. Besides never
//! panicking, the three ways of getting a comment's features must agree, each feature's key
//! must be the key of its text, and a reused scratch must give what a fresh one gives.
#![no_main]

use commentguard::{Analyzer, AnalyzerOptions, Scratch};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[a, b, c], text)) = data.split_first_chunk::<3>() else {
        return;
    };
    let options = AnalyzerOptions {
        word_ngrams: 1 + a % 3,
        char_ngrams: (a & 0x04 != 0).then(|| {
            let min = 1 + (b & 7);
            (min, (min + ((b >> 3) & 7)).min(8))
        }),
        fold_confusables: a & 0x08 != 0,
        fold_leet: a & 0x10 != 0,
        max_token_chars: match c % 4 {
            0 => 8,
            1 => 40,
            2 => 1000,
            _ => 8 + u16::from(c),
        },
        hash_bits: (a & 0x20 != 0).then_some([10, 16, 20, 30][usize::from(b >> 6)]),
    };
    let analyzer = Analyzer::new(options).expect("the options are built in range");
    let text = String::from_utf8_lossy(text);

    let mut fresh = Scratch::default();
    let mut with_text = Vec::new();
    analyzer.for_each_feature(&text, &mut fresh, |key, feature| {
        assert_eq!(key, analyzer.key(feature), "key of {feature:?}");
        with_text.push(key);
    });
    let tokens: Vec<String> = fresh.tokens().iter().map(str::to_owned).collect();

    // A scratch that analyzed something else first (longer, other scripts, leet).
    let mut reused = Scratch::default();
    let other = "Ｆ𝐑𝐄𝐄 g1ft c@rds at bit.ly/x-y — w w w . s c a m . c o m, приве́т, 🎁🎁 $500!! ";
    analyzer.for_each_key(&other.repeat(3), &mut reused, |_| {});
    analyzer.for_each_key(&text, &mut reused, |_| {});
    analyzer.for_each_key(&text, &mut reused, |_| {});
    let mut keys_only = Vec::new();
    analyzer.for_each_key(&text, &mut reused, |key| keys_only.push(key));
    assert_eq!(
        with_text, keys_only,
        "for_each_key differs from for_each_feature"
    );
    let reused_tokens: Vec<&str> = reused.tokens().iter().collect();
    assert_eq!(tokens, reused_tokens, "a reused scratch changed the tokens");

    let mut pushed = vec![7, 7];
    analyzer.push_keys(&text, &mut reused, &mut pushed);
    assert_eq!(&pushed[..2], &[7, 7], "push_keys overwrote what was there");
    let mut pushed = pushed.split_off(2);
    pushed.sort_unstable();
    keys_only.sort_unstable();
    assert_eq!(pushed, keys_only, "push_keys gives other features");

    if let Some(bits) = analyzer.options().hash_bits {
        assert!(
            keys_only.iter().all(|&k| k < 1 << bits),
            "a key outside the buckets"
        );
    }
});
