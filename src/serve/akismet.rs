//! An Akismet-compatible form API: `/1.1/verify-key`, `/1.1/comment-check`,
//! `/1.1/submit-spam` and `/1.1/submit-ham`, answering in plain text as Akismet does.
//!
//! The key comes from the `api_key` (or `key`) field, else from the host name's first label
//! (`KEY.rest.example.net`), which older clients use. Comments are scored on the model's `spam`
//! label: `true` from its review threshold, plus `X-akismet-pro-tip: discard` from its block
//! threshold. `submit-spam` and `submit-ham` learn exactly as `/v1/feedback` does.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};

use super::journal::Op;
use super::keys::{Access, Role};
use super::native::feedback_record;
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

fn field<'a>(fields: &'a Fields, name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
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
        text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The served model has no spam label.",
        )
    })
}

async fn verify_key(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    match shared.keys.check(key(&fields, &headers), Role::Score) {
        // A key valid for any role is a valid key.
        Access::Granted | Access::Forbidden => text(StatusCode::OK, "valid"),
        Access::Missing | Access::Invalid => invalid(),
    }
}

async fn comment_check(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    match shared.keys.check(key(&fields, &headers), Role::Score) {
        Access::Granted => {}
        Access::Forbidden => {
            return text(StatusCode::FORBIDDEN, "This key may not check comments.")
        }
        Access::Missing | Access::Invalid => return invalid(),
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
    Form(fields): Form<Fields>,
) -> Response {
    submit(&shared, &headers, &fields, true).await
}

async fn submit_ham(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Response {
    submit(&shared, &headers, &fields, false).await
}

async fn submit(shared: &Shared, headers: &HeaderMap, fields: &Fields, spam: bool) -> Response {
    match shared.keys.check(key(fields, headers), Role::Learn) {
        Access::Granted => {}
        Access::Forbidden => {
            return text(
                StatusCode::FORBIDDEN,
                "This key may not teach the filter (it needs the learn role).",
            )
        }
        Access::Missing | Access::Invalid => return invalid(),
    }
    let content = field(fields, "comment_content").unwrap_or("").to_owned();
    if content.trim().is_empty() {
        return text(
            StatusCode::BAD_REQUEST,
            "Missing required field: comment_content.",
        );
    }
    if let Err(response) = spam_label(&shared.current.load()) {
        return response;
    }
    let labels = [("spam".to_owned(), spam)].into();
    let result = match feedback_record(shared, Op::Learn, content, labels) {
        Ok(record) => shared.submit(record).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => text(StatusCode::OK, THANKS),
        Err(e) => (e.status, e.message).into_response(),
    }
}
