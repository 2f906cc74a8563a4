//! Bad input: every malformed file gives one clear line naming file, line and field, exit code 2, and no output left behind.

use std::path::Path;

use crate::util::{entries, musegen};

/// Import `content` as `name`; expect exit 2, a message containing each of `needles`, and no new file in the folder.
fn rejects(name: &str, content: &[u8], extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join(name), content).unwrap();
    let mut args = vec!["catalog", "import", "--from", name];
    args.extend_from_slice(extra);
    let out = musegen(d, &args);
    assert_eq!(
        out.code, 2,
        "{name}: exit {} stdout {} stderr {}",
        out.code, out.stdout, out.stderr
    );
    let err = out.stderr.trim();
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.starts_with("error: "), "{err}");
    for n in needles {
        assert!(err.contains(n), "{name}: `{n}` not in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(entries(d), vec![name.to_string()], "output left behind");
}

#[test]
fn malformed_json_names_the_line() {
    rejects(
        "items.json",
        b"{\n  \"1\": {\"title\": \"a\"},\n  \"2\": {\"title\": \n",
        &[],
        &["items.json:4", "malformed JSON"],
    );
    rejects(
        "items.jsonl",
        b"{\"id\":\"1\",\"title\":\"a\"}\n{\"id\":\"2\",\"title\":\n",
        &[],
        &["items.jsonl:2", "malformed JSON"],
    );
    rejects(
        "items.jsonl",
        b"{\"id\":\"1\",\"title\":\"a\"}\n[1,2]\n",
        &[],
        &["items.jsonl:2", "one JSON object per line"],
    );
}

#[test]
fn wrong_types_and_missing_fields_name_the_field() {
    rejects(
        "items.jsonl",
        b"{\"id\":\"1\",\"title\":\"a\"}\n{\"id\":\"2\",\"title\":5}\n",
        &["--strict"],
        &["items.jsonl:2", "field `title`", "expected text"],
    );
    rejects(
        "items.jsonl",
        b"{\"id\":\"1\",\"title\":\"a\",\"price\":\"cheap\"}\n",
        &["--strict"],
        &["items.jsonl:1", "field `price`", "bad price"],
    );
    rejects(
        "items.jsonl",
        b"{\"id\":\"1\"}\n{\"id\":\"2\"}\n",
        &[],
        &[
            "items.jsonl",
            "no usable items",
            "line 1",
            "title",
            "missing title",
        ],
    );
    rejects(
        "items.csv",
        b"id,name\n1,boot\n",
        &[],
        &["items.csv:1", "field `title`", "no `title` column"],
    );
    rejects(
        "items.json",
        b"{\"1\": [\"not\", \"an item\"]}",
        &[],
        &["items.json:1", "field `1`", "item object"],
    );
}

#[test]
fn empty_files_are_rejected() {
    rejects("items.jsonl", b"", &[], &["items.jsonl", "empty"]);
    rejects("items.json", b"  \n", &[], &["items.json", "empty"]);
    rejects("items.csv", b"", &[], &["items.csv"]);
}

#[test]
fn non_utf8_bytes_name_the_line() {
    rejects(
        "items.jsonl",
        b"{\"id\":\"1\",\"title\":\"a\"}\n{\"id\":\"2\",\"title\":\"b\xff\xfe\"}\n",
        &[],
        &["items.jsonl:2", "UTF-8"],
    );
    rejects(
        "items.json",
        b"[\n{\"id\":\"1\",\n\"title\":\"\xff\"}]",
        &[],
        &["items.json:3", "UTF-8"],
    );
    rejects(
        "items.csv",
        b"id,title\n1,ok\n2,b\xffd\n",
        &[],
        &["items.csv:3", "UTF-8"],
    );
}

#[test]
fn ragged_csv_names_the_line() {
    rejects(
        "items.csv",
        b"id,title,price\n1,a,3\n2,b\n",
        &[],
        &["items.csv:3", "2 fields where the header has 3"],
    );
}

#[test]
fn duplicate_ids_and_huge_fields_are_skipped_with_reasons_or_fail_in_strict_mode() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let huge = "x".repeat(30_000);
    let text = format!(
        "{{\"id\":\"1\",\"title\":\"a\"}}\n{{\"id\":\"1\",\"title\":\"b\"}}\n{{\"id\":\"3\",\"title\":\"{huge}\"}}\n{{\"id\":\"4\",\"title\":\"d\",\"price\":-2}}\n{{\"title\":\"e\"}}\n"
    );
    std::fs::write(d.join("items.jsonl"), &text).unwrap();
    let out = crate::util::ok(d, &["catalog", "import", "--from", "items.jsonl"]);
    let s = &out.stdout;
    assert!(s.contains("read 5 records"), "{s}");
    assert!(s.contains("kept 1, skipped 4"), "{s}");
    assert!(
        s.contains("items.jsonl:2: field `id`: duplicate id `1` (first seen at line 1)"),
        "{s}"
    );
    assert!(
        s.contains("items.jsonl:3: field `title`: longer than 20000 characters"),
        "{s}"
    );
    assert!(
        s.contains("items.jsonl:4: field `price`: bad price -2"),
        "{s}"
    );
    assert!(s.contains("items.jsonl:5: field `id`: missing id"), "{s}");
    rejects(
        "items.jsonl",
        text.as_bytes(),
        &["--strict"],
        &["items.jsonl:2", "field `id`", "duplicate id"],
    );
}

#[test]
fn a_failed_import_leaves_the_existing_catalog_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("good.jsonl"), "{\"id\":\"1\",\"title\":\"a\"}\n").unwrap();
    crate::util::ok(d, &["catalog", "import", "--from", "good.jsonl"]);
    let before = std::fs::read(d.join("catalog.db")).unwrap();
    std::fs::write(
        d.join("bad.jsonl"),
        "{\"id\":\"2\",\"title\":\"b\"}\n{oops\n",
    )
    .unwrap();
    for extra in [&[][..], &["--append"][..]] {
        let mut args = vec!["catalog", "import", "--from", "bad.jsonl"];
        args.extend_from_slice(extra);
        let out = musegen(d, &args);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert_eq!(std::fs::read(d.join("catalog.db")).unwrap(), before);
        assert_eq!(entries(d), vec!["bad.jsonl", "catalog.db", "good.jsonl"]);
    }
}

#[test]
fn missing_inputs_and_foreign_indexes_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = musegen(d, &["catalog", "import", "--from", "nope.jsonl"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("nope.jsonl"), "{}", out.stderr);
    let out = musegen(d, &["catalog", "stats"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("catalog.db") && out.stderr.contains("musegen catalog sample"),
        "{}",
        out.stderr
    );
    std::fs::write(d.join("catalog.db"), b"not sqlite at all").unwrap();
    let out = musegen(d, &["catalog", "search", "boots"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("not a musegen catalog index"),
        "{}",
        out.stderr
    );
    let out = musegen(d, &["profiles", "--count", "3"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(!Path::new(&d.join("profiles.jsonl")).exists());
}

#[test]
fn malformed_muse_scenarios_name_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.json"), "[\n {\"profile\": \"Name: A B, Gender: female, Age: x\", \"scenario\": \"s\", \"requirements\": \"r\", \"target_item\": {\"item_id\": \"1\", \"title\": \"t\"}}\n]").unwrap();
    let out = musegen(d, &["profiles", "import", "--muse", "s.json"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("s.json")
            && out.stderr.contains("line 2")
            && out.stderr.contains("profile"),
        "{}",
        out.stderr
    );
    assert_eq!(entries(d), vec!["s.json"]);
}
