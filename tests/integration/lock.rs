//! One writer per output folder: a second process on a folder in use exits 2 at once naming the holder, a killed
//! holder leaves the folder usable, two launches at once never write a conversation twice, and readers take no lock.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::util::{jsonl, musegen, ok};

const LOCK: &str = ".musegen.lock";

fn spawn(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_musegen"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Wait until `child` has taken the folder's lock (its pid is in the lock file), or panic if it ended first.
fn wait_for_lock(child: &mut Child, folder: &Path) {
    let wanted = format!("pid {} ", child.id());
    loop {
        if std::fs::read_to_string(folder.join(LOCK)).is_ok_and(|t| t.starts_with(&wanted)) {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the first process ended before taking the lock: {status}");
        }
        std::thread::yield_now();
    }
}

/// A first `generate` that takes the lock and then blocks reading its profiles from a named pipe nobody writes to:
/// it holds the folder for as long as the test wants, with no timing involved.
#[cfg(unix)]
fn blocked_generate(d: &Path) -> Child {
    let fifo = d.join("pipe.jsonl");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let mut first = spawn(d, &["generate", "--profiles", "pipe.jsonl", "-q"]);
    wait_for_lock(&mut first, d);
    first
}

#[cfg(unix)]
#[test]
fn a_second_writer_is_refused_at_once_and_a_killed_holder_leaves_the_folder_usable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "300"]);
    ok(d, &["profiles", "--count", "30"]);
    let mut first = blocked_generate(d);

    // Every writing stage is refused, with one line naming the folder and the holder.
    for args in [
        vec!["generate", "-q"],
        vec!["run", "-q"],
        vec!["profiles", "--count", "5"],
        vec!["catalog", "sample", "--items", "10"],
        vec!["review", "-q"],
        vec!["export", "sft"],
    ] {
        let out = musegen(d, &args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{args:?}: {}", out.stderr);
        assert!(lines[0].contains("is in use by"), "{}", lines[0]);
        assert!(
            lines[0].contains(&format!("pid {}", first.id())),
            "{}",
            lines[0]
        );
        assert!(lines[0].contains("musegen generate"), "{}", lines[0]);
    }
    assert!(
        !d.join("conversations.jsonl").exists(),
        "nothing was written"
    );

    // Readers take no lock.
    ok(d, &["catalog", "search", "", "--limit", "3"]);
    ok(d, &["catalog", "stats"]);
    ok(d, &["config", "show"]);

    // SIGKILL: the kernel drops the lock with the process; the file it leaves does not block anything.
    first.kill().unwrap();
    first.wait().unwrap();
    assert!(d.join(LOCK).exists(), "a killed holder leaves its file");
    let out = ok(d, &["generate", "--json", "-q"]);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["this_run"]["written"], 30);
    assert!(
        !d.join(LOCK).exists(),
        "a holder that ends normally removes the file"
    );
}

#[test]
fn two_launches_at_once_write_each_conversation_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "500"]);
    ok(d, &["profiles", "--count", "200"]);
    let args = ["generate", "--sessions", "3000", "-q"];
    let a = spawn(d, &args);
    let b = spawn(d, &args);
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let codes: Vec<i32> = outs.iter().map(|o| o.status.code().unwrap()).collect();
    assert!(codes.iter().all(|c| [0, 2].contains(c)), "{codes:?}");
    assert!(codes.contains(&0), "{codes:?}");
    for o in outs.iter().filter(|o| o.status.code() == Some(2)) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("is in use by"), "{err}");
    }
    let ids: Vec<String> = jsonl(&d.join("conversations.jsonl"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    let distinct: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), 3000);
    assert_eq!(distinct.len(), 3000, "a conversation was written twice");
}

#[test]
fn a_failed_command_in_a_new_folder_leaves_no_folder_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // No catalog: the profiles stage fails after taking the lock on a folder it had to create.
    let out = musegen(d, &["profiles", "--count", "5", "--out", "fresh/out"]);
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(!d.join("fresh").exists(), "{:?}", crate::util::entries(d));
}
