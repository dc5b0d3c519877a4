//! Stage 2: tokenization of normalized text.
//!
//! Words come from Unicode word boundaries (any script). Things whose exact spelling carries no
//! meaning become class tokens: a URL is `<url>` plus `<domain:example.com>`, and emails, phone
//! numbers, money amounts, percentages, @mentions, numbers and emoji have classes of their own,
//! because "follow this link" spam is about their presence, not their digits. Spellings used to
//! dodge filters are folded: digits and symbols inside words (`g1ft c@rds`), letter runs
//! (`freeeee`), letters spaced or dotted apart (`f r e e`, `c.a.s.h`), `site dot com`.
//!
//! Most chunks are plain words, so the common cases take fast paths that give exactly what the
//! general path gives (`fast_paths_give_the_general_tokens` below, the tests in `scan.rs` and
//! `tests/golden_tokens.rs` hold them to it): the whitespace splitter reads 16 bytes at a time
//! (eight without SSE2) into bit masks and sends words straight to the word path ([`Shape`]);
//! other chunks skip the checks their bytes rule out ([`Kinds`]); ASCII is segmented without
//! Unicode tables ([`AsciiWordBounds`]); and nothing is allocated once the buffers have grown.

use unicode_segmentation::UnicodeSegmentation;

use super::key::{self, padded_key};

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

/// A flat token list: the text the tokens were cut from, the texts of tokens that are not
/// slices of it (classes, shortened or joined words) after it, and each token's span.
///
/// A plain word is a span of the text, not a copy: copying every token took a tenth of the
/// tokenizer's time. Reused across comments so that tokenizing allocates nothing in steady
/// state.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// The text, then the texts of other tokens.
    buf: String,
    /// Per token, its start and end in `buf`.
    spans: Vec<(usize, usize)>,
    /// Texts of tokens not in the text, while tokenizing; appended to `buf` after.
    own: String,
    /// Scratch for a word built before it is pushed (`c.a.s.h` without its dots).
    word: String,
}

impl Tokens {
    /// About how many bytes the buffers hold.
    pub(crate) fn capacity_bytes(&self) -> usize {
        self.buf.capacity()
            + self.spans.capacity() * size_of::<(usize, usize)>()
            + self.own.capacity()
            + self.word.capacity()
    }

    /// Empties the list, keeping its buffers.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.spans.clear();
    }

    /// Number of tokens.
    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// True when there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`-th token.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.buf[start..end]
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The tokens' keys ([`key`](crate::text::key::key) with seed 0) in order, read from the
    /// buffer without `str` slicing's checks that each end is a character boundary, and
    /// through the padding after its end.
    #[inline]
    pub(crate) fn keys(&self) -> impl Iterator<Item = u64> + '_ {
        let buf = self.buf.as_bytes();
        self.spans
            .iter()
            .map(move |&(start, end)| padded_key(buf, start, end))
    }

    /// The buffer that [`tokenize_in_place`] reads the text from.
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.buf
    }
}

/// Where tokens go while a text is tokenized: spans of the text, or texts of their own.
struct Sink<'a> {
    text: &'a str,
    own: &'a mut String,
    spans: &'a mut Vec<(usize, usize)>,
    /// Whether the last token is "dot" (`cashnow dot net`), kept up to date by every push
    /// rather than looked up for every word.
    last_dot: bool,
}

impl Sink<'_> {
    fn len(&self) -> usize {
        self.spans.len()
    }

    /// The `i`-th token so far.
    fn get(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        match start.checked_sub(self.text.len()) {
            Some(own_start) => &self.own[own_start..end - self.text.len()],
            None => &self.text[start..end],
        }
    }

    /// Where `token` starts in the text, if it is a slice of it.
    fn offset(&self, token: &str) -> Option<usize> {
        // Address arithmetic only: the slice is never read through it.
        let at = (token.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        (at <= self.text.len() && token.len() <= self.text.len() - at).then_some(at)
    }

    #[inline]
    fn push(&mut self, token: &str) {
        self.push_told(token, token == "dot");
    }

    /// Pushes a copy of `token`.
    #[inline(never)]
    fn push_own(&mut self, token: &str) {
        self.own.push_str(token);
        self.end_own_token(token.len());
    }

    /// Pushes `token`, told whether it is "dot": as a span if it is a slice of the text, else
    /// as a copy.
    #[inline(always)]
    fn push_told(&mut self, token: &str, is_dot: bool) {
        match self.offset(token) {
            Some(start) => {
                self.last_dot = is_dot;
                self.spans.push((start, start + token.len()));
            }
            None => self.push_own(token),
        }
    }

    /// Records the last `len` bytes of `own` as a token.
    fn end_own_token(&mut self, len: usize) {
        let end = self.text.len() + self.own.len();
        self.last_dot = self.own.as_bytes()[self.own.len() - len..] == *b"dot";
        self.spans.push((end - len, end));
    }

    /// Pushes `<domain:HOST>`.
    fn push_domain(&mut self, host: &str) {
        let len = self.own.len();
        self.own.push_str("<domain:");
        self.own.push_str(host);
        self.own.push('>');
        self.end_own_token(self.own.len() - len);
    }

    /// Pushes a word with runs of three or more identical characters cut to two.
    fn push_word(&mut self, word: &str, max_len: usize) {
        // A word of at most `max_len` bytes cannot have more than `max_len` characters.
        if word.len() > max_len && word.chars().nth(max_len).is_some() {
            self.push(LONG);
            return;
        }
        let len = self.own.len();
        if word.is_ascii() {
            let bytes = word.as_bytes();
            let run = |i: usize| bytes[i] == bytes[i - 1] && bytes[i] == bytes[i - 2];
            if !(2..bytes.len()).any(run) {
                self.push(word);
                return;
            }
            // Copy the stretches between the 3rd, 4th, ... bytes of runs.
            let mut from = 0;
            for i in (2..bytes.len()).filter(|&i| run(i)) {
                self.own.push_str(&word[from..i]);
                from = i + 1;
            }
            self.own.push_str(&word[from..]);
        } else {
            let mut prev = None;
            let mut run = 0;
            for c in word.chars() {
                run = if Some(c) == prev { run + 1 } else { 1 };
                prev = Some(c);
                if run <= 2 {
                    self.own.push(c);
                }
            }
        }
        self.end_own_token(self.own.len() - len);
    }

    /// Joins the last `n` tokens into one, using `scratch`.
    fn join_last(&mut self, n: usize, scratch: &mut String) {
        let keep = self.len() - n;
        scratch.clear();
        for i in keep..self.len() {
            scratch.push_str(self.get(i));
        }
        self.spans.truncate(keep);
        self.own.push_str(scratch);
        self.end_own_token(scratch.len());
    }

    /// Replaces the last two tokens, NAME and `dot`, with `<url>` and `<domain:NAME.TLD>`,
    /// using `scratch`.
    fn replace_written_out_domain(&mut self, tld: &str, scratch: &mut String) {
        let n = self.len();
        scratch.clear();
        // Every host loses a leading "www.": "w w w dot net" is the domain "net".
        if self.get(n - 2) != "www" {
            scratch.push_str(self.get(n - 2));
            scratch.push('.');
        }
        scratch.push_str(tld);
        self.spans.truncate(n - 2);
        self.push(URL);
        self.push_domain(scratch);
    }
}

/// Tokenizer state for one comment.
pub(crate) struct Tokenizer<'a> {
    out: Sink<'a>,
    max_len: usize,
    fold_leet: bool,
    /// Numeric chunks waiting to be read as one phone number or as separate numbers.
    numeric: NumericRun,
    /// Consecutive single-letter tokens at the end of `out` (`f r e e`).
    single_letters: usize,
    /// Scratch for leet folding.
    folded: String,
    /// Scratch for building words.
    scratch: &'a mut String,
}

/// Tokenizes normalized `text` into `out` (cleared first).
#[cfg(test)]
pub(crate) fn tokenize(
    text: &str,
    max_len: usize,
    fold_leet: bool,
    out: &mut Tokens,
    folded: &mut String,
) {
    out.buf.clear();
    out.buf.push_str(text);
    tokenize_in_place(out, max_len, fold_leet, folded);
}

/// Tokenizes the normalized text in [`Tokens::text_mut`], keeping it as the tokens' buffer.
pub(crate) fn tokenize_in_place(
    out: &mut Tokens,
    max_len: usize,
    fold_leet: bool,
    folded: &mut String,
) {
    tokenize_buffer::<false>(out, max_len, fold_leet, folded);
}

/// [`tokenize_in_place`]; with `GENERAL`, every chunk takes the general path, which the fast
/// paths for chunks of known [`Shape`] are tested against.
fn tokenize_buffer<const GENERAL: bool>(
    out: &mut Tokens,
    max_len: usize,
    fold_leet: bool,
    folded: &mut String,
) {
    let mut text = std::mem::take(&mut out.buf);
    let len = text.len();
    text.push_str(PADDING);
    out.spans.clear();
    out.own.clear();
    tokenize_into::<GENERAL>(
        len,
        Sink {
            text: &text,
            own: &mut out.own,
            spans: &mut out.spans,
            last_dot: false,
        },
        &mut out.word,
        max_len,
        fold_leet,
        folded,
    );
    out.buf = text;
    out.buf.push_str(&out.own);
    // So that every token's key is one 16-byte read.
    out.buf.push_str(key::PADDING);
}

/// Tokenizes `sink.text[..len]`, which [`PADDING`] follows.
fn tokenize_into<const GENERAL: bool>(
    len: usize,
    sink: Sink<'_>,
    word: &mut String,
    max_len: usize,
    fold_leet: bool,
    folded: &mut String,
) {
    let padded = sink.text;
    let mut t = Tokenizer {
        out: sink,
        max_len,
        fold_leet,
        numeric: NumericRun::default(),
        single_letters: 0,
        folded: std::mem::take(folded),
        scratch: word,
    };
    if GENERAL {
        for chunk in padded[..len].split_whitespace() {
            t.chunk(chunk);
        }
    } else {
        for_each_chunk(
            padded,
            len,
            #[inline(always)]
            |chunk, shape| t.shaped_chunk(chunk, shape),
        );
    }
    t.flush_numeric();
    t.end_single_letters();
    *folded = t.folded;
}

impl Tokenizer<'_> {
    /// Tokenizes a chunk of text, told its [`Shape`].
    #[inline(always)]
    fn shaped_chunk(&mut self, chunk: &str, shape: Shape) {
        match shape {
            // Most chunks are plain words: none of the checks in `chunk` can match ASCII
            // letters alone (they need digits, '@', '.', ':', '%', symbols or punctuation),
            // and the only word-boundary segment of such a chunk is the chunk itself.
            Shape::Letters { plain } => {
                self.flush_numeric();
                self.undotted_word(chunk, plain);
            }
            // The same for a word ending a clause: the mark is a segment of its own, and only
            // '!' and '?' make a token.
            Shape::LettersThen { plain, mark } => {
                self.flush_numeric();
                self.undotted_word(&chunk[..chunk.len() - 1], plain);
                match mark {
                    b'!' => self.class("!"),
                    b'?' => self.class("?"),
                    _ => {}
                }
            }
            // As the general path would find them: the word, then the run's token.
            Shape::LettersThenMarks { plain, mark } => {
                self.flush_numeric();
                self.undotted_word(chunk.trim_end_matches(char::from(mark)), plain);
                self.class(if mark == b'!' { "!!" } else { "??" });
            }
            // One word (by UAX #29) with nothing to fold, classify or undot.
            Shape::Word => {
                self.flush_numeric();
                self.undotted_word(chunk, false);
            }
            // As `chunk` takes a number.
            Shape::Digits => {
                self.end_single_letters();
                self.numeric.push_digits(chunk.len());
            }
            Shape::Other => self.chunk(chunk),
        }
    }

    fn chunk(&mut self, chunk: &str) {
        let kinds = Kinds::of(chunk);
        // A URL starts with "://" or "www." in it.
        if kinds.has(Kinds::COLON | Kinds::DOT) {
            if let Some(at) = url_start(chunk) {
                let end = at + ascii_position(&chunk[at..], b"\"'<>");
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
        // A '#' that took a combining mark ("#\u{731}" is one segment under UAX #29) would
        // start a word token, and a feature text starting with '#' is a character n-gram's:
        // the model file would give that word another key. The mark stays, as after "# ".
        let segment = match segment.strip_prefix('#') {
            Some(rest) if !rest.is_empty() => rest.trim_start_matches('#'),
            _ => segment,
        };
        if let &[b] = segment.as_bytes() {
            if !b.is_ascii_alphanumeric() && b != b'!' && b != b'?' {
                // ASCII punctuation other than a mark: no word, number or emoji, so it only
                // ends a run of marks (found without the checks below, which decode chars).
                self.end_bang_run(std::mem::replace(bang_run, (' ', 0)));
                return;
            }
        }
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
            let mut undotted = std::mem::take(&mut *self.scratch);
            undotted.clear();
            undotted.extend(word.split('.'));
            self.undotted_word(&undotted, false);
            *self.scratch = undotted;
        } else {
            self.undotted_word(word, false);
        }
    }

    /// A word without dots. `plain`: it is known to be ASCII letters without a run of three,
    /// so that only its length can keep it from being pushed as it is.
    #[inline(always)]
    fn undotted_word(&mut self, word: &str, plain: bool) {
        // The usual case, inline: a plain word, unless after "dot" (which
        // [`undotted_word_in_general`] would have to look back at) or three single letters
        // (which it would join).
        if plain && word.len() <= self.max_len && !self.out.last_dot && self.single_letters < 3 {
            if word.len() == 1 {
                // "i", "a": single letters, which "f r e e" may follow.
                self.single_letters += 1;
                self.out.push_told(word, false);
                return;
            }
            // One or two single letters before stay as they are.
            self.single_letters = 0;
            // Without a branch on the length, which varies unpredictably. (The word has two
            // bytes or more, so the first, the second and the last are there to compare.)
            let b = word.as_bytes();
            let is_dot =
                (b.len() == 3) & (b[0] == b'd') & (b[1] == b'o') & (b[b.len() - 1] == b't');
            self.out.push_told(word, is_dot);
        } else {
            self.undotted_word_in_general(word, plain);
        }
    }

    /// [`undotted_word`](Self::undotted_word) for any word.
    #[inline(never)]
    fn undotted_word_in_general(&mut self, word: &str, plain: bool) {
        if word.len() == 1 && word.as_bytes()[0].is_ascii_alphabetic() {
            self.single_letters += 1;
            self.out.push(word);
            return;
        }
        self.end_single_letters();
        // "cashnow dot net" and "cashnow (dot) net": the two tokens before are NAME, "dot".
        let n = self.out.len();
        if n >= 2 && self.out.last_dot {
            if let Some(tld) = tld(word).filter(|_| is_domain_label(self.out.get(n - 2))) {
                self.out.replace_written_out_domain(tld, self.scratch);
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
        let host = &rest[..ascii_position(rest, b"/?#:")];
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
            self.out.join_last(n, self.scratch);
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

mod classify;
mod scan;

use classify::*;
use scan::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        let mut out = Tokens::default();
        let mut folded = String::new();
        tokenize(s, 40, true, &mut out, &mut folded);
        out.iter().map(str::to_owned).collect()
    }

    /// [`toks`] with every chunk on the general path.
    fn general_toks(s: &str) -> Vec<String> {
        let mut out = Tokens::default();
        let mut folded = String::new();
        out.buf.push_str(s);
        tokenize_buffer::<true>(&mut out, 40, true, &mut folded);
        out.iter().map(str::to_owned).collect()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The fast paths give the general path's tokens: words, clause marks, runs of marks,
        /// apostrophes, letter runs, single letters, "dot" domains, and what they are not.
        #[test]
        fn fast_paths_give_the_general_tokens(
            // (Single letters, which "f r e e" joins, twice as likely as other words.)
            text in "((aaa|dot|com|net|www|[a-z]|[a-z]|[a-z]{1,9}|[a-zA-Z]{9,45}|[0-9]{1,4})\
                      ([.,;:!?)\"'@$%]{1,3}|'[a-z]{1,3})?[ ]{1,2}){0,14}",
            any_ascii in "[ -~]{0,60}",
            // Words with other characters, and Unicode whitespace between or inside chunks.
            mixed in "([a-zé]{1,6}[💰\u{2028}\u{a0}\u{3000}'!?., ]{1,2}){0,12}",
            any_text in "\\PC{0,40}",
        ) {
            for text in [&text, &any_ascii, &mixed, &any_text] {
                proptest::prop_assert_eq!(toks(text), general_toks(text), "{:?}", text);
            }
        }
    }

    proptest::proptest! {
        /// Splitting off wrapping punctuation by bytes cuts where trimming chars cuts.
        #[test]
        fn wrapping_is_split_as_by_chars(s in "[()\\[\\]{}\"'<>,;:.!?*~a-z1é🔥\u{a0}]{0,12}") {
            let core = s.trim_start_matches(is_wrapping_punct);
            let start = s.len() - core.len();
            let core = core.trim_end_matches(is_wrapping_punct);
            let by_chars = (&s[..start], core, &s[start + core.len()..]);
            proptest::prop_assert_eq!(split_wrapping(&s), by_chars);
        }

        /// The block-wise byte search finds the first of the bytes, at any length.
        #[test]
        fn ascii_position_finds_the_first(s in "[a-z/?#é.]{0,70}") {
            let first = s.find(['/', '?', '#']).unwrap_or(s.len());
            proptest::prop_assert_eq!(ascii_position(&s, b"/?#"), first);
        }
    }

    #[test]
    fn numbers_end_a_run_of_single_letters() {
        for text in ["f r e e 100 x", "a b c 12 d e", "a 1 b 2 c 3"] {
            assert_eq!(toks(text), general_toks(text), "{text:?}");
        }
        assert_eq!(toks("f r e e 100 x"), ["free", "<number>", "x"]);
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
        // "dot" made of spaced letters, or written "dooot", and words after a domain.
        assert_eq!(
            toks("cashnow d o t net dot"),
            ["<url>", "<domain:cashnow.net>", "dot"]
        );
        assert_eq!(toks("cashnow dooot net"), ["cashnow", "doot", "net"]);
        assert_eq!(toks("a dot dot com"), ["a", "<url>", "<domain:dot.com>"]);
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
