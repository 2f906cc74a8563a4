//! The rules of `catalog/lexicon.toml` and how they word a catalog: head nouns of category paths, the forms of
//! attribute values, and whether a feature is a noun phrase or a clause.

use super::words::*;
use super::*;

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
    #[serde(default)]
    plural_verbs: Vec<String>,
    letter_sizes: BTreeMap<String, String>,
    size_words: Vec<String>,
    size_systems: Vec<String>,
    style_nouns: Vec<String>,
    countable_materials: Vec<String>,
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
    Language,
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
            ValueKindName::Language => ValueKind::Language,
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
    /// Verbs in their base form that are also nouns ("grip"): a verb only right after a plural ("lugs grip").
    plural_verbs: BTreeSet<String>,
    letter_sizes: BTreeMap<String, String>,
    size_words: BTreeSet<String>,
    size_systems: Vec<String>,
    /// Last words of style values that name a thing ("stud", "clip"): nouns, not adjectives.
    style_nouns: BTreeSet<String>,
    /// Last words of countable materials ("blend").
    countable_materials: BTreeSet<String>,
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
            plural_verbs: lower(w.plural_verbs),
            letter_sizes: w.letter_sizes,
            size_words: lower(w.size_words),
            size_systems: w.size_systems,
            style_nouns: lower(w.style_nouns),
            countable_materials: lower(w.countable_materials),
        })
    }

    /// A word as written in running text: proper words and acronyms with their capitals, others lowercase.
    fn case_word(&self, word: &str) -> String {
        let lower = word.to_lowercase();
        let trimmed = lower.trim_matches(|c: char| !c.is_alphanumeric());
        if let Some(p) = self.proper.get(trimmed) {
            return lower.replace(trimmed, p);
        }
        // Acronyms and units keep the catalog's capitals ("USB-C", "GHz", "mAh"): a capital inside a run of letters
        // and digits, not only at its start as in title case ("Full-Grain").
        let inner_capital = word
            .split(|c: char| !c.is_alphanumeric())
            .any(|run| run.chars().skip(1).any(char::is_uppercase));
        if inner_capital {
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
        } else if label.contains("language") {
            ValueKind::Language
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
            // A language is a proper name: "Spanish", "English".
            ValueKind::Language => ValueForm::new(kind, capitalised(value), None),
            ValueKind::Brand | ValueKind::Name => {
                ValueForm::new(kind, value, Some(value.to_string()))
            }
            ValueKind::Colour => ValueForm::new(
                kind,
                self.case_phrase(&value.replace(" / ", "/").replace('/', " and ")),
                None,
            ),
            ValueKind::Material | ValueKind::Care => {
                let word = self.case_phrase(value);
                // "made of a wool blend", "a tri-blend": a countable material has a noun phrase with its article.
                let head = last_word(&word)
                    .rsplit('-')
                    .next()
                    .unwrap_or("")
                    .to_lowercase();
                let np = (kind == ValueKind::Material && self.countable_materials.contains(&head))
                    .then(|| with_article(&word));
                ValueForm::new(kind, word, np)
            }
            ValueKind::Measure => ValueForm::new(kind, measure(&self.case_phrase(value)), None),
            ValueKind::Size => self.size(value),
            ValueKind::Noun => {
                let word = self.case_phrase(value);
                // A mass noun takes no article: "sword and sorcery", never "a sword and sorcery".
                let head = word.rsplit(' ').next().unwrap_or("").to_lowercase();
                let np = if self.mass.contains(head.as_str()) {
                    word.clone()
                } else {
                    with_article(&word)
                };
                ValueForm::new(kind, word, Some(np))
            }
            ValueKind::Descriptor => self.descriptor(label, value),
        }
    }

    /// The form of a descriptor: "a lace-up closure", "a slim fit"; a style that is an adjective of the item
    /// ("Bohemian") has no noun phrase, and one that names a thing ("Stud", "Money Clip", "Cami & Shorts") is a
    /// noun ("a stud style", "a cami & shorts style"), never said as an adjective.
    fn descriptor(&self, label: &str, value: &str) -> ValueForm {
        let kind = ValueKind::Descriptor;
        let word = self.case_phrase(value);
        let head = last_word(label);
        let lower = word.to_lowercase();
        let names_itself = lower
            .split([' ', '-'])
            .any(|w| label.split(' ').any(|l| l == w));
        let noun = {
            let last = last_word(&lower);
            self.style_nouns.contains(last)
                || self.pairs.contains(last)
                || self.plural_only.contains(last)
        };
        // "Bohemian" style, "Sleeveless" sleeve length: an adjective of the item, with no noun phrase
        // ("a bohemian" is not English); said as "something bohemian".
        let styled = matches!(head, "style" | "type" | "design" | "shape" | "length");
        if !noun && !names_itself && styled {
            return ValueForm::new(kind, word, None);
        }
        let phrase = if names_itself || label.is_empty() {
            word.clone()
        } else {
            format!("{word} {label}")
        };
        let np = if noun && styled && !names_itself {
            // "a cami & shorts style", as "a stud style": the value names what the item is in that style.
            with_article(&phrase)
        } else if looks_plural(last_word(&lower)) {
            word.clone()
        } else if looks_plural(last_word(&phrase))
            || self.mass.contains(&last_word(&phrase).to_lowercase())
        {
            // "Bluetooth 5.2 connectivity", not "a Bluetooth 5.2 connectivity".
            phrase
        } else {
            with_article(&phrase)
        };
        ValueForm {
            noun,
            ..ValueForm::new(kind, word, Some(np))
        }
    }

    fn size(&self, value: &str) -> ValueForm {
        let lower = value.to_lowercase();
        let kind = ValueKind::Size;
        if let Some(said) = self.letter_sizes.get(&lower) {
            return ValueForm::new(kind, value, Some(with_article(said)));
        }
        if lower == "one size" {
            return ValueForm::new(kind, "one size", Some("one size".into()));
        }
        if let Some(n) = lower.strip_suffix("xl")
            && n.chars().all(|c| c.is_ascii_digit())
            && !n.is_empty()
        {
            let word = value.to_uppercase();
            let np = with_article(&word);
            return ValueForm::new(kind, word, Some(np));
        }
        if self.size_words.contains(&lower) {
            let word = self.case_phrase(value);
            let np = format!("{word} size");
            return ValueForm {
                of_item: true,
                ..ValueForm::new(kind, word, Some(np))
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
            let np = with_article(&word);
            return ValueForm::new(kind, word, Some(np));
        }
        // A bracelet's "7.5 Inch": "a 7.5-inch size" (never "size 7.5 inch"), the item's length, not the wearer's.
        if let Some((number, unit)) = lower.split_once(' ')
            && number.starts_with(|c: char| c.is_ascii_digit())
            && matches!(unit, "inch" | "mm" | "cm")
        {
            let np = with_article(&format!("{number}-{unit} size"));
            return ValueForm {
                of_item: true,
                ..ValueForm::new(kind, measure(&lower), Some(np))
            };
        }
        if lower.starts_with(|c: char| c.is_ascii_digit()) && !lower.contains(" x ") {
            let np = format!("size {}", self.case_phrase(value));
            return ValueForm::new(kind, value, Some(np));
        }
        if is_waist_length(&lower) {
            // Trousers by waist and inside leg: "a 34W x 30L", as "a 34 by 30" is said.
            let word = lower.to_uppercase().replace(" X ", " x ");
            let np = with_article(&word);
            return ValueForm::new(kind, word, Some(np));
        }
        if lower.contains(" x ") {
            let word = measure(&self.case_phrase(value));
            return ValueForm {
                of_item: true,
                ..ValueForm::new(kind, word.clone(), Some(word))
            };
        }
        let word = self.case_phrase(value);
        let np = format!("size {word}");
        ValueForm::new(kind, word, Some(np))
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
            let after_plural = lower[i - 1].ends_with('s') && !lower[i - 1].ends_with("ss");
            // A verb is never followed by "of": "three layers of fleece" is a noun phrase.
            let before_of = lower.get(i + 1).is_some_and(|w| w == "of");
            if !before_of
                && (self.verbs.contains(lower[i].as_str())
                    || (after_plural && self.plural_verbs.contains(lower[i].as_str())))
            {
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
        // So are those that open with a participle and go straight on to a preposition ("Tested for harmful
        // substances", "Based on archival research"): "it's tested for …", never "a tested for …".
        let participle = head_at == 1 && lower.len() > 1 && is_participle(&lower[0]);
        // "Soft enough for movie nights", "Lightweight enough to wear while driving": an adjective with "enough".
        let enough = lower.len() > 2 && lower[1] == "enough";
        if participle
            || enough
            || (lower.len() <= 5 && lower.get(head_at - 1).is_some_and(|w| is_adjective(w)))
        {
            return FeatureForm::Clause {
                subject: None,
                verb: "is".into(),
                rest: rest(0),
            };
        }
        let phrase = rest(0);
        // "Side-seam pockets deep enough for a phone": the head is the noun before "<adjective> enough".
        let head_at = if head_at >= 3 && lower[head_at - 1] == "enough" {
            head_at - 2
        } else {
            head_at
        };
        let head = lower[head_at - 1].trim_matches(|c: char| !c.is_alphanumeric());
        let first = lower.first().map(String::as_str).unwrap_or("");
        let np = if matches!(first, "a" | "an" | "the") {
            with_article(&rest(1))
        } else if looks_plural(head)
            || self.mass.contains(head)
            || self.plural_only.contains(head)
            || is_uncountable_suffix(head)
            || starts_with_plural_number(first)
            || is_list_of_phrases(&lower)
        {
            phrase
        } else {
            with_article(&phrase)
        };
        FeatureForm::Noun { np }
    }
}
