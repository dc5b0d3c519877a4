//! The commentguard command-line tool: argument parsing and printing over the library.

/// Prints `commentguard: ...` on stderr. A stderr that cannot be written (`2>/dev/full`, a
/// closed pipe) loses the message but never panics, as `eprintln!` does.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::note(format_args!($($arg)*))
    };
}

mod cli;

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(()) => ExitCode::SUCCESS,
        // `commentguard score ... | head` closing the pipe early is a normal end.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            note!("{}", message(&e));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<commentguard::Error>()
                .is_some_and(commentguard::Error::is_broken_pipe)
            // `explain --json` and `cv --json` write through serde_json, which wraps the error.
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe))
    })
}

fn note(message: std::fmt::Arguments) {
    let _ = writeln!(std::io::stderr().lock(), "commentguard: {message}");
}

/// The error and its causes, `: `-separated, each once: an error whose message already ends
/// with its cause's (as `file: No such file or directory`) does not repeat it.
fn message(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.ends_with(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}
