//! Stage 1: Unicode normalization and lookalike folding.
//!
//! NFKC turns fullwidth and "fancy" letters (ｆｒｅｅ, 𝐟𝐫𝐞𝐞) into plain ones; lowercasing makes
//! case irrelevant; invisible characters (zero-width spaces, bidi controls, soft hyphens) are
//! dropped so they cannot split a word; and letters from other scripts that look Latin
//! (Cyrillic а, Greek ο) are folded with decancer where they stand in Latin text.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
use unicode_script::{Script, UnicodeScript};

/// Writes the normalized form of `text` into `out` (cleared first).
pub(crate) fn normalize(text: &str, fold_confusables: bool, out: &mut String) {
    // Invisible characters are dropped wherever they are; those at the end are dropped first,
    // so that a text that is ASCII but for them takes the ASCII path: the byte-order mark that
    // ends nearly every comment of the YouTube spam set, for one.
    let text = text.trim_end_matches(is_invisible);
    out.clear();
    // The common case, ASCII without controls: a copy lowercased. It is padded with spaces to
    // whole 16-byte blocks, which change nothing, so that the vectorized loops that check and
    // lowercase it have no byte-by-byte tail (whose end was mispredicted).
    out.push_str(text);
    out.push_str("                ");
    let blocks = text.len().next_multiple_of(16);
    let (high, control) =
        out.as_bytes()[..blocks]
            .chunks_exact(16)
            .fold((0, false), |(high, control), block| {
                let high = block.iter().fold(high, |h, &b| h | b);
                (
                    high,
                    block.iter().fold(control, |c, b| c | b.is_ascii_control()),
                )
            });
    if high < 0x80 && !control {
        out[..blocks].make_ascii_lowercase();
        out.truncate(text.len());
        return;
    }
    if high < 0x80 {
        // ASCII with controls, which are blanked.
        out.clear();
        push_ascii_lowercase(text, out);
        return;
    }
    let mut scripts = ScriptCounts::default();
    if edit_in_place(text, control, out, &mut scripts) {
        if fold_confusables && scripts.lookalike > 0 {
            fold_lookalikes(out, scripts.latin >= scripts.lookalike);
        }
        return;
    }
    out.clear();
    scripts = ScriptCounts::default();
    // Mostly ASCII still: ASCII runs are copied whole, only the rest goes char by char. NFKC
    // can be applied run by run: every ASCII character is a starter that nothing before it
    // composes with, so there is a normalization boundary before each. Only the last ASCII
    // character of a run may compose with what follows it (`e` and U+0301), so it is normalized
    // with the run after it.
    //
    // NFKC leaves text already in NFKC as it is; most non-ASCII runs are (emoji, Cyrillic,
    // curly quotes), and the quick check costs far less than the normalizing iterator. It
    // passes ASCII and starts afresh after it, so a run can be checked on its own. (Normalizing
    // a whole comment for one ellipsis cost a hundred instructions a character.)
    for (ascii, rest) in ascii_runs(text) {
        let visible = || rest.chars().filter(|&c| !is_invisible(c));
        let nfkc = is_nfkc_quick(visible()) == IsNormalized::Yes;
        let (ascii, last) = ascii.split_at(ascii.len() - usize::from(!nfkc && !ascii.is_empty()));
        push_ascii_lowercase(ascii, out);
        scripts.latin += ascii_letters(ascii.as_bytes());
        if nfkc {
            visible().for_each(|c| push_lowercase(c, out, &mut scripts));
        } else {
            let normalized = last.chars().chain(visible()).nfkc();
            normalized.for_each(|c| push_lowercase(c, out, &mut scripts));
        }
    }
    if fold_confusables && scripts.lookalike > 0 {
        fold_lookalikes(out, scripts.latin >= scripts.lookalike);
    }
}

/// Normalizes `text` by editing its copy in `out` (the text, then padding), when every
/// character beyond ASCII is one that the normalizer drops (invisible), replaces by one
/// character (a no-break space, a typographic quote, an uppercase letter) or keeps, and there
/// are at most a few edits; counts the scripts of what it keeps into `scripts`. Otherwise
/// returns false, and `out` and `scripts` are to be made afresh.
///
/// Nearly all comments beyond ASCII are of this kind: a byte-order mark left in the text, an
/// emoji, a no-break space, a curly quote. Rebuilding them run by run cost about twice a whole
/// ASCII comment.
fn edit_in_place(text: &str, control: bool, out: &mut String, scripts: &mut ScriptCounts) -> bool {
    const MAX_EDITS: usize = 16;
    let mut edits = [(0, 0, None::<char>); MAX_EDITS];
    let mut n = 0;
    let mut at = 0;
    // The last character looked at and its edit: symbols come in runs (`░░░░`, `▬▬▬`).
    let mut last: Option<(char, Option<Option<char>>)> = None;
    while let Some(c) = {
        at += ascii_prefix(&text.as_bytes()[at..]);
        text[at..].chars().next()
    } {
        let end = at + c.len_utf8();
        let edit = if let Some((_, edit)) = last.filter(|&(l, _)| l == c) {
            edit
        } else if is_invisible(c) {
            Some(None)
        } else if c == '\u{a0}' {
            // NFKC makes a no-break space a space.
            Some(Some(' '))
        } else {
            // In NFKC alone and a starter, so NFKC leaves it as it is, whatever is around it:
            // a character that may compose with the one before is "maybe" in the quick check.
            if is_nfkc_quick(std::iter::once(c)) != IsNormalized::Yes
                || canonical_combining_class(c) != 0
            {
                return false;
            }
            let mut lower = plain(c).to_lowercase();
            let Some(l) = lower.next() else {
                return false;
            };
            if lower.next().is_some() {
                return false;
            }
            (l != c).then_some(Some(l))
        };
        last = Some((c, edit));
        // The script of what stays: the replacement, or the character.
        match edit {
            Some(Some(replacement)) => scripts.count(replacement),
            Some(None) => {}
            None => scripts.count(c),
        }
        if let Some(replacement) = edit {
            let Some(slot) = edits.get_mut(n) else {
                return false;
            };
            *slot = (at, end, replacement);
            n += 1;
        }
        at = end;
    }
    // Over whole 16-byte blocks of the copy and its padding, as for ASCII text; the edits only
    // touch characters beyond ASCII, which this leaves alone.
    let blocks = text.len().next_multiple_of(16);
    // Latin letters only count against lookalike ones: without any, they need no counting.
    if scripts.lookalike > 0 {
        scripts.latin += ascii_letters(&out.as_bytes()[..blocks]);
    }
    out[..blocks].make_ascii_lowercase();
    out.truncate(text.len());
    if control {
        // ASCII controls are blanked in place: one byte for one, so no edit moves.
        for (i, b) in text.bytes().enumerate() {
            if b.is_ascii_control() {
                out.replace_range(i..i + 1, " ");
            }
        }
    }
    // From the last, so that the positions of those before stay put.
    let mut buf = [0; 4];
    for &(start, end, replacement) in edits[..n].iter().rev() {
        out.replace_range(
            start..end,
            replacement.map_or("", |c| c.encode_utf8(&mut buf)),
        );
    }
    true
}

/// How many ASCII letters `bytes` has: counted in 16 byte-sized lanes, 16 bytes at a time,
/// which the compiler vectorizes (`filter` and `count` it did not), and summed at the end.
fn ascii_letters(bytes: &[u8]) -> usize {
    let is_letter = |b: u8| u8::from((b | 0x20).wrapping_sub(b'a') < 26);
    let mut blocks = bytes.chunks_exact(16);
    let mut total = 0;
    // At most 255 blocks at a time, so that no lane overflows.
    loop {
        let mut lanes = [0u8; 16];
        let mut n = 0;
        for block in blocks.by_ref().take(255) {
            for (lane, &b) in lanes.iter_mut().zip(block) {
                *lane += is_letter(b);
            }
            n += 1;
        }
        total += lanes.iter().map(|&l| usize::from(l)).sum::<usize>();
        if n < 255 {
            break;
        }
    }
    let tail = blocks
        .remainder()
        .iter()
        .map(|&b| usize::from(is_letter(b)));
    total + tail.sum::<usize>()
}

/// Appends ASCII `text` lowercased, with controls blanked.
fn push_ascii_lowercase(text: &str, out: &mut String) {
    let start = out.len();
    // A fold rather than `any`: without an early exit the loop is vectorized.
    let has_control = text
        .bytes()
        .fold(false, |seen, b| seen | b.is_ascii_control());
    if has_control {
        for (i, part) in text.split(|c: char| c.is_ascii_control()).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(part);
        }
    } else {
        out.push_str(text);
    }
    out[start..].make_ascii_lowercase();
}

/// Splits `text` into pairs of an ASCII run and the non-ASCII run after it (either empty).
fn ascii_runs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        // Both ends are char boundaries: ASCII bytes are whole characters.
        let ascii_end = ascii_prefix(rest.as_bytes());
        let (ascii, tail) = rest.split_at(ascii_end);
        let other_end = tail
            .bytes()
            .position(|b| b.is_ascii())
            .unwrap_or(tail.len());
        let (other, tail) = tail.split_at(other_end);
        rest = tail;
        Some((ascii, other))
    })
}

/// The length of the ASCII bytes `bytes` starts with: eight bytes at a time, as ASCII runs
/// are long and the other runs short.
fn ascii_prefix(bytes: &[u8]) -> usize {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut blocks = bytes.chunks_exact(8);
    let mut at = 0;
    for block in &mut blocks {
        let high = u64::from_le_bytes(block.try_into().expect("8 bytes")) & HIGH;
        if high != 0 {
            return at + high.trailing_zeros() as usize / 8;
        }
        at += 8;
    }
    let tail = blocks.remainder();
    at + tail
        .iter()
        .position(|b| !b.is_ascii())
        .unwrap_or(tail.len())
}

/// Letters seen per script family, to decide how much lookalike folding a text gets.
#[derive(Default)]
struct ScriptCounts {
    latin: usize,
    lookalike: usize,
}

impl ScriptCounts {
    fn count(&mut self, c: char) {
        match c.script() {
            Script::Latin => self.latin += 1,
            s if is_lookalike_script(s) => self.lookalike += 1,
            _ => {}
        }
    }
}

/// Pushes the lowercase form of one NFKC character, with typographic quotes made ASCII and
/// controls blanked, counting the scripts of what it pushes.
fn push_lowercase(c: char, out: &mut String, scripts: &mut ScriptCounts) {
    if c.is_ascii() {
        // ASCII letters are Latin, all other ASCII is Common (checked by a test).
        if c.is_ascii_alphabetic() {
            scripts.latin += 1;
        }
        out.push(if c.is_ascii_control() {
            ' '
        } else {
            c.to_ascii_lowercase()
        });
    } else {
        push_lowercase_general(c, out, scripts);
    }
}

/// [`push_lowercase`] without its ASCII fast path: any character.
fn push_lowercase_general(c: char, out: &mut String, scripts: &mut ScriptCounts) {
    for l in plain(c).to_lowercase() {
        scripts.count(l);
        out.push(l);
    }
}

/// `c` with typographic quotes made ASCII and controls blanked.
fn plain(c: char) -> char {
    match c {
        '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' => '\'',
        '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
        c if c.is_control() => ' ',
        c => c,
    }
}

/// Folds lookalike letters to Latin: everywhere when the text is mostly Latin, else only in
/// words that mix Latin with a lookalike script (a genuine Russian comment stays Russian).
///
/// The folded text is appended after the original, which is then drained from the front: the
/// buffer's capacity is reused instead of allocating a second string.
fn fold_lookalikes(text: &mut String, latin_majority: bool) {
    let len = text.len();
    let mut at = 0;
    while at < len {
        let (end, fold) = {
            let (is_space, chunk) = split_keep_whitespace(&text[at..len])
                .next()
                .expect("at < len, so a chunk remains");
            let fold = !is_space && (latin_majority || mixes_latin_and_lookalike(chunk));
            (at + chunk.len(), fold)
        };
        // Indexing rather than iterating `chunk`, which would borrow `text` while it grows.
        while at < end {
            let c = text[at..]
                .chars()
                .next()
                .expect("at < end is a char boundary");
            at += c.len_utf8();
            if fold {
                push_folded(c, text);
            } else {
                text.push(c);
            }
        }
    }
    text.drain(..len);
}

fn mixes_latin_and_lookalike(word: &str) -> bool {
    let (mut has_latin, mut has_lookalike) = (false, false);
    for c in word.chars() {
        match c.script() {
            Script::Latin => has_latin = true,
            s if is_lookalike_script(s) => has_lookalike = true,
            _ => {}
        }
    }
    has_latin && has_lookalike
}

/// Pushes `c`, or the ASCII letters or digits decancer reads it as if it is a lookalike.
fn push_folded(c: char, out: &mut String) {
    if !is_lookalike_script(c.script()) {
        out.push(c);
        return;
    }
    match decancer::cure_char(c, decancer::Options::default()) {
        decancer::Translation::Character(l) if l.is_ascii_alphanumeric() => out.push(l),
        decancer::Translation::String(s) if s.bytes().all(|b| b.is_ascii_alphanumeric()) => {
            out.push_str(&s)
        }
        _ => out.push(c),
    }
}

fn is_lookalike_script(s: Script) -> bool {
    matches!(
        s,
        Script::Cyrillic | Script::Greek | Script::Armenian | Script::Cherokee
    )
}

/// Splits into alternating runs of whitespace and non-whitespace, keeping both.
fn split_keep_whitespace(text: &str) -> impl Iterator<Item = (bool, &str)> {
    let mut rest = text;
    std::iter::from_fn(move || {
        let first = rest.chars().next()?;
        let space = first.is_whitespace();
        let end = rest
            .find(|c: char| c.is_whitespace() != space)
            .unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some((space, chunk))
    })
}

/// Default-ignorable code points: invisible, and used to split words so filters miss them.
fn is_invisible(c: char) -> bool {
    // The first is U+00AD: one comparison settles ASCII and Latin-1 letters.
    c >= '\u{00AD}'
        && matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        let mut out = String::new();
        normalize(s, true, &mut out);
        out
    }

    #[test]
    fn ascii_is_lowercased_and_controls_blanked() {
        assert_eq!(norm("FREE\tMoney\u{7}!"), "free money !");
    }

    #[test]
    fn fullwidth_and_math_letters_become_ascii() {
        assert_eq!(norm("ｆｒｅｅ 𝐜𝐚𝐬𝐡"), "free cash");
    }

    #[test]
    fn zero_width_characters_cannot_split_words() {
        assert_eq!(
            norm("fr\u{200B}ee gi\u{FEFF}ft c\u{00AD}ard"),
            "free gift card"
        );
    }

    #[test]
    fn cyrillic_and_greek_lookalikes_fold_in_latin_text() {
        // "frее саsh" with Cyrillic е, а, с; "mοney" with a Greek omicron.
        assert_eq!(
            norm("fr\u{0435}\u{0435} \u{0441}\u{0430}sh m\u{03BF}ney"),
            "free cash money"
        );
        // A whole word in Cyrillic lookalikes inside an English comment is folded too.
        assert_eq!(
            norm("get \u{0441}\u{0430}\u{0455}\u{04BB} now"),
            "get cash now"
        );
    }

    #[test]
    fn genuine_cyrillic_text_is_kept() {
        assert_eq!(norm("Привет, как дела?"), "привет, как дела?");
    }

    #[test]
    fn curly_quotes_become_ascii() {
        assert_eq!(norm("It’s “fine”"), "it's \"fine\"");
    }

    #[test]
    fn folding_can_be_switched_off() {
        let mut out = String::new();
        normalize("fr\u{0435}e", false, &mut out);
        assert_eq!(out, "fr\u{0435}e");
    }
}

/// The fast paths above (ASCII, NFKC quick check, folding in place) checked against the plain
/// pipeline they stand for.
#[cfg(test)]
mod fast_path_tests {
    use proptest::prelude::*;

    use super::*;

    /// The normalizer without fast paths: drop invisibles, NFKC, map quotes and controls,
    /// lowercase, count scripts, then fold into a new string.
    fn reference(text: &str, fold_confusables: bool) -> String {
        let mut out = String::new();
        let mut scripts = ScriptCounts::default();
        for c in text.chars().filter(|&c| !is_invisible(c)).nfkc() {
            push_lowercase_general(c, &mut out, &mut scripts);
        }
        if !(fold_confusables && scripts.lookalike > 0) {
            return out;
        }
        let latin_majority = scripts.latin >= scripts.lookalike;
        let mut folded = String::new();
        for (is_space, chunk) in split_keep_whitespace(&out) {
            if is_space || !(latin_majority || mixes_latin_and_lookalike(chunk)) {
                folded.push_str(chunk);
            } else {
                chunk.chars().for_each(|c| push_folded(c, &mut folded));
            }
        }
        folded
    }

    #[test]
    fn ascii_letters_are_latin_and_other_ascii_is_common() {
        for c in (0u8..=127).map(char::from) {
            let expected = if c.is_ascii_alphabetic() {
                Script::Latin
            } else {
                Script::Common
            };
            assert_eq!(c.script(), expected, "{c:?}");
        }
    }

    /// Counted in lanes, 255 blocks at a time: lengths around those limits, and long texts.
    #[test]
    fn ascii_letters_are_counted_at_any_length() {
        let lengths = [0, 1, 15, 16, 17, 4_079, 4_080, 4_081, 8_160, 9_000];
        // The second has all letters, so that a lane would overflow past 255 blocks.
        for text in ["Ab1 zZ_é".repeat(1200), "abcdefgh".repeat(1200)] {
            for len in lengths {
                let bytes = &text.as_bytes()[..len];
                let expected = bytes.iter().filter(|b| b.is_ascii_alphabetic()).count();
                assert_eq!(ascii_letters(bytes), expected, "{len}");
            }
        }
    }

    /// Runs of one character beyond ASCII, whose edit is worked out once per run.
    #[test]
    fn runs_of_symbols_as_the_plain_pipeline() {
        for text in [
            "░░░ free ░░░",
            "ÀÀÀ ÉCOLE",
            "it’’s “fine”",
            "a\u{a0}\u{a0}b\u{feff}\u{feff}",
            "frее frее (Cyrillic е twice)",
            "❤️❤️ 🔥🔥🔥",
        ] {
            for fold in [true, false] {
                let mut out = String::new();
                normalize(text, fold, &mut out);
                assert_eq!(out, reference(text, fold), "{text:?}");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn same_as_the_plain_pipeline(
            any_text in "\\PC{0,40}",
            // ASCII, then invisible characters, or one more character after them.
            ascii_then_invisible in "[ -~]{0,40}[\u{feff}\u{200b}\u{ad}]{1,3}[a\u{e9}]?",
            // Latin, lookalikes, fullwidth, math letters, combining marks, invisibles,
            // controls, quotes, emoji and spaces, so that every path is taken often.
            mixed in "[a-zA-Z0-9 .'\u{0}\t\u{7f}\u{430}\u{435}\u{441}\u{3bf}\u{391}\u{13aa}\
                      \u{ff41}\u{ff21}\u{1d41a}\u{301}\u{308}\u{200b}\u{ad}\u{feff}\u{2019}\
                      \u{201c}\u{85}\u{a0}\u{2028}\u{3000}\u{130}\u{1f525}\u{4e16}]{0,40}",
        ) {
            for text in [&any_text, &ascii_then_invisible, &mixed] {
                for fold in [true, false] {
                    let mut out = String::from("stale");
                    normalize(text, fold, &mut out);
                    prop_assert_eq!(&out, &reference(text, fold), "{:?}", text);
                }
            }
        }
    }
}
