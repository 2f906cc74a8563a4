//! The dataset card: `README.md` beside the exports, with Hugging Face YAML front matter (license, task categories,
//! languages, size category, one config per export file family with its splits, and the features of the training
//! shapes) and a body holding the generation config, the models, the counts, the quality summary of the review and
//! the cost. The card describes what is on disk: it counts the lines of every export file it finds.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::layout;
use crate::config::{AgentKind, Config, UserGoal};
use crate::io::AtomicFile;
use crate::io::names;
use crate::{Error, Result};

/// One config of the card: a file family and its non-empty splits.
#[derive(Debug, Clone, PartialEq)]
pub struct CardConfig {
    /// `sft_trl`, `dpo_openai` …
    pub name: String,
    /// (split, path relative to the card, rows).
    pub splits: Vec<(String, String, usize)>,
    /// The features block (YAML lines, indented for `dataset_info`), when the shape is fixed.
    pub features: Option<&'static str>,
}

const SFT_ROLE: &str = "  features:\n  - name: messages\n    list:\n    - name: content\n      dtype: string\n    - name: role\n      dtype: string\n";
const SFT_SHAREGPT: &str = "  features:\n  - name: conversations\n    list:\n    - name: from\n      dtype: string\n    - name: value\n      dtype: string\n";
const DPO_TRL: &str = "  features:\n  - name: chosen\n    list:\n    - name: content\n      dtype: string\n    - name: role\n      dtype: string\n  - name: prompt\n    list:\n    - name: content\n      dtype: string\n    - name: role\n      dtype: string\n  - name: rejected\n    list:\n    - name: content\n      dtype: string\n    - name: role\n      dtype: string\n";
const DPO_OPENAI: &str = "  features:\n  - name: input\n    struct:\n    - name: messages\n      list:\n      - name: content\n        dtype: string\n      - name: role\n        dtype: string\n  - name: non_preferred_output\n    list:\n    - name: content\n      dtype: string\n    - name: role\n      dtype: string\n  - name: preferred_output\n    list:\n    - name: content\n      dtype: string\n    - name: role\n      dtype: string\n";
const DPO_SHAREGPT: &str = "  features:\n  - name: chosen\n    struct:\n    - name: from\n      dtype: string\n    - name: value\n      dtype: string\n  - name: conversations\n    list:\n    - name: from\n      dtype: string\n    - name: value\n      dtype: string\n  - name: rejected\n    struct:\n    - name: from\n      dtype: string\n    - name: value\n      dtype: string\n";

/// Lines of `path` and whether any holds a key beyond the base shape (weights, images, content parts).
fn scan(path: &Path) -> Result<(usize, bool)> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    let rows = text.lines().filter(|l| !l.trim().is_empty()).count();
    let extra = text.contains("\"weight\":")
        || text.contains("\"images\":")
        || text.contains("\"content\":[");
    Ok((rows, extra))
}

/// The configs of the export files under `dir`.
pub fn configs(dir: &Path) -> Result<Vec<CardConfig>> {
    let mut out = Vec::new();
    let families: [(&str, &[(&str, &'static str)]); 2] = [
        (
            layout::SFT,
            &[
                ("trl", SFT_ROLE),
                ("openai", SFT_ROLE),
                ("sharegpt", SFT_SHAREGPT),
            ],
        ),
        (
            layout::DPO,
            &[
                ("trl", DPO_TRL),
                ("openai", DPO_OPENAI),
                ("sharegpt", DPO_SHAREGPT),
                ("meta", ""),
            ],
        ),
    ];
    for (family, stems) in families {
        for (stem, features) in stems {
            let mut splits = Vec::new();
            let mut fixed = true;
            for split in layout::SPLITS {
                let path = layout::split_file(dir, family, stem, split);
                if !path.is_file() {
                    continue;
                }
                let (rows, extra) = scan(&path)?;
                fixed &= !extra;
                if rows > 0 {
                    splits.push((
                        split.to_string(),
                        format!("{family}/{stem}_{split}.jsonl"),
                        rows,
                    ));
                }
            }
            if !splits.is_empty() {
                out.push(CardConfig {
                    name: format!("{family}_{stem}"),
                    splits,
                    features: (fixed && !features.is_empty()).then_some(*features),
                });
            }
        }
    }
    // The turn log is JSON Lines like the rest (a card's configs must share one reader; the CSV tables are listed in
    // the body instead).
    let turns = format!("{}/turns.jsonl", layout::ANALYTICS);
    let path = dir.join(&turns);
    if path.is_file() {
        let (rows, _) = scan(&path)?;
        if rows > 0 {
            out.push(CardConfig {
                name: "analytics_turns".into(),
                splits: vec![("train".into(), turns, rows)],
                features: None,
            });
        }
    }
    Ok(out)
}

/// The Hugging Face size category of `n` examples.
pub fn size_category(n: usize) -> &'static str {
    match n {
        0..1_000 => "n<1K",
        1_000..10_000 => "1K<n<10K",
        10_000..100_000 => "10K<n<100K",
        100_000..1_000_000 => "100K<n<1M",
        1_000_000..10_000_000 => "1M<n<10M",
        _ => "10M<n<100M",
    }
}

/// What a role was played by: `sim`, or `backend:model`.
fn played_by(role: &crate::config::RoleConfig) -> String {
    match role.agent {
        AgentKind::Sim => "sim (embedded offline agent)".into(),
        AgentKind::Llm => format!("{:?} `{}`", role.backend, role.model).to_lowercase(),
    }
}

/// The languages of the review's language mix (`en`, `en-hi` …) as ISO 639-1 codes.
fn languages(report: &Value) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = report["dataset"]["languages"]
        .as_object()
        .into_iter()
        .flatten()
        .flat_map(|(k, _)| k.split('-').map(str::to_string).collect::<Vec<_>>())
        .filter(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_lowercase()))
        .collect();
    if out.is_empty() {
        out.insert("en".into());
    }
    out
}

/// Read `path` as JSON, `Null` when absent.
/// What the card quotes from the run manifest (a partial, typed view: the manifest's own type belongs to the
/// pipeline, above the exports).
#[derive(Debug, Default, serde::Deserialize)]
struct RunManifest {
    /// musegen's version.
    musegen: Option<String>,
    /// The run seed.
    seed: Option<u64>,
    /// The hash of the effective config.
    config_hash: Option<String>,
    /// The catalog step.
    #[serde(default)]
    catalog: ManifestCatalog,
    /// The conversations step.
    #[serde(default)]
    generate: ManifestGenerate,
}

/// The catalog step, as the card quotes it.
#[derive(Debug, Default, serde::Deserialize)]
struct ManifestCatalog {
    /// Items in the catalog.
    items: Option<u64>,
}

/// The conversations step, as the card quotes it.
#[derive(Debug, Default, serde::Deserialize)]
struct ManifestGenerate {
    /// Conversations in the output.
    conversations: Option<u64>,
}

fn json_file(path: &Path) -> Result<Value> {
    if !path.is_file() {
        return Ok(Value::Null);
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::read(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::input(path, None, None, format!("not JSON: {e}")))
}

/// Write `dir/README.md` for the exports under `dir`, with what `run_dir` (the run folder: its manifest and review
/// report) says about how they were made.
pub fn write_card(config: &Config, run_dir: &Path, dir: &Path) -> Result<PathBuf> {
    let configs = configs(dir)?;
    let report = json_file(&run_dir.join("report.json"))?;
    let manifest: RunManifest =
        crate::io::run_folder::read_json(&run_dir.join(names::MANIFEST))?.unwrap_or_default();
    let conversations = report["dataset"]["kept"]
        .as_u64()
        .or(manifest.generate.conversations)
        .unwrap_or(0) as usize;
    let biggest = configs
        .iter()
        .filter(|c| !c.name.starts_with("analytics"))
        .map(|c| c.splits.iter().map(|s| s.2).sum::<usize>())
        .max()
        .unwrap_or(conversations);
    let mut y = String::from("---\n");
    y.push_str(&format!("license: {}\n", config.export.license));
    y.push_str("task_categories:\n- text-generation\n");
    y.push_str("language:\n");
    for l in languages(&report) {
        y.push_str(&format!("- {l}\n"));
    }
    y.push_str(&format!("size_categories:\n- {}\n", size_category(biggest)));
    y.push_str("tags:\n- synthetic\n- conversational-recommendation\n- musegen\n");
    y.push_str(&format!(
        "pretty_name: {}\n",
        yaml_string(&config.export.dataset_name)
    ));
    if !configs.is_empty() {
        y.push_str("configs:\n");
        for c in &configs {
            let _ = writeln!(y, "- config_name: {}", c.name);
            y.push_str("  data_files:\n");
            for (split, path, _) in &c.splits {
                let _ = writeln!(y, "  - split: {split}\n    path: {path}");
            }
        }
        y.push_str("dataset_info:\n");
        for c in &configs {
            let _ = writeln!(y, "- config_name: {}", c.name);
            if let Some(f) = c.features {
                y.push_str(f);
            }
            y.push_str("  splits:\n");
            for (split, _, rows) in &c.splits {
                let _ = writeln!(y, "  - name: {split}\n    num_examples: {rows}");
            }
        }
    }
    y.push_str("---\n\n");
    let stats = json_file(&run_dir.join("stats.json"))?;
    // The mixes' names are a courtesy: a card is still written when the phrase banks cannot be read.
    let names = mix_names(config.prompts_dir.as_deref()).unwrap_or_default();
    y.push_str(&body(config, &report, &manifest, &stats, &configs, &names));
    let path = dir.join(layout::CARD);
    let mut file = AtomicFile::create(&path)?;
    std::io::Write::write_all(&mut file, y.as_bytes()).map_err(|e| Error::write(&path, e))?;
    file.commit()?;
    Ok(path)
}

/// The names of the mixes `prompts/sim/codemix.toml` has lines for (`en-hi` → "Hinglish (…)"), on or off, read
/// from `prompts_dir/sim/` over the embedded bank (the card only names them; the sim agents speak them).
fn mix_names(prompts_dir: Option<&Path>) -> Result<std::collections::BTreeMap<String, String>> {
    #[derive(serde::Deserialize)]
    struct Names {
        #[serde(default)]
        mixes: std::collections::BTreeMap<String, Named>,
    }
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    let files = crate::data::prompt_set(prompts_dir, crate::data::PromptSet::Sim)?;
    let names: Names = crate::data::parse(crate::data::find(&files, "codemix.toml")?)?;
    Ok(names.mixes.into_iter().map(|(k, n)| (k, n.name)).collect())
}

/// The card's section on languages: the conversations of each language mix the data holds, with their share, and
/// how the offline shopper code-mixes (whole clause-level lines, in a share of turns; the mixes left off).
fn language_mixes(
    config: &Config,
    report: &Value,
    names: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut s = String::from("\n## Languages and code-mixing\n\n");
    let counts: Vec<(&String, u64)> = report["dataset"]["languages"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_u64().map(|n| (k, n)))
        .collect();
    let total: u64 = counts.iter().map(|c| c.1).sum();
    if total == 0 {
        s.push_str("No review report: the language mixes of the conversations are not known.\n");
    } else {
        s.push_str("| language mix | conversations | share |\n| --- | --- | --- |\n");
        for (key, n) in &counts {
            let name = match key.as_str() {
                "en" => "English",
                k => names.get(k).map_or(k, String::as_str),
            };
            let _ = writeln!(
                s,
                "| `{key}` {name} | {n} | {:.1}% |",
                100.0 * *n as f64 / total as f64
            );
        }
    }
    let on = &config.profiles.language_mixes;
    let off: Vec<String> = names
        .keys()
        .filter(|k| !on.contains(k))
        .map(|k| format!("`{k}`"))
        .collect();
    let listed = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    let on_list: Vec<String> = on.iter().map(|k| format!("`{k}`")).collect();
    let _ = writeln!(
        s,
        "\nMixes on (`profiles.language_mixes`): {}; with phrase banks but off: {}.\n",
        listed(&on_list),
        listed(&off)
    );
    if config.roles.user_agent.agent == AgentKind::Sim {
        let _ = writeln!(
            s,
            "A code-mixing shopper speaks whole lines written in the mix, switching at clause and phrase boundaries \
             with the matrix language's word order (`prompts/sim/codemix.toml`), in a share of turns: \
             `dialogue.code_mix_rate` ({}) for a casual shopper, less for neutral and formal ones; its other turns are \
             English.",
            config.dialogue.code_mix_rate
        );
    }
    s
}

/// A YAML double-quoted string.
fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The card's Markdown body.
fn body(
    config: &Config,
    report: &Value,
    manifest: &RunManifest,
    stats: &Value,
    configs: &[CardConfig],
    mix_names: &std::collections::BTreeMap<String, String>,
) -> String {
    let d = &report["dataset"];
    let pct = |v: &Value| {
        v.as_f64()
            .map_or("-".into(), |x| format!("{:.1}%", 100.0 * x))
    };
    let num = |v: &Value| v.as_f64().map_or("-".into(), |x| format!("{x:.3}"));
    let mut s = format!("# {}\n\n", config.export.dataset_name);
    s.push_str(
        "Synthetic conversational-recommendation dialogues in the style of MUSE: a simulated shopper with a \
         scenario-grounded persona talks with a recommender that searches a real item catalog. Generated and \
         reviewed by [musegen](https://github.com/) — every recommendation is a catalog item, and the review \
         checks it against what the shopper had said.\n\n",
    );
    s.push_str(match config.dialogue.user_goal {
        UserGoal::Target => {
            "The shopper pictures a hidden target item and takes it (or, now and then, an item meeting every \
             requirement it holds); items it turns down may meet everything it said (a matter of taste).\n\n"
        }
        UserGoal::Preferences => {
            "The shopper has no hidden target (`dialogue.user_goal = \"preferences\"`): it takes the first item \
             meeting its requirements and budget.\n\n"
        }
    });
    s.push_str("## Files\n\n| config | split | rows | path |\n| --- | --- | --- | --- |\n");
    for c in configs {
        for (split, path, rows) in &c.splits {
            let _ = writeln!(s, "| {} | {split} | {rows} | `{path}` |", c.name);
        }
    }
    s.push_str(
        "\n`sft_*`: one sample per conversation (the recommender is the assistant; a dialogue may end on the \
         shopper's goodbye after the recommender's closing, or on a shopper who gave up and left, and such a \
         trailing shopper turn is left out, so every sample ends on the assistant). `dpo_*`: preference pairs per \
         sound recommendation, the prompt being the whole conversation before it; `dpo_meta` says, line by line, \
         where each pair comes from (`sim` and `hard_negative`: a real catalog item that breaks a wish the shopper \
         revealed, over the budget, or turned down before, phrased by the same recommender; a `sim` pair's two \
         replies are the same words about two items; `judge`: a fresh reply \
         ranked by the pairwise judge in both orders). The split is a hash of the conversation id.\n\n",
    );
    s.push_str(
        "Analytics (every conversation of the run, the review's verdict a column): `analytics/turns.jsonl` (one line \
         per turn, synthetic but consistent timestamps), `analytics/chats.csv` and `analytics/messages.csv` (flat \
         tables), `star/` and `snowflake/` (CSV with integer surrogate keys and a `schema.sql` for SQLite or \
         PostgreSQL, with `load_sqlite.sql` and `load_postgres.sql`), `storybot/conversations.json`.\n\n",
    );
    s.push_str("```python\nfrom datasets import load_dataset\nds = load_dataset(\"path/to/this/folder\", \"sft_trl\")\n```\n\n");
    s.push_str("## How it was generated\n\n");
    let _ = writeln!(
        s,
        "- musegen {}, seed {}, config hash `{}`",
        manifest
            .musegen
            .as_deref()
            .unwrap_or(env!("CARGO_PKG_VERSION")),
        manifest.seed.unwrap_or(config.seed),
        manifest.config_hash.as_deref().unwrap_or("-")
    );
    let r = &config.roles;
    let _ = writeln!(s, "- user agent: {}", played_by(&r.user_agent));
    let _ = writeln!(s, "- recommender: {}", played_by(&r.system_agent));
    let _ = writeln!(s, "- scenario writer: {}", played_by(&r.scenario_writer));
    let _ = writeln!(s, "- judge: {}", played_by(&r.judge));
    let _ = writeln!(
        s,
        "- catalog: {} items; {} rounds at most; keep rule `{}`",
        manifest.catalog.items.map_or("-".into(), |n| n.to_string()),
        config.dialogue.max_rounds,
        report["keep_rule"].as_str().unwrap_or(&config.review.keep)
    );
    // Header values may hold credentials (a gateway's token): the card names the headers only, as `config show`.
    if let Ok(toml) = config.to_toml_shown() {
        let _ = write!(
            s,
            "\n<details><summary>The effective config (`musegen config show`)</summary>\n\n```toml\n{}\n```\n\n</details>\n",
            toml.trim_end()
        );
    }
    s.push_str("\n## Quality (the review)\n\n| measure | value |\n| --- | --- |\n");
    let rows = [
        (
            "conversations reviewed",
            d["conversations"]
                .as_u64()
                .map_or("-".into(), |n| n.to_string()),
        ),
        (
            "kept",
            d["kept"].as_u64().map_or("-".into(), |n| n.to_string()),
        ),
        ("grounded", pct(&d["grounded_share"])),
        ("consistent", pct(&d["consistent_share"])),
        (
            "mean fit of recommendations to revealed wishes",
            num(&d["fit"]["mean"]),
        ),
        ("mean turns", num(&d["turns"]["mean"])),
        (
            "accepted at the first recommendation",
            pct(&d["accepted_first_share"]),
        ),
        (
            "distinct-2 (user / system)",
            format!(
                "{} / {}",
                num(&d["distinct_user"]["distinct_2"]),
                num(&d["distinct_system"]["distinct_2"])
            ),
        ),
        ("self-BLEU", num(&d["self_bleu"])),
        (
            "exact / near duplicates",
            format!(
                "{} / {}",
                d["exact_duplicates"].as_u64().unwrap_or(0),
                d["near_duplicates"].as_u64().unwrap_or(0)
            ),
        ),
        (
            "cost (USD)",
            d["cost_usd"]
                .as_f64()
                .map_or("-".into(), |c| format!("{c:.4}")),
        ),
        (
            "cost per kept conversation (USD)",
            d["cost_per_kept_usd"]
                .as_f64()
                .map_or("-".into(), |c| format!("{c:.6}")),
        ),
    ];
    for (k, v) in rows {
        let _ = writeln!(s, "| {k} | {v} |");
    }
    if let Some(summary) = stats["summary"].as_object() {
        let n = |k: &str| summary.get(k).and_then(Value::as_u64).unwrap_or(0);
        let _ = writeln!(
            s,
            "\nObserved against configured distributions (`musegen stats`, `stats.md`): {} fits pass, {} fail, {} not \
             applicable, at alpha {}.",
            n("passed"),
            n("failed"),
            n("not_applicable"),
            stats["alpha"].as_f64().unwrap_or(0.01)
        );
    }
    if let Some(outcomes) = d["outcomes"].as_object() {
        let list: Vec<String> = outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(s, "\nOutcomes: {}.", list.join(", "));
    }
    s.push_str(&language_mixes(config, report, mix_names));
    if config.currency.local {
        let _ = writeln!(
            s,
            "\nBudgets and prices are said in the shopper's local currency (from the country of the persona: \
             \"₹8,000\", \"£70\"), converted from the catalog's {} at fixed rates (`[currency]`, \
             `profiles/currencies.toml`); every comparison of a budget with a price is made in {}. In \
             `analytics/chats.csv`, `budget_max` is in {}, `budget_currency` and `budget_local` are the budget as \
             the shopper stated it.",
            config.currency.catalog, config.currency.catalog, config.currency.catalog
        );
    }
    if config.sizes.local {
        s.push_str(
            "\nSizes the catalog writes with their system (\"US 9\") are said in the shopper's system where \
             `profiles/sizes.toml` charts them (a shopper in London says \"UK 8\", one in Berlin \"EU 42.5\"); slots, \
             item cards and every decision keep the catalog's value.\n",
        );
    }
    s.push_str(
        "\n## Limitations\n\nThe dialogues are simulated: the shopper and (with `sim` agents) the recommender speak from \
         phrase banks or language-model prompts, so the language is less varied than real chat logs, and the \
         personas follow the configured distributions, not a real population. Check the quality table before \
         training on it.\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_card_lists_the_mixes_in_the_data_with_their_share_and_the_mixes_left_off() {
        let report =
            serde_json::json!({"dataset": {"languages": {"en": 150, "en-hi": 30, "en-es": 20}}});
        let names = mix_names(None).unwrap();
        let text = language_mixes(&Config::default(), &report, &names);
        assert!(text.contains("| `en` English | 150 | 75.0% |"), "{text}");
        assert!(text.contains("| `en-hi` Hinglish"), "{text}");
        assert!(text.contains("| 30 | 15.0% |"), "{text}");
        assert!(text.contains("| 20 | 10.0% |"), "{text}");
        assert!(
            text.contains("Mixes on (`profiles.language_mixes`): `en-hi`, `en-es`; with phrase banks but off: `en-de`, `en-fr`."),
            "{text}"
        );
        let none = language_mixes(&Config::default(), &Value::Null, &names);
        assert!(none.contains("not known"), "{none}");
    }
}
