//! Structured output: a JSON answer following a JSON Schema. Where the backend supports JSON-schema response formats
//! the schema goes in the request; elsewhere it goes in the prompt (`prompts/llm/structured.toml`) and the answer is
//! parsed leniently (code fences, prose around the object). An answer that still does not parse, or lacks a
//! required property, is re-asked once with the reason.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{ApiRole, ChatMessage, ChatRequest, LlmError};
use crate::data;
use crate::manager::{CallTag, Manager};
use crate::template::TemplateBank;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    instruction: String,
    reask: String,
}

/// The compiled structured-output prompts.
pub struct StructuredPrompts {
    bank: TemplateBank,
}

impl StructuredPrompts {
    /// Load the embedded prompts, or `prompts_dir/llm/structured.toml` when present.
    pub fn load(prompts_dir: Option<&Path>) -> crate::Result<Self> {
        let (parsed, origin): (PromptFile, String) =
            data::llm_prompts(prompts_dir, "structured.toml")?;
        let bank = TemplateBank::single(
            &[
                ("instruction", &parsed.instruction),
                ("reask", &parsed.reask),
            ],
            &origin,
        )?;
        Ok(StructuredPrompts { bank })
    }

    fn render(&self, group: &str, schema: &Value, error: &str) -> Result<String, LlmError> {
        let ctx = minijinja::context! { schema => schema.to_string(), error => error };
        self.bank
            .render(group, 0, &ctx)
            .map_err(|e| LlmError::Malformed(e.to_string()))
    }
}

/// The JSON object in `text`: the whole text, or the content of a code fence, or the span from the first `{`
/// to the last `}`.
pub fn extract_json(text: &str) -> Result<Value, String> {
    let trimmed = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(trimmed) {
        return Ok(v);
    }
    let fenced = trimmed
        .split("```")
        .nth(1)
        .map(|inner| inner.trim_start_matches("json").trim());
    if let Some(inner) = fenced
        && let Ok(v) = serde_json::from_str::<Value>(inner)
    {
        return Ok(v);
    }
    match (trimmed.find('{'), trimmed.rfind('}')) {
        (Some(a), Some(b)) if a < b => {
            serde_json::from_str::<Value>(&trimmed[a..=b]).map_err(|e| format!("not JSON: {e}"))
        }
        _ => Err("no JSON object in the answer".into()),
    }
}

/// Check the value is an object holding every `required` property of the schema.
pub fn check_required(value: &Value, schema: &Value) -> Result<(), String> {
    let object = value.as_object().ok_or("the answer is not a JSON object")?;
    for key in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !object.contains_key(key) {
            return Err(format!("the property `{key}` is missing"));
        }
    }
    Ok(())
}

/// The emptiest value `schema` allows: objects with every property, empty arrays and strings, zero numbers,
/// `true` (the dry-run backend answers with it).
pub fn placeholder(schema: &Value) -> Value {
    match schema["type"].as_str() {
        Some("object") => Value::Object(
            schema["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), placeholder(v)))
                .collect(),
        ),
        Some("array") => Value::Array(Vec::new()),
        Some("integer") | Some("number") => Value::from(0),
        Some("boolean") => Value::Bool(true),
        _ => Value::String(String::new()),
    }
}

/// Ask for a JSON answer following `schema`, through the manager; re-ask once when the answer is unusable.
pub async fn complete_json(
    manager: &Manager,
    prompts: &StructuredPrompts,
    mut request: ChatRequest,
    schema: &Value,
    tag: &CallTag,
) -> Result<Value, LlmError> {
    if manager.capabilities(tag.role).json_schema {
        request.json_schema = Some(schema.clone());
    } else {
        let instruction = prompts.render("instruction", schema, "")?;
        match request
            .messages
            .iter_mut()
            .find(|m| m.role == ApiRole::System)
        {
            Some(system) => system.content = format!("{}\n\n{instruction}", system.content),
            None => request
                .messages
                .insert(0, ChatMessage::text(ApiRole::System, instruction)),
        }
    }
    let first = manager.complete(&request, tag).await?;
    let error =
        match extract_json(&first.content).and_then(|v| check_required(&v, schema).map(|_| v)) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
    request
        .messages
        .push(ChatMessage::text(ApiRole::Assistant, first.content));
    request.messages.push(ChatMessage::text(
        ApiRole::User,
        prompts.render("reask", schema, &error)?,
    ));
    let second = manager.complete(&request, tag).await?;
    extract_json(&second.content)
        .and_then(|v| check_required(&v, schema).map(|_| v))
        .map_err(|e| LlmError::Malformed(format!("structured answer unusable after a re-ask: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_is_found_in_fences_and_prose() {
        assert_eq!(extract_json("{\"a\": 1}").unwrap(), json!({"a": 1}));
        assert_eq!(
            extract_json("Sure!\n```json\n{\"a\": 2}\n```\nHope that helps.").unwrap(),
            json!({"a": 2})
        );
        assert_eq!(
            extract_json("Here: {\"a\": {\"b\": 3}} done").unwrap(),
            json!({"a": {"b": 3}})
        );
        assert!(extract_json("no json here").is_err());
        assert!(extract_json("{broken").is_err());
    }

    #[test]
    fn required_properties_are_checked() {
        let schema = json!({"type": "object", "required": ["score", "reason"]});
        assert!(check_required(&json!({"score": 1, "reason": "x"}), &schema).is_ok());
        let err = check_required(&json!({"score": 1}), &schema).unwrap_err();
        assert!(err.contains("reason"));
        assert!(check_required(&json!([1]), &schema).is_err());
    }
}
