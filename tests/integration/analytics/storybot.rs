//! The StoryBot export, read back by the StoryBot importer.

use std::collections::HashMap;

use serde_json::Value;

use super::{conversations, export};
use crate::util::{jsonl, ok};

#[test]
fn storybot_export_reads_back_through_the_importer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    export(d, &["storybot"]);
    let file = d.join("storybot/conversations.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), conversations().len());
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
