//! A run a user can watch (issue 13): `-v --log-file F` puts each stage's decisions (the resume point, the limits in
//! force, the routes) in the file with RFC 3339 timestamps, uncoloured and without the key; `-vv` adds a line per
//! request, still without the key; stderr that is not a terminal gets plain progress lines with the request
//! figures against the limits; and the closing line of a stage is a rate, not `0/s`.

use std::path::Path;

use musegen::llm::fake::FakeConfig;

use crate::util::{Output, ok, repo};

const KEY: &str = "sk-panel-secret-0123456789abcdef";

/// `musegen generate` with the LLM example against `base`, with `extra` arguments.
fn generate(dir: &Path, base: &str, extra: &[&str]) -> Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_musegen"))
        .args([
            "generate",
            "--config",
            repo("examples/llm.toml").to_str().unwrap(),
            "--set",
            "limits.rpm=60000",
            "--set",
            "limits.tpm=100000000",
        ])
        .args(extra)
        .current_dir(dir)
        .env("OPENAI_BASE_URL", base)
        .env("OPENAI_API_KEY", KEY)
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let result = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert_eq!(result.code, 0, "{}\n{}", result.stdout, result.stderr);
    result
}

/// Whether `line` starts with an RFC 3339 UTC timestamp (`2026-01-05T10:20:19.810123Z`).
fn timestamped(line: &str) -> bool {
    let Some(stamp) = line.split_whitespace().next() else {
        return false;
    };
    let b = stamp.as_bytes();
    stamp.len() >= 20
        && stamp.ends_with('Z')
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
}

#[test]
fn the_log_file_names_the_resume_point_the_limits_and_the_routes_and_never_the_key() {
    let (_rt, server) = crate::util::fake_server(FakeConfig {
        api_key: Some(KEY.into()),
        latency_ms: 20.0,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let llm = repo("examples/llm.toml");
    ok(d, &["catalog", "sample", "--config", llm.to_str().unwrap()]);
    ok(
        d,
        &[
            "profiles",
            "--config",
            llm.to_str().unwrap(),
            "--count",
            "4",
        ],
    );

    let first = generate(
        d,
        &server.base_url(),
        &["--sessions", "2", "-v", "--log-file", "run.log"],
    );
    // The closing line is a rate with its precision, never `0/s`.
    let closing = first
        .stdout
        .lines()
        .find(|l| l.starts_with("dialogues 2 written (0 resumed, 0 failed) in "))
        .unwrap_or_else(|| panic!("{}", first.stdout));
    assert!(
        closing.contains("/s") && !closing.contains(" 0/s"),
        "{closing}"
    );
    // Then two more: the second run resumes after the first two.
    let second = generate(
        d,
        &server.base_url(),
        &["--sessions", "4", "-vv", "--log-file", "run.log"],
    );

    let log = std::fs::read_to_string(d.join("run.log")).unwrap();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(timestamped(line), "no RFC 3339 timestamp: {line}");
    }
    assert!(!log.contains('\u{1b}'), "colour codes in the file:\n{log}");
    let has = |text: &str| {
        assert!(log.contains(text), "the log lacks {text:?}:\n{log}");
    };
    has("limits: rpm 60000 (counted per second), tpm 100000000");
    has("concurrency 16");
    has("route: user_agent -> openai model gpt-4o-mini");
    has("route: system_agent -> openai model gpt-4o-mini");
    has("dialogues: starting ");
    has("conversations.jsonl: 2 conversations to play");
    has("dialogues: resuming ");
    has("conversations.jsonl: 2 of 4 conversation ids found written");
    has("dialogues: 2 done in ");
    // -vv: a line per request, naming the model, never the key or a header.
    has("request to gpt-4o-mini (attempt 1");
    has("requests: ");
    for out in [
        &log,
        &first.stderr,
        &second.stderr,
        &first.stdout,
        &second.stdout,
    ] {
        assert!(!out.contains(KEY), "the key leaked:\n{out}");
        assert!(!out.contains("Bearer"), "a header leaked:\n{out}");
    }
    // Stderr (not a terminal) shows the decisions with timestamps at -v too.
    assert!(
        first
            .stderr
            .lines()
            .any(|l| timestamped(l) && l.contains("limits: rpm 60000")),
        "{}",
        first.stderr
    );
}

#[test]
fn stderr_that_is_not_a_terminal_gets_plain_lines_with_the_requests_against_the_limits() {
    // Each answer takes 150 ms (no spread), and a conversation is about a dozen requests one after the other: the
    // run lasts more than a second, many times the 0.1 s between two lines.
    let (_rt, server) = crate::util::fake_server(FakeConfig {
        latency_ms: 150.0,
        latency_sigma: 0.0,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let llm = repo("examples/llm.toml");
    ok(d, &["catalog", "sample", "--config", llm.to_str().unwrap()]);
    ok(
        d,
        &[
            "profiles",
            "--config",
            llm.to_str().unwrap(),
            "--count",
            "2",
        ],
    );
    let out = generate(
        d,
        &server.base_url(),
        &["--sessions", "1", "--progress-every", "0.1"],
    );
    let lines: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("dialogues 0/1 (0%)"))
        .collect();
    assert!(!lines.is_empty(), "no progress line:\n{}", out.stderr);
    // Once the first request is out, the minute's window holds it.
    assert!(
        lines.iter().any(|l| !l.contains("requests 0/min")),
        "{}",
        out.stderr
    );
    let line = lines[0];
    assert!(
        line.contains("| requests ")
            && line.contains("/min of 60,000")
            && line.contains("in flight "),
        "{line}"
    );
    assert!(
        line.contains("tokens ") && line.contains("429s 0") && line.contains("$"),
        "{line}"
    );
    // Without -v there are no timestamps and no decisions on stderr.
    assert!(!out.stderr.contains("limits: rpm"), "{}", out.stderr);
    assert!(!timestamped(line), "{line}");
    // --quiet: nothing at all.
    let quiet = generate(
        d,
        &server.base_url(),
        &["--sessions", "2", "-q", "--progress-every", "0.1"],
    );
    assert_eq!(quiet.stderr, "", "{}", quiet.stderr);
}

#[test]
fn every_stage_of_a_sim_run_closes_with_its_count_and_rate_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = repo("examples/quickstart.toml");
    let out = ok(
        d,
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            "out",
            "--users",
            "20",
            "--sessions",
            "20",
            "--log-file",
            "run.log",
        ],
    );
    // Without -v stderr holds no decisions; the file has them all the same.
    assert!(!out.stderr.contains("review: "), "{}", out.stderr);
    let log = std::fs::read_to_string(d.join("run.log")).unwrap();
    for text in [
        "catalog: out/catalog.db is made",
        "profiles: 20 done in ",
        "dialogues: starting out/conversations.jsonl: 20 conversations to play",
        "dialogues: 20 done in ",
        // The review counts what it has to do (issue 13: the bar stayed at 0/0).
        "review: 0 reviews found in out/reviews.jsonl; 20 conversations to review",
        "review: 20 done in ",
        "stats: 20 done in ",
        "export sft: ",
        "export dpo: ",
        "export star: ",
        "export analytics: ",
        "export card: 1 rows written in ",
    ] {
        assert!(log.contains(text), "the log lacks {text:?}:\n{log}");
    }
    // A sim run sends nothing: no limits, no routes, no request figures.
    assert!(
        !log.contains("limits: ") && !log.contains("route: "),
        "{log}"
    );
    let export = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("sft ") && l.contains(" rows in "))
        .unwrap_or_else(|| panic!("no export timing line:\n{}", out.stdout));
    assert!(
        export.contains("dpo ") && export.contains("analytics "),
        "{export}"
    );
    // A rerun resumes: the file says where.
    ok(
        d,
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--out",
            "out",
            "--users",
            "20",
            "--sessions",
            "20",
            "--log-file",
            "run.log",
        ],
    );
    let log = std::fs::read_to_string(d.join("run.log")).unwrap();
    for text in [
        "catalog: out/catalog.db is reused",
        "profiles: out/profiles.jsonl are reused",
        "dialogues: resuming out/conversations.jsonl: 20 of 20 conversation ids found written",
        "review: 20 reviews found in out/reviews.jsonl; 0 conversations to review",
    ] {
        assert!(log.contains(text), "the log lacks {text:?}:\n{log}");
    }
}
