//! The messages of a training sample and their three JSON shapes. A conversation's turns become alternating
//! messages from the shopper's first turn on (the assistant's opening greeting comes before anything to answer, and
//! chat templates and ShareGPT readers want the user first), consecutive turns of one speaker joined. The pictures
//! of a recommended item go with the shopper's next message (the one that answers what they saw), since chat
//! formats only take images from the user side.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::model::{Role, Turn};

/// The file shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ChatFormat {
    /// TRL conversational: `role`/`content` messages (`messages`, or `prompt`/`chosen`/`rejected`).
    Trl,
    /// OpenAI fine-tuning: chat `messages`, or `input`/`preferred_output`/`non_preferred_output`.
    Openai,
    /// ShareGPT: `from`/`value` turns (`conversations`, plus `chosen`/`rejected` for pairs), as LLaMA-Factory and
    /// Axolotl read them.
    Sharegpt,
}

impl ChatFormat {
    /// Every format.
    pub const ALL: [ChatFormat; 3] = [ChatFormat::Trl, ChatFormat::Openai, ChatFormat::Sharegpt];

    /// The name in file names.
    pub fn name(self) -> &'static str {
        match self {
            ChatFormat::Trl => "trl",
            ChatFormat::Openai => "openai",
            ChatFormat::Sharegpt => "sharegpt",
        }
    }
}

/// One message of a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The recommender's (the assistant's); otherwise the shopper's.
    pub assistant: bool,
    /// The text.
    pub text: String,
    /// Index of the last conversation turn joined into it.
    pub turn: usize,
    /// Image references the shopper had just been shown (user messages only).
    pub images: Vec<String>,
    /// Loss weight where the format has one (OpenAI: 0 or 1 on assistant messages); `None` leaves it out.
    pub weight: Option<u8>,
}

/// The messages of `turns`: from the first shopper turn on, consecutive turns of one speaker joined, each
/// recommendation's pictures on the shopper's next message.
pub fn messages(turns: &[Turn]) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, t) in turns.iter().enumerate() {
        let text = t.text.trim();
        let assistant = t.role == Role::System;
        if assistant {
            seen.extend(t.images.iter().cloned());
        }
        if text.is_empty() || (out.is_empty() && assistant) {
            continue;
        }
        match out.last_mut() {
            Some(m) if m.assistant == assistant => {
                m.text.push('\n');
                m.text.push_str(text);
                m.turn = i;
            }
            _ => out.push(Message {
                assistant,
                text: text.to_string(),
                turn: i,
                images: Vec::new(),
                weight: None,
            }),
        }
        if !assistant && let Some(m) = out.last_mut() {
            m.images.append(&mut seen);
        }
    }
    out
}

/// How a sample renders its messages.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Render<'a> {
    /// The system message (prompt and item cards), when any.
    pub system: Option<&'a str>,
    /// Put the shopper's pictures in as image parts.
    pub images: bool,
}

/// `messages` in `format`'s message shape, the system message first when there is one. With images, every TRL and
/// OpenAI message's content is a list of parts (one column type for the whole file, as Arrow readers need, and
/// TRL's vision path wants): the text, then the pictures of a user message (OpenAI: `image_url` parts; TRL: `image`
/// parts, the references going to the sample's `images`). ShareGPT puts an `<image>` placeholder per picture in
/// the text and the references in `images`. Returns the messages and the sample's image list.
pub fn render(format: ChatFormat, messages: &[Message], r: Render) -> (Vec<Value>, Vec<String>) {
    let mut out = Vec::with_capacity(messages.len() + 1);
    let mut images: Vec<String> = Vec::new();
    let parts = r.images && format != ChatFormat::Sharegpt;
    let content = |text: &str, pictures: &[String]| -> Value {
        if !parts {
            return Value::from(text);
        }
        let mut list = vec![json!({"type": "text", "text": text})];
        list.extend(pictures.iter().map(|p| match format {
            ChatFormat::Openai => json!({"type": "image_url", "image_url": {"url": p}}),
            _ => json!({"type": "image"}),
        }));
        Value::Array(list)
    };
    if let Some(system) = r.system {
        out.push(match format {
            ChatFormat::Sharegpt => json!({"from": "system", "value": system}),
            _ => json!({"role": "system", "content": content(system, &[])}),
        });
    }
    for m in messages {
        let pictures: &[String] = if r.images && !m.assistant {
            &m.images
        } else {
            &[]
        };
        out.push(match format {
            ChatFormat::Sharegpt => {
                let mut value = "<image>".repeat(pictures.len());
                value.push_str(&m.text);
                json!({"from": if m.assistant { "gpt" } else { "human" }, "value": value})
            }
            _ => {
                let role = if m.assistant { "assistant" } else { "user" };
                let mut v = json!({"role": role, "content": content(&m.text, pictures)});
                if format == ChatFormat::Openai
                    && m.assistant
                    && let Some(w) = m.weight
                {
                    v["weight"] = json!(w);
                }
                v
            }
        });
        images.extend(pictures.iter().cloned());
    }
    (out, images)
}
