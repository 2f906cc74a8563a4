//! Local sizes: a shopper in London says and hears the catalog's "US 9" as a "UK 8", one in Berlin as an "EU 42.5",
//! one in New York as the catalog writes it, by the charts of `profiles/sizes.toml`; the slots and the accepted item
//! keep the catalog's value. With `[sizes] local = false` everyone says the catalog's sizes; a malformed table or an
//! unknown key is refused.

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use crate::util::{by_id, jsonl, musegen, quickstart, repo};

/// Three cities, one per size system the test checks, so a few hundred dialogues hold enough shoe shoppers of each.
const LOCATIONS: &str = r#"
[[locations]]
city = "London"
country = "United Kingdom"
region = "uk"
weight = 1.0
languages = { "en" = 1.0 }

[[locations]]
city = "Berlin"
country = "Germany"
region = "europe"
weight = 1.0
languages = { "en" = 1.0 }

[[locations]]
city = "New York"
country = "United States"
region = "us"
weight = 1.0
languages = { "en" = 1.0 }
"#;

/// The system each test country says sizes in.
fn system_of(country: &str) -> &'static str {
    match country {
        "United Kingdom" => "UK",
        "Germany" => "EU",
        _ => "US",
    }
}

/// One row of a chart: system → size.
type Row = BTreeMap<String, String>;

/// The charts of the shipped `profiles/sizes.toml`: each chart's path, the system the catalog writes bare numbers in
/// (if it does), and rows.
struct Charts(Vec<(Vec<String>, Option<String>, Vec<Row>)>);

impl Charts {
    fn load() -> Charts {
        let text = std::fs::read_to_string(repo("profiles/sizes.toml")).unwrap();
        let table: toml::Table = toml::from_str(&text).unwrap();
        let mut out = Vec::new();
        for chart in table["charts"].as_array().unwrap() {
            let path = chart["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect::<Vec<_>>();
            let systems: Vec<&str> = chart["systems"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            let rows = chart["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    systems
                        .iter()
                        .zip(r.as_array().unwrap())
                        .map(|(s, v)| (s.to_string(), v.as_str().unwrap().to_string()))
                        .collect()
                })
                .collect();
            let bare = chart
                .get("catalog")
                .map(|c| c.as_str().unwrap().to_string());
            out.push((path, bare, rows));
        }
        Charts(out)
    }

    /// `size` (as the catalog writes it, any case; a bare number in the chart's `catalog` system) of an item at
    /// `path`, in `system`.
    fn local(&self, path: &[String], size: &str, system: &str) -> Option<String> {
        let (_, bare, rows) = self
            .0
            .iter()
            .find(|(p, _, _)| path.windows(p.len()).any(|w| w == p.as_slice()))?;
        let size = match bare {
            Some(b) if size.trim().chars().all(|c| c.is_ascii_digit()) => {
                format!("{b} {}", size.trim())
            }
            _ => size.trim().to_string(),
        };
        let row = rows.iter().find(|r| r["US"].eq_ignore_ascii_case(&size))?;
        row.get(system).cloned()
    }
}

fn tables(d: &Path) {
    let dir = d.join("tables");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("locations.toml"), LOCATIONS).unwrap();
}

/// A quickstart run of `sessions` shoppers in the test's three cities (`crate::util::quickstart`).
fn run(d: &Path, sessions: &str, extra: &[&str]) -> std::path::PathBuf {
    tables(d);
    let mut args = vec!["--set", "profiles.tables_dir=\"tables\""];
    args.extend_from_slice(extra);
    quickstart(d, sessions, &args)
}

/// Item id → (full category path, catalog size).
fn items(d: &Path) -> BTreeMap<String, (Vec<String>, Option<String>)> {
    jsonl(&d.join("items.jsonl"))
        .into_iter()
        .map(|i| {
            let path = i["categories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect();
            let size = i["details"]["Size"].as_str().map(str::to_string);
            (i["id"].as_str().unwrap().to_string(), (path, size))
        })
        .collect()
}

#[test]
fn shoppers_say_sizes_in_their_countrys_system_and_decisions_keep_the_catalogs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(d, "500", &[]);
    let items = items(d);
    let charts = Charts::load();
    let profiles = by_id(&out.join("profiles.jsonl"));
    let sized = Regex::new(r"\b(US|UK|EU|JP) [0-9]").unwrap();
    let mut stated: BTreeMap<&str, usize> = BTreeMap::new();
    let mut accepts_checked = 0;
    let mut required_local = 0;
    let mut bare_said = 0;
    for c in jsonl(&out.join("conversations.jsonl")) {
        let p = &profiles[c["profile_id"].as_str().unwrap()];
        let country = p["persona"]["location"]["country"].as_str().unwrap();
        let system = system_of(country);
        let (target_path, _) = &items[p["target_item_id"].as_str().unwrap()];
        // The profile's requirement texts say a size in the shopper's system too; its value stays the catalog's.
        for r in p["scenario"]["requirements"].as_array().unwrap() {
            let text = r["text"].as_str().unwrap();
            for m in sized.captures_iter(text) {
                assert_eq!(&m[1], system, "{} ({country}): {text:?}", c["id"]);
                let value = r["value"].as_str().unwrap();
                assert!(
                    value.starts_with("US ") || value.chars().all(|ch| ch.is_ascii_digit()),
                    "{r}"
                );
                if system != "US" {
                    required_local += 1;
                }
            }
        }
        let mut said: Vec<String> = Vec::new();
        for t in c["turns"].as_array().unwrap() {
            let text = t["text"].as_str().unwrap();
            // Every size with a system in the dialogue is in the shopper's: never "US 9" to a Londoner, never "UK 8"
            // to a New Yorker.
            for m in sized.captures_iter(text) {
                assert_eq!(&m[1], system, "{} ({country}): {text:?}", c["id"]);
            }
            if t["role"] != "user" {
                continue;
            }
            let slots = t["slots"].as_array().cloned().unwrap_or_default();
            for s in slots.iter().filter(|s| s["attribute"] == "size") {
                let value = s["value"].as_str().unwrap();
                // The slot keeps the catalog's value ("us 9"; a dress size "8" or "M" has no system).
                assert!(
                    !["uk ", "eu ", "jp "].iter().any(|x| value.starts_with(x)),
                    "{}: slot {value}",
                    c["id"]
                );
                // A women's dress size the catalog writes bare ("8"), said as a "UK 12" in London.
                let bare = value.chars().all(|ch| ch.is_ascii_digit());
                if !(value.starts_with("us ") || bare && system != "US")
                    || s["negative"].as_bool().unwrap_or(false)
                {
                    continue;
                }
                // The text says it in the shopper's system, converted by the target's chart.
                let local = match charts.local(target_path, value, system) {
                    Some(local) => local,
                    // No chart for this bare size, or no column for the system: said as the catalog writes it.
                    None if bare => {
                        assert!(!text.contains(&format!("{system} {value}")), "{text}");
                        continue;
                    }
                    None => panic!("{}: no {system} size for {value}", c["id"]),
                };
                if bare {
                    bare_said += 1;
                }
                assert!(
                    text.contains(&local),
                    "{} ({country}): {local} not in {text:?}",
                    c["id"]
                );
                *stated.entry(system).or_default() += 1;
                said.push(local);
            }
        }
        // The accepted item's catalog size converts to what the shopper said.
        if let (Some(last), Some(accepted)) = (said.last(), c["accepted_item"].as_str()) {
            let (path, size) = &items[accepted];
            let size = size.as_deref().expect("an accepted shoe has a size");
            assert_eq!(
                charts.local(path, size, system).as_deref(),
                Some(last.as_str()),
                "{}: accepted {accepted} in {size}",
                c["id"]
            );
            accepts_checked += 1;
        }
    }
    for system in ["UK", "EU", "US"] {
        assert!(
            stated.get(system).copied().unwrap_or(0) >= 3,
            "sizes stated per system: {stated:?}"
        );
    }
    assert!(accepts_checked >= 5, "{accepts_checked}");
    assert!(required_local >= 5, "{required_local}");
    assert!(
        bare_said >= 1,
        "women's dress sizes said in UK sizes: {bare_said}"
    );

    // The review counts no local size as an unstated value, a repeated phrase or a broken fill.
    for r in jsonl(&out.join("reviews.jsonl")) {
        let realism = &r["realism"];
        for measure in [
            "accepts_unstated_praise",
            "rejects_outside_requirements",
            "unfounded_references",
            "broken_fills",
            "repeated_phrases",
        ] {
            assert_eq!(realism[measure], 0, "{} {measure}: {realism}", r["id"]);
        }
    }
    // A sim preference pair swaps the item only, a size said in the shopper's system included.
    let reworded: u64 = jsonl(&out.join("pairs.jsonl"))
        .iter()
        .map(|line| line["counts"]["reworded"].as_u64().unwrap())
        .sum();
    assert_eq!(reworded, 0, "sim pairs reworded beyond the item");
}

#[test]
fn with_local_sizes_off_everyone_says_the_catalogs_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = run(d, "300", &["--set", "sizes.local=false"]);
    let profiles = by_id(&out.join("profiles.jsonl"));
    let local = Regex::new(r"\b(UK|EU|JP) [0-9]").unwrap();
    let mut abroad_us = 0;
    for c in jsonl(&out.join("conversations.jsonl")) {
        let p = &profiles[c["profile_id"].as_str().unwrap()];
        let country = p["persona"]["location"]["country"].as_str().unwrap();
        for t in c["turns"].as_array().unwrap() {
            let text = t["text"].as_str().unwrap();
            assert!(!local.is_match(text), "{}: {text:?}", c["id"]);
            if country != "United States" && text.contains("US ") {
                abroad_us += 1;
            }
        }
    }
    assert!(abroad_us >= 3, "{abroad_us}");
}

#[test]
fn a_bad_size_table_or_an_unknown_sizes_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = musegen(
        d,
        &["profiles", "--count", "2", "--set", "sizes.locale=true"],
    );
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("locale"), "{}", out.stderr);

    let tables = d.join("tables");
    std::fs::create_dir_all(&tables).unwrap();
    let shipped = std::fs::read_to_string(repo("profiles/sizes.toml")).unwrap();
    let broken = shipped.replacen(r#"["US 9", "UK 8","#, r#"["US 9", "UK8","#, 1);
    assert_ne!(broken, shipped);
    std::fs::write(tables.join("sizes.toml"), broken).unwrap();
    let out = musegen(
        d,
        &[
            "profiles",
            "--count",
            "2",
            "--set",
            "profiles.tables_dir=\"tables\"",
        ],
    );
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("sizes.toml") && out.stderr.contains("rows[4]"),
        "{}",
        out.stderr
    );
    assert!(!d.join("profiles.jsonl").exists());
}
