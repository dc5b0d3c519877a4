//! Stage 1: Unicode normalization and lookalike folding.
//!
//! NFKC turns fullwidth and "fancy" letters (ｆｒｅｅ, 𝐟𝐫𝐞𝐞) into plain ones; lowercasing makes
//! case irrelevant; invisible characters (zero-width spaces, bidi controls, soft hyphens) are
//! dropped so they cannot split a word; and letters from other scripts that look Latin
//! (Cyrillic а, Greek ο) are folded with decancer where they stand in Latin text.

use unicode_normalization::UnicodeNormalization;
use unicode_script::{Script, UnicodeScript};

/// Writes the normalized form of `text` into `out` (cleared first).
pub(crate) fn normalize(text: &str, fold_confusables: bool, out: &mut String) {
    out.clear();
    if text.is_ascii() {
        // The common case: no NFKC, no scripts, just lowercase and blank out controls.
        out.extend(text.bytes().map(|b| {
            if b.is_ascii_control() {
                ' '
            } else {
                b.to_ascii_lowercase() as char
            }
        }));
        return;
    }
    let mut latin = 0usize;
    let mut lookalike = 0usize;
    for c in text.chars().filter(|&c| !is_invisible(c)).nfkc() {
        let c = match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201F}' | '\u{2033}' => '"',
            c if c.is_control() => ' ',
            c => c,
        };
        for l in c.to_lowercase() {
            match l.script() {
                Script::Latin => latin += 1,
                s if is_lookalike_script(s) => lookalike += 1,
                _ => {}
            }
            out.push(l);
        }
    }
    if fold_confusables && lookalike > 0 {
        fold_lookalikes(out, latin >= lookalike);
    }
}

/// Folds lookalike letters to Latin: everywhere when the text is mostly Latin, else only in
/// words that mix Latin with a lookalike script (a genuine Russian comment stays Russian).
fn fold_lookalikes(text: &mut String, latin_majority: bool) {
    let mut folded = String::with_capacity(text.len());
    for (is_space, chunk) in split_keep_whitespace(text) {
        let mixed = !is_space && {
            let (mut has_latin, mut has_lookalike) = (false, false);
            for c in chunk.chars() {
                match c.script() {
                    Script::Latin => has_latin = true,
                    s if is_lookalike_script(s) => has_lookalike = true,
                    _ => {}
                }
            }
            has_latin && has_lookalike
        };
        if is_space || !(latin_majority || mixed) {
            folded.push_str(chunk);
            continue;
        }
        for c in chunk.chars() {
            if !is_lookalike_script(c.script()) {
                folded.push(c);
                continue;
            }
            match decancer::cure_char(c, decancer::Options::default()) {
                decancer::Translation::Character(l) if l.is_ascii_alphanumeric() => folded.push(l),
                decancer::Translation::String(s)
                    if s.bytes().all(|b| b.is_ascii_alphanumeric()) =>
                {
                    folded.push_str(&s)
                }
                _ => folded.push(c),
            }
        }
    }
    *text = folded;
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
    matches!(c,
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
