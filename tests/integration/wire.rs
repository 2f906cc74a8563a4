//! The LLM clients on the wire, against the fake server on 127.0.0.1: the token-limit field reasoning models
//! require, pass-through request fields, token accounting with cached and reasoning tokens, stale pooled
//! connections, streamed answers read as they arrive, proxies from the environment, and the organisation headers.

use musegen::llm::fake::{FakeConfig, FakeServer};

use crate::util::jsonl;

fn server(cfg: FakeConfig) -> (tokio::runtime::Runtime, FakeServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(FakeServer::start(cfg, 0)).unwrap();
    (rt, server)
}

/// Variables of the environment that change where and how musegen connects, removed so that only a test's own
/// reach the run.
const NETWORK_VARS: [&str; 14] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
];

/// `musegen run` of `examples/llm.toml`, four conversations, against `base`, with `extra` arguments and `env`.
fn run(
    dir: &std::path::Path,
    base: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> crate::util::Output {
    let config = crate::util::repo("examples/llm.toml");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_musegen"));
    cmd.args([
        "run",
        "--config",
        config.to_str().unwrap(),
        "--out",
        "out",
        "-q",
        "--set",
        "profiles.count=4",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
        "--set",
        "export.dpo.sources=[\"sim\"]",
    ])
    .args(extra)
    .current_dir(dir)
    .env_remove("RUST_LOG");
    for var in NETWORK_VARS {
        cmd.env_remove(var);
    }
    cmd.env("OPENAI_BASE_URL", base)
        .env("OPENAI_API_KEY", "sk-wire-test");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    crate::util::Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_reasoning_model_that_refuses_max_tokens_gets_max_completion_tokens_and_the_extra_fields() {
    let (rt, server) = server(FakeConfig {
        cache_read_share: 0.5,
        reasoning_tokens: 16,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &server.base_url(),
        &[
            "--set",
            "roles.user_agent.model=\"gpt-5-mini\"",
            "--set",
            "roles.system_agent.model=\"gpt-5-mini\"",
            "--set",
            "roles.system_agent.extra.reasoning_effort=\"low\"",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let conversations = jsonl(&dir.path().join("out/conversations.jsonl"));
    assert_eq!(conversations.len(), 4);
    // The conversation records its cached and reasoning tokens, the reasoning inside the completion.
    for c in &conversations {
        let u = &c["usage"];
        let requests = u["requests"].as_u64().unwrap();
        assert_eq!(u["reasoning_tokens"].as_u64(), Some(16 * requests), "{u}");
        assert!(
            u["completion_tokens"].as_u64().unwrap() > 16 * requests,
            "{u}"
        );
        assert!(u["cache_read_tokens"].as_u64().unwrap() > 0, "{u}");
    }
    let usage = std::fs::read_to_string(dir.path().join("out/usage.csv")).unwrap();
    assert!(
        usage.starts_with("conversation,role,model,requests,cached,retries,failures,prompt_tokens,completion_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,latency_ms,cost_usd\n"),
        "{usage}"
    );
    let stats = rt.block_on(server.stats());
    assert_eq!(stats.by_status.get(&400), None, "{stats:?}");
    assert_eq!(stats.fields.get("max_tokens"), None);
    assert_eq!(
        stats.fields.get("max_completion_tokens"),
        Some(&stats.requests)
    );
    let effort = stats.fields.get("reasoning_effort").copied().unwrap_or(0);
    assert!(
        effort > 0 && effort < stats.requests,
        "only the system agent's: {effort}"
    );
}

#[test]
fn a_server_that_knows_only_max_tokens_gets_it_and_the_fake_refuses_it_for_reasoning_models() {
    let (rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let old_field = [
        "--set",
        "roles.user_agent.token_limit_field=\"max_tokens\"",
        "--set",
        "roles.system_agent.token_limit_field=\"max_tokens\"",
    ];
    let out = run(dir.path(), &server.base_url(), &old_field, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stats = rt.block_on(server.stats());
    assert_eq!(stats.fields.get("max_tokens"), Some(&stats.requests));
    assert_eq!(stats.fields.get("max_completion_tokens"), None);
    // The same with a reasoning model: the fake answers 400 as OpenAI does, and the run stops at once.
    let dir = tempfile::tempdir().unwrap();
    let mut args = old_field.to_vec();
    args.extend(["--set", "roles.user_agent.model=\"o4-mini\""]);
    let out = run(dir.path(), &server.base_url(), &args, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("max_completion_tokens"),
        "{}",
        out.stderr
    );
}

#[test]
fn extra_fields_may_not_replace_what_musegen_builds() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "http://127.0.0.1:9/v1",
        &["--set", "roles.user_agent.extra.model=\"other\""],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("roles.user_agent.extra.model"),
        "{}",
        out.stderr
    );
}

mod accounting {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use musegen::config::{LimitsConfig, RoleName};
    use musegen::llm::anthropic::AnthropicBackend;
    use musegen::llm::fake::{FakeConfig, FakeServer, Faults};
    use musegen::llm::openai::OpenAiBackend;
    use musegen::llm::{ApiRole, ChatBackend, ChatMessage, ChatRequest, LlmError, Secret};
    use musegen::manager::{CallTag, Manager, ModelPrice, Priced};

    /// An OpenAI client of `server`.
    fn openai(server: &FakeServer) -> Arc<dyn ChatBackend> {
        Arc::new(
            OpenAiBackend::new(
                &server.base_url(),
                Some(Secret::new("k")),
                Duration::from_secs(5),
            )
            .unwrap(),
        )
    }

    pub(super) fn limits(max_retries: u32) -> LimitsConfig {
        LimitsConfig {
            rpm: 60_000u32.try_into().unwrap(),
            tpm: 50_000_000u32.try_into().unwrap(),
            backoff_base_ms: 1,
            backoff_max_ms: 5,
            max_retries,
            ..LimitsConfig::default()
        }
    }

    pub(super) fn request(model: &str, i: usize) -> ChatRequest {
        let mut r = ChatRequest::for_role(
            &musegen::config::RoleConfig {
                model: model.into(),
                ..Default::default()
            },
            vec![
                ChatMessage::text(ApiRole::System, "You are a shopper. ".repeat(40)),
                ChatMessage::text(ApiRole::User, format!("Say something about item {i}.")),
            ],
            64,
        );
        r.max_tokens = Some(64);
        r
    }

    pub(super) fn tag(i: usize) -> CallTag {
        CallTag {
            conversation: format!("c{i}"),
            role: RoleName::UserAgent,
            under_way: false,
        }
    }

    fn price() -> ModelPrice {
        ModelPrice {
            input_per_mtok: 3.0,
            output_per_mtok: 15.0,
            cached_input_per_mtok: Some(0.3),
            cache_write_per_mtok: Some(3.75),
        }
    }

    fn manager(backend: Arc<dyn ChatBackend>, model: &str, max_retries: u32) -> Manager {
        Manager::new(
            backend,
            limits(max_retries),
            None,
            BTreeMap::from([(model.to_string(), price())]),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn anthropic_prompt_tokens_include_cache_reads_streamed_or_not_and_are_priced_at_the_cached_rate()
     {
        let server = FakeServer::start(
            FakeConfig {
                cache_read_share: 0.95,
                ..FakeConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        let base = server.base_url();
        let backend =
            AnthropicBackend::new(&base, Some(Secret::new("k")), Duration::from_secs(5)).unwrap();
        let m = manager(Arc::new(backend), "claude-x", 0);
        let mut expected_cost = 0.0;
        for (i, stream) in [(0, false), (1, true)] {
            let mut r = request("claude-x", i);
            r.stream = stream;
            let answer = m.complete(&r, &tag(i)).await.unwrap();
            let u = answer.usage.unwrap();
            // The fake counts about a quarter token per byte of the body: far more than the 5% left uncached.
            assert!(u.prompt_tokens > 150, "stream {stream}: {u:?}");
            assert!(u.cache_read_tokens * 10 > u.prompt_tokens * 9, "{u:?}");
            assert_eq!(
                u.uncached_prompt_tokens() + u.cache_read_tokens,
                u.prompt_tokens
            );
            expected_cost += price().cost(&u);
        }
        let total = m.totals();
        assert!((total.cost_usd - expected_cost).abs() < 1e-12);
        // Cached reads at a tenth of the input price: well under the cost of the whole prompt at the full rate.
        let full = (total.prompt_tokens as f64 * 3.0 + total.completion_tokens as f64 * 15.0) / 1e6;
        assert!(total.cost_usd < 0.5 * full, "{} vs {full}", total.cost_usd);
        assert_eq!(total.cache_write_tokens, 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openai_cached_and_reasoning_tokens_are_read_and_reasoning_stays_inside_the_completion()
    {
        let server = FakeServer::start(
            FakeConfig {
                cache_read_share: 0.5,
                reasoning_tokens: 64,
                ..FakeConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        let m = manager(openai(&server), "gpt-5-mini", 0);
        for (i, stream) in [(0, false), (1, true)] {
            let mut r = request("gpt-5-mini", i);
            r.stream = stream;
            let u = m.complete(&r, &tag(i)).await.unwrap().usage.unwrap();
            assert_eq!(u.reasoning_tokens, 64, "stream {stream}");
            assert!(u.completion_tokens > 64, "{u:?}");
            assert_eq!(u.cache_read_tokens, u.prompt_tokens / 2, "{u:?}");
        }
        let t = m.totals();
        assert_eq!(t.reasoning_tokens, 128);
        assert!(t.cache_read_tokens > 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_cut_at_the_token_limit_are_counted_and_paid_for_in_the_ledger() {
        let server = FakeServer::start(
            FakeConfig {
                faults: Faults {
                    length: 1.0,
                    ..Faults::default()
                },
                ..FakeConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        let m = manager(openai(&server), "gpt-4o", 2);
        let err = m
            .complete(&request("gpt-4o", 0), &tag(0))
            .await
            .unwrap_err();
        // Asked again with the budget doubled, 64 up to the 4096 cap: seven attempts, every one paid for.
        assert!(matches!(err, LlmError::Truncated(4096)), "{err}");
        let t = m.totals();
        assert_eq!((t.requests, t.retries, t.failures), (7, 6, 1));
        assert!(t.prompt_tokens > 7 * 100, "{t:?}");
        assert!(t.completion_tokens >= 7, "{t:?}");
        assert!(t.cost_usd > 0.0);
    }

    #[test]
    fn the_estimate_uses_the_model_familys_tokenizer() {
        for model in [
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1-mini",
            "gpt-5-mini",
            "o3-mini",
            "o1",
            "openai/gpt-4o",
        ] {
            assert!(musegen::manager::uses_o200k(model), "{model}");
        }
        for model in ["gpt-4", "gpt-3.5-turbo", "llama-3.1-8b", "claude-sonnet-4"] {
            assert!(!musegen::manager::uses_o200k(model), "{model}");
        }
        // The two encodings count the same text differently, so the choice shows in the estimate.
        let text =
            "Ich suche bequeme Wanderschuhe unter 120 Euro, wasserdicht und leicht. ".repeat(20);
        let with = |model: &str| {
            Manager::estimate_tokens(&ChatRequest {
                max_tokens: Some(0),
                ..ChatRequest::for_role(
                    &musegen::config::RoleConfig {
                        model: model.into(),
                        ..Default::default()
                    },
                    vec![ChatMessage::text(ApiRole::User, text.clone())],
                    0,
                )
            })
        };
        assert_ne!(with("gpt-4o"), with("gpt-4"));
    }
}

mod transport {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use musegen::llm::anthropic::AnthropicBackend;
    use musegen::llm::fake::{FakeConfig, FakeServer, Faults};
    use musegen::llm::openai::OpenAiBackend;
    use musegen::llm::{ChatBackend, LlmError, Secret};
    use musegen::manager::Manager;

    use super::accounting::{limits, request, tag};

    fn backends(server: &FakeServer) -> [(&'static str, Arc<dyn ChatBackend>); 2] {
        let timeout = Duration::from_secs(5);
        let key = || Some(Secret::new("k"));
        [
            (
                "openai",
                Arc::new(OpenAiBackend::new(&server.base_url(), key(), timeout).unwrap()),
            ),
            (
                "anthropic",
                Arc::new(AnthropicBackend::new(&server.base_url(), key(), timeout).unwrap()),
            ),
        ]
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_pooled_connection_closed_by_the_server_is_sent_again_at_once_and_is_no_fault() {
        let server = FakeServer::start(
            FakeConfig {
                close_reused: true,
                ..FakeConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        for (name, backend) in backends(&server) {
            // No retries allowed: only the transport's own second send can save the reused connections.
            let m = Manager::new(backend, limits(0), None, BTreeMap::new());
            for i in 0..5 {
                let answer = m.complete(&request("gpt-4o", i), &tag(i)).await;
                assert!(answer.is_ok(), "{name} {i}: {answer:?}");
            }
            let t = m.totals();
            assert_eq!((t.requests, t.retries, t.failures), (5, 0, 0), "{name}");
        }
        let stats = server.stats().await;
        assert_eq!(stats.by_status.get(&200), Some(&10));
        // Requests after a client's first come on a kept-alive connection (unless the pool had not got it back
        // yet), which the server closed under them: each was sent again on a fresh one.
        let closed = stats.by_status.get(&0).copied().unwrap_or(0);
        assert!((1..=8).contains(&closed), "{stats:?}");
        assert_eq!(stats.requests, 10 + closed);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn streams_are_read_as_they_arrive_with_the_time_to_first_token() {
        let gap = Duration::from_millis(400);
        let server = FakeServer::start(
            FakeConfig {
                stream_gap: gap,
                ..FakeConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        for (name, backend) in backends(&server) {
            let m = Manager::new(backend, limits(0), None, BTreeMap::new());
            let mut r = request("gpt-4o", 0);
            r.stream = true;
            let answer = m.complete(&r, &tag(0)).await.unwrap();
            assert!(
                answer.content.starts_with("Fake answer"),
                "{name}: {answer:?}"
            );
            let first = answer.first_token_ms.unwrap();
            let all = answer.latency_ms.unwrap();
            // The server held the second half of the events back for `gap` after the first text went out: a
            // client that waited for the whole body would see its first token only at the end.
            let gap_ms = gap.as_millis() as u64;
            assert!(all >= gap_ms, "{name}: done at {all} ms");
            assert!(
                all - first >= gap_ms / 2,
                "{name}: first token at {first} ms, done at {all} ms"
            );
            // Unstreamed answers have no time to first token.
            let plain = m.complete(&request("gpt-4o", 1), &tag(1)).await.unwrap();
            assert_eq!(plain.first_token_ms, None);
            assert!(plain.latency_ms.is_some());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn error_events_mid_stream_are_typed_errors_that_are_retried() {
        let server = FakeServer::start(
            FakeConfig {
                faults: Faults {
                    stream_error: 1.0,
                    ..Faults::default()
                },
                ..FakeConfig::default()
            },
            0,
        )
        .await
        .unwrap();
        for (name, backend) in backends(&server) {
            let m = Manager::new(backend, limits(1), None, BTreeMap::new());
            let mut r = request("gpt-4o", 0);
            r.stream = true;
            let err = m.complete(&r, &tag(0)).await.unwrap_err();
            let want = if name == "openai" { 500 } else { 529 };
            match &err {
                LlmError::Status {
                    status, message, ..
                } => {
                    assert_eq!(*status, want, "{name}: {err}");
                    assert!(message.starts_with("stream error: "), "{message}");
                }
                other => panic!("{name}: {other:?}"),
            }
            assert!(err.is_retryable());
            let t = m.totals();
            assert_eq!((t.requests, t.retries, t.failures), (2, 1, 1), "{name}");
            // Unstreamed, the same server answers.
            assert!(m.complete(&request("gpt-4o", 1), &tag(1)).await.is_ok());
        }
    }
}

#[test]
fn llm_turns_record_their_real_latency_and_a_replay_from_the_cache_writes_the_same_bytes() {
    let (rt, server) = server(FakeConfig {
        latency_ms: 20.0,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    // Simulated latencies would be around 100 s: far from the fake server's 20 ms.
    let args = [
        "--set",
        "dialogue.user_latency_ms=100000",
        "--set",
        "dialogue.system_latency_ms=100000",
        "--set",
        "roles.user_agent.stream=true",
        // Recommendations the model decides (needs, search, pick) record the time of those requests too.
        "--set",
        "roles.system_agent.decide=\"llm\"",
    ];
    let out = run(dir.path(), &server.base_url(), &args, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let path = dir.path().join("out/conversations.jsonl");
    let first = std::fs::read(&path).unwrap();
    let conversations = jsonl(&path);
    let mut streamed = 0;
    let mut decided = 0;
    for c in &conversations {
        for t in c["turns"].as_array().unwrap() {
            let ms = t["latency_ms"].as_u64().unwrap();
            assert!(ms < 10_000, "a simulated latency: {t}");
            match t["role"].as_str().unwrap() {
                "user" => {
                    let first_token = t["first_token_ms"].as_u64().expect("streamed user turn");
                    assert!(first_token <= ms, "{t}");
                    streamed += 1;
                }
                _ => {
                    assert!(t.get("first_token_ms").is_none(), "{t}");
                    decided += usize::from(t["action"] == "recommend");
                }
            }
        }
        let total: u64 = c["turns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["latency_ms"].as_u64().unwrap())
            .sum();
        assert_eq!(c["usage"]["latency_ms"].as_u64(), Some(total));
    }
    assert!(streamed > 0 && decided > 0, "{streamed} {decided}");
    let sent = rt.block_on(server.stats()).requests;
    // The output lost, the cache kept: the replay sends nothing and writes the same bytes, latencies included.
    std::fs::remove_file(&path).unwrap();
    let again = run(dir.path(), &server.base_url(), &args, &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(rt.block_on(server.stats()).requests, sent);
    let replayed = std::fs::read_to_string(&path).unwrap();
    // LLM conversations are written as they complete: the same lines, in whatever order.
    let first = String::from_utf8(first).unwrap();
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort_unstable();
        lines
    };
    let (first, replayed) = (sorted(&first), sorted(&replayed));
    for (a, b) in first.iter().zip(&replayed) {
        assert_eq!(a, b, "the replay differs");
    }
    assert_eq!(first, replayed);
}

mod network {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use musegen::llm::fake::FakeConfig;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::rustls;

    use super::{run, server};

    /// A TLS front for `target` on 127.0.0.1, with a certificate for `localhost` and 127.0.0.1 signed by a CA made
    /// for the test: its port, and the CA as PEM (what `SSL_CERT_FILE` points at).
    fn tls_front(rt: &tokio::runtime::Runtime, target: SocketAddr) -> (u16, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "musegen test CA");
        let ca = ca.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let mut leaf = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        leaf.subject_alt_names
            .push(rcgen::SanType::IpAddress("127.0.0.1".parse().unwrap()));
        let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        )
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        rt.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(stream).await else {
                        return;
                    };
                    if let Ok(mut plain) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                    }
                });
            }
        });
        (port, ca.pem())
    }

    /// An HTTP proxy on 127.0.0.1 (CONNECT tunnels and absolute-form requests): its port, and the first request
    /// line of every connection it carried.
    fn proxy(rt: &tokio::runtime::Runtime) -> (u16, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log = seen.clone();
        rt.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let line = text.lines().next().unwrap_or("").to_string();
                    log.lock().unwrap().push(line.clone());
                    let mut parts = line.split(' ');
                    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    let authority = if method == "CONNECT" {
                        target.to_string()
                    } else {
                        let rest = target.strip_prefix("http://").unwrap_or(target);
                        rest.split('/').next().unwrap_or("").to_string()
                    };
                    let Ok(mut upstream) = TcpStream::connect(authority.as_str()).await else {
                        return;
                    };
                    if method == "CONNECT" {
                        let ok = b"HTTP/1.1 200 Connection established\r\n\r\n";
                        if client.write_all(ok).await.is_err() {
                            return;
                        }
                    } else if upstream.write_all(&head).await.is_err() {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                });
            }
        });
        (port, seen)
    }

    #[test]
    fn https_trusts_the_ca_in_ssl_cert_file_and_goes_through_https_proxy() {
        let (rt, server) = server(FakeConfig::default());
        let (tls_port, ca) = tls_front(&rt, server.addr());
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("ca.pem");
        std::fs::write(&ca_file, ca).unwrap();
        let base = format!("https://localhost:{tls_port}/v1");
        let once = ["--set", "limits.max_retries=0"];
        for sub in ["a", "b", "c"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        // Not in the bundled roots nor the system store: refused.
        let refused = run(&dir.path().join("a"), &base, &once, &[]);
        assert_ne!(refused.code, 0, "{}", refused.stderr);
        assert_eq!(rt.block_on(server.stats()).requests, 0);
        // Trusted through SSL_CERT_FILE.
        let ca_var = ca_file.to_str().unwrap();
        let out = run(
            &dir.path().join("b"),
            &base,
            &[],
            &[("SSL_CERT_FILE", ca_var)],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let direct = rt.block_on(server.stats()).requests;
        assert!(direct > 0);
        // And through an HTTPS proxy from the environment, as a CONNECT tunnel.
        let (proxy_port, seen) = proxy(&rt);
        let proxy_url = format!("http://127.0.0.1:{proxy_port}");
        let out = run(
            &dir.path().join("c"),
            &base,
            &[],
            &[("SSL_CERT_FILE", ca_var), ("HTTPS_PROXY", &proxy_url)],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(rt.block_on(server.stats()).requests, 2 * direct);
        let seen = seen.lock().unwrap().clone();
        assert!(!seen.is_empty());
        let want = format!("CONNECT localhost:{tls_port} HTTP/1.1");
        assert!(seen.iter().all(|l| *l == want), "{seen:?}");
    }

    #[test]
    fn http_proxy_and_no_proxy_from_the_environment_are_honoured_and_the_account_headers_sent_unprinted()
     {
        let (rt, server) = server(FakeConfig::default());
        let (proxy_port, seen) = proxy(&rt);
        let proxy_url = format!("http://127.0.0.1:{proxy_port}");
        let base = server.base_url();
        let accounts = [
            ("OPENAI_ORG_ID", "org-wire7"),
            ("OPENAI_PROJECT_ID", "proj_wire9"),
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut env = vec![("HTTP_PROXY", proxy_url.as_str())];
        env.extend(accounts);
        let out = run(dir.path(), &base, &[], &env);
        assert_eq!(out.code, 0, "{}", out.stderr);
        let stats = rt.block_on(server.stats());
        let lines = seen.lock().unwrap().clone();
        assert!(!lines.is_empty());
        let want = format!("POST {base}/chat/completions HTTP/1.1");
        assert!(lines.iter().all(|l| *l == want), "{lines:?}");
        assert_eq!(
            stats.accounts.get("openai-organization: org-wire7"),
            Some(&stats.requests)
        );
        assert_eq!(
            stats.accounts.get("openai-project: proj_wire9"),
            Some(&stats.requests)
        );
        // Sent, never written: not in the output, the logs, the ledger or the cache.
        for (_, value) in accounts {
            assert!(!out.stdout.contains(value) && !out.stderr.contains(value));
            for entry in walk(&dir.path().join("out")) {
                let bytes = std::fs::read(&entry).unwrap();
                let found = bytes.windows(value.len()).any(|w| w == value.as_bytes());
                assert!(!found, "{value} in {}", entry.display());
            }
        }
        // NO_PROXY sends straight to the server.
        let before = lines.len();
        let dir = tempfile::tempdir().unwrap();
        let out = run(
            dir.path(),
            &base,
            &[],
            &[("HTTP_PROXY", &proxy_url), ("NO_PROXY", "127.0.0.1")],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(seen.lock().unwrap().len(), before);
        assert!(rt.block_on(server.stats()).requests > stats.requests);
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files.extend(walk(&path));
            } else {
                files.push(path);
            }
        }
        files
    }
}

mod unparseable {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use musegen::llm::{
        BoxFuture, Capabilities, ChatBackend, ChatRequest, ChatResponse, Completion, LlmError,
        RateHints, TokenUsage,
    };
    use musegen::manager::{Manager, ModelPrice};

    use super::accounting::{limits, request, tag};

    /// A model that answers every request with prose and no JSON, and reports what it used.
    struct Rambling;

    impl ChatBackend for Rambling {
        fn complete<'a>(
            &'a self,
            _request: &'a ChatRequest,
        ) -> BoxFuture<'a, Result<Completion, LlmError>> {
            Box::pin(std::future::ready(Ok(Completion {
                response: ChatResponse {
                    content: "I would rather talk about the weather.".into(),
                    finish_reason: Some("stop".into()),
                    usage: Some(TokenUsage {
                        prompt_tokens: 1000,
                        completion_tokens: 100,
                        ..TokenUsage::default()
                    }),
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
    async fn structured_answers_that_never_parse_are_still_counted_and_priced() {
        let price = ModelPrice {
            input_per_mtok: 1.0,
            output_per_mtok: 10.0,
            ..ModelPrice::default()
        };
        let m = Manager::new(
            Arc::new(Rambling),
            limits(0),
            None,
            BTreeMap::from([("gpt-4o".to_string(), price)]),
        );
        let prompts = musegen::manager::structured::StructuredPrompts::load(None).unwrap();
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"ok": {"type": "boolean"}},
            "required": ["ok"],
        });
        let answer = musegen::manager::structured::complete_json(
            &m,
            &prompts,
            request("gpt-4o", 0),
            &schema,
            &tag(0),
        )
        .await;
        assert!(matches!(answer, Err(LlmError::Malformed(_))), "{answer:?}");
        // The first answer and every re-ask were paid for.
        let t = m.totals();
        assert!(t.requests >= 2, "{t:?}");
        assert_eq!(t.prompt_tokens, 1000 * t.requests);
        assert_eq!(t.completion_tokens, 100 * t.requests);
        let each = (1000.0 + 100.0 * 10.0) / 1e6;
        assert!((t.cost_usd - t.requests as f64 * each).abs() < 1e-12);
    }
}
