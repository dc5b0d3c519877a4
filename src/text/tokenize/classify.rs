//! What a chunk of text is: URL, email, mention, money, percentage, number, phone, domain,
//! leetspeak. Small predicates, each cheap enough to run on every chunk.

/// Top-level domains recognised in bare domains (`cashnow.net`) and in `cashnow dot net`.
/// Deliberately short: a long list turns `e.g.` and `node.js` into links.
pub(super) const TLDS: &[&str] = &[
    "app", "biz", "buzz", "ca", "cc", "cf", "click", "club", "cn", "co", "com", "de", "dev", "eu",
    "fun", "ga", "gd", "gl", "gq", "icu", "info", "io", "link", "live", "ly", "me", "ml", "net",
    "online", "org", "pw", "ru", "shop", "site", "store", "su", "tk", "top", "tv", "uk", "us",
    "vip", "win", "ws", "xyz",
];

/// Numeric chunks in a row (`+1`, `(555)`, `010-0199`), summed up as far as telling a phone
/// number from other numbers needs, so that they need not be stored.
#[derive(Debug, Default)]
pub(super) struct NumericRun {
    pub(super) chunks: usize,
    digits: usize,
    /// Runs of digits; a run never spans two chunks.
    groups: usize,
    first_group_len: usize,
    plus_or_paren: bool,
    has_comma: bool,
}

impl NumericRun {
    /// [`push`](Self::push) for a chunk of `len` digits.
    #[inline]
    pub(super) fn push_digits(&mut self, len: usize) {
        self.chunks += 1;
        if self.groups == 0 {
            self.first_group_len = len;
        }
        self.groups += 1;
        self.digits += len;
    }

    pub(super) fn push(&mut self, chunk: &str) {
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
    pub(super) fn is_phone(&self) -> bool {
        (7..=15).contains(&self.digits)
            && !self.has_comma
            && (self.plus_or_paren
                || self.digits >= 10
                || self.groups >= 3
                || self.first_group_len == 3)
    }
}

/// Where the first URL in `chunk` starts, if any.
pub(super) fn url_start(chunk: &str) -> Option<usize> {
    pub(super) const STARTS: [&[u8]; 5] =
        [b"http://", b"https://", b"hxxp://", b"hxxps://", b"www."];
    let bytes = chunk.as_bytes();
    (0..bytes.len()).find(|&i| {
        matches!(bytes[i], b'h' | b'w') && STARTS.iter().any(|s| bytes[i..].starts_with(s))
    })
}

/// `chunk` as (leading punctuation, core, trailing punctuation).
pub(super) fn split_wrapping(chunk: &str) -> (&str, &str, &str) {
    // By bytes, as wrapping punctuation is ASCII: a byte of another character is never taken
    // for it, so the ends found are those of whole characters.
    let wrapping = |b: &u8| is_wrapping_punct(char::from(*b));
    let bytes = chunk.as_bytes();
    let start = bytes
        .iter()
        .position(|b| !wrapping(b))
        .unwrap_or(bytes.len());
    let end = bytes[start..]
        .iter()
        .rposition(|b| !wrapping(b))
        .map_or(start, |i| start + i + 1);
    (&chunk[..start], &chunk[start..end], &chunk[end..])
}

pub(super) const fn is_wrapping_punct(c: char) -> bool {
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

pub(super) fn is_trailing_punct(c: char) -> bool {
    matches!(
        c,
        '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '}' | '"' | '\''
    )
}

pub(super) fn is_numeric(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'(' | b')' | b'.' | b','))
}

pub(super) fn is_email(s: &str) -> bool {
    let Some(at) = s.find('@') else { return false };
    let (local, domain) = (&s[..at], &s[at + 1..]);
    !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'))
        && domain.contains('.')
        && domain.split('.').all(is_domain_label)
}

pub(super) fn is_mention(s: &str) -> bool {
    s.len() > 1
        && s.starts_with('@')
        && s[1..]
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.'))
}

pub(super) fn is_currency(c: char) -> bool {
    matches!(c, '$' | '€' | '£' | '¥' | '₹' | '₽' | '₿')
}

pub(super) fn is_money(s: &str) -> bool {
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

pub(super) fn is_percent(s: &str) -> bool {
    s.len() > 1 && s.ends_with('%') && is_numeric(&s[..s.len() - 1])
}

pub(super) fn is_domain_label(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '-')
}

/// The entry of [`TLDS`] equal to `word`, if any.
///
/// Every word is looked up, so the lookup compares integers, not strings: a TLD is at most
/// [`MAX_TLD_LEN`] bytes, packed with its length into one `u64` by [`tld_key`].
pub(super) fn tld(word: &str) -> Option<&'static str> {
    let key = tld_key(word)?;
    TLD_KEYS.iter().position(|&k| k == key).map(|i| TLDS[i])
}

pub(super) const MAX_TLD_LEN: usize = 6;

/// `TLDS[i]` packed by [`tld_key`].
pub(super) const TLD_KEYS: [u64; TLDS.len()] = {
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
pub(super) const fn tld_key(s: &str) -> Option<u64> {
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

/// Where the first of the ASCII `bytes` is in `s`, or its length: a byte search, where a char
/// pattern decodes every char.
///
/// Sixteen bytes at a time, each block's bytes tested together; then the last few without a
/// branch, from the last byte, keeping the last position found. (Stopping at the first byte
/// found mispredicted about once a call: where a URL or a host ends varies from chunk to chunk,
/// and most chunks are shorter than a block.)
pub(super) fn ascii_position<const N: usize>(s: &str, bytes: &[u8; N]) -> usize {
    let is_one = |b: u8| bytes.iter().fold(false, |found, &x| found | (x == b));
    let mut blocks = s.as_bytes().chunks_exact(16);
    let mut at = 0;
    for block in &mut blocks {
        let found = (block.iter().enumerate())
            .fold(0u16, |found, (i, &b)| found | u16::from(is_one(b)) << i);
        if found != 0 {
            return at + found.trailing_zeros() as usize;
        }
        at += 16;
    }
    let tail = blocks.remainder();
    let first = tail
        .iter()
        .enumerate()
        .rev()
        .fold(tail.len(), |first, (i, &b)| {
            std::hint::select_unpredictable(is_one(b), i, first)
        });
    at + first
}

/// `cashnow.net`, `bit.ly/x2f`, `shop.example.co/path`: labels and a known TLD.
pub(super) fn is_bare_domain(s: &str) -> bool {
    let host = &s[..ascii_position(s, b"/?#")];
    // Cheapest checks first: most chunks have no dot.
    let Some(last_dot) = host.bytes().rposition(|b| b == b'.') else {
        return false;
    };
    tld(&host[last_dot + 1..]).is_some()
        && host.find('.').is_some_and(|first_dot| first_dot >= 2)
        && host.split('.').all(|l| is_domain_label(l) && l.is_ascii())
}

pub(super) fn is_dotted_letters(word: &str) -> bool {
    word.split('.')
        .all(|part| part.chars().count() == 1 && part.chars().all(char::is_alphabetic))
}

/// Leet substitutions seen in spam, all ASCII. decancer folds lookalike letters but offers
/// leetspeak only for matching, not rewriting, so this small map is ours.
pub(super) const fn leet(b: u8) -> Option<u8> {
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

pub(super) fn is_leet(b: u8) -> bool {
    leet(b).is_some()
}

/// Folds runs of leet characters that stand between letters (`g1ft`, `c@rds`, `m0n3y`) into
/// `out`; returns false (leaving `out` unspecified) when there is nothing to fold. Runs at a
/// word's edge stay as they are, so `ps5`, `mp3`, `4th` and `covid19` keep their meaning.
///
/// Leet characters are ASCII, so runs are found by byte and their ends are char boundaries.
pub(super) fn fold_leet(chunk: &str, out: &mut String) -> bool {
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

pub(super) fn is_emoji(c: char) -> bool {
    matches!(c as u32,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2300..=0x23FF | 0x2B00..=0x2BFF | 0x3030 | 0x303D
        | 0x3297 | 0x3299 | 0x2190..=0x21FF)
}
