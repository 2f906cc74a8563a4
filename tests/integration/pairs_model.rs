//! The preference-pair stage with the pairwise judge on the fake server on 127.0.0.1: a judge comparison whose
//! answer keeps failing (a body that is not JSON, past its retries) is counted and left out while the stage writes
//! every other pair; a refused key (401) stops the stage with the error.

use std::path::Path;

use musegen::llm::fake::{FakeConfig, Faults};
use serde_json::Value;

use crate::util::{Output, fake_server, jsonl, musegen_env, ok};

/// Sim conversations of 40 shoppers in `d`, ready to pair.
fn conversations(d: &Path) {
    ok(d, &["catalog", "sample", "--items", "600"]);
    ok(d, &["profiles", "--count", "40"]);
    ok(d, &["generate"]);
}

/// `musegen pairs` in `d` with sim pairs and the judge's, the judge a model on `base` given `key`; one retry
/// a request, at once, and nothing from the cache.
fn pairs(d: &Path, base: &str, key: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "pairs",
        "--no-cache",
        "--source",
        "sim",
        "--source",
        "judge",
        "--set",
        "roles.judge.agent=\"llm\"",
        "--set",
        "roles.judge.backend=\"openai\"",
        "--set",
        "roles.judge.model=\"gpt-4o-mini\"",
        "--set",
        "limits.max_retries=1",
        "--set",
        "limits.backoff_base_ms=1",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
    ];
    args.extend(extra);
    musegen_env(
        d,
        &args,
        &[("OPENAI_BASE_URL", base), ("OPENAI_API_KEY", key)],
    )
}

fn report(out: &Output) -> Value {
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn a_judge_comparison_that_keeps_failing_is_left_out_and_counted_while_the_other_pairs_are_written()
{
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    conversations(d);
    // Half the answers are a body that is not JSON: with one retry, a request fails for good one time in four.
    let (_rt, faulty) = fake_server(FakeConfig {
        faults: Faults {
            malformed: 0.5,
            ..Faults::default()
        },
        ..FakeConfig::default()
    });
    let with_faults = report(&pairs(d, &faulty.base_url(), "sk-test", &["--json"]));
    // The same pairs from a server without faults, for what every comparison comes to: a tie (the fake judge
    // always names the first reply shown, so the two orders cancel out).
    let (_rt2, sound) = fake_server(FakeConfig::default());
    let clean = report(&pairs(
        d,
        &sound.base_url(),
        "sk-test",
        &["--json", "--out", "clean", "--in", "."],
    ));
    let (c, f) = (&clean["counts"], &with_faults["counts"]);
    let compared = c["judge_ties"].as_u64().unwrap();
    assert!(compared > 20, "{clean}");
    assert_eq!(
        c.get("failed"),
        None,
        "nothing fails without faults: {clean}"
    );
    // Every comparison is a tie or left out; some of each.
    let failed = f["failed"].as_u64().unwrap();
    let ties = f["judge_ties"].as_u64().unwrap();
    assert!(failed > 0 && ties > 0, "{with_faults}");
    assert_eq!(failed + ties, compared, "{with_faults}");
    // The stage went to its end: a line for every conversation, and the sim pairs all there.
    assert_eq!(with_faults["conversations"], clean["conversations"]);
    assert_eq!(
        jsonl(&d.join("pairs.jsonl")).len(),
        jsonl(&d.join("conversations.jsonl")).len()
    );
    assert!(with_faults["by_source"]["sim"].as_u64().unwrap() > 20);
    assert_eq!(with_faults["by_source"], clean["by_source"]);
    // The summary says how many were left out.
    let text = pairs(
        d,
        &faulty.base_url(),
        "sk-test",
        &["--out", "again", "--in", "."],
    );
    assert_eq!(text.code, 0, "{}", text.stderr);
    let said = text
        .stdout
        .lines()
        .find(|l| l.contains("judge comparisons left out"))
        .unwrap_or_else(|| panic!("no line of what was left out: {}", text.stdout));
    let n: u64 = said.split_whitespace().next().unwrap().parse().unwrap();
    assert!(n > 0, "{said}");
}

#[test]
fn a_refused_key_stops_the_pairs_stage_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    conversations(d);
    let (rt, server) = fake_server(FakeConfig {
        api_key: Some("sk-right".into()),
        ..FakeConfig::default()
    });
    // Four requests out at a time at most, so that what was in flight when the refusal came is a known few.
    let out = pairs(
        d,
        &server.base_url(),
        "sk-wrong",
        &["--set", "limits.concurrency=4"],
    );
    // The config must change: exit 2, the provider's word on the terminal.
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("401"), "{}", out.stderr);
    // Stopped, not counted: no summary, and not many more requests than were in flight when the refusal came (a
    // run that went on would ask for each of the 40 conversations).
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let sent = rt.block_on(server.stats()).requests;
    assert!(sent <= 16, "kept asking after a 401: {sent}");
}
