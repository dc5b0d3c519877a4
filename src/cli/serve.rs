//! `commentguard serve`: parses flags and runs the server in `commentguard::serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use commentguard::serve::{self, Config, Keys};

use super::parse_threshold;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Model file [default: the embedded default model].
    #[arg(long, value_name = "PATH")]
    model: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// Keys file (TOML, one [[key]] table per key with its roles).
    #[arg(long, value_name = "PATH", required_unless_present = "generate_key")]
    keys: Option<PathBuf>,
    /// Print a new keys file with one random key holding every role, and exit.
    #[arg(long)]
    generate_key: bool,
    /// Directory of the feedback journal (created if missing); without it feedback is lost on
    /// restart.
    #[arg(long, value_name = "DIR")]
    journal: Option<PathBuf>,
    /// Override a label's review threshold, e.g. `--threshold spam=0.8` (repeatable).
    #[arg(long, value_name = "LABEL=P", value_parser = parse_threshold)]
    threshold: Vec<(String, f64)>,
    /// A label's block threshold [default: the model's (99% out-of-fold precision), never below review] (repeatable).
    #[arg(long, value_name = "LABEL=P", value_parser = parse_threshold)]
    block_threshold: Vec<(String, f64)>,
    /// Score Perspective attribute NAME with model label LABEL, e.g. `TOXICITY=toxic`
    /// (repeatable).
    #[arg(long, value_name = "NAME=LABEL", value_parser = parse_attribute)]
    attribute: Vec<(String, String)>,
    /// Largest request body in bytes.
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES")]
    max_body: usize,
    /// Seconds a request may take before it is answered 408.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
    /// Compact the journal into a snapshot model every SECONDS when there was feedback
    /// (0: only on POST /v1/admin/snapshot).
    #[arg(long, default_value_t = 3600, value_name = "SECONDS")]
    snapshot_every: u64,
    /// Requests handled at once, over all routes; more get 429.
    #[arg(long, default_value_t = 1024, value_name = "N")]
    max_concurrent: usize,
    /// After SIGTERM, go on serving for SECONDS with /readyz answering 503, so that a load
    /// balancer stops sending requests before the server stops accepting them.
    #[arg(long, default_value_t = 0, value_name = "SECONDS")]
    shutdown_delay: u64,
}

fn parse_attribute(s: &str) -> anyhow::Result<(String, String)> {
    match s.split_once('=') {
        Some((name, label)) if !name.is_empty() && !label.is_empty() => {
            Ok((name.to_owned(), label.to_owned()))
        }
        _ => bail!("expected NAME=LABEL, e.g. TOXICITY=toxic"),
    }
}

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    if args.generate_key {
        print!("{}", serve::generate_key_file()?);
        return Ok(());
    }
    let keys_path = args.keys.context("--keys is required")?;
    let keys = Keys::load(&keys_path)?;
    if args.max_concurrent == 0 || args.timeout == 0 {
        bail!("--max-concurrent and --timeout must be at least 1");
    }
    init_logging();
    let mut config = Config::new(args.listen, keys);
    config.model = args.model;
    config.keys_file = Some(keys_path);
    config.journal = args.journal;
    super::once_per_label(&[("--threshold", &args.threshold)])?;
    super::once_per_label(&[("--block-threshold", &args.block_threshold)])?;
    config.review_thresholds = args.threshold;
    config.block_thresholds = args.block_threshold;
    config.attributes = args.attribute;
    config.max_body = args.max_body;
    config.timeout = Duration::from_secs(args.timeout);
    config.max_concurrent = args.max_concurrent;
    config.snapshot_every =
        (args.snapshot_every > 0).then(|| Duration::from_secs(args.snapshot_every));
    config.shutdown_delay = Duration::from_secs(args.shutdown_delay);
    serve::run(config)?;
    Ok(())
}

/// Logs to stderr; `RUST_LOG` filters (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colour codes only for a terminal: a log file or a journal gets plain lines. A log line
    // that cannot be written is dropped: by default tracing-subscriber reports the failure with
    // eprintln!, which panics when stderr fails too, so a full disk under the log file killed
    // the learner thread as it logged the journal's failure ("the learner stopped" for every
    // feedback after).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .log_internal_errors(false)
        .try_init();
}
