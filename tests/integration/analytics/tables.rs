//! The turn log, the flat tables and their column mappings, and the synthetic clock.

use std::collections::HashMap;

use serde_json::Value;

use super::{
    column, conversations, csv_file, days_from_civil, export, millis, run, snapshot, total_turns,
    weekday,
};
use crate::util::{jsonl, musegen, repo};

#[test]
fn every_export_counts_right_and_is_byte_identical_when_repeated() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let report = export(a.path(), &["analytics"]);
    export(b.path(), &["analytics"]);
    let n = conversations().len();
    let turns = total_turns();
    // The counts below follow the kept set; nearly all of the quickstart's conversations are kept.
    assert!(n >= 195, "{n} of 200 kept");
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

/// A mapping of the kind analytics teams hand out: 47 message columns (renames, constants, derived columns) and 3
/// chat columns; shipped as an example.
fn mapping_47() -> String {
    std::fs::read_to_string(repo("examples/analytics_mapping.toml")).unwrap()
}

#[test]
fn a_47_column_mapping_reproduces_the_external_schema() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mapping = d.join("mapping.toml");
    let text = mapping_47();
    std::fs::write(&mapping, &text).unwrap();
    export(d, &["turns"]);
    export(d, &["tables", "--mapping", mapping.to_str().unwrap()]);
    let names: Vec<String> = text
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
    assert_eq!(chats.len(), conversations().len());
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
    // An expression that fails on a row (text + number) stops the export with the entry and the conversation,
    // and leaves no file behind.
    let mapping = d.join("map.toml");
    std::fs::write(
        &mapping,
        "[[messages]]\nname = \"x\"\nexpr = \"text + 1\"\n",
    )
    .unwrap();
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
    assert_eq!(out.code, 2, "{}", out.stderr);
    for want in [
        "map.toml:3",
        "field `expr`",
        "messages column `x` on conversation c00000000",
    ] {
        assert!(out.stderr.contains(want), "{want} in {}", out.stderr);
    }
    assert_eq!(std::fs::read_dir(d.join("analytics")).unwrap().count(), 0);
}
