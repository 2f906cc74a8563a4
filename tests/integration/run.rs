//! `musegen run`: the main job on the embedded defaults — catalog, profiles, conversations — and its reuse and resume.

use serde_json::Value;

use crate::util::{jsonl, musegen, ok, repo};

#[test]
fn quickstart_run_builds_everything_then_reuses_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = repo("examples/quickstart.toml");
    let c = config.to_str().unwrap();
    let out = ok(d, &["run", "--config", c, "--out", "out"]);
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
    assert!(
        out.stdout
            .contains("dialogues 200 written (0 resumed, 0 failed)"),
        "{}",
        out.stdout
    );
    assert_eq!(jsonl(&d.join("out/profiles.jsonl")).len(), 200);
    assert_eq!(jsonl(&d.join("out/conversations.jsonl")).len(), 200);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["seed"], 7);
    assert_eq!(manifest["profiles"]["written"], 200);
    assert_eq!(manifest["generate"]["conversations"], 200);
    // The run ends with a review of every conversation, the kept set and the quality report.
    assert!(
        out.stdout.contains("review    200 reviewed (0 resumed)"),
        "{}",
        out.stdout
    );
    assert_eq!(manifest["review"]["dataset"]["conversations"], 200);
    let reviews = jsonl(&d.join("out/reviews.jsonl"));
    assert_eq!(reviews.len(), 200);
    let kept = reviews.iter().filter(|r| r["keep"] == true).count();
    assert!(
        kept > 180,
        "sim dialogues are grounded and consistent: {kept} of 200 kept"
    );
    assert_eq!(jsonl(&d.join("out/kept.jsonl")).len(), kept);
    for report in ["report.md", "report.json", "report.html"] {
        assert!(d.join("out").join(report).is_file(), "{report}");
    }
    // ... and with the training files and their dataset card.
    let sft: usize = ["train", "validation", "test"]
        .iter()
        .map(|s| jsonl(&d.join(format!("out/sft/trl_{s}.jsonl"))).len())
        .sum();
    assert_eq!(sft, kept, "one SFT sample per kept conversation");
    let pairs = jsonl(&d.join("out/dpo/trl_train.jsonl")).len();
    assert!(pairs > 100, "{pairs} preference pairs");
    assert_eq!(manifest["export"]["sft"]["conversations"], kept);
    assert_eq!(manifest["export"]["analytics"]["conversations"], 200);
    let chats = std::fs::read_to_string(d.join("out/analytics/chats.csv")).unwrap();
    assert_eq!(
        chats.lines().count(),
        201,
        "a header and one row per conversation"
    );
    // ... and with the observed-against-configured fits, which the sim data passes.
    assert_eq!(manifest["stats"]["failed"], 0, "{}", manifest["stats"]);
    assert!(manifest["stats"]["passed"].as_u64().unwrap() >= 20);
    assert!(
        std::fs::read_to_string(d.join("out/README.md"))
            .unwrap()
            .starts_with("---\nlicense: cc-by-4.0\n")
    );
    let profiles = std::fs::read(d.join("out/profiles.jsonl")).unwrap();
    let conversations = std::fs::read(d.join("out/conversations.jsonl")).unwrap();
    let again = ok(d, &["run", "--config", c, "--out", "out"]);
    assert!(
        again
            .stdout
            .contains("catalog   2000 items (seed 7), reused"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("profiles  reused"),
        "{}",
        again.stdout
    );
    assert!(
        again
            .stdout
            .contains("dialogues 0 written (200 resumed, 0 failed)"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("review    0 reviewed (200 resumed)"),
        "{}",
        again.stdout
    );
    assert_eq!(
        std::fs::read(d.join("out/profiles.jsonl")).unwrap(),
        profiles
    );
    assert_eq!(
        std::fs::read(d.join("out/conversations.jsonl")).unwrap(),
        conversations
    );
    let mut names: Vec<String> = std::fs::read_dir(d.join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "README.md",
            "analytics",
            "catalog.db",
            "conversations.jsonl",
            "conversations.manifest.json",
            "dpo",
            "kept.jsonl",
            "manifest.json",
            "pairs.jsonl",
            "profiles.jsonl",
            "report.html",
            "report.json",
            "report.md",
            "reviews.jsonl",
            "reviews.manifest.json",
            "sft",
            "snowflake",
            "star",
            "stats.json",
            "stats.md",
            "storybot"
        ],
        "stray temporary files"
    );
    for family in ["sft", "dpo"] {
        for e in std::fs::read_dir(d.join("out").join(family)).unwrap() {
            let name = e.unwrap().file_name().into_string().unwrap();
            assert!(
                name.ends_with(".jsonl") && !name.starts_with('.'),
                "{family}/{name}"
            );
        }
    }
}

#[test]
fn sessions_and_users_override_the_counts_and_new_profiles_need_force() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let config = repo("examples/quickstart.toml");
    let c = config.to_str().unwrap();
    ok(
        d,
        &[
            "run",
            "--config",
            c,
            "--out",
            "o",
            "--sessions",
            "150",
            "--users",
            "40",
        ],
    );
    assert_eq!(jsonl(&d.join("o/profiles.jsonl")).len(), 40);
    let conversations = jsonl(&d.join("o/conversations.jsonl"));
    assert_eq!(conversations.len(), 150);
    // Profiles are reused round-robin.
    assert_eq!(
        conversations[0]["profile_id"],
        conversations[40]["profile_id"]
    );
    let out = musegen(
        d,
        &[
            "run",
            "--config",
            c,
            "--out",
            "o",
            "--sessions",
            "150",
            "--users",
            "40",
            "--seed",
            "8",
        ],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    ok(
        d,
        &[
            "run",
            "--config",
            c,
            "--out",
            "o",
            "--sessions",
            "150",
            "--users",
            "40",
            "--seed",
            "8",
            "--force",
        ],
    );
    let redone = jsonl(&d.join("o/conversations.jsonl"));
    assert_eq!(redone.len(), 150);
    assert_ne!(redone[0]["turns"], conversations[0]["turns"]);
}

/// The manifest's figures against what the folder's files hold.
fn assert_manifest_matches_files(out: &std::path::Path) -> Value {
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let conversations = jsonl(&out.join("conversations.jsonl"));
    let failures = if out.join("failures.jsonl").exists() {
        jsonl(&out.join("failures.jsonl")).len()
    } else {
        0
    };
    let g = &manifest["generate"];
    assert_eq!(g["conversations"], conversations.len(), "{g}");
    assert_eq!(g["failures"], failures, "{g}");
    let mut outcomes = std::collections::BTreeMap::<String, u64>::new();
    for c in &conversations {
        *outcomes
            .entry(c["outcome"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let recorded: std::collections::BTreeMap<String, u64> =
        serde_json::from_value(g["outcomes"].clone()).unwrap();
    assert_eq!(recorded, outcomes);
    let accepted = outcomes.get("accepted").copied().unwrap_or(0) as f64;
    let rate = g["success_rate"].as_f64().unwrap();
    assert!((rate - accepted / conversations.len() as f64).abs() < 1e-12);
    let turns: usize = conversations
        .iter()
        .map(|c| c["turns"].as_array().unwrap().len())
        .sum();
    let mean = g["turns_mean"].as_f64().unwrap();
    assert!((mean - turns as f64 / conversations.len() as f64).abs() < 1e-9);
    assert_eq!(
        manifest["profiles"]["written"],
        jsonl(&out.join("profiles.jsonl")).len()
    );
    assert_eq!(
        manifest["review"]["dataset"]["conversations"],
        jsonl(&out.join("reviews.jsonl")).len()
    );
    assert_eq!(
        manifest["review"]["dataset"]["kept"],
        jsonl(&out.join("kept.jsonl")).len()
    );
    manifest
}

#[test]
fn a_rerun_leaves_a_manifest_whose_counts_equal_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = [
        "run",
        "--users",
        "60",
        "--sessions",
        "90",
        "--out",
        "out",
        "-q",
    ];
    ok(d, &args);
    let first = assert_manifest_matches_files(&d.join("out"));
    assert_eq!(first["this_run"]["catalog"], "made");
    assert_eq!(first["this_run"]["profiles"], "made");
    assert_eq!(first["generate"]["this_run"]["written"], 90);

    // Everything is done: the rerun writes nothing, and says so apart from the figures of the output.
    ok(d, &args);
    let second = assert_manifest_matches_files(&d.join("out"));
    assert_eq!(second["this_run"]["catalog"], "reused");
    assert_eq!(second["this_run"]["profiles"], "reused");
    assert_eq!(second["generate"]["this_run"]["written"], 0);
    assert_eq!(second["generate"]["this_run"]["resumed"], 90);
    assert_eq!(second["review"]["reviewed"], 0);
    for key in [
        "outcomes",
        "end_reasons",
        "turns_histogram",
        "success_rate",
        "user_diversity",
        "system_diversity",
    ] {
        assert_eq!(second["generate"][key], first["generate"][key], "{key}");
    }
    assert_eq!(second["profiles"], first["profiles"]);
    assert_eq!(second["catalog"], first["catalog"]);

    // A run cut short and resumed: the figures are those of the whole output again.
    let file = d.join("out/conversations.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<&str> = text.lines().take(40).collect();
    std::fs::write(&file, format!("{}\n", kept.join("\n"))).unwrap();
    ok(d, &args);
    let third = assert_manifest_matches_files(&d.join("out"));
    assert_eq!(third["generate"]["this_run"]["written"], 50);
    assert_eq!(third["generate"]["this_run"]["resumed"], 40);
    assert_eq!(third["generate"]["outcomes"], first["generate"]["outcomes"]);
}
