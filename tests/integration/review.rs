//! The review stage on hand-built conversations with known answers (a grounded and an ungrounded recommendation,
//! a false reject reason, contradictions, a repeated rejected item, an exact and a near-duplicate pair), the keep
//! rule, resume, a changed rule, and bad input.

use serde_json::{Value, json};

use crate::util::{jsonl, musegen, ok};

/// Four sneakers and a boot, in a catalog index in `dir`.
fn catalog(dir: &std::path::Path) {
    let items = [
        json!({"id": "k1", "title": "Black Canvas Sneaker", "categories": ["Footwear", "Sneakers"], "price": 60.0, "details": {"Color": "Black", "Material": "Canvas"}, "features": ["Padded collar"]}),
        json!({"id": "k2", "title": "Red Canvas Sneaker", "categories": ["Footwear", "Sneakers"], "price": 55.0, "details": {"Color": "Red", "Material": "Canvas"}}),
        json!({"id": "k3", "title": "Black Leather Sneaker", "categories": ["Footwear", "Sneakers"], "price": 120.0, "details": {"Color": "Black", "Material": "Leather"}}),
        json!({"id": "k4", "title": "Brown Hiking Boot", "categories": ["Footwear", "Boots"], "price": 90.0, "details": {"Color": "Brown", "Material": "Leather"}}),
        json!({"id": "k5", "title": "Men's Black Canvas Sneaker", "categories": ["Footwear", "Sneakers"], "price": 65.0, "details": {"Color": "Black", "Material": "Canvas"}}),
    ];
    let profile = json!({
        "id": "p1",
        "persona": {"name": "Ana Ruiz", "gender": "female", "age": 41, "language_mix": "en"},
        "scenario": {"narrative": "Ana needs black sneakers for a wedding.", "requirements": [], "budget": {"max": 80.0}},
        "target_item_id": "k1"
    });
    std::fs::write(dir.join("profiles.jsonl"), format!("{profile}\n")).unwrap();
    let text: String = items.iter().map(|i| format!("{i}\n")).collect();
    std::fs::write(dir.join("items.jsonl"), text).unwrap();
    ok(dir, &["catalog", "import", "--from", "items.jsonl"]);
}

fn turn(role: &str, action: &str, text: &str, items: &[&str], slots: Value) -> Value {
    json!({"role": role, "action": action, "text": text, "items": items, "slots": slots, "latency_ms": 1})
}

fn conversation(id: &str, outcome: &str, accepted: Option<&str>, turns: Vec<Value>) -> Value {
    let mentioned: Vec<Value> = turns
        .iter()
        .filter(|t| t["action"] == "recommend")
        .map(|t| t["items"][0].clone())
        .collect();
    json!({
        "id": id, "profile_id": "p1", "target_item_id": "k1", "outcome": outcome,
        "end_reason": if outcome == "accepted" { "accepted_target" } else { "out_of_patience" },
        "rounds": 2, "accepted_item": accepted, "mentioned_items": mentioned, "turns": turns,
        "usage": {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.01, "latency_ms": 5},
        "meta": {"user_agent": "sim", "system_agent": "sim", "config_hash": "x", "seed": 1, "musegen": "0"}
    })
}

fn opening() -> Vec<Value> {
    vec![
        turn(
            "system",
            "greet",
            "Hello! What can I find for you today?",
            &[],
            json!([]),
        ),
        turn(
            "user",
            "answer",
            "I want black sneakers for a wedding, at most $80.",
            &[],
            json!([{"attribute": "category", "value": "sneakers"}, {"attribute": "color", "value": "black"}, {"attribute": "budget", "value": "80"}]),
        ),
    ]
}

fn conversations() -> Vec<Value> {
    // Grounded: the black canvas sneaker fits every constraint and is accepted with a reason.
    let mut good = opening();
    good.push(turn(
        "system",
        "recommend",
        "Try the Black Canvas Sneaker at $60, black canvas for the wedding.",
        &["k1"],
        json!([]),
    ));
    good.push(turn(
        "user",
        "accept",
        "Perfect, black canvas with a padded collar is exactly it.",
        &["k1"],
        json!([]),
    ));
    // Ungrounded: an unknown item, then a red one after asking for black and "nothing red", rejected with two
    // true reasons and a false one (it is canvas already); then the rejected item again, and an accept of red.
    let mut bad = opening();
    bad.push(turn(
        "system",
        "recommend",
        "How about the Mystery Shoe?",
        &["x999"],
        json!([]),
    ));
    bad.push(turn(
        "user",
        "reject",
        "Not that one, and nothing red.",
        &["x999"],
        json!([{"attribute": "color", "value": "red", "negative": true}]),
    ));
    bad.push(turn(
        "system",
        "recommend",
        "Then the Red Canvas Sneaker at $55.",
        &["k2"],
        json!([]),
    ));
    bad.push(turn(
        "user",
        "reject",
        "It needs to be black, in canvas, or maybe brown.",
        &["k2"],
        json!([{"attribute": "color", "value": "black"}, {"attribute": "material", "value": "canvas"}, {"attribute": "color", "value": "brown"}]),
    ));
    bad.push(turn(
        "system",
        "recommend",
        "The Red Canvas Sneaker is lovely though.",
        &["k2"],
        json!([]),
    ));
    bad.push(turn("user", "accept", "Fine.", &["k2"], json!([])));
    // An exact copy of the good one, and a near copy (one word changed).
    let copy = conversation("c4", "accepted", Some("k1"), good.clone());
    let mut near_turns = good.clone();
    near_turns[3]["text"] = json!("Perfect, black canvas with a padded collar is exactly right.");
    // A woman shopping for herself accepts a men's sneaker.
    let mut other = opening();
    other.push(turn(
        "system",
        "recommend",
        "The Men's Black Canvas Sneaker is $65 and black.",
        &["k5"],
        json!([]),
    ));
    other.push(turn(
        "user",
        "accept",
        "Great, black canvas under my budget, I'll take it.",
        &["k5"],
        json!([]),
    ));
    vec![
        conversation("c1", "accepted", Some("k1"), good),
        conversation("c2", "accepted", Some("k2"), bad),
        conversation("c3", "accepted", Some("k1"), near_turns),
        copy,
        conversation("c5", "accepted", Some("k5"), other),
    ]
}

fn write(dir: &std::path::Path, convs: &[Value]) {
    let text: String = convs.iter().map(|c| format!("{c}\n")).collect();
    std::fs::write(dir.join("conversations.jsonl"), text).unwrap();
}

fn by_id(dir: &std::path::Path) -> std::collections::BTreeMap<String, Value> {
    jsonl(&dir.join("reviews.jsonl"))
        .into_iter()
        .map(|r| (r["id"].as_str().unwrap().to_string(), r))
        .collect()
}

#[test]
fn metrics_find_the_known_faults_of_hand_built_conversations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog(d);
    write(d, &conversations());
    let out = ok(d, &["review", "--json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let reviews = by_id(d);
    let good = &reviews["c1"];
    assert_eq!(good["grounding"]["ok"], true);
    assert_eq!(good["grounding"]["fit_mean"], 1.0);
    assert_eq!(good["grounding"]["accepted_meets"], true);
    assert_eq!(good["consistency"]["ok"], true);
    assert_eq!(
        good["cooperation"]["accepted_first"], true,
        "accepted the first recommendation"
    );
    assert_eq!(good["cooperation"]["accept_without_reason"], false);
    assert_eq!(good["shape"]["alternates"], true);
    assert_eq!(good["keep"], true);

    let bad = &reviews["c2"];
    let g = &bad["grounding"];
    assert_eq!(g["ok"], false);
    assert_eq!(g["unknown_items"], json!(["x999"]));
    // The red sneaker meets category and budget of {category, black, budget, not red} (2 of 4), then category,
    // budget and canvas of {category, budget, not red, brown, canvas} (3 of 5); the unknown item is not scored.
    assert!(
        (g["fit_mean"].as_f64().unwrap() - (0.5 + 0.6) / 2.0).abs() < 1e-9,
        "{g}"
    );
    assert_eq!(g["accepted_meets"], false);
    // "black" (true: it is red), "canvas" (false: it is canvas), "brown" (true: it is not brown).
    assert!(
        (g["true_reasons"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9,
        "{g}"
    );
    let c = &bad["consistency"];
    assert_eq!(c["ok"], false);
    assert_eq!(c["repeated_rejected"], 1);
    let said: Vec<&str> = c["contradictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert!(
        said.iter()
            .any(|s| s.contains("wanted color black, later brown")),
        "{said:?}"
    );
    assert!(
        said.iter()
            .any(|s| s.contains("color red after saying not red")),
        "{said:?}"
    );
    assert_eq!(
        bad["cooperation"]["accept_without_reason"], true,
        "\"Fine.\" gives no reason"
    );
    assert_eq!(bad["keep"], false);
    assert_eq!(bad["failed"], json!(["grounding.ok", "consistency.ok"]));

    let other = &reviews["c5"]["consistency"];
    assert_eq!(other["ok"], false);
    assert_eq!(
        other["contradictions"],
        json!(["a female shopper buying for themselves accepted a men's item"])
    );
    assert_eq!(
        reviews["c1"]["consistency"]["contradictions"],
        json!([]),
        "budget 80 as in the profile"
    );

    let data = &report["dataset"];
    assert_eq!(data["conversations"], 5);
    assert_eq!(data["kept"], 3);
    assert_eq!(data["genders"]["female"], 5);
    assert_eq!(data["exact_duplicates"], 1, "c4 copies c1");
    assert_eq!(data["near_duplicates"], 1, "c3 nearly copies c1");
    assert!((data["cost_usd"].as_f64().unwrap() - 0.05).abs() < 1e-9);
    assert!((data["cost_per_kept_usd"].as_f64().unwrap() - 0.05 / 3.0).abs() < 1e-9);
    // The kept set and the reports.
    let kept: Vec<String> = jsonl(&d.join("kept.jsonl"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kept, ["c1", "c3", "c4"]);
    let md = std::fs::read_to_string(d.join("report.md")).unwrap();
    // The report opens with the realism figures beside their references, then the summary.
    assert!(
        md.starts_with(
            "# Dataset quality report\n\n## Realism\n\n| measure | value | human or target reference |"
        ),
        "{md}"
    );
    assert!(md.contains("| distinct-1 / distinct-2, system |"), "{md}");
    assert!(
        md.contains("(INSPIRED recommenders, token-matched)"),
        "{md}"
    );
    assert!(md.contains("\n## Summary\n\n| measure | value |"), "{md}");
    assert!(md.contains("| Total conversations | 5 |"));
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["dataset"]["kept"], 3);
}

#[test]
fn reviews_resume_after_a_torn_line_and_a_new_rule_reviews_again() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog(d);
    write(d, &conversations());
    ok(d, &["review"]);
    let clean = std::fs::read(d.join("reviews.jsonl")).unwrap();
    // Two reviews and half of the third survive a crash.
    let text = String::from_utf8(clean.clone()).unwrap();
    let mut cut: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    cut.push_str(&text.lines().nth(2).unwrap()[..30]);
    std::fs::write(d.join("reviews.jsonl"), cut).unwrap();
    let out = ok(d, &["review", "--json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["resumed"], 2);
    assert_eq!(report["reviewed"], 3);
    assert_eq!(
        std::fs::read(d.join("reviews.jsonl")).unwrap(),
        clean,
        "the same bytes as a clean run"
    );
    // Another keep rule: everything is reviewed again under it.
    let out = ok(
        d,
        &[
            "review",
            "--json",
            "--keep",
            "shape.turns >= 6 && !cooperation.accepted_first",
        ],
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["reviewed"], 5);
    let kept = jsonl(&d.join("kept.jsonl"));
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["id"], "c2");
    assert_eq!(
        by_id(d)["c1"]["failed"],
        json!(["shape.turns >= 6", "not cooperation.accepted_first"])
    );
}

#[test]
fn without_a_catalog_grounding_is_not_checked_and_bad_lines_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, &conversations());
    let out = ok(d, &["review", "--json"]);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["dataset"]["grounded_share"], 1.0);
    assert_eq!(by_id(d)["c2"]["grounding"]["checked"], false);
    // The repeated rejected item and the changed colour are found from the text's acts alone.
    assert_eq!(by_id(d)["c2"]["consistency"]["ok"], false);
    // A broken line: exit 2, the file and line named, the earlier outputs untouched.
    let mut text = std::fs::read_to_string(d.join("conversations.jsonl")).unwrap();
    text.push_str("{\"id\": \"c5\", \"turns\": 3}\n");
    std::fs::write(d.join("conversations.jsonl"), text).unwrap();
    let kept_before = std::fs::read(d.join("kept.jsonl")).unwrap();
    let bad = musegen(d, &["review"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("conversations.jsonl:6"),
        "{}",
        bad.stderr
    );
    assert_eq!(std::fs::read(d.join("kept.jsonl")).unwrap(), kept_before);
    let typo = musegen(d, &["review", "--keep", "grounding.okay"]);
    assert_eq!(typo.code, 2);
    assert!(typo.stderr.contains("did you mean `ok`"), "{}", typo.stderr);
}

fn judged(dir: &std::path::Path, base: &str, extra: &[&str]) -> crate::util::Output {
    let mut args = vec![
        "review",
        "--json",
        "-q",
        "--set",
        "roles.judge.agent=llm",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
        "--set",
        "limits.backoff_base_ms=5",
    ];
    args.extend_from_slice(extra);
    crate::util::musegen_env(
        dir,
        &args,
        &[("OPENAI_BASE_URL", base), ("OPENAI_API_KEY", "sk-judge")],
    )
}

#[test]
fn the_llm_judge_scores_every_rubric_through_faults_averages_samples_and_never_pays_twice() {
    use musegen::llm::fake::{FakeConfig, Faults};
    let (rt, server) = crate::util::fake_server(FakeConfig {
        api_key: Some("sk-judge".into()),
        faults: Faults {
            server_error: 0.05,
            malformed: 0.05,
            ..Faults::default()
        },
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    catalog(d);
    write(d, &conversations());
    let extra = [
        "--set",
        "review.rubrics=[\"muse_filter\", \"coherence\"]",
        "--set",
        "review.samples=2",
        "--keep",
        "judge.muse_filter.total >= 4 && grounding.ok",
    ];
    let out = judged(d, &server.base_url(), &extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    // The fake answers 1 to every integer: 1 + 1 + 1 on the triple, 1 on coherence (both on their scales).
    for r in by_id(d).values() {
        let m = &r["judge"]["muse_filter"];
        assert_eq!(m["total"], 3.0, "{r}");
        assert_eq!(m["samples"], 2);
        assert_eq!(m["aspects"]["user_consistency"]["score"], 1.0);
        assert!(
            m["aspects"]["content_quality"]["reason"]
                .as_str()
                .unwrap()
                .starts_with("Fake")
        );
        assert_eq!(r["judge"]["coherence"]["total"], 1.0);
        assert_eq!(r["keep"], false);
        assert!(
            r["failed"]
                .as_array()
                .unwrap()
                .contains(&json!("judge.muse_filter.total >= 4"))
        );
    }
    let data = &report["dataset"];
    assert_eq!(data["kept"], 0);
    assert_eq!(data["judge"]["muse_filter"]["total"]["mean"], 3.0);
    // 5 conversations × 2 rubrics × 2 samples, each answered once; faults were retried.
    let stats = rt.block_on(server.stats());
    let usage = &report["judge_usage"];
    assert_eq!(
        usage["requests"].as_u64().unwrap() - usage["retries"].as_u64().unwrap(),
        20
    );
    assert!(stats.requests > 20, "no fault was injected: {stats:?}");
    assert_eq!(stats.repeated_successes, 0);
    assert!(
        std::fs::read_to_string(d.join("review.usage.csv"))
            .unwrap()
            .contains(",judge,")
    );
    let md = std::fs::read_to_string(d.join("report.md")).unwrap();
    assert!(
        md.contains("| Judge muse_filter: total | 3.00 ± 0.00 |"),
        "{md}"
    );
    // 3 of 6 is the upper half: judge "high" everywhere, against 4 grounded conversations and c2.
    let table = &data["judge_grounding_table"]["muse_filter"];
    assert_eq!(table["judge high, grounded"], 4, "{table}");
    assert_eq!(table["judge high, not grounded"], 1, "{table}");
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(html.contains("against grounding"));
    // Reviewing again from scratch: the cache answers every judgement.
    std::fs::remove_file(d.join("reviews.jsonl")).unwrap();
    let again = judged(d, &server.base_url(), &extra);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(rt.block_on(server.stats()).requests, stats.requests);
    // A keep rule naming a rubric that is not judged is refused up front.
    let typo = judged(
        d,
        &server.base_url(),
        &["--keep", "judge.relevance.total >= 3"],
    );
    assert_eq!(typo.code, 2, "{}", typo.stderr);
    assert!(
        typo.stderr.contains("no field `relevance`"),
        "{}",
        typo.stderr
    );
}

/// A judge model for pairwise prompts: always "1" (pure position bias), or whichever reply holds a word.
fn prefers(
    word: Option<&'static str>,
) -> crate::util::Answering<impl Fn(&musegen::llm::ChatRequest) -> String + Send + Sync> {
    crate::util::Answering(move |request: &musegen::llm::ChatRequest| {
        let prompt = &request.messages[0].content;
        let first = prompt
            .split("Reply 1:")
            .nth(1)
            .and_then(|r| r.split("Reply 2:").next())
            .unwrap_or("");
        let better = match word {
            None => "1",
            Some(w) if first.contains(w) => "1",
            Some(_) => "2",
        };
        json!({"reason": "because", "better": better}).to_string()
    })
}

#[test]
fn pairwise_judgements_run_in_both_orders_so_position_bias_cancels() {
    use musegen::review::judge::Judge;
    let judge = |backend, samples: u32| {
        let mut config = musegen::config::Config::default();
        config.review.samples = std::num::NonZeroU32::new(samples).unwrap();
        let manager = std::sync::Arc::new(musegen::manager::Manager::new(
            std::sync::Arc::new(backend),
            config.limits.clone(),
            None,
            Default::default(),
        ));
        Judge::over(&musegen::manager::Engine::new(manager).unwrap(), &config).unwrap()
    };
    let history: Vec<musegen::model::Turn> = serde_json::from_value(json!(opening())).unwrap();
    let a = "The Black Canvas Sneaker at $60 fits your budget.";
    let b = "We have many shoes.";
    // A judge that always says "the first" prefers neither once both orders are asked.
    let biased = judge(prefers(None), 1)
        .compare("c1", &history, a, b, None)
        .unwrap();
    assert_eq!(biased.votes, [1, -1]);
    assert_eq!(biased.score, 0.0);
    // A judge that prefers the grounded reply does so in both orders, every sample.
    let fair = judge(prefers(Some("Black")), 2)
        .compare("c1", &history, a, b, None)
        .unwrap();
    assert_eq!(fair.votes, [1, 1, 1, 1]);
    assert_eq!(fair.score, 1.0);
    assert_eq!(fair.reason, "because");
    let reversed = judge(prefers(Some("Black")), 1)
        .compare("c1", &history, b, a, None)
        .unwrap();
    assert_eq!(reversed.score, -1.0);
}

/// A judge model that answers the gold labels of the conversation in the prompt: calibration must then be perfect.
fn oracle(
    labels: Vec<(String, Value)>,
) -> crate::util::Answering<impl Fn(&musegen::llm::ChatRequest) -> String + Send + Sync> {
    crate::util::Answering(move |request: &musegen::llm::ChatRequest| {
        let prompt = &request.messages[0].content;
        let scores = labels
            .iter()
            .filter(|(t, _)| prompt.contains(t.as_str()))
            .max_by_key(|(t, _)| t.len())
            .map(|(_, s)| s.clone())
            .unwrap_or(Value::Null);
        let answer: serde_json::Map<String, Value> = scores
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), json!({"reason": "gold", "score": v})))
            .collect();
        Value::Object(answer).to_string()
    })
}

#[test]
fn the_gold_set_is_complete_and_an_oracle_judge_calibrates_perfectly() {
    use musegen::review::{calibrate, judge};
    let gold = crate::util::repo("evaluation/gold");
    let conversations = jsonl(&gold.join("conversations.jsonl"));
    let labels = jsonl(&gold.join("labels.jsonl"));
    assert!(conversations.len() >= 30);
    assert_eq!(conversations.len(), labels.len());
    let totals: Vec<f64> = labels
        .iter()
        .map(|l| {
            assert!(
                l["rationale"].as_str().unwrap().len() > 60,
                "a reasoned label: {l}"
            );
            l["muse_filter"]
                .as_object()
                .unwrap()
                .values()
                .map(|v| v.as_f64().unwrap())
                .sum()
        })
        .collect();
    assert!(
        totals.iter().any(|t| *t >= 5.0) && totals.iter().any(|t| *t <= 2.0),
        "good and bad ones"
    );
    let parsed: Vec<musegen::model::Conversation> = conversations
        .iter()
        .map(|c| serde_json::from_value(c.clone()).unwrap())
        .collect();
    let by_text: Vec<(String, Value)> = parsed
        .iter()
        .zip(&labels)
        .map(|(c, l)| {
            let text: Vec<String> = judge::transcript(c)
                .lines()
                .map(musegen::template::collapse_whitespace)
                .collect();
            (text.join("\n"), l["muse_filter"].clone())
        })
        .collect();
    let config = musegen::config::Config::default();
    let manager = std::sync::Arc::new(musegen::manager::Manager::new(
        std::sync::Arc::new(oracle(by_text)),
        config.limits.clone(),
        None,
        Default::default(),
    ));
    let j = judge::Judge::over(&musegen::manager::Engine::new(manager).unwrap(), &config).unwrap();
    let report = calibrate::calibrate(&j, Some(&gold)).unwrap();
    assert_eq!(report.len(), 1);
    let r = &report[0];
    assert_eq!(r.rubric, "muse_filter");
    assert_eq!(r.total.n, conversations.len());
    assert_eq!(r.total.spearman, Some(1.0));
    assert_eq!(r.total.kappa, Some(1.0));
    assert_eq!(r.keep_at, 4.0);
    assert_eq!(r.keep_agreement, 1.0);
    for (aspect, a) in &r.aspects {
        assert_eq!(a.kappa, Some(1.0), "{aspect}");
    }
}

#[test]
fn review_calibrate_runs_the_judge_on_the_shipped_gold_set() {
    use musegen::llm::fake::{FakeConfig, FakeServer};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(FakeServer::start(FakeConfig::default(), 0))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = server.base_url();
    let args = [
        "review",
        "calibrate",
        "--json",
        "--set",
        "roles.judge.agent=llm",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
    ];
    let env = [("OPENAI_BASE_URL", base.as_str()), ("OPENAI_API_KEY", "k")];
    let out = crate::util::musegen_env(dir.path(), &args, &env);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let r = &report[0];
    assert_eq!(r["rubric"], "muse_filter");
    assert_eq!(r["total"]["n"], 30);
    // The fake gives every aspect 1: a constant judge has no rank correlation, and a negative bias on the good ones.
    assert_eq!(r["total"]["spearman"], Value::Null);
    assert_eq!(r["rows"].as_array().unwrap().len(), 30);
    assert!(
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row[2] == 3.0)
    );
    // Without a judge it says what to set.
    let bare = musegen(dir.path(), &["review", "calibrate"]);
    assert_eq!(bare.code, 2);
    assert!(bare.stderr.contains("roles.judge.agent"), "{}", bare.stderr);
}
