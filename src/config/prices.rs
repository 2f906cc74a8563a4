//! Prices per million tokens, per model (`[prices]`): the settings the ledger prices answers with.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Prices per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelPrice {
    /// USD per million prompt tokens (uncached).
    pub input_per_mtok: f64,
    /// USD per million completion tokens (reasoning tokens included).
    pub output_per_mtok: f64,
    /// USD per million prompt tokens read from the provider's prompt cache (OpenAI: half or less of the input
    /// price; Anthropic: a tenth). Default: the input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input_per_mtok: Option<f64>,
    /// USD per million prompt tokens written to the provider's prompt cache (Anthropic: 1.25 times the input
    /// price for a 5-minute cache). Default: the input price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_per_mtok: Option<f64>,
}

impl ModelPrice {
    /// The prices as (setting, value) pairs, for validation.
    pub fn rates(&self) -> [(&'static str, Option<f64>); 4] {
        [
            ("input_per_mtok", Some(self.input_per_mtok)),
            ("output_per_mtok", Some(self.output_per_mtok)),
            ("cached_input_per_mtok", self.cached_input_per_mtok),
            ("cache_write_per_mtok", self.cache_write_per_mtok),
        ]
    }
}
