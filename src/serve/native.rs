//! The native JSON API: `/v1/score`, `/v1/feedback`, `/v1/forget`, `/v1/model`,
//! `/v1/admin/reload`, `/healthz`, `/readyz`, `/metrics`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::error::ApiError;
use super::journal::{Op, Record};
use super::keys::{Access, Role};
use super::state::{self, Shared, Verdicts};
use super::{MAX_BATCH, MAX_COMMENT_BYTES};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1/score", post(score))
        .route("/v1/feedback", post(feedback))
        .route("/v1/forget", post(forget))
        .route("/v1/model", get(model))
        .route("/v1/admin/reload", post(reload))
        .route("/v1/admin/snapshot", post(snapshot))
}

/// The probes: cheap, bodiless, and outside the concurrency limit, so that slow clients
/// holding every slot cannot make a healthy server look dead to its orchestrator.
pub(super) fn probes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// Checks the `Authorization: Bearer KEY` header for `role`.
fn authorize(shared: &Shared, headers: &HeaderMap, role: Role) -> Result<(), ApiError> {
    let key = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // The scheme is case-insensitive (RFC 9110, 11.1): `bearer KEY` is a key sent.
        .and_then(|v| v.trim_start().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    match shared.keys.load().check(key, role) {
        Access::Granted => Ok(()),
        Access::Missing => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing API key: send `Authorization: Bearer KEY`",
        )),
        Access::Invalid => Err(ApiError::new(StatusCode::UNAUTHORIZED, "API key not valid")),
        Access::Forbidden => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("this key lacks the `{}` role", role.name()),
        )),
    }
}

/// Parses a JSON body, refusing other content types with 415.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, ApiError> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let json = ct
            .to_str()
            .map(|s| {
                s.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            })
            .unwrap_or(false);
        if !json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
    }
    parse_json_body(body)
}

/// Parses a JSON body whatever its declared content type (Google's clients and curl users
/// send Perspective requests with either).
pub(super) fn parse_json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut json = serde_json::Deserializer::from_slice(body);
    let parsed: T = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        // The field a wrong type is in (`comments[1].text`), besides line and column.
        let path = e.path().to_string();
        let e = e.into_inner();
        match path.as_str() {
            "." | "" => ApiError::bad_request(format!("invalid JSON body: {e}")),
            _ => ApiError::bad_request(format!("invalid JSON body: field {path}: {e}")),
        }
    })?;
    json.end()
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    Ok(parsed)
}

pub(super) fn check_length(text: &str, what: &str) -> Result<(), ApiError> {
    if text.len() > MAX_COMMENT_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{what} is {} bytes; the limit is {MAX_COMMENT_BYTES}",
                text.len()
            ),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScoreRequest {
    text: Option<String>,
    comments: Option<Vec<CommentIn>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentIn {
    /// `None` when absent; an explicit `null` is `Some("null")`, and refused. Kept as written
    /// and echoed so: a number parsed and printed again changes (`8.50` came back as `8.5`, and
    /// ids past 2^64 lost digits, so two of them could collide).
    #[serde(default, deserialize_with = "present")]
    id: Option<Box<RawValue>>,
    text: String,
}

/// A field that is there, whatever its value (`null` included).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Box<RawValue>>, D::Error> {
    Box::<RawValue>::deserialize(d).map(Some)
}

/// Checks a batch's ids: strings or numbers, none repeated, and given for every comment or for
/// none (a comment without an id gets its 1-based position, which could equal another's id).
fn check_ids(comments: &[CommentIn]) -> Result<(), ApiError> {
    let given = comments.iter().filter(|c| c.id.is_some()).count();
    if given != 0 && given != comments.len() {
        let at = comments.iter().position(|c| c.id.is_none()).unwrap_or(0);
        return Err(ApiError::unprocessable(format!(
            "comment {} has no \"id\" while others do: give every comment an id, or none \
             (then each result's id is its position)",
            at + 1
        )));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, c) in comments.iter().enumerate() {
        let Some(id) = &c.id else { continue };
        let id = id.get();
        // A raw JSON value's first byte tells its type.
        match id.as_bytes()[0] {
            b'"' | b'-' | b'0'..=b'9' => {
                if !seen.insert(id) {
                    return Err(ApiError::unprocessable(format!(
                        "comment {}: \"id\" {id} is given to an earlier comment too; ids must \
                         be unique in a request",
                        i + 1
                    )));
                }
            }
            other => {
                return Err(ApiError::unprocessable(format!(
                    "comment {}: \"id\" must be a string or a number, not {}",
                    i + 1,
                    match other {
                        b'n' => "null",
                        b't' | b'f' => "a boolean",
                        b'[' => "an array",
                        _ => "an object",
                    }
                )));
            }
        }
    }
    Ok(())
}

fn model_json(served: &state::Served) -> Value {
    json!({"version": served.version, "sha256": served.sha256})
}

async fn score(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    authorize(&shared, &headers, Role::Score)?;
    let request: ScoreRequest = parse_json(&headers, &body)?;
    let comments = match (request.text, request.comments) {
        (Some(text), None) => vec![CommentIn { id: None, text }],
        (None, Some(comments)) => comments,
        _ => {
            return Err(ApiError::unprocessable(
                "give either \"text\" or \"comments\", not both or neither",
            ))
        }
    };
    if comments.is_empty() {
        return Err(ApiError::unprocessable("\"comments\" is empty"));
    }
    if comments.len() > MAX_BATCH {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "{} comments in one request; the limit is {MAX_BATCH}",
                comments.len()
            ),
        ));
    }
    check_ids(&comments)?;
    let single = comments.len() == 1 && comments[0].id.is_none();
    for (i, c) in comments.iter().enumerate() {
        let what = if single {
            "\"text\"".to_owned()
        } else {
            format!("comment {}", i + 1)
        };
        // An empty comment scored "allow" hid the client's bug; feedback refuses it too.
        if c.text.trim().is_empty() {
            return Err(ApiError::unprocessable(format!(
                "{what}: the text is empty"
            )));
        }
        check_length(&c.text, &what)?;
    }
    let served = shared.current.load();
    let n_labels = served.model.labels().len();
    let mut probs = Vec::with_capacity(comments.len() * n_labels);
    state::with_scorer(&served.model, |scorer| {
        for c in &comments {
            probs.extend_from_slice(scorer.score(&c.text));
        }
    });
    let labels = served.model.labels();
    let mut flags = vec![0; n_labels];
    let mut actions = [("allow", 0), ("review", 0), ("block", 0)];
    let results: Vec<ScoreResult> = comments
        .into_iter()
        .zip(probs.chunks_exact(n_labels.max(1)))
        .enumerate()
        .map(|(i, (c, probs))| {
            let flagged = state::flags(&served, probs)
                .map(|l| {
                    flags[l] += 1;
                    labels[l].as_str()
                })
                .collect();
            let action = state::action(&served, probs);
            if let Some(a) = actions.iter_mut().find(|(a, _)| *a == action) {
                a.1 += 1;
            }
            ScoreResult {
                action,
                flagged,
                id: c.id.unwrap_or_else(|| position_id(i)),
                scores: Scores {
                    labels: &served.sorted_labels,
                    probs,
                },
            }
        })
        .collect();
    shared.metrics.scored_many(
        results.len() as u64,
        labels.iter().map(String::as_str).zip(flags),
        &actions,
    );
    Ok(Json(ScoreResponse {
        model: ModelRef {
            sha256: &served.sha256,
            version: &served.version,
        },
        results,
    })
    .into_response())
}

// `/v1/score`'s answer, written straight from the scores: building it as JSON values took more
// time than scoring a batch. Fields in name order, as before.

#[derive(Serialize)]
struct ScoreResponse<'a> {
    model: ModelRef<'a>,
    results: Vec<ScoreResult<'a>>,
}

#[derive(Serialize)]
struct ModelRef<'a> {
    sha256: &'a str,
    version: &'a str,
}

/// The id of the comment at 0-based `i` of a batch without ids: its 1-based position, as a
/// string.
fn position_id(i: usize) -> Box<RawValue> {
    RawValue::from_string(format!("\"{}\"", i + 1)).expect("a quoted number is JSON")
}

#[derive(Serialize)]
struct ScoreResult<'a> {
    action: &'static str,
    flagged: Vec<&'a str>,
    id: Box<RawValue>,
    scores: Scores<'a>,
}

/// One comment's probabilities by label, labels in name order.
struct Scores<'a> {
    /// `(label, position in the model's labels)`, in name order.
    labels: &'a [(String, usize)],
    probs: &'a [f64],
}

impl Serialize for Scores<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.labels.len()))?;
        for (label, l) in self.labels {
            map.serialize_entry(label, &self.probs[*l])?;
        }
        map.end()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackRequest {
    text: String,
    #[serde(deserialize_with = "state::unique_verdicts")]
    labels: Verdicts,
}

async fn feedback(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    learn(&shared, &headers, &body, Op::Learn).await
}

async fn forget(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    learn(&shared, &headers, &body, Op::Forget).await
}

async fn learn(
    shared: &Shared,
    headers: &HeaderMap,
    body: &[u8],
    op: Op,
) -> Result<Json<Value>, ApiError> {
    authorize(shared, headers, Role::Learn)?;
    let request: FeedbackRequest = parse_json(headers, body)?;
    let record = feedback_record(shared, op, request.text, request.labels)?;
    let outcome = shared.submit(record).await?;
    let verb = match op {
        Op::Learn => "learned",
        Op::Forget => "forgotten",
    };
    Ok(Json(json!({
        verb: true,
        "feedback_learned": outcome.learned,
        "model": {"version": outcome.version, "sha256": outcome.sha256},
    })))
}

/// Checks a feedback's text and labels against the current model and makes its record.
pub(super) fn feedback_record(
    shared: &Shared,
    op: Op,
    text: String,
    labels: Verdicts,
) -> Result<Record, ApiError> {
    if text.trim().is_empty() {
        return Err(ApiError::unprocessable("\"text\" is empty"));
    }
    check_length(&text, "\"text\"")?;
    if labels.is_empty() {
        return Err(ApiError::unprocessable(
            "\"labels\" is empty: give at least one label's verdict",
        ));
    }
    let served = shared.current.load();
    let known = served.model.labels();
    if let Some(unknown) = labels.keys().find(|l| !known.contains(l)) {
        return Err(ApiError::unprocessable(format!(
            "unknown label {unknown:?}; the model's labels are: {}",
            known.join(", ")
        )));
    }
    Ok(Record {
        op,
        text,
        labels,
        resolved: Default::default(),
    })
}

async fn model(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&shared, &headers, Role::Score)?;
    let served = shared.current.load();
    let m = &served.model;
    let labels: Vec<Value> = m
        .labels()
        .iter()
        .enumerate()
        .map(|(l, name)| {
            json!({
                "name": name,
                "review_threshold": served.review[l],
                "block_threshold": served.block[l],
                "model_threshold": m.thresholds()[l],
            })
        })
        .collect();
    Ok(Json(json!({
        "model": model_json(&served),
        "labels": labels,
        "vocabulary": m.vocabulary().len(),
        "training": serde_json::to_value(m.summary()).unwrap_or(Value::Null),
        "feedback": {
            "learned": served.learned,
            "learned_total": served.learned_total,
            "forgotten_total": served.forgotten_total,
        },
    })))
}

async fn reload(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&shared, &headers, Role::Admin)?;
    if let Err(e) = shared.reload_async().await {
        tracing::error!("reload on request failed: {}", e.message);
        return Err(e);
    }
    tracing::info!("reloaded the model on request");
    let served = shared.current.load();
    Ok(Json(
        json!({"reloaded": true, "model": model_json(&served)}),
    ))
}

async fn snapshot(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    authorize(&shared, &headers, Role::Admin)?;
    let generation = shared.snapshot().await?;
    let served = shared.current.load();
    Ok(Json(
        json!({"snapshot": true, "generation": generation, "model": model_json(&served)}),
    ))
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.is_draining() {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "draining").into_response()
    } else if let Some(why) = shared.journal_failure() {
        // Every feedback is refused until a restart: a load balancer should send it elsewhere
        // (the second service audit found /readyz at 200 with the disk full).
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, why).into_response()
    } else {
        Json(json!({"status": "ready"})).into_response()
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        shared.metrics.encode(),
    )
        .into_response()
}
