//! A Perspective-compatible `POST /v1alpha1/comments:analyze`, and the discovery document
//! Google's API clients build themselves from.
//!
//! Attributes map to model labels by lower-casing (`TOXICITY` → `toxicity`), then through
//! `--attribute NAME=label`, then through aliases for Jigsaw's label names (`toxicity` →
//! `toxic`, `profanity` → `obscene`, ...). Errors follow Google's shape and Perspective's
//! statuses.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use unicode_segmentation::UnicodeSegmentation;

use super::error::ApiError;
use super::keys::{Access, Role};
use super::native::parse_json_body;
use super::state::{self, Shared};
use super::MAX_COMMENT_BYTES;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/v1alpha1/comments:analyze", post(analyze))
        .route("/$discovery/rest", get(discovery))
}

/// Model label names for Perspective attributes when the model has no label of the
/// attribute's own name: Jigsaw's names.
const ALIASES: &[(&str, &str)] = &[
    ("toxicity", "toxic"),
    ("severe_toxicity", "severe_toxic"),
    ("identity_attack", "identity_hate"),
    ("profanity", "obscene"),
];

/// The model label an attribute scores, if any.
fn label_for(shared: &Shared, labels: &[String], attribute: &str) -> Option<usize> {
    let upper = attribute.to_ascii_uppercase();
    let lower = attribute.to_ascii_lowercase();
    let position = |name: &str| labels.iter().position(|l| l == name);
    if let Some((_, label)) = shared.attributes.iter().find(|(a, _)| *a == upper) {
        return position(label);
    }
    position(&lower).or_else(|| {
        ALIASES
            .iter()
            .find(|(a, _)| *a == lower)
            .and_then(|(_, l)| position(l))
    })
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnalyzeRequest {
    comment: Option<TextEntry>,
    requested_attributes: Option<BTreeMap<String, Option<AttributeParameters>>>,
    languages: Option<Vec<String>>,
    #[allow(dead_code)]
    do_not_store: Option<bool>,
    client_token: Option<String>,
    span_annotations: Option<bool>,
}

#[derive(Deserialize, Default)]
struct TextEntry {
    text: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AttributeParameters {
    score_threshold: Option<f64>,
}

async fn analyze(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    // Read as pairs: a struct made `?key=a&key=b` a bare "Bad Request" from the extractor.
    let mut keys = query.into_iter().filter(|(name, _)| name == "key");
    let key = keys.next().map(|(_, key)| key);
    if keys.next().is_some() {
        return Err(ApiError::bad_request(
            "The key query parameter is given more than once; give it once.",
        ));
    }
    let key = key.or_else(|| {
        headers
            .get("x-goog-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    match shared.keys.load().check(key.as_deref(), Role::Score) {
        Access::Granted => {}
        Access::Missing => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "The request is missing a valid API key.",
            ))
        }
        Access::Invalid => {
            return Err(ApiError::bad_request(
                "API key not valid. Please pass a valid API key.",
            ))
        }
        Access::Forbidden => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "Permission denied: this API key may not analyze comments.",
            ))
        }
    }
    let request: AnalyzeRequest = parse_json_body(&body)?;
    let text = request.comment.and_then(|c| c.text).unwrap_or_default();
    if text.is_empty() {
        return Err(ApiError::bad_request("Comment must be non-empty."));
    }
    if text.len() > MAX_COMMENT_BYTES {
        return Err(ApiError::bad_request(format!(
            "Comment text too long: {} bytes. The maximum is {MAX_COMMENT_BYTES} bytes.",
            text.len()
        )));
    }
    let attributes = request.requested_attributes.unwrap_or_default();
    if attributes.is_empty() {
        return Err(ApiError::bad_request(
            "Must request at least one attribute.",
        ));
    }
    let served = shared.current.load();
    let labels = served.model.labels();
    let mut wanted = Vec::with_capacity(attributes.len());
    for (name, params) in &attributes {
        let Some(l) = label_for(&shared, labels, name) else {
            return Err(ApiError::bad_request(format!(
                "Unknown attribute: {name}. This server scores: {}.",
                supported(&shared, labels).join(", ")
            )));
        };
        let threshold = params.as_ref().and_then(|p| p.score_threshold);
        if let Some(t) = threshold.filter(|t| !(0.0..=1.0).contains(t)) {
            // A threshold past 1 silently filtered every score out.
            return Err(ApiError::bad_request(format!(
                "{name}.scoreThreshold is {t}; it must be between 0 and 1."
            )));
        }
        wanted.push((name, l, threshold));
    }
    let want_spans = request.span_annotations == Some(true);
    let (probs, spans): (Vec<f64>, Vec<_>) = state::with_scorer(&served.model, |scorer| {
        let probs = scorer.score(&text).to_vec();
        let spans = if want_spans {
            sentence_spans(&text)
                .into_iter()
                .map(|(begin, end, sentence)| (begin, end, scorer.score(sentence).to_vec()))
                .collect()
        } else {
            Vec::new()
        };
        (probs, spans)
    });
    shared.metrics.scored(
        &state::flagged(&served, &probs),
        state::action(&served, &probs),
    );
    let mut scores = Vec::with_capacity(wanted.len());
    for (name, l, threshold) in wanted {
        let p = probs[l];
        if threshold.is_some_and(|t| p < t) {
            continue;
        }
        let span_scores = spans
            .iter()
            .map(|(begin, end, s)| SpanScore {
                begin: *begin,
                end: *end,
                score: Score::of(s[l]),
            })
            .collect();
        scores.push((
            name.as_str(),
            AttributeScore {
                span_scores,
                summary_score: Score::of(p),
            },
        ));
    }
    let languages = request
        .languages
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| vec!["en".to_owned()]);
    Ok(Json(AnalyzeResponse {
        attribute_scores: AttributeScores(scores),
        client_token: request.client_token,
        languages: &languages,
    })
    .into_response())
}

// The answer, written straight from the scores: building it as JSON values (a map, with its
// keys, per attribute and per score) took more time than scoring the comment. Fields in name
// order, as before.

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AnalyzeResponse<'a> {
    attribute_scores: AttributeScores<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_token: Option<String>,
    /// The languages scored in: those asked for, else English. Perspective also answers
    /// `detectedLanguages`; this server detects none, and echoing the request there claimed it
    /// had, so the field is left out (it is optional in Perspective's answer).
    languages: &'a [String],
}

/// Each attribute asked for and scoring at least its threshold, in name order.
struct AttributeScores<'a>(Vec<(&'a str, AttributeScore)>);

impl Serialize for AttributeScores<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, score) in &self.0 {
            map.serialize_entry(name, score)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AttributeScore {
    /// One per sentence when `spanAnnotations` was asked for; left out otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    span_scores: Vec<SpanScore>,
    summary_score: Score,
}

#[derive(Serialize)]
struct SpanScore {
    begin: usize,
    end: usize,
    score: Score,
}

#[derive(Serialize)]
struct Score {
    #[serde(rename = "type")]
    kind: &'static str,
    value: f64,
}

impl Score {
    fn of(value: f64) -> Score {
        Score {
            kind: "PROBABILITY",
            value,
        }
    }
}

/// The attribute names this server answers for the model's labels.
fn supported(shared: &Shared, labels: &[String]) -> Vec<String> {
    let mut names: Vec<String> = labels.iter().map(|l| l.to_ascii_uppercase()).collect();
    for (alias, label) in ALIASES {
        if labels.iter().any(|l| l == label) {
            names.push(alias.to_ascii_uppercase());
        }
    }
    names.extend(shared.attributes.iter().map(|(a, _)| a.clone()));
    names.sort();
    names.dedup();
    names
}

/// Each sentence of `text` with its begin and end in UTF-16 code units, as Perspective's span
/// offsets count; whitespace-only pieces are skipped and trailing whitespace left out.
fn sentence_spans(text: &str) -> Vec<(usize, usize, &str)> {
    let mut spans = Vec::new();
    let mut utf16 = 0;
    let mut last = 0;
    for (start, sentence) in text.split_sentence_bound_indices() {
        utf16 += text[last..start].encode_utf16().count();
        last = start;
        let trimmed = sentence.trim_end();
        if !trimmed.trim_start().is_empty() {
            let end = utf16 + trimmed.encode_utf16().count();
            spans.push((utf16, end, trimmed));
        }
    }
    spans
}

#[derive(Deserialize)]
struct DiscoveryQuery {
    version: Option<String>,
}

/// The discovery document of `commentanalyzer` v1alpha1, rooted at this server.
async fn discovery(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<DiscoveryQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    if query.version.as_deref().is_some_and(|v| v != "v1alpha1") {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "Only version v1alpha1 of commentanalyzer is served here.",
        ));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or_else(|| shared.address().map(|a| a.to_string()))
        .unwrap_or_else(|| "127.0.0.1".to_owned());
    let root = format!("http://{host}/");
    let object = |description: &str| json!({"id": description, "type": "object", "description": description});
    let method = |name: &str, request: &str, response: &str, description: &str| {
        json!({
            "id": format!("commentanalyzer.comments.{name}"),
            "path": format!("v1alpha1/comments:{name}"),
            "flatPath": format!("v1alpha1/comments:{name}"),
            "httpMethod": "POST",
            "parameters": {},
            "parameterOrder": [],
            "request": {"$ref": request},
            "response": {"$ref": response},
            "description": description,
        })
    };
    let query_param = |description: &str| json!({"type": "string", "location": "query", "description": description});
    Ok(Json(json!({
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": "commentanalyzer:v1alpha1",
        "name": "commentanalyzer",
        "canonicalName": "Comment Analyzer",
        "version": "v1alpha1",
        "version_module": true,
        "title": "Perspective Comment Analyzer API (commentguard)",
        "description": "commentguard's Perspective-compatible comment analyzer.",
        "protocol": "rest",
        "rootUrl": root,
        "servicePath": "",
        "baseUrl": root,
        "batchPath": "batch",
        "parameters": {
            "key": query_param("API key."),
            "alt": {"type": "string", "location": "query", "default": "json", "enum": ["json"], "enumDescriptions": ["JSON"], "description": "Data format for response."},
            "fields": query_param("Selector specifying which fields to include in a partial response."),
            "prettyPrint": {"type": "boolean", "location": "query", "default": "true", "description": "Returns response with indentations and line breaks."},
            "quotaUser": query_param("Quota user."),
            "$.xgafv": {"type": "string", "location": "query", "enum": ["1", "2"], "enumDescriptions": ["v1 error format", "v2 error format"], "description": "V1 error format."},
        },
        "schemas": {
            "AnalyzeCommentRequest": object("AnalyzeCommentRequest"),
            "AnalyzeCommentResponse": object("AnalyzeCommentResponse"),
            "SuggestCommentScoreRequest": object("SuggestCommentScoreRequest"),
            "SuggestCommentScoreResponse": object("SuggestCommentScoreResponse"),
        },
        "resources": {
            "comments": {
                "methods": {
                    "analyze": method("analyze", "AnalyzeCommentRequest", "AnalyzeCommentResponse", "Analyzes the provided text and returns scores for requested attributes."),
                }
            }
        },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_count_utf16_units_and_skip_blank_sentences() {
        let text = "Hi 😀 there. You are great!  ";
        let spans = sentence_spans(text);
        assert_eq!(spans.len(), 2);
        // The emoji is two UTF-16 units, so "Hi 😀 there." is 12 units long.
        assert_eq!(
            (spans[0].0, spans[0].1, spans[0].2),
            (0, 12, "Hi 😀 there.")
        );
        assert_eq!(spans[1].2, "You are great!");
        assert_eq!(spans[1].0, 13);
        assert_eq!(spans[1].1, 13 + "You are great!".len());
    }
}
