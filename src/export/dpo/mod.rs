//! Preference pairs rendered (`musegen export dpo`): each pair of `pairs.jsonl` (made by the pairs stage), the whole
//! conversation before its turn as the prompt, in TRL's conversational preference shape
//! (`prompt`/`chosen`/`rejected`, all message lists), OpenAI's preference fine-tuning shape
//! (`input.messages`/`preferred_output`/`non_preferred_output`, assistant messages only) and ShareGPT's ranking shape
//! (`conversations` ending with the shopper, `chosen`/`rejected` turns), into `dpo/{format}_{split}.jsonl`, with
//! `dpo/meta_{split}.jsonl` describing each pair, line by line, in the same order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::chat::{self, ChatFormat, Render};
use super::grounds::Grounds;
use super::select::{Selection, SelectionReport};
use super::sft::{split_of, with_cards};
use super::writer::SplitWriter;
use crate::Result;
use crate::config::Config;
use crate::io::Sources;
use crate::model::Conversation;
use crate::model::UsageRow;
use crate::pairs::{Pair, PairCounts, PairsReader};

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

/// Render the preference pairs of `pairs` (`pairs.jsonl`, made from the conversations of `sources` under
/// `config`'s settings) of the conversations the selection takes, in every format of `formats`, into
/// `dir/dpo/{format}_{split}.jsonl` and `dir/dpo/meta_{split}.jsonl` (each file whole or not at all). Nothing is
/// played or asked: a pairs file that lacks a conversation, or was made under other settings, is an error.
pub fn export_dpo(
    config: &Config,
    sources: &Sources,
    pairs: &Path,
    dir: &Path,
    formats: &[ChatFormat],
    opts: &DpoOptions,
) -> Result<DpoReport> {
    let mut reader = PairsReader::open(pairs, &crate::pairs::settings_key(config)?)?;
    let grounds = Grounds::load(config, sources, false)?;
    let mut selection = Selection::new(sources, opts.rule.as_deref(), opts.dedup)?.counted("dpo");
    let mut stems: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    stems.push("meta");
    let mut out = SplitWriter::create_stems(dir, super::layout::DPO, &stems)?;
    let mut report = DpoReport::default();
    sources.for_each_conversation(|c| {
        let line = reader.next_for(&c)?;
        if !selection.admit(&c) {
            return Ok(());
        }
        report.conversations += 1;
        report.counts.add(&line.counts);
        let split = split_of(&c.id, config.export.split);
        for pair in &line.pairs {
            render(
                &c,
                pair,
                split,
                formats,
                opts,
                &grounds,
                &mut out,
                &mut report,
            )?;
        }
        Ok(())
    })?;
    report.selection = selection.report;
    report.files = out.commit()?;
    Ok(report)
}

/// Write `pair` of conversation `c` in every format and its metadata line.
#[allow(clippy::too_many_arguments)]
fn render(
    c: &Conversation,
    pair: &Pair,
    split: &str,
    formats: &[ChatFormat],
    opts: &DpoOptions,
    grounds: &Grounds,
    out: &mut SplitWriter,
    report: &mut DpoReport,
) -> Result<()> {
    let history = c.turns.get(..pair.turn).ok_or_else(|| {
        crate::Error::Run(format!(
            "pair {} points past the end of conversation {}",
            pair.id(),
            c.id
        ))
    })?;
    let prompt = chat::messages(history);
    let system = if opts.item_cards {
        let shown = history
            .iter()
            .flat_map(|t| t.items.iter())
            .chain(&pair.chosen_item)
            .chain(&pair.rejected_item);
        with_cards(opts.system.as_deref(), grounds.cards_of(c, shown)?)
    } else {
        opts.system.clone()
    };
    for (i, &format) in formats.iter().enumerate() {
        let (prompt, put, missing) = if opts.images {
            super::sft::with_images(format, &prompt, grounds)
        } else {
            (prompt.clone(), 0, 0)
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
    Ok(())
}
