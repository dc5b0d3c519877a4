//! Writing output files: the one rule every command that writes follows.
//!
//! - Never onto an input: an output that is the same file as one of the inputs (compared by
//!   device and inode, so through other spellings of the path, symlinks and hard links too) is
//!   refused before anything is read.
//! - Atomic: the bytes go to a temporary file in the output's directory, which is then renamed
//!   over the output, so a reader sees the old file or the new one, never half of one.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, OutputProblem, Result};

/// Checks that `path` may be written by a command that reads `inputs` (`-` is standard
/// input): it is none of them.
pub fn check_output(path: &Path, inputs: &[&Path]) -> Result<()> {
    let name = path.display().to_string();
    let Some(out) = identity(path) else {
        // A file that does not exist yet is none of the inputs, which exist.
        return Ok(());
    };
    for input in inputs {
        if identity(input) == Some(out) {
            return Err(Error::Output {
                file: name,
                problem: OutputProblem::IsAnInput {
                    input: input.display().to_string(),
                },
            });
        }
    }
    Ok(())
}

/// Device and inode of the file at `path`, through symlinks; standard input's for `-`.
fn identity(path: &Path) -> Option<(u64, u64)> {
    let path = if path.as_os_str() == "-" {
        Path::new("/dev/stdin")
    } else {
        path
    };
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// Writes `bytes` to `path` by the rule of this module, for a command that read `inputs`.
pub fn write_output(path: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<()> {
    check_output(path, inputs)?;
    let name = path.display().to_string();
    let dir = directory_of(path);
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(|e| Error::io(&name, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(&name, e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(&name, e))?;
    tmp.persist(path).map_err(|e| Error::io(&name, e.error))?;
    Ok(())
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
