//! State shared between requests: the model behind an atomic swap, and the learner thread that
//! owns the journal.
//!
//! Requests load the current [`Served`] model with one atomic read and score on it to the end,
//! whatever is published meanwhile. Feedback goes to the learner thread, which takes every
//! feedback waiting (group commit), checks forgets against the ledger of what was learned,
//! applies the batch to a private copy of the model, appends the batch to the journal with one
//! fsync, publishes the copy, and only then answers each request.
//!
//! Deriving the weights again takes about 20 ms whatever the group's size, so while
//! feedback keeps coming the learner holds it for a while and learns it in larger groups,
//! keeping to [`LEARN_SHARE`] of one core's CPU time (after a quiet spell, [`LEARN_BURST`] at once):
//! learning each group as it came took a whole core at 1,000 feedbacks a second, a core
//! scoring no longer had.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};

use arc_swap::ArcSwap;
use axum::http::StatusCode;
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

use super::error::ApiError;
use super::journal::{self, Journal, Op, Record};
use super::keys::Keys;
use super::metrics::Metrics;
use super::{Config, ServeError};
use crate::learn::Change;
use crate::{Classifier, Direction, Feedback, Scorer, ScorerBuffers, DEFAULT_MODEL};

/// The most feedback one group commit takes.
const MAX_GROUP: usize = 4096;

/// The share of one core's CPU time the learner's group commits may take while feedback keeps
/// coming ([`busy_time`]). Beside full-rate scoring a commit on the embedded model costs about
/// 30 ms of CPU plus 18 µs per feedback, so at 5% it commits about once a second at 1,000
/// feedbacks/s, and keeps up with about 1,900/s at most (a full group of [`MAX_GROUP`] every
/// 2.1 s; computed from those costs, not measured).
pub const LEARN_SHARE: f64 = 0.05;

/// The time the learner may spend on group commits at once after a quiet spell, so that a
/// moderator's few decisions are learned without waiting.
pub const LEARN_BURST: std::time::Duration = std::time::Duration::from_millis(300);

/// The learner's allowance of busy time: it grows by [`LEARN_SHARE`] of the time that passes,
/// up to [`LEARN_BURST`], and each group commit spends what it took.
#[derive(Debug)]
struct Allowance {
    /// Seconds of busy time left; below zero after a commit that took more than was left.
    left: f64,
    at: std::time::Instant,
}

impl Allowance {
    fn new() -> Allowance {
        Allowance {
            left: LEARN_BURST.as_secs_f64(),
            at: std::time::Instant::now(),
        }
    }

    fn refill(&mut self) {
        let now = std::time::Instant::now();
        let grown = self.left + (now - self.at).as_secs_f64() * LEARN_SHARE;
        self.left = grown.min(LEARN_BURST.as_secs_f64());
        self.at = now;
    }

    /// When the next group commit may start.
    fn next_commit(&mut self) -> std::time::Instant {
        self.refill();
        let wait = (-self.left).max(0.0) / LEARN_SHARE;
        self.at + std::time::Duration::from_secs_f64(wait)
    }

    fn spend(&mut self, busy: std::time::Duration) {
        self.refill();
        self.left -= busy.as_secs_f64();
    }
}

/// The CPU time this thread has used, where the system tells it; elsewhere the time since the
/// first call. While scoring keeps both cores busy a commit also waits for a core, and an
/// allowance counted in wall time gave the learner less CPU the busier the server was: at a
/// 5% share of wall time it fell behind a flood of 1,000 feedbacks/s (600 to 860/s learned).
fn busy_time() -> std::time::Duration {
    #[cfg(unix)]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        std::time::Duration::new(
            t.tv_sec.max(0) as u64,
            t.tv_nsec.clamp(0, 999_999_999) as u32,
        )
    }
    #[cfg(not(unix))]
    {
        static START: OnceLock<std::time::Instant> = OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed()
    }
}

/// The probability at which `label` is blocked rather than held for review: the
/// `--block-threshold LABEL=P` flag when given, else the model's stored block threshold (its
/// 99% out-of-fold precision point; 1.0 in models older than format 3), never below the review
/// threshold.
pub fn block_threshold(label: &str, review: f64, stored: f64, flags: &[(String, f64)]) -> f64 {
    flags
        .iter()
        .rev()
        .find(|(l, _)| l == label)
        .map_or(review.max(stored), |&(_, p)| p)
}

/// A model as served: the classifier and each label's thresholds.
pub(crate) struct Served {
    pub model: Classifier,
    /// The model's labels in name order, each with its place among the model's labels.
    pub sorted_labels: Vec<(String, usize)>,
    pub review: Vec<f64>,
    pub block: Vec<f64>,
    /// SHA-256 of the base model file.
    pub sha256: String,
    /// The base model's short hash, plus the feedback learned on top of it.
    pub version: String,
    /// Feedback learned and not forgotten since the base model.
    pub learned: u64,
    pub learned_total: u64,
    pub forgotten_total: u64,
}

fn sorted_labels(model: &Classifier) -> Vec<(String, usize)> {
    let mut labels: Vec<(String, usize)> = model.labels().iter().cloned().zip(0..).collect();
    labels.sort();
    labels
}

thread_local! {
    /// Each worker thread's scorer buffers, kept from request to request: a new scorer's
    /// buffers were allocated and cleared for every request (tens of kilobytes for the
    /// character n-grams of one comment).
    static BUFFERS: std::cell::Cell<Option<ScorerBuffers>> = const { std::cell::Cell::new(None) };
}

/// Buffers a worker keeps past a request; larger ones (from a huge comment) are dropped.
const KEPT_BUFFER_BYTES: usize = 1 << 20;

/// Runs `f` with a scorer of `model` on this worker thread's buffers.
pub(crate) fn with_scorer<R>(model: &Classifier, f: impl FnOnce(&mut Scorer<'_>) -> R) -> R {
    let mut scorer = model.scorer_with(BUFFERS.take().unwrap_or_default());
    let result = f(&mut scorer);
    let buffers = scorer.into_buffers();
    if buffers.capacity_bytes() <= KEPT_BUFFER_BYTES {
        BUFFERS.set(Some(buffers));
    }
    result
}

/// Allow, review or block.
pub(crate) fn action(served: &Served, probs: &[f64]) -> &'static str {
    let over = |t: &[f64]| probs.iter().zip(t).any(|(p, t)| p >= t);
    if over(&served.block) {
        "block"
    } else if over(&served.review) {
        "review"
    } else {
        "allow"
    }
}

/// The positions of the labels whose probability reaches their review threshold.
pub(crate) fn flags<'p>(served: &'p Served, probs: &'p [f64]) -> impl Iterator<Item = usize> + 'p {
    probs
        .iter()
        .zip(&served.review)
        .enumerate()
        .filter(|(_, (p, t))| p >= t)
        .map(|(l, _)| l)
}

/// The labels whose probability reaches their review threshold.
pub(crate) fn flagged<'a>(served: &'a Served, probs: &[f64]) -> Vec<&'a str> {
    let labels = served.model.labels();
    flags(served, probs).map(|l| labels[l].as_str()).collect()
}

/// What a learn or forget request gets back.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub learned: u64,
    pub version: String,
    pub sha256: String,
}

type Reply<T> = oneshot::Sender<Result<T, ApiError>>;

enum Job {
    Feedback(Record, Reply<Outcome>),
    Reload(Reply<()>),
    Snapshot(Reply<u64>),
}

/// Everything the handlers share.
pub(crate) struct Shared {
    pub current: ArcSwap<Served>,
    /// Swapped whole at a reload, as the model is.
    pub keys: ArcSwap<Keys>,
    keys_file: Option<PathBuf>,
    pub metrics: Metrics,
    /// `--attribute NAME=label`, Perspective attribute names in upper case.
    pub attributes: Vec<(String, String)>,
    learner: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    address: OnceLock<SocketAddr>,
    draining: AtomicBool,
    base: BaseModel,
    /// The journal directory's lock, held while the server runs.
    _lock: Option<std::fs::File>,
    /// Set by the learner when a journal write fails: what is on disk is then unknown, so no
    /// more feedback is taken until a restart replays the journal (and `/readyz` says why).
    journal_failed: OnceLock<String>,
}

/// Where the base model comes from and the thresholds set by flags, for loading and reloading.
struct BaseModel {
    path: Option<PathBuf>,
    review: Vec<(String, f64)>,
    block: Vec<(String, f64)>,
}

impl BaseModel {
    /// Loads the base model with its thresholds, and the SHA-256 of its file.
    fn load(&self) -> Result<(Classifier, Vec<f64>, Vec<f64>, String), ServeError> {
        let (model, bytes) = match &self.path {
            Some(path) => Classifier::load_with_bytes(path)?,
            None => (Classifier::embedded()?, DEFAULT_MODEL.to_vec()),
        };
        let sha256 = hex(&Sha256::digest(&bytes));
        let labels = model.labels();
        for (flag, set) in [
            ("--threshold", &self.review),
            ("--block-threshold", &self.block),
        ] {
            if let Some((label, _)) = set.iter().find(|(l, _)| !labels.contains(l)) {
                return Err(ServeError::Config(format!(
                    "{flag} {label}: the model has no label {label:?}; its labels are: {}",
                    labels.join(", ")
                )));
            }
        }
        let review: Vec<f64> = labels
            .iter()
            .zip(model.thresholds())
            .map(|(l, &t)| {
                self.review
                    .iter()
                    .rev()
                    .find(|(f, _)| f == l)
                    .map_or(t, |&(_, p)| p)
            })
            .collect();
        let block = labels
            .iter()
            .zip(&review)
            .zip(model.block_thresholds())
            .map(|((l, &r), &stored)| block_threshold(l, r, stored, &self.block))
            .collect();
        Ok((model, review, block, sha256))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What was learned and not forgotten, by comment and verdicts: forgets are checked against it
/// and a reload learns it again on the new base model.
#[derive(Default)]
struct Ledger {
    entries: HashMap<[u8; 32], (Record, u64)>,
    learned_total: u64,
    forgotten_total: u64,
}

impl Ledger {
    fn key(record: &Record) -> [u8; 32] {
        let mut h = Sha256::new();
        for (label, v) in &record.labels {
            h.update(label.as_bytes());
            h.update([0, u8::from(*v)]);
        }
        h.update([0xff]);
        h.update(record.text.as_bytes());
        h.finalize().into()
    }

    fn count(&self, key: &[u8; 32]) -> u64 {
        self.entries.get(key).map_or(0, |e| e.1)
    }

    fn apply(&mut self, key: [u8; 32], record: &Record) {
        match record.op {
            Op::Learn => {
                self.learned_total += 1;
                let entry = self.entries.entry(key).or_insert_with(|| {
                    let mut r = record.clone();
                    r.op = Op::Learn;
                    (r, 0)
                });
                entry.1 += 1;
            }
            Op::Forget => {
                self.forgotten_total += 1;
                if let Some(entry) = self.entries.get_mut(&key) {
                    entry.1 -= 1;
                    if entry.1 == 0 {
                        self.entries.remove(&key);
                    }
                }
            }
        }
    }

    fn learned(&self) -> u64 {
        self.entries.values().map(|e| e.1).sum()
    }

    /// An order-independent digest of what is learned, for the model version.
    fn digest(&self) -> u64 {
        self.entries.iter().fold(0u64, |acc, (k, (_, n))| {
            let x = u64::from_le_bytes(k[..8].try_into().expect("8 bytes"));
            acc.wrapping_add(x.wrapping_mul(*n))
        })
    }

    fn version(&self, sha256: &str) -> String {
        match self.learned() {
            0 => sha256[..12].to_owned(),
            n => format!("{}+{n}.{:016x}", &sha256[..12], self.digest()),
        }
    }
}

/// The verdicts of `record` in `model`'s label order: the resolved ones when it has them.
fn verdicts(model: &Classifier, record: &Record) -> Result<Vec<Option<bool>>, String> {
    let given = if record.resolved.is_empty() {
        &record.labels
    } else {
        &record.resolved
    };
    let labels = model.labels();
    if let Some(unknown) = given
        .keys()
        .chain(record.labels.keys())
        .find(|l| !labels.contains(l))
    {
        return Err(format!(
            "unknown label {unknown:?}; the model's labels are: {}",
            labels.join(", ")
        ));
    }
    Ok(labels.iter().map(|l| given.get(l).copied()).collect())
}

/// Per label of `model`, whether `record`'s client gave its verdict: only those step the NB-LR
/// head's learned weights (the filled ones count, see `Classifier::apply_partial_feedback`).
fn given(model: &Classifier, record: &Record) -> Vec<bool> {
    model
        .labels()
        .iter()
        .map(|l| record.labels.contains_key(l))
        .collect()
}

fn direction(op: Op) -> Direction {
    match op {
        Op::Learn => Direction::Learn,
        Op::Forget => Direction::Forget,
    }
}

impl Shared {
    /// Loads the model, replays the journal and starts the learner.
    pub fn open(config: &Config) -> Result<Arc<Shared>, ServeError> {
        let base = BaseModel {
            path: config.model.clone(),
            review: config.review_thresholds.clone(),
            block: config.block_thresholds.clone(),
        };
        let (model, review, block, sha256) = base.load()?;
        for (name, label) in &config.attributes {
            if !model.labels().contains(label) {
                return Err(ServeError::Config(format!(
                    "--attribute {name}={label}: the model has no label {label:?}; its labels \
                     are: {}",
                    model.labels().join(", ")
                )));
            }
        }
        let mut ledger = Ledger::default();
        let mut generation = 0;
        let mut lock = None;
        let (journal, model) = match &config.journal {
            None => (None, model),
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    ServeError::Io(
                        format!("creating the journal directory {}", dir.display()),
                        e,
                    )
                })?;
                lock = Some(journal::lock(dir)?);
                generation = journal::current_generation(dir)?;
                // A snapshot holds the base model and the feedback of its ledger.
                let model = if generation > 0 {
                    let snapshot = journal::snapshot_file(dir, generation);
                    let records = journal::read_ledger(dir, generation)?;
                    for (_, record) in &records {
                        ledger.apply(Ledger::key(record), record);
                    }
                    (ledger.learned_total, ledger.forgotten_total) =
                        journal::read_totals(dir, generation)?.unwrap_or((ledger.learned(), 0));
                    // Learned again from the ledger, rather than loaded, when the snapshot's
                    // model cannot stand for the base model and its ledger.
                    let loaded = match journal::read_base(dir, generation)? {
                        // Built on another model than --model (changed since, or replaced and
                        // reloaded): the snapshot served its old base under the new model's
                        // name. Learn the ledger on --model, as a reload does.
                        Some(base) if base != sha256 => {
                            tracing::warn!(
                                snapshot_base = %base,
                                model = %sha256,
                                "the snapshot was built on another model: learning its \
                                 feedback on the base model (--model, or the embedded one) \
                                 instead"
                            );
                            None
                        }
                        _ => {
                            let snapshot = Classifier::load(&snapshot)?;
                            if snapshot.format_version() < LEARNING_SINCE && !records.is_empty() {
                                // Its learned weights are an older build's (summed steps,
                                // filled verdicts stepped too), which this build's forgets do
                                // not take out: an audit's forgets left scores 0.116 off.
                                tracing::warn!(
                                    format = snapshot.format_version(),
                                    "the snapshot was written by an older build, which learned \
                                     differently: learning its feedback on the base model again"
                                );
                                None
                            } else {
                                Some(snapshot)
                            }
                        }
                    };
                    match loaded {
                        Some(snapshot) => snapshot,
                        None => {
                            let file = journal::ledger_file(dir, generation);
                            replay(model, &records, &mut Ledger::default(), &file)?
                        }
                    }
                } else {
                    model
                };
                let (journal, records) = Journal::open(dir, generation)?;
                let file = journal::journal_file(dir, generation);
                let model = replay(model, &records, &mut ledger, &file)?;
                (Some(journal), model)
            }
        };
        let metrics = Metrics::new();
        let served = Served {
            sorted_labels: sorted_labels(&model),
            model,
            review,
            block,
            version: ledger.version(&sha256),
            sha256,
            learned: ledger.learned(),
            learned_total: ledger.learned_total,
            forgotten_total: ledger.forgotten_total,
        };
        metrics.model(&served.version, &served.sha256, served.learned);
        if served.learned > 0 {
            tracing::info!(feedback = served.learned, "replayed the journal");
        }
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared {
            current: ArcSwap::from_pointee(served),
            keys: ArcSwap::from_pointee(config.keys.clone()),
            keys_file: config.keys_file.clone(),
            metrics,
            attributes: config
                .attributes
                .iter()
                .map(|(a, l)| (a.to_ascii_uppercase(), l.clone()))
                .collect(),
            learner: Mutex::new(Some(tx)),
            thread: Mutex::new(None),
            address: OnceLock::new(),
            draining: AtomicBool::new(false),
            base,
            _lock: lock,
            journal_failed: OnceLock::new(),
        });
        let mut learner = Learner {
            shared: Arc::clone(&shared),
            journal,
            dir: config.journal.clone(),
            generation,
            since_snapshot: 0,
            every: config.snapshot_every,
            ledger,
        };
        let handle = std::thread::Builder::new()
            .name("learner".into())
            .spawn(move || learner.run(rx))
            .map_err(|e| ServeError::Io("starting the learner thread".into(), e))?;
        *shared.thread.lock().expect("not poisoned") = Some(handle);
        Ok(shared)
    }

    pub fn set_address(&self, addr: SocketAddr) {
        let _ = self.address.set(addr);
    }

    /// The address the server listens on.
    pub fn address(&self) -> Option<SocketAddr> {
        self.address.get().copied()
    }

    pub fn set_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Why the journal stopped taking feedback (a failed write: the server answers 503 to
    /// feedback until a restart), if it did.
    pub fn journal_failure(&self) -> Option<&str> {
        self.journal_failed.get().map(String::as_str)
    }

    fn send(&self, job: Job) -> Result<(), ApiError> {
        let unavailable = || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
        let guard = self.learner.lock().map_err(|_| unavailable())?;
        guard
            .as_ref()
            .ok_or_else(unavailable)?
            .send(job)
            .map_err(|_| unavailable())
    }

    /// Learns or forgets `record`; answers once it is journaled and published.
    pub async fn submit(&self, record: Record) -> Result<Outcome, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Feedback(record, tx))?;
        rx.await
            .map_err(|_| ApiError::internal("the learner stopped"))?
    }

    /// Loads the base model file again and learns the ledger on it (waits for the learner).
    pub async fn reload_async(&self) -> Result<(), ApiError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Reload(tx))?;
        rx.await
            .map_err(|_| ApiError::internal("the learner stopped"))?
    }

    /// Compacts the journal into a snapshot; answers the new generation.
    pub async fn snapshot(&self) -> Result<u64, ApiError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Snapshot(tx))?;
        rx.await
            .map_err(|_| ApiError::internal("the learner stopped"))?
    }

    /// [`reload_async`](Self::reload_async) from a blocking thread.
    pub fn reload(&self) -> Result<(), ApiError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Reload(tx))?;
        rx.blocking_recv()
            .map_err(|_| ApiError::internal("the learner stopped"))?
    }

    /// Stops the learner after the feedback already sent, and waits for it.
    pub fn stop_learning(&self) {
        if let Ok(mut guard) = self.learner.lock() {
            guard.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut g| g.take());
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

/// Applies journaled records to the base model, in one batch.
fn replay(
    model: Classifier,
    records: &[(usize, Record)],
    ledger: &mut Ledger,
    file: &std::path::Path,
) -> Result<Classifier, ServeError> {
    let bad = |line: usize, message: String| ServeError::Journal {
        file: file.display().to_string(),
        line,
        message,
    };
    let mut feedback = Vec::with_capacity(records.len());
    for (line, record) in records {
        let labels = verdicts(&model, record).map_err(|m| bad(*line, m))?;
        let key = Ledger::key(record);
        if record.op == Op::Forget && ledger.count(&key) == 0 {
            return Err(bad(
                *line,
                "forgets a comment that was never learned".into(),
            ));
        }
        ledger.apply(key, record);
        feedback.push((
            direction(record.op),
            Feedback {
                text: record.text.clone(),
                labels,
            },
            given(&model, record),
        ));
    }
    let changes: Vec<Change<'_>> = feedback
        .iter()
        .map(|(d, f, g)| (*d, f, Some(g.as_slice())))
        .collect();
    Ok(model.with_given_changes(&changes, |_| {})?)
}

/// The learner thread's state.
struct Learner {
    shared: Arc<Shared>,
    journal: Option<Journal>,
    /// `--journal DIR`, its current generation, and feedback since the last snapshot.
    dir: Option<PathBuf>,
    generation: u64,
    since_snapshot: u64,
    /// Compact on this interval when there was feedback.
    every: Option<std::time::Duration>,
    ledger: Ledger,
}

/// The first model format whose learned weights are learned as this build learns them (means
/// of the given verdicts' steps): a snapshot older than that is learned again from its ledger.
const LEARNING_SINCE: u32 = 5;

/// The learner thread's nice value. Under contention the kernel then runs the threads that
/// answer requests first, and a group commit's tens of milliseconds of CPU time go in the gaps
/// between them. Reniced by hand during paced scoring (about 27,000 requests/s beside 1,100 to
/// 1,600 feedbacks/s), scoring kept 93 to 104% of its rate at nice 10 or 15, against 91 to 96%
/// at 0; in `scripts/load_test.sh`'s paced rounds at 10 (runs L to O), 91 to 102%. The p99
/// beside feedback (6 to 11 ms, against 3 alone) did not move with it. At 10 the learner still
/// gets more than its [`LEARN_SHARE`] of a core with both cores busy (weight 110 against 1,024
/// for each of the other threads running).
const LEARNER_NICE: i32 = 10;

/// Lowers the calling thread's scheduling priority to [`LEARNER_NICE`] where the system allows
/// one thread's alone (Linux: `setpriority` on a thread id).
fn lower_priority() {
    #[cfg(target_os = "linux")]
    if let Err(e) =
        rustix::process::setpriority_process(Some(rustix::thread::gettid()), LEARNER_NICE)
    {
        tracing::debug!("the learner keeps its priority: {e}");
    }
}

impl Learner {
    fn run(&mut self, rx: mpsc::Receiver<Job>) {
        lower_priority();
        let mut last_snapshot = std::time::Instant::now();
        let mut allowance = Allowance::new();
        loop {
            let job = match self.every {
                Some(every) => {
                    match rx.recv_timeout(every.saturating_sub(last_snapshot.elapsed())) {
                        Ok(job) => Some(job),
                        Err(mpsc::RecvTimeoutError::Timeout) => None,
                        Err(mpsc::RecvTimeoutError::Disconnected) => return,
                    }
                }
                None => match rx.recv() {
                    Ok(job) => Some(job),
                    Err(_) => return,
                },
            };
            if self
                .every
                .is_some_and(|every| last_snapshot.elapsed() >= every)
            {
                last_snapshot = std::time::Instant::now();
                if self.since_snapshot > 0 {
                    // A failure is logged where it happens, in `snapshot`.
                    let _ = self.snapshot();
                }
            }
            let Some(job) = job else { continue };
            let mut batch = Vec::new();
            let mut other = None;
            match job {
                Job::Feedback(r, reply) => batch.push((r, reply)),
                job => other = Some(job),
            }
            // Feedback waiting now, and while over the allowance, what comes until it allows a
            // commit (or something else is asked, or the group is full). A deadline already
            // passed still takes what is waiting.
            let until = allowance.next_commit();
            let mut stopped = false;
            while other.is_none() && batch.len() < MAX_GROUP {
                let wait = until.saturating_duration_since(std::time::Instant::now());
                match rx.recv_timeout(wait) {
                    Ok(Job::Feedback(r, reply)) => batch.push((r, reply)),
                    Ok(job) => other = Some(job),
                    Err(mpsc::RecvTimeoutError::Timeout) => break,
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        stopped = true;
                        break;
                    }
                }
            }
            if !batch.is_empty() {
                let (started, size) = (busy_time(), batch.len());
                self.commit(batch);
                let took = busy_time().saturating_sub(started);
                allowance.spend(took);
                tracing::debug!(
                    feedback = size,
                    ms = took.as_millis() as u64,
                    "group commit"
                );
            }
            if stopped {
                return;
            }
            match other {
                Some(Job::Reload(reply)) => {
                    let _ = reply.send(self.reload());
                }
                Some(Job::Snapshot(reply)) => {
                    let _ = reply.send(self.snapshot());
                }
                _ => {}
            }
        }
    }

    /// Writes the current model and ledger as a new generation and starts its journal.
    fn snapshot(&mut self) -> Result<u64, ApiError> {
        let Some(dir) = self.dir.clone() else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "no --journal directory: there is nothing to compact",
            ));
        };
        if let Some(why) = self.shared.journal_failure() {
            return Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why));
        }
        let current = self.shared.current.load_full();
        let mut ledger = Vec::new();
        for (record, n) in self.ledger.entries.values() {
            for _ in 0..*n {
                ledger.push(record.clone());
            }
        }
        let g = self.generation + 1;
        match journal::write_generation(
            &dir,
            g,
            &current.model.to_bytes(),
            &ledger,
            (self.ledger.learned_total, self.ledger.forgotten_total),
            &current.sha256,
        ) {
            Ok(j) => {
                self.journal = Some(j);
                self.generation = g;
                self.since_snapshot = 0;
                tracing::info!(generation = g, "compacted the journal into a snapshot");
                Ok(g)
            }
            Err(e) => {
                let why = format!("compaction failed ({e}); the previous generation stays in use");
                // Logged here, for the request's compactions as for the periodic ones.
                tracing::error!("{why}");
                Err(ApiError::internal(why))
            }
        }
    }

    fn commit(&mut self, batch: Vec<(Record, Reply<Outcome>)>) {
        if let Some(why) = self.shared.journal_failure() {
            let err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why);
            for (_, reply) in batch {
                let _ = reply.send(Err(err.clone()));
            }
            return;
        }
        let current = self.shared.current.load_full();
        let mut pending: HashMap<[u8; 32], i64> = HashMap::new();
        // The verdicts learned for a comment this batch, before the ledger has them.
        let mut pending_resolved: HashMap<[u8; 32], BTreeMap<String, bool>> = HashMap::new();
        let mut accepted = Vec::with_capacity(batch.len());
        for (mut record, reply) in batch {
            let key = Ledger::key(&record);
            // Learned before: the same verdicts again, so forgetting stays exact.
            let known = pending_resolved.get(&key).cloned().or_else(|| {
                self.ledger
                    .entries
                    .get(&key)
                    .map(|(r, _)| r.resolved.clone())
            });
            record.resolved = match known {
                Some(resolved) => resolved,
                None => {
                    let mut labels = match verdicts(&current.model, &record) {
                        Ok(v) => v,
                        Err(message) => {
                            let _ = reply.send(Err(ApiError::unprocessable(message)));
                            continue;
                        }
                    };
                    current.model.fill_verdicts(&record.text, &mut labels);
                    current
                        .model
                        .labels()
                        .iter()
                        .cloned()
                        .zip(labels.into_iter().map(|v| v.unwrap_or(false)))
                        .collect()
                }
            };
            let labels = match verdicts(&current.model, &record) {
                Ok(v) => v,
                Err(message) => {
                    let _ = reply.send(Err(ApiError::unprocessable(message)));
                    continue;
                }
            };
            let delta = pending.entry(key).or_default();
            let have = self.ledger.count(&key) as i64 + *delta;
            if record.op == Op::Forget && have <= 0 {
                let _ = reply.send(Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "this comment was never learned with these labels (or was forgotten \
                     already): nothing to forget",
                )));
                continue;
            }
            *delta += if record.op == Op::Learn { 1 } else { -1 };
            pending_resolved.insert(key, record.resolved.clone());
            let fb = Feedback {
                text: record.text.clone(),
                labels,
            };
            let given = given(&current.model, &record);
            accepted.push((key, record, (fb, given), reply));
        }
        if accepted.is_empty() {
            return;
        }
        let changes: Vec<Change<'_>> = accepted
            .iter()
            .map(|(_, r, (f, g), _)| (direction(r.op), f, Some(g.as_slice())))
            .collect();
        let model = match current.model.with_given_changes(&changes, |_| {}) {
            Ok(m) => m,
            Err(e) => {
                let err = ApiError::internal(format!("learning failed: {e}"));
                for (_, _, _, reply) in accepted {
                    let _ = reply.send(Err(err.clone()));
                }
                return;
            }
        };
        if let Some(journal) = &mut self.journal {
            let records: Vec<Record> = accepted.iter().map(|(_, r, _, _)| r.clone()).collect();
            if let Err(e) = journal.append(&records) {
                let why = format!("the journal could not be written ({e}); restart the server");
                tracing::error!("{why}");
                let _ = self.shared.journal_failed.set(why.clone());
                let err = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why);
                for (_, _, _, reply) in accepted {
                    let _ = reply.send(Err(err.clone()));
                }
                return;
            }
        }
        self.since_snapshot += accepted.len() as u64;
        let (mut learns, mut forgets) = (0, 0);
        for (key, record, _, _) in &accepted {
            self.ledger.apply(*key, record);
            match record.op {
                Op::Learn => learns += 1,
                Op::Forget => forgets += 1,
            }
        }
        let served = Served {
            sorted_labels: sorted_labels(&model),
            model,
            review: current.review.clone(),
            block: current.block.clone(),
            sha256: current.sha256.clone(),
            version: self.ledger.version(&current.sha256),
            learned: self.ledger.learned(),
            learned_total: self.ledger.learned_total,
            forgotten_total: self.ledger.forgotten_total,
        };
        let outcome = Outcome {
            learned: served.learned,
            version: served.version.clone(),
            sha256: served.sha256.clone(),
        };
        let metrics = &self.shared.metrics;
        metrics.feedback("learn", learns);
        metrics.feedback("forget", forgets);
        metrics.model(&served.version, &served.sha256, served.learned);
        self.shared.current.store(Arc::new(served));
        for (_, _, _, reply) in accepted {
            let _ = reply.send(Ok(outcome.clone()));
        }
    }

    /// Loads the base model file again, learns the ledger on it and publishes it. A refusal is
    /// 409 FAILED_PRECONDITION: the request was fine, the server's files are not (422
    /// INVALID_ARGUMENT told the caller its request was at fault).
    fn reload(&mut self) -> Result<(), ApiError> {
        let refused =
            |why: String| ApiError::new(StatusCode::CONFLICT, format!("reload refused: {why}"));
        // The keys file first: a reload that fails changes nothing, keys included. (Read at
        // start only, a key removed from the file went on working until a restart.)
        let keys = match &self.shared.keys_file {
            Some(path) => Some(Keys::load(path).map_err(|e| refused(e.to_string()))?),
            None => None,
        };
        let (model, review, block, sha256) = self
            .shared
            .base
            .load()
            .map_err(|e| refused(e.to_string()))?;
        let mut feedback = Vec::new();
        for (record, n) in self.ledger.entries.values() {
            let labels = verdicts(&model, record).map_err(|m| refused(format!("feedback: {m}")))?;
            let given = given(&model, record);
            for _ in 0..*n {
                let fb = Feedback {
                    text: record.text.clone(),
                    labels: labels.clone(),
                };
                feedback.push((fb, given.clone()));
            }
        }
        let changes: Vec<Change<'_>> = feedback
            .iter()
            .map(|(f, g)| (Direction::Learn, f, Some(g.as_slice())))
            .collect();
        let model = model
            .with_given_changes(&changes, |_| {})
            .map_err(|e| refused(e.to_string()))?;
        let served = Served {
            sorted_labels: sorted_labels(&model),
            model,
            review,
            block,
            version: self.ledger.version(&sha256),
            sha256,
            learned: self.ledger.learned(),
            learned_total: self.ledger.learned_total,
            forgotten_total: self.ledger.forgotten_total,
        };
        self.shared
            .metrics
            .model(&served.version, &served.sha256, served.learned);
        self.shared.current.store(Arc::new(served));
        if let Some(keys) = keys {
            self.shared.keys.store(Arc::new(keys));
        }
        Ok(())
    }
}

/// Verdicts by label name, from a JSON object or form fields.
pub(crate) type Verdicts = BTreeMap<String, bool>;

/// Reads a JSON object of verdicts, refusing a label given twice: `{"spam": true, "spam":
/// false}` was learned as the last, silently.
pub(crate) fn unique_verdicts<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Verdicts, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Verdicts;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of label names to true or false")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Verdicts, A::Error> {
            let mut verdicts = Verdicts::new();
            while let Some((label, verdict)) = map.next_entry::<String, bool>()? {
                if verdicts.insert(label.clone(), verdict).is_some() {
                    return Err(serde::de::Error::custom(format!(
                        "label {label:?} is given twice"
                    )));
                }
            }
            Ok(verdicts)
        }
    }
    d.deserialize_map(Visit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_threshold_takes_the_flag_else_the_model_s_never_below_review() {
        let flags = vec![("spam".to_owned(), 0.9)];
        assert_eq!(block_threshold("spam", 0.5, 0.97, &flags), 0.9);
        assert_eq!(block_threshold("toxicity", 0.5, 0.97, &flags), 0.97);
        assert_eq!(block_threshold("toxicity", 0.98, 0.97, &flags), 0.98);
    }

    /// After a quiet spell a commit may start at once; past the burst, the learner waits until
    /// its share of the time passed pays for what it overspent.
    #[test]
    fn the_allowance_lets_a_burst_through_then_holds_commits_to_the_share() {
        let mut allowance = Allowance::new();
        let start = std::time::Instant::now();
        assert!(allowance.next_commit() <= std::time::Instant::now());
        allowance.spend(LEARN_BURST / 2);
        assert!(allowance.next_commit() <= std::time::Instant::now());
        // 100 ms more than the burst: 100 ms / share to wait, less what passed meanwhile.
        let over = std::time::Duration::from_millis(100);
        allowance.spend(LEARN_BURST / 2 + over);
        let wait = allowance.next_commit() - start;
        let expected = over.as_secs_f64() / LEARN_SHARE;
        let passed = start.elapsed().as_secs_f64();
        assert!(
            wait.as_secs_f64() <= expected + passed && wait.as_secs_f64() > expected - 0.5,
            "waits {wait:?}, expected about {expected} s"
        );
    }

    #[test]
    fn the_version_depends_on_what_was_learned_not_its_order() {
        let rec = |t: &str| Record {
            op: Op::Learn,
            text: t.into(),
            labels: [("spam".to_owned(), true)].into(),
            resolved: BTreeMap::new(),
        };
        let sha = "0123456789abcdef0123";
        let (mut a, mut b) = (Ledger::default(), Ledger::default());
        for t in ["x", "y"] {
            a.apply(Ledger::key(&rec(t)), &rec(t));
        }
        for t in ["y", "x"] {
            b.apply(Ledger::key(&rec(t)), &rec(t));
        }
        assert_eq!(a.version(sha), b.version(sha));
        assert!(a.version(sha).starts_with("0123456789ab+2."));
        let mut forget = rec("x");
        forget.op = Op::Forget;
        a.apply(Ledger::key(&rec("x")), &forget);
        assert_ne!(a.version(sha), b.version(sha));
        assert_eq!(Ledger::default().version(sha), "0123456789ab");
    }
}
