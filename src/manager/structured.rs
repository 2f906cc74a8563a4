//! Structured output: a JSON answer following a JSON Schema. Where the backend supports JSON-schema response formats
//! the schema goes in the request; elsewhere it goes in the prompt (`prompts/llm/structured.toml`) and the answer is
//! parsed leniently (code fences, prose around the object). An answer that is not usable for any reason — not JSON,
//! a number no double holds (`20e468692`), a missing property, a value of the wrong type or off its range — is
//! re-asked once with the reason, then fails its record.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::{CallTag, Manager};
use crate::data;
use crate::llm::{ApiRole, ChatMessage, ChatRequest, LlmError};
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

/// Check `value` against `schema`: the types (`object`, `array`, `string`, `integer` within 64 bits, `number`,
/// `boolean`), the required properties, `enum`, `minimum` and `maximum`, recursively. Unknown properties pass.
/// The error names the path of the first value that breaks it.
pub fn check_schema(value: &Value, schema: &Value) -> Result<(), String> {
    check_at(value, schema, "the answer")
}

fn check_at(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
    let wrong = |what: &str| Err(format!("{path} must be {what}, not {value}"));
    match schema["type"].as_str() {
        Some("object") => {
            let Some(object) = value.as_object() else {
                return wrong("a JSON object");
            };
            for key in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(key) {
                    return Err(format!("the property `{key}` is missing from {path}"));
                }
            }
            for (key, sub) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(v) = object.get(key) {
                    check_at(v, sub, &format!("`{key}`"))?;
                }
            }
        }
        Some("array") => {
            let Some(items) = value.as_array() else {
                return wrong("an array");
            };
            for (i, v) in items.iter().enumerate() {
                check_at(v, &schema["items"], &format!("{path}[{i}]"))?;
            }
        }
        Some("string") if !value.is_string() => return wrong("a string"),
        Some("boolean") if !value.is_boolean() => return wrong("true or false"),
        Some("integer") if !(value.is_i64() || value.is_u64()) => {
            return wrong("a whole number within 64 bits");
        }
        Some("number") if !value.is_number() => return wrong("a number"),
        _ => {}
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return wrong(&format!("one of {}", Value::Array(allowed.clone())));
    }
    if let Some(x) = value.as_f64() {
        if let Some(min) = schema["minimum"].as_f64()
            && x < min
        {
            return wrong(&format!("at least {min}"));
        }
        if let Some(max) = schema["maximum"].as_f64()
            && x > max
        {
            return wrong(&format!("at most {max}"));
        }
    }
    Ok(())
}

/// Write as integers the numbers `schema` types `integer` that are whole (`3.0`, `-0.0`): JSON Schema counts them as
/// integers, and a grammar-constrained server may write them so.
fn whole_numbers(value: &mut Value, schema: &Value) {
    match value {
        Value::Object(object) => {
            for (key, sub) in schema["properties"].as_object().into_iter().flatten() {
                if let Some(v) = object.get_mut(key) {
                    whole_numbers(v, sub);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| whole_numbers(v, &schema["items"])),
        Value::Number(n) if schema["type"] == "integer" && !(n.is_i64() || n.is_u64()) => {
            if let Some(x) = n.as_f64()
                && x.fract() == 0.0
                && (i64::MIN as f64..i64::MAX as f64).contains(&x)
            {
                *value = Value::from(x as i64);
            }
        }
        _ => {}
    }
}

/// The answer's JSON, when it is usable: parsed leniently and checked against `schema`.
fn usable(text: &str, schema: &Value) -> Result<Value, String> {
    let mut value = extract_json(text)?;
    whole_numbers(&mut value, schema);
    check_schema(&value, schema)?;
    Ok(value)
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
    let error = match usable(&first.content, schema) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    tracing::debug!(
        "{}: structured answer unusable ({error}); asking again",
        tag.conversation
    );
    request
        .messages
        .push(ChatMessage::text(ApiRole::Assistant, first.content));
    request.messages.push(ChatMessage::text(
        ApiRole::User,
        prompts.render("reask", schema, &error)?,
    ));
    let second = manager.complete(&request, tag).await?;
    usable(&second.content, schema)
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
    fn the_schema_check_names_the_value_that_breaks_it() {
        let schema = json!({
            "type": "object",
            "properties": {
                "score": {"type": "integer", "minimum": 0, "maximum": 2},
                "tags": {"type": "array", "items": {"type": "string"}},
                "ok": {"type": "boolean"},
                "price": {"type": "number"},
            },
            "required": ["score", "tags"],
        });
        let good = json!({"score": 2, "tags": ["a"], "ok": true, "price": 1.5, "extra": 1});
        assert!(check_schema(&good, &schema).is_ok());
        for (bad, says) in [
            (
                json!({"score": "high", "tags": []}),
                "`score` must be a whole number",
            ),
            (
                json!({"score": 1.5, "tags": []}),
                "`score` must be a whole number",
            ),
            (json!({"score": 3, "tags": []}), "`score` must be at most 2"),
            (
                json!({"score": 1, "tags": [1]}),
                "`tags`[0] must be a string",
            ),
            (
                json!({"score": 1, "tags": [], "ok": "yes"}),
                "`ok` must be true or false",
            ),
            (json!({"score": 1}), "`tags` is missing"),
        ] {
            let e = check_schema(&bad, &schema).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
        // Whole numbers past 64 bits parse (as doubles) but no caller could read them.
        let huge: Value =
            serde_json::from_str(r#"{"score": 123456789012345678901234, "tags": []}"#).unwrap();
        assert!(check_schema(&huge, &schema).is_err());
        // A number past a double's range is not JSON serde can read at all.
        assert!(extract_json(r#"{"score": 20e468692, "tags": []}"#).is_err());
    }

    #[test]
    fn whole_numbers_written_as_decimals_are_integers() {
        let schema = json!({
            "type": "object",
            "properties": {
                "choice": {"type": "integer", "minimum": 0},
                "picks": {"type": "array", "items": {"type": "integer"}},
                "price": {"type": "number"},
            },
            "required": ["choice"],
        });
        // A grammar-constrained server wrote `-0.0` for a pick; JSON Schema counts it as the integer 0.
        let value = usable(
            r#"{"choice": -0.0, "picks": [2.0, 3], "price": 4.0}"#,
            &schema,
        )
        .unwrap();
        assert_eq!(value["choice"].as_u64(), Some(0));
        assert_eq!(value["picks"], json!([2, 3]));
        // A number the schema types `number` stays as written.
        assert!(value["price"].is_f64());
        for bad in [
            r#"{"choice": 1.5}"#,
            r#"{"choice": -1.0}"#,
            r#"{"choice": 1e300}"#,
        ] {
            assert!(usable(bad, &schema).is_err(), "{bad}");
        }
    }

    /// A backend that answers with the scripted texts in turn and keeps every request.
    struct Scripted {
        answers: std::sync::Mutex<Vec<&'static str>>,
        seen: std::sync::Mutex<Vec<ChatRequest>>,
    }

    impl crate::llm::ChatBackend for Scripted {
        fn complete<'a>(
            &'a self,
            request: &'a ChatRequest,
        ) -> crate::llm::BoxFuture<'a, Result<crate::llm::Completion, LlmError>> {
            self.seen.lock().unwrap().push(request.clone());
            let content = self.answers.lock().unwrap().remove(0).to_string();
            Box::pin(async move {
                Ok(crate::llm::Completion {
                    response: crate::llm::ChatResponse {
                        content,
                        finish_reason: Some("stop".into()),
                        usage: None,
                        latency_ms: None,
                        first_token_ms: None,
                    },
                    hints: crate::llm::RateHints::default(),
                })
            })
        }

        fn capabilities(&self) -> crate::llm::Capabilities {
            crate::llm::Capabilities {
                json_schema: true,
                ..Default::default()
            }
        }
    }

    fn ask(answers: Vec<&'static str>) -> (Result<Value, LlmError>, Vec<ChatRequest>) {
        let backend = std::sync::Arc::new(Scripted {
            answers: std::sync::Mutex::new(answers),
            seen: std::sync::Mutex::new(Vec::new()),
        });
        let manager = Manager::new(
            backend.clone(),
            crate::config::LimitsConfig::default(),
            None,
            std::collections::BTreeMap::new(),
        );
        let prompts = StructuredPrompts::load(None).unwrap();
        let schema = json!({
            "type": "object",
            "properties": {"score": {"type": "integer", "minimum": 0, "maximum": 2}},
            "required": ["score"],
        });
        let tag = CallTag {
            conversation: "c1".into(),
            role: crate::config::RoleName::Judge,
            under_way: false,
        };
        let request = ChatRequest {
            model: "m".into(),
            messages: vec![ChatMessage::text(ApiRole::User, "grade it")],
            temperature: None,
            max_tokens: Some(50),
            json_schema: None,
            seed: None,
            stream: false,
            token_limit_field: crate::config::TokenLimitField::default(),
            extra: std::collections::BTreeMap::new(),
            client_id: None,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let result = rt.block_on(complete_json(&manager, &prompts, request, &schema, &tag));
        let seen = backend.seen.lock().unwrap().clone();
        (result, seen)
    }

    #[test]
    fn an_unusable_structured_answer_is_asked_again_once_with_the_reason_whatever_the_cause() {
        for (first, reason) in [
            (r#"{"score": 20e468692}"#, "number out of range"),
            (r#"{"score": "high"}"#, "`score` must be a whole number"),
            (r#"{"score": 7}"#, "at most 2"),
            (r#"{"grade": 1}"#, "`score` is missing"),
            ("no idea", "no JSON object"),
        ] {
            let (result, seen) = ask(vec![first, r#"{"score": 1}"#]);
            assert_eq!(result.unwrap(), json!({"score": 1}), "{first}");
            assert_eq!(seen.len(), 2);
            let reask = &seen[1].messages;
            assert_eq!(reask[reask.len() - 2].content, first);
            let last = &reask[reask.len() - 1].content;
            assert!(last.contains(reason), "{first}: {last}");
        }
        // Unusable twice: one failure, after exactly one re-ask.
        let (result, seen) = ask(vec![r#"{"score": 9}"#, r#"{"score": 1.5}"#]);
        assert_eq!(seen.len(), 2);
        let e = result.unwrap_err();
        assert!(matches!(e, LlmError::Malformed(_)) && !e.stops_run());
        assert!(e.to_string().contains("after a re-ask"), "{e}");
    }

    #[test]
    fn required_properties_are_checked() {
        let schema = json!({"type": "object", "required": ["score", "reason"]});
        assert!(check_schema(&json!({"score": 1, "reason": "x"}), &schema).is_ok());
        let err = check_schema(&json!({"score": 1}), &schema).unwrap_err();
        assert!(err.contains("reason"));
        assert!(check_schema(&json!([1]), &schema).is_err());
    }
}
