//! The serde shapes of the tables under `profiles/`, as written in the data files.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::model::Gender;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DemographicsFile {
    pub(super) min_working_age: u32,
    pub(super) gender: BTreeMap<String, f64>,
    pub(super) age: Vec<AgeBucket>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgeBucket {
    pub(super) min: u32,
    pub(super) max: u32,
    pub(super) weight: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NamesFile {
    pub(super) groups: Vec<NameGroup>,
}

/// First and last names of one region.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct NameGroup {
    /// Region key, referenced by locations.
    pub region: String,
    /// Female first names.
    pub female: Vec<String>,
    /// Male first names.
    pub male: Vec<String>,
    /// Gender-neutral first names.
    pub neutral: Vec<String>,
    /// Last names.
    pub last: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LocationsFile {
    pub(super) locations: Vec<LocationRow>,
}

/// A city personas live in.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct LocationRow {
    /// City.
    pub city: String,
    /// Country.
    pub country: String,
    /// Name region.
    pub region: String,
    /// Weight.
    pub weight: f64,
    /// Language-mix code → weight.
    pub languages: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProfessionsFile {
    pub(super) professions: Vec<ProfessionRow>,
}

/// A profession with its income class and plausible ages.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProfessionRow {
    /// Name.
    pub name: String,
    /// Income class (`student`, `skilled` …).
    pub class: String,
    /// Weight.
    pub weight: f64,
    /// Youngest plausible age.
    pub min_age: u32,
    /// Oldest plausible age.
    pub max_age: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IncomeFile {
    pub(super) bands: Vec<Band>,
    pub(super) classes: BTreeMap<String, BTreeMap<String, f64>>,
}

/// An income band and the budgets it allows.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Name.
    pub name: String,
    /// Targets pricier than this are implausible.
    pub max_item_price: f64,
    /// Budget = price × uniform(slack[0], slack[1]).
    pub budget_slack: [f64; 2],
    /// Budget when the target has no price.
    pub typical_budget: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PersonaFile {
    pub(super) style: BTreeMap<String, f64>,
    pub(super) formality: BTreeMap<String, f64>,
    #[serde(default)]
    pub(super) formality_min_age: BTreeMap<String, u32>,
    #[serde(default)]
    pub(super) formality_max_age: BTreeMap<String, u32>,
    pub(super) verbosity: BTreeMap<String, f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ReasonsFile {
    pub(super) reasons: Vec<ReasonRow>,
}

/// A purchase reason with its narrative material.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ReasonRow {
    /// Id (`attend`, `gift` …).
    pub id: String,
    /// Human label.
    pub label: String,
    /// How a shopper says the reason in conversation, as phrases that fit "It's about …" and "My reason is …"
    /// (one is drawn per conversation); the label when empty.
    #[serde(default)]
    pub said: Vec<String>,
    /// Weight.
    pub weight: f64,
    /// Whether the purchase is for someone else.
    #[serde(default)]
    pub gift: bool,
    /// Occasions, each with the ages it is plausible for.
    pub occasions: Vec<OccasionRow>,
    /// Narrative sentences (templates).
    pub sentences: Vec<String>,
    /// Gift recipients.
    #[serde(default)]
    pub recipients: Vec<Recipient>,
    /// Youngest persona this reason suits (a child does not shop for work).
    #[serde(default)]
    pub min_age: u32,
    /// If not empty, the reason suits only targets whose category path holds one of these labels.
    #[serde(default)]
    pub categories: Vec<String>,
    /// The reason never suits targets whose category path holds one of these labels.
    #[serde(default)]
    pub not_categories: Vec<String>,
}

/// An occasion of a reason: its text, or its text with the ages it suits (`{ text = "a school reunion", min_age =
/// 22 }`: a child has no school reunion).
#[derive(Debug, Clone)]
pub enum OccasionRow {
    /// Any age.
    Plain(String),
    /// Between `min_age` and `max_age` (inclusive; each optional).
    Aged {
        /// The occasion.
        text: String,
        /// Youngest persona it suits.
        min_age: u32,
        /// Oldest persona it suits.
        max_age: u32,
    },
}

fn no_max_age() -> u32 {
    u32::MAX
}

/// An occasion written as a table, as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgedRow {
    text: String,
    #[serde(default)]
    min_age: u32,
    #[serde(default = "no_max_age")]
    max_age: u32,
}

/// A string or a table, read by hand so that a wrong field of the table is named with its line (serde's untagged
/// enums only say that no form matched).
impl<'de> Deserialize<'de> for OccasionRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Row;
        impl<'de> serde::de::Visitor<'de> for Row {
            type Value = OccasionRow;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an occasion: a string, or a table with text, min_age and max_age")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OccasionRow, E> {
                Ok(OccasionRow::Plain(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<OccasionRow, A::Error> {
                let row = AgedRow::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(OccasionRow::Aged {
                    text: row.text,
                    min_age: row.min_age,
                    max_age: row.max_age,
                })
            }
        }
        d.deserialize_any(Row)
    }
}

impl OccasionRow {
    /// The occasion's text.
    pub fn text(&self) -> &str {
        match self {
            OccasionRow::Plain(t) | OccasionRow::Aged { text: t, .. } => t,
        }
    }

    /// Whether a persona of `age` can have this occasion.
    pub fn suits_age(&self, age: u32) -> bool {
        match self {
            OccasionRow::Plain(_) => true,
            OccasionRow::Aged {
                min_age, max_age, ..
            } => (*min_age..=*max_age).contains(&age),
        }
    }
}

impl ReasonRow {
    /// Whether the reason suits a target under `path`.
    pub fn suits_path(&self, path: &[String]) -> bool {
        let has = |labels: &[String]| {
            labels
                .iter()
                .any(|l| path.iter().any(|p| p.eq_ignore_ascii_case(l)))
        };
        (self.categories.is_empty() || has(&self.categories)) && !has(&self.not_categories)
    }
}

/// Who a gift is for.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// How the narrative names them (template).
    pub text: String,
    /// Their gender.
    pub gender: Gender,
    /// Adult, child or baby.
    pub kind: RecipientKind,
    /// The youngest shopper who buys for them: nobody under 18 has a wife, nobody under 20 a childhood friend.
    #[serde(default)]
    pub min_buyer_age: u32,
    /// One of the shopper's own generation (a brother, a best friend, a cousin): a child when the shopper is one.
    #[serde(default)]
    pub peer: bool,
}

impl Recipient {
    /// The recipient's age group when the shopper is `buyer_age`: a peer of a child is a child.
    pub fn kind_for(&self, buyer_age: u32) -> RecipientKind {
        if self.peer && buyer_age < CHILD_BELOW {
            RecipientKind::Child
        } else {
            self.kind
        }
    }
}

/// Ages below this are children's (the recipients' `child` kind: under 13).
pub const CHILD_BELOW: u32 = 13;

/// The age group of a gift recipient.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RecipientKind {
    /// Grown-up.
    Adult,
    /// Child (under 13).
    Child,
    /// Baby (under 3).
    Baby,
}

impl RecipientKind {
    /// A representative age, checked against the audience rules.
    pub fn age(self) -> u32 {
        match self {
            RecipientKind::Adult => 35,
            RecipientKind::Child => 8,
            RecipientKind::Baby => 1,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NarrativeFile {
    pub(super) intros: Vec<String>,
    pub(super) details: Vec<String>,
    /// A persona younger than this is a child: its intro and details come from the child lists (0: none is).
    #[serde(default)]
    pub(super) child_below: u32,
    #[serde(default)]
    pub(super) child_intros: Vec<String>,
    #[serde(default)]
    pub(super) child_details: Vec<String>,
    pub(super) needs: Vec<String>,
    pub(super) closings: Vec<String>,
    pub(super) generic_needs: Vec<GenericNeed>,
}

/// A rule naming the generic need for targets whose path holds one of the keywords.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct GenericNeed {
    /// Path labels; empty matches anything.
    pub keywords: Vec<String>,
    /// Phrases.
    pub phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequirementsFile {
    pub(super) feature_weight: f64,
    pub(super) feature_max_chars: usize,
    pub(super) feature_phrases: Vec<String>,
    pub(super) attributes: Vec<RequirementAttribute>,
}

/// A target attribute that can become a requirement.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct RequirementAttribute {
    /// Requirement key.
    pub key: String,
    /// Detail labels it is read from.
    pub labels: Vec<String>,
    /// Weight.
    pub weight: f64,
    /// Phrase templates.
    pub phrases: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RulesFile {
    pub(super) audience: Vec<AudienceRule>,
}

/// A gender or age restriction for targets matching the keywords.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct AudienceRule {
    /// Path labels or title words.
    pub keywords: Vec<String>,
    /// Genders allowed; absent means any.
    #[serde(default)]
    pub genders: Option<Vec<Gender>>,
    /// Youngest allowed.
    #[serde(default)]
    pub min_age: Option<u32>,
    /// Oldest allowed.
    #[serde(default)]
    pub max_age: Option<u32>,
    /// The youngest shopper who buys it at all, for themself or as a gift (a child buys no rug for anyone).
    #[serde(default)]
    pub buyer_min_age: Option<u32>,
}
