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

/// A small run folder with its review.
fn run_folder(d: &std::path::Path) {
    ok(d, &["catalog", "sample", "--items", "600"]);
    ok(d, &["profiles", "--count", "40"]);
    ok(d, &["generate"]);
    ok(d, &["review"]);
}

fn contents(v: &Value) -> Vec<Value> {
    v["messages"].as_array().unwrap().clone()
}

#[test]
fn sft_options_per_turn_weights_cards_images_filters_and_dedup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_folder(d);
    let kept = jsonl(&d.join("kept.jsonl"));
    // Per turn: one sample per assistant reply, each the conversation up to it; OpenAI learns only the last reply.
    let whole = export(d, "openai", &["--in", ".", "--out", "whole"]);
    let per_turn = export(
        d,
        "openai",
        &["--per-turn", "--weights", "--in", ".", "--out", "turns"],
    );
    let count = |dir: &str, stem: &str| -> Vec<Value> {
        ["train", "validation", "test"]
            .iter()
            .flat_map(|s| jsonl(&d.join(format!("{dir}/sft/{stem}_{s}.jsonl"))))
            .collect()
    };
    let whole_samples = count("whole", "openai");
    let replies: usize = whole_samples
        .iter()
        .map(|s| {
            contents(s)
                .iter()
                .filter(|m| m["role"] == "assistant")
                .count()
        })
        .sum();
    let turns = count("turns", "openai");
    assert_eq!(turns.len(), replies, "{per_turn}");
    assert!(whole["samples"]["train"].as_u64().unwrap() > 0);
    for s in &turns {
        let m = contents(s);
        let last = m.last().unwrap();
        assert_eq!(last["role"], "assistant");
        assert_eq!(last["weight"], 1);
        for earlier in m[..m.len() - 1].iter().filter(|x| x["role"] == "assistant") {
            assert_eq!(earlier["weight"], 0);
        }
    }
    // Whole conversations with weights: weight 0 exactly on replies recommending an unsound item.
    let weighted = export(
        d,
        "openai",
        &["--weights", "--in", ".", "--out", "weighted"],
    );
    let weighted_samples = count("weighted", "openai");
    let zero: usize = weighted_samples
        .iter()
        .map(|s| contents(s).iter().filter(|m| m["weight"] == 0).count())
        .sum();
    assert_eq!(weighted["zero_weight"].as_u64().unwrap() as usize, zero);
    for s in &weighted_samples {
        for m in contents(s).iter().filter(|m| m["role"] == "assistant") {
            assert!(m["weight"] == 0 || m["weight"] == 1, "{m}");
        }
    }
    // Weights where the format has none are refused.
    let refused = musegen(d, &["export", "sft", "--format", "trl", "--weights"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("--weights"), "{}", refused.stderr);
    // Item cards: every mentioned item is described in the system message.
    export(d, "trl", &["--item-cards", "--in", ".", "--out", "cards"]);
    let by_id: std::collections::HashMap<String, &Value> = kept
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c))
        .collect();
    let carded = count("cards", "trl");
    assert_eq!(carded.len(), kept.len());
    let mut all_ids = Vec::new();
    for c in &kept {
        for id in c["mentioned_items"].as_array().unwrap() {
            all_ids.push(id.as_str().unwrap().to_string());
        }
    }
    for s in &carded {
        let system = contents(s)[0]["content"].as_str().unwrap().to_string();
        assert!(
            system.contains("Catalog items you may recommend:\n- "),
            "{system}"
        );
        let listed = system.matches("\n- ").count();
        assert!(listed >= 1);
        assert!(all_ids.iter().any(|id| system.contains(id.as_str())));
    }
    assert!(by_id.len() == kept.len());
    // Images: with the pictures on disk, each shopper message after a recommendation carries them.
    let images = d.join("pictures");
    for c in &kept {
        for t in c["turns"].as_array().unwrap() {
            for r in t["images"].as_array().into_iter().flatten() {
                let p = images.join(r.as_str().unwrap());
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, b"\x89PNG\r\n\x1a\n").unwrap();
            }
        }
    }
    let set = format!("catalog.images_dir={}", toml_string(&images));
    let vision = export(
        d,
        "openai",
        &["--images", "--set", &set, "--in", ".", "--out", "vision"],
    );
    assert!(vision["images"].as_u64().unwrap() > 0, "{vision}");
    assert_eq!(vision["images_missing"], 0);
    let mut parts = 0;
    for s in count("vision", "openai") {
        for m in contents(&s) {
            // One content type in the whole file: a list of parts, the text first.
            let list = m["content"].as_array().unwrap();
            assert_eq!(list[0]["type"], "text");
            if list.len() > 1 {
                assert_eq!(m["role"], "user", "pictures go with the shopper");
            }
            for p in &list[1..] {
                assert_eq!(p["type"], "image_url");
                let url = p["image_url"]["url"].as_str().unwrap();
                assert!(url.starts_with("data:image/"), "{url}");
                parts += 1;
            }
        }
    }
    assert_eq!(parts as u64, vision["images"].as_u64().unwrap());
    let sharegpt = export(
        d,
        "sharegpt",
        &["--images", "--set", &set, "--in", ".", "--out", "vision"],
    );
    for s in count("vision", "sharegpt") {
        let placeholders: usize = s["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["value"].as_str().unwrap().matches("<image>").count())
            .sum();
        let listed = s["images"].as_array().map_or(0, |a| a.len());
        assert_eq!(placeholders, listed, "{s}");
    }
    assert_eq!(sharegpt["images"], vision["images"]);
    // Without the pictures on disk they are left out and counted.
    let blind = export(d, "trl", &["--images", "--in", ".", "--out", "blind"]);
    assert_eq!(blind["images"], 0);
    assert!(blind["images_missing"].as_u64().unwrap() > 0);
    // --where narrows by the reviews; --dedup drops a conversation repeated word for word.
    let narrowed = export(
        d,
        "trl",
        &[
            "--where",
            "shape.turns >= 13",
            "--in",
            ".",
            "--out",
            "narrow",
        ],
    );
    let long = jsonl(&d.join("reviews.jsonl"))
        .iter()
        .filter(|r| r["keep"] == true && r["shape"]["turns"].as_u64().unwrap() >= 13)
        .count();
    assert_eq!(narrowed["conversations"].as_u64().unwrap() as usize, long);
    assert_eq!(
        narrowed["selection"]["filtered"].as_u64().unwrap() as usize,
        kept.len() - long
    );
    let typo = musegen(d, &["export", "sft", "--where", "shape.turn >= 3"]);
    assert_eq!(typo.code, 2, "{}", typo.stderr);
    assert!(typo.stderr.contains("--where"), "{}", typo.stderr);
    let twice = d.join("twice.jsonl");
    let mut copy = kept[0].clone();
    copy["id"] = serde_json::json!("c99999999");
    let lines: String = kept
        .iter()
        .chain(std::iter::once(&copy))
        .map(|c| format!("{c}\n"))
        .collect();
    std::fs::write(&twice, lines).unwrap();
    let deduped = export(
        d,
        "trl",
        &["--in", twice.to_str().unwrap(), "--dedup", "--out", "dedup"],
    );
    assert_eq!(deduped["selection"]["duplicates"], 1, "{deduped}");
    assert_eq!(
        deduped["conversations"].as_u64().unwrap() as usize,
        kept.len()
    );
}

fn toml_string(p: &std::path::Path) -> String {
    format!("\"{}\"", p.display())
}

#[test]
fn the_dataset_card_names_every_export_file_with_its_row_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_folder(d);
    ok(d, &["export", "all"]);
    let card = std::fs::read_to_string(d.join("README.md")).unwrap();
    let (front, body) = card
        .strip_prefix("---\n")
        .and_then(|c| c.split_once("\n---\n"))
        .unwrap();
    for key in [
        "license:",
        "task_categories:",
        "language:",
        "size_categories:",
        "configs:",
        "dataset_info:",
    ] {
        assert!(front.contains(key), "{key} in {front}");
    }
    let mut paths = 0;
    let lines: Vec<&str> = front.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if let Some(path) = line.trim().strip_prefix("path: ") {
            let rows = jsonl(&d.join(path)).len();
            assert!(rows > 0, "{path} listed but empty");
            assert!(
                body.contains(&format!("| {rows} | `{path}` |")),
                "{path} {rows}"
            );
            paths += 1;
            assert!(lines[i - 1].trim().starts_with("- split: "));
        }
        if let Some(n) = line.trim().strip_prefix("num_examples: ") {
            assert!(n.parse::<usize>().unwrap() > 0);
        }
    }
    for family in [
        "sft_trl",
        "sft_openai",
        "sft_sharegpt",
        "dpo_trl",
        "dpo_openai",
        "dpo_sharegpt",
        "dpo_meta",
    ] {
        assert!(
            front.contains(&format!("- config_name: {family}\n")),
            "{family}"
        );
    }
    assert!(paths >= 14, "{paths}");
    assert!(
        body.contains("| grounded | 100.0% |") || body.contains("| grounded |"),
        "{body}"
    );
    assert!(body.contains("user agent: sim"), "{body}");
    assert!(body.contains("```toml\nseed = "), "the effective config");
    // Header values may be credentials: the card names the header, never its value.
    ok(
        d,
        &[
            "export",
            "card",
            "--set",
            r#"roles.judge.headers={"X-Token"="s3cret-token"}"#,
        ],
    );
    let card = std::fs::read_to_string(d.join("README.md")).unwrap();
    assert!(card.contains("X-Token") && !card.contains("s3cret-token"));
}

#[test]
fn a_broken_conversation_line_stops_every_export_with_exit_2_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run_folder(d);
    let path = d.join("kept.jsonl");
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines[2] = "{\"id\": broken".into();
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    for command in [["export", "sft"], ["export", "dpo"], ["export", "all"]] {
        let out = musegen(
            d,
            &[command[0], command[1], "--out", "exported", "--in", "."],
        );
        assert_eq!(out.code, 2, "{command:?}: {}", out.stderr);
        assert!(out.stderr.contains("kept.jsonl:3"), "{}", out.stderr);
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "one line: {}",
            out.stderr
        );
        let left: Vec<_> = std::fs::read_dir(d.join("exported"))
            .map(|r| r.map(|e| e.unwrap().file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{command:?} left {left:?}");
    }
    let bad = musegen(d, &["export", "dpo", "--set", "export.dpo.min_margin=2"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("export.dpo.min_margin"),
        "{}",
        bad.stderr
    );
}
