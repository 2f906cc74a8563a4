//! `musegen run`: the main job on the embedded defaults.

use serde_json::Value;

use crate::util::{jsonl, ok, repo};

#[test]
fn quickstart_run_builds_catalog_profiles_and_manifest_then_reuses_the_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = repo("examples/quickstart.toml");
    let out = ok(
        d,
        &["run", "--config", config.to_str().unwrap(), "--out", "out"],
    );
    assert!(
        out.stdout.contains("catalog   2000 items"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("profiles  200 written"),
        "{}",
        out.stdout
    );
    let profiles = jsonl(&d.join("out/profiles.jsonl"));
    assert_eq!(profiles.len(), 200);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["profiles"]["written"], 200);
    let first = std::fs::read(d.join("out/profiles.jsonl")).unwrap();
    let again = ok(
        d,
        &["run", "--config", config.to_str().unwrap(), "--out", "out"],
    );
    assert!(again.stdout.contains("reused"), "{}", again.stdout);
    assert_eq!(std::fs::read(d.join("out/profiles.jsonl")).unwrap(), first);
    let mut names: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec!["catalog.db", "manifest.json", "profiles.jsonl"],
        "stray temporary files"
    );
}
