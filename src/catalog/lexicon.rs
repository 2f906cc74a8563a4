//! The catalog's lexicon: for each category its head noun (singular, plural, how it is counted), for each attribute
//! value its grammatical form (colour adjective, material noun, size with its system, brand name, measure,
//! descriptor), and for each short feature whether it is a noun phrase ("a padded collar") or a clause ("includes a
//! case"). Derived by rules (`catalog/lexicon.toml`) when the catalog is indexed and stored with the index, so the
//! offline agents word values from data, not by guessing at each turn.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::data::{self, DataFile};
use crate::model::Item;
use crate::{Error, Result};

/// The embedded rules file.
pub const LEXICON_RULES: &str = include_str!("../../catalog/lexicon.toml");

/// The `meta` key under which the index stores its lexicon (JSON).
pub const META_KEY: &str = "lexicon";

/// Features longer than this are never spoken by the offline agents, so the lexicon leaves them out.
const FEATURE_MAX_CHARS: usize = 80;

/// The key of a category path in [`Lexicon::nouns`]: its segments joined with " > ".
pub fn noun_key(path: &[String]) -> String {
    path.iter()
        .map(|s| s.trim())
        .collect::<Vec<_>>()
        .join(" > ")
}

/// How a head noun is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// "a scarf", "scarves", "it is".
    Countable,
    /// Bought in pairs: "a pair of sneakers", "the sneakers", "they are".
    Pair,
    /// Plural in form, one thing: "a pair of jeans", "the jeans", "they are".
    PluralOnly,
    /// No plural, no article: "eyewear".
    Mass,
}

/// A category's head noun.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Noun {
    /// "scarf", "road running shoe", "self-help book".
    pub singular: String,
    /// "scarves", "road running shoes", "self-help books".
    pub plural: String,
    /// How it is counted.
    pub count: Count,
}

impl Noun {
    /// One of them, with its article: "a scarf", "a pair of sneakers", "an ebook reader", "eyewear".
    pub fn indefinite(&self) -> String {
        match self.count {
            Count::Countable => with_article(&self.singular),
            Count::Pair | Count::PluralOnly => format!("a pair of {}", self.plural),
            Count::Mass => self.plural.clone(),
        }
    }

    /// The one in question: "the scarf", "the sneakers".
    pub fn definite(&self) -> String {
        format!("the {}", self.referring())
    }

    /// The noun a speaker refers to one item with: singular, or the plural of pairs and plural-only nouns.
    pub fn referring(&self) -> &str {
        match self.count {
            Count::Countable => &self.singular,
            _ => &self.plural,
        }
    }

    /// Whether one item takes plural agreement ("they are").
    pub fn is_plural(&self) -> bool {
        matches!(self.count, Count::Pair | Count::PluralOnly)
    }
}

/// The grammatical kind of an attribute's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// An adjective before the noun: "black", "black and white".
    Colour,
    /// A noun used before the noun or after "made of": "leather".
    Material,
    /// A size with its system: "US 9" ("a US 9"), "M" ("a medium"), "6" ("size 6").
    Size,
    /// A brand: a proper name with its capitals.
    Brand,
    /// A person's name (author).
    Name,
    /// A quantity with its unit: "3 inches", "40 hours".
    Measure,
    /// A word describing the attribute: "lace-up" ("a lace-up closure").
    Descriptor,
    /// A value that is itself a countable noun: "an urban fantasy".
    Noun,
    /// A care instruction: "machine wash cold".
    Care,
    /// A language a book or a product is in: "Spanish" ("in Spanish", never "a Spanish language").
    Language,
}

/// How one attribute value is worded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueForm {
    /// Its kind.
    pub kind: ValueKind,
    /// As written in running text ("black", "US 9", "Maplecrest", "lace-up", "3 inches").
    pub word: String,
    /// As a noun phrase, where it has one ("a US 9", "a medium", "size 6", "a lace-up closure", "an urban
    /// fantasy", "Maplecrest").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub np: Option<String>,
    /// Whether the word names a thing ("Stud", "Money Clip", "Cami & Shorts" of a style) rather than describing
    /// one ("Bohemian"), so it is never said where an adjective goes ("something stud", "too hoop").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub noun: bool,
    /// Whether a size is the item's own, not its wearer's (a bed's "Queen", a rug's "5 x 8 ft"), so it is never
    /// said of the shopper ("I'm queen size").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub of_item: bool,
}

impl ValueForm {
    /// A value's form that is neither a noun used as a style nor an item's own size ([`ValueForm::noun`] and
    /// [`ValueForm::of_item`] false).
    pub fn new(kind: ValueKind, word: impl Into<String>, np: Option<String>) -> Self {
        ValueForm {
            kind,
            word: word.into(),
            np,
            noun: false,
            of_item: false,
        }
    }

    /// Whether the word reads as an adjective ("something black", "a bit too bohemian"): a colour, a material or a
    /// descriptor that does not name a thing.
    pub fn is_adjective(&self) -> bool {
        matches!(
            self.kind,
            ValueKind::Colour | ValueKind::Material | ValueKind::Descriptor
        ) && !self.noun
    }
}

/// How a feature is worded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "form")]
pub enum FeatureForm {
    /// A noun phrase with its article ("a padded collar and tongue", "flexible grooves in the outsole").
    Noun {
        /// The phrase.
        np: String,
    },
    /// A clause: an optional subject ("responsive foam midsole"; none when the item is the subject, as in
    /// "includes a case"), its verb in the third person singular ("returns", "includes") and the rest.
    Clause {
        /// The subject without article, when the feature names a part of the item.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
        /// The verb as written (third person).
        verb: String,
        /// What follows the verb.
        rest: String,
    },
}

impl FeatureForm {
    /// The feature said of the item: "it has a padded collar", "they include a case", "its sole resists slips".
    pub fn clause(&self, plural_item: bool) -> String {
        let (pronoun, possessive) = if plural_item {
            ("they", "their")
        } else {
            ("it", "its")
        };
        match self {
            FeatureForm::Noun { np } => {
                format!(
                    "{pronoun} {} {np}",
                    if plural_item { "have" } else { "has" }
                )
            }
            FeatureForm::Clause {
                subject: Some(s),
                verb,
                rest,
            } => join3(&format!("{possessive} {s}"), verb, rest),
            FeatureForm::Clause {
                subject: None,
                verb,
                rest,
            } => {
                if !plural_item {
                    return join3(pronoun, verb, rest);
                }
                // The item is its subject: "they hold their shape", not "they hold its shape".
                let rest = rest
                    .split(' ')
                    .map(|w| match w {
                        "its" => "their",
                        "itself" => "themselves",
                        w => w,
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                join3(pronoun, &base_form(verb), &rest)
            }
        }
    }

    /// The feature after "one": "with a padded collar", "that includes a case", "whose sole resists slips".
    pub fn relative(&self) -> String {
        match self {
            FeatureForm::Noun { np } => format!("with {np}"),
            FeatureForm::Clause {
                subject: Some(s),
                verb,
                rest,
            } => join3(&format!("whose {s}"), verb, rest),
            FeatureForm::Clause {
                subject: None,
                verb,
                rest,
            } => join3("that", verb, rest),
        }
    }

    /// The noun phrase, for a noun-phrase feature.
    pub fn noun_phrase(&self) -> Option<&str> {
        match self {
            FeatureForm::Noun { np } => Some(np),
            FeatureForm::Clause { .. } => None,
        }
    }
}

fn join3(a: &str, b: &str, c: &str) -> String {
    if c.is_empty() {
        format!("{a} {b}")
    } else {
        format!("{a} {b} {c}")
    }
}

/// The lexicon of one catalog.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lexicon {
    /// Head noun per category path ([`noun_key`]: `A > B > C`).
    pub nouns: BTreeMap<String, Noun>,
    /// Value forms per detail label (lowercase), then per value (lowercase).
    pub values: BTreeMap<String, BTreeMap<String, ValueForm>>,
    /// Forms of the features short enough to be spoken, per feature (lowercase).
    pub features: BTreeMap<String, FeatureForm>,
}

impl Lexicon {
    /// The lexicon as stored in the index.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::Run(format!("lexicon: {e}")))
    }

    /// A stored lexicon.
    pub fn from_json(json: &str) -> Result<Self> {
        serde_json::from_str(json).map_err(|e| Error::Run(format!("stored lexicon: {e}")))
    }

    /// The form of `value` of the detail `label` (any case).
    pub fn value(&self, label: &str, value: &str) -> Option<&ValueForm> {
        self.values
            .get(&label.to_lowercase())?
            .get(&value.trim().to_lowercase())
    }

    /// The form of a feature (any case).
    pub fn feature(&self, feature: &str) -> Option<&FeatureForm> {
        self.features.get(&feature.trim().to_lowercase())
    }

    /// The head noun of the category `path` (root first).
    pub fn noun(&self, path: &[String]) -> Option<&Noun> {
        self.nouns.get(&noun_key(path))
    }
}

/// Builds a lexicon item by item.
pub struct LexiconBuilder {
    rules: Rules,
    lexicon: Lexicon,
}

impl LexiconBuilder {
    /// A builder with the embedded rules.
    pub fn new() -> Result<Self> {
        Ok(LexiconBuilder {
            rules: Rules::embedded()?,
            lexicon: Lexicon::default(),
        })
    }

    /// Add the words of one item.
    pub fn add(&mut self, item: &Item) {
        let key = noun_key(&item.categories);
        if !self.lexicon.nouns.contains_key(&key) && !item.categories.is_empty() {
            let noun = self.rules.noun(&item.categories);
            self.lexicon.nouns.insert(key, noun);
        }
        for (label, value) in &item.details {
            let label = label.trim().to_lowercase();
            let lower = value.trim().to_lowercase();
            if lower.is_empty() {
                continue;
            }
            let by_label = self.lexicon.values.entry(label.clone()).or_default();
            by_label
                .entry(lower)
                .or_insert_with(|| self.rules.value(&label, value));
        }
        for f in &item.features {
            let lower = f.trim().to_lowercase();
            if lower.chars().count() > FEATURE_MAX_CHARS || lower.len() < 3 {
                continue;
            }
            if !self.lexicon.features.contains_key(&lower) {
                let form = self.rules.feature(f);
                self.lexicon.features.insert(lower, form);
            }
        }
    }

    /// The lexicon built.
    pub fn finish(self) -> Lexicon {
        self.lexicon
    }
}

mod rules;
mod words;

pub use rules::Rules;
pub use words::{article, base_form, with_article};

#[cfg(test)]
mod tests;
