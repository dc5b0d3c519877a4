//! The feedback journal: one line per learned or forgotten comment, appended and fsynced
//! before the feedback is acknowledged.
//!
//! A line is `CHECKSUM JSON\n`, CHECKSUM being the first 16 hex digits of the SHA-256 of
//! JSON. A crash can leave only the last write incomplete; replay drops a torn tail (lines after
//! the last complete, valid one, none of which was acknowledged) and refuses damage anywhere
//! else, naming the line.
//!
//! Compaction writes generations: `snapshot-G.model` (the model with every feedback so far),
//! `ledger-G.log` (that feedback, in journal lines, so forgets can still be checked) and an
//! empty `journal-G.log`, each fsynced, and then switches `CURRENT` to `G` with an atomic
//! rename. A crash before the switch leaves the previous generation whole; after it, the new
//! one. Generation 0 is the base model and `journal.log`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ServeError;

/// Learn or forget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Op {
    Learn,
    Forget,
}

/// One journaled feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Record {
    pub op: Op,
    pub text: String,
    /// Verdicts by label name, as the client gave them.
    pub labels: BTreeMap<String, bool>,
    /// Every label's verdict as learned: the client's, and the model's own for the labels the
    /// client left out (so forgetting takes out exactly what learning put in).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resolved: BTreeMap<String, bool>,
}

/// An open journal, appended to by the learner alone.
#[derive(Debug)]
pub(crate) struct Journal {
    file: File,
    path: PathBuf,
}

/// The journal's file name inside `--journal DIR` for generation 0.
pub(crate) const FILE: &str = "journal.log";

/// The journal file of generation `g`.
pub(crate) fn journal_file(dir: &Path, g: u64) -> PathBuf {
    match g {
        0 => dir.join(FILE),
        g => dir.join(format!("journal-{g}.log")),
    }
}

/// The snapshot model of generation `g` (> 0).
pub(crate) fn snapshot_file(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("snapshot-{g}.model"))
}

pub(crate) fn ledger_file(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("ledger-{g}.log"))
}

fn totals_file(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("totals-{g}.txt"))
}

/// The learned and forgotten totals generation `g` was written with (`/v1/model`'s
/// `learned_total` and `forgotten_total`, which a ledger alone cannot give back: it holds what
/// is learned now, not what was learned and forgotten). `None` for a generation written before
/// the file existed: the counters then restart from the ledger. A file that is there but not
/// two numbers is damage, refused as the other files' is: it reset the counters silently.
pub(crate) fn read_totals(dir: &Path, g: u64) -> Result<Option<(u64, u64)>, ServeError> {
    let path = totals_file(dir, g);
    let Some(text) = read_if_there(&path)? else {
        return Ok(None);
    };
    let mut numbers = text.split_whitespace().map(str::parse::<u64>);
    match (numbers.next(), numbers.next(), numbers.next()) {
        (Some(Ok(learned)), Some(Ok(forgotten)), None) => Ok(Some((learned, forgotten))),
        _ => Err(ServeError::Journal {
            file: path.display().to_string(),
            line: 1,
            message: format!(
                "expected the learned and forgotten totals, two numbers, found {:?}",
                text.trim()
            ),
        }),
    }
}

/// The SHA-256 of the base model generation `g`'s snapshot was built on; `None` for a
/// generation written before the file existed.
pub(crate) fn read_base(dir: &Path, g: u64) -> Result<Option<String>, ServeError> {
    Ok(read_if_there(&base_file(dir, g))?.map(|text| text.trim().to_owned()))
}

/// A generation file's text, `None` when the generation was written before such files were.
fn read_if_there(path: &Path) -> Result<Option<String>, ServeError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ServeError::Io(format!("reading {}", path.display()), e)),
    }
}

fn base_file(dir: &Path, g: u64) -> PathBuf {
    dir.join(format!("base-{g}.txt"))
}

/// The generation `CURRENT` names, 0 when there is none. Without `CURRENT`, a snapshot in the
/// directory is refused rather than passed over: the server started empty and left the
/// snapshot's feedback behind, without a word.
pub(crate) fn current_generation(dir: &Path) -> Result<u64, ServeError> {
    let path = dir.join("CURRENT");
    match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().parse().map_err(|_| ServeError::Journal {
            file: path.display().to_string(),
            line: 1,
            message: format!("expected a generation number, found {:?}", text.trim()),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let entries = std::fs::read_dir(dir)
                .map_err(|e| ServeError::Io(format!("reading {}", dir.display()), e))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("snapshot-") && name.ends_with(".model") {
                    return Err(ServeError::Config(format!(
                        "{}: CURRENT is missing, but {name} is there: write the generation \
                         to use into CURRENT (the number in the snapshot's name), or start \
                         on an empty directory",
                        dir.display()
                    )));
                }
            }
            Ok(0)
        }
        Err(e) => Err(ServeError::Io(format!("reading {}", path.display()), e)),
    }
}

/// Takes the journal directory for this process: a second server on the same directory kept
/// appending to a journal the first had compacted away, and feedback both acknowledged was
/// lost. The lock is the open file's, released when the server (or the process) ends.
pub(crate) fn lock(dir: &Path) -> Result<File, ServeError> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| ServeError::Io(format!("opening {}", path.display()), e))?;
    match rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(file),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Err(ServeError::Config(format!(
            "{}: another server is using this journal directory (it holds {}); give each \
             server a directory of its own",
            dir.display(),
            path.display()
        ))),
        Err(e) => Err(ServeError::Io(
            format!("locking {}", path.display()),
            e.into(),
        )),
    }
}

/// The feedback a snapshot of generation `g` holds.
pub(crate) fn read_ledger(dir: &Path, g: u64) -> Result<Vec<(usize, Record)>, ServeError> {
    if g == 0 {
        return Ok(Vec::new());
    }
    let path = ledger_file(dir, g);
    let bytes = std::fs::read(&path)
        .map_err(|e| ServeError::Io(format!("reading {}", path.display()), e))?;
    let name = path.display().to_string();
    let (records, good) = parse(&bytes, &name)?;
    if good != bytes.len() {
        return Err(ServeError::Journal {
            file: name,
            line: records.len() + 1,
            message: "incomplete line in a ledger written whole".into(),
        });
    }
    Ok(records)
}

/// Writes `bytes` to `path` so that it is whole and on disk, or absent.
fn write_durable(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // Errors name the file being written: tempfile's named a temporary file, which meant
    // nothing to an operator reading "compaction failed" on a full disk. The journal
    // directory's lock makes the learner its only writer, so a fixed name beside the target
    // is safe, and a leftover (from a crash) is overwritten by the next try.
    let named = |e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("writing {}: {e}", path.display()))
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let written = private_options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&partial)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&partial, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(named(e));
    }
    File::open(dir).and_then(|d| d.sync_all()).map_err(named)
}

/// Options that create a file readable and writable by the server's user alone (0600 on
/// Unix): the journal's files hold comment text. (Written through tempfile, they were; the
/// first version of `write_durable` without it made them 0644, found by an audit.)
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Removes the files of every generation before `g`, which `CURRENT` no longer names. Not
/// only `g - 1`'s: a crash between switching `CURRENT` and removing them left a generation's
/// files behind for good (the crash test's directory kept generation 2's beside 7's). A file
/// that cannot be removed is harmless, and left.
fn remove_generations_before(dir: &Path, g: u64) {
    let _ = std::fs::remove_file(journal_file(dir, 0));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stem = name.strip_suffix(".partial").unwrap_or(name);
        let generation = ["journal-", "snapshot-", "ledger-", "totals-", "base-"]
            .iter()
            .find_map(|prefix| stem.strip_prefix(prefix))
            .and_then(|rest| rest.split_once('.'))
            .filter(|(_, ext)| matches!(*ext, "log" | "model" | "txt"))
            .and_then(|(n, _)| n.parse::<u64>().ok());
        if generation.is_some_and(|n| n < g) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Compacts: writes generation `g`'s snapshot, ledger and empty journal (removing them all if
/// one fails), switches `CURRENT` to it, removes every older generation's files, and returns
/// the new journal.
pub(crate) fn write_generation(
    dir: &Path,
    g: u64,
    model: &[u8],
    ledger: &[Record],
    (learned, forgotten): (u64, u64),
    base: &str,
) -> std::io::Result<Journal> {
    let mut lines = Vec::new();
    for r in ledger {
        line(r, &mut lines);
    }
    let (base, totals) = (format!("{base}\n"), format!("{learned} {forgotten}\n"));
    let files: [(PathBuf, &[u8]); 5] = [
        (snapshot_file(dir, g), model),
        (base_file(dir, g), base.as_bytes()),
        (ledger_file(dir, g), &lines),
        (totals_file(dir, g), totals.as_bytes()),
        (journal_file(dir, g), b""),
    ];
    for (path, bytes) in &files {
        if let Err(e) = write_durable(path, bytes) {
            // An incomplete generation left behind made the next start refuse the directory
            // ("CURRENT is missing, but snapshot-1.model is there"), with advice that then
            // failed on the missing ledger (an audit). CURRENT still names the previous one.
            for (path, _) in &files {
                let _ = std::fs::remove_file(path);
            }
            return Err(e);
        }
    }
    write_durable(&dir.join("CURRENT"), format!("{g}\n").as_bytes())?;
    remove_generations_before(dir, g);
    let path = journal_file(dir, g);
    let file = OpenOptions::new().append(true).open(&path)?;
    Ok(Journal { file, path })
}

impl Journal {
    /// Opens (creating) generation `g`'s journal in `dir`, drops a torn tail, and returns the
    /// records in it.
    pub fn open(dir: &Path, g: u64) -> Result<(Journal, Vec<(usize, Record)>), ServeError> {
        let io = |what: &str, e| ServeError::Io(format!("{what} {}", dir.display()), e);
        std::fs::create_dir_all(dir).map_err(|e| io("creating the journal directory", e))?;
        let path = journal_file(dir, g);
        let mut file = private_options()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| io("opening the journal in", e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io("reading the journal in", e))?;
        let name = path.display().to_string();
        let (records, good) = parse(&bytes, &name)?;
        if good < bytes.len() {
            tracing::warn!(
                journal = %name,
                bytes = bytes.len() - good,
                "dropping an incomplete last write (never acknowledged)"
            );
            file.set_len(good as u64)
                .map_err(|e| io("truncating the journal in", e))?;
            file.sync_all()
                .map_err(|e| io("syncing the journal in", e))?;
        }
        // Make the file's directory entry durable too, the first time.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok((Journal { file, path }, records))
    }

    /// Appends `records` in one write and waits until they are on disk.
    pub fn append(&mut self, records: &[Record]) -> std::io::Result<()> {
        let mut buf = Vec::new();
        for r in records {
            line(r, &mut buf);
        }
        self.file.write_all(&buf)?;
        self.file.sync_data()
    }

    /// The journal file.
    #[allow(dead_code)]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Appends `record`'s journal line to `out`.
pub(crate) fn line(record: &Record, out: &mut Vec<u8>) {
    let json = serde_json::to_string(record).expect("records serialize");
    out.extend_from_slice(checksum(json.as_bytes()).as_bytes());
    out.push(b' ');
    out.extend_from_slice(json.as_bytes());
    out.push(b'\n');
}

fn checksum(bytes: &[u8]) -> String {
    Sha256::digest(bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The records of a journal's bytes with their line numbers, and the length of its valid
/// prefix. Only a last line without its newline can be a torn write; any other bad line is
/// damage: an error.
fn parse(bytes: &[u8], name: &str) -> Result<(Vec<(usize, Record)>, usize), ServeError> {
    let mut records = Vec::new();
    let mut good = 0;
    for (i, chunk) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let n = i + 1;
        if !chunk.ends_with(b"\n") {
            // The unfinished end of the last write, never acknowledged.
            break;
        }
        let record = decode(chunk).map_err(|message| ServeError::Journal {
            file: name.to_owned(),
            line: n,
            message,
        })?;
        records.push((n, record));
        good += chunk.len();
    }
    Ok((records, good))
}

fn decode(chunk: &[u8]) -> Result<Record, String> {
    let body = chunk.strip_suffix(b"\n").unwrap_or(chunk);
    let text = std::str::from_utf8(body).map_err(|_| "not UTF-8".to_owned())?;
    let Some((sum, json)) = text.split_once(' ') else {
        return Err("no checksum".into());
    };
    if checksum(json.as_bytes()) != sum {
        return Err("checksum mismatch".into());
    }
    serde_json::from_str(json).map_err(|e| format!("invalid record: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> Record {
        Record {
            op: Op::Learn,
            text: text.into(),
            labels: [("spam".to_owned(), true)].into(),
            resolved: BTreeMap::new(),
        }
    }

    #[test]
    fn records_survive_reopening_and_a_torn_tail_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (mut j, old) = Journal::open(dir.path(), 0).unwrap();
        assert!(old.is_empty());
        j.append(&[record("a"), record("b\nwith a newline")])
            .unwrap();
        drop(j);
        // A crash in the middle of the next write.
        let mut half = Vec::new();
        line(&record("c"), &mut half);
        let path = dir.path().join(FILE);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&half[..half.len() / 2]).unwrap();
        drop(f);
        let (mut j, got) = Journal::open(dir.path(), 0).unwrap();
        let texts: Vec<&str> = got.iter().map(|(_, r)| r.text.as_str()).collect();
        assert_eq!(texts, ["a", "b\nwith a newline"]);
        j.append(&[record("d")]).unwrap();
        let (_, got) = Journal::open(dir.path(), 0).unwrap();
        assert_eq!(got.len(), 3, "the torn bytes were cut before appending");
    }

    /// Every file of a generation is the server user's alone (0600), as the service docs say:
    /// they hold comment text. And a compaction that fails leaves no part of its generation.
    #[cfg(unix)]
    #[test]
    fn generation_files_are_private_and_a_failed_compaction_leaves_none() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (journal, _) = Journal::open(d, 0).unwrap();
        drop(journal);
        write_generation(d, 1, b"model", &[record("a")], (1, 0), "sha").unwrap();
        for name in [
            "journal.log",
            "snapshot-1.model",
            "base-1.txt",
            "ledger-1.log",
            "totals-1.txt",
            "journal-1.log",
            "CURRENT",
        ] {
            let path = d.join(name);
            if name == "journal.log" {
                // Generation 0's journal was removed by the compaction; make it again.
                Journal::open(d, 0).unwrap();
            }
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{name}: {mode:o}");
        }
        // The ledger's name taken by a directory, as a full disk would fail its write.
        std::fs::create_dir(d.join("ledger-2.log")).unwrap();
        let e = write_generation(d, 2, b"model", &[record("a")], (1, 0), "sha").unwrap_err();
        assert!(e.to_string().contains("ledger-2.log"), "{e}");
        for name in [
            "snapshot-2.model",
            "base-2.txt",
            "totals-2.txt",
            "journal-2.log",
        ] {
            assert!(!d.join(name).exists(), "{name} left behind");
        }
        assert_eq!(std::fs::read_to_string(d.join("CURRENT")).unwrap(), "1\n");
    }

    /// Compaction removes every older generation's files, also those a crash left behind
    /// after `CURRENT` had switched, and nothing else.
    #[test]
    fn compaction_removes_every_older_generation() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "journal.log",
            "snapshot-2.model",
            "ledger-2.log",
            "totals-2.txt",
            "base-2.txt",
            "journal-2.log",
            "snapshot-3.model.partial",
            "notes.txt",
            "snapshot-x.model",
        ] {
            std::fs::write(d.join(name), b"old").unwrap();
        }
        write_generation(d, 4, b"model", &[record("a")], (1, 0), "sha").unwrap();
        let mut left: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                "CURRENT",
                "base-4.txt",
                "journal-4.log",
                "ledger-4.log",
                "notes.txt",
                "snapshot-4.model",
                "snapshot-x.model",
                "totals-4.txt"
            ]
        );
    }

    /// A snapshot that cannot be written (a full disk in the service audit; here a directory
    /// that is gone) names the file it was writing, never only a temporary file's name.
    #[test]
    fn a_failed_durable_write_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("gone").join("snapshot-2.model");
        let e = write_durable(&target, b"bytes").unwrap_err().to_string();
        assert!(
            e.starts_with(&format!("writing {}: ", target.display())),
            "{e}"
        );
        assert!(!e.contains(".partial"), "{e}");
    }

    #[test]
    fn damage_before_the_end_is_an_error_naming_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = Vec::new();
        line(&record("a"), &mut bytes);
        bytes.extend_from_slice(b"0000000000000000 {}\n");
        std::fs::write(dir.path().join(FILE), bytes).unwrap();
        let err = Journal::open(dir.path(), 0).unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("checksum"), "{err}");
    }
}
