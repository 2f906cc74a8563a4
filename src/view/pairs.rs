//! The preference pairs the viewer shows side by side: `pairs.jsonl` when the run folder has one, else the DPO
//! export's `dpo/meta_{split}.jsonl` with the replies of `dpo/trl_{split}.jsonl` (line by line, in the same order).

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::io::read_jsonl_lines;
use crate::{Error, Result};

/// The pairs file some runs hold (one pair per line, with its texts).
pub const PAIRS_FILE: &str = "pairs.jsonl";

/// The DPO export's splits, in the order they are read.
const SPLITS: [&str; 3] = ["train", "validation", "test"];

/// One pair as the viewer reads it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairRecord {
    /// The conversation the pair was cut from.
    pub conversation_id: Option<String>,
    /// The turn the replies stand in for (the context is the conversation before it).
    pub turn: Option<u64>,
    /// What kind of pair (`over_budget`, `judge` …).
    pub kind: String,
    /// Where it came from (`sim`, `hard_negative`, `judge`).
    pub source: String,
    /// The split it was written to, when known.
    pub split: Option<String>,
    /// The chosen reply.
    pub chosen: String,
    /// The rejected reply.
    pub rejected: String,
    /// The chosen reply's item.
    pub chosen_item: Option<String>,
    /// The rejected reply's item.
    pub rejected_item: Option<String>,
    /// Everything else the record says.
    pub meta: Value,
}

/// Where a run folder's pairs are.
#[derive(Debug, Clone, PartialEq)]
pub enum PairSource {
    /// `pairs.jsonl`.
    Pairs(PathBuf),
    /// The DPO export: (split, meta file, TRL file) for each split present.
    Dpo(Vec<(String, PathBuf, PathBuf)>),
    /// None.
    Nothing,
}

impl PairSource {
    /// Find the pairs of the run folder `dir`: the DPO export when there is one (it holds each pair's context and
    /// split), else `pairs.jsonl`.
    pub fn find(dir: &Path) -> PairSource {
        let pairs = dir.join(PAIRS_FILE);
        let splits: Vec<_> = SPLITS
            .iter()
            .map(|s| {
                (
                    s.to_string(),
                    dir.join("dpo").join(format!("meta_{s}.jsonl")),
                    dir.join("dpo").join(format!("trl_{s}.jsonl")),
                )
            })
            .filter(|(_, meta, trl)| meta.is_file() && trl.is_file())
            .collect();
        if !splits.is_empty() {
            PairSource::Dpo(splits)
        } else if pairs.is_file() {
            PairSource::Pairs(pairs)
        } else {
            PairSource::Nothing
        }
    }

    /// Call `f` with every pair, in file order.
    pub fn for_each(&self, mut f: impl FnMut(PairRecord) -> Result<()>) -> Result<()> {
        match self {
            PairSource::Nothing => Ok(()),
            // One line per conversation, its pairs in a list (a line that is itself a pair is read as one).
            PairSource::Pairs(path) => read_jsonl_lines(path, |line, text| {
                let v = parse(path, line, text)?;
                match v.get("pairs") {
                    Some(Value::Array(pairs)) => {
                        for pair in pairs {
                            f(from_pairs_line(pair.clone()))?;
                        }
                        Ok(())
                    }
                    _ => f(from_pairs_line(v)),
                }
            }),
            PairSource::Dpo(splits) => {
                for (split, meta, trl) in splits {
                    let mut metas = Vec::new();
                    read_jsonl_lines(meta, |line, text| {
                        metas.push(parse(meta, line, text)?);
                        Ok(())
                    })?;
                    let mut n = 0usize;
                    read_jsonl_lines(trl, |line, text| {
                        let v = parse(trl, line, text)?;
                        let m = metas.get(n).cloned().ok_or_else(|| {
                            Error::input(
                                trl,
                                Some(line),
                                None,
                                format!("more pairs than {} describes", meta.display()),
                            )
                        })?;
                        n += 1;
                        f(from_dpo(split, m, &v))
                    })?;
                }
                Ok(())
            }
        }
    }
}

fn parse(path: &Path, line: usize, text: &str) -> Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| Error::input(path, Some(line), None, format!("not a JSON record: {e}")))
}

fn string(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The text of a reply: a string, an object with `text` or `content`, or a list of messages (the last one's).
fn reply_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(messages)) => reply_text(messages.last()),
        Some(Value::Object(o)) => reply_text(o.get("text").or_else(|| o.get("content"))),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}

fn from_dpo(split: &str, meta: Value, trl: &Value) -> PairRecord {
    PairRecord {
        conversation_id: string(&meta, "conversation_id"),
        turn: meta.get("turn").and_then(Value::as_u64),
        kind: string(&meta, "kind").unwrap_or_default(),
        source: string(&meta, "source").unwrap_or_default(),
        split: Some(split.to_string()),
        chosen: reply_text(trl.get("chosen")),
        rejected: reply_text(trl.get("rejected")),
        chosen_item: string(&meta, "chosen_item"),
        rejected_item: string(&meta, "rejected_item"),
        meta,
    }
}

fn from_pairs_line(v: Value) -> PairRecord {
    let mut meta = v.clone();
    if let Value::Object(o) = &mut meta {
        for key in ["chosen", "rejected", "prompt", "context"] {
            o.remove(key);
        }
    }
    PairRecord {
        conversation_id: string(&v, "conversation_id").or_else(|| string(&v, "conversation")),
        turn: v.get("turn").and_then(Value::as_u64),
        kind: string(&v, "kind").unwrap_or_default(),
        source: string(&v, "source").unwrap_or_default(),
        split: string(&v, "split"),
        chosen: reply_text(v.get("chosen")),
        rejected: reply_text(v.get("rejected")),
        chosen_item: string(&v, "chosen_item"),
        rejected_item: string(&v, "rejected_item"),
        meta,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replies_are_read_from_every_shape() {
        assert_eq!(reply_text(Some(&json!("a"))), "a");
        assert_eq!(
            reply_text(Some(
                &json!([{"role": "assistant", "content": "x"}, {"role": "assistant", "content": "b"}])
            )),
            "b"
        );
        assert_eq!(reply_text(Some(&json!({"text": "c"}))), "c");
        let p = from_pairs_line(json!({"conversation_id": "c1", "turn": 4, "kind": "judge",
            "source": "judge", "chosen": {"text": "yes"}, "rejected": "no", "margin": 0.5}));
        assert_eq!(p.conversation_id.as_deref(), Some("c1"));
        assert_eq!((p.chosen.as_str(), p.rejected.as_str()), ("yes", "no"));
        assert_eq!(
            p.meta,
            json!({"conversation_id": "c1", "turn": 4, "kind": "judge",
            "source": "judge", "margin": 0.5})
        );
    }

    #[test]
    fn dpo_files_are_read_line_by_line_together() {
        let dir = tempfile::tempdir().unwrap();
        let dpo = dir.path().join("dpo");
        std::fs::create_dir_all(&dpo).unwrap();
        std::fs::write(
            dpo.join("meta_train.jsonl"),
            "{\"conversation_id\":\"c0\",\"turn\":6,\"kind\":\"over_budget\",\"source\":\"sim\"}\n",
        )
        .unwrap();
        std::fs::write(
            dpo.join("trl_train.jsonl"),
            "{\"prompt\":[],\"chosen\":[{\"role\":\"assistant\",\"content\":\"good\"}],\"rejected\":[{\"role\":\"assistant\",\"content\":\"bad\"}]}\n",
        )
        .unwrap();
        let source = PairSource::find(dir.path());
        let mut got = Vec::new();
        source
            .for_each(|p| {
                got.push(p);
                Ok(())
            })
            .unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].chosen, "good");
        assert_eq!(got[0].rejected, "bad");
        assert_eq!(got[0].split.as_deref(), Some("train"));
        assert_eq!(got[0].turn, Some(6));
    }
}
