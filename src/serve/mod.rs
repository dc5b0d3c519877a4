//! `commentguard serve`: an HTTP moderation service over a [`Classifier`](crate::Classifier).
//!
//! Three API surfaces share one model: the native JSON API (`native.rs`), a Perspective-compatible
//! `comments:analyze` (`perspective.rs`) and an Akismet-compatible form API (`akismet.rs`). The
//! model sits behind an atomic swap (`state.rs`): every request scores on the model it started
//! with, and feedback is learned by a single learner thread that journals a batch of feedback
//! (one fsync), applies it to a private copy and publishes the copy before answering.

mod akismet;
mod error;
mod journal;
mod keys;
mod metrics;
mod native;
mod perspective;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

pub use error::ServeError;
pub use keys::{generate_key_file, Keys, Role};
pub use state::block_threshold;

/// Everything `serve` needs, validated by the caller's flag parsing.
#[derive(Debug, Clone)]
pub struct Config {
    /// Model file, or `None` for the embedded default model.
    pub model: Option<PathBuf>,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    pub listen: SocketAddr,
    /// The keys and their roles.
    pub keys: Keys,
    /// The file the keys came from, read again at each reload (`POST /v1/admin/reload`,
    /// SIGHUP) so that a key can be revoked without a restart; `None` keeps `keys`.
    pub keys_file: Option<PathBuf>,
    /// Directory of the feedback journal; `None` keeps feedback in memory only.
    pub journal: Option<PathBuf>,
    /// Review thresholds overriding the model's, by label.
    pub review_thresholds: Vec<(String, f64)>,
    /// Block thresholds, by label (see [`block_threshold`]).
    pub block_thresholds: Vec<(String, f64)>,
    /// Perspective attribute names mapped to model labels, e.g. `("TOXICITY", "toxic")`.
    pub attributes: Vec<(String, String)>,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Longest a request may take before a 408.
    pub timeout: Duration,
    /// Requests handled at once over all routes; more are refused with 429.
    pub max_concurrent: usize,
    /// Compact the journal into a snapshot on this interval (when there was feedback).
    pub snapshot_every: Option<Duration>,
    /// After the stop signal, how long to go on serving with `/readyz` answering 503, so that
    /// a load balancer takes the server out before it stops accepting.
    pub shutdown_delay: Duration,
}

impl Config {
    /// A configuration with the default limits.
    pub fn new(listen: SocketAddr, keys: Keys) -> Config {
        Config {
            model: None,
            listen,
            keys,
            keys_file: None,
            journal: None,
            review_thresholds: Vec::new(),
            block_thresholds: Vec::new(),
            attributes: Vec::new(),
            max_body: 4 << 20,
            timeout: Duration::from_secs(30),
            max_concurrent: 1024,
            snapshot_every: None,
            shutdown_delay: Duration::ZERO,
        }
    }
}

/// The most comments one request may score, and the longest comment (as Perspective).
pub const MAX_BATCH: usize = 1000;
/// The longest comment in bytes, as Perspective's limit.
pub const MAX_COMMENT_BYTES: usize = 20_480;

/// Has glibc's allocator keep the memory a group commit frees for the next one (a no-op on
/// other C libraries). [`run`] calls it; a program that learns feedback at a high rate may too.
///
/// Each group commit builds a new model (tens of megabytes: counts, weights, the scoring table)
/// while the old one is freed. With glibc's defaults the largest of these buffers are mapped
/// afresh and unmapped every time, and the rest go back to the kernel as the heap shrinks, so
/// every commit faulted its memory in again, page by page: half its time (benches/learn.rs,
/// 39 ms against 17 ms). Buffers below 32 MiB now come from the heap, and the heap keeps up to
/// 512 MiB of free memory rather than returning it: peak RSS under a flood of feedback went
/// from 269 MB to 302 MB (docs/service.md).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[expect(unsafe_code, reason = "glibc's mallopt, a C function")]
    // SAFETY: mallopt only sets the allocator's parameters, from any thread at any time; it
    // returns 0 for a value it does not take, which leaves glibc's default in place.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 512 << 20);
    }
}

/// Loads the model, replays the journal, binds, prints `listening on ADDR` on stdout and serves
/// until SIGTERM or Ctrl-C, then drains the requests in flight and returns.
pub fn run(config: Config) -> Result<(), ServeError> {
    tune_allocator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServeError::Io("starting the runtime".into(), e))?;
    runtime.block_on(serve(config))
}

async fn serve(config: Config) -> Result<(), ServeError> {
    let shared = Arc::new(state::Shared::open(&config)?);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServeError::Io(format!("listening on {}", config.listen), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Io("reading the bound address".into(), e))?;
    shared.set_address(addr);
    // Tests and scripts read this line to find the port. Written without println!, which
    // panics when stdout is closed: a server started with stdout closed serves all the same.
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {addr}").and_then(|()| out.flush());
    }
    tracing::info!(%addr, "serving");
    let app = router(Arc::clone(&shared), &config);
    accept(listener, app, &config, Arc::clone(&shared)).await;
    shared.stop_learning();
    tracing::info!("stopped");
    Ok(())
}

/// Serves connections until SIGTERM or Ctrl-C, then stops accepting and lets the requests in
/// flight finish, for at most `--timeout`.
///
/// A connection must send a whole request head within `--timeout` of the server's waiting for
/// one (a new connection, or a kept-alive one after an answer), or it is closed: without that, a
/// client that sent half a header kept the server from ever stopping, and enough silent ones
/// used up its file descriptors. Feedback is acknowledged only once it is durable, so a
/// connection cut at the drain deadline loses nothing acknowledged.
async fn accept(listener: TcpListener, app: Router, config: &Config, shared: Arc<state::Shared>) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;

    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut stop = std::pin::pin!(shutdown(shared, config.shutdown_delay));
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, most often: wait for some to close rather than
                    // spin.
                    tracing::error!("accept error: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        // Answers are written whole; waiting to coalesce them only adds latency.
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = hyper::service::service_fn(move |request| app.clone().oneshot(request));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(config.timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after the shutdown signal were closed",
            config.timeout.as_secs()
        );
    }
}

/// Waits for a stop signal, then `/readyz` answers 503 while the server goes on serving for
/// `delay` (a second stop signal cuts it short).
async fn shutdown(shared: Arc<state::Shared>, delay: Duration) {
    stop_signal(&shared).await;
    shared.set_draining();
    if !delay.is_zero() {
        tracing::info!(
            seconds = delay.as_secs_f64(),
            "not ready; serving on until the delay ends"
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop_signal(&shared) => {}
        }
    }
    tracing::info!("draining");
}

/// Waits for SIGTERM or Ctrl-C; reloads the model on SIGHUP meanwhile.
async fn stop_signal(shared: &Arc<state::Shared>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        loop {
            tokio::select! {
                _ = term.recv() => return,
                _ = tokio::signal::ctrl_c() => return,
                _ = hup.recv() => {
                    let shared = Arc::clone(shared);
                    let result = tokio::task::spawn_blocking(move || shared.reload()).await;
                    match result {
                        Ok(Ok(())) => tracing::info!("reloaded the model on SIGHUP"),
                        Ok(Err(e)) => tracing::error!("reload on SIGHUP failed: {}", e.message),
                        Err(e) => tracing::error!("reload on SIGHUP failed: {e}"),
                    }
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// All routes, with the limits and the request metrics around them.
fn router(shared: Arc<state::Shared>, config: &Config) -> Router {
    use axum::error_handling::HandleErrorLayer;
    use tower::ServiceBuilder;

    let api = Router::new()
        .merge(native::routes())
        .merge(perspective::routes())
        .merge(akismet::routes())
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed);
    // Router::layer wraps each route in its own copy of a layer, so the concurrency limit takes
    // one semaphore shared by every copy: the limit holds for the whole server, not per route.
    // The last layer added is the outermost, so every refusal below is counted by `track`.
    api.layer(axum::extract::DefaultBodyLimit::max(config.max_body))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            config.timeout,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(HandleErrorLayer::new(error::overloaded))
                .load_shed()
                .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                    config.max_concurrent,
                )),
        )
        .merge(native::probes())
        .layer(axum::middleware::from_fn_with_state(
            config.max_body,
            error::json_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            metrics::track,
        ))
        .with_state(shared)
}
