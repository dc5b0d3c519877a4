//! An Akismet-compatible form API: `/1.1/verify-key`, `/1.1/comment-check`,
//! `/1.1/submit-spam` and `/1.1/submit-ham`, answering in plain text as Akismet does.
//!
//! The key comes from the `api_key` (or `key`) field, else from the host name's first label
//! (`KEY.rest.example.net`), which older clients use. Comments are scored on the model's `spam`
//! label: `true` from its review threshold, plus `X-akismet-pro-tip: discard` from its block
//! threshold. `submit-spam` and `submit-ham` learn exactly as `/v1/feedback` does.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

use super::journal::Op;
use super::keys::{Access, Role};
use super::native::{check_length, feedback_record};
use super::state::{self, Shared};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/1.1/verify-key", post(verify_key))
        .route("/1.1/comment-check", post(comment_check))
        .route("/1.1/submit-spam", post(submit_spam))
        .route("/1.1/submit-ham", post(submit_ham))
}

const THANKS: &str = "Thanks for making the web a better place.";

type Fields = Vec<(String, String)>;

/// A field's value; the last one when a field is repeated, as PHP (Akismet's platform) reads a
/// form.
fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Parses an `application/x-www-form-urlencoded` body strictly. axum's form parser replaced
/// bytes that are not UTF-8 with U+FFFD, so a Latin-1 `caf%E9` was learned (and journaled) as
/// other text than the moderator's, which could then never be forgotten; such a field is now
/// refused, named.
fn parse_form(headers: &HeaderMap, body: &[u8]) -> Result<Fields, Response> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send the fields as Content-Type: application/x-www-form-urlencoded.".into(),
        ));
    }
    let decode = |raw: &[u8]| {
        let spaced: Vec<u8> = raw
            .iter()
            .map(|&b| if b == b'+' { b' ' } else { b })
            .collect();
        percent_encoding::percent_decode(&spaced)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
    };
    let mut fields = Vec::new();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = decode(name).map_err(|_| {
            refused(
                StatusCode::BAD_REQUEST,
                "A field name is not UTF-8 text.".into(),
            )
        })?;
        let value = decode(value).map_err(|_| {
            refused(
                StatusCode::BAD_REQUEST,
                format!("Field {name} is not UTF-8 text; send UTF-8, percent-encoded."),
            )
        })?;
        fields.push((name, value));
    }
    Ok(fields)
}

/// A plain-text refusal, explained in `X-akismet-debug-help` as Akismet does.
pub(super) fn refused(status: StatusCode, message: String) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message.clone(),
    )
        .into_response();
    if let Ok(v) = header::HeaderValue::from_str(&message) {
        response.headers_mut().insert("x-akismet-debug-help", v);
    }
    response
}

/// Akismet's required fields for checking and teaching: `blog` and `user_ip` (clients send them;
/// real Akismet refuses a request without them, so a client misconfigured against it should be
/// refused here too).
fn missing_required(fields: &Fields) -> Option<Response> {
    ["blog", "user_ip"]
        .into_iter()
        .find(|name| field(fields, name).is_none_or(str::is_empty))
        .map(|name| {
            refused(
                StatusCode::BAD_REQUEST,
                format!("Missing required field: {name}."),
            )
        })
}

/// The key of a request: a form field, else the host name's first label.
fn key<'a>(fields: &'a Fields, headers: &'a HeaderMap) -> Option<&'a str> {
    field(fields, "api_key")
        .or_else(|| field(fields, "key"))
        .filter(|k| !k.is_empty())
        .or_else(|| {
            let host = headers.get(header::HOST)?.to_str().ok()?;
            let host = host.split(':').next()?;
            let (first, rest) = host.split_once('.')?;
            // An IP address's first label is not a key.
            (!rest.is_empty() && !first.bytes().all(|b| b.is_ascii_digit())).then_some(first)
        })
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn invalid() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (
                header::HeaderName::from_static("x-akismet-debug-help"),
                "We were unable to verify your API key.",
            ),
        ],
        "invalid",
    )
        .into_response()
}

/// The model's `spam` label, or the error to answer.
fn spam_label(served: &state::Served) -> Result<usize, Response> {
    served.model.label_index("spam").map_err(|_| {
        refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The served model has no spam label.".into(),
        )
    })
}

async fn verify_key(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match parse_form(&headers, &body) {
        Ok(f) => f,
        Err(response) => return response,
    };
    match shared
        .keys
        .load()
        .check(key(&fields, &headers), Role::Score)
    {
        // A key valid for any role is a valid key.
        Access::Granted | Access::Forbidden => text(StatusCode::OK, "valid"),
        Access::Missing | Access::Invalid => invalid(),
    }
}

async fn comment_check(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fields = match parse_form(&headers, &body) {
        Ok(f) => f,
        Err(response) => return response,
    };
    match shared
        .keys
        .load()
        .check(key(&fields, &headers), Role::Score)
    {
        Access::Granted => {}
        Access::Forbidden => {
            return refused(
                StatusCode::FORBIDDEN,
                "This key may not check comments.".into(),
            )
        }
        Access::Missing | Access::Invalid => return invalid(),
    }
    if let Some(response) = missing_required(&fields) {
        return response;
    }
    let content = field(&fields, "comment_content").unwrap_or("");
    let served = shared.current.load();
    let spam = match spam_label(&served) {
        Ok(l) => l,
        Err(response) => return response,
    };
    let probs = state::with_scorer(&served.model, |scorer| scorer.score(content).to_vec());
    let probs = &probs[..];
    shared.metrics.scored(
        &state::flagged(&served, probs),
        state::action(&served, probs),
    );
    let p = probs[spam];
    if p >= served.block[spam] {
        (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (
                    header::HeaderName::from_static("x-akismet-pro-tip"),
                    "discard",
                ),
            ],
            "true",
        )
            .into_response()
    } else if p >= served.review[spam] {
        text(StatusCode::OK, "true")
    } else {
        text(StatusCode::OK, "false")
    }
}

async fn submit_spam(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    submit(&shared, &headers, &body, true).await
}

async fn submit_ham(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    submit(&shared, &headers, &body, false).await
}

async fn submit(shared: &Shared, headers: &HeaderMap, body: &[u8], spam: bool) -> Response {
    let fields = match parse_form(headers, body) {
        Ok(f) => f,
        Err(response) => return response,
    };
    let fields = &fields;
    match shared.keys.load().check(key(fields, headers), Role::Learn) {
        Access::Granted => {}
        Access::Forbidden => {
            return refused(
                StatusCode::FORBIDDEN,
                "This key may not teach the filter (it needs the learn role).".into(),
            )
        }
        Access::Missing | Access::Invalid => return invalid(),
    }
    if let Some(response) = missing_required(fields) {
        return response;
    }
    let content = field(fields, "comment_content").unwrap_or("").to_owned();
    if content.trim().is_empty() {
        return refused(
            StatusCode::BAD_REQUEST,
            "Missing required field: comment_content.".into(),
        );
    }
    // Checked here to name the form's field; feedback_record's check would say "text".
    if let Err(e) = check_length(&content, "Field comment_content") {
        return refused(e.status, e.message);
    }
    if let Err(response) = spam_label(&shared.current.load()) {
        return response;
    }
    // A test submission is answered as any other but not learned, as Akismet learns nothing
    // from one (the second service audit: is_test=1 trained the model).
    if field(fields, "is_test").is_some_and(|v| !matches!(v.trim(), "" | "0" | "false")) {
        return text(StatusCode::OK, THANKS);
    }
    let labels = [("spam".to_owned(), spam)].into();
    let result = match feedback_record(shared, Op::Learn, content, labels) {
        Ok(record) => shared.submit(record).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => text(StatusCode::OK, THANKS),
        Err(e) => refused(e.status, e.message),
    }
}
