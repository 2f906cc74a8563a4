//! `musegen view`: the viewer's files, its data kept out of HTML (markup from imported conversations stays data),
//! the refusal of a folder with no conversations, and no half-written viewer when the command is killed.

use std::path::Path;

use crate::util::{musegen, ok};

const ASSET_HTML: &str = include_str!("../../src/view/assets/index.html");
const MARKUP: &str = include_str!("../browser/imported.sharegpt.jsonl");

/// A small run: catalog, profiles, conversations, reviews and exports.
fn small_run(dir: &Path) {
    ok(
        dir,
        &[
            "run",
            "--config",
            concat!(env!("CARGO_MANIFEST_DIR"), "/examples/quickstart.toml"),
            "--sessions",
            "30",
            "--users",
            "30",
            "--out",
            "run",
            "-q",
        ],
    );
}

/// The JSON a data script hands to the viewer (inside `JSON.parse('…')`, quotes and backslashes escaped).
fn script_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    let start = text.find("JSON.parse('").unwrap() + "JSON.parse('".len();
    let end = text.rfind("')").unwrap();
    let mut json = String::new();
    let mut chars = text[start..end].chars();
    while let Some(c) = chars.next() {
        json.push(if c == '\\' { chars.next().unwrap() } else { c });
    }
    serde_json::from_str(&json).unwrap()
}

#[test]
fn view_writes_the_viewer_and_its_paged_data() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    small_run(d);
    let out = ok(d, &["view", "run"]);
    assert!(out.stdout.contains("viewer/index.html"), "{}", out.stdout);
    assert!(out.stdout.contains("30 conversations"), "{}", out.stdout);
    let v = d.join("run/viewer");
    for f in [
        "index.html",
        "viewer.js",
        "viewer.css",
        "data/index.js",
        "data/conv-00000.js",
        "data/text-00000.js",
        "data/pairs-00000.js",
    ] {
        assert!(v.join(f).is_file(), "missing {f}");
    }
    assert_eq!(
        std::fs::read_to_string(v.join("index.html")).unwrap(),
        ASSET_HTML,
        "the page is the embedded asset, with no data in it"
    );
    let index = script_json(&v.join("data/index.js"));
    assert_eq!(index["count"], 30);
    assert_eq!(index["ids"].as_array().unwrap().len(), 30);
    let keys: Vec<&str> = index["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["key"].as_str().unwrap())
        .collect();
    for k in [
        "outcome",
        "review.keep",
        "review.grounding.fit_mean",
        "review.failed",
    ] {
        assert!(keys.contains(&k), "no column {k} in {keys:?}");
    }
    let page = script_json(&v.join("data/conv-00000.js"));
    let first = &page["records"][0];
    let conv: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(d.join("run/conversations.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["conversation"], conv, "a conversation goes out whole");
    assert!(first["review"]["grounding"].is_object());
    assert!(first["profile"]["persona"].is_object());
    assert!(
        page["items"][conv["target_item_id"].as_str().unwrap()]["title"].is_string(),
        "the page holds the target's card"
    );
    // Written again, it replaces the old one and leaves nothing hidden behind.
    ok(d, &["view", "run"]);
    let hidden: Vec<_> = std::fs::read_dir(d.join("run"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".viewer"))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn imported_markup_stays_data() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("markup.jsonl"), MARKUP).unwrap();
    ok(d, &["review", "--in", "markup.jsonl", "--out", "imp", "-q"]);
    let out = ok(d, &["view", "imp"]);
    assert!(out.stdout.contains("2 imported"), "{}", out.stdout);
    let v = d.join("imp/viewer");
    assert_eq!(
        std::fs::read_to_string(v.join("index.html")).unwrap(),
        ASSET_HTML
    );
    let page = script_json(&v.join("data/conv-00000.js"));
    let text = page["records"][0]["conversation"]["turns"][0]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("<script>document.title='PWNED'"), "{text}");
    assert_eq!(
        page["records"][1]["conversation"]["id"],
        "<img src=x onerror=window.__pwned=4>"
    );
    assert_eq!(page["records"][0]["source"], "imported");
}

#[test]
fn view_refuses_a_folder_without_conversations() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::create_dir_all(d.join("empty")).unwrap();
    let out = musegen(d, &["view", "empty"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("no conversations"), "{}", out.stderr);
    assert!(!d.join("empty/viewer").exists());
    // An empty conversations file is no better.
    std::fs::write(d.join("empty/conversations.jsonl"), "").unwrap();
    let out = musegen(d, &["view", "empty"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!d.join("empty/viewer").exists());
    let out = musegen(d, &["view", "missing"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// The viewer folder is whole (its page and its index) or absent.
fn whole_or_absent(v: &Path) -> bool {
    !v.exists() || (v.join("index.html").is_file() && v.join("data/index.js").is_file())
}

#[test]
fn a_killed_view_leaves_no_half_written_viewer() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    small_run(d);
    let run = d.join("run");
    for round in 0..3 {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_musegen"))
            .args(["view", "run", "-q"])
            .current_dir(d)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Kill (SIGKILL) as soon as the hidden folder appears, or when the command ends by itself.
        loop {
            let writing = std::fs::read_dir(&run)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".viewer.tmp-"));
            if writing || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::yield_now();
        }
        let _ = child.kill();
        child.wait().unwrap();
        assert!(whole_or_absent(&run.join("viewer")), "round {round}");
    }
    // The next run clears what the killed ones left and writes a whole viewer.
    ok(d, &["view", "run"]);
    assert!(run.join("viewer/data/index.js").is_file());
    let hidden = std::fs::read_dir(&run)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".viewer"))
        .count();
    assert_eq!(hidden, 0);
}
