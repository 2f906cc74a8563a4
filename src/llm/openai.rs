//! The OpenAI-compatible chat-completions client (OpenAI, vLLM, Ollama, llama.cpp server, OpenRouter …).
//! It speaks HTTP through reqwest directly, so that every status code, body and rate-limit header reaches the
//! manager's retry logic.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    BoxFuture, Capabilities, ChatBackend, ChatRequest, ChatResponse, Completion, LlmError,
    RateHints, Secret, TokenUsage,
};

/// A client for `{base_url}/chat/completions`.
pub struct OpenAiBackend {
    client: reqwest::Client,
    base_url: String,
    key: Option<Secret>,
    extra_headers: Vec<(String, String)>,
    timeout: Duration,
}

impl OpenAiBackend {
    /// A client for `base_url` (e.g. `https://api.openai.com/v1`), with `key` sent as a bearer token.
    pub fn new(base_url: &str, key: Option<Secret>, timeout: Duration) -> Result<Self, LlmError> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| LlmError::Connection(e.to_string()))?;
        Ok(OpenAiBackend {
            client,
            base_url: base_url.trim_end_matches('/').to_string(),
            key,
            extra_headers: Vec::new(),
            timeout,
        })
    }

    /// Add headers sent with every request (organisation, OpenRouter attribution …).
    pub fn with_headers(mut self, headers: Vec<(String, String)>) -> Self {
        self.extra_headers = headers;
        self
    }

    fn body(request: &ChatRequest) -> Value {
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| {
                if m.images.is_empty() {
                    json!({"role": m.role, "content": m.content})
                } else {
                    let mut parts = vec![json!({"type": "text", "text": m.content})];
                    parts.extend(
                        m.images
                            .iter()
                            .map(|url| json!({"type": "image_url", "image_url": {"url": url}})),
                    );
                    json!({"role": m.role, "content": parts})
                }
            })
            .collect();
        let mut body = json!({
            "model": request.model,
            "messages": messages,
        });
        if let Some(t) = request.temperature {
            body["temperature"] = json!(t);
        }
        if let Some(m) = request.max_tokens {
            body["max_tokens"] = json!(m);
        }
        if let Some(seed) = request.seed {
            body["seed"] = json!(seed);
        }
        if request.stream {
            body["stream"] = json!(true);
            body["stream_options"] = json!({"include_usage": true});
        }
        if let Some(schema) = &request.json_schema {
            body["response_format"] = json!({
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": true},
            });
        }
        body
    }

    async fn send(&self, request: &ChatRequest) -> Result<Completion, LlmError> {
        let mut builder = self
            .client
            .post(format!("{}/chat/completions", self.base_url))
            .timeout(self.timeout)
            .json(&Self::body(request));
        if let Some(key) = &self.key {
            builder = builder.bearer_auth(key.expose());
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
            return Err(self.status_error(status, &bytes, hints));
        }
        let value: Value = if request.stream {
            super::stream::openai(&bytes)?
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| LlmError::Malformed(format!("{e} (in {} bytes)", bytes.len())))?
        };
        let choice = value["choices"]
            .get(0)
            .ok_or_else(|| LlmError::Malformed("no choices in the answer".into()))?;
        let finish_reason = choice["finish_reason"].as_str().map(str::to_string);
        let content = choice["message"]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        // An empty answer, or one cut at max_tokens, goes back to the manager with its usage: it counts the tokens
        // and asks again (with a larger budget for a cut one).
        let usage = value["usage"].as_object().map(|u| TokenUsage {
            prompt_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
            completion_tokens: u
                .get("completion_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        });
        Ok(Completion {
            response: ChatResponse {
                content,
                finish_reason,
                usage,
            },
            hints,
        })
    }

    fn status_error(&self, status: u16, body: &[u8], hints: RateHints) -> LlmError {
        let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let error = &value["error"];
        let message = super::error_message(body, &value, self.key.as_ref());
        let code = error["code"].as_str().unwrap_or("");
        let kind = error["type"].as_str().unwrap_or("");
        LlmError::Status {
            status,
            message,
            hints,
            insufficient_quota: status == 429
                && (code == "insufficient_quota" || kind == "insufficient_quota"),
        }
    }
}

impl ChatBackend for OpenAiBackend {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        Box::pin(self.send(request))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            json_schema: true,
            vision: true,
            streaming: true,
        }
    }
}
