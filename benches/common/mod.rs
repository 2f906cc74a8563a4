//! Helpers shared by the benchmarks: peak memory, CPU time and size overrides read from the environment.
#![allow(dead_code)]

/// Peak resident memory of this process so far, in MiB (VmHWM).
pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|kb| kb.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// A count from environment variable `name`, or `default`.
pub fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// CPU seconds (user + system) from a `/proc/.../stat` file.
pub fn cpu_seconds(stat: &str) -> f64 {
    let text = std::fs::read_to_string(stat).unwrap_or_default();
    let after = text.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (field(11) + field(12)) / 100.0
}

/// Copy the first `n` lines of `all` to `to`.
pub fn prefix(all: &std::path::Path, n: usize, to: &std::path::Path) {
    use std::io::{BufRead, Write};
    let reader = std::io::BufReader::new(std::fs::File::open(all).unwrap());
    let mut w = std::io::BufWriter::new(std::fs::File::create(to).unwrap());
    for line in reader.lines().take(n) {
        writeln!(w, "{}", line.unwrap()).unwrap();
    }
}

/// A sample catalog (`catalog.db`), `profiles` profiles and `sessions` sim conversations (`out`) in `dir`, under
/// `config`.
pub fn generate_run(
    config: &musegen::config::Config,
    dir: &std::path::Path,
    profiles: usize,
    sessions: usize,
    out: &std::path::Path,
) {
    let mut config = config.clone();
    config.dialogue.sessions = sessions;
    let catalog = dir.join("catalog.db");
    let profiles_path = dir.join("profiles.jsonl");
    musegen::pipeline::build_sample_catalog(&config, &catalog, None, true).unwrap();
    musegen::profiles::generate(
        &musegen::plan::Plan::new(config.clone()).unwrap(),
        &catalog,
        &profiles_path,
        profiles,
        true,
        false,
    )
    .unwrap();
    let paths = musegen::generate::GeneratePaths {
        profiles: profiles_path,
        catalog,
        out: out.to_path_buf(),
        failures: dir.join("failures.jsonl"),
    };
    musegen::generate::generate(&config, &paths, false, true).unwrap();
}
