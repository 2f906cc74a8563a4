//! SFT files: the recommender is the assistant, the simulated shopper the user. Each conversation becomes one
//! sample (or, with `per_turn`, one per assistant reply, holding the conversation up to it): the optional system
//! message (the prompt of `prompts/export/sft.toml`, and with `item_cards` the cards of the items the conversation
//! mentions), then the messages of [`super::chat::messages`] up to the assistant's last reply (a trailing shopper turn
//! has nothing to learn from). With `weights`, OpenAI's assistant messages carry a loss weight: 0 for a reply that
//! recommends an item breaking what the shopper had said (or one they had turned down), 1 otherwise; per turn, only
//! the last reply is learnt. With `images`, the shopper's messages carry the pictures they were shown. The split is
//! deterministic: a hash of the conversation id.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::chat::{self, ChatFormat, Message, Render};
use super::grounds::Grounds;
use super::select::{Selection, SelectionReport};
use super::writer::SplitWriter;
use crate::config::Config;
use crate::io::Sources;
use crate::model::Conversation;
use crate::{Error, Result};

/// How SFT samples are made.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SftOptions {
    /// The system prompt, when samples start with one.
    pub system: Option<String>,
    /// Add the cards of the items the conversation mentions to the system message.
    pub item_cards: bool,
    /// One sample per assistant reply instead of one per conversation.
    pub per_turn: bool,
    /// Loss weights on assistant messages (OpenAI's `weight`; the other formats have none).
    pub weights: bool,
    /// Image parts for the pictures the shopper was shown.
    pub images: bool,
    /// Only conversations whose review passes this rule.
    pub rule: Option<String>,
    /// Leave out conversations repeating an earlier one word for word.
    pub dedup: bool,
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SftReport {
    /// Samples per split (`train`, `validation`, `test`), the same in every format.
    pub samples: BTreeMap<String, usize>,
    /// Conversations exported.
    pub conversations: usize,
    /// Conversations left out (no shopper turn answered by the assistant).
    pub skipped: usize,
    /// What the selection left out.
    pub selection: SelectionReport,
    /// Assistant messages with loss weight 0 (OpenAI).
    pub zero_weight: usize,
    /// Pictures put in (counted once, in the first format).
    pub images: usize,
    /// Pictures left out because the file was not there.
    pub images_missing: usize,
    /// The files written.
    pub files: Vec<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    system: String,
}

/// The default system prompt (`prompts/export/sft.toml`, or `prompts_dir/export/sft.toml`).
pub fn system_prompt(prompts_dir: Option<&Path>) -> Result<String> {
    let user = prompts_dir.map(|d| d.join("export/sft.toml"));
    let parsed: PromptFile = crate::data::parse_override(
        user.as_deref(),
        include_str!("../../prompts/export/sft.toml"),
        "prompts/export/sft.toml",
    )?;
    Ok(crate::template::collapse_whitespace(&parsed.system))
}

/// The split of conversation `id` for shares `[train, validation, test]`.
pub fn split_of(id: &str, shares: [f64; 3]) -> &'static str {
    let x = (xxhash_rust::xxh3::xxh3_64(id.as_bytes()) % 1_000_000) as f64 / 1_000_000.0;
    let total: f64 = shares.iter().sum::<f64>().max(f64::MIN_POSITIVE);
    if x < shares[0] / total {
        "train"
    } else if x < (shares[0] + shares[1]) / total {
        "validation"
    } else {
        "test"
    }
}

/// The system message of `c`'s samples: the prompt, then the item cards.
pub fn system_message(
    c: &Conversation,
    system: Option<&str>,
    cards: Option<&Grounds>,
) -> Result<Option<String>> {
    let cards = match cards {
        Some(g) => g.cards(c)?,
        None => None,
    };
    Ok(with_cards(system, cards))
}

/// The system prompt followed by the item cards.
pub fn with_cards(system: Option<&str>, cards: Option<String>) -> Option<String> {
    match (system, cards) {
        (None, None) => None,
        (Some(s), None) => Some(s.to_string()),
        (s, Some(cards)) => Some(format!(
            "{}Catalog items you may recommend:\n{cards}",
            s.map(|s| format!("{s}\n\n")).unwrap_or_default()
        )),
    }
}

/// One sample of `messages` in `format`.
fn sample(format: ChatFormat, messages: &[Message], r: Render) -> Value {
    let (rendered, images) = chat::render(format, messages, r);
    let key = if format == ChatFormat::Sharegpt {
        "conversations"
    } else {
        "messages"
    };
    let mut v = json!({ key: rendered });
    if !images.is_empty() && format != ChatFormat::Openai {
        v["images"] = json!(images);
    }
    v
}

/// The messages of `c` to train on, weighted when asked; empty when nothing is left.
fn trainable(c: &Conversation, opts: &SftOptions, grounds: &Grounds) -> Vec<Message> {
    let mut msgs = chat::messages(&c.turns);
    while msgs.last().is_some_and(|m| !m.assistant) {
        msgs.pop();
    }
    if opts.weights && !opts.per_turn {
        let unsound: HashSet<usize> = grounds
            .memory
            .as_ref()
            .map(|cat| {
                crate::catalog::fit::sound_recommendations(c, cat)
                    .into_iter()
                    .filter(|(_, ok)| !ok)
                    .map(|(i, _)| i)
                    .collect()
            })
            .unwrap_or_default();
        let mut from = 0;
        for m in &mut msgs {
            if m.assistant {
                m.weight = Some(u8::from(!(from..=m.turn).any(|i| unsound.contains(&i))));
            }
            from = m.turn + 1;
        }
    }
    msgs
}

/// `msgs` with the pictures `format` can carry (and the count of those left out).
pub(crate) fn with_images(
    format: ChatFormat,
    msgs: &[Message],
    grounds: &Grounds,
) -> (Vec<Message>, usize, usize) {
    let (mut put, mut missing) = (0, 0);
    let out = msgs
        .iter()
        .map(|m| {
            let mut m = m.clone();
            let before = m.images.len();
            m.images = m
                .images
                .iter()
                .filter_map(|r| grounds.image(format, r))
                .collect();
            put += m.images.len();
            missing += before - m.images.len();
            m
        })
        .collect();
    (out, put, missing)
}

/// Export the conversations of `sources` in every format of `formats` into `dir/sft/{format}_{split}.jsonl`
/// (each file whole or not at all).
pub fn export_sft(
    config: &Config,
    sources: &Sources,
    dir: &Path,
    formats: &[ChatFormat],
    opts: &SftOptions,
) -> Result<SftReport> {
    let grounds = Grounds::load(config, sources, opts.weights)?;
    let mut selection = Selection::new(sources, opts.rule.as_deref(), opts.dedup)?.counted("sft");
    let mut out = SplitWriter::create(dir, super::layout::SFT, formats)?;
    let mut report = SftReport::default();
    let shares = config.export.split;
    sources.for_each_conversation(|c| {
        if !selection.admit(&c) {
            return Ok(());
        }
        let msgs = trainable(&c, opts, &grounds);
        if !msgs.iter().any(|m| m.assistant) {
            report.skipped += 1;
            return Ok(());
        }
        report.conversations += 1;
        let system = system_message(
            &c,
            opts.system.as_deref(),
            opts.item_cards.then_some(&grounds),
        )?;
        let split = split_of(&c.id, shares);
        let ends: Vec<usize> = if opts.per_turn {
            (0..msgs.len()).filter(|&k| msgs[k].assistant).collect()
        } else {
            vec![msgs.len() - 1]
        };
        for (fi, &format) in formats.iter().enumerate() {
            let (msgs, put, missing) = if opts.images {
                with_images(format, &msgs, &grounds)
            } else {
                (msgs.clone(), 0, 0)
            };
            if fi == 0 {
                report.images += put;
                report.images_missing += missing;
            }
            let r = Render {
                system: system.as_deref(),
                images: opts.images,
            };
            for &end in &ends {
                let mut part = msgs[..=end].to_vec();
                if opts.weights && opts.per_turn {
                    for (k, m) in part.iter_mut().enumerate() {
                        if m.assistant {
                            m.weight = Some(u8::from(k == end));
                        }
                    }
                }
                if fi == 0 {
                    report.zero_weight += part.iter().filter(|m| m.weight == Some(0)).count();
                    *report.samples.entry(split.to_string()).or_insert(0) += 1;
                }
                out.write(fi, split, &sample(format, &part, r))?;
            }
        }
        Ok(())
    })?;
    report.selection = selection.report;
    report.files = out.commit()?;
    Ok(report)
}

/// Refuse options no format of `formats` can carry.
pub fn check_options(formats: &[ChatFormat], opts: &SftOptions) -> Result<()> {
    if opts.weights && !formats.contains(&ChatFormat::Openai) {
        return Err(Error::Config(
            "--weights: only the OpenAI format has per-message loss weights (add --format openai)"
                .into(),
        ));
    }
    Ok(())
}
