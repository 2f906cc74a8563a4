//! Review scale benchmark: the offline review (metrics, keep rule, kept set, dataset report) of 100,000, 300,000 and
//! 1,000,000 sim conversations, each in a fresh process so its time and peak memory are its own. Run with
//! `cargo bench --bench review_scale` (sizes via MUSEGEN_BENCH_ITEMS, MUSEGEN_BENCH_PROFILES,
//! MUSEGEN_BENCH_SESSIONS; MUSEGEN_BENCH_DIR keeps the generated inputs for another run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use musegen::config::Config;
use musegen::review::{self, ReviewPaths};

const CHILD: &str = "MUSEGEN_BENCH_REVIEW_INPUT";

fn config() -> Config {
    let mut config = Config::default();
    config.catalog.sample_items =
        std::num::NonZeroUsize::new(common::env_count("MUSEGEN_BENCH_ITEMS", 100_000)).unwrap();
    config
}

/// In the child: review the conversations named by the environment and print one line of figures.
fn child(input: &str) {
    let input = PathBuf::from(input);
    let dir = input.parent().unwrap().to_path_buf();
    let out = input.with_extension("reviews.jsonl");
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(input.with_file_name("reviews.manifest.json"));
    let paths = ReviewPaths {
        input: input.clone(),
        out: out.clone(),
        kept: input.with_extension("kept.jsonl"),
        report_dir: dir.join(format!(
            "report-{}",
            input.file_stem().unwrap().to_string_lossy()
        )),
        catalog: Some(dir.join("catalog.db")),
        profiles: Some(dir.join("profiles.jsonl")),
    };
    let config = config();
    let t = Instant::now();
    let report = review::review(&config, &paths, true).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let d = &report.dataset;
    println!(
        "{} {secs:.2} {:.0} {} {} {} {:.4}",
        d.conversations,
        common::peak_rss_mib(),
        d.kept,
        d.exact_duplicates,
        d.near_duplicates,
        d.self_bleu
    );
}

fn main() {
    if let Ok(input) = std::env::var(CHILD) {
        return child(&input);
    }
    let count = common::env_count("MUSEGEN_BENCH_PROFILES", 100_000);
    let sessions = common::env_count("MUSEGEN_BENCH_SESSIONS", 1_000_000);
    let kept_dir = std::env::var("MUSEGEN_BENCH_DIR").ok().map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let dir = kept_dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    let all = dir.join("conversations.jsonl");
    if !all.exists() {
        common::generate_run(&config(), &dir, count, sessions, &all);
    }
    println!(
        "conversations | seconds | per second | µs per conversation | peak RSS MiB | kept | exact dup | near dup | self-BLEU"
    );
    for n in [sessions / 10, sessions * 3 / 10, sessions] {
        let input = dir.join(format!("sample-{n}.jsonl"));
        common::prefix(&all, n, &input);
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .env(CHILD, &input)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let f: Vec<&str> = text.split_whitespace().collect();
        if f.len() < 7 {
            panic!(
                "child failed: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let (conv, secs): (f64, f64) = (f[0].parse().unwrap(), f[1].parse().unwrap());
        println!(
            "{} | {secs:.1} | {:.0} | {:.1} | {} | {} | {} | {} | {}",
            f[0],
            conv / secs,
            1e6 * secs / conv,
            f[2],
            f[3],
            f[4],
            f[5],
            f[6]
        );
        let _ = std::fs::remove_file(&input);
    }
}
