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
                let verb = if plural_item {
                    base_form(verb)
                } else {
                    verb.clone()
                };
                join3(pronoun, &verb, rest)
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default)]
    nouns: BTreeMap<String, NounOverride>,
    words: WordsFile,
    #[serde(default)]
    labels: BTreeMap<String, ValueKindName>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NounOverride {
    singular: String,
    plural: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsFile {
    plural_only: Vec<String>,
    pairs: Vec<String>,
    mass: Vec<String>,
    irregular: BTreeMap<String, String>,
    proper: Vec<String>,
    verbs: Vec<String>,
    letter_sizes: BTreeMap<String, String>,
    size_words: Vec<String>,
    size_systems: Vec<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum ValueKindName {
    Colour,
    Material,
    Size,
    Brand,
    Name,
    Measure,
    Descriptor,
    Noun,
    Care,
}

impl From<ValueKindName> for ValueKind {
    fn from(k: ValueKindName) -> Self {
        match k {
            ValueKindName::Colour => ValueKind::Colour,
            ValueKindName::Material => ValueKind::Material,
            ValueKindName::Size => ValueKind::Size,
            ValueKindName::Brand => ValueKind::Brand,
            ValueKindName::Name => ValueKind::Name,
            ValueKindName::Measure => ValueKind::Measure,
            ValueKindName::Descriptor => ValueKind::Descriptor,
            ValueKindName::Noun => ValueKind::Noun,
            ValueKindName::Care => ValueKind::Care,
        }
    }
}

/// The rules of `catalog/lexicon.toml`, ready to apply.
pub struct Rules {
    nouns: BTreeMap<String, NounOverride>,
    labels: BTreeMap<String, ValueKind>,
    plural_only: BTreeSet<String>,
    pairs: BTreeSet<String>,
    mass: BTreeSet<String>,
    irregular: BTreeMap<String, String>,
    /// Lowercase → as written.
    proper: BTreeMap<String, String>,
    verbs: BTreeSet<String>,
    letter_sizes: BTreeMap<String, String>,
    size_words: BTreeSet<String>,
    size_systems: Vec<String>,
}

/// Words that end a feature's head noun phrase.
const BOUNDARIES: [&str; 14] = [
    "for", "with", "in", "at", "on", "to", "of", "from", "that", "which", "and", "or", "+", "&",
];

impl Rules {
    /// The embedded rules.
    pub fn embedded() -> Result<Self> {
        let file = DataFile {
            file_name: "lexicon.toml".into(),
            origin: "embedded:catalog/lexicon.toml".into(),
            text: LEXICON_RULES.to_string(),
        };
        let raw: RulesFile = data::parse(&file)?;
        let lower = |v: Vec<String>| v.into_iter().map(|w| w.to_lowercase()).collect();
        let w = raw.words;
        Ok(Rules {
            nouns: raw
                .nouns
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v))
                .collect(),
            labels: raw
                .labels
                .into_iter()
                .map(|(k, v)| (k.to_lowercase(), v.into()))
                .collect(),
            plural_only: lower(w.plural_only),
            pairs: lower(w.pairs),
            mass: lower(w.mass),
            irregular: w.irregular,
            proper: w
                .proper
                .into_iter()
                .map(|p| (p.to_lowercase(), p))
                .collect(),
            verbs: lower(w.verbs),
            letter_sizes: w.letter_sizes,
            size_words: lower(w.size_words),
            size_systems: w.size_systems,
        })
    }

    /// A word as written in running text: proper words and acronyms with their capitals, others lowercase.
    fn case_word(&self, word: &str) -> String {
        let lower = word.to_lowercase();
        let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some(p) = self.proper.get(trimmed) {
            return lower.replace(trimmed, p);
        }
        let upper = word.chars().filter(|c| c.is_uppercase()).count();
        let lowers = word.chars().filter(|c| c.is_lowercase()).count();
        let inner_capital = word
            .chars()
            .zip(word.chars().skip(1))
            .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
        if (upper >= 2 && lowers == 0) || inner_capital {
            word.to_string()
        } else {
            lower
        }
    }

    fn case_phrase(&self, phrase: &str) -> String {
        phrase
            .split_whitespace()
            .map(|w| self.case_word(w))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether a phrase (lowercase) ends in a noun that names things: a plural, a plural-only or a mass noun.
    fn is_noun(&self, phrase: &str) -> bool {
        let last = last_word(phrase);
        self.plural_only.contains(last)
            || self.pairs.contains(last)
            || self.mass.contains(last)
            || self.irregular.contains_key(last)
            || looks_plural(last)
    }

    fn count_of(&self, last: &str) -> Count {
        if self.pairs.contains(last) {
            Count::Pair
        } else if self.plural_only.contains(last) {
            Count::PluralOnly
        } else if self.mass.contains(last) {
            Count::Mass
        } else {
            Count::Countable
        }
    }

    /// The singular of a plural noun phrase (its last word).
    fn singular(&self, plural: &str) -> String {
        let (head, last) = split_last(plural);
        let lower = last.to_lowercase();
        let one = if let Some(s) = self.irregular.get(&lower) {
            s.clone()
        } else if self.plural_only.contains(&lower) || self.mass.contains(&lower) {
            last.to_string()
        } else {
            singularize(last)
        };
        format!("{head}{one}")
    }

    /// The plural of a singular noun phrase (its last word).
    fn plural(&self, singular: &str) -> String {
        let (head, last) = split_last(singular);
        let lower = last.to_lowercase();
        if let Some((plural, _)) = self.irregular.iter().find(|(_, s)| **s == lower) {
            return format!("{head}{plural}");
        }
        if self.mass.contains(&lower) || self.plural_only.contains(&lower) {
            return singular.to_string();
        }
        format!("{head}{}", pluralize(last))
    }

    fn noun_from_plural(&self, plural: &str) -> Noun {
        let plural = self.case_phrase(plural);
        let count = self.count_of(&last_word(&plural).to_lowercase());
        let singular = match count {
            Count::Mass | Count::PluralOnly => plural.clone(),
            _ => self.singular(&plural),
        };
        Noun {
            singular,
            plural,
            count,
        }
    }

    /// The noun naming items of a category segment (lowercase), if the segment names things.
    fn head_of(&self, segment: &str) -> Option<String> {
        let conjuncts: Vec<&str> = segment
            .split(['&', ','])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let first = *conjuncts.first()?;
        if self.is_noun(first) {
            return Some(first.to_string());
        }
        // "sheet & pillowcase sets" → "sheet sets", "activity & fitness trackers" → "activity trackers".
        let last = *conjuncts.last()?;
        if conjuncts.len() > 1 && last.contains(' ') && self.is_noun(last) {
            return Some(format!("{first} {}", last_word(last)));
        }
        None
    }

    /// The head noun of the category `path` (root first).
    pub fn noun(&self, path: &[String]) -> Noun {
        let lowered: Vec<String> = path.iter().map(|s| s.trim().to_lowercase()).collect();
        let leaf = lowered.last().cloned().unwrap_or_default();
        if let Some(o) = self.nouns.get(&leaf) {
            let singular = self.case_phrase(&o.singular);
            let plural = o.plural.clone().unwrap_or_else(|| self.plural(&singular));
            let count = self.count_of(&last_word(&plural).to_lowercase());
            return Noun {
                singular,
                plural,
                count,
            };
        }
        if let Some(head) = self.head_of(&leaf) {
            return self.noun_from_plural(&restore_case(&head, path.last()));
        }
        // An adjective-like leaf ("road running", "casual", "ankle & bootie") qualifies the nearest ancestor
        // that names things ("shoes", "dresses", "boots").
        let modifier = leaf
            .split(['&', ','])
            .map(str::trim)
            .next()
            .unwrap_or(&leaf)
            .to_string();
        for segment in lowered.iter().rev().skip(1) {
            if let Some(head) = self.head_of(segment) {
                let phrase = format!("{modifier} {}", last_word(&head));
                return self.noun_from_plural(&phrase);
            }
        }
        let singular = self.case_phrase(&modifier);
        Noun {
            plural: self.plural(&singular),
            singular,
            count: Count::Countable,
        }
    }

    fn kind_of(&self, label: &str, value: &str) -> ValueKind {
        if let Some(k) = self.labels.get(label) {
            return *k;
        }
        if label.contains("color") || label.contains("colour") {
            ValueKind::Colour
        } else if label.contains("material") || label.contains("fabric") || label == "upper" {
            ValueKind::Material
        } else if label.contains("brand") || label.contains("manufacturer") {
            ValueKind::Brand
        } else if label == "size" {
            ValueKind::Size
        } else if label.contains("author") {
            ValueKind::Name
        } else if value.trim().starts_with(|c: char| c.is_ascii_digit()) {
            ValueKind::Measure
        } else {
            ValueKind::Descriptor
        }
    }

    /// The form of `value` of detail `label` (lowercase).
    pub fn value(&self, label: &str, value: &str) -> ValueForm {
        let value = value.trim();
        let kind = self.kind_of(label, value);
        match kind {
            ValueKind::Brand | ValueKind::Name => ValueForm {
                kind,
                word: value.to_string(),
                np: Some(value.to_string()),
            },
            ValueKind::Colour => ValueForm {
                kind,
                word: self.case_phrase(&value.replace(" / ", "/").replace('/', " and ")),
                np: None,
            },
            ValueKind::Material | ValueKind::Care => ValueForm {
                kind,
                word: self.case_phrase(value),
                np: None,
            },
            ValueKind::Measure => ValueForm {
                kind,
                word: measure(&self.case_phrase(value)),
                np: None,
            },
            ValueKind::Size => self.size(value),
            ValueKind::Noun => {
                let word = self.case_phrase(value);
                ValueForm {
                    kind,
                    np: Some(with_article(&word)),
                    word,
                }
            }
            ValueKind::Descriptor => {
                let word = self.case_phrase(value);
                let head = last_word(label);
                let lower = word.to_lowercase();
                let names_itself = lower
                    .split([' ', '-'])
                    .any(|w| label.split(' ').any(|l| l == w));
                // "Bohemian" style, "Sleeveless" sleeve length: an adjective of the item, with no noun phrase
                // ("a bohemian" is not English); said as "something bohemian".
                if !names_itself && matches!(head, "style" | "type" | "design" | "shape" | "length")
                {
                    return ValueForm {
                        kind,
                        word,
                        np: None,
                    };
                }
                let phrase = if names_itself || label.is_empty() {
                    word.clone()
                } else {
                    format!("{word} {label}")
                };
                let np = if looks_plural(last_word(&lower)) {
                    word.clone()
                } else if looks_plural(last_word(&phrase)) {
                    phrase
                } else {
                    with_article(&phrase)
                };
                ValueForm {
                    kind,
                    word,
                    np: Some(np),
                }
            }
        }
    }

    fn size(&self, value: &str) -> ValueForm {
        let lower = value.to_lowercase();
        let kind = ValueKind::Size;
        if let Some(said) = self.letter_sizes.get(&lower) {
            return ValueForm {
                kind,
                word: value.to_string(),
                np: Some(with_article(said)),
            };
        }
        if lower == "one size" {
            return ValueForm {
                kind,
                word: "one size".into(),
                np: Some("one size".into()),
            };
        }
        if let Some(n) = lower.strip_suffix("xl")
            && n.chars().all(|c| c.is_ascii_digit())
            && !n.is_empty()
        {
            return ValueForm {
                kind,
                word: value.to_uppercase(),
                np: Some(with_article(&value.to_uppercase())),
            };
        }
        if self.size_words.contains(&lower) {
            let word = self.case_phrase(value);
            return ValueForm {
                kind,
                np: Some(format!("{word} size")),
                word,
            };
        }
        let mut words = value.split_whitespace();
        if let (Some(system), Some(number)) = (words.next(), words.next())
            && words.next().is_none()
            && self
                .size_systems
                .iter()
                .any(|s| s.eq_ignore_ascii_case(system))
            && number.starts_with(|c: char| c.is_ascii_digit())
        {
            let word = format!("{} {number}", system.to_uppercase());
            return ValueForm {
                kind,
                np: Some(with_article(&word)),
                word,
            };
        }
        if lower.starts_with(|c: char| c.is_ascii_digit()) && !lower.contains(" x ") {
            return ValueForm {
                kind,
                word: value.to_string(),
                np: Some(format!("size {}", self.case_phrase(value))),
            };
        }
        if lower.contains(" x ") {
            let word = measure(&self.case_phrase(value));
            return ValueForm {
                kind,
                np: Some(word.clone()),
                word,
            };
        }
        let word = self.case_phrase(value);
        ValueForm {
            kind,
            np: Some(format!("size {word}")),
            word,
        }
    }

    /// The form of a feature as written in the catalog.
    pub fn feature(&self, feature: &str) -> FeatureForm {
        let text = feature.trim().trim_end_matches(['.', ';', '!']).trim();
        let words: Vec<&str> = text.split_whitespace().collect();
        let cased: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                if i == 0 {
                    self.case_word(w)
                } else {
                    let lower = w.to_lowercase();
                    match self
                        .proper
                        .get(lower.trim_matches(|c: char| !c.is_alphanumeric()))
                    {
                        Some(p) => lower.replace(&p.to_lowercase(), p),
                        None => (*w).to_string(),
                    }
                }
            })
            .collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
        let rest = |from: usize| cased[from..].join(" ");
        if let Some(first) = lower.first()
            && self.verbs.contains(first.as_str())
        {
            return FeatureForm::Clause {
                subject: None,
                verb: first.clone(),
                rest: rest(1),
            };
        }
        // "Responsive foam midsole returns energy …": a subject (no preposition in it) and a verb.
        for i in 1..lower.len().min(7) {
            if BOUNDARIES.contains(&lower[i - 1].as_str())
                || BOUNDARIES.contains(&lower[i].as_str())
            {
                break;
            }
            if self.verbs.contains(lower[i].as_str()) {
                let mut subject: Vec<String> = cased[..i].to_vec();
                if matches!(lower[0].as_str(), "a" | "an" | "the") {
                    subject.remove(0);
                }
                if let Some(first) = subject.first_mut() {
                    *first = self.case_word(first);
                }
                return FeatureForm::Clause {
                    subject: Some(subject.join(" ")),
                    verb: lower[i].clone(),
                    rest: rest(i + 1),
                };
            }
        }
        // Adjectival features ("Machine washable", "Nickel-free and hypoallergenic") are said with "is".
        let head_at = lower
            .iter()
            .position(|w| BOUNDARIES.contains(&w.as_str()))
            .unwrap_or(lower.len())
            .max(1);
        if lower.len() <= 5 && lower.get(head_at - 1).is_some_and(|w| is_adjective(w)) {
            return FeatureForm::Clause {
                subject: None,
                verb: "is".into(),
                rest: rest(0),
            };
        }
        let phrase = rest(0);
        let head = lower[head_at - 1].trim_matches(|c: char| !c.is_alphanumeric());
        let first = lower.first().map(String::as_str).unwrap_or("");
        let np = if matches!(first, "a" | "an" | "the") {
            with_article(&rest(1))
        } else if looks_plural(head)
            || self.mass.contains(head)
            || self.plural_only.contains(head)
            || is_uncountable_suffix(head)
            || starts_with_plural_number(first)
        {
            phrase
        } else {
            with_article(&phrase)
        };
        FeatureForm::Noun { np }
    }
}

/// The case of a noun phrase as written in the catalog's segment, where the catalog wrote it in lowercase words
/// already matched (keeps "eBook" and "USB" as written).
fn restore_case(lower: &str, written: Option<&String>) -> String {
    let Some(written) = written else {
        return lower.to_string();
    };
    lower
        .split_whitespace()
        .map(|w| {
            written
                .split(|c: char| c.is_whitespace() || c == '&' || c == ',')
                .find(|x| x.to_lowercase() == w)
                .map_or_else(|| w.to_string(), str::to_string)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn last_word(phrase: &str) -> &str {
    phrase.rsplit(' ').next().unwrap_or(phrase)
}

/// (everything up to and including the last space, the last word).
fn split_last(phrase: &str) -> (&str, &str) {
    match phrase.rfind(' ') {
        Some(at) => (&phrase[..=at], &phrase[at + 1..]),
        None => ("", phrase),
    }
}

fn looks_plural(word: &str) -> bool {
    let w = word.to_lowercase();
    w.len() > 3
        && w.ends_with('s')
        && !w.ends_with("ss")
        && !w.ends_with("us")
        && !w.ends_with("is")
        && !w.ends_with("'s")
}

fn is_uncountable_suffix(word: &str) -> bool {
    ["ion", "ing", "ness", "ity", "wear", "ware"]
        .iter()
        .any(|s| word.ends_with(s) && word.len() > s.len() + 2)
}

fn is_adjective(word: &str) -> bool {
    [
        "able",
        "ible",
        "proof",
        "resistant",
        "free",
        "friendly",
        "ready",
        "safe",
    ]
    .iter()
    .any(|s| word.ends_with(s))
}

fn starts_with_plural_number(word: &str) -> bool {
    matches!(
        word,
        "two" | "three" | "four" | "five" | "six" | "dual" | "multiple" | "double" | "twin"
    ) || (word.starts_with(|c: char| c.is_ascii_digit())
        && word.parse::<f64>().is_ok_and(|n| n != 1.0))
}

fn singularize(word: &str) -> String {
    let lower = word.to_lowercase();
    if let Some(stem) = word.strip_suffix("ies").filter(|_| lower.len() > 4) {
        format!("{stem}y")
    } else if ["ches", "shes", "sses", "xes", "zes"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        word[..word.len() - 2].to_string()
    } else if looks_plural(word) {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

fn pluralize(word: &str) -> String {
    let lower = word.to_lowercase();
    let consonant_y = lower.ends_with('y')
        && !lower.ends_with("ay")
        && !lower.ends_with("ey")
        && !lower.ends_with("oy")
        && !lower.ends_with("uy");
    if consonant_y {
        format!("{}ies", &word[..word.len() - 1])
    } else if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|s| lower.ends_with(s))
    {
        format!("{word}es")
    } else {
        format!("{word}s")
    }
}

/// The base form of a third-person verb: "includes" → "include", "has" → "have", "carries" → "carry".
pub fn base_form(verb: &str) -> String {
    match verb {
        "is" => "are".into(),
        "has" => "have".into(),
        "does" => "do".into(),
        "goes" => "go".into(),
        "can" | "will" => verb.into(),
        _ => {
            if let Some(stem) = verb.strip_suffix("ies") {
                format!("{stem}y")
            } else if ["ches", "shes", "sses", "xes", "zes"]
                .iter()
                .any(|s| verb.ends_with(s))
            {
                verb[..verb.len() - 2].to_string()
            } else if let Some(stem) = verb.strip_suffix('s').filter(|_| !verb.ends_with("ss")) {
                stem.to_string()
            } else {
                verb.to_string()
            }
        }
    }
}

/// A measure's units read as words: "3 inch" → "3 inches".
fn measure(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let after_number =
            i > 0 && words[i - 1] != "1" && words[i - 1].starts_with(|c: char| c.is_ascii_digit());
        out.push(match *w {
            "inch" if after_number => "inches".into(),
            "foot" if after_number => "feet".into(),
            "hour" if after_number => "hours".into(),
            other => other.to_string(),
        });
    }
    out.join(" ")
}

/// "a" or "an" for the sound that starts `word` (letters of acronyms, digits, silent h, "one", "uni-" …).
pub fn article(word: &str) -> &'static str {
    let first: String = word
        .split([' ', '-', '/'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect();
    let lower = first.to_lowercase();
    let Some(c) = lower.chars().next() else {
        return "a";
    };
    if c.is_ascii_digit() {
        // "an 8", "an 11", "an 18", "an 80"; "a 1", "a 3".
        let digits: String = lower.chars().take_while(char::is_ascii_digit).collect();
        let an = digits.starts_with('8')
            || ((digits.len() == 2 || digits.len() == 5) && digits.starts_with("11"))
            || ((digits.len() == 2 || digits.len() == 5) && digits.starts_with("18"));
        return if an { "an" } else { "a" };
    }
    let is_acronym = first.len() > 1
        && first
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if is_acronym || first.len() == 1 && first.chars().all(|c| c.is_ascii_uppercase()) {
        return if "aefhilmnorsx".contains(c) {
            "an"
        } else {
            "a"
        };
    }
    const CONSONANT_SOUND: [&str; 12] = [
        "one", "once", "uni", "use", "usu", "uti", "eu", "ewe", "ure", "uro", "ubi", "ufo",
    ];
    const SILENT_H: [&str; 4] = ["hour", "honest", "honor", "heir"];
    if SILENT_H.iter().any(|p| lower.starts_with(p)) {
        return "an";
    }
    if CONSONANT_SOUND.iter().any(|p| lower.starts_with(p)) {
        return "a";
    }
    if "aeiou".contains(c) { "an" } else { "a" }
}

/// `phrase` with "a" or "an" before it.
pub fn with_article(phrase: &str) -> String {
    format!("{} {phrase}", article(phrase))
}

#[cfg(test)]
mod tests;
