//! `CurrencyCode`: an ISO 4217 code (`USD`, `INR`), small and `Copy`, written as its three letters.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A currency's ISO 4217 code: three ASCII capital letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CurrencyCode([u8; 3]);

impl CurrencyCode {
    /// US dollars, the sample catalog's currency.
    pub const USD: CurrencyCode = CurrencyCode(*b"USD");

    /// The code written `text` (three capital letters), or `None`.
    pub fn parse(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        (b.len() == 3 && b.iter().all(u8::is_ascii_uppercase))
            .then(|| CurrencyCode([b[0], b[1], b[2]]))
    }

    /// The three letters.
    pub fn as_str(&self) -> &str {
        // Only ASCII capitals are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl Default for CurrencyCode {
    fn default() -> Self {
        CurrencyCode::USD
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CurrencyCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CurrencyCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        CurrencyCode::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "\"{text}\" is not a currency code (three capital letters, like \"USD\" or \"INR\")"
            ))
        })
    }
}

impl schemars::JsonSchema for CurrencyCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "CurrencyCode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "pattern": "^[A-Z]{3}$" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_round_trip() {
        let inr = CurrencyCode::parse("INR").unwrap();
        assert_eq!(inr.to_string(), "INR");
        assert_eq!(serde_json::to_string(&inr).unwrap(), "\"INR\"");
        assert_eq!(
            serde_json::from_str::<CurrencyCode>("\"GBP\"")
                .unwrap()
                .as_str(),
            "GBP"
        );
        for bad in ["inr", "IN", "INRS", "I1R", ""] {
            assert!(CurrencyCode::parse(bad).is_none(), "{bad}");
        }
        assert!(serde_json::from_str::<CurrencyCode>("\"rupees\"").is_err());
    }
}
