//! Streamed answers (`stream: true`): a server-sent-event body folded back into the shape of the same answer
//! unstreamed, so both clients read one shape. A stream that ends before its last event (no `[DONE]` for OpenAI,
//! no `message_stop` for Anthropic) is malformed, and so retried like a truncated body.

use serde_json::{Value, json};

use super::LlmError;

/// The `data:` payloads of an event-stream body, in order.
fn events(body: &[u8]) -> Result<Vec<&str>, LlmError> {
    let text = std::str::from_utf8(body)
        .map_err(|e| LlmError::Malformed(format!("event stream is not UTF-8: {e}")))?;
    Ok(text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect())
}

fn parse(data: &str) -> Result<Value, LlmError> {
    serde_json::from_str(data).map_err(|e| LlmError::Malformed(format!("stream event: {e}")))
}

/// Fold an OpenAI chat-completions stream (`chat.completion.chunk` events, then `[DONE]`) into a completion body.
pub fn openai(body: &[u8]) -> Result<Value, LlmError> {
    let mut content = String::new();
    let mut finish: Value = Value::Null;
    let mut usage: Value = Value::Null;
    let mut done = false;
    for data in events(body)? {
        if data == "[DONE]" {
            done = true;
            break;
        }
        let chunk = parse(data)?;
        if let Some(choice) = chunk["choices"].get(0) {
            if let Some(piece) = choice["delta"]["content"].as_str() {
                content.push_str(piece);
            }
            if !choice["finish_reason"].is_null() {
                finish = choice["finish_reason"].clone();
            }
        }
        if chunk["usage"].is_object() {
            usage = chunk["usage"].clone();
        }
    }
    if !done {
        return Err(LlmError::Malformed("the stream ended before [DONE]".into()));
    }
    Ok(json!({
        "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": usage,
    }))
}

/// Fold an Anthropic Messages stream (`message_start` … `message_stop`) into a message body.
pub fn anthropic(body: &[u8]) -> Result<Value, LlmError> {
    let mut text = String::new();
    let mut stop: Value = Value::Null;
    let mut usage = serde_json::Map::new();
    let mut done = false;
    for data in events(body)? {
        let event = parse(data)?;
        match event["type"].as_str() {
            Some("message_start") => {
                // Input and cache counts come here; `message_delta` updates the output (and, on newer API
                // versions, the rest) with cumulative counts.
                if let Some(u) = event["message"]["usage"].as_object() {
                    usage.extend(u.clone());
                }
            }
            Some("content_block_delta") => {
                if let Some(piece) = event["delta"]["text"].as_str() {
                    text.push_str(piece);
                }
            }
            Some("message_delta") => {
                if !event["delta"]["stop_reason"].is_null() {
                    stop = event["delta"]["stop_reason"].clone();
                }
                if let Some(u) = event["usage"].as_object() {
                    usage.extend(
                        u.iter()
                            .filter(|(_, v)| !v.is_null())
                            .map(|(k, v)| (k.clone(), v.clone())),
                    );
                }
            }
            Some("message_stop") => {
                done = true;
                break;
            }
            Some("error") => {
                return Err(LlmError::Malformed(format!(
                    "stream error: {}",
                    event["error"]["message"].as_str().unwrap_or("unknown")
                )));
            }
            _ => {}
        }
    }
    if !done {
        return Err(LlmError::Malformed(
            "the stream ended before message_stop".into(),
        ));
    }
    Ok(json!({
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "usage": usage,
    }))
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
        let body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n\
                    event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi \"}}\n\n\
                    event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"there\"}}\n\n\
                    event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":3}}\n\n\
                    event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
        let v = anthropic(body.as_bytes()).unwrap();
        assert_eq!(v["content"][0]["text"], "Hi there");
        assert_eq!(v["stop_reason"], "end_turn");
        assert_eq!(v["usage"]["input_tokens"], 9);
        assert_eq!(v["usage"]["output_tokens"], 3);
        let cut = &body[..body.find("event: message_stop").unwrap()];
        assert!(anthropic(cut.as_bytes()).is_err());
    }
}
