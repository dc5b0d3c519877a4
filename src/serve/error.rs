//! Errors: the server's startup errors, and API errors in Google's JSON shape
//! (`{"error": {"code", "message", "status"}}`), which the native API shares with Perspective's.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// An I/O error, with what was being done.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// The model could not be loaded or the journal could not be applied to it.
    #[error(transparent)]
    Model(#[from] crate::Error),
    /// A configuration error: keys file, thresholds, attribute mapping.
    #[error("{0}")]
    Config(String),
    /// The journal is damaged somewhere other than its torn last record.
    #[error("{file}: line {line}: {message}")]
    Journal {
        /// The journal file.
        file: String,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// An API error answered as `{"error": {"code", "message", "status"}}`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// Google's canonical status name for an HTTP status.
fn status_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 413 | 415 | 422 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        405 => "UNIMPLEMENTED",
        408 | 504 => "DEADLINE_EXCEEDED",
        409 => "FAILED_PRECONDITION",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ if status.is_server_error() => "INTERNAL",
        _ => "UNKNOWN",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": {
                "code": self.status.as_u16(),
                "message": self.message,
                "status": status_name(self.status),
            }
        });
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110, 15.5.2: a 401 names the scheme that would be accepted.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"commentguard\""),
            );
        }
        response
    }
}

pub(crate) async fn not_found(req: Request<Body>) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("no route {} {}", req.method(), req.uri().path()),
    )
}

pub(crate) async fn method_not_allowed(req: Request<Body>) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{} is not allowed on {}", req.method(), req.uri().path()),
    )
}

/// The refusal past `--max-concurrent`, in every API's shape.
const OVERLOADED: &str = "too many requests at once; retry";

/// Answers a request refused by the concurrency limit.
pub(crate) async fn overloaded(err: tower::BoxError) -> ApiError {
    if err.is::<tower::load_shed::error::Overloaded>() {
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, OVERLOADED)
    } else {
        ApiError::internal(format!("unhandled error: {err}"))
    }
}

/// Gives the plain-text refusals of the limit layers (413, 408, ...) the JSON error shape,
/// except on the Akismet routes, whose clients read plain text; and refuses a body declared
/// longer than `max_body` before it is read.
pub(crate) async fn json_errors(
    axum::extract::State(max_body): axum::extract::State<usize>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let akismet = req.uri().path().starts_with("/1.1/");
    // The body limit applies as the body is read, and hyper answers `Expect: 100-continue`
    // when it is first read: a client was told to go on and send megabytes only to have them
    // refused (the second service audit). A declared length over the limit is refused now.
    if let Some(declared) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&n| n > max_body as u64)
    {
        let message = format!(
            "request body too large: {declared} bytes declared, over the limit of {max_body} \
             (--max-body)"
        );
        return if akismet {
            super::akismet::refused(StatusCode::PAYLOAD_TOO_LARGE, message)
        } else {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, message).into_response()
        };
    }
    // A compressed body was read as it came: "invalid JSON body" for gzip, and an unknown
    // coding passed as plain (the second service audit). None is decoded here, so any but
    // identity is refused, named.
    if let Some(coding) = req
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_owned())
        .filter(|c| !c.eq_ignore_ascii_case("identity"))
    {
        let message =
            format!("Content-Encoding {coding:?} is not supported: send the body uncompressed");
        return if akismet {
            super::akismet::refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, message)
        } else {
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response()
        };
    }
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "request body too large".to_owned(),
        StatusCode::REQUEST_TIMEOUT => "request timed out".to_owned(),
        StatusCode::TOO_MANY_REQUESTS => OVERLOADED.to_owned(),
        _ => status
            .canonical_reason()
            .unwrap_or("request refused")
            .to_owned(),
    };
    if akismet {
        // Akismet's clients read plain text: the limit layers' refusals (a JSON 429, a bodiless
        // 408) become text, with the header Akismet explains its refusals in. The Akismet
        // handlers' own answers are text already.
        // Those that already explain themselves stay; the body limit's own text
        // ("Failed to buffer the request body") had no such header.
        if response.headers().contains_key("x-akismet-debug-help") {
            return response;
        }
        return super::akismet::refused(status, message);
    }
    if is_json {
        return response;
    }
    ApiError::new(status, message).into_response()
}
