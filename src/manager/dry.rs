//! The dry-run backend: answers every request at once with a placeholder and the usage it would likely have cost
//! (the prompt's tiktoken count, and `dry_run_completion_share` of `max_tokens` for the answer), so a run can be
//! priced before anything is sent.

use super::Manager;
use crate::llm::{
    BoxFuture, Capabilities, ChatBackend, ChatRequest, ChatResponse, Completion, LlmError,
    RateHints, TokenUsage,
};

/// Share of `max_tokens` a dry run assumes each answer uses.
pub const COMPLETION_SHARE: f64 = 0.6;

/// A backend that sends nothing.
pub struct DryRunBackend;

impl ChatBackend for DryRunBackend {
    fn complete<'a>(
        &'a self,
        request: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<Completion, LlmError>> {
        let max = request.max_tokens.unwrap_or(256);
        let prompt = Manager::estimate_tokens(request).saturating_sub(max);
        let completion = (f64::from(max) * COMPLETION_SHARE).round() as u64;
        // A structured request gets the emptiest answer its schema allows, so decisions fall back to the
        // simulator's and the dialogue runs its usual course.
        let content = match &request.json_schema {
            Some(schema) => super::structured::placeholder(schema).to_string(),
            None => "[dry run]".into(),
        };
        Box::pin(std::future::ready(Ok(Completion {
            response: ChatResponse {
                content,
                finish_reason: Some("stop".into()),
                usage: Some(TokenUsage {
                    prompt_tokens: u64::from(prompt),
                    completion_tokens: completion,
                    ..TokenUsage::default()
                }),
                latency_ms: None,
                first_token_ms: None,
            },
            hints: RateHints::default(),
        })))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            json_schema: true,
            ..Capabilities::default()
        }
    }
}
