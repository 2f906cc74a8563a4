//! Export scale benchmark: the SFT files and the preference pairs (all three formats each) and the analytics files
//! (turn log, tables, star and snowflake schemas, StoryBot; rows = turns) of 10,000 and 100,000 sim conversations, each export in a fresh process so its time and peak memory are its own. Run with
//! `cargo bench --bench export_scale` (sizes via MUSEGEN_BENCH_ITEMS, MUSEGEN_BENCH_SESSIONS; MUSEGEN_BENCH_DIR keeps
//! the generated inputs for another run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use musegen::config::Config;
use musegen::export::{self, ChatFormat, DpoOptions, SftOptions, Sources};

const CHILD: &str = "MUSEGEN_BENCH_EXPORT";

fn config() -> Config {
    let mut config = Config::default();
    config.catalog.sample_items =
        std::num::NonZeroUsize::new(common::env_count("MUSEGEN_BENCH_ITEMS", 20_000)).unwrap();
    config
}

/// In the child: one export of the folder named by the environment; prints rows, seconds and peak memory.
fn child(spec: &str) {
    let (family, folder) = spec.split_once(':').unwrap();
    let dir = PathBuf::from(folder);
    let config = config();
    let sources = Sources::resolve(Some(&dir), &dir).unwrap();
    let out = dir.join("out");
    let t = Instant::now();
    let rows: usize = match family {
        "sft" => {
            let r = export::export_sft(
                &config,
                &sources,
                &out,
                &ChatFormat::ALL,
                &SftOptions::default(),
            )
            .unwrap();
            r.samples.values().sum()
        }
        "dpo" => {
            // Making the pairs (replaying the recommender) is the pairs stage's; the figure covers both, as before.
            let pairs = out.join("pairs.jsonl");
            musegen::pairs::make_pairs(&config, &sources, &pairs, true).unwrap();
            let r = export::export_dpo(
                &config,
                &sources,
                &pairs,
                &out,
                &ChatFormat::ALL,
                &DpoOptions::default(),
            )
            .unwrap();
            r.pairs.values().sum()
        }
        "analytics" => {
            export::export_analytics(&config, &sources, &out)
                .unwrap()
                .turns
        }
        other => panic!("unknown family {other}"),
    };
    println!(
        "{rows} {:.2} {:.0}",
        t.elapsed().as_secs_f64(),
        common::peak_rss_mib()
    );
}

fn main() {
    if let Ok(spec) = std::env::var(CHILD) {
        return child(&spec);
    }
    let sessions = common::env_count("MUSEGEN_BENCH_SESSIONS", 100_000);
    let kept_dir = std::env::var("MUSEGEN_BENCH_DIR").ok().map(PathBuf::from);
    let temp = tempfile::tempdir().unwrap();
    let dir = kept_dir.unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    let all = dir.join("all.jsonl");
    if !all.exists() {
        common::generate_run(&config(), &dir, sessions, sessions, &all);
    }
    println!(
        "export | conversations | rows (per format) | seconds | conversations per second | peak RSS MiB"
    );
    for n in [sessions / 10, sessions] {
        let run = dir.join(format!("run-{n}"));
        std::fs::create_dir_all(&run).unwrap();
        common::prefix(&all, n, &run.join("conversations.jsonl"));
        for name in ["catalog.db", "profiles.jsonl"] {
            let _ = std::fs::remove_file(run.join(name));
            std::fs::hard_link(dir.join(name), run.join(name)).unwrap();
        }
        for family in ["sft", "dpo", "analytics"] {
            let out = std::process::Command::new(std::env::current_exe().unwrap())
                .env(CHILD, format!("{family}:{}", run.display()))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = text.split_whitespace().collect();
            if f.len() < 3 {
                panic!(
                    "child failed: {text} {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let secs: f64 = f[1].parse().unwrap();
            println!(
                "{family} | {n} | {} | {secs:.1} | {:.0} | {}",
                f[0],
                n as f64 / secs,
                f[2]
            );
        }
        let _ = std::fs::remove_dir_all(&run);
    }
}
