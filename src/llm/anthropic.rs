//! The Anthropic Messages client (`{base_url}/v1/messages`), through reqwest: system prompt as the top-level
//! `system` field, `x-api-key` and `anthropic-version` headers, and Anthropic's error and usage shapes mapped onto
//! the same typed errors as the OpenAI-compatible client.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    ApiRole, BoxFuture, Capabilities, ChatBackend, ChatRequest, ChatResponse, Completion, LlmError,
    Secret, TokenUsage,
};

/// The API version sent with every request.
pub const API_VERSION: &str = "2023-06-01";

/// An image content block: a `data:` URL becomes a base64 source, anything else a URL source.
fn image_block(url: &str) -> Value {
    match super::images::split_data_url(url) {
        Some((media_type, data)) => json!({
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }),
        None => json!({"type": "image", "source": {"type": "url", "url": url}}),
    }
}

/// A client for Anthropic's Messages API.
pub struct AnthropicBackend {
    client: reqwest::Client,
    base_url: String,
    key: Option<Secret>,
    extra_headers: Vec<(String, String)>,
    timeout: Duration,
}

impl AnthropicBackend {
    /// A client for `base_url` (e.g. `https://api.anthropic.com`; a trailing `/v1` is accepted too).
    pub fn new(base_url: &str, key: Option<Secret>, timeout: Duration) -> Result<Self, LlmError> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| LlmError::Connection(e.to_string()))?;
        let base = base_url.trim_end_matches('/');
        let base = base.strip_suffix("/v1").unwrap_or(base);
        Ok(AnthropicBackend {
            client,
            base_url: base.to_string(),
            key,
            extra_headers: Vec::new(),
            timeout,
        })
    }

    /// Add headers sent with every request (a gateway's tenant, beta features …).
    pub fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.extra_headers = headers;
        self
    }

    fn body(request: &ChatRequest) -> Value {
        let system: Vec<&str> = request
            .messages
            .iter()
            .filter(|m| m.role == ApiRole::System)
            .map(|m| m.content.as_str())
            .collect();
        let messages: Vec<Value> = request
            .messages
            .iter()
            .filter(|m| m.role != ApiRole::System)
            .map(|m| {
                if m.images.is_empty() {
                    json!({"role": m.role, "content": m.content})
                } else {
                    let mut blocks = vec![json!({"type": "text", "text": m.content})];
                    blocks.extend(m.images.iter().map(|url| image_block(url)));
                    json!({"role": m.role, "content": blocks})
                }
            })
            .collect();
        let mut body = json!({
            "model": request.model,
            "max_tokens": request.max_tokens.unwrap_or(1024),
            "messages": messages,
        });
        if !system.is_empty() {
            body["system"] = json!(system.join("\n\n"));
        }
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        if request.stream {
            body["stream"] = json!(true);
        }
        body
    }

    async fn send(&self, request: &ChatRequest) -> Result<Completion, LlmError> {
        let mut builder = self
            .client
            .post(format!("{}/v1/messages", self.base_url))
            .timeout(self.timeout)
            .header("anthropic-version", API_VERSION)
            .json(&Self::body(request));
        if let Some(key) = &self.key {
            builder = builder.header("x-api-key", key.expose());
        }
        for (name, value) in &self.extra_headers {
            builder = builder.header(name, value);
        }
        if let Some(id) = &request.client_id {
            builder = builder.header("X-Client-Request-Id", id);
        }
        let (status, hints, bytes) =
            super::exchange(builder, self.key.as_ref(), self.timeout).await?;
        if !(200..300).contains(&status) {
            let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let message = super::error_message(&bytes, &value, self.key.as_ref());
            return Err(LlmError::Status {
                status,
                message,
                hints,
                insufficient_quota: false,
            });
        }
        let value: Value = if request.stream {
            super::stream::anthropic(&bytes)?
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| LlmError::Malformed(format!("{e} (in {} bytes)", bytes.len())))?
        };
        let blocks = value["content"]
            .as_array()
            .ok_or_else(|| LlmError::Malformed("no content blocks in the answer".into()))?;
        let content: String = blocks
            .iter()
            .filter(|b| b["type"] == "text")
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("");
        let stop = value["stop_reason"].as_str().map(str::to_string);
        // An empty answer, or one cut at max_tokens, goes back to the manager with its usage: it counts the tokens
        // and asks again (with a larger budget for a cut one).
        let usage = value["usage"].as_object().map(|u| TokenUsage {
            prompt_tokens: u.get("input_tokens").and_then(Value::as_u64).unwrap_or(0),
            completion_tokens: u.get("output_tokens").and_then(Value::as_u64).unwrap_or(0),
        });
        Ok(Completion {
            response: ChatResponse {
                content,
                finish_reason: stop,
                usage,
            },
            hints,
        })
    }
}

impl ChatBackend for AnthropicBackend {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        Box::pin(self.send(request))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            json_schema: false,
            vision: true,
            streaming: true,
        }
    }
}
