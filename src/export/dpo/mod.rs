//! Preference pairs (`musegen export dpo`): per sound recommendation, the whole conversation before it as the
//! prompt, the real reply and a rejected one (see [`pairs`]), in TRL's conversational preference shape
//! (`prompt`/`chosen`/`rejected`, all message lists), OpenAI's preference fine-tuning shape
//! (`input.messages`/`preferred_output`/`non_preferred_output`, assistant messages only) and ShareGPT's ranking shape
//! (`conversations` ending with the shopper, `chosen`/`rejected` turns), into `dpo/{format}_{split}.jsonl`, with
//! `dpo/meta_{split}.jsonl` describing each pair, line by line, in the same order.

pub mod pairs;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::chat::{self, ChatFormat, Render};
use super::grounds::Grounds;
use super::select::{Selection, SelectionReport};
use super::sft::{split_of, with_cards};
use super::writer::SplitWriter;
use crate::agents::sim::{PhraseBank, SimWorld};
use crate::config::{AgentKind, Config};
use crate::generate::LlmSetup;
use crate::io::Sources;
use crate::manager::UsageRow;
use crate::model::Conversation;
use crate::review::judge::Judge;
use crate::{Error, Result, parallel};

pub use pairs::{Pair, PairCounts, PairMaker};

/// How the pairs are selected and rendered.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DpoOptions {
    /// The system prompt, when prompts start with one.
    pub system: Option<String>,
    /// Only conversations whose review passes this rule.
    pub rule: Option<String>,
    /// Leave out conversations repeating an earlier one word for word.
    pub dedup: bool,
    /// Add the cards of the items of the pair (those shown before, the chosen and the rejected one) to the system
    /// message, so that a model can tell which reply breaks what the shopper asked for.
    pub item_cards: bool,
    /// Image parts for the pictures the shopper was shown in the prompt.
    pub images: bool,
}

/// What the export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DpoReport {
    /// Pairs per split, the same in every format.
    pub pairs: BTreeMap<String, usize>,
    /// Pairs per source (`sim`, `hard_negative`, `judge`).
    pub by_source: BTreeMap<String, usize>,
    /// Hard negatives per kind.
    pub by_kind: BTreeMap<String, usize>,
    /// Conversations read after the selection.
    pub conversations: usize,
    /// What was found making the pairs.
    pub counts: PairCounts,
    /// What the selection left out.
    pub selection: SelectionReport,
    /// Pictures put in the prompts (counted once, in the first format).
    pub images: usize,
    /// Pictures left out because the file was not there.
    pub images_missing: usize,
    /// The language-model requests the pairs took (negatives phrased by a model, the judge).
    pub usage: Option<UsageRow>,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// The message lists of a pair in `format`, its prompt being `prompt` (the pair's, with the pictures `format` can
/// carry when `images`).
pub fn record(
    format: ChatFormat,
    pair: &Pair,
    prompt: &[chat::Message],
    system: Option<&str>,
    images: bool,
) -> Value {
    let r = Render { system, images };
    let (prompt, pictures) = chat::render(format, prompt, r);
    let reply = |text: &str| match format {
        ChatFormat::Sharegpt => json!({"from": "gpt", "value": text}),
        // TRL's vision pairs keep one content shape: lists of parts.
        ChatFormat::Trl if images => {
            json!([{"role": "assistant", "content": [{"type": "text", "text": text}]}])
        }
        _ => json!([{"role": "assistant", "content": text}]),
    };
    let mut v = record_shape(format, prompt, reply(&pair.chosen), reply(&pair.rejected));
    if !pictures.is_empty() && format != ChatFormat::Openai {
        v["images"] = json!(pictures);
    }
    v
}

/// The pair's keys in `format`.
fn record_shape(format: ChatFormat, prompt: Vec<Value>, chosen: Value, rejected: Value) -> Value {
    match format {
        ChatFormat::Trl => json!({"prompt": prompt, "chosen": chosen, "rejected": rejected}),
        ChatFormat::Openai => json!({
            "input": {"messages": prompt},
            "preferred_output": chosen,
            "non_preferred_output": rejected,
        }),
        ChatFormat::Sharegpt => {
            json!({"conversations": prompt, "chosen": chosen, "rejected": rejected})
        }
    }
}

/// The metadata line of a pair.
pub fn meta(pair: &Pair) -> Value {
    json!({
        "pair_id": pair.id(),
        "conversation_id": pair.conversation_id,
        "turn": pair.turn,
        "source": pair.source.key(),
        "kind": pair.kind.map(|k| k.key()),
        "margin": pair.margin,
        "chosen_item": pair.chosen_item,
        "rejected_item": pair.rejected_item,
    })
}

/// Export the preference pairs of the conversations of `sources` in every format of `formats` into
/// `dir/dpo/{format}_{split}.jsonl` and `dir/dpo/meta_{split}.jsonl` (each file whole or not at all).
pub fn export_dpo(
    config: &Config,
    sources: &Sources,
    dir: &Path,
    formats: &[ChatFormat],
    opts: &DpoOptions,
) -> Result<DpoReport> {
    let judge = if config
        .export
        .dpo
        .sources
        .contains(&crate::config::PairSource::Judge)
    {
        Judge::connect(config, &cache_of(sources))?
    } else {
        None
    };
    export_dpo_with(config, sources, dir, formats, opts, judge.as_ref())
}

/// The response cache of the run folder of `sources`.
fn cache_of(sources: &Sources) -> PathBuf {
    sources
        .conversations
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("cache.db")
}

/// [`export_dpo`] with the pairwise judge given (`None`: no judge pairs).
pub fn export_dpo_with(
    config: &Config,
    sources: &Sources,
    dir: &Path,
    formats: &[ChatFormat],
    opts: &DpoOptions,
    judge: Option<&Judge>,
) -> Result<DpoReport> {
    let catalog_path = sources.catalog.clone().ok_or_else(|| {
        Error::input(
            &sources.conversations,
            None,
            None,
            "preference pairs need the catalog (catalog.db beside the conversations)",
        )
    })?;
    let grounds = Grounds::load(config, sources, true)?;
    let Some(catalog) = grounds.memory.as_ref() else {
        return Err(Error::Run("the catalog did not load".into()));
    };
    let phrases = PhraseBank::load(config.prompts_dir.as_deref())?;
    let reason_labels =
        crate::profiles::tables::Tables::load(config.profiles.tables_dir.as_deref())?
            .reason_labels();
    let llm = if config.roles.system_agent.agent == AgentKind::Llm {
        LlmSetup::open(config, &cache_of(sources), None, &catalog_path, false)?
    } else {
        None
    };
    let sim = SimWorld {
        catalog,
        phrases: &phrases,
        config: &config.dialogue,
        reason_labels: &reason_labels,
        user_voice: None,
        system_voice: None,
        system_chain: None,
        config_deadline: None,
    };
    let llm_world = llm.as_ref().map(|l| SimWorld {
        system_voice: l.system.as_ref(),
        system_chain: l.chain.as_ref(),
        ..sim
    });
    let maker = PairMaker {
        sim: &sim,
        llm: llm_world.as_ref(),
        judge,
        cfg: &config.export.dpo,
    };
    let profiles = sources.profiles()?;
    let mut selection = Selection::new(sources, opts.rule.as_deref(), opts.dedup)?.counted("dpo");
    let mut stems: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    stems.push("meta");
    let mut out = SplitWriter::create_stems(dir, super::layout::DPO, &stems)?;
    let mut report = DpoReport::default();
    let threads = if llm.is_some() || judge.is_some() {
        config.limits.concurrency.get()
    } else {
        config.effective_threads()
    };
    let mut batch: Vec<Conversation> = Vec::new();
    let mut flush = |batch: &mut Vec<Conversation>, report: &mut DpoReport| -> Result<()> {
        let results = parallel::map_jobs(
            std::mem::take(batch),
            threads,
            || (),
            |_, c| {
                let made = maker.pairs(&c, profiles.get(&c.profile_id));
                (c.id, made)
            },
        );
        for (id, made) in results {
            let (pairs, counts) = made?;
            add_counts(&mut report.counts, &counts);
            let split = split_of(&id, config.export.split);
            for pair in &pairs {
                let system = if opts.item_cards {
                    let shown = pair
                        .prompt_items
                        .iter()
                        .chain(&pair.chosen_item)
                        .chain(&pair.rejected_item);
                    with_cards(opts.system.as_deref(), grounds.cards_of(shown)?)
                } else {
                    opts.system.clone()
                };
                for (i, &format) in formats.iter().enumerate() {
                    let (prompt, put, missing) = if opts.images {
                        super::sft::with_images(format, &pair.prompt, &grounds)
                    } else {
                        (pair.prompt.clone(), 0, 0)
                    };
                    if i == 0 {
                        report.images += put;
                        report.images_missing += missing;
                    }
                    let line = record(format, pair, &prompt, system.as_deref(), opts.images);
                    out.write(i, split, &line)?;
                }
                out.write(formats.len(), split, &meta(pair))?;
                *report.pairs.entry(split.to_string()).or_insert(0) += 1;
                *report
                    .by_source
                    .entry(pair.source.key().to_string())
                    .or_insert(0) += 1;
                if let Some(k) = pair.kind {
                    *report.by_kind.entry(k.key().to_string()).or_insert(0) += 1;
                }
            }
        }
        Ok(())
    };
    let chunk = threads * 64;
    sources.for_each_conversation(|c| {
        if selection.admit(&c) {
            report.conversations += 1;
            batch.push(c);
            if batch.len() >= chunk {
                flush(&mut batch, &mut report)?;
            }
        }
        Ok(())
    })?;
    flush(&mut batch, &mut report)?;
    report.selection = selection.report;
    report.files = out.commit()?;
    let mut usage: Option<UsageRow> = llm.as_ref().map(|l| l.manager.totals());
    if let Some(j) = judge {
        let t = j.totals();
        usage = Some(match usage {
            Some(mut u) => {
                u.add(&t);
                u
            }
            None => t,
        });
    }
    report.usage = usage;
    Ok(report)
}

fn add_counts(total: &mut PairCounts, c: &PairCounts) {
    total.recommendations += c.recommendations;
    total.unsound += c.unsound;
    total.no_negative += c.no_negative;
    total.judge_ties += c.judge_ties;
    total.no_llm_voice += c.no_llm_voice;
}
