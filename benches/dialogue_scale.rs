//! Dialogue scale benchmark: 1,000,000 sim conversations from 100,000 profiles over a 100,000-item sample catalog,
//! streamed to disk. Run with `cargo bench --bench dialogue_scale` (sizes via MUSEGEN_BENCH_ITEMS,
//! MUSEGEN_BENCH_PROFILES, MUSEGEN_BENCH_SESSIONS). Prints time, conversations per second and peak memory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use musegen::config::Config;
use musegen::generate::{self, GeneratePaths};
use musegen::{pipeline, profiles};

fn main() {
    let items = common::env_count("MUSEGEN_BENCH_ITEMS", 100_000);
    let count = common::env_count("MUSEGEN_BENCH_PROFILES", 100_000);
    let sessions = common::env_count("MUSEGEN_BENCH_SESSIONS", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.catalog.sample_items = std::num::NonZeroUsize::new(items).unwrap();
    config.dialogue.sessions = sessions;
    let catalog = dir.path().join("catalog.db");
    let profiles_path = dir.path().join("profiles.jsonl");
    pipeline::build_sample_catalog(&config, &catalog, None, true).unwrap();
    profiles::generate(
        &musegen::plan::Plan::new(config.clone()).unwrap(),
        &catalog,
        &profiles_path,
        count,
        true,
        false,
    )
    .unwrap();
    let setup_rss = common::peak_rss_mib();
    let paths = GeneratePaths {
        profiles: profiles_path,
        catalog,
        out: dir.path().join("conversations.jsonl"),
        failures: dir.path().join("failures.jsonl"),
    };
    let t = Instant::now();
    let cpu_before = common::cpu_seconds("/proc/self/stat");
    let report = generate::generate(&config, &paths, false, true).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let cpu = common::cpu_seconds("/proc/self/stat") - cpu_before;
    let bytes = std::fs::metadata(&paths.out).map(|m| m.len()).unwrap_or(0);
    println!(
        "generate: {} conversations from {count} profiles over {items} items in {secs:.1}s ({:.0}/s), {} threads, {:.2} GB written",
        report.this_run.written,
        report.this_run.written as f64 / secs,
        config.effective_threads(),
        bytes as f64 / 1e9
    );
    // CPU time is what load beside the run does not change much: the rate two free cores would give.
    println!(
        "CPU {cpu:.1} s for the conversations: {:.0} conversations per CPU-second, about {:.0}/s on {} free cores",
        report.this_run.written as f64 / cpu,
        report.this_run.written as f64 / cpu * config.effective_threads() as f64,
        config.effective_threads()
    );
    println!(
        "peak RSS {:.0} MiB (catalog and profiles set-up alone: {setup_rss:.0} MiB)",
        common::peak_rss_mib()
    );
    println!(
        "outcomes {:?}; success {:.1}%, turns mean {:.1}, rounds to accept {:.2}",
        report.outcomes,
        report.success_rate * 100.0,
        report.turns_mean,
        report.rounds_to_accept_mean.unwrap_or(0.0)
    );
}
