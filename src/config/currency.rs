//! `[currency]`: budgets and prices in the persona's local currency.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::CurrencyCode;

/// Budgets and prices in the persona's local currency: a persona in Mumbai states "₹8,000" and hears prices in
/// rupees, converted from the catalog's currency at the rates of `profiles/currencies.toml` (overridable here).
/// Every comparison of a budget with a price happens in the catalog's currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CurrencyConfig {
    /// Budgets and prices in the currency of the persona's country (`profiles/currencies.toml`); off: everyone
    /// speaks the catalog's currency.
    pub local: bool,
    /// The currency the catalog's prices are in (a code of `profiles/currencies.toml`).
    pub catalog: CurrencyCode,
    /// Units of each currency per unit of the catalog's currency, over the table's defaults (`INR = 83.0`).
    pub rates: BTreeMap<String, f64>,
}

impl Default for CurrencyConfig {
    fn default() -> Self {
        CurrencyConfig {
            local: true,
            catalog: CurrencyCode::USD,
            rates: BTreeMap::new(),
        }
    }
}

impl CurrencyConfig {
    /// The checks serde cannot express (codes the table knows are checked when the table is loaded).
    pub fn validate(&self) -> crate::Result<()> {
        for (code, rate) in &self.rates {
            if CurrencyCode::parse(code).is_none() {
                return Err(crate::Error::Config(format!(
                    "`currency.rates.{code}` is not a currency code: use three capital letters, like INR or GBP"
                )));
            }
            if !(rate.is_finite() && *rate > 0.0) {
                return Err(crate::Error::Config(format!(
                    "`currency.rates.{code}` must be a finite number > 0 (units of {code} per catalog unit), got {rate}"
                )));
            }
        }
        Ok(())
    }
}
