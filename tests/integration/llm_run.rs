//! `musegen run` with LLM agents against the fake server: the shipped `examples/llm.toml` end to end, a resume that
//! sends nothing, a bad key that stops at once without leaking, a missing key that is a config error.

use std::time::{Duration, Instant};

use musegen::llm::fake::{FakeConfig, FakeServer};

use crate::util::{jsonl, llm_example};

fn server(cfg: FakeConfig) -> (tokio::runtime::Runtime, FakeServer) {
    crate::util::fake_server(cfg)
}

fn run_with(dir: &std::path::Path, base: &str, key: Option<&str>) -> crate::util::Output {
    run_with_args(dir, base, key, &[])
}

/// [`crate::util::llm_example`] run to its end.
fn run_with_args(
    dir: &std::path::Path,
    base: &str,
    key: Option<&str>,
    extra: &[&str],
) -> crate::util::Output {
    crate::util::output(&mut llm_example(dir, base, key, extra))
}

#[test]
fn the_llm_example_runs_against_the_fake_server_and_resumes_for_free() {
    let (rt, server) = server(FakeConfig {
        api_key: Some("sk-test-key".into()),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let all_sources = ["--set", "export.dpo.sources=[\"sim\", \"hard_negative\"]"];
    let out = run_with_args(d, &server.base_url(), Some("sk-test-key"), &all_sources);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let conversations = jsonl(&d.join("out/conversations.jsonl"));
    assert_eq!(conversations.len(), 20);
    for c in &conversations {
        assert_eq!(c["meta"]["user_agent"], "llm:gpt-4o-mini");
        assert_eq!(c["meta"]["system_agent"], "llm:gpt-4o-mini");
        for t in c["turns"].as_array().unwrap() {
            assert!(
                t["text"].as_str().unwrap().starts_with("Fake answer"),
                "{t}"
            );
        }
    }
    let sent = rt.block_on(server.stats()).requests;
    let turns: usize = conversations
        .iter()
        .map(|c| c["turns"].as_array().unwrap().len())
        .sum();
    // One request per turn, and one per hard negative the same model phrased for the preference pairs.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/manifest.json")).unwrap())
            .unwrap();
    let negatives = manifest["export"]["dpo"]["by_source"]["hard_negative"]
        .as_u64()
        .unwrap() as usize;
    assert!(negatives > 5, "{}", manifest["export"]["dpo"]);
    assert_eq!(
        sent as usize,
        turns + negatives,
        "one request per turn and negative"
    );
    let pairs = jsonl(&d.join("out/dpo/meta_train.jsonl"));
    assert!(pairs.iter().all(|p| p["source"] == "hard_negative"));
    let usage = std::fs::read_to_string(d.join("out/usage.csv")).unwrap();
    assert!(
        usage.starts_with("conversation,role,model,requests,cached"),
        "{usage}"
    );
    assert!(usage.contains("system_agent,gpt-4o-mini"));
    assert!(!usage.contains("sk-test-key"));
    // Each conversation records what it cost: one request per turn, priced from [prices].
    for c in &conversations {
        assert_eq!(
            c["usage"]["requests"].as_u64().unwrap() as usize,
            c["turns"].as_array().unwrap().len()
        );
        assert!(c["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
        assert!(c["usage"]["prompt_tokens"].as_u64().unwrap() > 0);
    }
    let rows = usage.lines().count();
    // Running again sends nothing: every conversation is done, and the cache answers the negatives.
    let again = run_with_args(d, &server.base_url(), Some("sk-test-key"), &all_sources);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(rt.block_on(server.stats()).requests, sent);
    // The ledger keeps the first run's rows.
    let kept = std::fs::read_to_string(d.join("out/usage.csv")).unwrap();
    assert_eq!(kept.lines().count(), rows, "{kept}");
    // Losing the output but keeping the cache: the conversations come back without a single request, in the
    // order they complete this time; the pairs made from the lost file still hold (a pairs file resumes from the
    // set of conversations it has), and the preference files rendered from them are the same.
    // Each preference file's lines, sorted (they are rendered in the conversations' order, which the replay may
    // change).
    let dpo = || {
        crate::util::entries(&d.join("out/dpo"))
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(d.join("out/dpo").join(&name)).unwrap();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                lines.sort();
                (name, lines)
            })
            .collect::<Vec<_>>()
    };
    let before = dpo();
    assert!(before.iter().any(|(_, lines)| !lines.is_empty()));
    std::fs::remove_file(d.join("out/conversations.jsonl")).unwrap();
    let replay = run_with_args(d, &server.base_url(), Some("sk-test-key"), &all_sources);
    assert_eq!(replay.code, 0, "{}", replay.stderr);
    assert_eq!(
        rt.block_on(server.stats()).requests,
        sent,
        "the cache should answer everything"
    );
    assert_eq!(jsonl(&d.join("out/conversations.jsonl")).len(), 20);
    let after = dpo();
    assert_eq!(
        before, after,
        "the preference files are made from the same pairs"
    );
    // --no-cache sends them again (the conversations and the pairs made again).
    std::fs::remove_file(d.join("out/conversations.jsonl")).unwrap();
    std::fs::remove_file(d.join("out/pairs.jsonl")).unwrap();
    let no_cache = [all_sources[0], all_sources[1], "--no-cache"];
    let again = run_with_args(d, &server.base_url(), Some("sk-test-key"), &no_cache);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(rt.block_on(server.stats()).requests, 2 * sent);
}

#[test]
fn a_bad_key_stops_the_run_at_once_and_never_shows() {
    let (rt, server) = server(FakeConfig {
        api_key: Some("right".into()),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let out = run_with(dir.path(), &server.base_url(), Some("sk-wrong-and-secret"));
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(
        out.code, 2,
        "a refused key is the config's to fix: {}",
        out.stderr
    );
    assert_eq!(
        out.stderr.trim().lines().count(),
        1,
        "one clear line: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("401") && out.stderr.contains("Incorrect API key"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains("sk-wrong-and-secret") && !out.stdout.contains("sk-wrong-and-secret")
    );
    let sent = rt.block_on(server.stats()).requests;
    assert!(sent <= 16, "kept sending after a 401: {sent}");
    let conversations =
        std::fs::read_to_string(dir.path().join("out/conversations.jsonl")).unwrap_or_default();
    assert!(conversations.is_empty());
    assert!(
        !dir.path().join("out/failures.jsonl").exists(),
        "stopped conversations are not failures"
    );
}

#[test]
fn a_missing_key_is_a_config_error() {
    let (_rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run_with(dir.path(), &server.base_url(), None);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("OPENAI_API_KEY"), "{}", out.stderr);
}

#[test]
fn a_dry_run_prices_the_run_without_a_key_a_request_or_an_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run_with_args(d, "http://127.0.0.1:9/v1", None, &["--dry-run", "--json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let g = &manifest["generate"];
    assert_eq!(g["dry_run"], true);
    assert_eq!(g["conversations"], 20);
    let usage = &g["llm_usage"];
    let turns = g["turns_mean"].as_f64().unwrap() * 20.0;
    assert_eq!(
        usage["requests"].as_f64().unwrap(),
        turns.round(),
        "one request per turn"
    );
    assert!(usage["prompt_tokens"].as_u64().unwrap() > 1000);
    assert!(usage["cost_usd"].as_f64().unwrap() > 0.0);
    assert!(
        !d.join("out/conversations.jsonl").exists(),
        "a dry run writes no dialogue"
    );
    assert!(!d.join("out/cache.db").exists());
}

#[test]
fn a_conversation_past_its_deadline_fails_and_is_recorded() {
    let (_rt, server) = server(FakeConfig {
        latency_ms: 150.0,
        latency_sigma: 0.0,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let extra = [
        "--set",
        "limits.conversation_deadline_secs=0.5",
        "--set",
        "profiles.count=3",
    ];
    let out = run_with_args(dir.path(), &server.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failures = jsonl(&dir.path().join("out/failures.jsonl"));
    assert_eq!(failures.len(), 3);
    assert!(
        failures
            .iter()
            .all(|f| f["message"].as_str().unwrap().contains("deadline")
                || f["message"].as_str().unwrap().contains("timed out")),
        "{failures:?}"
    );
}

#[test]
fn roles_on_two_backends_share_one_run_a_vision_user_sees_the_item_images_and_a_streaming_role_streams()
 {
    let (rt, server) = server(FakeConfig {
        api_key: Some("sk-test-key".into()),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The sample catalog's image references, made real: one small JPEG per item under pictures/.
    crate::util::ok(
        d,
        &[
            "catalog",
            "sample",
            "--items",
            "500",
            "--seed",
            "7",
            "--catalog",
            "probe.db",
            "--jsonl",
            "items.jsonl",
        ],
    );
    for item in jsonl(&d.join("items.jsonl")) {
        for image in item["images"].as_array().unwrap() {
            let path = d.join("pictures").join(image.as_str().unwrap());
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, [0xff, 0xd8, 0xff, 0xe0]).unwrap();
        }
    }
    let extra = [
        "--set",
        "roles.user_agent.backend=anthropic",
        "--set",
        "roles.user_agent.vision=true",
        "--set",
        "catalog.images_dir=pictures",
        "--set",
        "roles.system_agent.stream=true",
        "--set",
        "profiles.count=6",
    ];
    let out = run_with_args(d, &server.base_url(), Some("sk-test-key"), &extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let conversations = jsonl(&d.join("out/conversations.jsonl"));
    assert_eq!(conversations.len(), 6);
    let stats = rt.block_on(server.stats());
    let (mut user_turns, mut system_turns, mut shown_to_user) = (0u64, 0u64, 0u64);
    for c in &conversations {
        let turns = c["turns"].as_array().unwrap();
        for (i, t) in turns.iter().enumerate() {
            match t["role"].as_str().unwrap() {
                "user" => {
                    user_turns += 1;
                    // Every recommendation the user has seen so far goes along with this request.
                    shown_to_user += turns[..i]
                        .iter()
                        .filter(|p| p["role"] == "system")
                        .map(|p| p["images"].as_array().map_or(0, Vec::len) as u64)
                        .sum::<u64>();
                }
                _ => system_turns += 1,
            }
        }
    }
    assert_eq!(
        stats.by_route.get("/v1/messages").copied(),
        Some(user_turns)
    );
    assert_eq!(
        stats.by_route.get("/v1/chat/completions").copied(),
        Some(system_turns)
    );
    assert_eq!(
        stats.streamed, system_turns,
        "only the system agent streams"
    );
    assert!(shown_to_user > 0);
    assert_eq!(
        stats.images, shown_to_user,
        "the system agent has no vision"
    );
    // The images are sent, never cached as text or logged.
    assert!(!out.stderr.contains("base64"));
}

#[test]
fn an_llm_retrieval_chain_recommends_real_unrepeated_items_at_two_requests_a_recommendation() {
    let (rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extra = [
        "--set",
        "roles.system_agent.decide=llm",
        "--set",
        "profiles.count=8",
    ];
    let out = run_with_args(d, &server.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    crate::util::ok(
        d,
        &[
            "catalog",
            "export",
            "--catalog",
            "out/catalog.db",
            "--jsonl",
            "items.jsonl",
        ],
    );
    let ids: std::collections::HashSet<String> = jsonl(&d.join("items.jsonl"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    let conversations = jsonl(&d.join("out/conversations.jsonl"));
    assert_eq!(conversations.len(), 8);
    let (mut turns, mut chain_turns) = (0usize, 0usize);
    for c in &conversations {
        let mut seen = std::collections::HashSet::new();
        for t in c["turns"].as_array().unwrap() {
            turns += 1;
            match t["action"].as_str().unwrap() {
                "recommend" if t["role"] == "system" => {
                    chain_turns += 1;
                    let id = t["items"][0].as_str().unwrap();
                    assert!(ids.contains(id), "{id} is not in the catalog");
                    assert!(
                        seen.insert(id.to_string()),
                        "{id} recommended twice in {}",
                        c["id"]
                    );
                    assert!(t["query"].is_string(), "{t}");
                    assert!(
                        t["text"]
                            .as_str()
                            .unwrap()
                            .starts_with("Fake recommendation")
                    );
                }
                "clarify" => chain_turns += 1,
                _ => {}
            }
        }
    }
    assert!(chain_turns > 8, "too few recommendations: {chain_turns}");
    // Every turn is one request; each turn the chain decided cost one more (the needs), a recommendation being
    // the needs and the pick, a question the needs and its phrasing.
    assert_eq!(
        rt.block_on(server.stats()).requests as usize,
        turns + chain_turns
    );
}

#[test]
fn llm_decisions_on_a_sim_or_non_dialogue_role_are_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    for set in ["roles.judge.decide=llm", "roles.system_agent.agent=sim"] {
        let out = run_with_args(
            dir.path(),
            "http://127.0.0.1:9/v1",
            Some("k"),
            &["--set", "roles.system_agent.decide=llm", "--set", set],
        );
        assert_eq!(out.code, 2, "{set}: {}", out.stderr);
        assert!(out.stderr.contains(".decide"), "{}", out.stderr);
    }
}

/// [`llm_example`], spawned (for killing it mid-run).
fn spawn_run(dir: &std::path::Path, base: &str, extra: &[&str]) -> std::process::Child {
    llm_example(dir, base, Some("k"), extra)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn lines(path: &std::path::Path) -> usize {
    std::fs::read(path)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
}

#[test]
fn a_killed_llm_run_with_faults_resumes_with_every_conversation_once_and_nothing_paid_twice() {
    let (rt, server) = server(FakeConfig {
        faults: musegen::llm::fake::Faults::spread(0.05),
        hang: Duration::from_millis(400),
        seed: 5,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extra = [
        "--set",
        "profiles.count=200",
        "--set",
        "limits.concurrency=32",
        "--set",
        "limits.request_timeout_secs=0.25",
        "--set",
        "limits.backoff_base_ms=20",
    ];
    let target = d.join("out/conversations.jsonl");
    let mut child = spawn_run(d, &server.base_url(), &extra);
    // SIGKILL once a third of the conversations are written (or when the run ends by itself).
    while lines(&target) < 70 && child.try_wait().unwrap().is_none() {
        std::thread::yield_now();
    }
    let _ = child.kill();
    child.wait().unwrap();
    let before = lines(&target);
    assert!(before < 200, "the kill did not land mid-run");
    let out = run_with_args(d, &server.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let conversations = jsonl(&target);
    let ids: std::collections::BTreeSet<&str> = conversations
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(conversations.len(), 200, "every conversation once");
    assert_eq!(ids.len(), 200);
    let stats = rt.block_on(server.stats());
    assert!(
        stats.by_status.contains_key(&500),
        "no fault injected: {stats:?}"
    );
    // Answers the server had sent when the process died were lost with it (at most the requests in flight);
    // every answer that reached the manager was cached and never asked for again.
    assert!(
        stats.repeated_successes <= 32,
        "{} answers paid twice",
        stats.repeated_successes
    );
    eprintln!(
        "killed at {before} of 200; {} requests, {} answers paid twice",
        stats.requests, stats.repeated_successes
    );
    // A further run sends nothing.
    let requests = stats.requests;
    let again = run_with_args(d, &server.base_url(), Some("k"), &extra);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(rt.block_on(server.stats()).requests, requests);
}

#[test]
fn the_max_cost_flag_stops_the_run_within_the_budget_and_a_rerun_finishes_without_paying_twice() {
    let (rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run_with_args(d, &server.base_url(), Some("k"), &["--max-cost", "0.003"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("budget"), "{}", out.stderr);
    let usage = std::fs::read_to_string(d.join("out/usage.csv")).unwrap();
    let spent: f64 = usage
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum();
    // The budget is checked before each request: it is overspent by at most the requests in flight
    // (16 in examples/llm.toml, each well under $0.0002 here).
    assert!(
        (0.003..0.003 + 16.0 * 0.0002).contains(&spent),
        "spent {spent}"
    );
    let written = lines(&d.join("out/conversations.jsonl"));
    assert!(written < 20, "{written}");
    assert!(
        !d.join("out/failures.jsonl").exists(),
        "stopped is not failed"
    );
    let again = run_with_args(d, &server.base_url(), Some("k"), &[]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(lines(&d.join("out/conversations.jsonl")), 20);
    assert_eq!(rt.block_on(server.stats()).repeated_successes, 0);
}

#[test]
fn a_deciding_llm_user_asks_the_model_for_its_reasons_and_still_rejects_with_true_differences() {
    let (rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extra = [
        "--set",
        "roles.user_agent.decide=llm",
        "--set",
        "profiles.count=30",
    ];
    let out = run_with_args(d, &server.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let conversations = jsonl(&d.join("out/conversations.jsonl"));
    let turns: usize = conversations
        .iter()
        .map(|c| c["turns"].as_array().unwrap().len())
        .sum();
    let rejects: Vec<&serde_json::Value> = conversations
        .iter()
        .flat_map(|c| c["turns"].as_array().unwrap())
        .filter(|t| t["action"] == "reject")
        .collect();
    assert!(!rejects.is_empty());
    // Rejects name what the user wants, or what it minds about the item shown, as slots (the simulator's grounded
    // differences); only an item that differs in nothing the user can say gets a reject without one.
    let named = rejects
        .iter()
        .filter(|t| t["slots"].as_array().is_some_and(|s| !s.is_empty()))
        .count();
    assert!(named * 2 > rejects.len(), "{named} of {}", rejects.len());
    let sent = rt.block_on(server.stats()).requests as usize;
    assert!(
        sent > turns && sent <= turns + rejects.len(),
        "{sent} requests for {turns} turns and {} rejections",
        rejects.len()
    );
}

#[test]
fn a_dry_run_with_every_decision_and_the_scenario_writer_on_the_model_prices_them_and_writes_nothing()
 {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extra = [
        "--dry-run",
        "--json",
        "--set",
        "roles.scenario_writer.agent=llm",
        "--set",
        "roles.system_agent.decide=llm",
        "--set",
        "roles.user_agent.decide=llm",
    ];
    let out = run_with_args(d, "http://127.0.0.1:9/v1", None, &extra);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let writer = &manifest["profiles"]["writer"];
    assert_eq!(writer["written"], 20);
    assert_eq!(writer["usage"]["requests"], 20, "one request per profile");
    assert!(writer["usage"]["cost_usd"].as_f64().unwrap() > 0.0);
    let g = &manifest["generate"];
    assert_eq!(
        g["conversations"], 20,
        "no conversation fails on placeholder answers: {g}"
    );
    assert_eq!(g["failures"], 0);
    // Requests beyond one per turn: the needs before each recommendation, the picks, the reason picks.
    let turns = (g["turns_mean"].as_f64().unwrap() * 20.0).round();
    assert!(g["llm_usage"]["requests"].as_f64().unwrap() > turns);
    assert_eq!(
        crate::util::entries(&d.join("out")),
        ["catalog.db"],
        "nothing but the free catalog"
    );
}

/// Budgets the fake server saw, as (max_tokens, requests).
fn budgets(rt: &tokio::runtime::Runtime, server: &FakeServer) -> Vec<(u64, u64)> {
    rt.block_on(server.stats())
        .by_max_tokens
        .into_iter()
        .collect()
}

#[test]
fn an_answer_cut_at_max_tokens_is_asked_again_with_twice_the_budget_up_to_the_cap_then_fails_its_record()
 {
    // Every answer needs 300 tokens; the roles ask for 100.
    let cfg = FakeConfig {
        answer_tokens: Some(300),
        ..FakeConfig::default()
    };
    let budget = [
        "--set",
        "profiles.count=2",
        "--set",
        "roles.user_agent.max_tokens=100",
        "--set",
        "roles.system_agent.max_tokens=100",
    ];
    // Under the cap: 100, then 200, then 400, which is enough; nothing fails.
    let (rt, fake) = server(cfg.clone());
    let dir = tempfile::tempdir().unwrap();
    let mut extra = budget.to_vec();
    extra.extend(["--set", "limits.max_tokens_cap=512"]);
    let out = run_with_args(dir.path(), &fake.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let seen = budgets(&rt, &fake);
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(
        seen.iter().map(|(b, _)| *b).collect::<Vec<_>>(),
        [100, 200, 400]
    );
    assert!(
        seen.iter().all(|(_, n)| *n == seen[0].1),
        "each call tried each budget once: {seen:?}"
    );
    let usage = std::fs::read_to_string(dir.path().join("out/usage.csv")).unwrap();
    let retries: u64 = usage
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(5).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(retries, 2 * seen[0].1, "the cut attempts are in the ledger");

    // The user's cap below the answer: 100, 200, 256, then a failure record for each conversation, which goes on
    // no further; the run is not stopped.
    let (rt, fake) = server(cfg);
    let dir = tempfile::tempdir().unwrap();
    let mut extra = budget.to_vec();
    extra.extend([
        "--set",
        "limits.max_tokens_cap=512",
        "--set",
        "roles.user_agent.max_tokens_cap=256",
    ]);
    let out = run_with_args(dir.path(), &fake.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let failures = jsonl(&dir.path().join("out/failures.jsonl"));
    assert_eq!(failures.len(), 2, "{failures:?}");
    for f in &failures {
        let message = f["message"].as_str().unwrap();
        assert!(
            message.contains("user_agent") && message.contains("max_tokens = 256"),
            "{message}"
        );
    }
    let seen = budgets(&rt, &fake);
    assert_eq!(
        seen.iter().find(|(b, _)| *b == 256).map(|(_, n)| *n),
        Some(2),
        "one capped attempt per conversation, no more: {seen:?}"
    );
    assert!(seen.iter().all(|(b, _)| *b <= 400), "{seen:?}");
}

#[test]
fn an_llm_run_whose_output_is_in_completion_order_resumes_from_the_ids_written() {
    // LLM conversations are written as they complete, so the output is in no particular order: resume must go by the
    // set of ids written. A file in reverse order with every other conversation missing and a torn last line is
    // completed with each conversation once, the lines already written kept as they were, and nothing paid again.
    let (rt, server) = server(FakeConfig {
        latency_sigma: 0.8,
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let extra = ["--set", "profiles.count=40"];
    let out = run_with_args(d, &server.base_url(), Some("k"), &extra);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let target = d.join("out/conversations.jsonl");
    let text = std::fs::read_to_string(&target).unwrap();
    let mut all: Vec<&str> = text.lines().collect();
    assert_eq!(all.len(), 40);
    all.sort_unstable_by_key(|l| {
        std::cmp::Reverse(serde_json::from_str::<serde_json::Value>(l).unwrap()["id"].to_string())
    });
    let kept: Vec<&str> = all.iter().step_by(2).copied().collect();
    let torn = &all[1][..all[1].len() / 2];
    let mut partial = kept.join("\n");
    partial.push('\n');
    std::fs::write(&target, format!("{partial}{torn}")).unwrap();
    // A run cut while it played conversations has made no pairs yet (the pairs stage comes after the review).
    std::fs::remove_file(d.join("out/pairs.jsonl")).unwrap();
    let sent = rt.block_on(server.stats()).requests;
    let again = run_with_args(d, &server.base_url(), Some("k"), &extra);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let resumed = std::fs::read_to_string(&target).unwrap();
    assert!(
        resumed.starts_with(&partial),
        "the lines written stay as they were"
    );
    let ids: std::collections::BTreeSet<String> = jsonl(&target)
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(resumed.lines().count(), 40, "every conversation once");
    assert_eq!(ids.len(), 40);
    assert_eq!(
        rt.block_on(server.stats()).requests,
        sent,
        "the cache answers"
    );
}

/// The cost column of a `usage.csv`, summed.
fn spent(path: &std::path::Path) -> f64 {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

#[test]
fn the_budget_is_the_whole_runs_so_the_judge_after_the_dialogues_stops_where_the_run_would_overspend()
 {
    let (_rt, server) = server(FakeConfig::default());
    // Two requests in flight, so the judge's twenty do not all start before the first is paid for.
    let judge = [
        "--set",
        "limits.concurrency=2",
        "--set",
        "roles.judge.agent=\"llm\"",
        "--set",
        "roles.judge.backend=\"openai\"",
        "--set",
        "roles.judge.model=\"gpt-4o-mini\"",
    ];
    // Unbudgeted: what the dialogues and the judge each cost.
    let full = tempfile::tempdir().unwrap();
    let out = run_with_args(full.path(), &server.base_url(), Some("k"), &judge);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let dialogues = spent(&full.path().join("out/usage.csv"));
    let judging = spent(&full.path().join("out/review.usage.csv"));
    assert!(dialogues > 0.0 && judging > 0.0, "{dialogues} {judging}");

    // A budget that covers the dialogues and half the judge: the dialogues finish, the judge stops on the budget
    // (a manager per stage would have let the judge spend a budget of its own).
    let budget = dialogues + judging / 2.0;
    let cut = tempfile::tempdir().unwrap();
    let mut args = judge.to_vec();
    let max = format!("{budget}");
    args.extend(["--max-cost", max.as_str()]);
    let out = run_with_args(cut.path(), &server.base_url(), Some("k"), &args);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("budget"), "{}", out.stderr);
    assert_eq!(lines(&cut.path().join("out/conversations.jsonl")), 20);
    let judged = spent(&cut.path().join("out/review.usage.csv"));
    let total = spent(&cut.path().join("out/usage.csv")) + judged;
    assert!(
        judged < judging,
        "the judge stopped early: {judged} of {judging}"
    );
    // Checked before each request: overspent by at most the requests in flight, each well under $0.001 here.
    assert!(
        (budget..budget + 2.0 * 0.001).contains(&total),
        "spent {total} against {budget}"
    );
}
