//! Prometheus metrics: requests by route and status, latency by route, comments scored, flags
//! and actions by label, feedback learned, and the model's version.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::Request;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use super::state::Shared;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Label {
    label: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Action {
    action: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Op {
    op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelInfo {
    version: String,
    sha256: String,
}

type Latency = Family<Route, Histogram, fn() -> Histogram>;

/// The server's metrics and the registry that encodes them.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RouteStatus, Counter>,
    latency: Latency,
    scored: Counter,
    flags: Family<Label, Counter>,
    actions: Family<Action, Counter>,
    feedback: Family<Op, Counter>,
    learned: Gauge,
    model: Family<ModelInfo, Gauge>,
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("commentguard");
        let requests = Family::<RouteStatus, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let latency: Latency = Family::new_with_constructor(|| {
            // 50 µs to about 1.6 s.
            Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response, by route",
            latency.clone(),
        );
        let scored = Counter::default();
        registry.register("comments_scored", "Comments scored", scored.clone());
        let flags = Family::<Label, Counter>::default();
        registry.register(
            "flags",
            "Comments reaching a label's review threshold, by label",
            flags.clone(),
        );
        let actions = Family::<Action, Counter>::default();
        registry.register(
            "actions",
            "Scored comments by action (allow, review, block)",
            actions.clone(),
        );
        let feedback = Family::<Op, Counter>::default();
        registry.register(
            "feedback",
            "Feedback applied to the model, by operation (learn, forget)",
            feedback.clone(),
        );
        let learned = Gauge::default();
        registry.register(
            "feedback_learned",
            "Feedback in the model beyond its base file",
            learned.clone(),
        );
        let model = Family::<ModelInfo, Gauge>::default();
        registry.register(
            "model_info",
            "The model being served (1 for the current one)",
            model.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            scored,
            flags,
            actions,
            feedback,
            learned,
            model,
        }
    }

    /// Counts one scored comment, its flagged labels and its action.
    pub fn scored(&self, flagged: &[&str], action: &'static str) {
        self.scored_many(1, flagged.iter().map(|&l| (l, 1)), &[(action, 1)]);
    }

    /// Counts the comments of one request at once: `n` scored, `flags` per label (those of
    /// no flag are skipped) and `actions` per action. (Counting each comment of a batch of 100
    /// took a lock and an allocation per flag.)
    pub fn scored_many<'a>(
        &self,
        n: u64,
        flags: impl Iterator<Item = (&'a str, u64)>,
        actions: &[(&'static str, u64)],
    ) {
        self.scored.inc_by(n);
        for (label, count) in flags.filter(|&(_, c)| c > 0) {
            self.flags
                .get_or_create(&Label {
                    label: label.to_owned(),
                })
                .inc_by(count);
        }
        for &(action, count) in actions.iter().filter(|&&(_, c)| c > 0) {
            self.actions.get_or_create(&Action { action }).inc_by(count);
        }
    }

    /// Counts applied feedback.
    pub fn feedback(&self, op: &'static str, n: u64) {
        self.feedback.get_or_create(&Op { op }).inc_by(n);
    }

    /// Records the model now served.
    pub fn model(&self, version: &str, sha256: &str, learned: u64) {
        self.model.clear();
        self.model
            .get_or_create(&ModelInfo {
                version: version.to_owned(),
                sha256: sha256.to_owned(),
            })
            .set(1);
        self.learned.set(i64::try_from(learned).unwrap_or(i64::MAX));
    }

    fn request(&self, route: String, status: u16, seconds: f64) {
        self.latency
            .get_or_create(&Route {
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RouteStatus { route, status })
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Middleware: counts every request by its route pattern and status, and times it.
pub(crate) async fn track(
    State(shared): State<Arc<Shared>>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let response = next.run(req).await;
    shared.metrics.request(
        route,
        response.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    response
}
