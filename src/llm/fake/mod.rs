//! A fake OpenAI- and Anthropic-compatible chat server on 127.0.0.1 for tests and benchmarks: lognormal latency, RPM and TPM limits
//! over a sliding minute with OpenAI-shaped 429s and headers, an API key check, fault injection (500, 503, reset,
//! hang, malformed JSON or a cut stream, empty content, `finish_reason: length`, an error event mid-stream, a
//! kept-alive connection closed under the next request), streamed answers (OpenAI chunks, Anthropic events, with
//! a pause mid-stream when asked) when asked, OpenAI's refusal of `max_tokens` for reasoning models, cached and
//! reasoning token counts, JSON-schema answers (the first enum value, `true`, `1`,
//! one array element, and for a described string property its description and words drawn from the request's hash), and counters of what it saw.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Mutex;

use crate::rng::Rng;

mod answer;
mod faults;

use answer::{Answer, anthropic_events, content_for, count_images, event_stream, openai_events};
pub use faults::Faults;

/// How the fake server behaves.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// Median latency in milliseconds (lognormal).
    pub latency_ms: f64,
    /// Sigma of the log of the latency.
    pub latency_sigma: f64,
    /// Requests per minute allowed over a sliding minute (None: unlimited).
    pub rpm: Option<u32>,
    /// Tokens per minute allowed over a sliding minute (None: unlimited).
    pub tpm: Option<u64>,
    /// The sliding window the limits count over (a minute; tests shorten it).
    pub window: Duration,
    /// Required bearer key (None: any).
    pub api_key: Option<String>,
    /// Answer every request with 429 insufficient_quota.
    pub out_of_quota: bool,
    /// Fault rates.
    pub faults: Faults,
    /// How long a hang lasts.
    pub hang: Duration,
    /// Seed of the fault and latency draws.
    pub seed: u64,
    /// Share of each prompt reported as read from the provider's prompt cache (OpenAI's
    /// `prompt_tokens_details.cached_tokens`; Anthropic's `cache_read_input_tokens`, left out of `input_tokens`).
    pub cache_read_share: f64,
    /// Reasoning tokens reported (within the completion tokens) by a reasoning model (o-series, gpt-5 family).
    pub reasoning_tokens: u64,
    /// A streamed answer sends its first half of events, waits this long, then the rest (zero: all at once).
    pub stream_gap: Duration,
    /// Close a kept-alive connection when a second request arrives on it, without answering (a server whose
    /// keep-alive ran out just as the client reused the connection).
    pub close_reused: bool,
    /// Share of JSON-schema boolean answers that are `false` (a judge or a plausibility gate saying no), drawn
    /// from the request's hash so the same request always gets the same answer.
    pub false_share: f64,
    /// Tokens every answer needs: a request whose `max_tokens` is below it is answered cut at its budget
    /// (`finish_reason: length`, Anthropic `stop_reason: max_tokens`), as a real model's long answer would be.
    pub answer_tokens: Option<u64>,
    /// Keep the body of every well-formed request, for a test to read the prompts it sent ([`FakeServer::requests`]);
    /// off by default, so a long-running server holds no growing log.
    pub record_requests: bool,
}

impl Default for FakeConfig {
    fn default() -> Self {
        FakeConfig {
            latency_ms: 5.0,
            latency_sigma: 0.3,
            rpm: None,
            tpm: None,
            window: Duration::from_secs(60),
            api_key: None,
            out_of_quota: false,
            faults: Faults::default(),
            hang: Duration::from_secs(30),
            seed: 1,
            false_share: 0.0,
            cache_read_share: 0.0,
            reasoning_tokens: 0,
            stream_gap: Duration::ZERO,
            close_reused: false,
            answer_tokens: None,
            record_requests: false,
        }
    }
}

/// What the server saw.
#[derive(Debug, Clone, Serialize, Default)]
pub struct FakeStats {
    /// Requests received.
    pub requests: u64,
    /// Answers by status (0 = connection reset).
    pub by_status: BTreeMap<u16, u64>,
    /// Successful answers to a request answered successfully before (work paid twice): the same
    /// `X-Client-Request-Id` when the client sends one (musegen sends its cache key), else the same body.
    pub repeated_successes: u64,
    /// Most requests in flight at once.
    pub max_in_flight: u64,
    /// Requests by API route (`/v1/chat/completions`, `/v1/messages`).
    pub by_route: BTreeMap<String, u64>,
    /// Well-formed image content parts seen in requests.
    pub images: u64,
    /// Answers sent as event streams.
    pub streamed: u64,
    /// Requests by the values of their `OpenAI-Organization` and `OpenAI-Project` headers (`name: value`).
    pub accounts: BTreeMap<String, u64>,
    /// Requests by the top-level fields of their body (`max_completion_tokens`, `reasoning_effort` …).
    pub fields: BTreeMap<String, u64>,
    /// Requests by their `max_tokens` budget.
    pub by_max_tokens: BTreeMap<u64, u64>,
}

struct State {
    cfg: FakeConfig,
    rng: Mutex<Rng>,
    window: Mutex<VecDeque<(Instant, u64)>>,
    stats: Mutex<FakeStats>,
    answered: Mutex<HashMap<u64, u32>>,
    in_flight: AtomicU64,
    /// When each answer went out (since the start) and its status, for rates over time.
    log: std::sync::Mutex<Vec<(Duration, u16)>>,
    /// The request bodies received, when `record_requests`.
    requests: std::sync::Mutex<Vec<Value>>,
    started: Instant,
}

/// A running fake server; it stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeServer {
    /// Start on 127.0.0.1 at `port` (0: any free port).
    pub async fn start(cfg: FakeConfig, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            rng: Mutex::new(Rng::from_u64(cfg.seed)),
            cfg,
            window: Mutex::new(VecDeque::new()),
            stats: Mutex::new(FakeStats::default()),
            answered: Mutex::new(HashMap::new()),
            in_flight: AtomicU64::new(0),
            log: std::sync::Mutex::new(Vec::new()),
            requests: std::sync::Mutex::new(Vec::new()),
            started: Instant::now(),
        });
        let shared = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                // Requests this connection has carried, so `close_reused` can close it under the next one.
                let served = Arc::new(AtomicU64::new(0));
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let reused = served.fetch_add(1, Ordering::SeqCst) > 0;
                        handle(req, state.clone(), reused)
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(FakeServer { addr, state, task })
    }

    /// The OpenAI-style base URL (`http://127.0.0.1:PORT/v1`).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every answer so far: when it went out (since the server started, on the clock of this process) and its
    /// status (0 = connection reset), in the order they went out.
    pub fn answer_log(&self) -> Vec<(Duration, u16)> {
        self.state.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// When the server started.
    pub fn started(&self) -> Instant {
        self.state.started
    }

    /// The bodies of the well-formed requests received so far, in the order they arrived (empty unless
    /// `record_requests`).
    pub fn requests(&self) -> Vec<Value> {
        self.state
            .requests
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
    }

    /// A snapshot of the counters.
    pub async fn stats(&self) -> FakeStats {
        self.state.stats.lock().await.clone()
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn reply(status: StatusCode, body: Value, headers: &[(&str, String)]) -> Answer {
    let mut builder = Response::builder()
        .status(status)
        .header("content-type", "application/json");
    for (k, v) in headers {
        builder = builder.header(*k, v.as_str());
    }
    builder
        .body(Either::Left(Full::new(Bytes::from(body.to_string()))))
        .map_err(std::io::Error::other)
}

async fn handle(req: Request<Incoming>, state: Arc<State>, reused: bool) -> Answer {
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut s = state.stats.lock().await;
        s.requests += 1;
        s.max_in_flight = s.max_in_flight.max(now);
    }
    let answer = if state.cfg.close_reused && reused {
        // As a server whose keep-alive ran out closes the connection just as the client sends on it.
        Err(std::io::Error::other(
            "closed an idle kept-alive connection",
        ))
    } else {
        answer(req, &state).await
    };
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    let status = match &answer {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    };
    if let Ok(mut log) = state.log.lock() {
        log.push((state.started.elapsed(), status));
    }
    *state
        .stats
        .lock()
        .await
        .by_status
        .entry(status)
        .or_insert(0) += 1;
    answer
}

async fn answer(req: Request<Incoming>, state: &State) -> Answer {
    let cfg = &state.cfg;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    // OpenAI sends `Authorization: Bearer KEY`, Anthropic `x-api-key: KEY`.
    let auth =
        header("authorization").or_else(|| header("x-api-key").map(|k| format!("Bearer {k}")));
    let path = req.uri().path().to_string();
    let client_id = header("x-client-request-id");
    {
        let mut s = state.stats.lock().await;
        for name in ["openai-organization", "openai-project"] {
            if let Some(value) = header(name) {
                *s.accounts.entry(format!("{name}: {value}")).or_insert(0) += 1;
            }
        }
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes();
    let anthropic = path == "/v1/messages";
    if path != "/v1/chat/completions" && !anthropic {
        return reply(
            StatusCode::NOT_FOUND,
            json!({"type": "error", "error": {"message": format!("no route {path}"), "type": "invalid_request_error"}}),
            &[],
        );
    }
    if let Some(key) = &cfg.api_key
        && auth.as_deref() != Some(&format!("Bearer {key}"))
    {
        // Like OpenAI, the message quotes the key it was given: musegen must not pass it on.
        let given = auth.as_deref().unwrap_or("").trim_start_matches("Bearer ");
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"type": "error", "error": {"message": format!("Incorrect API key provided: {given}."), "type": "invalid_request_error", "code": "invalid_api_key"}}),
            &[],
        );
    }
    if cfg.out_of_quota {
        return reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"type": "error", "error": {"message": "You exceeded your current quota.", "type": "insufficient_quota", "code": "insufficient_quota"}}),
            &[],
        );
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"type": "error", "error": {"message": "body is not JSON", "type": "invalid_request_error"}}),
            &[],
        );
    };
    if cfg.record_requests
        && let Ok(mut kept) = state.requests.lock()
    {
        kept.push(request.clone());
    }
    {
        let mut s = state.stats.lock().await;
        for field in request.as_object().into_iter().flat_map(|o| o.keys()) {
            *s.fields.entry(field.clone()).or_insert(0) += 1;
        }
    }
    if !anthropic
        && answer::is_reasoning_model(&request["model"])
        && !request["max_tokens"].is_null()
    {
        // As OpenAI answers a reasoning model (o-series, gpt-5 family) asked with the old field.
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"}}),
            &[],
        );
    }
    let images = match count_images(&request, anthropic) {
        Ok(n) => n,
        Err(why) => {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"type": "error", "error": {"message": why, "type": "invalid_request_error"}}),
                &[],
            );
        }
    };
    {
        let mut s = state.stats.lock().await;
        *s.by_route.entry(path.clone()).or_insert(0) += 1;
        s.images += images;
    }
    let prompt_tokens = (body.len() as u64 / 4).max(1);
    let max_tokens = request["max_tokens"]
        .as_u64()
        .or_else(|| request["max_completion_tokens"].as_u64())
        .unwrap_or(256);
    *state
        .stats
        .lock()
        .await
        .by_max_tokens
        .entry(max_tokens)
        .or_insert(0) += 1;
    if let Some(limited) = admit(state, prompt_tokens + max_tokens).await {
        return limited;
    }
    let (latency, fault) = {
        let mut rng = state.rng.lock().await;
        let latency = (cfg.latency_ms.max(0.01).ln() + cfg.latency_sigma * rng.normal()).exp();
        (
            Duration::from_secs_f64(latency / 1000.0),
            cfg.faults.draw(&mut rng),
        )
    };
    tokio::time::sleep(latency).await;
    match fault {
        Some("server_error") => {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"type": "error", "error": {"message": "The server had an error.", "type": "server_error"}}),
                &[],
            );
        }
        Some("unavailable") => {
            return reply(
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"type": "error", "error": {"message": "Overloaded.", "type": "server_error"}}),
                &[("retry-after", "0.05".into())],
            );
        }
        Some("reset") => return Err(std::io::Error::other("connection reset by fault injection")),
        Some("hang") => {
            tokio::time::sleep(cfg.hang).await;
            return Err(std::io::Error::other("hung"));
        }
        Some("malformed") if request["stream"] == Value::Bool(true) => {
            // A stream cut off after its first event.
            let first = if anthropic {
                "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\n"
            } else {
                "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"},\"finish_reason\":null}]}\n\n"
            };
            return event_stream(vec![first.to_string()], Duration::ZERO);
        }
        Some("malformed") => {
            return Response::builder()
                .status(StatusCode::OK)
                .header("content-type", "application/json")
                .body(Either::Left(Full::new(Bytes::from_static(
                    b"{\"choices\": [{\"message\": {\"content\": \"trunc",
                ))))
                .map_err(std::io::Error::other);
        }
        _ => {}
    }
    let hash = xxhash_rust::xxh3::xxh3_64(&body);
    let content = match fault {
        Some("empty") => String::new(),
        _ => content_for(&request, hash, cfg.false_share),
    };
    let cut = cfg.answer_tokens.is_some_and(|need| max_tokens < need);
    let finish = if fault == Some("length") || cut {
        "length"
    } else {
        "stop"
    };
    if fault.is_none() && !cut {
        let mut answered = state.answered.lock().await;
        let key = match &client_id {
            Some(id) => xxhash_rust::xxh3::xxh3_64(id.as_bytes()),
            None => hash,
        };
        let seen = answered.entry(key).or_insert(0);
        *seen += 1;
        if *seen > 1 {
            state.stats.lock().await.repeated_successes += 1;
        }
    }
    let reasoning_tokens = if answer::is_reasoning_model(&request["model"]) {
        cfg.reasoning_tokens
    } else {
        0
    };
    let completion_tokens = if cut {
        max_tokens
    } else {
        (content.len() as u64 / 4).max(1) + reasoning_tokens
    };
    let cache_read = (prompt_tokens as f64 * cfg.cache_read_share.clamp(0.0, 1.0)) as u64;
    let streamed = request["stream"] == Value::Bool(true);
    if anthropic {
        let message = json!({
                "id": format!("msg_{hash:016x}"),
                "type": "message",
                "role": "assistant",
                "model": request["model"],
                "content": [{"type": "text", "text": content}],
                "stop_reason": if finish == "length" { "max_tokens" } else { "end_turn" },
                "usage": {"input_tokens": prompt_tokens - cache_read, "cache_read_input_tokens": cache_read, "cache_creation_input_tokens": 0, "output_tokens": completion_tokens},
        });
        if streamed {
            state.stats.lock().await.streamed += 1;
            let mut events = anthropic_events(&message);
            if fault == Some("stream_error") {
                events.truncate(events.len() / 2);
                events.push("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n".into());
            }
            return event_stream(events, cfg.stream_gap);
        }
        return reply(StatusCode::OK, message, &[]);
    }
    let completion = json!({
        "id": format!("chatcmpl-{hash:016x}"),
        "object": "chat.completion",
        "model": request["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cache_read},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        },
    });
    if streamed {
        state.stats.lock().await.streamed += 1;
        let mut events = openai_events(&completion);
        if fault == Some("stream_error") {
            events.truncate(events.len() / 2);
            events.push("data: {\"error\":{\"message\":\"The server had an error while processing your request.\",\"type\":\"server_error\"}}\n\n".into());
        }
        return event_stream(events, cfg.stream_gap);
    }
    reply(StatusCode::OK, completion, &[])
}

/// Count the request against the sliding-minute limits, or answer 429 with OpenAI's headers.
async fn admit(state: &State, tokens: u64) -> Option<Answer> {
    let cfg = &state.cfg;
    if cfg.rpm.is_none() && cfg.tpm.is_none() {
        return None;
    }
    let now = Instant::now();
    let minute = cfg.window;
    let mut window = state.window.lock().await;
    while window
        .front()
        .is_some_and(|(t, _)| now.duration_since(*t) >= minute)
    {
        window.pop_front();
    }
    let used_tokens: u64 = window.iter().map(|(_, t)| t).sum();
    let over_requests = cfg.rpm.is_some_and(|r| window.len() as u64 >= u64::from(r));
    let over_tokens = cfg.tpm.is_some_and(|t| used_tokens + tokens > t);
    if over_requests || over_tokens {
        let oldest = window.front().map(|(t, _)| *t).unwrap_or(now);
        let wait = minute
            .saturating_sub(now.duration_since(oldest))
            .max(Duration::from_millis(1));
        let kind = if over_requests { "requests" } else { "tokens" };
        let headers = [
            ("retry-after-ms", format!("{}", wait.as_millis())),
            (
                "x-ratelimit-limit-requests",
                cfg.rpm.map(|r| r.to_string()).unwrap_or_default(),
            ),
            (
                "x-ratelimit-remaining-requests",
                cfg.rpm
                    .map(|r| {
                        (u64::from(r))
                            .saturating_sub(window.len() as u64)
                            .to_string()
                    })
                    .unwrap_or_default(),
            ),
            (
                "x-ratelimit-reset-requests",
                format!("{}ms", wait.as_millis()),
            ),
        ];
        return Some(reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"type": "error", "error": {"message": format!("Rate limit reached for {kind} per min."), "type": kind, "code": "rate_limit_exceeded"}}),
            &headers,
        ));
    }
    window.push_back((now, tokens));
    None
}
