//! Code-mixing: the mixed lines of `prompts/sim/codemix.toml` mix at clause level (never a lone word of the other
//! language in an English sentence), use only their act's slots, and are what code-mixing personas speak in the
//! configured share of turns; the mixes that are off never appear; the output is the same whatever the thread count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::util::{jsonl, ok, repo};

/// Every string in a TOML value.
fn strings(v: &toml::Value, out: &mut Vec<String>) {
    match v {
        toml::Value::String(s) => out.push(s.clone()),
        toml::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        toml::Value::Table(t) => t.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn read_toml(rel: &str) -> toml::Value {
    toml::from_str(&std::fs::read_to_string(repo(rel)).unwrap()).unwrap()
}

/// Lowercase words (letters, with inner apostrophes), template tags left out.
fn words(text: &str) -> Vec<String> {
    static TAGS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\{\{.*?\}\}|\{%.*?%\}").unwrap());
    static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"[\p{L}]+(?:'[\p{L}]+)*").unwrap());
    let (tags, word) = (&*TAGS, &*WORD);
    let text = tags.replace_all(text, " ");
    word.find_iter(&text)
        .map(|m| m.as_str().to_lowercase())
        .collect()
}

/// English words of the mixed lines that the English banks happen not to use.
const ENGLISH: &[&str] = &[
    "chaos",
    "click",
    "demand",
    "final",
    "important",
    "online",
    "pending",
    "scene",
    "tight",
    "expensive",
    "cute",
];

/// Words the other languages write like English words ("no", "me", German "so", Hindi "main"), and English words
/// that are words of the other languages ("sake", "den"): they count for neither language.
const HOMOGRAPHS: &[&str] = &[
    "no", "me", "a", "so", "um", "am", "in", "was", "main", "do", "to", "on", "hat", "also", "die",
    "war", "bin", "fast", "gut", "den", "ho", "mil", "din", "sake", "jam", "tag", "halt", "hast",
    "genre", "solo", "sea",
];

/// The phrase banks as vocabularies: per mix, the words its lines use that the English banks never use (the other
/// language).
struct Lexicon {
    foreign: BTreeMap<String, BTreeSet<String>>,
}

impl Lexicon {
    fn load() -> Self {
        let mut english: BTreeSet<String> = ENGLISH
            .iter()
            .chain(HOMOGRAPHS)
            .map(|s| s.to_string())
            .collect();
        for file in ["prompts/sim/user.toml", "prompts/sim/system.toml"] {
            let mut all = Vec::new();
            strings(&read_toml(file), &mut all);
            english.extend(all.iter().flat_map(|s| words(s)));
        }
        // City names ("Buenos Aires") are no one's code-mixing.
        let mut cities = Vec::new();
        strings(
            &read_toml("profiles/locations.toml")["locations"],
            &mut cities,
        );
        english.extend(cities.iter().flat_map(|s| words(s)));
        let bank = read_toml("prompts/sim/codemix.toml");
        let mut foreign = BTreeMap::new();
        for (mix, table) in bank["mixes"].as_table().unwrap() {
            let mut all = Vec::new();
            strings(&table["acts"], &mut all);
            let own = all
                .iter()
                .flat_map(|s| words(s))
                .filter(|w| !english.contains(w))
                .collect();
            foreign.insert(mix.clone(), own);
        }
        Lexicon { foreign }
    }

    /// The sentences of `text` in which one lone word of `mix`'s other language sits among English words (the
    /// defect: "Things are accha!", "My upper limit is $130 oder?", "Yaar, I need size 9").
    fn lone_words(&self, mix: &str, text: &str) -> Vec<String> {
        let foreign = &self.foreign[mix];
        // A decimal point ("0.4 l") ends no sentence.
        static DECIMAL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d)\.(\d)").unwrap());
        let text = DECIMAL.replace_all(text, "$1,$2");
        text.split(['.', '!', '?', '…'])
            .filter(|sentence| {
                let w = words(sentence);
                let f = w.iter().filter(|x| foreign.contains(*x)).count();
                let e = w
                    .iter()
                    .filter(|x| !foreign.contains(*x) && !HOMOGRAPHS.contains(&x.as_str()))
                    .count();
                f == 1 && e >= 2
            })
            .map(|s| s.trim().to_string())
            .collect()
    }

    /// Words of `mix`'s other language in `text`.
    fn foreign_words(&self, mix: &str, text: &str) -> usize {
        words(text)
            .iter()
            .filter(|w| self.foreign[mix].contains(*w))
            .count()
    }
}

/// The slot variables a template uses.
fn slots(template: &str) -> BTreeSet<String> {
    static SLOT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\{\{\s*(\w+)|\{%-?\s*(?:if|elif)\s+(\w+)").unwrap());
    SLOT.captures_iter(template)
        .filter_map(|c| c.get(1).or(c.get(2)))
        .map(|m| m.as_str().to_string())
        .collect()
}

/// The tables of `user.toml` an act's English turn is composed from.
fn english_tables(act: &str) -> Vec<&str> {
    match act {
        "inform_category" | "answer_budget" | "answer_preference" | "no_preference" => {
            vec!["answer", act]
        }
        "farewell_accepted" | "farewell_abandoned" => vec![act, "farewell"],
        _ => vec![act],
    }
}

#[test]
fn every_mixed_line_mixes_whole_clauses_with_its_acts_slots() {
    let lexicon = Lexicon::load();
    let user = read_toml("prompts/sim/user.toml");
    let bank = read_toml("prompts/sim/codemix.toml");
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let full = serde_json::json!({
        "need": "a new pair of shoes", "occasion": "a friend's wedding", "reason": "attending an event",
        "recipient": "my sister", "category": "sneakers", "budget": "$85", "requirement": "in navy",
        "reasons": "the price is too high when I'm trying to stay around $85", "item": "the sneaker",
        "liked": "it's navy", "style": "minimalist", "city": "Mumbai", "later": true,
    });
    let mut alone = full.clone();
    alone["recipient"] = Value::from("");
    alone["later"] = Value::from(false);
    let mut lines = 0;
    let mut bad = Vec::new();
    for (mix, table) in bank["mixes"].as_table().unwrap() {
        for (act, registers) in table["acts"].as_table().unwrap() {
            // The English turn's parts in every register, and the flags its plan decides by.
            let mut english = Vec::new();
            for register in ["casual", "neutral", "formal"] {
                for table in english_tables(act) {
                    strings(&user[register][table], &mut english);
                }
            }
            let mut allowed: BTreeSet<String> = english.iter().flat_map(|t| slots(t)).collect();
            if act == "accept" {
                allowed.insert("later".into());
            }
            let mut mixed = Vec::new();
            strings(registers, &mut mixed);
            for line in &mixed {
                let extra: Vec<String> = slots(line).difference(&allowed).cloned().collect();
                assert!(
                    extra.is_empty(),
                    "{mix} {act}: {extra:?} not a slot of the act: {line}"
                );
                for ctx in [&full, &alone] {
                    let text = env
                        .render_str(line, minijinja::Value::from(minijinja::value::Serde(ctx)))
                        .unwrap();
                    lines += 1;
                    if lexicon.foreign_words(mix, &text) < 2 {
                        bad.push(format!("{mix} {act}: not mixed: {text}"));
                    }
                    for s in lexicon.lone_words(mix, &text) {
                        bad.push(format!("{mix} {act}: a lone word in \"{s}\""));
                    }
                }
            }
        }
    }
    assert!(lines > 600, "{lines}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    // The check would catch the old mixer's output.
    for old in [
        "Things are accha!",
        "I'm not sure about the colour yaar.",
        "Yaar, I need size 9.",
    ] {
        assert_eq!(lexicon.lone_words("en-hi", old).len(), 1, "{old}");
    }
    assert_eq!(
        lexicon
            .lone_words("en-de", "My upper limit is $130 oder?")
            .len(),
        1
    );
}

fn generate(d: &Path, out: &str, threads: &str, extra: &[&str]) -> Vec<Value> {
    let path = format!("{out}/conversations.jsonl");
    let mut args = vec![
        "generate",
        "--sessions",
        "2500",
        "--threads",
        threads,
        "--out",
        &path,
        "--profiles",
        "profiles.jsonl",
        "--catalog",
        "catalog.db",
    ];
    args.extend_from_slice(extra);
    ok(d, &args);
    jsonl(&d.join(path))
}

/// Per formality, user turns and mixed user turns of code-mixing personas; panics on a lone word in any user turn.
fn mixed_turns(
    lexicon: &Lexicon,
    conversations: &[Value],
    profiles: &BTreeMap<String, Value>,
) -> BTreeMap<String, (usize, usize)> {
    // Giving up after an item says why (what the shopper dislikes about a match, or the wish it misses), in English
    // parts only.
    let user = read_toml("prompts/sim/user.toml");
    let mut taste = Vec::new();
    for register in ["casual", "neutral", "formal"] {
        strings(&user[register]["abandon"]["taste"], &mut taste);
        strings(&user[register]["abandon"]["wish"], &mut taste);
    }
    let taste: Vec<String> = taste
        .iter()
        .map(|l| l.split("{{").next().unwrap().to_string())
        .collect();
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for c in conversations {
        let persona = &profiles[c["profile_id"].as_str().unwrap()]["persona"];
        let mix = persona["language_mix"].as_str().unwrap();
        for t in c["turns"].as_array().unwrap() {
            if t["role"] != "user" {
                continue;
            }
            let text = t["text"].as_str().unwrap();
            // An English speaker's turns are checked against every mix on.
            let mixes = if mix == "en" {
                vec!["en-hi", "en-es"]
            } else {
                vec![mix]
            };
            for m in mixes {
                let lone = lexicon.lone_words(m, text);
                assert!(
                    lone.is_empty(),
                    "{} ({mix}): a lone {m} word: {lone:?} in {text}",
                    c["id"]
                );
            }
            if mix == "en"
                || (t["action"] == "abandon" && taste.iter().any(|o| text.contains(o.as_str())))
            {
                continue;
            }
            // A child (under 12) talks money in its own English lines (what a parent allows): counted apart.
            let key = if persona["age"].as_u64().unwrap() < 12 {
                "child"
            } else {
                persona["formality"].as_str().unwrap()
            };
            let entry = out.entry(key.to_string()).or_default();
            entry.0 += 1;
            if lexicon.foreign_words(mix, text) >= 2 {
                entry.1 += 1;
            }
        }
    }
    out
}

#[test]
fn personas_mix_whole_lines_in_their_share_of_turns_and_mixes_that_are_off_never_appear() {
    let lexicon = Lexicon::load();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["catalog", "sample", "--items", "800"]);
    ok(d, &["profiles", "--count", "1500"]);
    let profiles: BTreeMap<String, Value> = jsonl(&d.join("profiles.jsonl"))
        .into_iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p))
        .collect();
    let mixes: BTreeSet<&str> = profiles
        .values()
        .map(|p| p["persona"]["language_mix"].as_str().unwrap())
        .collect();
    assert_eq!(
        mixes,
        BTreeSet::from(["en", "en-es", "en-hi"]),
        "the default mixes only"
    );

    // The default share: code_mix_rate 0.6 times 1, 0.75, 0.5 by formality.
    let one = generate(d, "one", "1", &[]);
    let three = generate(d, "three", "3", &[]);
    assert_eq!(
        std::fs::read(d.join("one/conversations.jsonl")).unwrap(),
        std::fs::read(d.join("three/conversations.jsonl")).unwrap()
    );
    assert_eq!(one, three);
    let shares = mixed_turns(&lexicon, &one, &profiles);
    for (formality, expected) in [("casual", 0.6), ("neutral", 0.45), ("formal", 0.3)] {
        let (turns, mixed) = shares[formality];
        let share = mixed as f64 / turns as f64;
        assert!(turns > 200, "{formality}: {turns} turns");
        assert!(
            (share - expected).abs() < 0.08,
            "{formality}: {mixed} of {turns} turns mixed"
        );
    }

    // At rate 1 every turn of a casual code-mixing persona is a mixed line (every act has lines).
    let all = generate(d, "all", "2", &["--set", "dialogue.code_mix_rate=1"]);
    let shares = mixed_turns(&lexicon, &all, &profiles);
    let (turns, mixed) = shares["casual"];
    assert_eq!(turns, mixed, "casual turns at rate 1");

    // A persona drawn with a mix that is off (imported, or from older tables) speaks English.
    let mut listed = std::fs::read_to_string(d.join("profiles.jsonl")).unwrap();
    listed = listed.replace("\"language_mix\":\"en-hi\"", "\"language_mix\":\"en-de\"");
    std::fs::write(d.join("off.jsonl"), listed).unwrap();
    let path = "off/conversations.jsonl";
    ok(
        d,
        &[
            "generate",
            "--sessions",
            "600",
            "--out",
            path,
            "--profiles",
            "off.jsonl",
            "--catalog",
            "catalog.db",
        ],
    );
    // Only the personas moved to en-de are looked at: a Spanglish line can hold German-looking words ("es").
    let moved: BTreeSet<String> = jsonl(&d.join("off.jsonl"))
        .into_iter()
        .filter(|p| p["persona"]["language_mix"] == "en-de")
        .map(|p| p["id"].as_str().unwrap().to_string())
        .collect();
    let mut looked = 0;
    for c in jsonl(&d.join(path)) {
        if !moved.contains(c["profile_id"].as_str().unwrap()) {
            continue;
        }
        for t in c["turns"].as_array().unwrap() {
            let text = t["text"].as_str().unwrap();
            looked += 1;
            assert!(lexicon.foreign_words("en-de", text) < 2, "{text}");
            assert!(lexicon.foreign_words("en-hi", text) < 2, "{text}");
        }
    }
    assert!(looked > 100, "{looked} turns of moved personas");

    // Turned on, the small banks speak too.
    ok(
        d,
        &[
            "profiles",
            "--count",
            "1500",
            "--output",
            "every.jsonl",
            "--set",
            r#"profiles.language_mixes=["en-hi","en-es","en-fr","en-de"]"#,
        ],
    );
    let every: Vec<Value> = jsonl(&d.join("every.jsonl"));
    let mixes: BTreeSet<&str> = every
        .iter()
        .map(|p| p["persona"]["language_mix"].as_str().unwrap())
        .collect();
    assert!(
        mixes.contains("en-fr") && mixes.contains("en-de"),
        "{mixes:?}"
    );
}
