//! How dialogues end: the shopper's goodbye after the recommender's closing (at the configured rate per verbosity, in
//! words that fit the outcome, always the last turn), the shopper who gives up and leaves unanswered, the order of
//! the closing turns, and the exports that read them (SFT rows end on the assistant, MUSE labels the goodbye).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::util::{jsonl, ok, repo};

/// Why the ending of `turns` (role, action) breaks the manager's order, for a conversation of `end_reason`: it must
/// end on the system's closing, or on the shopper's goodbye right after it, or (a shopper who gave up and left) on
/// the shopper's giving up; a goodbye anywhere else, or anything after one, is wrong.
pub fn bad_ending(turns: &[(&str, &str)], end_reason: &str) -> Option<String> {
    let goodbyes: Vec<usize> = (0..turns.len())
        .filter(|&i| turns[i] == ("user", "close"))
        .collect();
    let n = turns.len();
    let closing = |i: usize| turns.get(i) == Some(&("system", "close"));
    match turns.last()? {
        ("user", "close") if goodbyes == [n - 1] && n >= 2 && closing(n - 2) => None,
        ("system", "close") if goodbyes.is_empty() => None,
        ("user", "abandon") if goodbyes.is_empty() && end_reason == "out_of_patience" => None,
        last => Some(format!("ends on {last:?} (goodbyes at {goodbyes:?})")),
    }
}

#[test]
fn the_ending_check_accepts_the_managers_endings_and_rejects_other_orders() {
    let body = [("system", "recommend"), ("user", "accept")];
    let with = |tail: &[(&'static str, &'static str)]| {
        let mut t = body.to_vec();
        t.extend_from_slice(tail);
        t
    };
    assert_eq!(
        bad_ending(&with(&[("system", "close")]), "accepted_target"),
        None
    );
    let goodbye = with(&[("system", "close"), ("user", "close")]);
    assert_eq!(bad_ending(&goodbye, "accepted_target"), None);
    let left = [("system", "recommend"), ("user", "abandon")];
    assert_eq!(bad_ending(&left, "out_of_patience"), None);
    // Wrong: a goodbye before the closing, anything after a goodbye, two goodbyes, leaving without giving up, or
    // no closing at all.
    for (turns, reason) in [
        (
            with(&[("user", "close"), ("system", "close")]),
            "accepted_target",
        ),
        (with(&[("user", "close")]), "accepted_target"),
        (
            with(&[("system", "close"), ("user", "close"), ("system", "close")]),
            "accepted_target",
        ),
        (
            with(&[("system", "close"), ("user", "close"), ("user", "close")]),
            "accepted_target",
        ),
        (left.to_vec(), "round_limit"),
        (body.to_vec(), "accepted_target"),
    ] {
        assert!(bad_ending(&turns, reason).is_some(), "{turns:?}");
    }
}

/// Every string of a TOML value.
fn strings(v: &toml::Value, out: &mut BTreeSet<String>) {
    match v {
        toml::Value::String(s) => {
            out.insert(s.clone());
        }
        toml::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        toml::Value::Table(t) => t.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// The wordings of a goodbye: the lead-ins of each outcome's parts and the goodbyes of each register, and the
/// code-mixed lines of each outcome.
struct Goodbyes {
    /// (register, act) → its first part's alternatives.
    leads: BTreeMap<(String, String), BTreeSet<String>>,
    /// register → the goodbyes.
    byes: BTreeMap<String, BTreeSet<String>>,
    /// act → every mixed line.
    mixed: BTreeMap<String, BTreeSet<String>>,
}

impl Goodbyes {
    fn load() -> Self {
        let read = |rel: &str| -> toml::Value {
            toml::from_str(&std::fs::read_to_string(repo(rel)).unwrap()).unwrap()
        };
        let user = read("prompts/sim/user.toml");
        let codemix = read("prompts/sim/codemix.toml");
        let mut g = Goodbyes {
            leads: BTreeMap::new(),
            byes: BTreeMap::new(),
            mixed: BTreeMap::new(),
        };
        for register in ["casual", "neutral", "formal"] {
            for (act, part) in [
                ("farewell_accepted", "pleased"),
                ("farewell_abandoned", "okay"),
            ] {
                let mut set = BTreeSet::new();
                strings(&user[register][act][part], &mut set);
                g.leads.insert((register.into(), act.into()), set);
            }
            let mut set = BTreeSet::new();
            strings(&user[register]["farewell"]["bye"], &mut set);
            g.byes.insert(register.into(), set);
        }
        for mix in codemix["mixes"].as_table().unwrap().values() {
            for act in ["farewell_accepted", "farewell_abandoned"] {
                if let Some(lines) = mix["acts"].get(act) {
                    strings(lines, g.mixed.entry(act.into()).or_default());
                }
            }
        }
        g
    }

    /// Whether `text` is worded as a goodbye of `act` in `register`: a mixed line of the act, or one of its lead-ins
    /// and a goodbye of the register.
    fn fits(&self, text: &str, register: &str, act: &str) -> bool {
        if self.mixed[act].contains(text) {
            return true;
        }
        let leads = &self.leads[&(register.to_string(), act.to_string())];
        self.byes[register].iter().any(|bye| {
            text.ends_with(bye.as_str())
                && leads
                    .iter()
                    .any(|lead| text.starts_with(lead.as_str()) && text.len() > lead.len())
        })
    }
}

/// Generate `sessions` dialogues into `out/` (the catalog and profiles of `d`) with `sets` overriding the config.
fn generate(d: &Path, out: &str, sessions: &str, sets: &[&str]) -> Vec<Value> {
    let file = format!("{out}/conversations.jsonl");
    let mut args = vec![
        "generate",
        "--sessions",
        sessions,
        "--out",
        &file,
        "--profiles",
        "profiles.jsonl",
        "--catalog",
        "catalog.db",
    ];
    for s in sets {
        args.extend_from_slice(&["--set", s]);
    }
    ok(d, &args);
    jsonl(&d.join(file))
}

/// Shares and wording of the shopper's goodbyes in 1,000 dialogues with the default settings, and the exports.
#[test]
fn shoppers_say_goodbye_at_the_configured_rate_in_words_that_fit_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "1500"]);
    ok(d, &["profiles", "--count", "400"]);
    ok(d, &["generate", "--sessions", "1000"]);
    let conversations = jsonl(&d.join("conversations.jsonl"));
    let personas: BTreeMap<String, Value> = jsonl(&d.join("profiles.jsonl"))
        .into_iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p["persona"].clone()))
        .collect();
    let words = Goodbyes::load();
    // Per verbosity: dialogues the system closed, and those the shopper answered; shoppers who gave up, and left.
    let mut closed: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let (mut gave_up, mut left) = (0u32, 0u32);
    let mut goodbyes: Vec<String> = Vec::new();
    let mut closings_answered: Vec<String> = Vec::new();
    for c in &conversations {
        let turns = c["turns"].as_array().unwrap();
        let acts: Vec<(&str, &str)> = turns
            .iter()
            .map(|t| (t["role"].as_str().unwrap(), t["action"].as_str().unwrap()))
            .collect();
        let reason = c["end_reason"].as_str().unwrap();
        assert_eq!(bad_ending(&acts, reason), None, "{}", c["id"]);
        let persona = &personas[c["profile_id"].as_str().unwrap()];
        let verbosity = persona["verbosity"].as_str().unwrap().to_string();
        let register = persona["formality"].as_str().unwrap();
        if reason == "out_of_patience" {
            gave_up += 1;
            left += u32::from(acts.last() == Some(&("user", "abandon")));
        }
        let Some(closing) = turns
            .iter()
            .rposition(|t| t["action"] == "close" && t["role"] == "system")
        else {
            continue;
        };
        let cell = closed.entry(verbosity).or_default();
        cell.0 += 1;
        let Some(goodbye) = turns.get(closing + 1) else {
            continue;
        };
        cell.1 += 1;
        let text = goodbye["text"].as_str().unwrap();
        // Warm thanks after taking an item; a calm word with no praise otherwise.
        let act = if c["outcome"] == "accepted" {
            "farewell_accepted"
        } else {
            "farewell_abandoned"
        };
        assert!(
            words.fits(text, register, act),
            "{}: {act} in {register}: {text:?}",
            c["id"]
        );
        let other = if act == "farewell_accepted" {
            "farewell_abandoned"
        } else {
            "farewell_accepted"
        };
        assert!(
            !words.fits(text, register, other),
            "{}: {text:?} fits {other}",
            c["id"]
        );
        goodbyes.push(text.to_string());
        closings_answered.push(turns[closing]["text"].as_str().unwrap().to_string());
    }
    // Each rate within 4.5 standard errors of the configured one (dialogue.farewell_by_verbosity, leave_unanswered).
    let near = |(n, k): (u32, u32), p: f64, what: &str| {
        assert!(n > 50, "{what}: only {n}");
        let se = (p * (1.0 - p) / f64::from(n)).sqrt();
        let rate = f64::from(k) / f64::from(n);
        assert!((rate - p).abs() < 4.5 * se, "{what}: {k} of {n} vs {p}");
    };
    near(closed["terse"], 0.2, "terse goodbyes");
    near(closed["normal"], 0.4, "normal goodbyes");
    near(closed["chatty"], 0.55, "chatty goodbyes");
    assert!(gave_up > 20, "{gave_up} gave up");
    let rate = f64::from(left) / f64::from(gave_up);
    assert!(
        (0.1..0.55).contains(&rate),
        "{left} of {gave_up} left unanswered"
    );

    // SFT: a trailing goodbye has nothing to learn from; the rows end on the assistant's closing.
    ok(d, &["review"]);
    ok(d, &["export", "sft", "--format", "trl"]);
    ok(d, &["export", "sft", "--format", "openai"]);
    let mut user_texts = BTreeSet::new();
    let mut last_assistant = BTreeSet::new();
    for stem in ["trl", "openai"] {
        for split in ["train", "validation", "test"] {
            for row in jsonl(&d.join(format!("sft/{stem}_{split}.jsonl"))) {
                let messages = row["messages"].as_array().unwrap();
                let last = messages.last().unwrap();
                assert_eq!(last["role"], "assistant");
                last_assistant.insert(last["content"].as_str().unwrap().to_string());
                for m in messages.iter().filter(|m| m["role"] == "user") {
                    user_texts.insert(m["content"].as_str().unwrap().to_string());
                }
            }
        }
    }
    let kept: BTreeSet<String> = jsonl(&d.join("kept.jsonl"))
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    assert!(kept.len() > 900);
    for text in &goodbyes {
        assert!(
            !user_texts.contains(text),
            "a goodbye in an SFT row: {text:?}"
        );
    }
    let answered_in_rows = closings_answered
        .iter()
        .filter(|t| last_assistant.contains(*t))
        .count();
    assert!(
        answered_in_rows * 10 > closings_answered.len() * 9,
        "{answered_in_rows}"
    );
}

/// The settings govern the endings: every shopper says goodbye and none leaves unanswered at [1, 1, 1] and 0; none
/// says goodbye and every one who gives up leaves at [0, 0, 0] and 1. The MUSE shape labels a goodbye as the user's
/// chit-chat.
#[test]
fn the_closing_settings_govern_who_has_the_last_word() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "800"]);
    ok(d, &["profiles", "--count", "120"]);
    let always = generate(
        d,
        "always",
        "300",
        &[
            "dialogue.farewell_by_verbosity=[1.0, 1.0, 1.0]",
            "dialogue.leave_unanswered=0",
        ],
    );
    for c in &always {
        let last = c["turns"].as_array().unwrap().last().unwrap();
        assert_eq!(
            (&last["role"], &last["action"]),
            (&"user".into(), &"close".into()),
            "{}",
            c["id"]
        );
    }
    let never = generate(
        d,
        "never",
        "300",
        &[
            "dialogue.farewell_by_verbosity=[0.0, 0.0, 0.0]",
            "dialogue.leave_unanswered=1",
        ],
    );
    let mut left = 0;
    for c in &never {
        let last = c["turns"].as_array().unwrap().last().unwrap();
        let want = if c["end_reason"] == "out_of_patience" {
            left += 1;
            ("user", "abandon")
        } else {
            ("system", "close")
        };
        assert_eq!(
            (
                last["role"].as_str().unwrap(),
                last["action"].as_str().unwrap()
            ),
            want,
            "{}",
            c["id"]
        );
    }
    assert!(left > 0);
    // MUSE: the goodbye is the user's, labelled chit-chat (MUSE knows no closing act).
    let out = tempfile::tempdir().unwrap();
    ok(
        out.path(),
        &[
            "generate",
            "--sessions",
            "20",
            "--format",
            "muse",
            "--catalog",
            d.join("catalog.db").to_str().unwrap(),
            "--profiles",
            d.join("profiles.jsonl").to_str().unwrap(),
            "--set",
            "dialogue.farewell_by_verbosity=[1.0, 1.0, 1.0]",
        ],
    );
    let detail: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("detail_convs/conv_0.json")).unwrap(),
    )
    .unwrap();
    let turns = detail["Conversations"].as_array().unwrap();
    let last = turns.last().unwrap();
    assert!(last["User"].is_string(), "{last}");
    assert_eq!(last["Action"], "chit-chat");
    assert!(turns[turns.len() - 2]["Assistant"].is_string());
}
