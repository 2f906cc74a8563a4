//! SFT files: the recommender is the assistant, the simulated shopper the user. Each conversation becomes one
//! sample: the optional system prompt (`prompts/export/sft.toml`), then the turns from the shopper's first message
//! on (the assistant's opening greeting comes before anything to answer, and chat templates and ShareGPT readers
//! want the user first), ending with the assistant's last reply (a trailing shopper turn has nothing to learn
//! from). Consecutive turns of one speaker are joined. The split is deterministic: a hash of the id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::layout;
use super::source::for_each_conversation;
use crate::io::{AtomicFile, JsonlWriter};
use crate::model::{Conversation, Role};
use crate::{Error, Result};

/// The SFT file shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SftFormat {
    /// TRL conversational: `{"messages": [{"role", "content"}]}`.
    Trl,
    /// OpenAI chat fine-tuning: `{"messages": [...]}`, non-empty string contents, at least one assistant message.
    Openai,
    /// ShareGPT: `{"conversations": [{"from": "system"|"human"|"gpt", "value"}]}`, strictly alternating.
    Sharegpt,
}

impl SftFormat {
    fn name(self) -> &'static str {
        match self {
            SftFormat::Trl => "trl",
            SftFormat::Openai => "openai",
            SftFormat::Sharegpt => "sharegpt",
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SftReport {
    /// Samples per split (`train`, `validation`, `test`).
    pub samples: BTreeMap<String, usize>,
    /// Conversations left out (no shopper turn answered by the assistant).
    pub skipped: usize,
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

/// The turns to train on: (is the assistant, text), from the first shopper turn to the last assistant turn,
/// consecutive turns of one speaker joined.
fn dialogue(c: &Conversation) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for t in &c.turns {
        let text = t.text.trim();
        if text.is_empty() {
            continue;
        }
        let assistant = t.role == Role::System;
        if out.is_empty() && assistant {
            continue;
        }
        match out.last_mut() {
            Some((a, prev)) if *a == assistant => {
                prev.push('\n');
                prev.push_str(text);
            }
            _ => out.push((assistant, text.to_string())),
        }
    }
    while out.last().is_some_and(|(a, _)| !a) {
        out.pop();
    }
    out
}

/// One sample in `format`, or `None` when nothing is left to train on.
pub fn sample(c: &Conversation, format: SftFormat, system: Option<&str>) -> Option<Value> {
    let turns = dialogue(c);
    if turns.is_empty() {
        return None;
    }
    Some(match format {
        SftFormat::Trl | SftFormat::Openai => {
            let mut messages: Vec<Value> = system
                .map(|s| json!({"role": "system", "content": s}))
                .into_iter()
                .collect();
            messages.extend(turns.iter().map(
                |(a, text)| json!({"role": if *a { "assistant" } else { "user" }, "content": text}),
            ));
            json!({ "messages": messages })
        }
        SftFormat::Sharegpt => {
            let mut conversations: Vec<Value> = system
                .map(|s| json!({"from": "system", "value": s}))
                .into_iter()
                .collect();
            conversations.extend(
                turns.iter().map(
                    |(a, text)| json!({"from": if *a { "gpt" } else { "human" }, "value": text}),
                ),
            );
            json!({ "conversations": conversations })
        }
    })
}

/// Export every conversation of `input` as `format` into `dir/sft/{format}_{split}.jsonl` (each file whole or not
/// at all), with `system` as the system prompt when given.
pub fn export_sft(
    input: &Path,
    dir: &Path,
    format: SftFormat,
    system: Option<&str>,
    shares: [f64; 3],
) -> Result<SftReport> {
    let splits = layout::SPLITS;
    let paths: Vec<PathBuf> = splits
        .iter()
        .map(|s| layout::split_file(dir, layout::SFT, format.name(), s))
        .collect();
    let folder = dir.join(layout::SFT);
    std::fs::create_dir_all(&folder).map_err(|e| Error::write(&folder, e))?;
    let mut files = paths
        .iter()
        .map(|p| AtomicFile::create(p))
        .collect::<Result<Vec<_>>>()?;
    let mut report = SftReport::default();
    {
        let mut writers: Vec<JsonlWriter<&mut AtomicFile>> = files
            .iter_mut()
            .zip(&paths)
            .map(|(f, p)| JsonlWriter::new(f, p))
            .collect();
        for_each_conversation(input, |c| {
            let Some(s) = sample(&c, format, system) else {
                report.skipped += 1;
                return Ok(());
            };
            let split = split_of(&c.id, shares);
            let i = splits.iter().position(|x| *x == split).unwrap_or(0);
            writers[i].write(&s)?;
            *report.samples.entry(split.to_string()).or_insert(0) += 1;
            Ok(())
        })?;
    }
    for f in files {
        f.commit()?;
    }
    report.files = paths;
    Ok(report)
}
