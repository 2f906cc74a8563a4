//! The preference-pair stage: `pairs.jsonl` survives a cut (a torn last line and missing conversations are made
//! again, to the same bytes), resumes from the set of conversations it holds, refuses other settings and other
//! conversations unless forced, and `export dpo` renders the same files whether
//! it made the pairs itself or found them.

use std::path::Path;

use serde_json::Value;

use crate::util::{jsonl, musegen, ok};

fn run(d: &Path) {
    ok(d, &["catalog", "sample", "--items", "600"]);
    ok(d, &["profiles", "--count", "80"]);
    ok(d, &["generate"]);
    ok(d, &["review"]);
}

fn dpo_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("dpo"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join("dpo").join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

#[test]
fn a_cut_pairs_file_resumes_to_the_same_bytes_and_other_settings_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    let report: Value =
        serde_json::from_str(&ok(d, &["pairs", "--json", "--threads", "2"]).stdout).unwrap();
    let path = d.join("pairs.jsonl");
    let whole = std::fs::read(&path).unwrap();
    let lines = jsonl(&path);
    let kept = jsonl(&d.join("kept.jsonl"));
    assert_eq!(lines.len(), kept.len(), "one line per kept conversation");
    for (line, c) in lines.iter().zip(&kept) {
        assert_eq!(line["id"], c["id"], "in the conversations' order");
    }
    assert!(report["pairs"].as_u64().unwrap() > 20, "{report}");
    assert_eq!(report["resumed"], 0);

    // Killed mid-write: the file ends inside a line, a third of the way through.
    let cut = whole.len() / 3;
    assert_ne!(whole[cut - 1], b'\n');
    std::fs::write(&path, &whole[..cut]).unwrap();
    let again: Value =
        serde_json::from_str(&ok(d, &["pairs", "--json", "--threads", "1"]).stdout).unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        whole,
        "no pair lost, repeated or torn"
    );
    let before_cut = whole[..cut].iter().filter(|&&b| b == b'\n').count();
    assert_eq!(again["resumed"], before_cut as u64);
    assert_eq!(
        again["pairs"], report["pairs"],
        "the report covers the whole file"
    );
    assert_eq!(again["counts"], report["counts"]);

    // Run again on a whole file: nothing to do, nothing changes.
    ok(d, &["pairs"]);
    assert_eq!(std::fs::read(&path).unwrap(), whole);

    // Other pair settings: refused (exit 2, naming the file), the file untouched; --force makes them again.
    let changed = ["pairs", "--set", "export.dpo.kinds=[\"repeat_rejected\"]"];
    let refused = musegen(d, &changed);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(refused.stderr.contains("pairs.jsonl"), "{}", refused.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), whole);
    // The renderer refuses pairs made under other settings too.
    let render = musegen(
        d,
        &[
            "export",
            "dpo",
            "--set",
            "export.dpo.kinds=[\"repeat_rejected\"]",
        ],
    );
    assert_eq!(render.code, 2, "{}", render.stderr);
    let mut forced = changed.to_vec();
    forced.push("--force");
    ok(d, &forced);
    let remade = jsonl(&path);
    assert_eq!(remade.len(), kept.len());
    assert!(
        remade
            .iter()
            .flat_map(|l| l["pairs"].as_array().unwrap())
            .all(|p| p["kind"] == "repeat_rejected"),
        "made under the new settings"
    );
    // Every conversation generated, of which the kept set is a part: the kept set's pairs stand, only the rest
    // are made.
    let kinds = "export.dpo.kinds=[\"repeat_rejected\"]";
    let all = [
        "pairs",
        "--in",
        "conversations.jsonl",
        "--set",
        kinds,
        "--json",
    ];
    let more: Value = serde_json::from_str(&ok(d, &all).stdout).unwrap();
    assert_eq!(more["resumed"], kept.len(), "{more}");
    assert_eq!(
        jsonl(&path).len(),
        jsonl(&d.join("conversations.jsonl")).len()
    );
}

#[test]
fn export_dpo_renders_the_same_files_whether_it_makes_the_pairs_or_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    // Without pairs.jsonl, `export dpo` makes it first.
    assert!(!d.join("pairs.jsonl").exists());
    ok(d, &["export", "dpo", "--item-cards", "--threads", "2"]);
    assert!(d.join("pairs.jsonl").is_file());
    let made = dpo_files(d);
    let pairs = std::fs::read(d.join("pairs.jsonl")).unwrap();
    // The stage alone, then the renderer, into another folder.
    std::fs::create_dir_all(d.join("v")).unwrap();
    ok(d, &["pairs", "--in", ".", "--out", "v", "--threads", "1"]);
    assert_eq!(std::fs::read(d.join("v/pairs.jsonl")).unwrap(), pairs);
    ok(
        d,
        &["export", "dpo", "--item-cards", "--in", ".", "--out", "v"],
    );
    assert_eq!(dpo_files(&d.join("v")), made);
    // The pairs of every meta line are in pairs.jsonl, in the same order.
    let ids: Vec<String> = jsonl(&d.join("pairs.jsonl"))
        .iter()
        .flat_map(|l| l["pairs"].as_array().unwrap().clone())
        .map(|p| {
            format!(
                "{}:t{}:{}",
                p["conversation_id"].as_str().unwrap(),
                p["turn"],
                p["kind"].as_str().unwrap()
            )
        })
        .collect();
    let mut meta: Vec<String> = Vec::new();
    for split in ["train", "validation", "test"] {
        meta.extend(
            jsonl(&d.join(format!("dpo/meta_{split}.jsonl")))
                .iter()
                .map(|m| m["pair_id"].as_str().unwrap().to_string()),
        );
    }
    meta.sort();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(meta, sorted);
    // A pairs file cut short is not rendered as if whole.
    let text = String::from_utf8(pairs).unwrap();
    let first = text.lines().next().unwrap();
    std::fs::write(d.join("v/pairs.jsonl"), format!("{first}\n")).unwrap();
    let short = musegen(d, &["export", "dpo", "--in", ".", "--out", "v"]);
    assert_eq!(short.code, 2, "{}", short.stderr);
    assert!(short.stderr.contains("musegen pairs"), "{}", short.stderr);
}

#[test]
fn a_pairs_file_resumes_from_the_set_it_holds_whatever_order_the_conversations_come_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    ok(d, &["pairs", "--in", "conversations.jsonl"]);
    let path = d.join("pairs.jsonl");
    let whole = jsonl(&path);
    ok(d, &["export", "dpo", "--in", "conversations.jsonl"]);
    let rendered = dpo_files(d);

    // The conversations come back in another order (as a model's do when replayed from the cache), and the pairs
    // file lost its second half: the stage makes only what is missing, with no --force.
    let conversations = std::fs::read_to_string(d.join("conversations.jsonl")).unwrap();
    let mut lines: Vec<&str> = conversations.lines().collect();
    lines.reverse();
    std::fs::write(d.join("conversations.jsonl"), lines.join("\n") + "\n").unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let half: Vec<&str> = text.lines().take(whole.len() / 2).collect();
    std::fs::write(&path, half.join("\n") + "\n").unwrap();
    let again: Value =
        serde_json::from_str(&ok(d, &["pairs", "--in", "conversations.jsonl", "--json"]).stdout)
            .unwrap();
    assert_eq!(again["resumed"], whole.len() / 2, "{again}");
    let mut made = jsonl(&path);
    assert_eq!(
        made.len(),
        whole.len(),
        "one line per conversation, none twice"
    );
    let mut whole = whole;
    let by_id = |v: &Value| v["id"].as_str().unwrap().to_string();
    made.sort_by_key(by_id);
    whole.sort_by_key(by_id);
    assert_eq!(made, whole, "the same pairs for every conversation");

    // Rendered in the conversations' new order: the same lines in each file.
    ok(d, &["export", "dpo", "--in", "conversations.jsonl"]);
    let sorted = |files: Vec<(String, Vec<u8>)>| {
        files
            .into_iter()
            .map(|(name, bytes)| {
                let text = String::from_utf8(bytes).unwrap();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                lines.sort();
                (name, lines)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(sorted(dpo_files(d)), sorted(rendered));

    // A line for a conversation the file does not have is refused, naming the line.
    let mut stray = std::fs::read_to_string(&path).unwrap();
    let first = stray.lines().next().unwrap().to_string();
    let id = by_id(&serde_json::from_str(&first).unwrap());
    stray.push_str(&first.replacen(&id, "c99999999", 1));
    stray.push('\n');
    std::fs::write(&path, stray).unwrap();
    let refused = musegen(d, &["pairs", "--in", "conversations.jsonl"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!(
            "pairs.jsonl:{} holds the pairs of c99999999",
            whole.len() + 1
        )) && refused.stderr.contains("other conversations"),
        "{}",
        refused.stderr
    );
}

#[test]
fn sim_negatives_differ_from_the_chosen_reply_in_the_item_only_and_nothing_rejected_later_is_chosen()
 {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    ok(d, &["pairs", "--in", "conversations.jsonl"]);
    ok(d, &["catalog", "export", "--jsonl", "items.jsonl"]);
    let items = jsonl(&d.join("items.jsonl"));
    let titles: std::collections::HashMap<String, String> = items
        .iter()
        .map(|i| {
            let id = i["id"].as_str().unwrap().to_string();
            (id, i["title"].as_str().unwrap().to_string())
        })
        .collect();
    // The words of each item's attribute values (lowercase), and its features: the facts a reply may cite about it.
    let features: std::collections::HashMap<String, Vec<String>> = items
        .iter()
        .map(|i| {
            let list = i["features"].as_array().into_iter().flatten();
            let list = list
                .filter_map(Value::as_str)
                .map(str::to_lowercase)
                .collect();
            (i["id"].as_str().unwrap().to_string(), list)
        })
        .collect();
    let word = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let value_words: std::collections::HashMap<String, std::collections::HashSet<String>> = items
        .iter()
        .map(|i| {
            let mut words = std::collections::HashSet::new();
            let values = i["details"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.values());
            for v in values.filter_map(Value::as_str) {
                words.extend(
                    v.split(|c: char| !c.is_alphanumeric() && c != '\'')
                        .map(word),
                );
            }
            (i["id"].as_str().unwrap().to_string(), words)
        })
        .collect();
    let conversations: std::collections::HashMap<String, Value> =
        jsonl(&d.join("conversations.jsonl"))
            .into_iter()
            .map(|c| (c["id"].as_str().unwrap().to_string(), c))
            .collect();
    let (mut sim, mut rejected_later, mut all_reworded) = (0, 0, 0);
    for line in jsonl(&d.join("pairs.jsonl")) {
        let reworded = line["counts"]["reworded"].as_u64().unwrap();
        all_reworded += reworded;
        rejected_later += line["counts"]["rejected_later"].as_u64().unwrap();
        let turns = conversations[line["id"].as_str().unwrap()]["turns"]
            .as_array()
            .unwrap()
            .clone();
        let mut differing = 0u64;
        for p in line["pairs"].as_array().unwrap() {
            let chosen_item = p["chosen_item"].as_str().unwrap();
            let turn = p["turn"].as_u64().unwrap() as usize;
            // The shopper never turns the chosen item down later in the dialogue.
            let mut last = "";
            for (i, t) in turns.iter().enumerate() {
                let first = t["items"].get(0).and_then(Value::as_str);
                if t["role"] == "system" && t["action"] == "recommend" {
                    last = first.unwrap_or(last);
                }
                if i > turn && t["role"] == "user" && t["action"] == "reject" {
                    assert_ne!(first.unwrap_or(last), chosen_item, "{p}");
                }
            }
            if p["source"] != "sim" {
                continue;
            }
            sim += 1;
            // With both items' titles and prices set aside, and the words of both items' values and features left
            // out (and the articles and pronouns that agree with the item, and the "and" of a value such as "black
            // and white"), the two replies are the same words: they differ in the item only.
            let rejected_item = p["rejected_item"].as_str().unwrap();
            let agreeing = [
                "a", "an", "it", "it's", "its", "is", "has", "comes", "they", "they're", "their",
                "are", "have", "come", "one", "pair", "and",
            ];
            let cites = |w: &str| {
                let w = word(w);
                w.is_empty()
                    || w.chars().any(|c| c.is_ascii_digit())
                    || agreeing.contains(&w.as_str())
                    || [chosen_item, rejected_item]
                        .iter()
                        .any(|i| value_words[*i].contains(&w))
            };
            let frame = |text: &str| -> Vec<String> {
                let mut text = text.to_string();
                for i in [chosen_item, rejected_item] {
                    text = text.replace(&titles[i], " ITEM ");
                }
                let mut text = text.to_lowercase();
                for i in [chosen_item, rejected_item] {
                    for f in &features[i] {
                        text = text.replace(f.as_str(), " ");
                    }
                }
                text.split(|c: char| c.is_whitespace() || c == '-')
                    .filter(|w| !cites(w))
                    .map(word)
                    .collect()
            };
            let (chosen, rejected) = (
                p["chosen"].as_str().unwrap(),
                p["rejected"].as_str().unwrap(),
            );
            if frame(chosen) != frame(rejected) {
                differing += 1;
            }
        }
        // A reply that could not be swapped truthfully (its wording cites a wish the negative item does not meet)
        // is the negative's own wording, and counted so.
        assert!(differing <= reworded, "{differing} > {reworded}: {line}");
    }
    // Every sim pair is one plan worded for both items: none falls back to the negative's own wording.
    assert_eq!(all_reworded, 0, "{all_reworded} reworded of {sim}");
    assert!(sim > 20 && rejected_later > 0, "{sim} {rejected_later}");
}
