//! What the fake server answers: completions from the request (JSON-schema answers filled in, varied text from the
//! request's hash), the same as event streams (OpenAI chunks, Anthropic events), and the check of image parts.

use bytes::Bytes;
use std::time::Duration;

use http_body_util::{Either, Full};
use hyper::{Response, StatusCode};
use serde_json::{Value, json};

use crate::rng::Rng;

/// A body sent whole, or event by event (a stream that pauses).
pub(super) type Body = Either<Full<Bytes>, http_body_util::channel::Channel<Bytes>>;

/// What a request gets: a response, or an I/O error that drops the connection.
pub(super) type Answer = Result<Response<Body>, std::io::Error>;

/// Whether `model` names one of OpenAI's reasoning models (o-series, gpt-5 family), which refuse `max_tokens`.
pub(super) fn is_reasoning_model(model: &Value) -> bool {
    let name = model.as_str().unwrap_or("");
    let name = name.rsplit('/').next().unwrap_or(name);
    let mut chars = name.chars();
    name.starts_with("gpt-5")
        || (chars.next() == Some('o') && chars.next().is_some_and(|c| c.is_ascii_digit()))
}

/// A `text/event-stream` answer of `events`: all at once, or with a pause of `gap` after the first half (sent by
/// a task, so the client sees the first events while the rest are still to come).
pub(super) fn event_stream(events: Vec<String>, gap: Duration) -> Answer {
    let builder = Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "text/event-stream");
    if gap.is_zero() {
        return builder
            .body(Either::Left(Full::new(Bytes::from(events.concat()))))
            .map_err(std::io::Error::other);
    }
    let (mut tx, body) = http_body_util::channel::Channel::new(events.len().max(1));
    let half = events.len() / 2;
    tokio::spawn(async move {
        for (i, event) in events.into_iter().enumerate() {
            if i == half {
                tokio::time::sleep(gap).await;
            }
            if tx.send_data(Bytes::from(event)).await.is_err() {
                return;
            }
        }
    });
    builder
        .body(Either::Right(body))
        .map_err(std::io::Error::other)
}

/// The pieces a streamed text arrives in: words, a few at a time.
pub(super) fn pieces(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(' ').collect();
    words.chunks(3).map(|c| c.concat()).collect()
}

/// A completion as OpenAI streams it: a role chunk, content chunks, a finish chunk, a usage chunk, `[DONE]`.
pub(super) fn openai_events(completion: &Value) -> Vec<String> {
    let choice = &completion["choices"][0];
    let mut chunks = vec![
        json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]}),
    ];
    for piece in pieces(choice["message"]["content"].as_str().unwrap_or("")) {
        chunks.push(
            json!({"choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": null}]}),
        );
    }
    chunks.push(
        json!({"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]}),
    );
    chunks.push(json!({"choices": [], "usage": completion["usage"]}));
    let mut out = Vec::new();
    for mut c in chunks {
        c["id"] = completion["id"].clone();
        c["object"] = json!("chat.completion.chunk");
        out.push(format!("data: {c}\n\n"));
    }
    out.push("data: [DONE]\n\n".into());
    out
}

/// The usage `message_start` carries: the input and cache counts, and one output token so far.
fn start_usage(usage: &Value) -> Value {
    let mut start = usage.clone();
    start["output_tokens"] = json!(1);
    start
}

/// A message as Anthropic streams it: `message_start`, a text block in deltas, `message_delta`, `message_stop`.
pub(super) fn anthropic_events(message: &Value) -> Vec<String> {
    let text = message["content"][0]["text"].as_str().unwrap_or("");
    let mut events = vec![
        json!({"type": "message_start", "message": {"id": message["id"], "type": "message", "role": "assistant", "content": [], "model": message["model"], "usage": start_usage(&message["usage"])}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
    ];
    for piece in pieces(text) {
        events.push(json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}}));
    }
    events.push(json!({"type": "content_block_stop", "index": 0}));
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": message["stop_reason"]}, "usage": {"output_tokens": message["usage"]["output_tokens"]}}));
    events.push(json!({"type": "message_stop"}));
    events
        .iter()
        .map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap_or("")))
        .collect()
}

/// The image content parts of a request, checked as the real APIs check them: OpenAI's `image_url` parts need an
/// `http(s):` or `data:image/…;base64,` URL; Anthropic's `image` blocks a base64 or URL source, and only in user turns.
pub(super) fn count_images(request: &Value, anthropic: bool) -> Result<u64, String> {
    let mut n = 0;
    for message in request["messages"].as_array().into_iter().flatten() {
        let Some(parts) = message["content"].as_array() else {
            continue;
        };
        for part in parts {
            match (part["type"].as_str(), anthropic) {
                (Some("text"), _) => {}
                (Some("image_url"), false) => {
                    let url = part["image_url"]["url"].as_str().unwrap_or("");
                    let data = url
                        .strip_prefix("data:image/")
                        .is_some_and(|rest| rest.contains(";base64,"));
                    if !(data || url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(format!("invalid image_url: {:.40}", url));
                    }
                    if message["role"] != "user" {
                        return Err("image content parts are only allowed in user messages".into());
                    }
                    n += 1;
                }
                (Some("image"), true) => {
                    let source = &part["source"];
                    let ok = match source["type"].as_str() {
                        Some("base64") => {
                            source["media_type"]
                                .as_str()
                                .is_some_and(|m| m.starts_with("image/"))
                                && source["data"].as_str().is_some_and(|d| !d.is_empty())
                        }
                        Some("url") => source["url"]
                            .as_str()
                            .is_some_and(|u| u.starts_with("http")),
                        _ => false,
                    };
                    if !ok || message["role"] != "user" {
                        return Err("invalid image block".into());
                    }
                    n += 1;
                }
                (kind, _) => return Err(format!("unknown content part type {kind:?}")),
            }
        }
    }
    Ok(n)
}

/// A deterministic answer: a JSON object following the requested schema (given as a response format, or as a
/// schema line in the system prompt — then wrapped in prose and a code fence, as models do), else a short text.
pub(super) fn content_for(request: &Value, hash: u64, false_share: f64) -> String {
    let schema = &request["response_format"]["json_schema"]["schema"];
    if schema.is_object() {
        return fill_schema(schema, hash, false_share).to_string();
    }
    let system = request["system"].as_str().map(str::to_string).or_else(|| {
        request["messages"]
            .as_array()
            .and_then(|m| m.iter().find(|x| x["role"] == "system"))
            .and_then(|x| x["content"].as_str().map(str::to_string))
    });
    if let Some(schema) = system.as_deref().and_then(schema_in_text) {
        return format!(
            "Here you go:\n```json\n{}\n```",
            fill_schema(&schema, hash, false_share)
        );
    }
    let last = request["messages"]
        .as_array()
        .and_then(|m| m.last())
        .and_then(|m| m["content"].as_str())
        .unwrap_or("");
    let gist: String = last.chars().take(40).collect();
    format!("Fake answer {hash:08x} to: {gist}")
}

/// The first JSON object in `text` that looks like a JSON Schema (`"type": "object"`).
pub(super) fn schema_in_text(text: &str) -> Option<Value> {
    text.match_indices('{').find_map(|(i, _)| {
        let mut values = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
        match values.next() {
            Some(Ok(v)) if v["type"] == "object" => Some(v),
            _ => None,
        }
    })
}

/// Words the fake strings are made of, so that answers to different requests differ as real ones do.
const WORDS: &[&str] = &[
    "autumn",
    "bright",
    "city",
    "dinner",
    "evening",
    "friend",
    "garden",
    "holiday",
    "island",
    "journey",
    "kitchen",
    "lake",
    "morning",
    "new",
    "office",
    "park",
    "quiet",
    "rain",
    "summer",
    "train",
    "urban",
    "visit",
    "weekend",
    "yard",
    "zest",
    "birthday",
    "concert",
    "dance",
    "exam",
    "festival",
    "gallery",
    "hike",
    "interview",
    "jog",
    "keynote",
    "launch",
    "market",
    "nephew",
    "opening",
    "picnic",
    "reunion",
    "school",
    "trip",
    "uncle",
    "voyage",
    "wedding",
    "brunch",
    "cousin",
    "deadline",
    "promotion",
    "retreat",
    "season",
    "team",
    "match",
    "stage",
];

/// A string for a schema property: `Fake <description>:` and a dozen words drawn from the request's hash.
pub(super) fn fake_text(description: &str, hash: u64) -> String {
    let mut rng = Rng::from_u64(hash);
    let words: Vec<&str> = (0..12).map(|_| WORDS[rng.below(WORDS.len())]).collect();
    format!("Fake {description}: {}.", words.join(" "))
}

pub(super) fn fill_schema(schema: &Value, hash: u64, false_share: f64) -> Value {
    match schema["type"].as_str() {
        Some("object") => {
            let mut out = serde_json::Map::new();
            if let Some(props) = schema["properties"].as_object() {
                for (i, (k, v)) in props.iter().enumerate() {
                    out.insert(
                        k.clone(),
                        fill_schema(v, hash ^ (i as u64 + 1), false_share),
                    );
                }
            }
            Value::Object(out)
        }
        Some("array") => json!([fill_schema(&schema["items"], hash, false_share)]),
        Some("integer") => json!(1),
        Some("number") => json!(1.0),
        Some("boolean") => json!(Rng::from_u64(hash).unit() >= false_share),
        _ => match (
            schema["enum"].as_array().and_then(|e| e.first()),
            schema["description"].as_str(),
        ) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => json!(fake_text(d, hash)),
            (None, None) => json!("x"),
        },
    }
}
