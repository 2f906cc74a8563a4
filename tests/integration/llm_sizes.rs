//! Local sizes with language-model agents, against the fake server on 127.0.0.1, which keeps the prompts it was sent:
//! every shopper lives in London, so every prompt (the shopper's act instructions and its reject-reason decision with
//! both item cards and the differences, the recommender's facts) gives shoe sizes in UK sizes, as the simulator's own
//! voices say them, and never the catalog's "US 9"; the slots keep the catalog's value.

use musegen::llm::fake::FakeConfig;
use regex::Regex;
use serde_json::Value;

use crate::util::{jsonl, llm_example, message_text};

const LONDON: &str = r#"
[[locations]]
city = "London"
country = "United Kingdom"
region = "uk"
weight = 1.0
languages = { "en" = 1.0 }
"#;

/// Every text a request carried: its messages' texts (content parts joined).
fn texts(request: &Value) -> Vec<String> {
    request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(message_text)
        .collect()
}

#[test]
fn llm_prompts_give_a_uk_shopper_uk_sizes_and_never_the_catalogs_us_ones() {
    let (_rt, server) = crate::util::fake_server(FakeConfig {
        record_requests: true,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("tables")).unwrap();
    std::fs::write(d.join("tables/locations.toml"), LONDON).unwrap();
    // The shopper's model also decides which reasons to give (it is shown both items' cards and their differences);
    // the simulator decides for the recommender, whose model phrases its facts.
    let out = llm_example(
        d,
        &server.base_url(),
        Some("sk-test"),
        &[
            "--set",
            "profiles.count=80",
            "--set",
            "profiles.tables_dir=\"tables\"",
            "--set",
            "roles.user_agent.decide=\"llm\"",
        ],
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let us = Regex::new(r"\bUS [0-9]").unwrap();
    let uk = Regex::new(r"\bUK [0-9]").unwrap();
    let card = Regex::new(r"(\| |; )size: UK [0-9]").unwrap();
    let difference = Regex::new(r"size: they want UK [0-9]").unwrap();
    let (mut instructions, mut reason_cards, mut differences) = (0, 0, 0);
    for r in server.requests() {
        for text in texts(&r) {
            assert!(
                !us.is_match(&text),
                "a catalog size to a London shopper: {text}"
            );
            if !uk.is_match(&text) {
                continue;
            }
            if text.contains("How the recommended item differs") {
                // The reject-reason decision: the wanted and offered items' cards, and a size difference.
                if card.is_match(&text) {
                    reason_cards += 1;
                }
                if difference.is_match(&text) {
                    differences += 1;
                }
            } else if text.contains("Your next message:") {
                instructions += 1;
            }
        }
    }
    assert!(
        instructions >= 3,
        "act instructions with a UK size: {instructions}"
    );
    assert!(
        reason_cards >= 1,
        "reason decisions with a UK-sized card: {reason_cards}"
    );
    assert!(
        differences >= 1,
        "size differences said in UK sizes: {differences}"
    );

    // What was decided keeps the catalog's sizes: a stated size is the catalog's in the slots.
    let mut slots = 0;
    for c in jsonl(&d.join("out/conversations.jsonl")) {
        for t in c["turns"].as_array().unwrap() {
            for s in t["slots"].as_array().into_iter().flatten() {
                if s["attribute"] == "size" && s["value"].as_str().unwrap().starts_with("us ") {
                    slots += 1;
                }
            }
        }
    }
    assert!(slots >= 1, "no size slot kept the catalog's value");
}
