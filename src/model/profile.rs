//! `Profile`: a persona, the scenario that sends them shopping, and the target item the user agent knows and the system agent never sees.

use serde::{Deserialize, Serialize};

/// Gender of a persona.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
    /// Not stated.
    Unknown,
}

impl Gender {
    /// Lowercase name as written in data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }

    /// Parse a data-file or MUSE spelling (`male`, `Female`, `unknown` …).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "male" | "m" | "man" => Some(Gender::Male),
            "female" | "f" | "woman" => Some(Gender::Female),
            "unknown" | "other" | "" | "non-binary" | "nonbinary" => Some(Gender::Unknown),
            _ => None,
        }
    }
}

/// How formally a persona writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Formality {
    /// Relaxed, informal.
    Casual,
    /// Neither casual nor formal.
    #[default]
    Neutral,
    /// Polite, formal.
    Formal,
}

/// How much a persona writes per turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Verbosity {
    /// Short turns.
    Terse,
    /// Ordinary turns.
    #[default]
    Normal,
    /// Long, talkative turns.
    Chatty,
}

/// Where a persona lives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
}

/// Who the simulated user is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    /// Full name.
    pub name: String,
    /// Gender.
    pub gender: Gender,
    /// Age in years.
    pub age: u32,
    /// Profession; none for children.
    #[serde(default)]
    pub profession: Option<String>,
    /// Home city and country, when known.
    #[serde(default)]
    pub location: Option<Location>,
    /// Income band name (from `profiles/income.toml`), when known.
    #[serde(default)]
    pub income_band: Option<String>,
    /// Shopping style (classic, sporty …), when known.
    #[serde(default)]
    pub style: Option<String>,
    /// Language mix code: `en`, or a code-mix such as `en-hi` (Hinglish).
    pub language_mix: String,
    /// Formality of their writing.
    #[serde(default)]
    pub formality: Formality,
    /// Verbosity of their writing.
    #[serde(default)]
    pub verbosity: Verbosity,
}

/// One attribute of the target item the user will reveal during the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// Attribute key (`color`, `material`, `feature`, `category`, `text` …).
    pub attribute: String,
    /// The target's value for it.
    pub value: String,
    /// How the user would put it.
    pub text: String,
}

/// The most the user will spend: in the catalog's currency (what every comparison with a price uses) and, for a
/// persona who lives where another currency is used, the amount as they state it in theirs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// Upper bound, in the catalog's currency (the local amount converted back exactly).
    pub max: f64,
    /// The currency the persona states the budget in; absent: the catalog's (profiles written before local
    /// currencies load as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<super::CurrencyCode>,
    /// The budget as stated, in `currency` (a round figure: ₹8,000, £70); absent with `currency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<f64>,
}

impl Budget {
    /// A budget of `max` in the catalog's currency.
    pub fn catalog(max: f64) -> Self {
        Budget {
            max,
            currency: None,
            amount: None,
        }
    }

    /// The upper bound in the catalog's currency, for comparisons with prices.
    pub fn in_catalog(&self) -> f64 {
        self.max
    }

    /// The amount as the persona states it (in `currency`, else the catalog's).
    pub fn stated(&self) -> f64 {
        self.amount.unwrap_or(self.max)
    }
}

/// Why and for what the persona shops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Purchase reason id from `profiles/reasons.toml` (`attend`, `gift` …); none for imported scenarios that do not say.
    #[serde(default)]
    pub purchase_reason: Option<String>,
    /// The occasion, when the reason has one.
    #[serde(default)]
    pub occasion: Option<String>,
    /// For gifts: who the item is for.
    #[serde(default)]
    pub recipient: Option<String>,
    /// What the user asks for at first, in general words ("a new pair of shoes").
    #[serde(default)]
    pub need: Option<String>,
    /// The backstory, never naming the target.
    pub narrative: String,
    /// The requirements the user will reveal, taken from the target's attributes.
    pub requirements: Vec<Requirement>,
    /// Budget, when one applies.
    #[serde(default)]
    pub budget: Option<Budget>,
    /// Category constraint: the target's category path.
    #[serde(default)]
    pub category: Vec<String>,
    /// Who wrote the narrative and requirements when it was a language model (`llm:MODEL`); absent for the tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub written_by: Option<String>,
}

/// Persona + scenario + target item: everything the user agent knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// Stable id derived from the seed and the record's index (or the import source).
    pub id: String,
    /// Who.
    pub persona: Persona,
    /// Why and what.
    pub scenario: Scenario,
    /// The item the user is after.
    pub target_item_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_round_trips_through_json() {
        let profile = Profile {
            id: "p000001".into(),
            persona: Persona {
                name: "Priya Sharma".into(),
                gender: Gender::Female,
                age: 29,
                profession: Some("Architect".into()),
                location: Some(Location {
                    city: "Pune".into(),
                    country: "India".into(),
                }),
                income_band: Some("middle".into()),
                style: Some("minimalist".into()),
                language_mix: "en-hi".into(),
                formality: Formality::Casual,
                verbosity: Verbosity::Chatty,
            },
            scenario: Scenario {
                purchase_reason: Some("attend".into()),
                occasion: Some("a wedding".into()),
                recipient: None,
                need: Some("a new dress".into()),
                narrative: "Priya has a wedding to attend.".into(),
                requirements: vec![Requirement {
                    attribute: "color".into(),
                    value: "red".into(),
                    text: "in red".into(),
                }],
                budget: Some(Budget::catalog(80.0)),
                category: vec!["Clothing".into(), "Dresses".into()],
                written_by: None,
            },
            target_item_id: "s000042".into(),
        };
        let text = serde_json::to_string(&profile).unwrap();
        let back: Profile = serde_json::from_str(&text).unwrap();
        assert_eq!(back, profile);
        assert!(text.contains("\"gender\":\"female\""));
        assert!(text.contains("\"formality\":\"casual\""));
    }

    #[test]
    fn gender_parses_muse_spellings() {
        assert_eq!(Gender::parse(" Female"), Some(Gender::Female));
        assert_eq!(Gender::parse("male"), Some(Gender::Male));
        assert_eq!(Gender::parse("unknown"), Some(Gender::Unknown));
        assert_eq!(Gender::parse("robot"), None);
    }

    #[test]
    fn budgets_without_a_currency_load_in_the_catalogs_and_local_ones_round_trip() {
        let old: Budget = serde_json::from_str(r#"{"max": 80.0}"#).unwrap();
        assert_eq!(old, Budget::catalog(80.0));
        assert_eq!((old.in_catalog(), old.stated()), (80.0, 80.0));
        // A catalog budget is written as before (no currency keys).
        assert_eq!(serde_json::to_string(&old).unwrap(), r#"{"max":80.0}"#);
        let local = Budget {
            max: 8000.0 / 83.0,
            currency: crate::model::CurrencyCode::parse("INR"),
            amount: Some(8000.0),
        };
        let back: Budget = serde_json::from_str(&serde_json::to_string(&local).unwrap()).unwrap();
        assert_eq!(back, local);
        assert_eq!(back.stated(), 8000.0);
        assert!((back.in_catalog() - 96.385).abs() < 0.001);
    }
}
