//! The LLM clients on the wire, against the fake server on 127.0.0.1: the token-limit field reasoning models
//! require, pass-through request fields, token accounting with cached and reasoning tokens, stale pooled
//! connections, streamed answers read as they arrive, proxies from the environment, and the organisation headers.

use musegen::llm::fake::{FakeConfig, FakeServer};

use crate::util::jsonl;

fn server(cfg: FakeConfig) -> (tokio::runtime::Runtime, FakeServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(FakeServer::start(cfg, 0)).unwrap();
    (rt, server)
}

/// `musegen run` of `examples/llm.toml`, four conversations, against `base`, with `extra` arguments and `env`.
fn run(
    dir: &std::path::Path,
    base: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> crate::util::Output {
    let config = crate::util::repo("examples/llm.toml");
    let mut args = vec![
        "run",
        "--config",
        config.to_str().unwrap(),
        "--out",
        "out",
        "-q",
        "--set",
        "profiles.count=4",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
        "--set",
        "export.dpo.sources=[\"sim\"]",
    ];
    args.extend_from_slice(extra);
    let mut vars = vec![
        ("OPENAI_BASE_URL", base),
        ("OPENAI_API_KEY", "sk-wire-test"),
    ];
    vars.extend_from_slice(env);
    crate::util::musegen_env(dir, &args, &vars)
}

#[test]
fn a_reasoning_model_that_refuses_max_tokens_gets_max_completion_tokens_and_the_extra_fields() {
    let (rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &server.base_url(),
        &[
            "--set",
            "roles.user_agent.model=\"gpt-5-mini\"",
            "--set",
            "roles.system_agent.model=\"gpt-5-mini\"",
            "--set",
            "roles.system_agent.extra.reasoning_effort=\"low\"",
        ],
        &[],
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(jsonl(&dir.path().join("out/conversations.jsonl")).len(), 4);
    let stats = rt.block_on(server.stats());
    assert_eq!(stats.by_status.get(&400), None, "{stats:?}");
    assert_eq!(stats.fields.get("max_tokens"), None);
    assert_eq!(
        stats.fields.get("max_completion_tokens"),
        Some(&stats.requests)
    );
    let effort = stats.fields.get("reasoning_effort").copied().unwrap_or(0);
    assert!(
        effort > 0 && effort < stats.requests,
        "only the system agent's: {effort}"
    );
}

#[test]
fn a_server_that_knows_only_max_tokens_gets_it_and_the_fake_refuses_it_for_reasoning_models() {
    let (rt, server) = server(FakeConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let old_field = [
        "--set",
        "roles.user_agent.token_limit_field=\"max_tokens\"",
        "--set",
        "roles.system_agent.token_limit_field=\"max_tokens\"",
    ];
    let out = run(dir.path(), &server.base_url(), &old_field, &[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let stats = rt.block_on(server.stats());
    assert_eq!(stats.fields.get("max_tokens"), Some(&stats.requests));
    assert_eq!(stats.fields.get("max_completion_tokens"), None);
    // The same with a reasoning model: the fake answers 400 as OpenAI does, and the run stops at once.
    let dir = tempfile::tempdir().unwrap();
    let mut args = old_field.to_vec();
    args.extend(["--set", "roles.user_agent.model=\"o4-mini\""]);
    let out = run(dir.path(), &server.base_url(), &args, &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("max_completion_tokens"),
        "{}",
        out.stderr
    );
}

#[test]
fn extra_fields_may_not_replace_what_musegen_builds() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        "http://127.0.0.1:9/v1",
        &["--set", "roles.user_agent.extra.model=\"other\""],
        &[],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("roles.user_agent.extra.model"),
        "{}",
        out.stderr
    );
}
