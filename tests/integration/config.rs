//! Config from the command line: show, schema, unknown keys with hints, --set overrides.

use serde_json::Value;

use crate::util::{musegen, ok, repo};

#[test]
fn show_prints_the_effective_config_with_overrides() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(
        dir.path(),
        &[
            "config",
            "show",
            "--set",
            "profiles.count=42",
            "--seed",
            "11",
        ],
    );
    assert!(out.stdout.contains("seed = 11"), "{}", out.stdout);
    assert!(out.stdout.contains("count = 42"), "{}", out.stdout);
    assert!(out.stdout.contains("[profiles.dedup]"), "{}", out.stdout);
    assert!(out.stdout.contains("built-in defaults"), "{}", out.stdout);
    // A musegen.toml in the working folder is read automatically.
    std::fs::write(
        dir.path().join("musegen.toml"),
        "[catalog]\nsample_items = 123\n",
    )
    .unwrap();
    let out = ok(dir.path(), &["config", "show"]);
    assert!(out.stdout.contains("sample_items = 123"), "{}", out.stdout);
}

#[test]
fn schema_is_json_schema_with_documented_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let out = ok(dir.path(), &["config", "schema"]);
    let schema: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(schema["title"], "Config");
    assert!(
        schema["properties"]["seed"]["description"]
            .as_str()
            .unwrap()
            .contains("seed")
    );
    assert_eq!(schema["properties"]["seed"]["default"], 7);
    let text = out.stdout;
    assert!(text.contains("category_weight_exponent"));
    assert!(text.contains("\"additionalProperties\": false"));
}

#[test]
fn unknown_keys_give_file_line_and_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("my.toml"),
        "seed = 1\n[catalog]\nsample_item = 5\n",
    )
    .unwrap();
    let out = musegen(dir.path(), &["--config", "my.toml", "config", "show"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains(
            "my.toml:3: unknown key `catalog.sample_item` (did you mean `sample_items`?)"
        ),
        "{}",
        out.stderr
    );
    let out = musegen(
        dir.path(),
        &["config", "show", "--set", "profiles.dedup.treshold=0.5"],
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("did you mean `threshold`?"),
        "{}",
        out.stderr
    );
    let out = musegen(
        dir.path(),
        &["config", "show", "--set", "profiles.count=-4"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--set profiles.count=-4"),
        "{}",
        out.stderr
    );
}

#[test]
fn shipped_examples_are_valid_and_full_example_matches_defaults() {
    let dir = tempfile::tempdir().unwrap();
    for example in ["examples/quickstart.toml", "examples/musegen.toml"] {
        let path = repo(example);
        ok(
            dir.path(),
            &["--config", path.to_str().unwrap(), "config", "show"],
        );
    }
    let full = ok(
        dir.path(),
        &[
            "--config",
            repo("examples/musegen.toml").to_str().unwrap(),
            "config",
            "show",
        ],
    );
    let defaults = ok(dir.path(), &["config", "show"]);
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert_eq!(
        body(&full.stdout),
        body(&defaults.stdout),
        "examples/musegen.toml drifted from the defaults"
    );
}

#[cfg(unix)]
#[test]
fn a_reader_that_goes_away_ends_the_process_quietly_not_with_a_panic() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["catalog", "sample", "--items", "1000"]);
    // Far more than a pipe holds (2 MB of JSON), so the printing meets the closed pipe.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_musegen"))
        .args(["catalog", "search", "", "--limit", "1000", "--json"])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe: what `musegen … | head -c 1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}: {stderr}");
}
