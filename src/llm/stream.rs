//! Streamed answers (`stream: true`): a server-sent-event parser fed bytes as they arrive (lines ended by CRLF, LF
//! or CR, comments, `event:` names, multi-line `data:` fields joined with newlines, as the SSE spec says), and
//! folds that turn OpenAI chunks or Anthropic events into the shape of the same answer unstreamed, so both clients
//! read one shape. Error events (OpenAI's `data: {"error": …}`, Anthropic's `event: error`) become the typed error
//! of the same failure unstreamed. A stream that ends before its last event (no `[DONE]` for OpenAI, no
//! `message_stop` for Anthropic) is malformed, and so retried like a truncated body.
//!
//! Hand-written: the SSE crates on crates.io either own the HTTP request themselves (which would hide the status,
//! headers and retry classification the manager needs) or pull in a futures stack for what is a 60-line parser.

use serde_json::{Value, json};

use super::LlmError;

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` name (empty when the server named none: the default `message`).
    pub name: String,
    /// The `data:` lines, joined with newlines.
    pub data: String,
}

/// An incremental server-sent-event parser.
#[derive(Debug, Default)]
pub struct EventParser {
    pending: Vec<u8>,
    name: String,
    data: Vec<String>,
}

impl EventParser {
    /// Take in the next bytes of the body; the events they complete come back in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<Event>, LlmError> {
        self.pending.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < self.pending.len() {
            match self.pending[i] {
                b'\n' => {
                    self.line(start, i, &mut events)?;
                    start = i + 1;
                }
                b'\r' => {
                    // A CR at the end of what arrived may be the first half of a CRLF: wait for the next byte.
                    if i + 1 == self.pending.len() {
                        break;
                    }
                    self.line(start, i, &mut events)?;
                    if self.pending[i + 1] == b'\n' {
                        i += 1;
                    }
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        self.pending.drain(..start);
        Ok(events)
    }

    fn line(&mut self, from: usize, to: usize, events: &mut Vec<Event>) -> Result<(), LlmError> {
        // Line ends are ASCII, so a line never splits a UTF-8 character.
        let line = std::str::from_utf8(&self.pending[from..to])
            .map_err(|e| LlmError::Malformed(format!("event stream is not UTF-8: {e}")))?;
        if line.is_empty() {
            if !self.data.is_empty() {
                events.push(Event {
                    name: std::mem::take(&mut self.name),
                    data: self.data.join("\n"),
                });
                self.data.clear();
            }
            self.name.clear();
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => self.data.push(value.to_string()),
            "event" => self.name = value.to_string(),
            // Comments (an empty field name), `id`, `retry` and unknown fields carry nothing an answer needs.
            _ => {}
        }
        Ok(())
    }
}

fn parse(data: &str) -> Result<Value, LlmError> {
    serde_json::from_str(data).map_err(|e| LlmError::Malformed(format!("stream event: {e}")))
}

/// The typed error of an error object sent inside a stream, by its `type` or `code` as the status the same
/// failure has unstreamed: a rate limit is a 429, an overload a 529, a bad request a 400 (so it stops the run, as
/// unstreamed), anything else a retryable 500.
pub fn stream_error(error: &Value) -> LlmError {
    let kind = error["type"].as_str().unwrap_or("");
    let code = error["code"].as_str().unwrap_or("");
    let numeric = error["code"]
        .as_u64()
        .and_then(|c| u16::try_from(c).ok())
        .filter(|c| (400..600).contains(c));
    let insufficient_quota = kind == "insufficient_quota" || code == "insufficient_quota";
    let status = numeric.unwrap_or(match (kind, code) {
        _ if insufficient_quota => 429,
        ("rate_limit_error" | "rate_limit_exceeded" | "requests" | "tokens", _)
        | (_, "rate_limit_exceeded") => 429,
        ("overloaded_error", _) => 529,
        ("invalid_request_error", _) => 400,
        ("authentication_error", _) => 401,
        ("permission_error", _) => 403,
        ("not_found_error", _) => 404,
        ("request_too_large", _) => 413,
        _ => 500,
    });
    LlmError::Status {
        status,
        message: format!(
            "stream error: {}",
            error["message"].as_str().unwrap_or("(no message)")
        ),
        hints: super::RateHints::default(),
        insufficient_quota,
    }
}

/// What one event meant to a fold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    /// The event carried answer text (the first such event is the time to first token).
    pub content: bool,
    /// The stream's last event: stop reading.
    pub done: bool,
}

/// Folds the events of one API's stream into the unstreamed answer's body.
pub trait Fold {
    /// Take in one event.
    fn take(&mut self, event: &Event) -> Result<Step, LlmError>;
    /// The answer's body, once the last event came; malformed when it never did.
    fn finish(self) -> Result<Value, LlmError>;
}

/// The fold of an OpenAI chat-completions stream (`chat.completion.chunk` events, then `[DONE]`).
#[derive(Debug, Default)]
pub struct OpenAiFold {
    content: String,
    finish: Value,
    usage: Value,
    done: bool,
}

impl Fold for OpenAiFold {
    fn take(&mut self, event: &Event) -> Result<Step, LlmError> {
        if event.data.trim() == "[DONE]" {
            self.done = true;
            return Ok(Step {
                content: false,
                done: true,
            });
        }
        let chunk = parse(&event.data)?;
        if chunk["error"].is_object() {
            return Err(stream_error(&chunk["error"]));
        }
        let mut content = false;
        if let Some(choice) = chunk["choices"].get(0) {
            if let Some(piece) = choice["delta"]["content"].as_str() {
                content = !piece.is_empty();
                self.content.push_str(piece);
            }
            if !choice["finish_reason"].is_null() {
                self.finish = choice["finish_reason"].clone();
            }
        }
        if chunk["usage"].is_object() {
            self.usage = chunk["usage"].clone();
        }
        Ok(Step {
            content,
            done: false,
        })
    }

    fn finish(self) -> Result<Value, LlmError> {
        if !self.done {
            return Err(LlmError::Malformed("the stream ended before [DONE]".into()));
        }
        Ok(json!({
            "choices": [{"message": {"role": "assistant", "content": self.content}, "finish_reason": self.finish}],
            "usage": self.usage,
        }))
    }
}

/// The fold of an Anthropic Messages stream (`message_start` … `message_stop`).
#[derive(Debug, Default)]
pub struct AnthropicFold {
    text: String,
    stop: Value,
    usage: serde_json::Map<String, Value>,
    done: bool,
}

impl Fold for AnthropicFold {
    fn take(&mut self, event: &Event) -> Result<Step, LlmError> {
        let value = parse(&event.data)?;
        let kind = value["type"].as_str().unwrap_or(event.name.as_str());
        let mut step = Step::default();
        match kind {
            "message_start" => {
                // Input and cache counts come here; `message_delta` updates the output (and, on newer API
                // versions, the rest) with cumulative counts.
                if let Some(u) = value["message"]["usage"].as_object() {
                    self.usage.extend(u.clone());
                }
            }
            "content_block_delta" => {
                if let Some(piece) = value["delta"]["text"].as_str() {
                    step.content = !piece.is_empty();
                    self.text.push_str(piece);
                }
            }
            "message_delta" => {
                if !value["delta"]["stop_reason"].is_null() {
                    self.stop = value["delta"]["stop_reason"].clone();
                }
                if let Some(u) = value["usage"].as_object() {
                    self.usage.extend(
                        u.iter()
                            .filter(|(_, v)| !v.is_null())
                            .map(|(k, v)| (k.clone(), v.clone())),
                    );
                }
            }
            "message_stop" => {
                self.done = true;
                step.done = true;
            }
            "error" => return Err(stream_error(&value["error"])),
            _ => {}
        }
        Ok(step)
    }

    fn finish(self) -> Result<Value, LlmError> {
        if !self.done {
            return Err(LlmError::Malformed(
                "the stream ended before message_stop".into(),
            ));
        }
        Ok(json!({
            "content": [{"type": "text", "text": self.text}],
            "stop_reason": self.stop,
            "usage": self.usage,
        }))
    }
}

/// Fold a whole event-stream body with `fold`.
pub fn fold_body(body: &[u8], mut fold: impl Fold) -> Result<Value, LlmError> {
    let mut parser = EventParser::default();
    // The body's end ends its last line and event, if the server left them open.
    for event in parser.feed(body)?.into_iter().chain(parser.feed(b"\n\n")?) {
        if fold.take(&event)?.done {
            break;
        }
    }
    fold.finish()
}

/// Fold a whole OpenAI chat-completions stream into a completion body.
pub fn openai(body: &[u8]) -> Result<Value, LlmError> {
    fold_body(body, OpenAiFold::default())
}

/// Fold a whole Anthropic Messages stream into a message body.
pub fn anthropic(body: &[u8]) -> Result<Value, LlmError> {
    fold_body(body, AnthropicFold::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_chunks_fold_into_one_answer_and_a_cut_stream_is_malformed() {
        let body = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n\
                    data: {\"choices\":[{\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\n\n\
                    data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n\
                    data: [DONE]\n\n";
        let v = openai(body.as_bytes()).unwrap();
        assert_eq!(v["choices"][0]["message"]["content"], "Hello");
        assert_eq!(v["choices"][0]["finish_reason"], "stop");
        assert_eq!(v["usage"]["completion_tokens"], 2);
        let cut = &body[..body.find("data: [DONE]").unwrap()];
        assert!(matches!(
            openai(cut.as_bytes()),
            Err(LlmError::Malformed(_))
        ));
    }

    #[test]
    fn anthropic_events_fold_into_one_message() {
        let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,\"cache_read_input_tokens\":90,\"output_tokens\":1}}}\n\n\
                    event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \"}}\n\n\
                    event: ping\ndata: {\"type\": \"ping\"}\n\n\
                    event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"there\"}}\n\n\
                    event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n\
                    event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        let v = anthropic(body.as_bytes()).unwrap();
        assert_eq!(v["content"][0]["text"], "Hi there");
        assert_eq!(v["stop_reason"], "end_turn");
        assert_eq!(v["usage"]["input_tokens"], 9);
        assert_eq!(v["usage"]["cache_read_input_tokens"], 90);
        assert_eq!(v["usage"]["output_tokens"], 3);
        let cut = &body[..body.find("event: message_stop").unwrap()];
        assert!(anthropic(cut.as_bytes()).is_err());
    }

    #[test]
    fn multi_line_data_is_joined_and_any_split_of_the_bytes_gives_the_same_events() {
        let body = ": a comment\r\nevent: greeting\r\ndata: {\"a\":\r\ndata:  1}\r\nid: 7\r\n\r\ndata:x\rdata: y\r\rdata: last\n\n";
        let want = vec![
            Event {
                name: "greeting".into(),
                data: "{\"a\":\n 1}".into(),
            },
            Event {
                name: String::new(),
                data: "x\ny".into(),
            },
            Event {
                name: String::new(),
                data: "last".into(),
            },
        ];
        for cut in 0..body.len() {
            let mut parser = EventParser::default();
            let mut got = parser.feed(&body.as_bytes()[..cut]).unwrap();
            got.extend(parser.feed(&body.as_bytes()[cut..]).unwrap());
            assert_eq!(got, want, "split at {cut}");
        }
        assert_eq!(parse(&want[0].data).unwrap()["a"], 1);
    }

    #[test]
    fn error_events_are_typed_like_the_same_error_unstreamed() {
        let openai_body = "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
                           data: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n";
        match openai(openai_body.as_bytes()) {
            Err(e @ LlmError::Status { status: 500, .. }) => {
                assert!(e.is_retryable());
                assert!(e.to_string().contains("The server had an error"));
            }
            other => panic!("{other:?}"),
        }
        let anthropic_body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{}}}\n\n\
                              event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        assert!(matches!(
            anthropic(anthropic_body.as_bytes()),
            Err(LlmError::Status { status: 529, .. })
        ));
        let bad = json!({"type": "invalid_request_error", "message": "prompt is too long"});
        assert!(!stream_error(&bad).is_retryable());
        let quota = json!({"type": "insufficient_quota", "message": "out"});
        assert!(!stream_error(&quota).is_retryable());
        // llama.cpp puts the HTTP status in an integer `code`.
        let llama = json!({"code": 503, "message": "Loading model", "type": "unavailable_error"});
        assert!(matches!(
            stream_error(&llama),
            LlmError::Status { status: 503, .. }
        ));
    }
}
