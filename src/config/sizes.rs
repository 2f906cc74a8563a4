//! `[sizes]`: sizes in the persona's local system where the catalog writes a size with its system.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Sizes in the persona's local system: a shopper in London says "UK 8" for the catalog's "US 9" and hears it back so,
/// by the charts of `profiles/sizes.toml`. Every decision, slot and comparison keeps the catalog's value; a size no
/// chart lists, or one with no system ("M", "34W x 32L"), stays as the catalog writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SizesConfig {
    /// Sizes said in the system of the persona's country (`profiles/sizes.toml`); off: everyone says the catalog's.
    pub local: bool,
}

impl Default for SizesConfig {
    fn default() -> Self {
        SizesConfig { local: true }
    }
}
