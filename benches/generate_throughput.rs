//! Whole `generate` runs with both agents on a language model, against the fake server on 127.0.0.1 enforcing a
//! sliding-minute RPM limit with lognormal latency (σ 0.35): how much of the limit the scheduler uses.
//!
//! For each median latency (300 ms, 2 s and 5 s unless MUSEGEN_BENCH_LATENCIES_MS says otherwise, e.g. `2000` or
//! `300,5000`) it prints:
//! - the share of the limit in steady state (successful answers between 10 s in and the start of the last
//!   conversation) and over the whole run (`generate`'s call, set-up excluded);
//! - the drain: from the last conversation's start to the end of the run, in mean conversation durations;
//! - the run's length in conversation durations (the run is sized for at least 30);
//! - 429s received, and musegen's CPU per request (the process's CPU less the server thread's, over the run).
//!
//! Run with `cargo bench --bench generate_throughput` (release). MUSEGEN_BENCH_RPM sets the limit (3,000),
//! MUSEGEN_BENCH_DURATIONS the run's length in conversation durations (35), MUSEGEN_BENCH_CONCURRENCY the
//! `limits.concurrency` ceiling (512), MUSEGEN_BENCH_AGENTS which agents are on the model (`both`, or `user` for
//! the user agent alone: fewer requests a conversation, so a 5 s case of 30 durations fits in minutes), and
//! MUSEGEN_BENCH_WINDOW the `limits.window` the client is told (`minute`, what the server counts; `second` for a
//! client that does not know it). Conversation starts and ends are read from the `musegen::generate::start` and
//! `musegen::generate::end` trace events.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use musegen::config::{AgentKind, BackendKind, Config, RateWindow};
use musegen::generate::{self, GeneratePaths};
use musegen::llm::fake::{FakeConfig, FakeServer};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Layer, filter::Targets};

/// Instants of conversation starts and ends, from generate's trace events.
#[derive(Default, Clone)]
struct Events {
    starts: Arc<Mutex<Vec<Instant>>>,
    ends: Arc<Mutex<Vec<Instant>>>,
}

impl<S: tracing::Subscriber> Layer<S> for Events {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let now = Instant::now();
        match event.metadata().target() {
            "musegen::generate::start" => self.starts.lock().unwrap().push(now),
            "musegen::generate::end" => self.ends.lock().unwrap().push(now),
            _ => {}
        }
    }
}

/// The fake server on its own thread and runtime: its base URL, its start, and a stop that returns its answer log
/// and its thread's CPU seconds.
type ServerLog = (Vec<(Duration, u16)>, f64);

fn serve(
    cfg: FakeConfig,
) -> (
    String,
    Instant,
    std::sync::mpsc::Sender<()>,
    std::sync::mpsc::Receiver<ServerLog>,
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
            url_tx.send((server.base_url(), server.started())).unwrap();
            let cpu = common::cpu_seconds("/proc/thread-self/stat");
            while stop_rx.try_recv().is_err() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let spent = common::cpu_seconds("/proc/thread-self/stat") - cpu;
            done_tx.send((server.answer_log(), spent)).unwrap();
        });
    });
    let (url, started) = url_rx.recv().unwrap();
    (url, started, stop_tx, done_rx)
}

/// The client's side of a case.
#[derive(Clone, Copy)]
struct Client {
    rpm: u32,
    concurrency: usize,
    /// Only the user agent on the model (the system agent sim).
    user_only: bool,
    window: RateWindow,
}

fn llm_config(base: &str, client: Client) -> Config {
    let mut config = Config {
        seed: 13,
        ..Config::default()
    };
    config.catalog.sample_items = std::num::NonZeroUsize::new(2000).unwrap();
    for role in [&mut config.roles.user_agent, &mut config.roles.system_agent] {
        role.agent = AgentKind::Llm;
        role.backend = BackendKind::Openai;
        role.model = "gpt-4o-mini".into();
        role.max_tokens = 150;
        role.base_url = Some(base.to_string());
        role.api_key_env = Some("MUSEGEN_BENCH_KEY".into());
    }
    if client.user_only {
        config.roles.system_agent.agent = AgentKind::Sim;
    }
    config.limits.rpm = std::num::NonZeroU32::new(client.rpm).unwrap();
    config.limits.window = client.window;
    config.limits.tpm = std::num::NonZeroU32::new(1_000_000_000).unwrap();
    config.limits.concurrency = std::num::NonZeroUsize::new(client.concurrency).unwrap();
    config.limits.cache = false;
    config.limits.request_timeout_secs = 120.0;
    config.dialogue.max_rounds = std::num::NonZeroU32::new(1).unwrap();
    config
}

fn run(latency_ms: f64, client: Client, durations: f64, events: &Events) {
    let rpm = client.rpm;
    let (base, server_start, stop, done) = serve(FakeConfig {
        latency_ms,
        latency_sigma: 0.35,
        rpm: Some(rpm),
        seed: 13,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let config = llm_config(&base, client);
    // Size the run for `durations` conversation durations (run time / conversation time = conversations / (rate ×
    // time a request takes), whatever the requests a conversation makes): a request takes the latency's mean (e^(σ²/2)
    // above the median), and waits for the limiter behind the slack the gate keeps (a fifth of the latency and about
    // a dozen requests).
    let per_request = latency_ms / 1000.0 * 1.07 * 1.2 + 0.3;
    let rate = f64::from(rpm) / 60.0;
    let sessions = (durations * per_request * rate).ceil() as usize + 50;
    let mut config = config;
    config.dialogue.sessions = sessions;
    let catalog = dir.path().join("catalog.db");
    let profiles = dir.path().join("profiles.jsonl");
    let mut sim = config.clone();
    sim.roles.user_agent.agent = AgentKind::Sim;
    sim.roles.system_agent.agent = AgentKind::Sim;
    musegen::pipeline::build_sample_catalog(&sim, &catalog, None, true).unwrap();
    musegen::profiles::generate(
        &musegen::plan::Plan::new(sim.clone()).unwrap(),
        &catalog,
        &profiles,
        500,
        true,
        false,
    )
    .unwrap();
    let paths = GeneratePaths {
        profiles,
        catalog,
        out: dir.path().join("conversations.jsonl"),
        failures: dir.path().join("failures.jsonl"),
    };
    events.starts.lock().unwrap().clear();
    events.ends.lock().unwrap().clear();
    let cpu = common::cpu_seconds("/proc/self/stat");
    let t0 = Instant::now();
    let report = generate::generate(&config, &paths, true, true).unwrap();
    let t_end = Instant::now();
    let process_cpu = common::cpu_seconds("/proc/self/stat") - cpu;
    stop.send(()).unwrap();
    let (log, server_cpu) = done.recv().unwrap();

    let starts = events.starts.lock().unwrap().clone();
    let ends = events.ends.lock().unwrap().clone();
    let at = |t: Instant| t.duration_since(server_start).as_secs_f64();
    let (run_from, run_to) = (at(t0), at(t_end));
    let last_start = starts.iter().copied().max().map(at).unwrap_or(run_to);
    let mean_duration = (ends.iter().map(|&t| at(t)).sum::<f64>()
        - starts.iter().map(|&t| at(t)).sum::<f64>())
        / starts.len().max(1) as f64;
    let ok_between = |a: f64, b: f64| {
        log.iter()
            .filter(|(t, s)| *s == 200 && (a..b).contains(&t.as_secs_f64()))
            .count() as f64
    };
    let steady_from = run_from + 10.0;
    let steady = ok_between(steady_from, last_start) / ((last_start - steady_from) * rate);
    let whole = ok_between(run_from, run_to + 1.0) / ((run_to - run_from) * rate);
    let requests = log.len();
    let too_many = log.iter().filter(|(_, s)| *s == 429).count();
    let musegen_cpu = process_cpu - server_cpu;
    println!(
        "{latency_ms:.0} ms median, {rpm} RPM limit (client: window {:?}, {} on the model): {} conversations \
         ({} written, {} failed) in {:.1}s; a conversation takes {mean_duration:.1}s (the run {:.1} durations)",
        client.window,
        if client.user_only {
            "user agent"
        } else {
            "both agents"
        },
        starts.len(),
        report.this_run.written,
        report.this_run.failed,
        run_to - run_from,
        (run_to - run_from) / mean_duration,
    );
    println!(
        "  share of the limit: steady {:.1}% ({steady_from:.0}s to {last_start:.0}s), whole run {:.1}%; \
         drain {:.1}s = {:.2} durations",
        steady * 100.0,
        whole * 100.0,
        run_to - last_start,
        (run_to - last_start) / mean_duration
    );
    println!(
        "  {requests} requests, {too_many} 429s ({:.2}%); musegen CPU {musegen_cpu:.2}s = {:.0} µs per request \
         (server thread {server_cpu:.2}s)",
        too_many as f64 * 100.0 / requests.max(1) as f64,
        musegen_cpu * 1e6 / requests.max(1) as f64
    );
}

fn main() {
    let events = Events::default();
    let subscriber = tracing_subscriber::registry().with(
        events.clone().with_filter(
            Targets::new()
                .with_target("musegen::generate::start", tracing::Level::TRACE)
                .with_target("musegen::generate::end", tracing::Level::TRACE),
        ),
    );
    tracing::subscriber::set_global_default(subscriber).unwrap();
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("MUSEGEN_BENCH_KEY", "bench") };
    let rpm = common::env_count("MUSEGEN_BENCH_RPM", 3000) as u32;
    let durations = common::env_count("MUSEGEN_BENCH_DURATIONS", 35) as f64;
    let concurrency = common::env_count("MUSEGEN_BENCH_CONCURRENCY", 512);
    let latencies: Vec<f64> = std::env::var("MUSEGEN_BENCH_LATENCIES_MS")
        .unwrap_or_else(|_| "300,2000,5000".into())
        .split(',')
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    let client = Client {
        rpm,
        concurrency,
        user_only: std::env::var("MUSEGEN_BENCH_AGENTS").is_ok_and(|v| v == "user"),
        window: match std::env::var("MUSEGEN_BENCH_WINDOW").as_deref() {
            Ok("second") => RateWindow::Second,
            _ => RateWindow::Minute,
        },
    };
    for latency in latencies {
        run(latency, client, durations, &events);
    }
}
