//! Preference pairs: the prompt is the whole conversation before a sound recommendation, the chosen reply is that
//! recommendation, the rejected one a grounded hard negative phrased by the same recommender (the reviewer confirms it
//! fits the shopper's revealed wishes worse), or the winner of the pairwise judge in both orders. Every format has its
//! reader's shape, the metadata lines up with the pairs, and the files are the same whatever the thread count.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::util::{jsonl, ok};

fn run(d: &Path) {
    ok(d, &["catalog", "sample", "--items", "600"]);
    ok(d, &["profiles", "--count", "80"]);
    ok(d, &["generate"]);
    ok(d, &["review"]);
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn hard_negatives_are_worse_by_the_reviewers_own_measure_and_every_format_is_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    let report: Value =
        serde_json::from_str(&ok(d, &["export", "dpo", "--json", "--threads", "1"]).stdout)
            .unwrap();
    let total: u64 = report["pairs"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(total > 50, "{report}");
    assert_eq!(report["by_source"]["sim"].as_u64(), Some(total));
    assert!(report["by_kind"]["breaks_requirement"].as_u64().unwrap() > 0);
    assert!(report["by_kind"]["over_budget"].as_u64().unwrap() > 0);
    let conversations: HashMap<String, Value> = jsonl(&d.join("kept.jsonl"))
        .into_iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c))
        .collect();
    // Counterfactual conversations: the history, then the chosen or the rejected recommendation.
    let mut probes = Vec::new();
    let mut multi_turn_prompts = 0;
    for split in ["train", "validation", "test"] {
        let f = |stem: &str| jsonl(&d.join(format!("dpo/{stem}_{split}.jsonl")));
        let (trl, openai, sharegpt, meta) = (f("trl"), f("openai"), f("sharegpt"), f("meta"));
        assert_eq!(trl.len(), meta.len());
        assert_eq!(openai.len(), meta.len());
        assert_eq!(sharegpt.len(), meta.len());
        for (k, m) in meta.iter().enumerate() {
            let (t, o, s) = (&trl[k], &openai[k], &sharegpt[k]);
            // TRL: all three are message lists; the prompt alternates from the user on and ends with the user.
            let prompt = t["prompt"].as_array().unwrap();
            assert_eq!(prompt[0]["role"], "system");
            for (i, msg) in prompt[1..].iter().enumerate() {
                assert_eq!(msg["role"], if i % 2 == 0 { "user" } else { "assistant" });
            }
            assert_eq!(prompt.last().unwrap()["role"], "user");
            if prompt.len() > 3 {
                multi_turn_prompts += 1;
            }
            for side in ["chosen", "rejected"] {
                let reply = t[side].as_array().unwrap();
                assert_eq!(reply.len(), 1);
                assert_eq!(reply[0]["role"], "assistant");
            }
            assert_ne!(texts(&t["chosen"]), texts(&t["rejected"]), "{t}");
            // OpenAI: the same messages under input, assistant-only outputs.
            assert_eq!(o["input"]["messages"], t["prompt"]);
            assert_eq!(o["preferred_output"], t["chosen"]);
            assert_eq!(o["non_preferred_output"], t["rejected"]);
            assert_eq!(o.as_object().unwrap().len(), 3);
            // ShareGPT ranking: an odd number of turns after the system, ending with the human.
            let c = s["conversations"].as_array().unwrap();
            assert_eq!(c[0]["from"], "system");
            assert_eq!(c.len() % 2, 0, "system + an odd number of turns");
            assert_eq!(c.last().unwrap()["from"], "human");
            assert_eq!(s["chosen"]["from"], "gpt");
            assert_eq!(s["chosen"]["value"], t["chosen"][0]["content"]);
            assert_eq!(s["rejected"]["value"], t["rejected"][0]["content"]);
            // Metadata: the conversation's own recommendation is the chosen one (its item; a sim pair words it
            // afresh, in the same words as the negative).
            assert_eq!(m["source"], "sim");
            let conv = &conversations[m["conversation_id"].as_str().unwrap()];
            let turn = m["turn"].as_u64().unwrap() as usize;
            let turns = conv["turns"].as_array().unwrap();
            assert_eq!(turns[turn]["action"], "recommend");
            assert_eq!(turns[turn]["items"][0], m["chosen_item"]);
            let shown: Vec<&Value> = turns[..turn]
                .iter()
                .flat_map(|t| t["items"].as_array().into_iter().flatten())
                .collect();
            match m["kind"].as_str().unwrap() {
                "repeat_rejected" => assert!(shown.contains(&&m["rejected_item"])),
                kind => {
                    assert!(
                        !shown.contains(&&m["rejected_item"]),
                        "{kind}: a fresh item"
                    );
                    for (side, item) in [
                        ("chosen", &m["chosen_item"]),
                        ("rejected", &m["rejected_item"]),
                    ] {
                        let mut probe = conv.clone();
                        let mut rec = turns[turn].clone();
                        rec["items"] = json!([item]);
                        let mut kept: Vec<Value> = turns[..turn]
                            .iter()
                            .filter(|t| t["action"] != "recommend")
                            .cloned()
                            .collect();
                        kept.push(rec);
                        probe["turns"] = json!(kept);
                        probe["id"] = json!(format!(
                            "{}-{}-{side}",
                            m["pair_id"].as_str().unwrap(),
                            kind
                        ));
                        probe["mentioned_items"] = json!([item]);
                        probe["accepted_item"] = Value::Null;
                        probe["outcome"] = json!("max_rounds");
                        probes.push(probe);
                    }
                }
            }
        }
    }
    assert!(
        multi_turn_prompts > 20,
        "prompts hold the conversation so far"
    );
    // The reviewer, on its own, finds every rejected recommendation fits what was revealed worse than the chosen one.
    let probe_file = d.join("probes.jsonl");
    std::fs::write(
        &probe_file,
        probes.iter().map(|p| format!("{p}\n")).collect::<String>(),
    )
    .unwrap();
    let out = d.join("probe-review");
    std::fs::create_dir_all(&out).unwrap();
    ok(
        d,
        &[
            "review",
            "--in",
            probe_file.to_str().unwrap(),
            "--catalog",
            d.join("catalog.db").to_str().unwrap(),
            "--out",
            out.join("reviews.jsonl").to_str().unwrap(),
        ],
    );
    let fit: HashMap<String, f64> = jsonl(&out.join("reviews.jsonl"))
        .into_iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["grounding"]["fit_mean"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(fit.len(), probes.len());
    let mut compared = 0;
    for (id, chosen) in &fit {
        if let Some(pair) = id.strip_suffix("-chosen") {
            let rejected = fit[&format!("{pair}-rejected")];
            assert_eq!(
                *chosen, 1.0,
                "{id}: the chosen recommendation meets every revealed wish"
            );
            assert!(
                rejected < 1.0,
                "{pair}: the hard negative breaks one ({rejected})"
            );
            compared += 1;
        }
    }
    assert!(compared > 50);
    // The same bytes whatever the thread count.
    let before: Vec<Vec<u8>> = ["trl", "meta"]
        .iter()
        .map(|s| std::fs::read(d.join(format!("dpo/{s}_train.jsonl"))).unwrap())
        .collect();
    ok(d, &["export", "dpo", "--threads", "4"]);
    for (i, s) in ["trl", "meta"].iter().enumerate() {
        assert_eq!(
            std::fs::read(d.join(format!("dpo/{s}_train.jsonl"))).unwrap(),
            before[i],
            "{s}"
        );
    }
}

/// A pairwise judge that prefers the shorter reply (or, biased, always the first one shown).
fn judge(
    biased: bool,
) -> crate::util::Answering<impl Fn(&musegen::llm::ChatRequest) -> String + Send + Sync> {
    crate::util::Answering(move |request: &musegen::llm::ChatRequest| {
        let prompt = &request.messages[0].content;
        let between = |a: &str, b: &str| {
            let start = prompt.find(a).unwrap() + a.len();
            let end = prompt[start..].find(b).unwrap() + start;
            prompt[start..end].trim().to_string()
        };
        let first = between("Reply 1:", "Reply 2:");
        let second = between("Reply 2:", "Which reply");
        let better = if biased || first.len() <= second.len() {
            "1"
        } else {
            "2"
        };
        json!({"reason": "shorter", "better": better}).to_string()
    })
}

#[test]
fn judge_pairs_take_the_judges_winner_in_both_orders_and_a_position_bias_makes_none() {
    use musegen::config::{Config, PairSource};
    use musegen::export::{ChatFormat, DpoOptions, Sources, dpo};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    let mut config = Config::default();
    config.export.dpo.sources = vec![PairSource::Judge];
    config.threads = 2;
    config.limits.rpm = std::num::NonZeroU32::MAX;
    config.limits.tpm = std::num::NonZeroU32::MAX;
    let sources = Sources::resolve(Some(d), d).unwrap();
    for biased in [false, true] {
        let manager = std::sync::Arc::new(musegen::manager::Manager::new(
            std::sync::Arc::new(judge(biased)),
            config.limits.clone(),
            None,
            Default::default(),
        ));
        let j = musegen::review::judge::Judge::over(
            &musegen::manager::Engine::new(manager).unwrap(),
            &config,
        )
        .unwrap();
        let out = d.join(if biased { "biased" } else { "fair" });
        let pairs = out.join("pairs.jsonl");
        musegen::pairs::make_pairs_judged_by(&config, &sources, &pairs, false, j).unwrap();
        let report = dpo::export_dpo(
            &config,
            &sources,
            &pairs,
            &out,
            &[ChatFormat::Trl],
            &DpoOptions::default(),
        )
        .unwrap();
        let pairs: usize = report.pairs.values().sum();
        if biased {
            assert_eq!(pairs, 0, "votes for the first shown cancel out: {report:?}");
            assert!(report.counts.judge_ties > 20, "{report:?}");
            continue;
        }
        assert!(pairs > 20, "{report:?}");
        assert_eq!(report.by_source.get("judge"), Some(&pairs));
        for split in ["train", "validation", "test"] {
            let trl = jsonl(&out.join(format!("dpo/trl_{split}.jsonl")));
            let meta = jsonl(&out.join(format!("dpo/meta_{split}.jsonl")));
            for (t, m) in trl.iter().zip(&meta) {
                let (c, r) = (texts(&t["chosen"]), texts(&t["rejected"]));
                assert!(c[0].len() < r[0].len(), "the judge's pick is chosen: {t}");
                assert_eq!(m["margin"], 1.0);
                assert_eq!(m["source"], "judge");
            }
        }
    }
}

#[test]
fn dpo_prompts_carry_the_pictures_the_shopper_saw() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    run(d);
    let pictures = d.join("pictures");
    for c in jsonl(&d.join("kept.jsonl")) {
        for t in c["turns"].as_array().unwrap() {
            for r in t["images"].as_array().into_iter().flatten() {
                let p = pictures.join(r.as_str().unwrap());
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, b"\x89PNG\r\n\x1a\n").unwrap();
            }
        }
    }
    let set = format!("catalog.images_dir=\"{}\"", pictures.display());
    let report: Value = serde_json::from_str(
        &ok(
            d,
            &[
                "export", "dpo", "--images", "--set", &set, "--json", "--out", "v", "--in", ".",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert!(report["images"].as_u64().unwrap() > 0, "{report}");
    assert_eq!(report["images_missing"], 0);
    let (mut trl_parts, mut openai_parts) = (0, 0);
    for t in jsonl(&d.join("v/dpo/trl_train.jsonl")) {
        let mut parts = 0;
        for m in t["prompt"].as_array().unwrap() {
            let list = m["content"].as_array().expect("one content shape: parts");
            parts += list.iter().filter(|p| p["type"] == "image").count();
            if m["role"] != "user" {
                assert_eq!(list.len(), 1, "pictures only with the shopper");
            }
        }
        assert_eq!(parts, t["images"].as_array().map_or(0, |a| a.len()), "{t}");
        assert!(t["chosen"][0]["content"][0]["text"].is_string());
        trl_parts += parts;
    }
    for o in jsonl(&d.join("v/dpo/openai_train.jsonl")) {
        for m in o["input"]["messages"].as_array().unwrap() {
            for p in m["content"].as_array().unwrap() {
                if p["type"] == "image_url" {
                    assert!(
                        p["image_url"]["url"]
                            .as_str()
                            .unwrap()
                            .starts_with("data:image/")
                    );
                    openai_parts += 1;
                }
            }
        }
        assert!(o["preferred_output"][0]["content"].is_string());
    }
    assert!(trl_parts > 0);
    assert_eq!(trl_parts, openai_parts);
}
