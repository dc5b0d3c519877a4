//! Byte-level scanning for the tokenizer: splitting at whitespace eight bytes at a time,
//! the kinds of bytes a chunk holds, and UAX #29 word bounds for ASCII without Unicode tables.
//! Each is held to its general counterpart by the tests below.

use super::classify::{is_wrapping_punct, leet};

/// What the pass that finds a chunk learns about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    /// ASCII letters only; `plain` when also known to have no letter three times in a row.
    Letters {
        plain: bool,
    },
    /// ASCII letters (`plain` as above) and one of `, . ; : ! ? ) " '` (see [`ends_clause`]).
    LettersThen {
        plain: bool,
        mark: u8,
    },
    /// ASCII letters (`plain` as above) and two or more of `mark`, `!` or `?`: a word and a
    /// `!!` or `??` token.
    LettersThenMarks {
        plain: bool,
        mark: u8,
    },
    /// ASCII letters with one apostrophe between two of them (`don't`): one word by UAX #29,
    /// with nothing to fold or classify.
    Word,
    /// ASCII digits only: part of a number, or of a phone number with the chunks around it.
    Digits,
    Other,
}

/// Whether `mark` after the ASCII letters `word` is only punctuation: it cannot make the
/// chunk a class (URL, number, email, ...), is trimmed as wrapping punctuation, and is a
/// word-boundary segment of its own. The one exception is "www.", which starts a URL.
pub(super) fn ends_clause(word: &[u8], mark: u8) -> bool {
    match mark {
        b',' | b';' | b':' | b'!' | b'?' | b')' | b'"' | b'\'' => true,
        b'.' => word.last() != Some(&b'w'),
        _ => false,
    }
}

/// What [`for_each_chunk`] needs after the end of the text: it reads whole windows of 64
/// bytes, and one byte more, without checking where the text ends.
pub(super) const PADDING: &str = concat!(
    "                                        ",
    "                                        "
);

/// Calls `f(chunk, shape)` for each chunk of `padded[..len]` split at whitespace, as
/// `str::split_whitespace` splits it, from bit masks: bit `j` of `spaces` and `non_letters`
/// tells whether byte `base + j` is ASCII whitespace or not an ASCII letter, for a window of
/// 64 bytes computed 16 (or 8) at a time. The chunks of a window start at the bits of one mask
/// and end at those of another, and a chunk's shape is one mask test. (Searching for each
/// chunk's start and end, byte by byte or block by block, took a fifth of the tokenizer's
/// instructions.) A chunk with other characters is split at their whitespace, if any, and its
/// parts are [`Shape::Other`].
///
/// `padded` is the text followed by [`PADDING`], so that every read is a whole block.
#[inline(always)]
pub(super) fn for_each_chunk<'a>(padded: &'a str, len: usize, mut f: impl FnMut(&'a str, Shape)) {
    debug_assert!(padded[len..].starts_with(PADDING), "the text is padded");
    let text = &padded[..len];
    let bytes = padded.as_bytes();
    // Each window starts where a chunk may: at 0, or after whitespace.
    let mut base = 0;
    while base < len {
        let (spaces, non_letters, runs) = masks(bytes, base);
        let mut starts = !spaces & (spaces << 1 | 1);
        base = loop {
            if starts == 0 {
                // The window's last byte is whitespace (or past the end): no chunk crosses.
                break base + 64;
            }
            let from = starts.trailing_zeros();
            starts &= starts - 1;
            let start = base + from as usize;
            let after = spaces >> from;
            if after == 0 && from > 0 {
                // The chunk goes on past the window: the next window starts with it, and finds
                // its end. (Computing its masks there costs less than a byte-by-byte search.)
                break start;
            }
            if after == 0 {
                // The chunk goes on past a window of its own: over 64 bytes long.
                let end = bytes[start..len]
                    .iter()
                    .position(|&b| is_ascii_space(b))
                    .map_or(len, |n| start + n);
                let chunk = &text[start..end];
                let letters = chunk.bytes().take_while(u8::is_ascii_alphabetic).count();
                let shape = shape(
                    chunk.as_bytes(),
                    letters,
                    crossing_runs(bytes, start, chunk.len()),
                );
                split_other(chunk, shape, &mut f);
                break end;
            }
            let n = after.trailing_zeros() as usize;
            // A slice of the padded text ends before its end, so that checking that it ends at
            // a character boundary does not branch on whether it ends the text.
            let chunk = &padded[start..start + n];
            // The letters before the first other byte, if any.
            let letters = (non_letters >> from).trailing_zeros().min(n as u32) as usize;
            let shape = shape(chunk.as_bytes(), letters, runs >> from);
            split_other(chunk, shape, &mut f);
        };
    }
}

/// The eight bytes of `bytes` from `i` on.
#[inline(always)]
fn block_at(bytes: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(bytes[i..i + 8].try_into().expect("a slice of 8 bytes"))
}

/// The high bit of each byte of a SWAR result, as bit `k` for byte `k`.
#[inline]
fn pack(high: u64) -> u64 {
    ((high >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Calls `f(chunk, shape)`, or for a chunk of [`Shape::Other`] with characters other than
/// ASCII, `f(part, Shape::Other)` for each part of it between their whitespace.
#[inline(always)]
fn split_other<'a>(chunk: &'a str, shape: Shape, f: &mut impl FnMut(&'a str, Shape)) {
    if shape != Shape::Other || chunk.is_ascii() {
        f(chunk, shape);
    } else {
        for part in chunk.split_whitespace() {
            f(part, Shape::Other);
        }
    }
}

/// The masks of the 64 bytes from `base` on: whitespace, non-letters, and the starts of runs
/// of three equal bytes (exact but for bit 63, which no chunk inside the window uses).
/// Bytes of characters other than ASCII are neither whitespace nor letters. Reads the 66
/// bytes from `base` on.
///
/// With SSE2, which every x86-64 processor has, 16 bytes at a time (through safe_arch, as
/// this crate has no unsafe code): the SWAR version takes about three times the
/// instructions.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks(bytes: &[u8], base: usize) -> (u64, u64, u64) {
    use safe_arch::{
        bitand_m128i as and, bitor_m128i as or, cmp_eq_mask_i8_m128i as eq,
        cmp_gt_mask_i8_m128i as gt, cmp_lt_mask_i8_m128i as lt, load_unaligned_m128i, m128i,
        move_mask_i8_m128i, set_splat_i8_m128i,
    };
    let load = |at: usize| load_unaligned_m128i(bytes[at..at + 16].try_into().expect("16 bytes"));
    let each = |b: u8| set_splat_i8_m128i(b as i8);
    // Bit `j` of the result: byte `j` passes.
    let bits = |v: m128i| u64::from(move_mask_i8_m128i(v) as u16);
    let (mut spaces, mut letters, mut same) = (0, 0, 0);
    for k in 0..4 {
        let at = base + 16 * k;
        let block = load(at);
        // Compared as signed bytes, those of other characters (0x80 and up) are negative,
        // so below every bound here.
        let space = or(
            eq(block, each(b' ')),
            and(gt(block, each(b'\t' - 1)), lt(block, each(b'\r' + 1))),
        );
        // Setting bit 5 lowercases letters and moves nothing else into `a..=z`.
        let lower = or(block, each(0x20));
        let letter = and(gt(lower, each(b'a' - 1)), lt(lower, each(b'z' + 1)));
        spaces |= bits(space) << (16 * k);
        letters |= bits(letter) << (16 * k);
        same |= bits(eq(block, load(at + 1))) << (16 * k);
    }
    (spaces, !letters, same & same >> 1)
}

/// [`masks`] eight bytes at a time, for other processors.
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn masks_swar(bytes: &[u8], base: usize) -> (u64, u64, u64) {
    let (mut spaces, mut non_letters, mut runs) = (0, 0, 0);
    for k in 0..8 {
        let at = base + 8 * k;
        let block = block_at(bytes, at);
        // The SWAR tests hold for ASCII bytes: they see the others without their high bit,
        // and the results for them are then set.
        let high = block & swar::HIGH;
        let ascii = block & !swar::HIGH;
        spaces |= pack(swar::spaces(ascii) & !high) << (8 * k);
        non_letters |= pack(swar::non_letters(ascii) | high) << (8 * k);
        runs |= runs_in_block(bytes, at) << (8 * k);
    }
    (spaces, non_letters, runs)
}

#[cfg(not(target_arch = "x86_64"))]
use masks_swar as masks;

/// Bit `j`: bytes `at + j` to `at + j + 2` are equal, for the 8-byte block at `at`.
#[inline(always)]
fn runs_in_block(bytes: &[u8], at: usize) -> u64 {
    let block = block_at(bytes, at);
    let same = (block ^ block_at(bytes, at + 1)) | (block ^ block_at(bytes, at + 2));
    pack(swar::zeros(same))
}

/// The runs-of-three mask of the first `len` (at most 64) bytes from `start` on, for a chunk
/// crossing its window: rare, and kept out of line so that the usual path stays small.
#[cold]
#[inline(never)]
fn crossing_runs(bytes: &[u8], start: usize, len: usize) -> u64 {
    (0..len.min(64).div_ceil(8)).fold(0, |runs, k| {
        runs | runs_in_block(bytes, start + 8 * k) << (8 * k)
    })
}

/// The shape of a chunk whose first `letters` bytes are ASCII letters and the next, if any,
/// is not; bit `j` of `runs` tells whether bytes `j` to `j + 2` of the chunk are equal.
#[inline(always)]
fn shape(chunk: &[u8], letters: usize, runs: u64) -> Shape {
    // No run starts before the word's last two bytes (and `runs` tells of 64 bytes only).
    let plain =
        |len: usize| (len <= 64) & (runs & ((1u64 << len.saturating_sub(2).min(63)) - 1) == 0);
    let (word, rest) = chunk.split_at(letters);
    if rest.is_empty() {
        return Shape::Letters {
            plain: plain(letters),
        };
    }
    if word.is_empty() {
        // A quarter of the other chunks are numbers.
        return if rest.iter().all(u8::is_ascii_digit) {
            Shape::Digits
        } else {
            Shape::Other
        };
    }
    match rest {
        &[mark] if ends_clause(word, mark) => Shape::LettersThen {
            plain: plain(letters),
            mark,
        },
        _ => shape_after_letters(word, rest, plain),
    }
}

/// The shape of a chunk of ASCII letters `word` and two bytes or more after (or one that does
/// not end a clause): a word with an apostrophe, or a word and a run of marks.
fn shape_after_letters(word: &[u8], rest: &[u8], plain: impl Fn(usize) -> bool) -> Shape {
    match rest {
        [b'\'', after @ ..] if !after.is_empty() && after.iter().all(u8::is_ascii_alphabetic) => {
            Shape::Word
        }
        [mark @ (b'!' | b'?'), ..] if rest.iter().all(|b| b == mark) => Shape::LettersThenMarks {
            plain: plain(word.len()),
            mark: *mark,
        },
        _ => Shape::Other,
    }
}

/// Byte tests on eight ASCII bytes at once, packed little-endian in a `u64` ("SIMD within a
/// register"). Each returns the high bit of every byte that passes, so the first passing byte
/// is `trailing_zeros() / 8`.
pub(super) mod swar {
    /// The high bit of every byte; a block without any is all ASCII.
    pub(super) const HIGH: u64 = 0x8080_8080_8080_8080;

    const fn each_byte(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }

    /// Bytes `>= lo`. For an ASCII byte `x`, `x + 0x80 - lo` stays below 0x100 (no carry into
    /// the next byte) and reaches 0x80 exactly when `x >= lo`.
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn at_least(block: u64, lo: u8) -> u64 {
        block.wrapping_add(each_byte(0x80 - lo)) & HIGH
    }

    /// Bytes in `lo..=hi`.
    #[cfg(any(test, not(target_arch = "x86_64")))]
    fn between(block: u64, lo: u8, hi: u8) -> u64 {
        at_least(block, lo) & !at_least(block, hi + 1)
    }

    /// Whitespace bytes, as [`super::is_ascii_space`].
    #[cfg(any(test, not(target_arch = "x86_64")))]
    pub(super) fn spaces(block: u64) -> u64 {
        between(block, b'\t', b'\r') | between(block, b' ', b' ')
    }

    /// Bytes that are not ASCII letters. Setting bit 5 lowercases letters and moves nothing
    /// else into `a..=z`.
    #[cfg(any(test, not(target_arch = "x86_64")))]
    pub(super) fn non_letters(block: u64) -> u64 {
        !between(block | each_byte(0x20), b'a', b'z') & HIGH
    }

    /// Zero bytes, whatever the others: adding 0x7F to a byte's low seven bits sets its high
    /// bit unless they are zero, and carries into nothing.
    pub(super) fn zeros(block: u64) -> u64 {
        let low = each_byte(0x7F);
        !(((block & low) + low) | block) & HIGH
    }
}

/// `char::is_whitespace` on ASCII: '\t', '\n', '\x0b', '\x0c', '\r' and ' '.
pub(super) fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// The kinds of bytes in a chunk, found in one pass so that checks needing a kind the chunk
/// lacks are skipped: most chunks have no digit, '@', '.', ':', '$' or '%'. For a part of the
/// chunk they may say too much, never too little.
#[derive(Debug, Clone, Copy)]
pub(super) struct Kinds(u16);

impl Kinds {
    pub(super) const DIGIT: u16 = 1;
    pub(super) const DOT: u16 = 1 << 1;
    pub(super) const COLON: u16 = 1 << 2;
    pub(super) const AT: u16 = 1 << 3;
    /// '$' and every non-ASCII byte, for the other currency signs.
    pub(super) const CURRENCY: u16 = 1 << 4;
    pub(super) const PERCENT: u16 = 1 << 5;
    /// Characters [`leet`] folds.
    pub(super) const LEET: u16 = 1 << 6;
    /// Characters [`is_wrapping_punct`] trims.
    pub(super) const WRAPPING: u16 = 1 << 7;
    /// Bytes other than graphic ASCII.
    pub(super) const NOT_GRAPHIC: u16 = 1 << 8;

    /// The kinds of each byte value.
    pub(super) const OF_BYTE: [u16; 256] = {
        let mut table = [0; 256];
        let mut b = 0;
        while b < 256 {
            let byte = b as u8;
            let mut kinds = 0;
            if byte.is_ascii_digit() {
                kinds |= Kinds::DIGIT;
            }
            kinds |= match byte {
                b'.' => Kinds::DOT,
                b':' => Kinds::COLON,
                b'@' => Kinds::AT,
                b'$' => Kinds::CURRENCY,
                b'%' => Kinds::PERCENT,
                _ => 0,
            };
            if !byte.is_ascii() {
                kinds |= Kinds::CURRENCY;
            }
            if leet(byte).is_some() {
                kinds |= Kinds::LEET;
            }
            if is_wrapping_punct(byte as char) {
                kinds |= Kinds::WRAPPING;
            }
            if !byte.is_ascii_graphic() {
                kinds |= Kinds::NOT_GRAPHIC;
            }
            table[b] = kinds;
            b += 1;
        }
        table
    };

    pub(super) fn of(chunk: &str) -> Kinds {
        Kinds(
            chunk
                .bytes()
                .fold(0, |kinds, b| kinds | Kinds::OF_BYTE[usize::from(b)]),
        )
    }

    /// Whether any of `kinds` is present.
    pub(super) fn has(self, kinds: u16) -> bool {
        self.0 & kinds != 0
    }
}

/// Word boundaries of graphic ASCII text, exactly as `split_word_bounds` finds them (a property
/// test compares the two) without Unicode tables. On ASCII, UAX #29 comes down to: letters,
/// digits and `_` join; so does one `'`, `.` or `:` between two letters (`don't`, `node.js`)
/// and one `'`, `.`, `,` or `;` between two digits (`1,000`, `3.5`); every other character is
/// a segment of its own.
pub(super) struct AsciiWordBounds<'a> {
    rest: &'a str,
}

pub(super) fn ascii_word_bounds(text: &str) -> AsciiWordBounds<'_> {
    AsciiWordBounds { rest: text }
}

impl<'a> Iterator for AsciiWordBounds<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.rest.as_bytes();
        if b.is_empty() {
            return None;
        }
        let mut end = 1;
        if is_word_byte(b[0]) {
            while end < b.len()
                && (is_word_byte(b[end])
                    || (end + 1 < b.len() && joins_word(b[end - 1], b[end], b[end + 1])))
            {
                end += 1;
            }
        }
        let (segment, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(segment)
    }
}

pub(super) fn is_word_byte(b: u8) -> bool {
    // A table: one load, where the tests are three ranges and a compare.
    const WORD: [bool; 256] = {
        let mut word = [false; 256];
        let mut b = 0;
        while b < 256 {
            word[b] = (b as u8).is_ascii_alphanumeric() || b == b'_' as usize;
            b += 1;
        }
        word
    };
    WORD[usize::from(b)]
}

/// Whether `mid` joins `before` and `after` into one word (UAX #29 rules WB6, WB7, WB11, WB12).
pub(super) fn joins_word(before: u8, mid: u8, after: u8) -> bool {
    match mid {
        b'\'' | b'.' => {
            (before.is_ascii_alphabetic() && after.is_ascii_alphabetic())
                || (before.is_ascii_digit() && after.is_ascii_digit())
        }
        b':' => before.is_ascii_alphabetic() && after.is_ascii_alphabetic(),
        b',' | b';' => before.is_ascii_digit() && after.is_ascii_digit(),
        _ => false,
    }
}

/// Checks of what the fast paths above rely on.
#[cfg(test)]
mod fast_path_tests {
    use proptest::prelude::*;

    use super::super::*;
    use super::*;

    fn same_bounds(text: &str) -> Result<(), TestCaseError> {
        let ours: Vec<&str> = ascii_word_bounds(text).collect();
        let uax29: Vec<&str> = text.split_word_bounds().collect();
        prop_assert_eq!(ours, uax29, "{:?}", text);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn ascii_word_bounds_are_uax29_word_bounds(
            any_graphic in "[!-~]{0,30}",
            // Letters, digits, `_` and every character that can join them, crowded together.
            joiners in "[aZ09_.,;:'\"!-]{0,30}",
        ) {
            same_bounds(&any_graphic)?;
            same_bounds(&joiners)?;
        }
    }

    /// UAX #29 decides a boundary from the two characters on each side of it, so all strings
    /// of up to five characters, one of each kind, cover every case with a character to spare.
    #[test]
    fn ascii_word_bounds_on_all_short_strings() {
        let alphabet = b"aZ09_.,;:'\"!-";
        let mut text = String::new();
        for len in 0..=5u32 {
            for mut n in 0..alphabet.len().pow(len) {
                text.clear();
                for _ in 0..len {
                    text.push(char::from(alphabet[n % alphabet.len()]));
                    n /= alphabet.len();
                }
                same_bounds(&text).unwrap();
            }
        }
    }

    #[test]
    fn ascii_word_bounds_on_examples() {
        for text in [
            "",
            "a",
            "don't",
            "node.js",
            "e.g.",
            "1,000,000",
            "3.5",
            "1;2",
            "a:b",
            "1:2",
            "a,b",
            "a_.b",
            "_a_",
            "a1.b2",
            "1a.2",
            "a..b",
            "a.'b",
            "'a'",
            "http://x.y",
            "c.a.s.h.",
        ] {
            same_bounds(text).unwrap();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn chunks_are_split_whitespace(
            any_text in "\\PC{0,40}",
            // ASCII and Unicode whitespace, and characters that are not whitespace.
            spaced in "[a-zA-Z.1 \t\n\u{b}\u{c}\r\u{1c}\u{85}\u{a0}\u{2003}\u{2028}\u{3000}\
                       \u{200b}é\u{1f525}]{0,40}",
            // Mostly ASCII words of all lengths, read eight bytes at a time.
            words in "([a-zA-Z]{0,12}[.,!?:;)\"'1\u{7f}é]?[a-z]{0,9}[.,!?w]?\
                      [ \t\n\u{b}\u{c}\r\u{a0}]{1,2}){0,8}",
        ) {
            for text in [&any_text, &spaced, &words] {
                check_chunks(text, chunks(text))?;
            }
        }

        /// Long texts, whose chunks cross the 64-byte windows of [`for_each_chunk`], and short
        /// ones crowded with apostrophes and marks.
        #[test]
        fn long_chunks_are_split_whitespace(
            text in "([a-zA-Z]{0,70}[.,!?:;)\"'1w]?[a-zé]{0,9}[ \t\n\r\u{2028}]{1,3}){0,12}",
            marks in "([a-z]{0,6}['!?.]{0,3}[a-z]{0,4}['!?]{0,3}[ ]{1,2}){0,10}",
        ) {
            check_chunks(&marks, chunks(&marks))?;
            check_chunks(&text, chunks(&text))?;
        }
    }

    proptest! {
        /// Both ways of computing a window's masks against byte-by-byte tests, on windows of
        /// every kind of byte, and runs of equal bytes.
        #[test]
        fn masks_are_byte_tests(
            bytes in proptest::collection::vec(
                prop_oneof![any::<u8>(), Just(b' '), Just(b'a'), Just(b'\t'), 0x40u8..0x80],
                66..100,
            ),
            base in 0usize..30,
        ) {
            let base = base.min(bytes.len() - 66);
            let window = &bytes[base..];
            let bit = |test: &dyn Fn(usize) -> bool| {
                (0..64).filter(|&j| test(j)).fold(0u64, |mask, j| mask | 1 << j)
            };
            let spaces = bit(&|j| is_ascii_space(window[j]));
            let non_letters = bit(&|j| !window[j].is_ascii_alphabetic());
            let runs = bit(&|j| window.get(j + 2).is_some_and(|&c| c == window[j] && c == window[j + 1]));
            let (s, n, r) = masks(&bytes, base);
            prop_assert_eq!((s, n, r & !(1 << 63)), (spaces, non_letters, runs & !(1 << 63)));
            prop_assert_eq!(masks_swar(&bytes, base), (spaces, non_letters, runs));
        }
    }

    /// The chunks of `text`, found in a padded copy.
    fn chunks(text: &str) -> Vec<(&str, Shape)> {
        let padded = format!("{text}{PADDING}");
        let mut chunks = Vec::new();
        for_each_chunk(&padded, text.len(), |chunk, shape| {
            let at = chunk.as_ptr() as usize - padded.as_ptr() as usize;
            chunks.push((&text[at..at + chunk.len()], shape));
        });
        chunks
    }

    /// `chunks` are `split_whitespace`'s, and each shape holds of its chunk.
    fn check_chunks(text: &str, chunks: Vec<(&str, Shape)>) -> Result<(), TestCaseError> {
        {
            {
                let (ours, shapes): (Vec<&str>, Vec<Shape>) = chunks.into_iter().unzip();
                let std: Vec<&str> = text.split_whitespace().collect();
                prop_assert_eq!(&ours, &std, "{:?}", text);
                for (chunk, shape) in ours.into_iter().zip(shapes) {
                    let letters = |s: &str| s.bytes().all(|b| b.is_ascii_alphabetic());
                    match shape {
                        // Letters are other only as a part of a chunk with Unicode whitespace.
                        Shape::Other => prop_assert!(
                            !letters(chunk)
                                || text.contains(|c: char| !c.is_ascii() && c.is_whitespace()),
                            "{:?}",
                            chunk
                        ),
                        // Plain whenever it has no run of three, unless it crosses a window.
                        Shape::Letters { plain } => {
                            prop_assert!(letters(chunk), "{:?}", chunk);
                            prop_assert!(!plain || !has_run_of_three(chunk), "{:?}", chunk);
                            let short = chunk.len() <= 8 && text.len() <= 64;
                            prop_assert!(plain || !short || has_run_of_three(chunk), "{:?}", chunk);
                        }
                        Shape::LettersThen { plain, mark } => {
                            let word = &chunk[..chunk.len() - 1];
                            prop_assert!(letters(word), "{:?}", chunk);
                            prop_assert_eq!(chunk.as_bytes()[word.len()], mark);
                            prop_assert!(ends_clause(word.as_bytes(), mark), "{:?}", chunk);
                            prop_assert!(!plain || !has_run_of_three(word), "{:?}", chunk);
                        }
                        Shape::LettersThenMarks { plain, mark } => {
                            let word = chunk.trim_end_matches(char::from(mark));
                            prop_assert!(!word.is_empty() && letters(word), "{:?}", chunk);
                            prop_assert!(chunk.len() - word.len() >= 2, "{:?}", chunk);
                            prop_assert!(mark == b'!' || mark == b'?', "{:?}", chunk);
                            prop_assert!(!plain || !has_run_of_three(word), "{:?}", chunk);
                        }
                        Shape::Digits => {
                            prop_assert!(chunk.bytes().all(|b| b.is_ascii_digit()), "{:?}", chunk);
                        }
                        Shape::Word => {
                            // One UAX #29 word, of letters and one apostrophe.
                            let segments: Vec<&str> = chunk.split_word_bounds().collect();
                            prop_assert_eq!(segments, vec![chunk]);
                            let apostrophes = chunk.bytes().filter(|&b| b == b'\'').count();
                            prop_assert_eq!(apostrophes, 1, "{:?}", chunk);
                            let rest = chunk.bytes().filter(|&b| b != b'\'');
                            prop_assert!(rest.clone().all(|b| b.is_ascii_alphabetic()));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn has_run_of_three(word: &str) -> bool {
        word.as_bytes()
            .windows(3)
            .any(|w| w[0] == w[1] && w[1] == w[2])
    }

    /// Every byte value in every lane, among neighbours of every kind.
    #[test]
    fn swar_zeros_agree_with_a_byte_loop() {
        for lane in 0..8 {
            for b in 0..=u8::MAX {
                for filler in [0u8, 1, 0x7f, 0x80, 0xff] {
                    let mut bytes = [filler; 8];
                    bytes[lane] = b;
                    let expected = bytes
                        .iter()
                        .enumerate()
                        .filter(|&(_, &x)| x == 0)
                        .fold(0u64, |mask, (i, _)| mask | 0x80 << (8 * i));
                    assert_eq!(
                        swar::zeros(u64::from_le_bytes(bytes)),
                        expected,
                        "{bytes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn swar_tests_agree_with_byte_tests() {
        for lane in 0..8 {
            for b in 0u8..0x80 {
                for filler in [0u8, b'\t', b' ', b'a', b'Z', b'{', 0x7f] {
                    let mut bytes = [filler; 8];
                    bytes[lane] = b;
                    let block = u64::from_le_bytes(bytes);
                    let expected = |test: fn(u8) -> bool| {
                        bytes
                            .iter()
                            .enumerate()
                            .filter(|&(_, &x)| test(x))
                            .fold(0u64, |mask, (i, _)| mask | 0x80 << (8 * i))
                    };
                    assert_eq!(swar::spaces(block), expected(is_ascii_space), "{bytes:?}");
                    assert_eq!(
                        swar::non_letters(block),
                        expected(|x| !x.is_ascii_alphabetic()),
                        "{bytes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn tld_lookup_finds_exactly_the_tlds() {
        for &t in TLDS {
            assert_eq!(tld(t), Some(t));
            for other in [
                &t[1..],
                &format!("{t}x"),
                &format!("x{t}"),
                &t.to_uppercase(),
            ] {
                assert_eq!(tld(other), TLDS.iter().copied().find(|x| *x == other));
            }
        }
        for word in ["", "a", "comm", "online1", "\0com", "net\0", "co\0"] {
            assert_eq!(tld(word), None);
        }
    }

    #[test]
    fn numeric_runs_are_reset_between_comments() {
        let mut out = Tokens::default();
        let mut folded = String::new();
        tokenize("call 555", 40, true, &mut out, &mut folded);
        tokenize("0100 now", 40, true, &mut out, &mut folded);
        assert_eq!(out.iter().collect::<Vec<_>>(), ["<number>", "now"]);
    }

    /// NAME is moved within the token text: check it with tokens before it, a dotted TLD,
    /// and the "www" that every host loses (`w w w` joins into it).
    #[test]
    fn written_out_domains_after_other_tokens() {
        let mut out = Tokens::default();
        let mut folded = String::new();
        tokenize(
            "hi so cashnow dot n.e.t w w w dot com",
            40,
            true,
            &mut out,
            &mut folded,
        );
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            [
                "hi",
                "so",
                "<url>",
                "<domain:cashnow.net>",
                "<url>",
                "<domain:com>"
            ]
        );
    }
}
