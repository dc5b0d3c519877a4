//! Stage 2: tokenization of normalized text.
//!
//! Words come from Unicode word boundaries (any script). Things whose exact spelling carries no
//! meaning become class tokens: a URL is `<url>` plus `<domain:example.com>`, and emails, phone
//! numbers, money amounts, percentages, @mentions, numbers and emoji have classes of their own,
//! because "follow this link" spam is about their presence, not their digits. Spellings used to
//! dodge filters are folded: digits and symbols inside words (`g1ft c@rds`), letter runs
//! (`freeeee`), letters spaced or dotted apart (`f r e e`, `c.a.s.h`), `site dot com`.
//!
//! Most comments are ASCII and most chunks plain words, so the common cases take fast paths
//! that give exactly what the general path gives (`fast_path_tests` below and
//! `tests/golden_tokens.rs` hold them to it): the whitespace splitter reads eight bytes at a
//! time and sends words straight to the word path ([`Shape`]); other chunks skip the checks
//! their bytes rule out ([`Kinds`]); ASCII is segmented without Unicode tables
//! ([`AsciiWordBounds`]); and nothing is allocated once the buffers have grown.

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
    /// Scratch for a word built before it is pushed (`c.a.s.h` without its dots).
    word: String,
}

impl Tokens {
    /// Empties the list, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
    }

    /// Number of tokens.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th token.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        &self.text[self.start(i)..self.ends[i]]
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    fn start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1]
        }
    }

    /// Whether the last token is `token` (without slicing: this runs for every word).
    fn last_is(&self, token: &str) -> bool {
        self.ends.len().checked_sub(1).is_some_and(|last| {
            self.ends[last] - self.start(last) == token.len() && self.text.ends_with(token)
        })
    }

    fn push(&mut self, token: &str) {
        self.text.push_str(token);
        self.ends.push(self.text.len());
    }

    /// Pushes `<domain:HOST>`.
    fn push_domain(&mut self, host: &str) {
        self.text.push_str("<domain:");
        self.text.push_str(host);
        self.text.push('>');
        self.ends.push(self.text.len());
    }

    /// Pushes a word with runs of three or more identical characters cut to two.
    fn push_word(&mut self, word: &str, max_len: usize) {
        // A word of at most `max_len` bytes cannot have more than `max_len` characters.
        if word.len() > max_len && word.chars().nth(max_len).is_some() {
            self.push(LONG);
            return;
        }
        if word.is_ascii() {
            // Copy the stretches between the 3rd, 4th, ... bytes of runs; usually all of it.
            let bytes = word.as_bytes();
            let mut from = 0;
            for i in 2..bytes.len() {
                if bytes[i] == bytes[i - 1] && bytes[i] == bytes[i - 2] {
                    self.text.push_str(&word[from..i]);
                    from = i + 1;
                }
            }
            self.text.push_str(&word[from..]);
        } else {
            let mut prev = None;
            let mut run = 0;
            for c in word.chars() {
                run = if Some(c) == prev { run + 1 } else { 1 };
                prev = Some(c);
                if run <= 2 {
                    self.text.push(c);
                }
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

    /// Replaces the last two tokens, NAME and `dot`, with `<url>` and `<domain:NAME.TLD>`.
    ///
    /// NAME is moved within `text` rather than copied out, so nothing is allocated.
    fn replace_written_out_domain(&mut self, tld: &str) {
        let n = self.len();
        let (start, end) = (self.start(n - 2), self.ends[n - 2]);
        if &self.text[start..end] == "www" {
            // Every host loses a leading "www.": "w w w dot net" is the domain "net".
            self.truncate(n - 2);
            self.push(URL);
            self.push_domain(tld);
            return;
        }
        self.truncate(n - 1);
        self.text.insert_str(start, "<domain:");
        self.text.insert_str(start, URL);
        self.ends[n - 2] = start + URL.len();
        self.text.push('.');
        self.text.push_str(tld);
        self.text.push('>');
        self.ends.push(self.text.len());
    }
}

/// Tokenizer state for one comment.
pub(crate) struct Tokenizer<'a> {
    out: &'a mut Tokens,
    max_len: usize,
    fold_leet: bool,
    /// Numeric chunks waiting to be read as one phone number or as separate numbers.
    numeric: NumericRun,
    /// Consecutive single-letter tokens at the end of `out` (`f r e e`).
    single_letters: usize,
    /// Scratch for leet folding.
    folded: String,
}

/// Tokenizes normalized `text` into `out` (cleared first).
pub(crate) fn tokenize(
    text: &str,
    max_len: usize,
    fold_leet: bool,
    out: &mut Tokens,
    folded: &mut String,
) {
    out.clear();
    let mut t = Tokenizer {
        out,
        max_len,
        fold_leet,
        numeric: NumericRun::default(),
        single_letters: 0,
        folded: std::mem::take(folded),
    };
    for (chunk, shape) in chunks(text) {
        match shape {
            // Most chunks are plain words: none of the checks in `chunk` can match ASCII
            // letters alone (they need digits, '@', '.', ':', '%', symbols or punctuation),
            // and the only word-boundary segment of such a chunk is the chunk itself.
            Shape::Letters { plain } => {
                t.flush_numeric();
                t.undotted_word(chunk, plain);
            }
            // The same for a word ending a clause: the mark is a segment of its own, and only
            // '!' and '?' make a token.
            Shape::LettersThen { plain, mark } => {
                t.flush_numeric();
                t.undotted_word(&chunk[..chunk.len() - 1], plain);
                match mark {
                    b'!' => t.class("!"),
                    b'?' => t.class("?"),
                    _ => {}
                }
            }
            Shape::Other => t.chunk(chunk),
        }
    }
    t.flush_numeric();
    t.end_single_letters();
    *folded = t.folded;
}

impl Tokenizer<'_> {
    fn chunk(&mut self, chunk: &str) {
        let kinds = Kinds::of(chunk);
        // A URL starts with "://" or "www." in it.
        if kinds.has(Kinds::COLON | Kinds::DOT) {
            if let Some(at) = url_start(chunk) {
                let end = chunk[at..]
                    .find(['"', '\'', '<', '>'])
                    .map_or(chunk.len(), |e| at + e);
                self.chunk_text(&chunk[..at], kinds);
                let url = chunk[at..end].trim_end_matches(is_trailing_punct);
                self.url(url);
                self.chunk_text(&chunk[at + url.len()..], kinds);
                return;
            }
        }
        let (before, core, after) = if kinds.has(Kinds::WRAPPING) {
            split_wrapping(chunk)
        } else {
            ("", chunk, "")
        };
        if core.is_empty() {
            self.chunk_text(chunk, kinds);
            return;
        }
        if kinds.has(Kinds::DIGIT) && is_numeric(core) {
            self.end_single_letters();
            self.numeric.push(core);
            self.chunk_text(after, kinds);
            return;
        }
        let class = if kinds.has(Kinds::AT) && is_email(core) {
            Some(EMAIL)
        } else if kinds.has(Kinds::AT) && is_mention(core) {
            Some(MENTION)
        } else if kinds.has(Kinds::CURRENCY) && is_money(core) {
            Some(MONEY)
        } else if kinds.has(Kinds::PERCENT) && is_percent(core) {
            Some(PERCENT)
        } else {
            None
        };
        if let Some(class) = class {
            self.chunk_text(before, kinds);
            self.class(class);
            if class == EMAIL {
                let domain = &core[core.rfind('@').map_or(0, |i| i + 1)..];
                self.domain(domain);
            }
            self.chunk_text(after, kinds);
        } else if kinds.has(Kinds::DOT) && is_bare_domain(core) {
            self.chunk_text(before, kinds);
            self.url(core);
            self.chunk_text(after, kinds);
        } else {
            self.chunk_text(chunk, kinds);
        }
    }

    /// Ordinary text: Unicode words, emoji, and `!`/`?` runs. `kinds` are those of the chunk
    /// `chunk` is part of.
    fn chunk_text(&mut self, chunk: &str, kinds: Kinds) {
        if chunk.is_empty() {
            return;
        }
        let mut folded = std::mem::take(&mut self.folded);
        let text = if self.fold_leet && kinds.has(Kinds::LEET) && fold_leet(chunk, &mut folded) {
            folded.as_str()
        } else {
            chunk
        };
        let mut bang_run = (' ', 0usize);
        // Chunks hold no whitespace and normalized text no controls, so "graphic ASCII" is
        // just "ASCII" here; the Unicode segmenter takes everything else. (Leet folding
        // replaces graphic ASCII with graphic ASCII, so `kinds` still tell.)
        if !kinds.has(Kinds::NOT_GRAPHIC) {
            for segment in ascii_word_bounds(text) {
                self.segment(segment, &mut bang_run);
            }
        } else {
            for segment in text.split_word_bounds() {
                self.segment(segment, &mut bang_run);
            }
        }
        self.end_bang_run(bang_run);
        self.folded = folded;
    }

    /// One word-boundary segment: a word, a number, an emoji, or part of a `!`/`?` run.
    fn segment(&mut self, segment: &str, bang_run: &mut (char, usize)) {
        let first = segment.chars().next().unwrap_or(' ');
        if segment == "!" || segment == "?" {
            if bang_run.0 == first {
                bang_run.1 += 1;
            } else {
                self.end_bang_run(*bang_run);
                *bang_run = (first, 1);
            }
            return;
        }
        self.end_bang_run(std::mem::replace(bang_run, (' ', 0)));
        if segment.chars().any(char::is_alphanumeric) {
            if segment
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
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
        // (A byte loop: `contains('.')` calls memchr, slow on words this short.)
        if word.len() >= 3 && word.bytes().any(|b| b == b'.') && is_dotted_letters(word) {
            // Dotted-apart letters, "c.a.s.h": drop the dots.
            let mut undotted = std::mem::take(&mut self.out.word);
            undotted.clear();
            undotted.extend(word.split('.'));
            self.undotted_word(&undotted, false);
            self.out.word = undotted;
        } else {
            self.undotted_word(word, false);
        }
    }

    /// A word without dots. `plain`: it is known to be ASCII letters without a run of three,
    /// so that only its length can keep it from being pushed as it is.
    fn undotted_word(&mut self, word: &str, plain: bool) {
        if word.len() == 1 && word.as_bytes()[0].is_ascii_alphabetic() {
            self.single_letters += 1;
            self.out.push(word);
            return;
        }
        self.end_single_letters();
        // "cashnow dot net" and "cashnow (dot) net": the two tokens before are NAME, "dot".
        let n = self.out.len();
        if n >= 2 && self.out.last_is("dot") {
            if let Some(tld) = tld(word).filter(|_| is_domain_label(self.out.get(n - 2))) {
                self.out.replace_written_out_domain(tld);
                return;
            }
        }
        if plain && word.len() <= self.max_len {
            self.out.push(word);
        } else {
            self.out.push_word(word, self.max_len);
        }
    }

    fn class(&mut self, class: &str) {
        self.flush_numeric();
        self.end_single_letters();
        self.out.push(class);
    }

    fn url(&mut self, url: &str) {
        self.class(URL);
        let rest = url
            .as_bytes()
            .windows(3)
            .position(|w| w == b"://")
            .map_or(url, |i| &url[i + 3..]);
        let host = rest.split(['/', '?', '#', ':']).next().unwrap_or("");
        self.domain(host);
    }

    fn domain(&mut self, host: &str) {
        let mut host = host;
        while let Some(rest) = host.strip_prefix("www.") {
            host = rest;
        }
        let host = host.trim_end_matches('.');
        if !host.is_empty() {
            self.out.push_domain(host);
        }
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
        if self.numeric.chunks > 0 {
            self.flush_numeric_run();
        }
    }

    /// The rare part of `flush_numeric`, kept out of line so that every word's check is cheap.
    #[inline(never)]
    fn flush_numeric_run(&mut self) {
        let run = std::mem::take(&mut self.numeric);
        if run.is_phone() {
            self.out.push(PHONE);
        } else {
            for _ in 0..run.chunks {
                self.out.push(NUMBER);
            }
        }
    }
}

/// Splits `text` at whitespace exactly as `str::split_whitespace` does, telling the [`Shape`]
/// of each chunk, in one pass over the bytes.
struct Chunks<'a> {
    text: &'a str,
    at: usize,
}

fn chunks(text: &str) -> Chunks<'_> {
    Chunks { text, at: 0 }
}

/// What the pass that finds a chunk learns about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// ASCII letters only; `plain` when also known to have no letter three times in a row.
    Letters {
        plain: bool,
    },
    /// ASCII letters (`plain` as above) and one of `, . ; : ! ? ) " '` (see [`ends_clause`]).
    LettersThen {
        plain: bool,
        mark: u8,
    },
    Other,
}

/// Whether `mark` after the ASCII letters `word` is only punctuation: it cannot make the
/// chunk a class (URL, number, email, ...), is trimmed as wrapping punctuation, and is a
/// word-boundary segment of its own. The one exception is "www.", which starts a URL.
fn ends_clause(word: &[u8], mark: u8) -> bool {
    match mark {
        b',' | b';' | b':' | b'!' | b'?' | b')' | b'"' | b'\'' => true,
        b'.' => word.last() != Some(&b'w'),
        _ => false,
    }
}

impl Shape {
    fn new(letters_only: bool, plain: bool) -> Shape {
        if letters_only {
            Shape::Letters { plain }
        } else {
            Shape::Other
        }
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = (&'a str, Shape);

    #[inline]
    fn next(&mut self) -> Option<(&'a str, Shape)> {
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        while i < bytes.len() {
            match bytes[i] {
                b if is_ascii_space(b) => i += 1,
                b if b.is_ascii() => break,
                _ => match non_ascii_space_at(self.text, i) {
                    Some(len) => i += len,
                    None => break,
                },
            }
        }
        if i == bytes.len() {
            self.at = i;
            return None;
        }
        let start = i;
        let mut letters_only = true;
        // Eight ASCII bytes at a time: a word usually ends within the first eight, so this
        // branch is predictable where a byte loop's exit is not.
        while let Some(block) = bytes.get(i..i + 8) {
            let block = u64::from_le_bytes(block.try_into().expect("a slice of 8 bytes"));
            if block & swar::HIGH != 0 {
                break; // Not all ASCII: the byte loop below takes over.
            }
            let spaces = swar::spaces(block);
            let non_letters = swar::non_letters(block);
            if spaces != 0 {
                // The chunk ends at the first space, byte `n` of the block.
                let n = spaces.trailing_zeros() as usize / 8;
                let non_letters = non_letters & ((1 << (8 * n)) - 1);
                let chunk = &self.text[start..i + n];
                self.at = i + n;
                if i > start || n < 2 || non_letters != 0x80 << (8 * (n - 1)) {
                    letters_only &= non_letters == 0;
                    // When the whole chunk is in this block, runs of three are cheap to rule out.
                    let plain = i == start && !swar::has_run_of_three(block, n);
                    return Some((chunk, Shape::new(letters_only, plain)));
                }
                // Letters and one other byte at the end.
                let (word, mark) = (&chunk.as_bytes()[..n - 1], chunk.as_bytes()[n - 1]);
                if !ends_clause(word, mark) {
                    return Some((chunk, Shape::Other));
                }
                let plain = !swar::has_run_of_three(block, n - 1);
                return Some((chunk, Shape::LettersThen { plain, mark }));
            }
            letters_only &= non_letters == 0;
            i += 8;
        }
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii() {
                if is_ascii_space(b) {
                    break;
                }
                letters_only &= b.is_ascii_alphabetic();
                i += 1;
            } else {
                if non_ascii_space_at(self.text, i).is_some() {
                    break;
                }
                letters_only = false;
                // Step to the next char boundary: past the continuation bytes.
                i += 1;
                while i < bytes.len() && (bytes[i] & 0xC0) == 0x80 {
                    i += 1;
                }
            }
        }
        self.at = i;
        Some((&self.text[start..i], Shape::new(letters_only, false)))
    }
}

/// Byte tests on eight ASCII bytes at once, packed little-endian in a `u64` ("SIMD within a
/// register"). Each returns the high bit of every byte that passes, so the first passing byte
/// is `trailing_zeros() / 8`.
mod swar {
    /// The high bit of every byte; a block without any is all ASCII.
    pub(super) const HIGH: u64 = 0x8080_8080_8080_8080;

    const fn each_byte(b: u8) -> u64 {
        0x0101_0101_0101_0101 * b as u64
    }

    /// Bytes `>= lo`. For an ASCII byte `x`, `x + 0x80 - lo` stays below 0x100 (no carry into
    /// the next byte) and reaches 0x80 exactly when `x >= lo`.
    fn at_least(block: u64, lo: u8) -> u64 {
        block.wrapping_add(each_byte(0x80 - lo)) & HIGH
    }

    /// Bytes in `lo..=hi`.
    fn between(block: u64, lo: u8, hi: u8) -> u64 {
        at_least(block, lo) & !at_least(block, hi + 1)
    }

    /// Whitespace bytes, as [`super::is_ascii_space`].
    pub(super) fn spaces(block: u64) -> u64 {
        between(block, b'\t', b'\r') | between(block, b' ', b' ')
    }

    /// Bytes that are not ASCII letters. Setting bit 5 lowercases letters and moves nothing
    /// else into `a..=z`.
    pub(super) fn non_letters(block: u64) -> u64 {
        !between(block | each_byte(0x20), b'a', b'z') & HIGH
    }

    /// Whether three equal bytes in a row stand among the first `len` bytes.
    pub(super) fn has_run_of_three(block: u64, len: usize) -> bool {
        if len < 3 {
            return false;
        }
        // Byte k of `diff` is zero exactly when bytes k, k + 1 and k + 2 are equal; it is
        // below 0x80, so adding 0x7F sets its high bit unless it is zero, with no carry.
        let diff = (block ^ (block >> 8)) | (block ^ (block >> 16));
        let zero = !diff.wrapping_add(each_byte(0x7F)) & HIGH;
        let run_starts = (1u64 << (8 * (len - 2))) - 1;
        zero & run_starts != 0
    }
}

/// `char::is_whitespace` on ASCII: '\t', '\n', '\x0b', '\x0c', '\r' and ' '.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t'..=b'\r' | b' ')
}

/// The length of the character at byte `i` of `text` (a char boundary) if it is whitespace.
#[cold]
fn non_ascii_space_at(text: &str, i: usize) -> Option<usize> {
    let c = text[i..].chars().next().expect("i is a char boundary");
    c.is_whitespace().then_some(c.len_utf8())
}

/// The kinds of bytes in a chunk, found in one pass so that checks needing a kind the chunk
/// lacks are skipped: most chunks have no digit, '@', '.', ':', '$' or '%'. For a part of the
/// chunk they may say too much, never too little.
#[derive(Debug, Clone, Copy)]
struct Kinds(u16);

impl Kinds {
    const DIGIT: u16 = 1;
    const DOT: u16 = 1 << 1;
    const COLON: u16 = 1 << 2;
    const AT: u16 = 1 << 3;
    /// '$' and every non-ASCII byte, for the other currency signs.
    const CURRENCY: u16 = 1 << 4;
    const PERCENT: u16 = 1 << 5;
    /// Characters [`leet`] folds.
    const LEET: u16 = 1 << 6;
    /// Characters [`is_wrapping_punct`] trims.
    const WRAPPING: u16 = 1 << 7;
    /// Bytes other than graphic ASCII.
    const NOT_GRAPHIC: u16 = 1 << 8;

    /// The kinds of each byte value.
    const OF_BYTE: [u16; 256] = {
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

    fn of(chunk: &str) -> Kinds {
        Kinds(
            chunk
                .bytes()
                .fold(0, |kinds, b| kinds | Kinds::OF_BYTE[usize::from(b)]),
        )
    }

    /// Whether any of `kinds` is present.
    fn has(self, kinds: u16) -> bool {
        self.0 & kinds != 0
    }
}

/// Numeric chunks in a row (`+1`, `(555)`, `010-0199`), summed up as far as telling a phone
/// number from other numbers needs, so that they need not be stored.
#[derive(Debug, Default)]
struct NumericRun {
    chunks: usize,
    digits: usize,
    /// Runs of digits; a run never spans two chunks.
    groups: usize,
    first_group_len: usize,
    plus_or_paren: bool,
    has_comma: bool,
}

impl NumericRun {
    fn push(&mut self, chunk: &str) {
        self.chunks += 1;
        for group in chunk.split(|c: char| !c.is_ascii_digit()) {
            if group.is_empty() {
                continue;
            }
            if self.groups == 0 {
                self.first_group_len = group.len();
            }
            self.groups += 1;
            self.digits += group.len();
        }
        self.plus_or_paren |= chunk.contains(['+', '(']);
        self.has_comma |= chunk.contains(',');
    }

    /// Phone numbers: 7 to 15 digits, shaped like a number to dial rather than a count or a
    /// year.
    fn is_phone(&self) -> bool {
        (7..=15).contains(&self.digits)
            && !self.has_comma
            && (self.plus_or_paren
                || self.digits >= 10
                || self.groups >= 3
                || self.first_group_len == 3)
    }
}

/// Word boundaries of graphic ASCII text, exactly as `split_word_bounds` finds them (a property
/// test compares the two) without Unicode tables. On ASCII, UAX #29 comes down to: letters,
/// digits and `_` join; so does one `'`, `.` or `:` between two letters (`don't`, `node.js`)
/// and one `'`, `.`, `,` or `;` between two digits (`1,000`, `3.5`); every other character is
/// a segment of its own.
struct AsciiWordBounds<'a> {
    rest: &'a str,
}

fn ascii_word_bounds(text: &str) -> AsciiWordBounds<'_> {
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

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `mid` joins `before` and `after` into one word (UAX #29 rules WB6, WB7, WB11, WB12).
fn joins_word(before: u8, mid: u8, after: u8) -> bool {
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

/// Where the first URL in `chunk` starts, if any.
fn url_start(chunk: &str) -> Option<usize> {
    const STARTS: [&[u8]; 5] = [b"http://", b"https://", b"hxxp://", b"hxxps://", b"www."];
    let bytes = chunk.as_bytes();
    (0..bytes.len()).find(|&i| {
        matches!(bytes[i], b'h' | b'w') && STARTS.iter().any(|s| bytes[i..].starts_with(s))
    })
}

/// `chunk` as (leading punctuation, core, trailing punctuation).
fn split_wrapping(chunk: &str) -> (&str, &str, &str) {
    let core = chunk.trim_start_matches(is_wrapping_punct);
    let start = chunk.len() - core.len();
    let core = core.trim_end_matches(is_wrapping_punct);
    (&chunk[..start], core, &chunk[start + core.len()..])
}

const fn is_wrapping_punct(c: char) -> bool {
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

/// The entry of [`TLDS`] equal to `word`, if any.
///
/// Every word is looked up, so the lookup compares integers, not strings: a TLD is at most
/// [`MAX_TLD_LEN`] bytes, packed with its length into one `u64` by [`tld_key`].
fn tld(word: &str) -> Option<&'static str> {
    let key = tld_key(word)?;
    TLD_KEYS.iter().position(|&k| k == key).map(|i| TLDS[i])
}

const MAX_TLD_LEN: usize = 6;

/// `TLDS[i]` packed by [`tld_key`].
const TLD_KEYS: [u64; TLDS.len()] = {
    let mut keys = [0; TLDS.len()];
    let mut i = 0;
    while i < TLDS.len() {
        keys[i] = match tld_key(TLDS[i]) {
            Some(key) => key,
            None => panic!("a TLD is longer than MAX_TLD_LEN"),
        };
        i += 1;
    }
    keys
};

/// The bytes of `s` (48 bits at most) and its length (above them) in one integer, or None when
/// `s` is too long to be a TLD.
const fn tld_key(s: &str) -> Option<u64> {
    let bytes = s.as_bytes();
    if bytes.len() > MAX_TLD_LEN {
        return None;
    }
    let mut key = 0;
    let mut i = 0;
    while i < bytes.len() {
        key = key << 8 | bytes[i] as u64;
        i += 1;
    }
    Some((bytes.len() as u64) << 56 | key)
}

/// `cashnow.net`, `bit.ly/x2f`, `shop.example.co/path`: labels and a known TLD.
fn is_bare_domain(s: &str) -> bool {
    let host = s.split(['/', '?', '#']).next().unwrap_or("");
    // Cheapest checks first: most chunks have no dot.
    let Some(last_dot) = host.bytes().rposition(|b| b == b'.') else {
        return false;
    };
    tld(&host[last_dot + 1..]).is_some()
        && host.find('.').is_some_and(|first_dot| first_dot >= 2)
        && host.split('.').all(|l| is_domain_label(l) && l.is_ascii())
}

fn is_dotted_letters(word: &str) -> bool {
    word.split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic))
}

/// Leet substitutions seen in spam, all ASCII. decancer folds lookalike letters but offers
/// leetspeak only for matching, not rewriting, so this small map is ours.
const fn leet(b: u8) -> Option<u8> {
    Some(match b {
        b'0' => b'o',
        b'1' | b'!' => b'i',
        b'3' => b'e',
        b'4' | b'@' => b'a',
        b'5' | b'$' => b's',
        b'7' => b't',
        _ => return None,
    })
}

fn is_leet(b: u8) -> bool {
    leet(b).is_some()
}

/// Folds runs of leet characters that stand between letters (`g1ft`, `c@rds`, `m0n3y`) into
/// `out`; returns false (leaving `out` unspecified) when there is nothing to fold. Runs at a
/// word's edge stay as they are, so `ps5`, `mp3`, `4th` and `covid19` keep their meaning.
///
/// Leet characters are ASCII, so runs are found by byte and their ends are char boundaries.
fn fold_leet(chunk: &str, out: &mut String) -> bool {
    let bytes = chunk.as_bytes();
    let next_run = |from: usize| {
        bytes[from..]
            .iter()
            .position(|&b| is_leet(b))
            .map(|i| from + i)
    };
    let Some(mut start) = next_run(0) else {
        return false;
    };
    out.clear();
    let mut copied = 0;
    let mut changed = false;
    loop {
        let end = bytes[start..]
            .iter()
            .position(|&b| !is_leet(b))
            .map_or(bytes.len(), |i| start + i);
        let bounded = chunk[..start]
            .chars()
            .next_back()
            .is_some_and(char::is_alphabetic)
            && chunk[end..].chars().next().is_some_and(char::is_alphabetic);
        if bounded {
            out.push_str(&chunk[copied..start]);
            for &b in &bytes[start..end] {
                out.push(char::from(leet(b).expect("the run is all leet bytes")));
            }
            copied = end;
            changed = true;
        }
        match next_run(end) {
            Some(next) => start = next,
            None => break,
        }
    }
    out.push_str(&chunk[copied..]);
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

/// Checks of what the fast paths above rely on.
#[cfg(test)]
mod fast_path_tests {
    use proptest::prelude::*;

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
                let (ours, shapes): (Vec<&str>, Vec<Shape>) = chunks(text).unzip();
                let std: Vec<&str> = text.split_whitespace().collect();
                prop_assert_eq!(&ours, &std, "{:?}", text);
                for (chunk, shape) in ours.into_iter().zip(shapes) {
                    let letters = |s: &str| s.bytes().all(|b| b.is_ascii_alphabetic());
                    match shape {
                        Shape::Other => prop_assert!(!letters(chunk), "{:?}", chunk),
                        Shape::Letters { plain } => {
                            prop_assert!(letters(chunk), "{:?}", chunk);
                            prop_assert!(!plain || !has_run_of_three(chunk), "{:?}", chunk);
                        }
                        Shape::LettersThen { plain, mark } => {
                            let word = &chunk[..chunk.len() - 1];
                            prop_assert!(letters(word), "{:?}", chunk);
                            prop_assert_eq!(chunk.as_bytes()[word.len()], mark);
                            prop_assert!(ends_clause(word.as_bytes(), mark), "{:?}", chunk);
                            prop_assert!(!plain || !has_run_of_three(word), "{:?}", chunk);
                        }
                    }
                }
            }
        }
    }

    fn has_run_of_three(word: &str) -> bool {
        word.as_bytes()
            .windows(3)
            .any(|w| w[0] == w[1] && w[1] == w[2])
    }

    /// Every string of up to eight bytes over three letters, at every length.
    #[test]
    fn swar_runs_of_three_agree_with_a_byte_loop() {
        for n in 0..3usize.pow(8) {
            let bytes: [u8; 8] = std::array::from_fn(|k| b"aab"[n / 3usize.pow(k as u32) % 3]);
            let block = u64::from_le_bytes(bytes);
            for len in 0..8 {
                let word = std::str::from_utf8(&bytes[..len]).expect("ASCII");
                assert_eq!(
                    swar::has_run_of_three(block, len),
                    has_run_of_three(word),
                    "{word:?} in {bytes:?}"
                );
            }
        }
    }

    /// Every ASCII byte in every lane, among neighbours of every kind.
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
