//! The star and snowflake schemas: foreign keys, stable keys, SQLite loads; exports without a catalog; bad input.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    check_foreign_keys, column, conversations, csv_file, export, kept_users, load_sqlite, run,
    total_turns,
};
use crate::util::{jsonl, musegen, ok};

#[test]
fn star_and_snowflake_keys_resolve_and_stay_stable_when_the_input_is_reordered() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    export(d, &["star"]);
    export(d, &["star", "--snowflake"]);
    assert!(check_foreign_keys(&d.join("star")) > 5000);
    assert!(check_foreign_keys(&d.join("snowflake")) > 5000);
    let star = d.join("star");
    let (h, items) = csv_file(&star.join("dim_item.csv"));
    assert!(
        items.iter().all(|r| !r[column(&h, "title")].is_empty()),
        "the catalog names every item"
    );
    let (_, dim_user) = csv_file(&star.join("dim_user.csv"));
    assert_eq!(dim_user.len(), kept_users());
    let (h, cats) = csv_file(&d.join("snowflake/dim_category.csv"));
    let level = column(&h, "level");
    let parent = column(&h, "parent_key");
    for r in &cats {
        assert_eq!(
            r[level] == "1",
            r[parent].is_empty(),
            "roots and only roots have no parent: {r:?}"
        );
    }
    let (h, users) = csv_file(&d.join("snowflake/dim_user.csv"));
    assert!(
        users
            .iter()
            .all(|r| !r[column(&h, "location_key")].is_empty())
    );
    // The same conversations in reverse order, with the same profiles, reviews and catalog: the same keys.
    let reversed = tempfile::tempdir().unwrap();
    let r = reversed.path();
    let mut lines: Vec<String> = std::fs::read_to_string(run().join("kept.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.reverse();
    std::fs::write(r.join("conversations.jsonl"), lines.join("\n") + "\n").unwrap();
    for name in ["profiles.jsonl", "reviews.jsonl", "catalog.db"] {
        std::fs::copy(run().join(name), r.join(name)).unwrap();
    }
    let rs = r.to_str().unwrap();
    ok(r, &["export", "star", "--in", rs, "--out", rs]);
    ok(
        r,
        &["export", "star", "--snowflake", "--in", rs, "--out", rs],
    );
    for family in ["star", "snowflake"] {
        for e in std::fs::read_dir(d.join(family)).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            let a = std::fs::read_to_string(d.join(family).join(&name)).unwrap();
            let b = std::fs::read_to_string(r.join(family).join(&name)).unwrap();
            if name.starts_with("dim_") || name.ends_with(".sql") {
                assert_eq!(a, b, "{family}/{name}");
            } else {
                let sorted = |s: &str| s.lines().map(str::to_string).collect::<BTreeSet<_>>();
                assert_eq!(
                    sorted(&a),
                    sorted(&b),
                    "{family}/{name}: the same rows, keys included"
                );
            }
        }
    }
}

#[test]
fn the_ddl_and_the_csv_files_load_into_sqlite_and_join() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    export(d, &["analytics"]);
    let mut want: BTreeMap<String, i64> = BTreeMap::new();
    for l in jsonl(&d.join("analytics/turns.jsonl")) {
        *want
            .entry(l["action"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    for family in ["star", "snowflake"] {
        let db = load_sqlite(&d.join(family));
        let mut stmt = db
            .prepare(
                "SELECT a.action, count(*) FROM fact_turn f JOIN dim_action a ON a.action_key = f.action_key \
                 GROUP BY a.action ORDER BY a.action",
            )
            .unwrap();
        let got: BTreeMap<String, i64> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(got, want, "{family}");
        // Types survive: prices are real numbers, success is 0/1, and every conversation has a start date.
        let (reals, flags, dated): (i64, i64, i64) = db
            .query_row(
                "SELECT (SELECT count(*) FROM dim_item WHERE typeof(price) = 'real'), \
                 (SELECT count(*) FROM fact_conversation WHERE success IN (0, 1)), \
                 (SELECT count(*) FROM fact_conversation c JOIN dim_date d ON d.date_key = c.date_key)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(reals > 0);
        let n = conversations().len() as i64;
        assert_eq!(flags, n);
        assert_eq!(dated, n);
    }
    let db = load_sqlite(&d.join("snowflake"));
    let roots: i64 = db
        .query_row(
            "SELECT count(DISTINCT r.category_key) FROM dim_item i \
             JOIN dim_category c ON c.category_key = i.category_key \
             JOIN dim_category p ON p.category_key = c.parent_key \
             JOIN dim_category r ON r.category_key = p.parent_key",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(roots >= 1);
    // The sqlite3 shell reads load_sqlite.sql as it is, when it is installed.
    let shell = std::process::Command::new("sqlite3")
        .arg("-version")
        .output();
    if shell.is_ok_and(|o| o.status.success()) {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg("sqlite3 warehouse.db < load_sqlite.sql && sqlite3 warehouse.db 'SELECT count(*) FROM fact_turn WHERE item_key IS NULL; PRAGMA foreign_key_check;'")
            .current_dir(d.join("star"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let nulls: i64 = text.trim().parse().unwrap_or_else(|_| panic!("{text}"));
        assert!(nulls > 0, "empty cells load as NULL");
    }
}

#[test]
fn without_catalog_or_profiles_items_and_users_keep_their_ids_and_keys_still_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(run().join("kept.jsonl"), d.join("conversations.jsonl")).unwrap();
    ok(d, &["export", "analytics"]);
    let (h, items) = csv_file(&d.join("star/dim_item.csv"));
    assert!(!items.is_empty());
    for r in &items {
        assert!(!r[column(&h, "item_id")].is_empty());
        assert_eq!(r[column(&h, "title")], "");
        assert_eq!(r[column(&h, "category_key")], "");
    }
    let (h, users) = csv_file(&d.join("snowflake/dim_user.csv"));
    assert_eq!(users.len(), kept_users());
    assert!(
        users
            .iter()
            .all(|r| r[column(&h, "location_key")].is_empty())
    );
    for family in ["star", "snowflake"] {
        check_foreign_keys(&d.join(family));
        load_sqlite(&d.join(family));
    }
    let (h, chats) = csv_file(&d.join("analytics/chats.csv"));
    assert!(
        chats
            .iter()
            .all(|r| r[column(&h, "kept")].is_empty() && r[column(&h, "gender")].is_empty())
    );
    // Conversations imported from elsewhere (no profile, no target) export too.
    let back = d.join("back");
    ok(
        d,
        &[
            "review",
            "--in",
            d.join("storybot/conversations.json").to_str().unwrap(),
            "--from",
            "storybot",
            "--out",
            back.to_str().unwrap(),
        ],
    );
    let imported = back.join("imported.jsonl");
    let out = d.join("again");
    ok(
        d,
        &[
            "export",
            "analytics",
            "--in",
            imported.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    check_foreign_keys(&out.join("star"));
    let log = jsonl(&out.join("analytics/turns.jsonl"));
    assert_eq!(log.len(), total_turns());
    assert!(
        log.iter()
            .all(|l| l["user_id"].is_null() && l["target_item_id"].is_null())
    );
}

#[test]
fn a_broken_or_repeated_conversation_is_an_input_error_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(run().join("kept.jsonl")).unwrap();
    let first = text.lines().next().unwrap();
    let second = text.lines().nth(1).unwrap();
    for (body, want) in [
        (format!("{first}\n{{\"id\": 3}}\n"), "conversations.jsonl:2"),
        (
            format!("{first}\n{second}\n{first}\n"),
            "conversations.jsonl:3: field `id`",
        ),
    ] {
        std::fs::write(d.join("conversations.jsonl"), body).unwrap();
        for command in ["analytics", "turns", "tables", "star", "storybot"] {
            let out = musegen(d, &["export", command]);
            assert_eq!(out.code, 2, "{command}: {}", out.stderr);
            assert!(out.stderr.contains(want), "{command}: {}", out.stderr);
            assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        }
        for family in ["analytics", "star", "snowflake", "storybot"] {
            let folder = d.join(family);
            let files = std::fs::read_dir(&folder).map(|r| r.count()).unwrap_or(0);
            assert_eq!(files, 0, "{family} holds no file, not even a temporary one");
        }
    }
}
