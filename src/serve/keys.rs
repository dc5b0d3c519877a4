//! API keys and their roles, read from a TOML file:
//!
//! ```toml
//! [[key]]
//! key = "a-long-random-string"
//! roles = ["score", "learn"]      # any of score, learn, admin
//! ```
//!
//! A presented key is hashed and compared with every stored key's hash in constant time, so
//! neither timing nor logs reveal a key.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::ServeError;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Score comments (native, Perspective, Akismet `comment-check`, `verify-key`).
    Score,
    /// Learn and forget feedback (`/v1/feedback`, `/v1/forget`, Akismet `submit-*`).
    Learn,
    /// Snapshot and reload the model.
    Admin,
}

impl Role {
    /// The role's name in the keys file.
    pub fn name(self) -> &'static str {
        match self {
            Role::Score => "score",
            Role::Learn => "learn",
            Role::Admin => "admin",
        }
    }
}

/// The shortest key accepted: shorter ones are guessable.
const MIN_KEY_LEN: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(default)]
    key: Vec<KeyEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyEntry {
    key: String,
    roles: Vec<Role>,
}

/// The keys a server accepts (only their hashes are kept).
#[derive(Clone, Default)]
pub struct Keys {
    entries: Vec<([u8; 32], Vec<Role>)>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Keys({} keys)", self.entries.len())
    }
}

/// What checking a key found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// No key was presented.
    Missing,
    /// The key is not in the file.
    Invalid,
    /// The key is valid but lacks the role.
    Forbidden,
    /// Allowed.
    Granted,
}

/// A keys file that does not parse, by line and column. The TOML error's own text quotes the
/// line it stopped on, which held the secret key itself in the second service audit's files;
/// quoted strings in its message are left out for the same reason.
fn syntax_error(text: &str, file: &str, e: &toml::de::Error) -> ServeError {
    let mut message = String::new();
    // Inside a string the message quotes, or inside `backticks` (TOML's own tokens).
    let (mut quoted, mut ticked) = (false, false);
    for c in e.message().chars() {
        match c {
            '`' if !quoted => {
                ticked = !ticked;
                message.push(c);
            }
            '"' if !ticked => {
                if !quoted {
                    message.push_str("\"...\"");
                }
                quoted = !quoted;
            }
            c if !quoted => message.push(c),
            _ => {}
        }
    }
    let place = e.span().map_or_else(String::new, |span| {
        let before = &text[..span.start.min(text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        format!("line {line}, column {column}: ")
    });
    ServeError::Config(format!("{file}: {place}{}", message.trim()))
}

/// The characters of a bearer token (RFC 6750's `b64token`, before its trailing `=`
/// padding): a key of these goes unchanged in `Authorization: Bearer`, and in a URL's query or
/// a form with at most `+`, `/` and `=` percent-encoded, which clients do.
fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '+' | '/')
}

impl Keys {
    /// Parses a keys file's text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Keys, ServeError> {
        let parsed: KeyFile = toml::from_str(text).map_err(|e| syntax_error(text, file, &e))?;
        if parsed.key.is_empty() {
            return Err(ServeError::Config(format!(
                "{file}: no [[key]] tables; `commentguard serve --generate-key` prints one"
            )));
        }
        let mut keys = Keys::default();
        for (i, entry) in parsed.key.iter().enumerate() {
            let n = i + 1;
            if entry.key.len() < MIN_KEY_LEN {
                return Err(ServeError::Config(format!(
                    "{file}: key {n}: shorter than {MIN_KEY_LEN} characters"
                )));
            }
            // Base64 keys (`openssl rand -base64 32`) end in `=` padding, which RFC 6750
            // allows at the end of a token.
            let body = entry.key.trim_end_matches('=');
            if let Some(c) = body.chars().find(|&c| !is_token_char(c)) {
                // Never the key itself: only which character, by its code.
                return Err(ServeError::Config(format!(
                    "{file}: key {n}: holds {} ({}), which clients cannot send in every place \
                     a key goes (an Authorization header, a URL, a form); use letters, digits \
                     and - . _ ~ + /, with = only at the end (base64 and `--generate-key` keys \
                     do)",
                    if c == ' ' {
                        "a space".to_string()
                    } else {
                        format!("U+{:04X}", c as u32)
                    },
                    if c.is_ascii() {
                        "not a token character"
                    } else {
                        "not ASCII"
                    },
                )));
            }
            if entry.roles.is_empty() {
                return Err(ServeError::Config(format!("{file}: key {n}: no roles")));
            }
            let hash = digest(&entry.key);
            if keys.entries.iter().any(|(h, _)| *h == hash) {
                return Err(ServeError::Config(format!(
                    "{file}: key {n}: the same key appears twice"
                )));
            }
            keys.entries.push((hash, entry.roles.clone()));
        }
        Ok(keys)
    }

    /// Reads and parses a keys file.
    pub fn load(path: &std::path::Path) -> Result<Keys, ServeError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| ServeError::Io(format!("reading keys from {name}"), e))?;
        Keys::parse(&text, &name)
    }

    /// Whether `key` may act in `role`.
    pub(crate) fn check(&self, key: Option<&str>, role: Role) -> Access {
        let Some(key) = key.filter(|k| !k.is_empty()) else {
            return Access::Missing;
        };
        let hash = digest(key);
        let mut found: Option<&[Role]> = None;
        // Every entry is compared, so the time does not depend on which one matches.
        for (h, roles) in &self.entries {
            if bool::from(h.ct_eq(&hash)) {
                found = Some(roles);
            }
        }
        match found {
            None => Access::Invalid,
            Some(roles) if roles.contains(&role) => Access::Granted,
            Some(_) => Access::Forbidden,
        }
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A new keys file with one random key holding every role.
pub fn generate_key_file() -> Result<String, ServeError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| ServeError::Config(format!("no random numbers from the system: {e}")))?;
    let key: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(
        "# commentguard serve --keys: one [[key]] table per key.\n\
         # roles: score (score comments), learn (feedback, forget, Akismet submit-*),\n\
         # admin (snapshot, reload).\n\
         [[key]]\n\
         key = \"{key}\"\n\
         roles = [\"score\", \"learn\", \"admin\"]\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "[[key]]\nkey = \"0123456789abcdef-score\"\nroles = [\"score\"]\n\
                        [[key]]\nkey = \"0123456789abcdef-learn\"\nroles = [\"score\", \"learn\"]\n";

    #[test]
    fn roles_are_checked_per_key() {
        let keys = Keys::parse(FILE, "k.toml").unwrap();
        assert_eq!(
            keys.check(Some("0123456789abcdef-score"), Role::Score),
            Access::Granted
        );
        assert_eq!(
            keys.check(Some("0123456789abcdef-score"), Role::Learn),
            Access::Forbidden
        );
        assert_eq!(
            keys.check(Some("0123456789abcdef-learn"), Role::Learn),
            Access::Granted
        );
        assert_eq!(
            keys.check(Some("0123456789abcdef-nope"), Role::Score),
            Access::Invalid
        );
        assert_eq!(keys.check(None, Role::Score), Access::Missing);
        assert_eq!(keys.check(Some(""), Role::Score), Access::Missing);
    }

    #[test]
    fn bad_files_name_the_problem() {
        let err = Keys::parse("[[key]]\nkey = \"short\"\nroles = [\"score\"]\n", "k.toml");
        assert!(err.unwrap_err().to_string().contains("key 1: shorter"));
        let err = Keys::parse(
            "[[key]]\nkey = \"0123456789abcdefgh\"\nroles = [\"root\"]\n",
            "k.toml",
        );
        let msg = err.unwrap_err().to_string();
        assert!(msg.contains("k.toml") && msg.contains("line 3"), "{msg}");
        let err = Keys::parse("", "k.toml").unwrap_err().to_string();
        assert!(err.contains("no [[key]]"), "{err}");
    }

    /// The second service audit: a syntax error's text quoted the line, secret key and all.
    /// A key with a space or a character outside ASCII loaded, and no client could send it in
    /// a header; the error names the character, never the key.
    #[test]
    fn keys_clients_cannot_send_are_refused_without_showing_them() {
        for (key, what) in [
            ("0123456789abcdef ghij", "a space"),
            ("0123456789abcdefé-ghij", "U+00E9"),
            ("0123456789abcdef\\\"ghij", "U+0022"),
            ("0123456789abcdef=ghij", "U+003D"),
        ] {
            let text = format!("[[key]]\nkey = \"{key}\"\nroles = [\"score\"]\n");
            let e = Keys::parse(&text, "k.toml").unwrap_err().to_string();
            assert!(
                e.starts_with("k.toml: key 1: holds ") && e.contains(what),
                "{e}"
            );
            assert!(!e.contains("0123456789abcdef"), "{e}");
        }
        for ok in [
            "0123456789abcdef-._~+/",
            "q83vEjRWeJq83vEjRWeJq83vEjRWeJq8/+A==",
        ] {
            let text = format!("[[key]]\nkey = \"{ok}\"\nroles = [\"score\"]\n");
            assert!(Keys::parse(&text, "k.toml").is_ok(), "{ok}");
        }
    }

    #[test]
    fn a_file_that_does_not_parse_is_named_by_line_never_by_its_key() {
        let secret = "abcdefghijklmnopqrstuvwxyz0123456789SECRET";
        for (text, place) in [
            (
                format!("[[key]]\nkey = \"{secret}\" roles = [\"score\"]\n"),
                "line 2, column",
            ),
            (
                format!("[[key]]\nkey = \"{secret}\"\nroles = \"{secret}\"\n"),
                "line 3, column 9",
            ),
            (
                format!("[[key]]\nkey = \"{secret}\nroles = [\"score\"]\n"),
                "line 2, column",
            ),
            (
                format!("[[key]]\nkey = \"{secret}\"\nkey = \"{secret}\"\n"),
                "line 3, column 1",
            ),
        ] {
            let Err(e) = Keys::parse(&text, "k.toml") else {
                panic!("parsed: {text}");
            };
            let message = e.to_string();
            assert!(!message.contains("SECRET"), "{message}");
            assert!(
                message.starts_with(&format!("k.toml: {place}")),
                "{message}"
            );
        }
    }

    #[test]
    fn generated_files_parse_and_differ() {
        let (a, b) = (generate_key_file().unwrap(), generate_key_file().unwrap());
        assert_ne!(a, b);
        Keys::parse(&a, "generated").unwrap();
    }
}
