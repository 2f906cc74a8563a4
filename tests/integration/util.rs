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
