//! Several items in one recommendation (`dialogue.items_per_turn`): the recommender shows two or three distinct
//! items, never one shown before; the shopper takes one of them and says which (by its place or by a colour the
//! recommender said, never by title), or turns them all down about the closest, citing only what it may; the review,
//! `musegen stats`, the pairs (the item taken swapped for a hard negative in the turn's own words), the analytics bridge and the MUSE export read such turns. `[1, 0, 0]` shows one item
//! a turn.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::util::{ORDINALS, jsonl, musegen, ok, repo, strs};

/// The catalog's items by id (title and details, lowercase).
fn items(d: &Path) -> BTreeMap<String, String> {
    ok(d, &["catalog", "export", "--jsonl", "items.jsonl"]);
    jsonl(&d.join("items.jsonl"))
        .into_iter()
        .map(|i| {
            let id = i["id"].as_str().unwrap().to_string();
            (id, i.to_string().to_lowercase())
        })
        .collect()
}

/// Whether the shopper's `text` names the `n`-th of `shown`: by its place ("the second one"), or by a colour ("the
/// navy one") that the recommender's `offer` said and that the item has.
fn names(
    text: &str,
    shown: &[String],
    n: usize,
    offer: &str,
    items: &BTreeMap<String, String>,
) -> bool {
    let text = text.to_lowercase();
    if let Some(k) = ORDINALS.iter().position(|o| text.contains(o)) {
        return k == n;
    }
    let words = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .map(str::to_string)
            .collect()
    };
    let said = words(&text);
    said.windows(3).any(|w| {
        w[0] == "the"
            && w[2] == "one"
            && words(offer).contains(&w[1])
            && words(&items[&shown[n]]).contains(&w[1])
    })
}

#[test]
fn several_items_a_turn_are_shown_judged_reviewed_and_exported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = repo("examples/quickstart.toml");
    ok(
        d,
        &[
            "run",
            "--config",
            config.to_str().unwrap(),
            "--sessions",
            "400",
            "--set",
            "profiles.count=400",
            "--set",
            "dialogue.items_per_turn=[0.2, 0.5, 0.3]",
            "--out",
            "run",
        ],
    );
    let run = d.join("run");
    let items = items(&run);
    let conversations = jsonl(&run.join("conversations.jsonl"));
    let (mut by_count, mut accepts, mut rejects, mut by_colour) = ([0usize; 4], 0, 0, 0);
    let mut several_turns: BTreeSet<(String, usize)> = BTreeSet::new();
    for c in &conversations {
        let id = c["id"].as_str().unwrap();
        let turns = c["turns"].as_array().unwrap();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut offer: Option<(Vec<String>, String)> = None;
        for (i, t) in turns.iter().enumerate() {
            let shown = strs(&t["items"]);
            let text = t["text"].as_str().unwrap();
            match (t["role"].as_str().unwrap(), t["action"].as_str().unwrap()) {
                ("system", "recommend") => {
                    assert!((1..=3).contains(&shown.len()), "{id} turn {i}");
                    by_count[shown.len()] += 1;
                    for s in &shown {
                        assert!(seen.insert(s.clone()), "{id}: {s} shown twice");
                        assert!(items.contains_key(s), "{id}: {s} is not in the catalog");
                    }
                    if shown.len() > 1 {
                        several_turns.insert((id.to_string(), i));
                        // Each item is presented with its price, in the order of `items`.
                        let at: Vec<usize> = shown
                            .iter()
                            .map(|s| {
                                let title =
                                    serde_json::from_str::<Value>(&items[s]).unwrap()["title"]
                                        .as_str()
                                        .unwrap()
                                        .to_string();
                                text.to_lowercase().find(&title).unwrap_or_else(|| {
                                    panic!("{id} turn {i}: {title} not in {text}")
                                })
                            })
                            .collect();
                        assert!(at.windows(2).all(|w| w[0] < w[1]), "{id} turn {i}: {text}");
                    }
                    offer = Some((shown, text.to_string()));
                }
                ("user", action) if matches!(action, "accept" | "reject" | "ask") => {
                    let Some((shown, said)) = offer.as_ref().filter(|(s, _)| s.len() > 1) else {
                        continue;
                    };
                    // Never the full title of an item shown.
                    for s in shown {
                        let title = serde_json::from_str::<Value>(&items[s]).unwrap()["title"]
                            .as_str()
                            .unwrap()
                            .to_lowercase();
                        assert!(
                            !text.to_lowercase().contains(&title),
                            "{id} turn {i}: {text}"
                        );
                    }
                    // The item the turn is about: the one taken, asked about, or (a turn-down) whose reasons it gives.
                    let about = strs(&t["items"]);
                    let named = about
                        .first()
                        .and_then(|x| shown.iter().position(|s| s == x))
                        .unwrap_or_else(|| panic!("{id} turn {i}: about no item shown"));
                    assert!(
                        names(text, shown, named, said, &items),
                        "{id} turn {i}: does not name item {named} of {shown:?}: {text}"
                    );
                    if !ORDINALS.iter().any(|o| text.to_lowercase().contains(o)) {
                        by_colour += 1;
                    }
                    match action {
                        "accept" => {
                            accepts += 1;
                            assert_eq!(about.len(), 1, "{id} turn {i}");
                            assert_eq!(
                                c["accepted_item"].as_str(),
                                Some(shown[named].as_str()),
                                "{id}"
                            );
                            let target = c["target_item_id"].as_str().unwrap();
                            assert_eq!(
                                c["end_reason"] == "accepted_target",
                                shown[named] == target,
                                "{id}"
                            );
                        }
                        "reject" => {
                            rejects += 1;
                            // It names every item shown, the one its reasons are about first.
                            let mut all = strs(&t["items"]);
                            assert_eq!(all.first(), Some(&shown[named]), "{id} turn {i}: {text}");
                            all.sort();
                            let mut want = shown.clone();
                            want.sort();
                            assert_eq!(all, want, "{id} turn {i}");
                        }
                        _ => assert_eq!(
                            strs(&t["items"]),
                            vec![shown[named].clone()],
                            "{id} turn {i}"
                        ),
                    }
                }
                _ => {}
            }
        }
    }
    assert!(by_count[2] > 50 && by_count[3] > 20, "{by_count:?}");
    assert!(
        accepts > 20 && rejects > 20,
        "accepts {accepts}, rejects {rejects}"
    );
    assert!(by_colour > 0, "no item referred to by its colour");

    // The review: rejects cite only the profile's wishes, accepts praise only what was said or shown, nothing
    // unfounded, no item of another department; in the dialogues with several items a turn as in all.
    for r in jsonl(&run.join("reviews.jsonl")) {
        let realism = &r["realism"];
        for key in [
            "rejects_outside_requirements",
            "accepts_unstated_praise",
            "unfounded_references",
            "other_department",
            "broken_fills",
        ] {
            assert_eq!(realism[key], 0, "{}: {key} {realism}", r["id"]);
        }
    }

    // `musegen stats`: the items-per-turn fit and the rule that no item is shown twice, and the accept rule
    // replayed over every item judged.
    let stats: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("stats.json")).unwrap()).unwrap();
    let fit = |name: &str| {
        stats["fits"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap_or_else(|| panic!("no fit {name}"))
            .clone()
    };
    let per_turn = fit("dialogue.items_per_turn");
    assert_eq!(per_turn["n"], by_count.iter().sum::<usize>());
    assert_eq!(per_turn["test"]["bins"][1]["observed"], by_count[2]);
    assert_eq!(
        fit("dialogue.items_per_turn.distinct")["test"]["violations"],
        0
    );
    assert_eq!(fit("dialogue.reject_reasons")["verdict"], "pass");
    let accept = fit("dialogue.accept");
    assert!(!accept.to_string().contains("forbidden\":1"), "{accept}");

    // Pairs: a turn showing several items gives a pair only when it holds the item the shopper took; the chosen reply
    // is the turn as said, the rejected one the same words with that item's title, price and fact swapped for a
    // hard negative, the other items as they were; no chosen item is one the shopper turns down later.
    let by_id: BTreeMap<&str, &Value> = conversations
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c))
        .collect();
    let title = |id: &str| {
        serde_json::from_str::<Value>(&items[id]).unwrap()["title"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut several_pairs: BTreeMap<String, Value> = BTreeMap::new();
    for row in jsonl(&run.join("pairs.jsonl")) {
        for p in row["pairs"].as_array().unwrap() {
            let id = p["conversation_id"].as_str().unwrap();
            let t = p["turn"].as_u64().unwrap() as usize;
            let c = by_id[id];
            let turns = c["turns"].as_array().unwrap();
            let chosen_item = p["chosen_item"].as_str().unwrap();
            // Never an item the shopper turns down after this turn.
            for later in &turns[t + 1..] {
                if later["action"] == "reject" {
                    assert!(
                        !strs(&later["items"]).iter().any(|x| x == chosen_item),
                        "{p}"
                    );
                }
            }
            if !several_turns.contains(&(id.to_string(), t)) {
                continue;
            }
            let shown = strs(&turns[t]["items"]);
            assert_eq!(p["source"], "sim", "{p}");
            assert_eq!(p["chosen"], turns[t]["text"], "the turn as said: {p}");
            assert_eq!(c["accepted_item"].as_str(), Some(chosen_item), "{p}");
            assert!(shown.iter().any(|x| x == chosen_item), "{p}");
            let other = p["rejected_item"].as_str().unwrap();
            assert!(!shown.iter().any(|x| x == other), "{p}");
            // (Compared in lowercase, as the catalog's items are held here.)
            let (chosen, rejected) = (
                p["chosen"].as_str().unwrap().to_lowercase(),
                p["rejected"].as_str().unwrap().to_lowercase(),
            );
            // The other items stand as they were; the taken one is gone, the negative in its place.
            for s in shown.iter().filter(|s| *s != chosen_item) {
                assert!(rejected.contains(&title(s)), "{p}");
            }
            assert!(!rejected.contains(&title(chosen_item)), "{p}");
            let place = chosen.find(&title(chosen_item)).unwrap();
            assert_eq!(rejected.find(&title(other)), Some(place), "{p}");
            // They differ within that item's part of the turn only (its title, price and fact): before its title
            // and from the next item's title on, the replies are the same.
            let same_head = chosen
                .chars()
                .zip(rejected.chars())
                .take_while(|(x, y)| x == y)
                .map(|(x, _)| x.len_utf8())
                .sum::<usize>();
            let same_tail = chosen
                .chars()
                .rev()
                .zip(rejected.chars().rev())
                .take_while(|(x, y)| x == y)
                .map(|(x, _)| x.len_utf8())
                .sum::<usize>();
            assert!(same_head >= place, "{p}");
            let n = shown.iter().position(|x| x == chosen_item).unwrap();
            if let Some(next) = shown.get(n + 1) {
                let next_at = chosen.find(&title(next)).unwrap();
                assert!(chosen.len() - same_tail <= next_at, "{p}");
            }
            // What differs is one clause of a few words: the title, the price and the fact.
            let part = chosen[place..chosen.len() - same_tail].replacen(&title(chosen_item), "", 1);
            assert!(part.split_whitespace().count() <= 16, "{part}: {p}");
            assert!(!part.contains(". "), "{part}: {p}");
            several_pairs.insert(
                format!("{id}:t{t}:{}", p["kind"].as_str().unwrap()),
                p.clone(),
            );
        }
    }
    assert!(
        several_pairs.len() > 20,
        "{} pairs of several items",
        several_pairs.len()
    );
    // Their DPO rows read in TRL's conversational format: the prompt alternates from the user on and ends with the
    // shopper; chosen and rejected are one assistant message each, the pair's replies.
    let mut exported = 0;
    for split in ["train", "validation", "test"] {
        let trl = jsonl(&run.join(format!("dpo/trl_{split}.jsonl")));
        let meta = jsonl(&run.join(format!("dpo/meta_{split}.jsonl")));
        assert_eq!(trl.len(), meta.len());
        for (t, m) in trl.iter().zip(&meta) {
            let Some(p) = several_pairs.get(m["pair_id"].as_str().unwrap()) else {
                continue;
            };
            exported += 1;
            assert_eq!(m["chosen_item"], p["chosen_item"]);
            assert_eq!(m["rejected_item"], p["rejected_item"]);
            let prompt = t["prompt"].as_array().unwrap();
            assert_eq!(prompt[0]["role"], "system");
            for (i, msg) in prompt[1..].iter().enumerate() {
                assert_eq!(msg["role"], if i % 2 == 0 { "user" } else { "assistant" });
            }
            assert_eq!(prompt.last().unwrap()["role"], "user");
            for side in ["chosen", "rejected"] {
                let reply = t[side].as_array().unwrap();
                assert_eq!(reply.len(), 1);
                assert_eq!(reply[0]["role"], "assistant");
                assert_eq!(reply[0]["content"], p[side]);
            }
        }
    }
    assert_eq!(exported, several_pairs.len());

    // The analytics bridge holds one row per item shown, at its place.
    let bridge = std::fs::read_to_string(run.join("star/bridge_turn_item.csv")).unwrap();
    let rows = bridge.lines().count() - 1;
    let shown_total: usize = (1..=3).map(|k| k * by_count[k]).sum();
    assert!(
        rows >= shown_total,
        "{rows} bridge rows, {shown_total} items shown"
    );
    assert!(bridge.lines().any(|l| l.ends_with(",3")));

    // The MUSE export lists every item a turn shows.
    ok(
        d,
        &[
            "generate",
            "--sessions",
            "60",
            "--profiles",
            "run/profiles.jsonl",
            "--catalog",
            "run/catalog.db",
            "--set",
            "dialogue.items_per_turn=[0, 1, 0]",
            "--out",
            "muse/conversations.jsonl",
            "--format",
            "muse",
        ],
    );
    // (A turn drawn to show two shows one when the best item has no fact to cite or nothing else is left.)
    let (mut recommendations, mut listed) = (0, 0);
    for f in std::fs::read_dir(d.join("muse/detail_convs")).unwrap() {
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(f.unwrap().path()).unwrap()).unwrap();
        for t in v["Conversations"].as_array().unwrap() {
            if t["Action"] == "recommend" {
                recommendations += 1;
                let n = t["Mentioned_item"].as_array().unwrap().len();
                assert!((1..=2).contains(&n), "{t}");
                assert_eq!(t["Image"].as_array().unwrap().len(), n, "{t}");
                listed += usize::from(n == 2);
            }
        }
    }
    assert!(
        listed * 10 > recommendations * 8,
        "{listed} of {recommendations}"
    );
}

#[test]
fn one_item_a_turn_by_default_and_bad_weights_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "800"]);
    ok(d, &["profiles", "--count", "150"]);
    ok(d, &["generate", "--sessions", "150"]);
    let mut recommendations = 0;
    for c in jsonl(&d.join("conversations.jsonl")) {
        for t in c["turns"].as_array().unwrap() {
            if t["action"] == "recommend" {
                recommendations += 1;
                assert_eq!(t["items"].as_array().unwrap().len(), 1, "{t}");
            }
            // No shopper says which of several it means.
            let text = t["text"].as_str().unwrap().to_lowercase();
            if t["role"] == "user" {
                assert!(!ORDINALS.iter().any(|o| text.contains(o)), "{text}");
            }
        }
    }
    assert!(recommendations > 150);
    for bad in ["[0, 0, 0]", "[1, -1, 0]", "[1, 0]"] {
        let out = musegen(
            d,
            &[
                "generate",
                "--sessions",
                "5",
                "--set",
                &format!("dialogue.items_per_turn={bad}"),
                "--out",
                "bad/conversations.jsonl",
            ],
        );
        assert_eq!(out.code, 2, "{bad}: {}", out.stderr);
        assert!(
            out.stderr.contains("items_per_turn"),
            "{bad}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "{bad}: {}",
            out.stderr
        );
    }
}
