//! Helpers shared by the integration tests: run the real binary as a user would.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The commentguard binary built for this test run.
pub fn cg() -> Command {
    Command::new(env!("CARGO_BIN_EXE_commentguard"))
}

/// A temporary directory that lives as long as the value.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("writing a fixture");
    path
}

/// Runs `cmd`, checks it failed with exit code 1 and exactly one line on stderr that contains
/// every string in `expected`, and no panic. Returns that line.
pub fn fails_with(cmd: &mut Command, expected: &[&str]) -> String {
    let out = cmd.output().expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {stderr}");
    for e in expected {
        assert!(lines[0].contains(e), "{e:?} not in {:?}", lines[0]);
    }
    lines[0].to_owned()
}

/// Parses JSON Lines output.
pub fn jsonl(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8(stdout.to_vec())
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect()
}

/// The repository's root, for files like `training-data/` and `models/`.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data`, or None (with the reason printed) when it is absent.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    let dir = repo().join("../shared/data");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping {test}: {} is absent (real labeled data lives there)",
            dir.display()
        );
        None
    }
}
