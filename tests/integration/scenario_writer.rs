//! The LLM scenario writer against the fake server: every profile's narrative and requirements come from the model,
//! implausible draws are redrawn and counted, picks stay among the target's own attributes, faults are retried, and
//! a rerun is answered from the cache byte for byte without a request.

use std::collections::BTreeMap;

use musegen::llm::fake::{FakeConfig, FakeServer, Faults};
use serde_json::Value;

use crate::util::{jsonl, ok};

fn profiles(dir: &std::path::Path, base: &str) -> crate::util::Output {
    let args = [
        "profiles",
        "--count",
        "40",
        "--json",
        "-q",
        "--set",
        "roles.scenario_writer.agent=llm",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
        "--set",
        "limits.backoff_base_ms=5",
    ];
    crate::util::musegen_env(
        dir,
        &args,
        &[("OPENAI_BASE_URL", base), ("OPENAI_API_KEY", "sk-writer")],
    )
}

#[test]
fn the_llm_scenario_writer_gates_writes_and_stays_grounded() {
    let (rt, server) = crate::util::fake_server(FakeConfig {
        api_key: Some("sk-writer".into()),
        false_share: 0.3,
        faults: Faults {
            server_error: 0.03,
            malformed: 0.03,
            ..Faults::default()
        },
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "800"]);
    ok(d, &["catalog", "export", "--jsonl", "items.jsonl"]);
    let items: BTreeMap<String, Value> = jsonl(&d.join("items.jsonl"))
        .into_iter()
        .map(|i| (i["id"].as_str().unwrap().to_string(), i))
        .collect();

    let out = profiles(d, &server.base_url());
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["written"], 40);
    let writer = &report["writer"];
    assert_eq!(writer["written"], 40);
    let implausible = writer["implausible"].as_u64().unwrap();
    assert!(implausible > 0, "a 30% 'no' rate gave no redraw: {report}");
    assert_eq!(
        report["rejected"]["implausible"].as_u64(),
        Some(implausible)
    );

    let written = jsonl(&d.join("profiles.jsonl"));
    assert_eq!(written.len(), 40);
    for p in &written {
        let s = &p["scenario"];
        assert_eq!(s["written_by"], "llm:gpt-4o-mini");
        assert!(
            s["narrative"]
                .as_str()
                .unwrap()
                .starts_with("Fake backstory")
        );
        let target = &items[p["target_item_id"].as_str().unwrap()];
        let reqs = s["requirements"].as_array().unwrap();
        assert!(!reqs.is_empty());
        for r in reqs {
            let value = r["value"].as_str().unwrap();
            let in_details = target["details"]
                .as_object()
                .unwrap()
                .values()
                .any(|v| v == value);
            let in_features = target["features"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f == value);
            assert!(
                in_details || in_features,
                "{value} is not an attribute of {target}"
            );
        }
    }
    // One ledger row per profile; its requests count every draw the model saw, the implausible ones too.
    let usage = std::fs::read_to_string(d.join("profiles.usage.csv")).unwrap();
    assert_eq!(usage.lines().count() - 1, 40, "{usage}");
    let attempts: u64 = usage
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[3].parse::<u64>().unwrap() - f[5].parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(attempts, 40 + implausible, "requests less retries: {usage}");
    assert!(!usage.contains("sk-writer"));
    let stats = rt.block_on(server.stats());
    assert!(
        stats.by_status.get(&500).copied().unwrap_or(0) > 0,
        "{stats:?}"
    );
    assert_eq!(stats.repeated_successes, 0);

    // A rerun is served by the cache: the same bytes, not one more request.
    let first = std::fs::read(d.join("profiles.jsonl")).unwrap();
    std::fs::remove_file(d.join("profiles.jsonl")).unwrap();
    let again = profiles(d, &server.base_url());
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(std::fs::read(d.join("profiles.jsonl")).unwrap(), first);
    assert_eq!(rt.block_on(server.stats()).requests, stats.requests);
}

#[test]
fn a_failed_scenario_writer_request_is_a_failure_record_and_the_stage_goes_on() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // The writer's answers need 500 tokens, and its budget may grow only from 100 to 200: every request is cut,
    // one failure record per profile, none written, the stage goes on to the end.
    let server = rt
        .block_on(FakeServer::start(
            FakeConfig {
                api_key: Some("sk-writer".into()),
                answer_tokens: Some(500),
                ..FakeConfig::default()
            },
            0,
        ))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "300"]);
    let out = crate::util::musegen_env(
        d,
        &[
            "profiles",
            "--count",
            "6",
            "-q",
            "--set",
            "roles.scenario_writer.agent=llm",
            "--set",
            "roles.scenario_writer.max_tokens=100",
            "--set",
            "roles.scenario_writer.max_tokens_cap=200",
        ],
        &[
            ("OPENAI_BASE_URL", &server.base_url()),
            ("OPENAI_API_KEY", "sk-writer"),
        ],
    );
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("6 of 6 profiles failed"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains("failed 6"), "{}", out.stdout);
    let failures = jsonl(&d.join("profiles.failures.jsonl"));
    let ids: Vec<&str> = failures.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "p0000000", "p0000001", "p0000002", "p0000003", "p0000004", "p0000005"
        ]
    );
    assert!(
        failures.iter().all(|f| f["stage"] == "profiles"
            && f["message"].as_str().unwrap().contains("max_tokens = 200"))
    );
    assert!(jsonl(&d.join("profiles.jsonl")).is_empty());
    // Two budgets per profile (100, then 200), no more.
    let stats = rt.block_on(server.stats());
    assert_eq!(
        stats.by_max_tokens.into_iter().collect::<Vec<_>>(),
        [(100, 6), (200, 6)]
    );

    // With room to grow (the default cap), every profile is written, and the failures file is gone.
    let out = crate::util::musegen_env(
        d,
        &[
            "profiles",
            "--count",
            "6",
            "-q",
            "--set",
            "roles.scenario_writer.agent=llm",
            "--set",
            "roles.scenario_writer.max_tokens=100",
        ],
        &[
            ("OPENAI_BASE_URL", &server.base_url()),
            ("OPENAI_API_KEY", "sk-writer"),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(jsonl(&d.join("profiles.jsonl")).len(), 6);
    assert!(!d.join("profiles.failures.jsonl").exists());
}
