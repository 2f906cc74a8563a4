//! Helpers: run the binary in a folder, find the shared fixtures, read JSON Lines.

use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Run `musegen args…` with `dir` as the working folder.
pub fn musegen(dir: &Path, args: &[&str]) -> Output {
    musegen_env(dir, args, &[])
}

/// Run `cmd` to its end and keep what it printed.
pub fn output(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run musegen");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Run and require success.
pub fn ok(dir: &Path, args: &[&str]) -> Output {
    let out = musegen(dir, args);
    assert_eq!(
        out.code, 0,
        "musegen {args:?} failed:\n{}\n{}",
        out.stdout, out.stderr
    );
    out
}

/// A folder of MUSE-shaped inputs (`user_scenarios.json`, `category2items.json`).
pub struct MuseFixture {
    /// Which one (for assertion messages).
    pub label: &'static str,
    /// The folder.
    pub dir: PathBuf,
}

impl MuseFixture {
    /// A file of the folder.
    pub fn file(&self, name: &str) -> PathBuf {
        let p = self.dir.join(name);
        assert!(p.is_file(), "missing fixture {}", p.display());
        p
    }

    /// Its scenarios, parsed.
    pub fn scenarios(&self) -> Vec<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(self.file("user_scenarios.json")).unwrap())
            .unwrap()
    }
}

/// Environment variable naming the real MUSE fixture folder (default: `../shared/fixtures/muse` beside the
/// repository).
pub const FIXTURES_ENV: &str = "MUSEGEN_FIXTURES";
/// Environment variable that turns a missing real fixture folder into a failure (CI sets it where the folder is).
pub const REQUIRE_ENV: &str = "MUSEGEN_REQUIRE_FIXTURES";

/// The MUSE-shaped inputs to run a test on: the project's own (`tests/fixtures/muse`, always) and the real MUSE
/// fixtures when they are there. Without the real ones the skip is reported on the terminal (once per test
/// binary, past the test harness's capture); with `MUSEGEN_REQUIRE_FIXTURES=1` it is a failure instead.
pub fn muse_fixtures() -> Vec<MuseFixture> {
    let mut all = vec![MuseFixture {
        label: "the project's MUSE-shaped fixture",
        dir: repo("tests/fixtures/muse"),
    }];
    let real = std::env::var_os(FIXTURES_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo("../shared/fixtures/muse"));
    if real.join("user_scenarios.json").is_file() {
        all.push(MuseFixture {
            label: "the real MUSE fixture",
            dir: real,
        });
    } else {
        let why = format!(
            "the real MUSE fixtures are not at {} (set {FIXTURES_ENV}=DIR to name them)",
            real.display()
        );
        let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| !v.is_empty() && v != "0");
        assert!(!required, "{REQUIRE_ENV} is set but {why}");
        static SKIPPED: std::sync::Once = std::sync::Once::new();
        SKIPPED.call_once(|| {
            use std::io::Write;
            // Written to the process's stderr itself, so that `cargo test` shows it even for passing tests.
            let _ = writeln!(
                std::io::stderr(),
                "\nSKIPPED: {why}; the MUSE fixture tests ran on the project's own MUSE-shaped fixture only\n"
            );
        });
    }
    all
}

/// The repository's own file at `rel`.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// How a shopper refers to the n-th of several items shown.
pub const ORDINALS: [&str; 3] = ["the first one", "the second one", "the third one"];

/// The strings of a JSON array (none when it is not one).
pub fn strs(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every line of a JSONL file, parsed.
pub fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Names of the entries of a folder, sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Run `musegen args…` in `dir` with the environment variables `env` added (keys, base URLs).
pub fn musegen_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_musegen"));
    cmd.args(args).current_dir(dir).env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    output(&mut cmd)
}

/// `musegen run --config examples/llm.toml --out out -q` in `dir` with `extra` arguments, against the server at
/// `base` (both APIs), with `key` as both keys (none: neither key set). The shipped example as it is, with a higher
/// rate limit so a test does not wait on pacing, and preference pairs from the sim source only (which LLM
/// conversations do not use), so that every request is the dialogues' (a later `--set` turns other sources on).
pub fn llm_example(dir: &Path, base: &str, key: Option<&str>, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_musegen"));
    cmd.args([
        "run",
        "--config",
        repo("examples/llm.toml").to_str().unwrap(),
        "--out",
        "out",
        "-q",
        "--set",
        "limits.rpm=60000",
        "--set",
        "limits.tpm=100000000",
        "--set",
        "export.dpo.sources=[\"sim\"]",
    ])
    .args(extra)
    .current_dir(dir)
    .env_remove("RUST_LOG")
    .env("OPENAI_BASE_URL", base)
    .env("ANTHROPIC_BASE_URL", base.trim_end_matches("/v1"))
    .env_remove("OPENAI_API_KEY")
    .env_remove("ANTHROPIC_API_KEY");
    if let Some(k) = key {
        cmd.env("OPENAI_API_KEY", k).env("ANTHROPIC_API_KEY", k);
    }
    cmd
}

/// `musegen run --config examples/quickstart.toml` in `dir` for `sessions` shoppers (as many profiles) with `extra`
/// arguments, into `dir/out`, and the catalog it sampled exported to `dir/items.jsonl`; the run folder.
pub fn quickstart(dir: &Path, sessions: &str, extra: &[&str]) -> PathBuf {
    let config = repo("examples/quickstart.toml");
    let count = format!("profiles.count={sessions}");
    let mut args = vec![
        "run",
        "--config",
        config.to_str().unwrap(),
        "--sessions",
        sessions,
        "--set",
        &count,
        "--out",
        "out",
    ];
    args.extend_from_slice(extra);
    ok(dir, &args);
    ok(
        dir,
        &[
            "catalog",
            "export",
            "--catalog",
            "out/catalog.db",
            "--jsonl",
            "items.jsonl",
        ],
    );
    dir.join("out")
}

/// The lines of a JSONL file by their `id`.
pub fn by_id(path: &Path) -> std::collections::BTreeMap<String, serde_json::Value> {
    jsonl(path)
        .into_iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p))
        .collect()
}

/// A scripted chat model: every request is answered with `f(request)` at once (JSON-schema capable).
pub struct Answering<F>(pub F);

impl<F: Fn(&musegen::llm::ChatRequest) -> String + Send + Sync> musegen::llm::ChatBackend
    for Answering<F>
{
    fn complete<'a>(
        &'a self,
        request: &'a musegen::llm::ChatRequest,
    ) -> musegen::llm::BoxFuture<'a, Result<musegen::llm::Completion, musegen::llm::LlmError>> {
        let content = (self.0)(request);
        Box::pin(std::future::ready(Ok(musegen::llm::Completion {
            response: musegen::llm::ChatResponse {
                content,
                finish_reason: Some("stop".into()),
                usage: None,
                latency_ms: None,
                first_token_ms: None,
            },
            hints: musegen::llm::RateHints::default(),
        })))
    }

    fn capabilities(&self) -> musegen::llm::Capabilities {
        musegen::llm::Capabilities {
            json_schema: true,
            ..Default::default()
        }
    }
}

/// The fake LLM server on 127.0.0.1 with `cfg`, on a runtime of its own (kept alive by the caller).
pub fn fake_server(
    cfg: musegen::llm::fake::FakeConfig,
) -> (tokio::runtime::Runtime, musegen::llm::fake::FakeServer) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt
        .block_on(musegen::llm::fake::FakeServer::start(cfg, 0))
        .unwrap();
    (rt, server)
}

/// The text of a chat message of a request: its content, or its content parts' texts joined (images left out).
pub fn message_text(message: &serde_json::Value) -> String {
    match &message["content"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}
