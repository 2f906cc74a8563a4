//! Offline scale benchmark: a 100,000-item sample catalog, 100,000 profiles, and search latency over it.
//! Run with `cargo bench --bench offline_scale` (sizes via MUSEGEN_BENCH_ITEMS / MUSEGEN_BENCH_PROFILES).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Instant;

use musegen::catalog::{Index, Query};
use musegen::config::Config;
use musegen::pipeline;
use musegen::profiles;

fn main() {
    let items = common::env_count("MUSEGEN_BENCH_ITEMS", 100_000);
    let count = common::env_count("MUSEGEN_BENCH_PROFILES", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::default();
    config.catalog.sample_items = std::num::NonZeroUsize::new(items).unwrap();
    let threads = config.effective_threads();
    let catalog = dir.path().join("catalog.db");

    let t = Instant::now();
    pipeline::build_sample_catalog(&config, &catalog, None, true).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "catalog sample: {items} items in {secs:.2}s ({:.0} items/s), {threads} threads, peak RSS {:.0} MiB",
        items as f64 / secs,
        common::peak_rss_mib()
    );

    let t = Instant::now();
    let report = profiles::generate(
        &musegen::plan::Plan::new(config.clone()).unwrap(),
        &catalog,
        &dir.path().join("profiles.jsonl"),
        count,
        true,
        false,
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    let rejected: usize = report.rejected.values().sum();
    println!(
        "profiles: {count} in {secs:.2}s ({:.0} profiles/s), {rejected} rejected draws {:?}, peak RSS {:.0} MiB",
        count as f64 / secs,
        report.rejected,
        common::peak_rss_mib()
    );

    let index = Index::open(&catalog).unwrap();
    let queries = [
        ("waterproof hiking boots", Some("Footwear"), Some(120.0)),
        ("black leather wallet", None, None),
        (
            "wireless noise cancelling headphones",
            Some("Electronics"),
            Some(200.0),
        ),
        ("cotton summer dress", Some("Women"), None),
        ("mystery novel paperback", Some("Books"), Some(30.0)),
        ("non-stick frying pan", None, Some(80.0)),
    ];
    let mut times = Vec::new();
    let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
    for round in 0..20 {
        for (qi, (text, category, max_price)) in queries.iter().enumerate() {
            let q = Query {
                text: text.to_string(),
                category: category.map(str::to_string),
                max_price: *max_price,
                limit: 10,
                exclude: vec![format!("s{round:07}")],
                ..Query::default()
            };
            let t = Instant::now();
            let hits = index.search(&q).unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            times.push(ms);
            per_query[qi].push(ms);
            assert!(!hits.is_empty() || category.is_some());
        }
    }
    for (qi, (text, category, max_price)) in queries.iter().enumerate() {
        let q = &mut per_query[qi];
        q.sort_by(f64::total_cmp);
        println!(
            "  {:>6.2} ms median  \"{text}\" category={category:?} max_price={max_price:?}",
            q[q.len() / 2]
        );
    }
    times.sort_by(f64::total_cmp);
    let p50 = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "search over {items} items: {} queries, p50 {p50:.2} ms, p95 {p95:.2} ms, max {:.2} ms",
        times.len(),
        times[times.len() - 1]
    );
}
