//! LLM manager throughput against the fake server on 127.0.0.1.
//! A: 9,000 requests against a server enforcing 3,000 RPM (sliding minute) with ~300 ms median latency: the share
//!    of the limit achieved, 429s received, requests lost, and the orchestrator's CPU time per request.
//! B: the highest request rate against a zero-latency server with no limits.
//! Run with `cargo bench --bench llm_throughput` (MUSEGEN_BENCH_REQUESTS overrides 9,000; MUSEGEN_BENCH_LATENCY_MS
//! overrides A's 300 ms median latency, e.g. 2000 for what real models take).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use musegen::config::{LimitsConfig, RoleName};
use musegen::llm::fake::{FakeConfig, FakeServer};
use musegen::llm::openai::OpenAiBackend;
use musegen::llm::{ApiRole, ChatMessage, ChatRequest, Secret};
use musegen::manager::{CallTag, Manager};

/// Start the fake server on its own thread and runtime; returns its base URL, a stats probe, and its CPU time at stop.
fn serve(
    cfg: FakeConfig,
) -> (
    String,
    std::sync::mpsc::Sender<()>,
    std::sync::mpsc::Receiver<(f64, String)>,
) {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let server = FakeServer::start(cfg, 0).await.unwrap();
            url_tx.send(server.base_url()).unwrap();
            let start_cpu = common::cpu_seconds("/proc/thread-self/stat");
            loop {
                if stop_rx.try_recv().is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let stats = serde_json::to_string(&server.stats().await).unwrap();
            done_tx
                .send((
                    common::cpu_seconds("/proc/thread-self/stat") - start_cpu,
                    stats,
                ))
                .unwrap();
        });
    });
    (url_rx.recv().unwrap(), stop_tx, done_rx)
}

fn request(i: usize) -> ChatRequest {
    ChatRequest {
        model: "fake-model".into(),
        messages: vec![
            ChatMessage::text(ApiRole::System, "You are a helpful shopping assistant."),
            ChatMessage::text(
                ApiRole::User,
                format!("I need hiking boots under $120, request {i}."),
            ),
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

fn run(name: &str, server: FakeConfig, limits: LimitsConfig, n: usize) {
    let (url, stop, done) = serve(server);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let cpu0 = common::cpu_seconds("/proc/self/stat");
    let started = Instant::now();
    let (ok, lost, totals) = rt.block_on(async move {
        let backend =
            OpenAiBackend::new(&url, Some(Secret::new("bench")), Duration::from_secs(30)).unwrap();
        let m = Arc::new(Manager::new(
            Arc::new(backend),
            limits,
            None,
            BTreeMap::new(),
        ));
        let tasks: Vec<_> = (0..n)
            .map(|i| {
                let m = m.clone();
                tokio::spawn(async move {
                    let tag = CallTag {
                        conversation: format!("c{i}"),
                        role: RoleName::SystemAgent,
                        under_way: false,
                    };
                    m.complete(&request(i), &tag).await.is_ok()
                })
            })
            .collect();
        let mut ok = 0;
        for t in tasks {
            if t.await.unwrap() {
                ok += 1;
            }
        }
        (ok, n - ok, m.totals())
    });
    let secs = started.elapsed().as_secs_f64();
    let cpu = common::cpu_seconds("/proc/self/stat") - cpu0;
    stop.send(()).unwrap();
    let (server_cpu, stats) = done.recv().unwrap();
    let client_cpu = (cpu - server_cpu).max(0.0);
    println!(
        "{name}: {ok} ok, {lost} lost, {} attempts, in {secs:.1}s = {:.0} requests/min ({:.1}/s)",
        totals.requests,
        ok as f64 / secs * 60.0,
        ok as f64 / secs
    );
    println!("  server saw: {stats}");
    println!(
        "  orchestrator CPU {client_cpu:.2}s = {:.0} µs per request (server thread {server_cpu:.2}s)",
        client_cpu / n as f64 * 1e6
    );
}

fn main() {
    let n: usize = std::env::var("MUSEGEN_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9000);
    let latency_ms = common::env_count("MUSEGEN_BENCH_LATENCY_MS", 300) as f64;
    let limited = FakeConfig {
        latency_ms,
        latency_sigma: 0.3,
        rpm: Some(3000),
        ..FakeConfig::default()
    };
    let limits = LimitsConfig {
        rpm: 3000u32.try_into().unwrap(),
        tpm: 100_000_000u32.try_into().unwrap(),
        concurrency: 64usize.try_into().unwrap(),
        ..LimitsConfig::default()
    };
    run(
        &format!("A: 3,000 RPM limit, {latency_ms:.0} ms latency"),
        limited,
        limits.clone(),
        n,
    );
    let open = FakeConfig {
        latency_ms: 0.01,
        latency_sigma: 0.0,
        ..FakeConfig::default()
    };
    let unlimited = LimitsConfig {
        rpm: 100_000_000u32.try_into().unwrap(),
        ..limits
    };
    run("B: zero-latency server, no limits", open, unlimited, 20_000);
}
