//! The LLM manager against the project's own fake server on 127.0.0.1: retries through injected faults, a cache
//! that makes a restart pay nothing twice, an early stop on a bad key or an exhausted quota, rate limits honoured,
//! 429s answered by backing off, and a cost budget that holds.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use musegen::config::{LimitsConfig, RateWindow, RoleName};
use musegen::llm::fake::{FakeConfig, FakeServer, Faults};
use musegen::llm::openai::OpenAiBackend;
use musegen::llm::{ApiRole, ChatMessage, ChatRequest, LlmError, Secret};
use musegen::manager::{Cache, CallTag, Manager, ModelPrice};

fn limits(rpm: u32, concurrency: usize, timeout: f64) -> LimitsConfig {
    LimitsConfig {
        rpm: rpm.try_into().unwrap(),
        tpm: 50_000_000u32.try_into().unwrap(),
        concurrency: concurrency.try_into().unwrap(),
        backoff_base_ms: 20,
        backoff_max_ms: 500,
        request_timeout_secs: timeout,
        ..LimitsConfig::default()
    }
}

fn manager(
    server: &FakeServer,
    key: &str,
    cfg: LimitsConfig,
    cache: Option<Cache>,
    prices: BTreeMap<String, ModelPrice>,
) -> Arc<Manager> {
    let timeout = Duration::from_secs_f64(cfg.request_timeout_secs);
    let backend = OpenAiBackend::new(&server.base_url(), Some(Secret::new(key)), timeout).unwrap();
    Arc::new(Manager::new(Arc::new(backend), cfg, cache, prices))
}

fn request(i: usize) -> ChatRequest {
    ChatRequest {
        model: "fake-model".into(),
        messages: vec![
            ChatMessage::text(ApiRole::System, "You are a shopper."),
            ChatMessage::text(ApiRole::User, format!("Say something about item {i}.")),
        ],
        temperature: Some(0.7),
        max_tokens: Some(64),
        json_schema: None,
        seed: None,
        stream: false,
        token_limit_field: Default::default(),
        extra: Default::default(),
        client_id: None,
    }
}

async fn run_all(m: &Arc<Manager>, ids: std::ops::Range<usize>) -> Vec<Result<String, LlmError>> {
    let tasks: Vec<_> = ids
        .map(|i| {
            let m = m.clone();
            tokio::spawn(async move {
                let tag = CallTag {
                    conversation: format!("c{i}"),
                    role: RoleName::UserAgent,
                    under_way: i % 2 == 0,
                };
                m.complete(&request(i), &tag).await.map(|r| r.content)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_are_retried_until_every_request_is_answered() {
    let server = FakeServer::start(
        FakeConfig {
            faults: Faults::spread(0.10),
            hang: Duration::from_secs(5),
            seed: 3,
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let m = manager(&server, "k", limits(60_000, 24, 0.4), None, BTreeMap::new());
    let results = run_all(&m, 0..300).await;
    assert!(
        results.iter().all(|r| r.is_ok()),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    let stats = server.stats().await;
    assert!(stats.requests > 300, "no fault was injected: {stats:?}");
    assert_eq!(
        stats.repeated_successes, 0,
        "a request was paid twice: {stats:?}"
    );
    let totals = m.totals();
    assert_eq!(totals.failures, 0);
    assert!(totals.retries >= 10, "{totals:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_the_cache_pays_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let first = manager(
        &server,
        "k",
        limits(60_000, 8, 5.0),
        Some(Cache::open(&dir.path().join("cache.db")).unwrap()),
        BTreeMap::new(),
    );
    let a = run_all(&first, 0..50).await;
    drop(first);
    assert_eq!(server.stats().await.requests, 50);
    // A new process (a restart) with the same cache file: everything is answered, nothing is sent.
    let second = manager(
        &server,
        "k",
        limits(60_000, 8, 5.0),
        Some(Cache::open(&dir.path().join("cache.db")).unwrap()),
        BTreeMap::new(),
    );
    let b = run_all(&second, 0..60).await;
    let stats = server.stats().await;
    assert_eq!(stats.requests, 60, "only the 10 new requests are sent");
    assert_eq!(stats.repeated_successes, 0);
    assert_eq!(second.totals().cached, 50);
    let a: Vec<String> = a.into_iter().map(|r| r.unwrap()).collect();
    let b: Vec<String> = b.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(&b[..50], &a[..]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_key_stops_the_run_within_a_second() {
    let server = FakeServer::start(
        FakeConfig {
            api_key: Some("right-key".into()),
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let m = manager(
        &server,
        "sk-wrong-secret-key",
        limits(60_000, 8, 5.0),
        None,
        BTreeMap::new(),
    );
    // The tokenizer's tables load on first use (about a second in a debug build on a busy machine): not what
    // this test times.
    Manager::estimate_tokens(&request(0));
    let started = Instant::now();
    let results = run_all(&m, 0..200).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(results.iter().all(|r| r.is_err()));
    let stats = server.stats().await;
    assert!(stats.requests <= 8, "kept sending after a 401: {stats:?}");
    let why = m.stopped().unwrap();
    assert!(
        why.contains("401") && why.contains("Incorrect API key"),
        "{why}"
    );
    for r in &results {
        let text = r.as_ref().unwrap_err().to_string();
        assert!(
            !text.contains("sk-wrong-secret-key"),
            "the key leaked: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_quota_stops_instead_of_retrying() {
    let server = FakeServer::start(
        FakeConfig {
            out_of_quota: true,
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let m = manager(&server, "k", limits(60_000, 4, 5.0), None, BTreeMap::new());
    let results = run_all(&m, 0..40).await;
    assert!(results.iter().all(|r| r.is_err()));
    assert!(server.stats().await.requests <= 4);
    assert!(m.stopped().unwrap().contains("quota"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_is_honoured_without_a_single_429() {
    // 40 requests per second on the server; the client is told 2,300 RPM (a little under, as a user would set it),
    // counted in per-second slices (the default), so its pace never bursts.
    let server = FakeServer::start(
        FakeConfig {
            rpm: Some(40),
            window: Duration::from_secs(1),
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let cfg = LimitsConfig {
        window: RateWindow::Second,
        ..limits(2_300, 32, 5.0)
    };
    assert_eq!(cfg, limits(2_300, 32, 5.0), "per second is the default");
    let m = manager(&server, "k", cfg, None, BTreeMap::new());
    let started = Instant::now();
    let results = run_all(&m, 0..100).await;
    assert!(results.iter().all(|r| r.is_ok()));
    let stats = server.stats().await;
    assert_eq!(stats.by_status.get(&429), None, "{stats:?}");
    // 100 requests at 40/s (less the headroom) cannot finish much before 2 s.
    assert!(
        started.elapsed() > Duration::from_millis(1800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_saying_429_is_answered_by_backing_off() {
    // The client believes it may send 60,000 RPM; the server allows 30 per second and says 429 with retry-after-ms.
    let server = FakeServer::start(
        FakeConfig {
            rpm: Some(30),
            window: Duration::from_secs(1),
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let m = manager(&server, "k", limits(60_000, 32, 5.0), None, BTreeMap::new());
    let results = run_all(&m, 0..90).await;
    assert!(
        results.iter().all(|r| r.is_ok()),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    let stats = server.stats().await;
    let limited = stats.by_status.get(&429).copied().unwrap_or(0);
    assert!(limited > 0, "{stats:?}");
    assert!(
        m.concurrency() < 32.0,
        "the concurrency did not shrink: {}",
        m.concurrency()
    );
    assert_eq!(stats.by_status.get(&200).copied(), Some(90));
    // The run panel's figures agree with what the server saw.
    let panel = m.snapshot();
    assert_eq!(panel.sent, stats.requests, "{panel:?}");
    assert_eq!(panel.rate_limited, limited, "{panel:?}");
    assert_eq!(panel.retries, limited, "every 429 was retried: {panel:?}");
    assert_eq!((panel.in_flight, panel.failures), (0, 0), "{panel:?}");
    assert_eq!((panel.rpm_limit, panel.concurrency_max), (60_000, 32));
    assert!(
        panel.requests_per_min > 0.0 && panel.tokens_per_min > 0.0,
        "{panel:?}"
    );
    assert!(panel.concurrency < 32.0, "{panel:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_cap_holds() {
    let server = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
    let prices = BTreeMap::from([(
        "fake-model".to_string(),
        ModelPrice {
            input_per_mtok: 1000.0,
            output_per_mtok: 1000.0,
            ..ModelPrice::default()
        },
    )]);
    let mut cfg = limits(60_000, 1, 5.0);
    cfg.max_cost_usd = Some(0.05);
    let m = manager(&server, "k", cfg, None, prices);
    let mut sent = 0;
    for i in 0..50 {
        let tag = CallTag {
            conversation: format!("c{i}"),
            role: RoleName::Judge,
            under_way: false,
        };
        match m.complete(&request(i), &tag).await {
            Ok(_) => sent += 1,
            Err(LlmError::Budget) => break,
            Err(e) => panic!("{e}"),
        }
    }
    let spent = m.totals().cost_usd;
    assert!(sent > 0 && sent < 50, "{sent}");
    // With one request in flight at a time, the overspend is at most one request's cost.
    let one = spent / sent as f64;
    assert!(spent < 0.05 + one + 1e-9, "spent {spent}");
    assert_eq!(server.stats().await.requests, sent as u64);
    // The panel's cost so far is the ledger's.
    let panel = m.snapshot();
    assert!(
        (panel.cost_usd - spent).abs() < 1e-6,
        "{panel:?} vs {spent}"
    );
    assert_eq!(panel.sent, sent as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_anthropic_client_speaks_messages_and_retries_through_faults() {
    use musegen::llm::anthropic::AnthropicBackend;
    let server = FakeServer::start(
        FakeConfig {
            api_key: Some("ant-key".into()),
            faults: Faults::spread(0.1),
            hang: Duration::from_secs(5),
            seed: 9,
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let backend = AnthropicBackend::new(
        &server.base_url(),
        Some(Secret::new("ant-key")),
        Duration::from_secs_f64(0.4),
    )
    .unwrap();
    let m = Arc::new(Manager::new(
        Arc::new(backend),
        limits(60_000, 16, 0.4),
        None,
        BTreeMap::new(),
    ));
    let results = run_all(&m, 0..120).await;
    assert!(
        results.iter().all(|r| r.is_ok()),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    assert!(results[0].as_ref().unwrap().starts_with("Fake answer"));
    assert!(m.totals().prompt_tokens > 0);
    // A wrong key stops with Anthropic's 401.
    let bad = AnthropicBackend::new(
        &server.base_url(),
        Some(Secret::new("nope-key")),
        Duration::from_secs(5),
    )
    .unwrap();
    let m = Arc::new(Manager::new(
        Arc::new(bad),
        limits(60_000, 4, 5.0),
        None,
        BTreeMap::new(),
    ));
    let results = run_all(&m, 0..20).await;
    assert!(results.iter().all(|r| r.is_err()));
    assert!(m.stopped().unwrap().contains("401"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_answers_read_the_same_and_cut_streams_are_retried() {
    use musegen::llm::anthropic::AnthropicBackend;
    let server = FakeServer::start(
        FakeConfig {
            faults: Faults {
                malformed: 0.15,
                length: 0.05,
                ..Faults::default()
            },
            seed: 11,
            ..FakeConfig::default()
        },
        0,
    )
    .await
    .unwrap();
    let timeout = Duration::from_secs(5);
    let openai: Arc<dyn musegen::llm::ChatBackend> =
        Arc::new(OpenAiBackend::new(&server.base_url(), Some(Secret::new("k")), timeout).unwrap());
    let anthropic: Arc<dyn musegen::llm::ChatBackend> = Arc::new(
        AnthropicBackend::new(&server.base_url(), Some(Secret::new("k")), timeout).unwrap(),
    );
    for backend in [openai, anthropic] {
        assert!(backend.capabilities().streaming);
        let m = Manager::new(backend, limits(60_000, 8, 5.0), None, BTreeMap::new());
        for i in 0..60 {
            let tag = CallTag {
                conversation: format!("s{i}"),
                role: RoleName::UserAgent,
                under_way: false,
            };
            let plain = m.complete(&request(i), &tag).await.unwrap();
            let streamed = m
                .complete(
                    &ChatRequest {
                        stream: true,
                        client_id: None,
                        ..request(i)
                    },
                    &tag,
                )
                .await
                .unwrap();
            // The fake answers from the request's hash, which `stream` changes: compare the shape, not the bytes.
            assert!(streamed.content.starts_with("Fake answer"), "{streamed:?}");
            assert_eq!(
                streamed.content.split(" ").skip(3).collect::<Vec<_>>(),
                plain.content.split(" ").skip(3).collect::<Vec<_>>()
            );
            assert!(streamed.usage.unwrap().completion_tokens > 0);
        }
        assert!(m.totals().retries > 5, "{:?}", m.totals());
        assert_eq!(m.totals().failures, 0);
    }
    let stats = server.stats().await;
    assert!(stats.streamed >= 120, "{stats:?}");
}

mod structured {
    use super::*;
    use musegen::llm::anthropic::AnthropicBackend;
    use musegen::llm::{BoxFuture, Capabilities, ChatBackend, ChatResponse, Completion, RateHints};
    use musegen::manager::structured::{StructuredPrompts, complete_json};
    use serde_json::json;

    fn schema() -> serde_json::Value {
        json!({"type": "object", "properties": {"score": {"type": "integer"}, "reason": {"type": "string"}}, "required": ["score", "reason"]})
    }

    fn tag() -> CallTag {
        CallTag {
            conversation: "c1".into(),
            role: RoleName::Judge,
            under_way: false,
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn json_schema_backends_get_the_schema_and_others_get_it_in_the_prompt() {
        let server = FakeServer::start(FakeConfig::default(), 0).await.unwrap();
        let prompts = StructuredPrompts::load(None).unwrap();
        let openai = manager(&server, "k", limits(60_000, 4, 5.0), None, BTreeMap::new());
        let v = complete_json(&openai, &prompts, request(1), &schema(), &tag())
            .await
            .unwrap();
        assert_eq!(v, json!({"score": 1, "reason": "x"}));
        let backend = AnthropicBackend::new(
            &server.base_url(),
            Some(Secret::new("k")),
            Duration::from_secs(5),
        )
        .unwrap();
        let anthropic = Manager::new(
            Arc::new(backend),
            limits(60_000, 4, 5.0),
            None,
            BTreeMap::new(),
        );
        let v = complete_json(&anthropic, &prompts, request(2), &schema(), &tag())
            .await
            .unwrap();
        assert_eq!(
            v,
            json!({"score": 1, "reason": "x"}),
            "parsed out of prose and a code fence"
        );
        assert_eq!(server.stats().await.requests, 2, "no re-ask was needed");
    }

    /// A backend that answers from a script and keeps what it was sent.
    struct Scripted {
        answers: std::sync::Mutex<Vec<&'static str>>,
        seen: std::sync::Mutex<Vec<ChatRequest>>,
    }

    impl ChatBackend for Scripted {
        fn complete<'a>(
            &'a self,
            request: &'a ChatRequest,
        ) -> BoxFuture<'a, Result<Completion, LlmError>> {
            self.seen.lock().unwrap().push(request.clone());
            let content = self.answers.lock().unwrap().remove(0).to_string();
            Box::pin(std::future::ready(Ok(Completion {
                response: ChatResponse {
                    content,
                    finish_reason: Some("stop".into()),
                    usage: None,
                    latency_ms: None,
                    first_token_ms: None,
                },
                hints: RateHints::default(),
            })))
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::default()
        }
    }

    #[tokio::test]
    async fn an_unusable_answer_is_re_asked_once_with_the_reason() {
        let prompts = StructuredPrompts::load(None).unwrap();
        let scripted = Arc::new(Scripted {
            answers: std::sync::Mutex::new(vec![
                "I think it is quite good.",
                "{\"score\": 4, \"reason\": \"fits\"}",
            ]),
            seen: std::sync::Mutex::new(Vec::new()),
        });
        let m = Manager::new(
            scripted.clone(),
            limits(60_000, 2, 5.0),
            None,
            BTreeMap::new(),
        );
        let v = complete_json(&m, &prompts, request(1), &schema(), &tag())
            .await
            .unwrap();
        assert_eq!(v["score"], 4);
        {
            let seen = scripted.seen.lock().unwrap();
            assert_eq!(seen.len(), 2);
            assert!(
                seen[0].messages[0]
                    .content
                    .contains("\"required\":[\"score\",\"reason\"]"),
                "the schema is in the prompt"
            );
            let reask = &seen[1].messages.last().unwrap().content;
            assert!(reask.contains("no JSON object"), "{reask}");
        }
        let stubborn = Arc::new(Scripted {
            answers: std::sync::Mutex::new(vec!["{\"score\": 1}", "still {\"score\": 1}"]),
            seen: std::sync::Mutex::new(Vec::new()),
        });
        let m = Manager::new(stubborn, limits(60_000, 2, 5.0), None, BTreeMap::new());
        let err = complete_json(&m, &prompts, request(1), &schema(), &tag())
            .await
            .unwrap_err();
        assert!(
            matches!(err, LlmError::Malformed(ref e) if e.contains("reason")),
            "{err}"
        );
    }
}
