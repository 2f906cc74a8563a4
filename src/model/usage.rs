//! What language-model requests spent: one row of the request manager's ledger, carried by the reports of every
//! stage that sends requests (its arithmetic and the `usage.csv` file live with the ledger, in `manager`).

/// One row: what one role of one conversation spent on one model.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct UsageRow {
    /// Requests sent (each attempt counts).
    pub requests: u64,
    /// Answers served from the cache.
    pub cached: u64,
    /// Attempts that failed and were retried.
    pub retries: u64,
    /// Requests that failed for good.
    pub failures: u64,
    /// Prompt tokens (cache reads and writes included), of every attempt that reported them.
    pub prompt_tokens: u64,
    /// Completion tokens (reasoning included), of every attempt that reported them (an answer cut at the token
    /// limit is paid for too).
    pub completion_tokens: u64,
    /// Prompt tokens read from the provider's prompt cache.
    #[serde(default)]
    pub cache_read_tokens: u64,
    /// Prompt tokens written to the provider's prompt cache.
    #[serde(default)]
    pub cache_write_tokens: u64,
    /// Reasoning tokens (a part of the completion tokens).
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// Latency of the successful requests, in milliseconds.
    pub latency_ms: u64,
    /// Cost in USD.
    pub cost_usd: f64,
}
