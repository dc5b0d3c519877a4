//! Golden test of the text pipeline: the exact tokens of every corpus comment and of a list of
//! tricky strings, pinned by one digest.
//!
//! The digests below pin the tokenizer's output, so that speed work on `src/text/normalize.rs`
//! and `src/text/tokenize.rs` cannot change behaviour unnoticed: any different token, anywhere,
//! changes the digest.
//!
//! When a behaviour change is intended:
//! 1. run `GOLDEN_TOKENS_DUMP=/tmp/before cargo test --test golden_tokens` on the old code and
//!    `GOLDEN_TOKENS_DUMP=/tmp/after cargo test --test golden_tokens` on the new code, then
//!    `diff -r /tmp/before /tmp/after` and check that every difference is one you meant;
//! 2. paste the new digests printed by the failing assertions into the constants below;
//! 3. say in the commit message what changed and why (the default model changes too: see
//!    `training-data/README.md`).

mod util;

use std::fmt::Write as _;
use std::path::Path;

use commentguard::{Analyzer, AnalyzerOptions, Scratch};
use sha2::{Digest, Sha256};

/// SHA-256 of the tokens of `tests/fixtures/comments-v1.csv` and then of [`tricky`], computed with
/// the tokenizer of commit ba7f8c5.
const CORPUS_AND_TRICKY: &str = "053aa14d38d89a3e09044e05cab75fbc6f79d0e6a7d23e51be0b2d8d4530cb01";

/// SHA-256 of the tokens of the text columns of `../shared/data` (checked only when present).
const SHARED_DATA: &str = "bcab778a0daa365370cb643c7b50400d3a36d322ce0ead05d325c5740c9fb876";

/// Strings that exercise every branch of the normalizer and the tokenizer.
fn tricky() -> Vec<String> {
    let mut v: Vec<String> = [
        // Empty, blank, control characters.
        "",
        "     ",
        "\t\n\r \u{7}\u{0}\u{1b}[31m",
        "text\u{0}with\u{1f}controls\u{7f}del",
        "tabs\tand\nnewlines\r\nand\u{2028}line\u{2029}sep\u{a0}nbsp\u{3000}ideographic",
        // Lookalike letters from other scripts, mixed into English or standing alone.
        "fr\u{435}\u{435} \u{441}\u{430}sh m\u{3bf}ney",
        "get \u{441}\u{430}\u{455}\u{4bb} now",
        "\u{430}\u{440}\u{440}\u{4cf}\u{435} iphone giveaway",
        "Привет, как дела? Всё хорошо, спасибо!",
        "Привет мир, check my profile for free \u{441}\u{430}sh",
        "Ελληνικά κείμενο με λίγα words",
        "\u{13aa}mazon gift \u{13df}ard from \u{570}\u{585}\u{574}\u{565}",
        // Fullwidth, math, circled, enclosed and other compatibility letters.
        "ＦＲＥＥ ｇｉｆｔ ｃａｒｄｓ ａｂｃ１２３",
        "𝐟𝐫𝐞𝐞 𝓬𝓪𝓼𝓱 𝕞𝕠𝕟𝕖𝕪 𝙽𝙾𝚆",
        "Ⓕⓡⓔⓔ 🅵🆁🅴🅴 ⒡⒭⒠⒠",
        "Ⅻ ① ² ½ ﬁne ﬀ ㎏",
        "İstanbul ǅemal STRASSE ß ẞig",
        "combining e\u{301} a\u{308} n\u{303} cafe\u{301}",
        "café naïve résumé über señor",
        // Invisible characters that try to split words.
        "fr\u{200b}ee gi\u{feff}ft c\u{ad}ard\u{200d}s wi\u{2060}n",
        "\u{feff}BOM at start",
        "\u{202e}olleh\u{202c} reversed \u{200f}rtl mark",
        "hangul\u{3164}filler and\u{115f}more",
        // Emoji, alone and in sequences.
        "wow 💰🔥 👍🏽 👨\u{200d}👩\u{200d}👧 🇺🇸",
        "❤\u{fe0f} love it ✔ ☺ → ⬆ ⌚ 〰",
        "money💰money 🔥hot🔥 x🤑y",
        // CJK and right-to-left scripts.
        "hello 世界 日本語のテキスト 한국어 텍스트",
        "中文，标点。还有！问号？",
        "مرحبا بالعالم hello שלום עולם",
        // URLs in every form.
        "see https://www.cash-now.net/x?y=1.",
        "HTTP://EXAMPLE.COM/Path?Q=1#Frag",
        "hxxps://evil.example.ru/login, hxxp://x.tk",
        "<a href=\"http://spam.example.com/a\">link</a>",
        "href='https://foo.bar.xyz/q?a=b#frag' target=_blank",
        "(see www.example.com/page).",
        "visit bit.ly/abc! or tinyurl.com/x2f? or t.co",
        "https://user:pass@host.io:8080/path",
        "http:// www. https://www. www.www.example.com",
        "click:https://a.b.c/d)]}!?",
        "prefix-http://glued.example.org",
        "example.c0m shop.example.co/PATH www.example",
        // Written-out domains.
        "go to cashnow dot net",
        "cashnow (dot) com and free-money dot xyz",
        "cashnow DOT org dot com dot",
        "e.g. node.js i.e. a.m. p.s. u.s.a",
        // Emails and mentions.
        "mail drx@gmail.com or first.last+tag@sub.example.co.uk.",
        "@jen @bob_smith @ @@ email@ @example.com a@b (me@x.io)",
        // Money, percentages, numbers and phone numbers across chunks.
        "$500 100$ $2.5k $45/hr €20 £5 ¥1000 ₹99 ₽7 ₿0.1 $ $$$ $abc",
        "50% 100%! 3.5% % (20%) -5%",
        "call +1 (555) 010-0199 now",
        "555-0100 and 555 0100 and 123 456 7890 ext 89",
        "in 2024-2025 there were 1,000,000 people (2024)",
        "3.14159 0.5 -7 +44 20 7946 0958 1.2.3 v2.0",
        "3:30pm 10:45 12,5 1st 2nd 3rd 10k 5x 24/7",
        "+1-800-FLOWERS 1-800-356-9377 12 34",
        // Leetspeak.
        "g1ft c@rds m0n3y ca$h fr33 pr1ze w!n",
        "ps5 mp3 4th covid19 b2b 0day h4x0r",
        "g1ft.c@rds 1337 @dmin p@$$w0rd",
        "a1!b2@c3# $ave 5ale",
        // Letter runs, spaced and dotted letters.
        "freeeee sooooo!!!!! looool ...... zzz",
        "f r e e cash  F R E E  i am a b",
        "c.a.s.h now F.R.E.E a.b c.a.s.h.",
        "x y z 1 2 3 a b c d e f g",
        // Punctuation runs.
        "!!!",
        "??",
        "?!?! !? what? really?!! ok!!!???",
        "trailing. punctuation, everywhere; (here) [there] {x} \"q\" 'y' *bold* ~tilde~",
        "don't can't it's o'clock rock'n'roll It’s “fine”",
        "snake_case_word __init__ foo_bar _ __",
        "#hashtag #1 C++ C# .NET &amp; &lt;b&gt; <br/>",
        "e-mail co-op well-known --- -",
        "version 1.0.0-beta+build.5 foo...bar a.b.c.d.e",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    // Very long words, around and far past the 40-character limit.
    v.push("a".repeat(40));
    v.push("b".repeat(41));
    v.push(format!("aaa{}", "b".repeat(50)));
    v.push(format!("{}z", "ab".repeat(25)));
    v.push(format!("x{}x", "é".repeat(45)));
    v.push("word ".repeat(200));
    v
}

/// The first-round comments of `tests/fixtures/comments-v1.csv` (rows c0001 to c3132): the corpus
/// grows by appending, so these rows stay as they were when the digest was taken.
fn corpus() -> Vec<String> {
    let mut texts = read_column(&util::repo().join("tests/fixtures/comments-v1.csv"), "text");
    texts.truncate(FIRST_ROUND_ROWS);
    texts
}

const FIRST_ROUND_ROWS: usize = 3132;

/// One column of a CSV file, bytes that are not UTF-8 replaced.
fn read_column(path: &Path, column: &str) -> Vec<String> {
    let mut rdr =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let col = rdr
        .byte_headers()
        .expect("a header row")
        .iter()
        .position(|h| h == column.as_bytes())
        .unwrap_or_else(|| panic!("{} has no column {column}", path.display()));
    rdr.byte_records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            String::from_utf8_lossy(&r[col]).into_owned()
        })
        .collect()
}

/// Tokenizes every text with one reused `Scratch` (as a scorer does) and hashes the token
/// sequence: tokens end with `\x1f`, comments with `\x1e`. Checks on the way that a fresh
/// `Scratch` gives the same tokens, so no state leaks from one comment to the next.
///
/// With `GOLDEN_TOKENS_DUMP=dir` set, also writes the tokens to `dir/name.txt`, one comment a
/// line, for diffing.
fn digest(name: &str, texts: &[String]) -> String {
    let analyzer = Analyzer::new(AnalyzerOptions::default()).expect("default options are valid");
    let mut scratch = Scratch::default();
    let mut hasher = Sha256::new();
    let mut dump = String::new();
    for text in texts {
        analyzer.tokenize(text, &mut scratch);
        let mut fresh = Scratch::default();
        analyzer.tokenize(text, &mut fresh);
        assert!(
            scratch.tokens().iter().eq(fresh.tokens().iter()),
            "a reused Scratch changed the tokens of {text:?}"
        );
        for token in scratch.tokens().iter() {
            hasher.update(token.as_bytes());
            hasher.update(b"\x1f");
            dump.push_str(&format!("{token:?} "));
        }
        hasher.update(b"\x1e");
        dump.push('\n');
    }
    if let Some(dir) = std::env::var_os("GOLDEN_TOKENS_DUMP") {
        std::fs::create_dir_all(&dir).expect("creating the dump directory");
        std::fs::write(Path::new(&dir).join(format!("{name}.txt")), dump).expect("writing a dump");
    }
    hasher.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn tokens(text: &str) -> Vec<String> {
    let analyzer = Analyzer::new(AnalyzerOptions::default()).expect("default options are valid");
    let mut scratch = Scratch::default();
    analyzer.tokenize(text, &mut scratch);
    scratch.tokens().iter().map(str::to_owned).collect()
}

#[test]
fn corpus_and_tricky_strings_tokenize_as_pinned() {
    let mut texts = corpus();
    assert_eq!(
        texts.len(),
        FIRST_ROUND_ROWS,
        "tests/fixtures/comments-v1.csv lost rows"
    );
    texts.extend(tricky());
    assert_eq!(
        digest("corpus_and_tricky", &texts),
        CORPUS_AND_TRICKY,
        "the tokenizer's output changed; if you meant it, see the top of tests/golden_tokens.rs"
    );
}

#[test]
fn shared_data_tokenizes_as_pinned() {
    let Some(data) = util::shared_data("shared_data_tokenizes_as_pinned") else {
        return;
    };
    let mut texts = Vec::new();
    for video in [
        "Youtube01-Psy.csv",
        "Youtube02-KatyPerry.csv",
        "Youtube03-LMFAO.csv",
    ] {
        texts.extend(read_column(
            &data.join("youtube-dev").join(video),
            "CONTENT",
        ));
    }
    texts.extend(read_column(&data.join("sms/sms_spam.csv"), "text"));
    texts.extend(read_column(
        &data.join("jigsaw/train_PARTIAL_first2886rows.csv"),
        "comment_text",
    ));
    texts.extend(read_column(
        &data.join("davidson/labeled_data.csv"),
        "tweet",
    ));
    assert_eq!(
        digest("shared_data", &texts),
        SHARED_DATA,
        "the tokenizer's output changed; if you meant it, see the top of tests/golden_tokens.rs"
    );
}

/// A few of the pinned outputs written out, so a reader sees what the digests hold.
#[test]
fn tricky_strings_give_these_tokens() {
    let cases: &[(&str, &[&str])] = &[
        ("", &[]),
        ("     ", &[]),
        ("!!!", &["!!"]),
        ("??", &["??"]),
        (
            "fr\u{435}\u{435} \u{441}\u{430}sh m\u{3bf}ney",
            &["free", "cash", "money"],
        ),
        (
            "Привет, как дела? Всё хорошо, спасибо!",
            &[
                "привет",
                "как",
                "дела",
                "?",
                "всё",
                "хорошо",
                "спасибо",
                "!",
            ],
        ),
        (
            "ＦＲＥＥ ｇｉｆｔ ｃａｒｄｓ ａｂｃ１２３",
            &["free", "gift", "cards", "abc123"],
        ),
        (
            "fr\u{200b}ee gi\u{feff}ft c\u{ad}ard\u{200d}s wi\u{2060}n",
            &["free", "gift", "cards", "win"],
        ),
        (
            "wow 💰🔥 👍🏽 🇺🇸",
            &[
                "wow", "<emoji>", "💰", "<emoji>", "🔥", "<emoji>", "👍🏽", "<emoji>", "🇺🇸",
            ],
        ),
        (
            "hello 世界 日本語のテキスト 한국어",
            &[
                "hello",
                "世",
                "界",
                "日",
                "本",
                "語",
                "の",
                "テキスト",
                "한국어",
            ],
        ),
        (
            "<a href=\"http://spam.example.com/a\">link</a>",
            &[
                "a",
                "href",
                "<url>",
                "<domain:spam.example.com>",
                "link",
                "a",
            ],
        ),
        (
            "visit bit.ly/abc! or tinyurl.com/x2f? or t.co",
            &[
                "visit",
                "<url>",
                "<domain:bit.ly>",
                "!",
                "or",
                "<url>",
                "<domain:tinyurl.com>",
                "?",
                "or",
                "t.co",
            ],
        ),
        (
            "cashnow (dot) com and free-money dot xyz",
            &[
                "<url>",
                "<domain:cashnow.com>",
                "and",
                "free",
                "<url>",
                "<domain:money.xyz>",
            ],
        ),
        (
            "mail drx@gmail.com or first.last+tag@sub.example.co.uk.",
            &[
                "mail",
                "<email>",
                "<domain:gmail.com>",
                "or",
                "<email>",
                "<domain:sub.example.co.uk>",
            ],
        ),
        ("call +1 (555) 010-0199 now", &["call", "<phone>", "now"]),
        (
            "in 2024-2025 there were 1,000,000 people (2024)",
            &[
                "in", "<number>", "there", "were", "<number>", "people", "<number>",
            ],
        ),
        (
            "50% 100%! 3.5% % (20%) -5%",
            &[
                "<percent>",
                "<percent>",
                "!",
                "<percent>",
                "<percent>",
                "<percent>",
            ],
        ),
        (
            "g1ft c@rds m0n3y ca$h fr33 pr1ze w!n",
            &["gift", "cards", "money", "cash", "fr33", "prize", "win"],
        ),
        (
            "ps5 mp3 4th covid19 b2b 0day h4x0r",
            &["ps5", "mp3", "4th", "covid19", "b2b", "0day", "haxor"],
        ),
        (
            "freeeee sooooo!!!!! looool ...... zzz",
            &["free", "soo", "!!", "lool", "zz"],
        ),
        // Pinned as it is, not as it should be: "E E i" are single letters in a row too.
        (
            "f r e e cash  F R E E  i am a b",
            &["free", "cash", "freei", "am", "a", "b"],
        ),
        (
            "c.a.s.h now F.R.E.E a.b c.a.s.h.",
            &["cash", "now", "free", "ab", "cash"],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(tokens(text), *expected, "tokens of {text:?}");
    }
}
