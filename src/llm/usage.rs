//! Token usage as the providers report it, read into one shape: prompt tokens always count every token of the
//! prompt (uncached, read from the provider's prompt cache, and written to it), with the cached reads and writes
//! and the reasoning tokens also kept apart so the ledger can price them and users can see them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Tokens a request used, as the server reports them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    /// Every prompt token: uncached, read from the provider's prompt cache, and written to it.
    pub prompt_tokens: u64,
    /// Completion tokens, reasoning tokens included.
    pub completion_tokens: u64,
    /// Prompt tokens read from the provider's prompt cache (a part of `prompt_tokens`, billed at a lower rate).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_read_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache (a part of `prompt_tokens`; Anthropic bills them
    /// above the input rate).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_tokens: u64,
    /// Completion tokens spent on hidden reasoning (a part of `completion_tokens`, never added to it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reasoning_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn count(value: &Value) -> u64 {
    value.as_u64().unwrap_or(0)
}

impl TokenUsage {
    /// The `usage` object of an OpenAI chat completion: `prompt_tokens` already includes
    /// `prompt_tokens_details.cached_tokens`, and `completion_tokens` includes
    /// `completion_tokens_details.reasoning_tokens`.
    pub fn from_openai(usage: &Value) -> Option<Self> {
        usage.is_object().then(|| TokenUsage {
            prompt_tokens: count(&usage["prompt_tokens"]),
            completion_tokens: count(&usage["completion_tokens"]),
            cache_read_tokens: count(&usage["prompt_tokens_details"]["cached_tokens"]),
            cache_write_tokens: 0,
            reasoning_tokens: count(&usage["completion_tokens_details"]["reasoning_tokens"]),
        })
    }

    /// The `usage` object of an Anthropic message: `input_tokens` counts only the uncached part of the prompt,
    /// so the prompt is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.
    pub fn from_anthropic(usage: &Value) -> Option<Self> {
        usage.is_object().then(|| {
            let read = count(&usage["cache_read_input_tokens"]);
            let write = count(&usage["cache_creation_input_tokens"]);
            TokenUsage {
                prompt_tokens: count(&usage["input_tokens"]) + read + write,
                completion_tokens: count(&usage["output_tokens"]),
                cache_read_tokens: read,
                cache_write_tokens: write,
                reasoning_tokens: 0,
            }
        })
    }

    /// Prompt tokens neither read from nor written to the provider's cache.
    pub fn uncached_prompt_tokens(&self) -> u64 {
        self.prompt_tokens
            .saturating_sub(self.cache_read_tokens + self.cache_write_tokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn anthropic_prompt_tokens_count_cache_reads_and_writes() {
        // The regression: a 1,959-token prompt mostly read from the cache was recorded as 1 token.
        let u = TokenUsage::from_anthropic(&json!({
            "input_tokens": 1, "cache_read_input_tokens": 1900, "cache_creation_input_tokens": 58,
            "output_tokens": 40,
        }))
        .unwrap();
        assert_eq!(u.prompt_tokens, 1959);
        assert_eq!((u.cache_read_tokens, u.cache_write_tokens), (1900, 58));
        assert_eq!(u.uncached_prompt_tokens(), 1);
        assert_eq!(u.completion_tokens, 40);
    }

    #[test]
    fn openai_cached_and_reasoning_tokens_are_parts_not_additions() {
        let u = TokenUsage::from_openai(&json!({
            "prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
            "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 256, "audio_tokens": 0},
        }))
        .unwrap();
        assert_eq!(u.prompt_tokens, 2006);
        assert_eq!(u.cache_read_tokens, 1920);
        assert_eq!(
            u.completion_tokens, 300,
            "reasoning is inside the completion"
        );
        assert_eq!(u.reasoning_tokens, 256);
        assert_eq!(u.uncached_prompt_tokens(), 86);
        // A server that reports no details (llama.cpp, vLLM) gives zeros, and no usage gives none.
        let plain =
            TokenUsage::from_openai(&json!({"prompt_tokens": 5, "completion_tokens": 2})).unwrap();
        assert_eq!(plain.cache_read_tokens + plain.reasoning_tokens, 0);
        assert_eq!(TokenUsage::from_openai(&Value::Null), None);
    }

    #[test]
    fn old_cached_answers_without_the_new_fields_still_read() {
        let u: TokenUsage =
            serde_json::from_str(r#"{"prompt_tokens":3,"completion_tokens":4}"#).unwrap();
        assert_eq!(u.prompt_tokens + u.completion_tokens, 7);
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"prompt_tokens":3,"completion_tokens":4}"#
        );
    }
}
