//! Stage 2: tokenization of normalized text.
//!
//! Words come from Unicode word boundaries (any script). Things whose exact spelling carries no
//! meaning become class tokens: a URL is `<url>` plus `<domain:example.com>`, and emails, phone
//! numbers, money amounts, percentages, @mentions, numbers and emoji have classes of their own,
//! because "follow this link" spam is about their presence, not their digits. Spellings used to
//! dodge filters are folded: digits and symbols inside words (`g1ft c@rds`), letter runs
//! (`freeeee`), letters spaced or dotted apart (`f r e e`, `c.a.s.h`), `site dot com`.

use unicode_segmentation::UnicodeSegmentation;

/// Class token for a URL; followed by a `<domain:...>` token.
pub const URL: &str = "<url>";
/// Class token for an email address.
pub const EMAIL: &str = "<email>";
/// Class token for a phone number.
pub const PHONE: &str = "<phone>";
/// Class token for a money amount.
pub const MONEY: &str = "<money>";
/// Class token for a percentage.
pub const PERCENT: &str = "<percent>";
/// Class token for an @mention.
pub const MENTION: &str = "<mention>";
/// Class token for a number.
pub const NUMBER: &str = "<number>";
/// Class token for an emoji; the emoji itself follows as a token too.
pub const EMOJI: &str = "<emoji>";
/// Class token for a word longer than the analyzer's limit.
pub const LONG: &str = "<long>";

/// Top-level domains recognised in bare domains (`cashnow.net`) and in `cashnow dot net`.
/// Deliberately short: a long list turns `e.g.` and `node.js` into links.
const TLDS: &[&str] = &[
    "app", "biz", "buzz", "ca", "cc", "cf", "click", "club", "cn", "co", "com", "de", "dev", "eu",
    "fun", "ga", "gd", "gl", "gq", "icu", "info", "io", "link", "live", "ly", "me", "ml", "net",
    "online", "org", "pw", "ru", "shop", "site", "store", "su", "tk", "top", "tv", "uk", "us",
    "vip", "win", "ws", "xyz",
];

/// A flat token list: all tokens concatenated in one string, with their end offsets.
///
/// Reused across comments so that tokenizing allocates nothing in steady state.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    text: String,
    ends: Vec<usize>,
}

impl Tokens {
    /// Empties the list, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th token.
    pub fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    fn push(&mut self, token: &str) {
        self.text.push_str(token);
        self.ends.push(self.text.len());
    }

    /// Pushes a word with runs of three or more identical characters cut to two.
    fn push_word(&mut self, word: &str, max_len: usize) {
        if word.chars().nth(max_len).is_some() {
            self.push(LONG);
            return;
        }
        let mut prev = None;
        let mut run = 0;
        for c in word.chars() {
            run = if Some(c) == prev { run + 1 } else { 1 };
            prev = Some(c);
            if run <= 2 {
                self.text.push(c);
            }
        }
        self.ends.push(self.text.len());
    }

    fn truncate(&mut self, len: usize) {
        self.ends.truncate(len);
        self.text.truncate(self.ends.last().copied().unwrap_or(0));
    }

    /// Joins the last `n` tokens into one (they are contiguous in `text`).
    fn join_last(&mut self, n: usize) {
        let keep = self.ends.len() + 1 - n;
        let end = self.text.len();
        self.ends.truncate(keep);
        *self
            .ends
            .last_mut()
            .expect("join_last is called with n <= len") = end;
    }
}

/// Tokenizer state for one comment.
pub(crate) struct Tokenizer<'a> {
    out: &'a mut Tokens,
    max_len: usize,
    fold_leet: bool,
    /// Numeric chunks waiting to be read as one phone number or as separate numbers.
    numeric: Vec<&'a str>,
    /// Consecutive single-letter tokens at the end of `out` (`f r e e`).
    single_letters: usize,
    /// Scratch for leet folding.
    folded: String,
}

/// Tokenizes normalized `text` into `out` (cleared first).
pub(crate) fn tokenize<'a>(
    text: &'a str,
    max_len: usize,
    fold_leet: bool,
    out: &'a mut Tokens,
    folded: &mut String,
) {
    out.clear();
    let mut t = Tokenizer {
        out,
        max_len,
        fold_leet,
        numeric: Vec::new(),
        single_letters: 0,
        folded: std::mem::take(folded),
    };
    for chunk in text.split_whitespace() {
        t.chunk(chunk);
    }
    t.flush_numeric();
    t.end_single_letters();
    *folded = t.folded;
}

impl<'a> Tokenizer<'a> {
    fn chunk(&mut self, chunk: &'a str) {
        if let Some(at) = url_start(chunk) {
            let end = chunk[at..]
                .find(['"', '\'', '<', '>'])
                .map_or(chunk.len(), |e| at + e);
            self.chunk_text(&chunk[..at]);
            let url = chunk[at..end].trim_end_matches(is_trailing_punct);
            self.url(url);
            self.chunk_text(&chunk[at + url.len()..]);
            return;
        }
        let core = chunk.trim_matches(is_wrapping_punct);
        if core.is_empty() {
            self.chunk_text(chunk);
            return;
        }
        let start = chunk.len() - chunk.trim_start_matches(is_wrapping_punct).len();
        let (before, after) = (&chunk[..start], &chunk[start + core.len()..]);
        if is_numeric(core) {
            self.end_single_letters();
            self.numeric.push(core);
            self.chunk_text(after);
            return;
        }
        let class = if is_email(core) {
            Some(EMAIL)
        } else if is_mention(core) {
            Some(MENTION)
        } else if is_money(core) {
            Some(MONEY)
        } else if is_percent(core) {
            Some(PERCENT)
        } else {
            None
        };
        if let Some(class) = class {
            self.chunk_text(before);
            self.class(class);
            if class == EMAIL {
                let domain = &core[core.rfind('@').map_or(0, |i| i + 1)..];
                self.domain(domain);
            }
            self.chunk_text(after);
        } else if is_bare_domain(core) {
            self.chunk_text(before);
            self.url(core);
            self.chunk_text(after);
        } else {
            self.chunk_text(chunk);
        }
    }

    /// Ordinary text: Unicode words, emoji, and `!`/`?` runs.
    fn chunk_text(&mut self, chunk: &str) {
        if chunk.is_empty() {
            return;
        }
        let mut folded = std::mem::take(&mut self.folded);
        let text = if self.fold_leet && fold_leet(chunk, &mut folded) {
            folded.as_str()
        } else {
            chunk
        };
        let mut bang_run = (' ', 0usize);
        for segment in text.split_word_bounds() {
            let first = segment.chars().next().unwrap_or(' ');
            if segment == "!" || segment == "?" {
                if bang_run.0 == first {
                    bang_run.1 += 1;
                } else {
                    self.end_bang_run(bang_run);
                    bang_run = (first, 1);
                }
                continue;
            }
            self.end_bang_run(bang_run);
            bang_run = (' ', 0);
            if segment.chars().any(char::is_alphanumeric) {
                if segment
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
                {
                    // A number glued to punctuation ("(2024)"): the digits do not matter.
                    self.class(NUMBER);
                } else {
                    self.word(segment);
                }
            } else if is_emoji(first) {
                self.class(EMOJI);
                self.out.push(segment);
            }
        }
        self.end_bang_run(bang_run);
        self.folded = folded;
    }

    fn end_bang_run(&mut self, (c, n): (char, usize)) {
        if n == 0 {
            return;
        }
        self.class(match (c, n) {
            ('!', 1) => "!",
            ('!', _) => "!!",
            (_, 1) => "?",
            _ => "??",
        });
    }

    fn word(&mut self, word: &str) {
        self.flush_numeric();
        // Dotted-apart letters, "c.a.s.h": drop the dots.
        let undotted;
        let word = if word.len() >= 3 && word.contains('.') && is_dotted_letters(word) {
            undotted = word.replace('.', "");
            undotted.as_str()
        } else {
            word
        };
        let single = word.chars().count() == 1 && word.as_bytes()[0].is_ascii_alphabetic();
        if single {
            self.single_letters += 1;
            self.out.push(word);
            return;
        }
        self.end_single_letters();
        if let Some(tld) = TLDS.iter().find(|&&t| t == word) {
            // "cashnow dot net" and "cashnow (dot) net": the two tokens before are NAME, "dot".
            let n = self.out.len();
            if n >= 2 && self.out.get(n - 1) == "dot" {
                let name = self.out.get(n - 2).to_owned();
                if is_domain_label(&name) {
                    self.out.truncate(n - 2);
                    self.out.push(URL);
                    self.domain(&format!("{name}.{tld}"));
                    return;
                }
            }
        }
        self.out.push_word(word, self.max_len);
    }

    fn class(&mut self, class: &str) {
        self.flush_numeric();
        self.end_single_letters();
        self.out.push(class);
    }

    fn url(&mut self, url: &str) {
        self.class(URL);
        let rest = url.find("://").map_or(url, |i| &url[i + 3..]);
        let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
        self.domain(host);
    }

    fn domain(&mut self, host: &str) {
        let host = host.trim_start_matches("www.").trim_end_matches('.');
        if host.is_empty() {
            return;
        }
        let mut token = String::with_capacity(host.len() + 9);
        token.push_str("<domain:");
        token.push_str(host);
        token.push('>');
        self.out.push(&token);
    }

    /// Spaced-apart letters, "f r e e": three or more single letters in a row become one word.
    fn end_single_letters(&mut self) {
        let n = std::mem::take(&mut self.single_letters);
        if n >= 3 {
            self.out.join_last(n);
        }
    }

    /// Reads the pending numeric chunks as one phone number or as separate numbers.
    fn flush_numeric(&mut self) {
        if self.numeric.is_empty() {
            return;
        }
        let chunks = std::mem::take(&mut self.numeric);
        if is_phone(&chunks) {
            self.out.push(PHONE);
        } else {
            for _ in &chunks {
                self.out.push(NUMBER);
            }
        }
        self.numeric = chunks;
        self.numeric.clear();
    }
}

fn url_start(chunk: &str) -> Option<usize> {
    ["http://", "https://", "hxxp://", "hxxps://", "www."]
        .iter()
        .filter_map(|p| chunk.find(p))
        .min()
}

fn is_wrapping_punct(c: char) -> bool {
    matches!(
        c,
        '(' | ')'
            | '['
            | ']'
            | '{'
            | '}'
            | '"'
            | '\''
            | '<'
            | '>'
            | ','
            | ';'
            | ':'
            | '.'
            | '!'
            | '?'
            | '*'
            | '~'
    )
}

fn is_trailing_punct(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\''
    )
}

fn is_numeric(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'(' | b')' | b'.' | b','))
}

fn is_email(s: &str) -> bool {
    let Some(at) = s.find('@') else { return false };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        && domain.contains('.')
        && domain.split('.').all(is_domain_label)
}

fn is_mention(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('@')
        && s[1..]
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
}

fn is_currency(c: char) -> bool {
    matches!(c, '$' | '€' | '£' | '¥' | '₹' | '₽' | '₿')
}

fn is_money(s: &str) -> bool {
    let body = if s.starts_with(is_currency) {
        s.trim_start_matches(is_currency)
    } else if s.ends_with(is_currency) {
        s.trim_end_matches(is_currency)
    } else {
        return false;
    };
    // "$500", "$45/hr", "$2.5k", "100$"
    body.starts_with(|c: char| c.is_ascii_digit())
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ',' | '/' | '+' | '-'))
}

fn is_percent(s: &str) -> bool {
    s.len() > 1 && s.ends_with('%') && is_numeric(&s[..s.len() - 1])
}

fn is_domain_label(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '-')
}

/// `cashnow.net`, `bit.ly/x2f`, `shop.example.co/path`: labels and a known TLD.
fn is_bare_domain(s: &str) -> bool {
    let host = s.split(['/', '?', '#']).next().unwrap_or("");
    let mut labels = host.split('.');
    let Some(tld) = host.rsplit('.').next() else {
        return false;
    };
    host.contains('.')
        && labels.all(|l| is_domain_label(l) && l.is_ascii())
        && host.split('.').next().is_some_and(|l| l.len() >= 2)
        && TLDS.contains(&tld)
}

/// Phone numbers: 7 to 15 digits, shaped like a number to dial rather than a count or a year.
fn is_phone(chunks: &[&str]) -> bool {
    let digits: usize = chunks
        .iter()
        .map(|c| c.bytes().filter(u8::is_ascii_digit).count())
        .sum();
    if !(7..=15).contains(&digits) {
        return false;
    }
    let groups: Vec<usize> = chunks
        .iter()
        .flat_map(|c| c.split(|ch: char| !ch.is_ascii_digit()))
        .filter(|g| !g.is_empty())
        .map(str::len)
        .collect();
    let plus_or_paren = chunks.iter().any(|c| c.contains(['+', '(']));
    let has_comma = chunks.iter().any(|c| c.contains(','));
    !has_comma && (plus_or_paren || digits >= 10 || groups.len() >= 3 || groups[0] == 3)
}

fn is_dotted_letters(word: &str) -> bool {
    word.split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic))
}

/// Leet substitutions seen in spam. decancer folds lookalike letters but offers leetspeak only
/// for matching, not rewriting, so this small map is ours.
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' | '!' => 'i',
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' => 't',
        _ => return None,
    })
}

/// Folds runs of leet characters that stand between letters (`g1ft`, `c@rds`, `m0n3y`) into
/// `out`; returns false (leaving `out` unspecified) when there is nothing to fold. Runs at a
/// word's edge stay as they are, so `ps5`, `mp3`, `4th` and `covid19` keep their meaning.
fn fold_leet(chunk: &str, out: &mut String) -> bool {
    if !chunk.contains(|c: char| leet(c).is_some()) {
        return false;
    }
    let chars: Vec<char> = chunk.chars().collect();
    out.clear();
    let mut changed = false;
    let mut i = 0;
    while i < chars.len() {
        if leet(chars[i]).is_none() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && leet(chars[i]).is_some() {
            i += 1;
        }
        let bounded = start > 0
            && chars[start - 1].is_alphabetic()
            && i < chars.len()
            && chars[i].is_alphabetic();
        for &c in &chars[start..i] {
            match leet(c) {
                Some(l) if bounded => {
                    out.push(l);
                    changed = true;
                }
                _ => out.push(c),
            }
        }
    }
    changed
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF | 0x3030 | 0x303D
        | 0x3297 | 0x3299 | 0x2190..=0x21FF)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let mut out = Tokens::default();
        let mut folded = String::new();
        tokenize(s, 40, true, &mut out, &mut folded);
        out.iter().map(str::to_owned).collect()
    }

    #[test]
    fn words_from_any_script() {
        assert_eq!(toks("hello мир 世界"), ["hello", "мир", "世", "界"]);
    }

    #[test]
    fn urls_become_class_and_domain() {
        assert_eq!(
            toks("see https://www.cash-now.net/x?y=1."),
            ["see", "<url>", "<domain:cash-now.net>"]
        );
        assert_eq!(toks("bit.ly/abc!"), ["<url>", "<domain:bit.ly>", "!"]);
        assert_eq!(
            toks("<a href=\"http://spam.example.com/a\">link</a>"),
            [
                "a",
                "href",
                "<url>",
                "<domain:spam.example.com>",
                "link",
                "a"
            ]
        );
    }

    #[test]
    fn written_out_domains_are_urls() {
        assert_eq!(
            toks("go to cashnow dot net"),
            ["go", "to", "<url>", "<domain:cashnow.net>"]
        );
        assert_eq!(toks("cashnow (dot) com"), ["<url>", "<domain:cashnow.com>"]);
    }

    #[test]
    fn bare_domains_need_a_known_tld() {
        assert_eq!(
            toks("cashflow-daily.net"),
            ["<url>", "<domain:cashflow-daily.net>"]
        );
        assert_eq!(toks("e.g. node.js"), ["eg", "node.js"]);
    }

    #[test]
    fn emails_mentions_money_numbers() {
        assert_eq!(
            toks("mail drx@gmail.com @jen $500 100$ 50% 2026 3.5"),
            [
                "mail",
                "<email>",
                "<domain:gmail.com>",
                "<mention>",
                "<money>",
                "<money>",
                "<percent>",
                "<number>",
                "<number>"
            ]
        );
    }

    #[test]
    fn phone_numbers_across_chunks() {
        assert_eq!(
            toks("call +1 (555) 010-0199 now"),
            ["call", "<phone>", "now"]
        );
        assert_eq!(toks("555-0100"), ["<phone>"]);
        assert_eq!(toks("in 2024-2025"), ["in", "<number>"]);
        assert_eq!(toks("1,000,000 people"), ["<number>", "people"]);
    }

    #[test]
    fn leet_inside_words_is_folded() {
        assert_eq!(
            toks("g1ft c@rds m0n3y ca$h"),
            ["gift", "cards", "money", "cash"]
        );
        assert_eq!(
            toks("ps5 mp3 4th covid19"),
            ["ps5", "mp3", "4th", "covid19"]
        );
    }

    #[test]
    fn letter_runs_are_shortened() {
        assert_eq!(toks("freeeee sooooo!!!!!"), ["free", "soo", "!!"]);
        assert_eq!(toks("what?"), ["what", "?"]);
    }

    #[test]
    fn spaced_and_dotted_letters_join() {
        assert_eq!(toks("f r e e cash"), ["free", "cash"]);
        assert_eq!(toks("c.a.s.h now"), ["cash", "now"]);
        assert_eq!(toks("i am a b"), ["i", "am", "a", "b"]);
    }

    #[test]
    fn emoji_get_a_class_and_themselves() {
        assert_eq!(toks("wow 💰🔥"), ["wow", "<emoji>", "💰", "<emoji>", "🔥"]);
    }

    #[test]
    fn long_words_are_replaced() {
        let long = format!("aaa{}", "b".repeat(50));
        assert_eq!(toks(&long), ["<long>"]);
    }
}
