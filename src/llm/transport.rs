//! The HTTP transport both clients share: how the reqwest client is set up (a pool that lets idle connections go
//! before servers close them), a send that tries once more at once when a pooled connection turns out to be
//! closed, and reading an answer whole or as its events arrive (with the time to the first token).

use std::time::{Duration, Instant};

use super::stream::{EventParser, Fold};
use super::{LlmError, RateHints, Secret};

/// How long an idle pooled connection is kept: below the keep-alive of common servers (llama.cpp and uvicorn, so
/// vLLM, close after 5 s), so the pool rarely hands out a connection the server has just closed.
pub const POOL_IDLE: Duration = Duration::from_secs(4);

/// The HTTP client of one backend.
pub(crate) fn client() -> Result<reqwest::Client, LlmError> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .pool_idle_timeout(POOL_IDLE)
        .build()
        .map_err(|e| LlmError::Connection(e.to_string()))
}

/// An answer's status line and headers, its body still to read.
pub(crate) struct Head {
    /// HTTP status.
    pub status: u16,
    /// Rate-limit headers.
    pub hints: RateHints,
    /// The response, for its body.
    pub response: reqwest::Response,
}

/// Whether a failed send may be a pooled connection the server had closed: the request failed on its way out
/// or before any answer, neither by timing out nor while connecting afresh.
fn stale_connection(e: &reqwest::Error) -> bool {
    !(e.is_timeout() || e.is_connect() || e.is_body() || e.is_decode() || e.is_builder())
}

/// Sends of one request while each fails the way a stale pooled connection does: the pool may hold several
/// connections the server closed (one per request that was in flight at once), and each failed send drops one.
const STALE_SENDS: usize = 4;

/// Send a built request. A send that fails the way a stale pooled connection does is sent again at once (up to
/// [`STALE_SENDS`] sends in all), on another connection: that is no fault of the server's, so it is no retry for
/// the manager either.
pub(crate) async fn send(
    builder: reqwest::RequestBuilder,
    key: Option<&Secret>,
    timeout: Duration,
) -> Result<Head, LlmError> {
    let mut builder = builder;
    let mut sends = 1;
    let response = loop {
        let spare = builder.try_clone();
        match (builder.send().await, spare) {
            (Ok(r), _) => break r,
            (Err(e), Some(again)) if sends < STALE_SENDS && stale_connection(&e) => {
                tracing::debug!("connection closed under the request; sending it again at once");
                builder = again;
                sends += 1;
            }
            (Err(e), _) => return Err(super::transport_error(e, key, timeout)),
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers();
    let hints = RateHints::from_headers(|name| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    Ok(Head {
        status,
        hints,
        response,
    })
}

/// Read the whole body.
pub(crate) async fn body(
    head: Head,
    key: Option<&Secret>,
    timeout: Duration,
) -> Result<bytes::Bytes, LlmError> {
    head.response
        .bytes()
        .await
        .map_err(|e| super::transport_error(e, key, timeout))
}

/// Read an event-stream body as it arrives into `fold`, stopping at its last event; with the answer's body comes
/// the time from `started` to the first event that carried text.
pub(crate) async fn events<F: Fold>(
    head: Head,
    mut fold: F,
    started: Instant,
    key: Option<&Secret>,
    timeout: Duration,
) -> Result<(serde_json::Value, Option<Duration>), LlmError> {
    let mut response = head.response;
    let mut parser = EventParser::default();
    let mut first_token = None;
    'read: loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| super::transport_error(e, key, timeout))?;
        // The body's end closes its last line and event, if the server left them open.
        let bytes = chunk.as_deref().unwrap_or(b"\n\n");
        for event in parser.feed(bytes)? {
            let step = fold.take(&event).map_err(|e| scrubbed(e, key))?;
            if step.content && first_token.is_none() {
                first_token = Some(started.elapsed());
            }
            if step.done {
                break 'read;
            }
        }
        if chunk.is_none() {
            break;
        }
    }
    Ok((fold.finish()?, first_token))
}

/// `e` with the key (if any) removed from an error message the server wrote.
fn scrubbed(e: LlmError, key: Option<&Secret>) -> LlmError {
    match (e, key) {
        (
            LlmError::Status {
                status,
                message,
                hints,
                insufficient_quota,
            },
            Some(k),
        ) => LlmError::Status {
            status,
            message: k.scrub(&message),
            hints,
            insufficient_quota,
        },
        (e, _) => e,
    }
}
