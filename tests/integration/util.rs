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
    let out = Command::new(env!("CARGO_BIN_EXE_musegen"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .output()
        .expect("run musegen");
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

/// A file of the MUSE fixtures shipped beside the repository (`../shared/fixtures/muse`).
pub fn fixture(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/muse")
        .join(name);
    assert!(p.is_file(), "missing fixture {}", p.display());
    p
}

/// The repository's own file at `rel`.
pub fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
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
    let out = cmd.output().expect("run musegen");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
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
