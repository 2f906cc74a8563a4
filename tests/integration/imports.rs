//! Outside conversations into the review: ShareGPT, OpenAI chat JSONL, MUSE detail_convs and convs folders (as
//! `generate --format muse` writes them), StoryBot conversations.json and CSV chat logs, each with broken rows that
//! are skipped and counted with where they were.

use serde_json::{Value, json};

use crate::util::{jsonl, musegen, ok};

fn review(dir: &std::path::Path, input: &str, extra: &[&str]) -> Value {
    let mut args = vec!["review", "--in", input, "--json"];
    args.extend_from_slice(extra);
    let out = ok(dir, &args);
    serde_json::from_str(&out.stdout).unwrap()
}

fn lines(values: &[Value]) -> String {
    values.iter().map(|v| format!("{v}\n")).collect()
}

#[test]
fn sharegpt_and_openai_records_import_with_broken_rows_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = |id: &str, last: &str| {
        json!({"id": id, "conversations": [
            {"from": "system", "value": "You are a shopping assistant."},
            {"from": "human", "value": "I need running shoes under $100."},
            {"from": "gpt", "value": "The Trail Runner 2 is $89 and light."},
            {"from": "human", "value": last},
            {"from": "gpt", "value": "Great choice, enjoy your runs!"},
        ]})
    };
    let mut text = lines(&[
        good("a", "Perfect, I'll take it."),
        good("b", "Hmm, something cheaper?"),
    ]);
    text.push_str("{\"id\": \"c\", \"conversations\": [\n");
    text.push_str(&lines(&[
        json!({"id": "d", "conversations": [{"from": "narrator", "value": "Once upon a time"}]}),
        good("a", "Duplicate."),
    ]));
    std::fs::write(d.join("share.jsonl"), text).unwrap();
    let report = review(d, "share.jsonl", &[]);
    let import = &report["import"];
    assert_eq!(import["format"], "sharegpt");
    assert_eq!(import["read"], 5);
    assert_eq!(import["imported"], 2);
    assert_eq!(import["skipped_count"], 3);
    assert_eq!(import["duplicate_ids"], 1);
    let at: Vec<&str> = import["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["at"].as_str().unwrap())
        .collect();
    assert_eq!(at, ["line 3", "line 4", "line 5"]);
    assert!(
        import["skipped"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("unknown from `narrator`")
    );
    let conversations = jsonl(&d.join("imported.jsonl"));
    assert_eq!(
        conversations[0]["turns"].as_array().unwrap().len(),
        4,
        "the system prompt is not a turn"
    );
    assert_eq!(conversations[0]["turns"][0]["role"], "user");
    assert_eq!(conversations[0]["turns"][1]["role"], "system");
    assert_eq!(jsonl(&d.join("reviews.jsonl")).len(), 2);
    assert_eq!(report["dataset"]["conversations"], 2);

    let openai = lines(&[
        json!({"messages": [
            {"role": "system", "content": "Be helpful."},
            {"role": "user", "content": [{"type": "text", "text": "A gift for my dad?"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]},
            {"role": "assistant", "content": "How about a leather wallet?"},
        ]}),
        json!({"messages": "not a list"}),
    ]);
    let o = tempfile::tempdir().unwrap();
    std::fs::write(o.path().join("chat.jsonl"), openai).unwrap();
    let report = review(o.path(), "chat.jsonl", &[]);
    assert_eq!(report["import"]["format"], "openai");
    assert_eq!(report["import"]["imported"], 1);
    assert_eq!(report["import"]["skipped"][0]["at"], "line 2");
    let c = &jsonl(&o.path().join("imported.jsonl"))[0];
    assert_eq!(c["turns"][0]["text"], "A gift for my dad?");
    assert_eq!(c["id"], "i00000000");
}

#[test]
fn muse_folders_written_by_generate_come_back_with_their_acts_and_grounding() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "600"]);
    ok(d, &["profiles", "--count", "12"]);
    ok(d, &["generate", "--format", "muse"]);
    std::fs::write(
        d.join("detail_convs/conv_99.json"),
        "{\"Conversations\": 7}",
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let detail = d.join("detail_convs");
    let catalog = d.join("catalog.db");
    let o = out.path().to_str().unwrap();
    let args = [
        "review",
        "--in",
        detail.to_str().unwrap(),
        "--catalog",
        catalog.to_str().unwrap(),
        "--out",
        o,
        "--json",
    ];
    let report: Value = serde_json::from_str(&ok(d, &args).stdout).unwrap();
    assert_eq!(report["import"]["format"], "muse_detail");
    assert_eq!(report["import"]["imported"], 12);
    assert_eq!(report["import"]["skipped"][0]["at"], "conv_99.json");
    let imported = jsonl(&out.path().join("imported.jsonl"));
    let original = jsonl(&d.join("conversations.jsonl"));
    assert_eq!(imported[0]["id"], "conv_0");
    for (a, b) in imported.iter().zip(&original) {
        assert_eq!(a["target_item_id"], b["target_item_id"]);
        assert_eq!(a["mentioned_items"], b["mentioned_items"]);
        let acts = |c: &Value| -> Vec<String> {
            c["turns"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["action"].as_str().unwrap().to_string())
                .collect()
        };
        // MUSE knows recommend, reject and accept; everything else reads back as chit-chat.
        for (x, y) in acts(a).iter().zip(acts(b)) {
            if ["recommend", "reject", "accept"].contains(&y.as_str()) {
                assert_eq!(x, &y);
            } else {
                assert_eq!(x, "chit_chat");
            }
        }
    }
    // Every mentioned item is in the catalog.
    for r in jsonl(&out.path().join("reviews.jsonl")) {
        assert_eq!(r["grounding"]["checked"], true);
        assert_eq!(r["grounding"]["unknown_items"], json!([]), "{r}");
    }
    // The plain convs folder: speakers only.
    let convs = d.join("convs");
    let plain = tempfile::tempdir().unwrap();
    let args = [
        "review",
        "--in",
        convs.to_str().unwrap(),
        "--out",
        plain.path().to_str().unwrap(),
        "--json",
    ];
    let report: Value = serde_json::from_str(&ok(d, &args).stdout).unwrap();
    assert_eq!(report["import"]["format"], "muse_convs");
    assert_eq!(report["import"]["imported"], 12);
    let first = &jsonl(&plain.path().join("imported.jsonl"))[0];
    assert_eq!(first["turns"][0]["role"], "system");
    assert_eq!(first["turns"][0]["action"], "message");
}

#[test]
fn storybot_and_csv_logs_import_with_their_speakers_and_broken_rows_counted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let msg = |text: &str, who: &str, at: &str, conv: &str| json!({"message": text, "ref_conversation_id": conv, "ref_user_id": format!("u-{conv}"), "transaction_datetime_utc": at, "screen_name": who});
    let story = json!([
        {"messages_list": [
            msg("Sure, here is a blue scarf.", "ShopBot", "2026-01-01T10:00:05Z", "k1"),
            msg("Hi, a scarf please", "ana", "2026-01-01T10:00:00Z", "k1"),
        ]},
        {"messages_list": [
            msg("Hello! What do you need?", "ShopBot", "2026-01-02T09:00:00Z", "k2"),
            msg("Boots", "ben", "2026-01-02T09:00:04Z", "k2"),
        ]},
        {"no_messages": true},
    ]);
    std::fs::write(d.join("conversations.json"), story.to_string()).unwrap();
    let report = review(d, "conversations.json", &[]);
    assert_eq!(report["import"]["format"], "storybot");
    assert_eq!(report["import"]["imported"], 2);
    assert_eq!(report["import"]["skipped"][0]["at"], "conversation 3");
    let c = jsonl(&d.join("imported.jsonl"));
    assert_eq!(c[0]["id"], "k1");
    assert_eq!(
        c[0]["turns"][0]["text"], "Hi, a scarf please",
        "sorted by time"
    );
    assert_eq!(c[0]["turns"][0]["role"], "user");
    assert_eq!(
        c[0]["turns"][1]["role"], "system",
        "ShopBot talks in both conversations: it is the bot"
    );

    let csv_dir = tempfile::tempdir().unwrap();
    let log = |m: Value| m.to_string().replace('"', "\"\"");
    let good = log(json!([
        {"id": 1, "role": "user", "type": "text", "content": "Do you have rain jackets?"},
        {"id": 2, "role": "assistant", "type": "text", "content": "Yes, the Storm Shell is waterproof."},
        {"id": 3, "role": "assistant", "type": "image", "content": "https://x/jacket.png"},
    ]));
    let unknown = log(json!([{"id": 1, "role": "narrator", "type": "text", "content": "x"}]));
    let csv = format!(
        "chat_id,channel,conversation_log\nq1,web,\"{good}\"\nq2,web,\"not json\"\nq3,app,\"{unknown}\"\n"
    );
    std::fs::write(csv_dir.path().join("logs.csv"), csv).unwrap();
    let report = review(csv_dir.path(), "logs.csv", &[]);
    assert_eq!(report["import"]["format"], "csv");
    assert_eq!(report["import"]["imported"], 1);
    let skipped: Vec<&str> = report["import"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["at"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["line 3", "line 4"]);
    let c = &jsonl(&csv_dir.path().join("imported.jsonl"))[0];
    assert_eq!(c["id"], "q1");
    assert_eq!(
        c["turns"].as_array().unwrap().len(),
        2,
        "the image message is not text"
    );
    // A CSV without the log column is an input error naming the field.
    std::fs::write(csv_dir.path().join("bad.csv"), "chat_id,text\nq1,hello\n").unwrap();
    let bad = musegen(csv_dir.path(), &["review", "--in", "bad.csv"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("bad.csv") && bad.stderr.contains("conversation_log"),
        "{}",
        bad.stderr
    );
}
