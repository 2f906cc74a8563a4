//! Talking to language models: the request and response types, the typed errors that say whether to retry, the
//! `ChatBackend` trait, the OpenAI-compatible client, and the fake server every LLM test runs against.

pub mod anthropic;
mod connect;
pub mod fake;
mod headers;
/// Pictures as data URLs (they live in `io`, which the exports read too).
pub use crate::io::images;
pub mod openai;
pub mod stream;
mod transport;
mod usage;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use connect::connect;
pub use headers::RateHints;
pub use usage::TokenUsage;

/// The role of a chat message in the API (distinct from the dialogue's `Role`: the simulated user's turns are
/// `user` messages for the system agent and `assistant` messages for the user agent's own past turns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiRole {
    /// Instructions.
    System,
    /// The other party.
    User,
    /// The model itself.
    Assistant,
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who says it.
    pub role: ApiRole,
    /// What is said.
    pub content: String,
    /// Images shown with the message (`https:` or `data:` URLs), sent as image content parts after the text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
}

impl ChatMessage {
    /// A text-only message.
    pub fn text(role: ApiRole, content: impl Into<String>) -> Self {
        ChatMessage {
            role,
            content: content.into(),
            images: Vec::new(),
        }
    }
}

/// A chat completion request, independent of the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// Model name.
    pub model: String,
    /// The conversation so far.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Most tokens to generate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// A JSON Schema the answer must follow (structured output), when wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<serde_json::Value>,
    /// A sampling seed (OpenAI's `seed`): distinct samples of the same prompt, e.g. the judge's `review.samples`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Ask the server to stream the answer (server-sent events); the client folds the stream into one answer.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    /// The field `max_tokens` goes in on the OpenAI-compatible API (`max_completion_tokens` unless the role says).
    #[serde(default, skip_serializing_if = "is_default_field")]
    pub token_limit_field: crate::config::TokenLimitField,
    /// Provider fields sent as they are (`roles.*.extra`); part of the request's hash, as they shape the answer.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
    /// The call's identity (the manager's cache key), sent as `X-Client-Request-Id` so that a provider's logs, or
    /// the fake server, can tell a repeated call from a new one. Not part of the request's hash.
    #[serde(skip)]
    pub client_id: Option<String>,
}

impl ChatRequest {
    /// A request of `role`'s model and settings (temperature, `max_tokens` at least `min_tokens`, streaming).
    pub fn for_role(
        role: &crate::config::RoleConfig,
        messages: Vec<ChatMessage>,
        min_tokens: u32,
    ) -> Self {
        ChatRequest {
            model: role.model.clone(),
            messages,
            temperature: Some(role.temperature),
            max_tokens: Some(role.max_tokens.max(min_tokens)),
            json_schema: None,
            seed: None,
            stream: role.stream,
            token_limit_field: role.token_limit_field,
            extra: role.extra.clone(),
            client_id: None,
        }
    }
}

fn is_default_field(field: &crate::config::TokenLimitField) -> bool {
    *field == crate::config::TokenLimitField::default()
}

/// A completion the server finished (successful, or cut at `max_tokens`: see [`ChatResponse::is_truncated`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    /// The answer text.
    pub content: String,
    /// Why generation stopped (`stop`, `length` …).
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Reported usage.
    #[serde(default)]
    pub usage: Option<TokenUsage>,
    /// How long the request took, in milliseconds, as the manager measured it (kept with the cached answer, so a
    /// replay records the latency of the request that produced it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// Time from sending to the first streamed text, in milliseconds (streamed answers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_token_ms: Option<u64>,
}

impl ChatResponse {
    /// The answer stopped at the token budget (OpenAI's `finish_reason: length`, Anthropic's
    /// `stop_reason: max_tokens`): the manager retries it with a larger budget, up to the cap.
    pub fn is_truncated(&self) -> bool {
        matches!(self.finish_reason.as_deref(), Some("length" | "max_tokens"))
    }
}

/// A completion and the rate-limit hints that came with it.
#[derive(Debug, Clone)]
pub struct Completion {
    /// The answer.
    pub response: ChatResponse,
    /// Rate-limit headers.
    pub hints: RateHints,
}

/// A backend's answer made final: an empty answer becomes its error, returned with the tokens it cost all the same
/// (the second value), so the ledger can count an attempt that was paid for. An answer cut at the token limit
/// (`length`, Anthropic's `max_tokens`) stays an answer: the manager asks again with a larger budget.
pub fn settle(
    result: Result<Completion, LlmError>,
) -> (Result<Completion, LlmError>, Option<TokenUsage>) {
    let done = match result {
        Ok(done) => done,
        Err(e) => return (Err(e), None),
    };
    if done.response.content.trim().is_empty() && !done.response.is_truncated() {
        let spent = done.response.usage;
        return (Err(LlmError::Empty), spent);
    }
    (Ok(done), None)
}

/// What a backend can do.
#[derive(Debug, Clone, Copy, Default)]
pub struct Capabilities {
    /// JSON-schema `response_format`.
    pub json_schema: bool,
    /// Image content parts.
    pub vision: bool,
    /// Streaming.
    pub streaming: bool,
}

/// Why a request failed. `is_retryable` separates transient failures (retry with backoff) from those that must
/// stop the run (a wrong key, a missing model, an exhausted quota).
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The server answered with an error status.
    #[error("HTTP {status}: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The error message from the body (secrets removed).
        message: String,
        /// Rate-limit headers.
        hints: RateHints,
        /// A 429 that means the account is out of quota, not a rate limit.
        insufficient_quota: bool,
    },
    /// No answer within the request timeout.
    #[error("request timed out after {0:?}")]
    Timeout(Duration),
    /// The connection failed or was reset.
    #[error("connection failed: {0}")]
    Connection(String),
    /// The body was not the expected JSON (or was cut short).
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The answer had no content.
    #[error("empty response content")]
    Empty,
    /// The answer stopped at `max_tokens` (`finish_reason: length`) with the budget at its cap
    /// (`limits.max_tokens_cap`, or the role's `max_tokens_cap`).
    #[error(
        "response cut at max_tokens = {0} (finish_reason = length), the cap (limits.max_tokens_cap or roles.*.max_tokens_cap)"
    )]
    Truncated(u32),
    /// The cost budget is spent.
    #[error("cost budget exhausted")]
    Budget,
    /// The run was stopped by an earlier fatal error.
    #[error("stopped: {0}")]
    Stopped(String, crate::error::StopCause),
}

impl LlmError {
    /// Whether trying again may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            LlmError::Status {
                status,
                insufficient_quota,
                ..
            } => {
                (*status == 429 && !insufficient_quota)
                    || matches!(status, 408 | 409)
                    || *status >= 500
            }
            LlmError::Timeout(_)
            | LlmError::Connection(_)
            | LlmError::Malformed(_)
            | LlmError::Empty => true,
            LlmError::Truncated(_) | LlmError::Budget | LlmError::Stopped(..) => false,
        }
    }

    /// Whether the request was refused because its prompt does not fit the model's context (llama.cpp's
    /// `exceed_context_size_error`, OpenAI's and vLLM's `context_length_exceeded`, Anthropic's "prompt is too
    /// long"): a failure of that one record, never a stop of the run.
    pub fn is_context_overflow(&self) -> bool {
        const SIGNS: [&str; 7] = [
            "exceeds the available context size",
            "exceed_context_size",
            "context_length_exceeded",
            "maximum context length",
            "prompt is too long",
            "exceed context limit",
            "context window",
        ];
        match self {
            LlmError::Status {
                status: 400 | 413,
                message,
                ..
            } => {
                let m = message.to_lowercase();
                SIGNS.iter().any(|s| m.contains(s))
            }
            _ => false,
        }
    }

    /// Whether the error stops the whole run rather than failing one record: a status that retrying cannot fix
    /// (400 other than a context overflow, 401, 403, 404, an insufficient-quota 429), the cost budget, an earlier
    /// stop. Retries exhausted, a context overflow, an answer cut at the token cap or unusable after a re-ask fail
    /// only their record.
    pub fn stops_run(&self) -> bool {
        match self {
            LlmError::Status { .. } => !self.is_retryable() && !self.is_context_overflow(),
            LlmError::Budget | LlmError::Stopped(..) => true,
            LlmError::Timeout(_)
            | LlmError::Connection(_)
            | LlmError::Malformed(_)
            | LlmError::Empty
            | LlmError::Truncated(_) => false,
        }
    }

    /// Why a stop is a stop: a key or permission the provider refused, or a model or URL it does not know
    /// (401, 403, 404), is the config's to fix (exit 2); anything else is the run's (exit 1).
    pub fn stop_cause(&self) -> crate::error::StopCause {
        match self {
            LlmError::Status {
                status: 401 | 403 | 404,
                ..
            } => crate::error::StopCause::Refused,
            LlmError::Stopped(_, cause) => *cause,
            _ => crate::error::StopCause::Other,
        }
    }

    /// Whether the server said "too many requests" (as opposed to "out of quota").
    pub fn is_rate_limit(&self) -> bool {
        matches!(
            self,
            LlmError::Status {
                status: 429,
                insufficient_quota: false,
                ..
            }
        )
    }

    /// How long the server asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            LlmError::Status { hints, .. } => hints.wait(),
            _ => None,
        }
    }
}

/// Map a transport failure onto a typed error, with the key (if any) scrubbed from the text.
pub(crate) fn transport_error(
    e: reqwest::Error,
    key: Option<&Secret>,
    timeout: Duration,
) -> LlmError {
    let text = match key {
        Some(k) => k.scrub(&e.to_string()),
        None => e.to_string(),
    };
    if e.is_timeout() {
        LlmError::Timeout(timeout)
    } else if e.is_decode() || e.is_body() {
        LlmError::Malformed(text)
    } else {
        LlmError::Connection(text)
    }
}

/// The error message of an error body (`error.message`, else the first 300 bytes), with the key scrubbed.
pub(crate) fn error_message(
    body: &[u8],
    value: &serde_json::Value,
    key: Option<&Secret>,
) -> String {
    let message = value["error"]["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned());
    match key {
        Some(k) => k.scrub(&message),
        None => message,
    }
}

/// Add a role's `extra` fields to a request body as they are; a field musegen builds itself (the model, the
/// messages, the system prompt, streaming) is kept (config validation refuses those names up front).
pub(crate) fn pass_through(
    body: &mut serde_json::Value,
    extra: &BTreeMap<String, serde_json::Value>,
) {
    if let Some(object) = body.as_object_mut() {
        for (name, value) in extra {
            if !crate::config::RESERVED_REQUEST_FIELDS.contains(&name.as_str()) {
                object.insert(name.clone(), value.clone());
            }
        }
    }
}

/// A boxed future, so backends can be used behind `dyn`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A chat model provider.
pub trait ChatBackend: Send + Sync {
    /// Send one request. An answer cut at the token limit or without content comes back as it is (with its
    /// usage); [`settle`] tells it apart.
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, LlmError>>;
    /// What the backend supports.
    fn capabilities(&self) -> Capabilities;
}

/// An API key: never printed, logged, cached or echoed (its `Debug` and `Display` say `[redacted]`).
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wrap a key.
    pub fn new(key: impl Into<String>) -> Self {
        Secret(key.into())
    }

    /// Read the key from environment variable `var`.
    pub fn from_env(var: &str) -> Option<Self> {
        std::env::var(var)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(Secret)
    }

    /// The key itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the key replaced.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, quota: bool) -> LlmError {
        LlmError::Status {
            status: code,
            message: String::new(),
            hints: RateHints::default(),
            insufficient_quota: quota,
        }
    }

    #[test]
    fn retry_classes_follow_the_status() {
        for code in [429, 408, 409, 500, 502, 503] {
            assert!(status(code, false).is_retryable(), "{code}");
        }
        for code in [400, 401, 403, 404] {
            assert!(!status(code, false).is_retryable(), "{code}");
        }
        assert!(!status(429, true).is_retryable());
        assert!(status(429, false).is_rate_limit());
        assert!(LlmError::Empty.is_retryable());
        assert!(!LlmError::Budget.is_retryable());
        assert!(status(400, false).stops_run() && status(401, false).stops_run());
        assert!(!LlmError::Truncated(64).stops_run() && !LlmError::Empty.stops_run());
    }

    #[test]
    fn a_prompt_over_the_context_fails_its_record_and_never_stops_the_run() {
        let overflow = |code: u16, message: &str| LlmError::Status {
            status: code,
            message: message.into(),
            hints: RateHints::default(),
            insufficient_quota: false,
        };
        for m in [
            "request (4446 tokens) exceeds the available context size (3072 tokens), try increasing it",
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
            "prompt is too long: 210000 tokens > 200000 maximum",
            "input length and `max_tokens` exceed context limit: 198000 + 8192 > 200000",
        ] {
            let e = overflow(400, m);
            assert!(e.is_context_overflow() && !e.stops_run(), "{m}");
        }
        assert!(overflow(400, "invalid 'temperature'").stops_run());
        assert!(!overflow(401, "prompt is too long").is_context_overflow());
        assert_eq!(
            overflow(401, "Invalid API Key").stop_cause(),
            crate::error::StopCause::Refused
        );
        assert_eq!(
            overflow(400, "bad").stop_cause(),
            crate::error::StopCause::Other
        );
    }

    #[test]
    fn secrets_never_show() {
        let s = Secret::new("sk-very-secret");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(
            s.scrub("bad key sk-very-secret given"),
            "bad key [redacted] given"
        );
    }
}
