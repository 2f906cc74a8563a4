//! SFT export: TRL, OpenAI and ShareGPT files from the kept conversations, in the shapes their readers demand
//! (roles alternating from the user on, ending with the assistant, non-empty strings, ShareGPT's even turn count),
//! split deterministically by conversation id.

use serde_json::Value;

use crate::util::{jsonl, musegen, ok};

fn export(d: &std::path::Path, format: &str, extra: &[&str]) -> Value {
    let mut args = vec!["export", "sft", "--format", format, "--json"];
    args.extend_from_slice(extra);
    serde_json::from_str(&ok(d, &args).stdout).unwrap()
}

fn check_messages(m: &[Value], system: bool) {
    let (head, rest) = if system { (1, &m[1..]) } else { (0, m) };
    if system {
        assert_eq!(m[0]["role"], "system");
        assert!(
            m[0]["content"]
                .as_str()
                .unwrap()
                .starts_with("You are a friendly")
        );
    }
    assert!(head == 0 || !rest.is_empty());
    for (i, msg) in rest.iter().enumerate() {
        let want = if i % 2 == 0 { "user" } else { "assistant" };
        assert_eq!(msg["role"], want, "message {i} of {m:?}");
        assert!(!msg["content"].as_str().unwrap().trim().is_empty());
    }
    assert_eq!(
        rest.last().unwrap()["role"],
        "assistant",
        "ends with the assistant"
    );
}

#[test]
fn sft_files_follow_each_readers_rules_and_split_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "600"]);
    ok(d, &["profiles", "--count", "60"]);
    ok(d, &["generate"]);
    ok(d, &["review"]);
    let kept = jsonl(&d.join("kept.jsonl")).len();
    let mut per_split = Vec::new();
    for format in ["trl", "openai", "sharegpt"] {
        let report = export(d, format, &[]);
        let samples = report["samples"].as_object().unwrap();
        let total: u64 = samples.values().map(|v| v.as_u64().unwrap()).sum();
        assert_eq!(
            total as usize + report["skipped"].as_u64().unwrap() as usize,
            kept
        );
        assert!(
            samples["train"].as_u64().unwrap()
                > samples.get("test").and_then(Value::as_u64).unwrap_or(0)
        );
        per_split.push(report["samples"].clone());
        for split in ["train", "validation", "test"] {
            let path = d.join(format!("sft/{format}_{split}.jsonl"));
            for line in jsonl(&path) {
                if format == "sharegpt" {
                    let c = line["conversations"].as_array().unwrap();
                    assert_eq!(c[0]["from"], "system");
                    let turns = &c[1..];
                    assert_eq!(
                        turns.len() % 2,
                        0,
                        "an even number of turns after the system"
                    );
                    for (i, t) in turns.iter().enumerate() {
                        assert_eq!(t["from"], if i % 2 == 0 { "human" } else { "gpt" });
                        assert!(!t["value"].as_str().unwrap().is_empty());
                    }
                } else {
                    assert_eq!(line.as_object().unwrap().len(), 1, "only `messages`");
                    check_messages(line["messages"].as_array().unwrap(), true);
                }
            }
        }
    }
    assert!(
        per_split.windows(2).all(|w| w[0] == w[1]),
        "the same split in every format"
    );
    // Deterministic, and without the system prompt when asked.
    let before = std::fs::read(d.join("sft/trl_train.jsonl")).unwrap();
    export(d, "trl", &[]);
    assert_eq!(
        std::fs::read(d.join("sft/trl_train.jsonl")).unwrap(),
        before
    );
    export(d, "openai", &["--set", "export.system_prompt=false"]);
    for line in jsonl(&d.join("sft/openai_train.jsonl")) {
        check_messages(line["messages"].as_array().unwrap(), false);
    }
    let bad = musegen(
        d,
        &[
            "export",
            "sft",
            "--format",
            "trl",
            "--set",
            "export.split=[0, 0, 0]",
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("export.split"), "{}", bad.stderr);
}
