//! Analytics exports on a quickstart run: the turn log, the flat tables (and a 47-column mapping), the star and
//! snowflake schemas (foreign keys resolve, keys are stable, the DDL loads into SQLite with the data), StoryBot's
//! round trip through the importer, and the synthetic clock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{jsonl, musegen, ok, repo};

/// One quickstart run (200 conversations, reviewed), made once for every test of this file.
fn run() -> &'static Path {
    static RUN: OnceLock<PathBuf> = OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("analytics-quickstart");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = repo("examples/quickstart.toml");
        ok(
            &dir,
            &["run", "--config", config.to_str().unwrap(), "--out", "run"],
        );
        dir.join("run")
    })
}

/// `musegen export ARGS --in RUN --out OUT --json`, parsed.
fn export(out: &Path, args: &[&str]) -> Value {
    let input = run().to_str().unwrap().to_string();
    let o = out.to_str().unwrap().to_string();
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--in", &input, "--out", &o, "--json"]);
    serde_json::from_str(&ok(out, &all).stdout).unwrap()
}

/// Header and rows of a CSV file, parsed by the csv crate.
fn csv_file(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

fn conversations() -> Vec<Value> {
    jsonl(&run().join("kept.jsonl"))
}

fn total_turns() -> usize {
    conversations()
        .iter()
        .map(|c| c["turns"].as_array().unwrap().len())
        .sum()
}

/// Every file under `dir`, by relative path, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for family in ["analytics", "star", "snowflake", "storybot"] {
        for e in std::fs::read_dir(dir.join(family)).unwrap() {
            let p = e.unwrap().path();
            out.insert(
                format!("{family}/{}", p.file_name().unwrap().to_string_lossy()),
                std::fs::read(&p).unwrap(),
            );
        }
    }
    out
}

#[test]
fn every_export_counts_right_and_is_byte_identical_when_repeated() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let report = export(a.path(), &["analytics"]);
    export(b.path(), &["analytics"]);
    let n = conversations().len();
    let turns = total_turns();
    assert_eq!(n, 200);
    assert_eq!(report["conversations"], n);
    assert_eq!(report["turns"], turns);
    let rows = &report["rows"];
    assert_eq!(rows["analytics/turns.jsonl"], turns);
    assert_eq!(rows["analytics/chats.csv"], n);
    assert_eq!(rows["analytics/messages.csv"], turns);
    assert_eq!(rows["star/fact_turn.csv"], turns);
    assert_eq!(rows["snowflake/fact_turn.csv"], turns);
    assert_eq!(rows["star/fact_conversation.csv"], n);
    assert_eq!(rows["storybot/conversations.json"], n);
    let first = snapshot(a.path());
    assert!(first.len() > 30, "{:?}", first.keys());
    assert_eq!(first, snapshot(b.path()), "same input, same bytes");
    // The files parse back with the counts the report gave.
    let lines = jsonl(&a.path().join("analytics/turns.jsonl"));
    assert_eq!(lines.len(), turns);
    let (chat_header, chats) = csv_file(&a.path().join("analytics/chats.csv"));
    let (message_header, messages) = csv_file(&a.path().join("analytics/messages.csv"));
    assert_eq!(chats.len(), n);
    assert_eq!(messages.len(), turns);
    let (_, fact_turn) = csv_file(&a.path().join("star/fact_turn.csv"));
    assert_eq!(fact_turn.len(), turns);
    // Headers: the chat columns start with the id and the user, the message columns with the turn's own.
    assert_eq!(
        chat_header.len(),
        musegen::export::analytics::rows::CHAT_COLUMNS.len()
    );
    assert_eq!(
        chat_header[..6],
        [
            "conversation_id",
            "user_id",
            "split",
            "outcome",
            "end_reason",
            "success"
        ]
    );
    for c in [
        "gender",
        "age",
        "profession",
        "city",
        "income_band",
        "style",
        "formality",
        "verbosity",
        "purchase_reason",
        "target_category",
        "accepted_item_id",
        "kept",
        "grounding_ok",
        "fit_mean",
        "requests",
        "cost_usd",
        "started_at",
        "ended_at",
        "items_recommended",
    ] {
        column(&chat_header, c);
    }
    assert_eq!(
        message_header[..7],
        [
            "conversation_id",
            "turn",
            "role",
            "action",
            "text",
            "item_ids",
            "timestamp"
        ]
    );
    assert_eq!(
        message_header.len(),
        13 + chat_header.len() - 1,
        "the chat columns repeated"
    );
    // Values agree with the conversations: one chat row each, arrays as JSON.
    let by_id: HashMap<String, Value> = conversations()
        .into_iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c))
        .collect();
    let rec = column(&chat_header, "items_recommended");
    let turns_col = column(&chat_header, "turns");
    let outcome = column(&chat_header, "outcome");
    for row in &chats {
        let c = &by_id[&row[0]];
        assert_eq!(row[1], c["profile_id"].as_str().unwrap());
        assert_eq!(
            row[turns_col],
            c["turns"].as_array().unwrap().len().to_string()
        );
        assert_eq!(row[outcome], c["outcome"].as_str().unwrap());
        let items: Value = serde_json::from_str(&row[rec]).unwrap();
        assert_eq!(items, c["mentioned_items"]);
    }
    let items_col = column(&message_header, "item_ids");
    assert!(messages.iter().any(|m| m[items_col] == "[]"));
    for m in &messages {
        let _: Vec<String> = serde_json::from_str(&m[items_col]).unwrap();
    }
    // The turn log's fields, and its joins with the conversations.
    // The fields in this order (serde_json's map sorts them, so read the raw line).
    let raw = std::fs::read_to_string(a.path().join("analytics/turns.jsonl")).unwrap();
    let first_line = raw.lines().next().unwrap();
    let mut keys: Vec<(usize, &str)> = lines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| (first_line.find(&format!("\"{k}\":")).unwrap(), k.as_str()))
        .collect();
    keys.sort();
    let keys: Vec<&str> = keys.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        keys,
        [
            "conversation_id",
            "turn",
            "user_id",
            "item_ids",
            "target_item_id",
            "role",
            "action",
            "text",
            "timestamp",
            "latency_ms",
            "tokens",
            "split"
        ]
    );
    for l in &lines {
        let c = &by_id[l["conversation_id"].as_str().unwrap()];
        let t = &c["turns"][l["turn"].as_u64().unwrap() as usize];
        assert_eq!(l["text"], t["text"]);
        assert_eq!(l["role"], t["role"]);
        assert_eq!(l["action"], t["action"]);
        assert_eq!(l["latency_ms"], t["latency_ms"]);
        assert_eq!(l["user_id"], c["profile_id"]);
        assert_eq!(l["target_item_id"], c["target_item_id"]);
        assert_eq!(
            l["item_ids"],
            t.get("items").cloned().unwrap_or(Value::Array(vec![]))
        );
        assert!(["train", "validation", "test"].contains(&l["split"].as_str().unwrap()));
        let tokens = l["tokens"].as_u64().unwrap();
        let words = t["text"].as_str().unwrap().split_whitespace().count() as u64;
        assert!(
            tokens >= words / 2 && tokens <= words * 4 + 4,
            "{tokens} {words}"
        );
    }
}

/// Milliseconds since 1970 of an RFC 3339 `…Z` time with milliseconds (for years after 1970).
fn millis(ts: &str) -> i64 {
    assert_eq!(ts.len(), 24, "{ts}");
    assert!(ts.ends_with('Z') && &ts[10..11] == "T", "{ts}");
    let n = |a: usize, b: usize| ts[a..b].parse::<i64>().unwrap();
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let days = days_from_civil(y, m, d);
    days * 86_400_000 + n(11, 13) * 3_600_000 + n(14, 16) * 60_000 + n(17, 19) * 1000 + n(20, 23)
}

/// Days since 1970-01-01 of a date, counted day by day (slow and obviously right).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = |y: i64, m: i64| match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let mut days = 0;
    for year in 1970..y {
        days += if leap(year) { 366 } else { 365 };
    }
    for month in 1..m {
        days += month_days(y, month);
    }
    days + d - 1
}

/// ISO weekday (Monday 1) of a day count: 1970-01-01 was a Thursday.
fn weekday(days: i64) -> i64 {
    (days + 3).rem_euclid(7) + 1
}

#[test]
fn timestamps_follow_the_latencies_and_the_arrival_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    export(d, &["turns"]);
    export(d, &["tables"]);
    let start = days_from_civil(2026, 1, 5);
    let lines = jsonl(&d.join("analytics/turns.jsonl"));
    let mut previous: HashMap<String, i64> = HashMap::new();
    for l in &lines {
        let id = l["conversation_id"].as_str().unwrap().to_string();
        let t = millis(l["timestamp"].as_str().unwrap());
        if let Some(p) = previous.get(&id) {
            assert!(t >= *p, "time goes backwards in {id}");
            assert_eq!(t - p, l["latency_ms"].as_i64().unwrap(), "{id}");
        }
        previous.insert(id, t);
    }
    let (header, chats) = csv_file(&d.join("analytics/chats.csv"));
    let started = column(&header, "started_at");
    let ended = column(&header, "ended_at");
    let mut hours = [0usize; 24];
    for row in &chats {
        let s = millis(&row[started]);
        assert!(s < millis(&row[ended]));
        let day = s.div_euclid(86_400_000);
        assert!(
            (start..start + 28).contains(&day),
            "{} outside the span",
            row[started]
        );
        hours[(s.rem_euclid(86_400_000) / 3_600_000) as usize] += 1;
    }
    // The default curve: the evening is far busier than the small hours.
    let night: usize = hours[1..5].iter().sum();
    let evening: usize = hours[18..22].iter().sum();
    assert!(evening > 3 * night.max(1), "{hours:?}");
    // Zero weights get no sessions: only 09:00 and 20:00, never at weekends, inside a 10-day span from 2026-03-02.
    let mut weights = vec!["0"; 24];
    weights[9] = "1";
    weights[20] = "2";
    let hour_weights = format!("export.analytics.hour_weights=[{}]", weights.join(","));
    let custom = tempfile::tempdir().unwrap();
    export(
        custom.path(),
        &[
            "tables",
            "--set",
            &hour_weights,
            "--set",
            "export.analytics.weekday_weights=[1,1,1,1,1,0,0]",
            "--set",
            "export.analytics.start_date=\"2026-03-02\"",
            "--set",
            "export.analytics.days=10",
        ],
    );
    let (header, chats) = csv_file(&custom.path().join("analytics/chats.csv"));
    let started = column(&header, "started_at");
    let first = days_from_civil(2026, 3, 2);
    let mut at_nine = 0;
    for row in &chats {
        let s = millis(&row[started]);
        let day = s.div_euclid(86_400_000);
        let hour = s.rem_euclid(86_400_000) / 3_600_000;
        assert!((first..first + 10).contains(&day), "{}", row[started]);
        assert!(hour == 9 || hour == 20, "{}", row[started]);
        assert!(weekday(day) <= 5, "{} is a weekend", row[started]);
        at_nine += usize::from(hour == 9);
    }
    assert!(
        (30..110).contains(&at_nine),
        "about a third at 09:00: {at_nine}"
    );
}

#[test]
fn bad_clock_settings_are_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = run().to_str().unwrap().to_string();
    for (set, want) in [
        (
            "export.analytics.hour_weights=[1,2,3]",
            "export.analytics.hour_weights",
        ),
        (
            "export.analytics.weekday_weights=[0,0,0,0,0,0,0]",
            "export.analytics.weekday_weights",
        ),
        (
            "export.analytics.weekday_weights=[1,1,1,-1,1,1,1]",
            "export.analytics.weekday_weights",
        ),
        ("export.analytics.start_date=\"2026-02-30\"", "2026-02-30"),
        ("export.analytics.days=0", "days"),
    ] {
        let out = musegen(d, &["export", "turns", "--in", &input, "--set", set]);
        assert_eq!(out.code, 2, "{set}: {}", out.stderr);
        assert!(out.stderr.contains(want), "{set}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
    assert!(!d.join("analytics").exists());
    let file = d.join("bad.toml");
    std::fs::write(&file, "[export.analytics]\nstart_date = \"5 Jan 2026\"\n").unwrap();
    let out = musegen(
        d,
        &[
            "--config",
            file.to_str().unwrap(),
            "export",
            "turns",
            "--in",
            &input,
        ],
    );
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("bad.toml:2"), "{}", out.stderr);
}

/// A mapping of the kind analytics teams hand out: 47 columns, renames, constants and derived columns.
const MAPPING_47: &str = r#"
[[messages]]
name = "message_id"
expr = "conversation_id ~ '-' ~ turn"
[[messages]]
name = "chat_id"
from = "conversation_id"
[[messages]]
name = "seq_no"
expr = "turn + 1"
[[messages]]
name = "customer_id"
from = "user_id"
[[messages]]
name = "sender"
expr = "'customer' if role == 'user' else 'bot'"
[[messages]]
name = "intent"
from = "action"
[[messages]]
name = "body"
from = "text"
[[messages]]
name = "sent_at"
from = "timestamp"
[[messages]]
name = "sent_date"
from = "date"
[[messages]]
name = "hour_of_day"
expr = "timestamp[11:13] | int"
[[messages]]
name = "is_weekend"
expr = "1 if weekday >= 6 else 0"
[[messages]]
name = "word_count"
expr = "text | split | length"
[[messages]]
name = "char_count"
expr = "text | length"
[[messages]]
name = "token_count"
from = "tokens"
[[messages]]
name = "response_ms"
from = "latency_ms"
[[messages]]
name = "products"
from = "item_ids"
[[messages]]
name = "product_count"
expr = "item_ids | length"
[[messages]]
name = "has_product"
expr = "item_ids | length > 0"
[[messages]]
name = "channel"
default = "web"
[[messages]]
name = "platform"
default = "musegen"
[[messages]]
name = "locale"
default = "en-GB"
[[messages]]
name = "schema_version"
default = 3
[[messages]]
name = "is_test"
default = false
[[messages]]
name = "sentiment"
default = ""
[[messages]]
name = "dataset_split"
from = "split"
[[messages]]
name = "chat_outcome"
from = "outcome"
[[messages]]
name = "converted"
expr = "1 if success else 0"
[[messages]]
name = "customer_gender"
from = "gender"
[[messages]]
name = "customer_age"
from = "age"
[[messages]]
name = "customer_age_band"
from = "age_band"
[[messages]]
name = "customer_job"
from = "profession"
[[messages]]
name = "customer_city"
from = "city"
[[messages]]
name = "customer_country"
from = "country"
[[messages]]
name = "region"
expr = "(city ~ ', ' ~ country) if city else ''"
[[messages]]
name = "income"
from = "income_band"
[[messages]]
name = "shopping_reason"
from = "purchase_reason"
[[messages]]
name = "budget_usd"
from = "budget_max"
[[messages]]
name = "target_sku"
from = "target_item_id"
[[messages]]
name = "target_category"
from = "target_category"
[[messages]]
name = "purchased_sku"
from = "accepted_item_id"
[[messages]]
name = "chat_turns"
from = "turns"
[[messages]]
name = "chat_started_at"
from = "started_at"
[[messages]]
name = "chat_ended_at"
from = "ended_at"
[[messages]]
name = "chat_seconds"
from = "duration_s"
[[messages]]
name = "is_first_message"
expr = "turn == 0"
[[messages]]
name = "model_user"
from = "user_agent"
[[messages]]
name = "model_bot"
from = "system_agent"

[[chats]]
name = "chat_id"
from = "conversation_id"
[[chats]]
name = "converted"
expr = "1 if success else 0"
[[chats]]
name = "start_hour"
expr = "started_at[11:13] | int"
"#;

#[test]
fn a_47_column_mapping_reproduces_the_external_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mapping = d.join("mapping.toml");
    std::fs::write(&mapping, MAPPING_47).unwrap();
    export(d, &["turns"]);
    export(d, &["tables", "--mapping", mapping.to_str().unwrap()]);
    let names: Vec<String> = MAPPING_47
        .split("[[chats]]")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"').to_string())
        .collect();
    assert_eq!(names.len(), 47);
    let (header, rows) = csv_file(&d.join("analytics/messages.csv"));
    assert_eq!(header, names);
    assert_eq!(rows.len(), total_turns());
    let (chat_header, chats) = csv_file(&d.join("analytics/chats.csv"));
    assert_eq!(chat_header, ["chat_id", "converted", "start_hour"]);
    assert_eq!(chats.len(), 200);
    // Hand-check the row of turn 3 of the first conversation against the conversation and the turn log.
    let c = &conversations()[0];
    let t = &c["turns"][3];
    let log = jsonl(&d.join("analytics/turns.jsonl"));
    let l = log
        .iter()
        .find(|l| l["conversation_id"] == c["id"] && l["turn"] == 3)
        .unwrap();
    let id = c["id"].as_str().unwrap();
    let row = rows
        .iter()
        .find(|r| r[0] == format!("{id}-3"))
        .expect("message_id = conversation-turn");
    let cell = |name: &str| row[column(&header, name)].as_str();
    let text = t["text"].as_str().unwrap();
    let ts = l["timestamp"].as_str().unwrap();
    let day = millis(ts).div_euclid(86_400_000);
    assert_eq!(cell("chat_id"), id);
    assert_eq!(cell("seq_no"), "4");
    assert_eq!(cell("customer_id"), c["profile_id"].as_str().unwrap());
    let sender = if t["role"] == "user" {
        "customer"
    } else {
        "bot"
    };
    assert_eq!(cell("sender"), sender);
    assert_eq!(cell("intent"), t["action"].as_str().unwrap());
    assert_eq!(cell("body"), text);
    assert_eq!(cell("sent_at"), ts);
    assert_eq!(cell("sent_date"), &ts[..10]);
    let hour: u32 = ts[11..13].parse().unwrap();
    assert_eq!(cell("hour_of_day"), hour.to_string());
    assert_eq!(
        cell("is_weekend"),
        if weekday(day) >= 6 { "1" } else { "0" }
    );
    assert_eq!(
        cell("word_count"),
        text.split_whitespace().count().to_string()
    );
    assert_eq!(cell("char_count"), text.chars().count().to_string());
    assert_eq!(cell("token_count"), l["tokens"].to_string());
    assert_eq!(cell("response_ms"), t["latency_ms"].to_string());
    let items = t.get("items").cloned().unwrap_or(Value::Array(vec![]));
    assert_eq!(cell("products"), items.to_string());
    assert_eq!(
        cell("product_count"),
        items.as_array().unwrap().len().to_string()
    );
    assert_eq!(cell("channel"), "web");
    assert_eq!(cell("schema_version"), "3");
    assert_eq!(cell("is_test"), "false");
    assert_eq!(cell("sentiment"), "");
    assert_eq!(cell("chat_outcome"), c["outcome"].as_str().unwrap());
    let converted = if c["outcome"] == "accepted" { "1" } else { "0" };
    assert_eq!(cell("converted"), converted);
    assert_eq!(cell("target_sku"), c["target_item_id"].as_str().unwrap());
    assert_eq!(
        cell("chat_turns"),
        c["turns"].as_array().unwrap().len().to_string()
    );
    assert_eq!(cell("is_first_message"), "false");
    assert_eq!(cell("model_bot"), "sim");
    let profile = jsonl(&run().join("profiles.jsonl"))
        .into_iter()
        .find(|p| p["id"] == c["profile_id"])
        .unwrap();
    let persona = &profile["persona"];
    assert_eq!(cell("customer_age"), persona["age"].to_string());
    assert_eq!(
        cell("customer_city"),
        persona["location"]["city"].as_str().unwrap()
    );
    let region = format!(
        "{}, {}",
        persona["location"]["city"].as_str().unwrap(),
        persona["location"]["country"].as_str().unwrap()
    );
    assert_eq!(cell("region"), region);
    assert_eq!(
        cell("shopping_reason"),
        profile["scenario"]["purchase_reason"].as_str().unwrap()
    );
}

#[test]
fn a_bad_mapping_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = run().to_str().unwrap().to_string();
    let cases = [
        (
            "[[chats]]\nname = \"chat_id\"\nfrom = \"conversation_id\"\n\n[[messages]]\nname = \"who\"\nfrom = \"rol\"\n",
            &[
                "map.toml:7",
                "field `from`",
                "messages entry 1 (`who`)",
                "`rol`",
                "did you mean `role`",
            ][..],
        ),
        (
            "[[messages]]\nname = \"weekend\"\nexpr = \"weekdya >= 6\"\n",
            &[
                "map.toml:3",
                "field `expr`",
                "`weekdya`",
                "did you mean `weekday`",
            ][..],
        ),
        (
            "[[chats]]\nname = \"x\"\nfrom = \"turns\"\nexpr = \"turns\"\n",
            &["map.toml:2", "exactly one"][..],
        ),
        (
            "[[chats]]\nname = \"x\"\nfromm = \"turns\"\n",
            &["map.toml:3", "fromm"][..],
        ),
    ];
    for (text, wants) in cases {
        let mapping = d.join("map.toml");
        std::fs::write(&mapping, text).unwrap();
        let out = musegen(
            d,
            &[
                "export",
                "tables",
                "--in",
                &input,
                "--mapping",
                mapping.to_str().unwrap(),
            ],
        );
        assert_eq!(out.code, 2, "{text}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
        for want in wants {
            assert!(out.stderr.contains(want), "{want} in {}", out.stderr);
        }
        assert!(!d.join("analytics/chats.csv").exists());
        assert!(!d.join("analytics/messages.csv").exists());
        assert!(!d.join("analytics").exists(), "not even the folder");
    }
}

/// Foreign keys of a `schema.sql`: (table, column, referenced table, referenced column), and the tables in
/// creation order.
/// A foreign key: (table, column, referenced table, referenced column).
type ForeignKey = (String, String, String, String);

fn foreign_keys(schema: &str) -> (Vec<String>, Vec<ForeignKey>) {
    let mut tables = Vec::new();
    let mut keys = Vec::new();
    for line in schema.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            tables.push(rest.trim_end_matches(" (").to_string());
        } else if let Some(rest) = line.strip_prefix("FOREIGN KEY (") {
            let (col, rest) = rest.split_once(") REFERENCES ").unwrap();
            let (table, rest) = rest.split_once(" (").unwrap();
            let target = rest.trim_end_matches([',', ')']);
            keys.push((
                tables.last().unwrap().clone(),
                col.to_string(),
                table.to_string(),
                target.to_string(),
            ));
        }
    }
    (tables, keys)
}

fn check_foreign_keys(folder: &Path) -> usize {
    let schema = std::fs::read_to_string(folder.join("schema.sql")).unwrap();
    let (tables, keys) = foreign_keys(&schema);
    let data: HashMap<String, (Vec<String>, Vec<Vec<String>>)> = tables
        .iter()
        .map(|t| (t.clone(), csv_file(&folder.join(format!("{t}.csv")))))
        .collect();
    let mut checked = 0;
    for (table, col, target, target_col) in &keys {
        let (h, rows) = &data[table];
        let (th, trows) = &data[target];
        let i = column(h, col);
        let ti = column(th, target_col);
        let known: BTreeSet<&str> = trows.iter().map(|r| r[ti].as_str()).collect();
        for r in rows {
            if !r[i].is_empty() {
                assert!(
                    known.contains(r[i].as_str()),
                    "{table}.{col} = {} not in {target}",
                    r[i]
                );
                checked += 1;
            }
        }
    }
    // Primary keys are unique.
    for t in &tables {
        let (_, rows) = &data[t];
        let keys: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(keys.len(), rows.len(), "{t} keys repeat");
    }
    checked
}

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
    assert_eq!(dim_user.len(), 200);
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

/// Load `folder`'s schema.sql and CSV files into SQLite with foreign keys enforced.
fn load_sqlite(folder: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let schema = std::fs::read_to_string(folder.join("schema.sql")).unwrap();
    db.execute_batch(&schema).unwrap();
    db.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
    let (tables, _) = foreign_keys(&schema);
    for t in tables {
        let (header, rows) = csv_file(&folder.join(format!("{t}.csv")));
        let marks = vec!["?"; header.len()].join(", ");
        let sql = format!("INSERT INTO {t} ({}) VALUES ({marks})", header.join(", "));
        let tx = db.unchecked_transaction().unwrap();
        {
            let mut stmt = tx.prepare(&sql).unwrap();
            for r in rows {
                let values: Vec<Option<String>> = r
                    .into_iter()
                    .map(|c| Some(c).filter(|c| !c.is_empty()))
                    .collect();
                stmt.execute(rusqlite::params_from_iter(values))
                    .unwrap_or_else(|e| panic!("{t}: {e}"));
            }
        }
        tx.commit().unwrap();
    }
    let violations: i64 = db
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0);
    db
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
        assert_eq!(flags, 200);
        assert_eq!(dated, 200);
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
fn storybot_export_reads_back_through_the_importer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    export(d, &["storybot"]);
    let file = d.join("storybot/conversations.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 200);
    let m = &list[0]["messages_list"][0];
    let mut keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "message",
            "ref_conversation_id",
            "ref_user_id",
            "screen_name",
            "transaction_datetime_utc"
        ]
    );
    assert_eq!(m["screen_name"], "MuseBot");
    let f = file.to_str().unwrap();
    for extra in [&[][..], &["--bot", "MuseBot"][..]] {
        let out_dir = d.join(format!("back{}", extra.len()));
        let mut args = vec!["review", "--in", f, "--from", "storybot", "--out"];
        let o = out_dir.to_str().unwrap().to_string();
        args.push(&o);
        args.extend_from_slice(extra);
        ok(d, &args);
        let back = jsonl(&out_dir.join("imported.jsonl"));
        let original = conversations();
        assert_eq!(back.len(), original.len());
        let by_id: HashMap<&str, &Value> = back
            .iter()
            .map(|c| (c["id"].as_str().unwrap(), c))
            .collect();
        for c in &original {
            let b = by_id[c["id"].as_str().unwrap()];
            let (ta, tb) = (
                c["turns"].as_array().unwrap(),
                b["turns"].as_array().unwrap(),
            );
            assert_eq!(ta.len(), tb.len(), "{}", c["id"]);
            for (x, y) in ta.iter().zip(tb) {
                assert_eq!(x["text"], y["text"]);
                assert_eq!(x["role"], y["role"]);
            }
        }
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
    assert_eq!(users.len(), 200);
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
