//! Several items in one recommendation with language-model voices (`voice = "llm"`, the simulator deciding), against
//! the fake server on 127.0.0.1, which keeps the prompts it was sent: the recommender's prompt of a turn showing
//! several items names every one of them with its price, in the order shown; the shopper's prompt of a turn that
//! takes one, asks about one or turns them all down names the item it means, by its place and its title.

use std::collections::BTreeMap;

use musegen::llm::fake::FakeConfig;
use serde_json::Value;

use crate::util::{ORDINALS, jsonl, llm_example, message_text, ok, output, strs};

/// The instruction of a request (its system message) and the chat after it (the other messages' texts, without the
/// opening placeholder).
fn parts(request: &Value) -> (String, Vec<String>) {
    let messages = request["messages"].as_array().unwrap();
    let system = message_text(&messages[0]);
    let chat = messages[1..]
        .iter()
        .map(message_text)
        .filter(|t| t != "(The chat opens.)")
        .collect();
    (system, chat)
}

#[test]
fn llm_voices_are_told_every_item_of_a_several_item_turn_and_which_one_the_shopper_means() {
    let (_rt, server) = crate::util::fake_server(FakeConfig {
        record_requests: true,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = output(&mut llm_example(
        d,
        &server.base_url(),
        Some("sk-test"),
        &[
            "--set",
            "profiles.count=40",
            "--set",
            "dialogue.items_per_turn=[0.2, 0.5, 0.3]",
        ],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    ok(
        &d.join("out"),
        &["catalog", "export", "--jsonl", "items.jsonl"],
    );
    let titles: BTreeMap<String, String> = jsonl(&d.join("out/items.jsonl"))
        .into_iter()
        .map(|i| {
            (
                i["id"].as_str().unwrap().to_string(),
                i["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Each request by the chat it carried: a turn's request carries every turn before it.
    let mut by_chat: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
    for r in server.requests() {
        let (system, chat) = parts(&r);
        by_chat.entry(chat).or_default().push(system);
    }
    let prompt_of = |turns: &[Value], t: usize, speaker: &str| -> String {
        let chat: Vec<String> = turns[..t]
            .iter()
            .map(|x| x["text"].as_str().unwrap().to_string())
            .collect();
        let prompts = by_chat
            .get(&chat)
            .unwrap_or_else(|| panic!("no request for turn {t}"));
        // The shopper's prompt plays a persona; the recommender's a shopping assistant.
        prompts
            .iter()
            .find(|p| p.contains("role-playing a shopper") == (speaker == "user"))
            .unwrap_or_else(|| panic!("no {speaker} request for turn {t}: {prompts:?}"))
            .clone()
    };
    let (mut several, mut answered) = (0, BTreeMap::<String, usize>::new());
    for c in jsonl(&d.join("out/conversations.jsonl")) {
        let id = c["id"].as_str().unwrap().to_string();
        let turns = c["turns"].as_array().unwrap();
        let mut offer: Vec<String> = Vec::new();
        for (t, turn) in turns.iter().enumerate() {
            let shown = strs(&turn["items"]);
            match (
                turn["role"].as_str().unwrap(),
                turn["action"].as_str().unwrap(),
            ) {
                ("system", "recommend") => {
                    offer = shown.clone();
                    if shown.len() < 2 {
                        continue;
                    }
                    several += 1;
                    let prompt = prompt_of(turns, t, "system");
                    // Every item, numbered in the order shown, with its price as written.
                    let mut at = 0;
                    for (n, item) in shown.iter().enumerate() {
                        let line = format!("{}. {} at ", n + 1, titles[item]);
                        let found = prompt[at..]
                            .find(&line)
                            .unwrap_or_else(|| panic!("{id} turn {t}: {line:?} not in {prompt}"));
                        at += found + line.len();
                        // The price, up to the fact in brackets: a number, with the currency's marks.
                        let price = prompt[at..].split(" (").next().unwrap();
                        assert!(
                            price.len() < 16 && price.chars().any(|ch| ch.is_ascii_digit()),
                            "{id} turn {t}: no price after {line:?} in {prompt}"
                        );
                    }
                    assert!(prompt.contains("Leave none of them out"), "{prompt}");
                }
                ("user", action @ ("accept" | "reject" | "ask")) if offer.len() > 1 => {
                    let prompt = prompt_of(turns, t, "user");
                    // The item the turn is about: taken, asked about, or the one whose reasons a turn-down gives.
                    let about = &strs(&turn["items"])[0];
                    let place = offer.iter().position(|x| x == about).unwrap();
                    let named = format!("{} ({})", ORDINALS[place], titles[about]);
                    assert!(
                        prompt.contains(&named),
                        "{id} turn {t}: {named:?} not in {prompt}"
                    );
                    // No other item shown is named.
                    for other in offer.iter().filter(|x| *x != about) {
                        assert!(!prompt.contains(&titles[other]), "{id} turn {t}: {prompt}");
                    }
                    if action == "accept" {
                        assert_eq!(c["accepted_item"].as_str(), Some(about.as_str()));
                    }
                    *answered.entry(action.to_string()).or_default() += 1;
                }
                _ => {}
            }
        }
    }
    assert!(several >= 10, "{several} turns of several items");
    assert!(
        answered.get("accept").copied().unwrap_or(0) >= 3
            && answered.get("reject").copied().unwrap_or(0) >= 3,
        "{answered:?}"
    );
}
