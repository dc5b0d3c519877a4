//! Writing output files: the one rule every command that writes follows.
//!
//! - **Never onto an input.** An output that is the same file as one of the inputs (compared by
//!   device and inode, so through other spellings of the path, symlinks and hard links too) is
//!   refused, before anything is read and again just before the write.
//! - **Never over a special file.** An output that exists and is not a regular file (a FIFO, a
//!   device, a socket, a directory) is refused: a rename would replace it.
//! - **Symlinks are followed.** An output that is a symlink (or a chain of them) writes the
//!   file it points to, in that file's directory; the link stays a link.
//! - **Atomic and durable.** The bytes go to a temporary file beside the output, which is
//!   flushed to disk (`fsync`), renamed over the output, and the directory flushed in turn, so
//!   a reader or a crash sees the old file or the new one, never half of one.
//! - **Findable leftovers.** The temporary file is named `NAME.XXXXXX.partial` after the
//!   output `NAME`; a process killed while writing leaves one, which is safe to delete.
//! - **Mode.** A new file is created `0644` less the umask, as `touch` or a shell redirection
//!   would; a replaced file keeps its mode.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::error::{Error, OutputProblem, Result};

/// Symlinks followed at most, as Linux's `ELOOP` limit.
const MAX_LINKS: usize = 40;

/// Checks that `path` may be written by a command that reads `inputs` (`-` is standard
/// input), by the rule of this module, and returns the file to write: `path`, or the file its
/// symlinks lead to.
pub fn check_output(path: &Path, inputs: &[&Path]) -> Result<PathBuf> {
    let name = path.display().to_string();
    let refuse = |problem| Error::Output {
        file: name.clone(),
        problem,
    };
    let target = resolve(path).map_err(|e| Error::io(&name, e))?;
    let meta = match fs::metadata(&target) {
        Ok(meta) => meta,
        // A file that does not exist yet is none of the inputs, which exist.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(target),
        Err(e) => return Err(Error::io(&name, e)),
    };
    if !meta.is_file() {
        return Err(refuse(OutputProblem::NotARegularFile {
            kind: kind_of(&meta.file_type()),
        }));
    }
    let out = (meta.dev(), meta.ino());
    for input in inputs {
        if identity(input) == Some(out) {
            return Err(refuse(OutputProblem::IsAnInput {
                input: input.display().to_string(),
            }));
        }
    }
    Ok(target)
}

/// Checks that no file is among `inputs` twice, by device and inode (through other spellings
/// of the path, symlinks and hard links too; `-` is standard input): the same file given twice
/// would count every row twice, and `cv` would train on each row and measure on its copy.
pub fn check_distinct_inputs(inputs: &[&Path]) -> Result<()> {
    let mut seen: Vec<((u64, u64), &Path)> = Vec::new();
    for &input in inputs {
        let Some(id) = identity(input) else { continue };
        if let Some((_, first)) = seen.iter().find(|(other, _)| *other == id) {
            return Err(Error::RepeatedInput {
                first: first.display().to_string(),
                second: input.display().to_string(),
            });
        }
        seen.push((id, input));
    }
    Ok(())
}

/// Writes `bytes` to `path` by the rule of this module, for a command that read `inputs`.
pub fn write_output(path: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<()> {
    let name = path.display().to_string();
    let io_err = |e| Error::io(&name, e);
    let target = check_output(path, inputs)?;
    let dir = directory_of(&target);
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A replaced file keeps its mode; a new one gets 0644 less the umask (applied by open).
    let kept = fs::metadata(&target)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let mode = kept.unwrap_or(0o644);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{file_name}."))
        .suffix(".partial")
        .permissions(fs::Permissions::from_mode(mode))
        .tempfile_in(&dir)
        .map_err(io_err)?;
    tmp.write_all(bytes).map_err(io_err)?;
    if kept.is_some() {
        // Set outright: the umask must not narrow a mode the file already had.
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io_err)?;
    }
    tmp.as_file().sync_all().map_err(io_err)?;
    // The output may have changed while the command ran.
    check_output(path, inputs)?;
    tmp.persist(&target).map_err(|e| io_err(e.error))?;
    fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err)?;
    Ok(())
}

/// `path` with its symlinks followed (the last one may point to a file not yet there).
fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = if to.is_absolute() {
                    to
                } else {
                    directory_of(&p).join(to)
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links in a chain"
    )))
}

/// Device and inode of the file at `path`, through symlinks; standard input's for `-`.
fn identity(path: &Path) -> Option<(u64, u64)> {
    let path = if path.as_os_str() == "-" {
        Path::new("/dev/stdin")
    } else {
        path
    };
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn kind_of(t: &fs::FileType) -> &'static str {
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

/// The directory `path` is in (`.` for a bare file name).
fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_refused_and_left_alone() {
        let e = check_output(Path::new("/dev/null"), &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/dev/null: not written: it exists and is not a regular file (a character device)"
        );
    }

    #[test]
    fn a_chain_of_links_resolves_to_its_end_even_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::os::unix::fs::symlink("b", d.join("a")).unwrap();
        std::os::unix::fs::symlink("sub/c", d.join("b")).unwrap();
        fs::create_dir(d.join("sub")).unwrap();
        assert_eq!(check_output(&d.join("a"), &[]).unwrap(), d.join("sub/c"));
        write_output(&d.join("a"), b"x", &[]).unwrap();
        assert_eq!(fs::read(d.join("sub/c")).unwrap(), b"x");
        let names: Vec<_> = fs::read_dir(d.join("sub")).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn a_loop_of_links_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("b", dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("b")).unwrap();
        let e = check_output(&dir.path().join("a"), &[]).unwrap_err();
        assert!(e.to_string().contains("symbolic links"), "{e}");
    }

    #[test]
    fn a_replaced_file_keeps_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.model");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o664)).unwrap();
        write_output(&p, b"new", &[]).unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o664
        );
    }
}
