//! The realiser of the offline agents: turns what a turn is about (an item's facts, a wish, a difference) into
//! grammatical English clauses from the catalog's lexicon — head nouns with their pronouns and agreement, values in
//! the slot of their form (a clause feature never after "with"), brands and sizes with their capitals, lists joined
//! once ("black leather, with a padded collar"). How values then reach a sentence (a template's fields, joined
//! lists, definite references, single stops) is `wording`'s concern; its items are re-exported here for callers.

use crate::catalog::lexicon::with_article;
use crate::catalog::sizes::LocalSizes;
use crate::catalog::{FeatureForm, MemoryCatalog, Noun, ValueForm, ValueKind};

pub use super::wording::{Wording, definite, list, list_into, single_stops};

/// One thing said about an item: an attribute's value or a feature.
#[derive(Debug, Clone)]
pub enum Fact {
    /// Attribute `key` ("color", "heel_height") has this value.
    Value(String, ValueForm),
    /// The item has this feature.
    Feature(FeatureForm),
}

impl Fact {
    /// The fact of item `i`'s value of `key`, if the item has one.
    pub fn of_item(cat: &MemoryCatalog, i: u32, key: &str) -> Option<Fact> {
        cat.form(i, key)
            .map(|f| Fact::Value(key.to_string(), f.clone()))
    }

    /// The fact of `value` (lowercase) of `key`, or of the feature `value` when `key` is "feature".
    pub fn of_value(cat: &MemoryCatalog, key: &str, value: &str) -> Option<Fact> {
        if key == "feature" {
            return Some(Fact::Feature(cat.feature_form(value)));
        }
        cat.value_form(key, value)
            .map(|f| Fact::Value(key.to_string(), f.clone()))
    }

    /// The fact of item `i`'s value of `key`, a size said in the shopper's system (`sizes`, by the item's chart).
    pub fn of_item_in(
        cat: &MemoryCatalog,
        sizes: LocalSizes<'_>,
        i: u32,
        key: &str,
    ) -> Option<Fact> {
        Fact::of_item(cat, i, key).map(|f| f.sized(|v| sizes.for_path(cat.path(i), v)))
    }

    /// This fact with a size value said as `local` gives it ("US 9" -> "UK 8", "a UK 8"); any other fact, or a size
    /// `local` does not convert, as it is.
    pub fn sized<'s>(self, local: impl FnOnce(&str) -> Option<&'s str>) -> Fact {
        match self {
            Fact::Value(key, f) if f.kind == ValueKind::Size => match local(&f.word) {
                Some(word) => Fact::Value(
                    key,
                    ValueForm::new(ValueKind::Size, word, Some(with_article(word))),
                ),
                None => Fact::Value(key, f),
            },
            other => other,
        }
    }
}

fn attribute_noun(key: &str) -> String {
    key.replace('_', " ")
}

/// Facts said of an item as one clause with its pronoun: "it's black leather, with a padded collar", "they come
/// in a US 9 and their sole resists slips", "it's an urban fantasy by Ada Moss".
pub fn describe(noun: &Noun, facts: &[Fact]) -> String {
    let plural = noun.is_plural();
    let (its, be, has, come) = if plural {
        ("their", "they're", "they have", "they come")
    } else {
        ("its", "it's", "it has", "it comes")
    };
    let mut colours: Vec<&str> = Vec::new();
    let mut materials: Vec<&str> = Vec::new();
    // The materials after "made of", countable ones with their article ("a wool blend").
    let mut made_of: Vec<&str> = Vec::new();
    let mut after: Vec<(&str, &str)> = Vec::new();
    let mut nouns: Vec<&str> = Vec::new();
    let mut with: Vec<&str> = Vec::new();
    let mut clauses: Vec<String> = Vec::new();
    for fact in facts {
        match fact {
            Fact::Value(key, f) => match f.kind {
                ValueKind::Colour => colours.push(&f.word),
                ValueKind::Material => {
                    materials.push(&f.word);
                    made_of.push(f.np.as_deref().unwrap_or(&f.word));
                }
                ValueKind::Brand => after.push(("from", &f.word)),
                ValueKind::Name => after.push(("by", &f.word)),
                ValueKind::Noun => nouns.push(f.np.as_deref().unwrap_or(&f.word)),
                ValueKind::Size => {
                    clauses.push(format!("{come} in {}", f.np.as_deref().unwrap_or(&f.word)))
                }
                ValueKind::Measure => {
                    clauses.push(format!("{its} {} is {}", attribute_noun(key), f.word))
                }
                ValueKind::Care => clauses.push(format!("{its} care label says {}", f.word)),
                ValueKind::Language => clauses.push(format!("{be} in {}", f.word)),
                ValueKind::Descriptor => match &f.np {
                    Some(np) => with.push(np),
                    None => clauses.push(format!("{its} {} is {}", attribute_noun(key), f.word)),
                },
            },
            Fact::Feature(form) => match form.noun_phrase() {
                Some(np) => with.push(np),
                None => clauses.push(form.clause(plural)),
            },
        }
    }
    // The first part: what it is ("it's black leather, a boot from Maplecrest, with a padded collar") or what it
    // has; then the clauses, all listed.
    let mut out = String::with_capacity(96);
    let premods = !colours.is_empty() || !materials.is_empty();
    if premods || !nouns.is_empty() || !after.is_empty() {
        out.push_str(be);
        out.push(' ');
        let start = out.len();
        if premods {
            if colours.is_empty() && after.is_empty() {
                out.push_str("made of ");
                list_into(&mut out, &made_of);
            } else if made_of.last() != materials.last() {
                // A countable material heads the phrase: "a white cotton-polyester blend".
                let premods: Vec<&str> = colours.iter().chain(&materials).copied().collect();
                out.push_str(&with_article(&premods.join(" ")));
            } else {
                for (k, w) in colours.iter().chain(&materials).enumerate() {
                    if k > 0 {
                        out.push(' ');
                    }
                    out.push_str(w);
                }
            }
        }
        if !nouns.is_empty() {
            if premods {
                out.push_str(", ");
            }
            list_into(&mut out, &nouns);
        }
        for (prep, word) in &after {
            if out.len() > start {
                out.push(' ');
            }
            out.push_str(prep);
            out.push(' ');
            out.push_str(word);
        }
        if !with.is_empty() {
            out.push_str(", with ");
            list_into(&mut out, &with);
        }
    } else if !with.is_empty() {
        out.push_str(has);
        out.push(' ');
        list_into(&mut out, &with);
    }
    let first = usize::from(!out.is_empty());
    let n = clauses.len() + first;
    for (k, clause) in (first..).zip(&clauses) {
        if k > 0 {
            out.push_str(if k + 1 == n { " and " } else { ", " });
        }
        out.push_str(clause);
    }
    out
}

/// What the shopper asked for, as the recommender restates it: "you'd prefer black leather from Maplecrest",
/// "you need a US 9", "you need one that includes a case".
pub fn wishes(facts: &[Fact]) -> Vec<String> {
    let mut premods = Vec::new();
    let mut after = Vec::new();
    let mut nps = Vec::new();
    let mut needs = Vec::new();
    for fact in facts {
        match fact {
            Fact::Value(key, f) => match f.kind {
                // Colours go before materials: "tan vegan leather".
                ValueKind::Colour => premods.insert(0, f.word.clone()),
                ValueKind::Material => premods.push(f.word.clone()),
                ValueKind::Brand => after.push(("from", f.word.clone())),
                ValueKind::Name => after.push(("by", f.word.clone())),
                ValueKind::Size => {
                    needs.push(f.np.clone().unwrap_or_else(|| format!("size {}", f.word)))
                }
                ValueKind::Noun | ValueKind::Descriptor => nps.push(
                    f.np.clone()
                        .unwrap_or_else(|| format!("something {}", f.word)),
                ),
                ValueKind::Measure => nps.push(format!(
                    "{} {} of {}",
                    crate::catalog::lexicon::article(&attribute_noun(key)),
                    attribute_noun(key),
                    f.word
                )),
                ValueKind::Care => nps.push(format!("one labelled {}", f.word)),
                ValueKind::Language => nps.push(format!("one in {}", f.word)),
            },
            Fact::Feature(form) => needs.push(match form.noun_phrase() {
                Some(np) => np.to_string(),
                None => format!("one {}", form.relative()),
            }),
        }
    }
    let mut out = Vec::new();
    let mut preferred = premods.join(" ");
    for (prep, word) in &after {
        if preferred.is_empty() {
            preferred = word.clone();
        } else {
            preferred = format!("{preferred} {prep} {word}");
        }
    }
    if !preferred.is_empty() {
        out.push(format!("you'd prefer {preferred}"));
    }
    if !nps.is_empty() {
        out.push(format!("you'd like {}", list(&nps)));
    }
    if !needs.is_empty() {
        out.push(format!("you need {}", list(&needs)));
    }
    out
}

/// A wish as the shopper states it, a phrase that reads after "Ideally" or a colon: "in black", "made of
/// leather", "in a US 9", "from Maplecrest", "with a lace-up closure", "an urban fantasy", "one that includes a
/// case". `variant` picks among the phrasings of a kind (two, three, four or six of them: a variant drawn below 12
/// picks each evenly).
pub fn requirement(key: &str, fact: &Fact, variant: usize) -> String {
    let pick = |options: &[String]| options[variant % options.len()].clone();
    match fact {
        Fact::Feature(form) => match form.noun_phrase() {
            Some(np) => pick(&[
                format!("with {np}"),
                format!("something with {np}"),
                np.to_string(),
                format!("one with {np}"),
            ]),
            None => pick(&[
                format!("one {}", form.relative()),
                format!("something {}", form.relative()),
            ]),
        },
        Fact::Value(_, f) => match f.kind {
            ValueKind::Colour => pick(&[
                format!("in {}", f.word),
                format!("something {}", f.word),
                format!("{} in colour", f.word),
                format!(
                    "{} {} one",
                    crate::catalog::lexicon::article(&f.word),
                    f.word
                ),
            ]),
            ValueKind::Material => {
                let np = f.np.as_deref().unwrap_or(&f.word);
                pick(&[
                    format!("made of {np}"),
                    format!("in {np}"),
                    format!("something in {np}"),
                    format!("one made of {np}"),
                ])
            }
            ValueKind::Size => {
                let np = f.np.clone().unwrap_or_else(|| format!("size {}", f.word));
                pick(&[format!("in {np}"), format!("available in {np}"), np])
            }
            ValueKind::Brand => pick(&[
                format!("from {}", f.word),
                format!("made by {}", f.word),
                format!("one from {}", f.word),
            ]),
            ValueKind::Name => pick(&[
                format!("by {}", f.word),
                format!("something by {}", f.word),
                format!("one by {}", f.word),
            ]),
            ValueKind::Noun => {
                let np = f.np.clone().unwrap_or_else(|| f.word.clone());
                pick(&[np.clone(), format!("something like {np}")])
            }
            ValueKind::Descriptor => match &f.np {
                Some(np) => pick(&[
                    format!("with {np}"),
                    format!("something with {np}"),
                    format!("one with {np}"),
                ]),
                None => pick(&[
                    format!("something {}", f.word),
                    format!("one that's {}", f.word),
                ]),
            },
            ValueKind::Measure => {
                let attr = attribute_noun(key);
                pick(&[
                    format!(
                        "with {} {attr} of {}",
                        crate::catalog::lexicon::article(&attr),
                        f.word
                    ),
                    format!(
                        "something with {} {attr} of {}",
                        crate::catalog::lexicon::article(&attr),
                        f.word
                    ),
                ])
            }
            ValueKind::Care => pick(&[format!("labelled {}", f.word)]),
            ValueKind::Language => pick(&[
                format!("in {}", f.word),
                format!("one in {}", f.word),
                format!("something in {}", f.word),
            ]),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::lexicon::Rules;

    fn value(label: &str, key: &str, v: &str) -> Fact {
        Fact::Value(key.into(), Rules::embedded().unwrap().value(label, v))
    }

    fn feature(text: &str) -> Fact {
        Fact::Feature(Rules::embedded().unwrap().feature(text))
    }

    fn noun(path: &[&str]) -> Noun {
        let p: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        Rules::embedded().unwrap().noun(&p)
    }

    #[test]
    fn descriptions_join_values_once_and_agree() {
        let sneakers = noun(&["Men", "Shoes", "Fashion Sneakers"]);
        let scarf = noun(&["Women", "Accessories", "Scarves & Wraps"]);
        let facts = [
            value("color", "color", "Black"),
            value("material", "material", "Leather"),
            feature("Padded collar and tongue"),
        ];
        assert_eq!(
            describe(&sneakers, &facts),
            "they're black leather, with a padded collar and tongue"
        );
        assert_eq!(
            describe(
                &scarf,
                &[
                    value("color", "color", "Ivory"),
                    value("care", "care", "Machine Wash Cold")
                ]
            ),
            "it's ivory and its care label says machine wash cold"
        );
        assert_eq!(
            describe(
                &scarf,
                &[
                    value("size", "size", "6"),
                    value("brand", "brand", "Maplecrest")
                ]
            ),
            "it's from Maplecrest and it comes in size 6"
        );
        assert_eq!(
            describe(
                &scarf,
                &[feature("Includes a protective case and cleaning cloth")]
            ),
            "it includes a protective case and cleaning cloth"
        );
    }

    #[test]
    fn a_blend_is_made_of_with_its_article() {
        let scarf = noun(&["Women", "Accessories", "Scarves & Wraps"]);
        let blend = value("material", "material", "Wool Blend");
        assert_eq!(
            describe(&scarf, std::slice::from_ref(&blend)),
            "it's made of a wool blend"
        );
        assert_eq!(requirement("material", &blend, 0), "made of a wool blend");
        assert_eq!(
            describe(&scarf, &[value("color", "color", "White"), blend.clone()]),
            "it's a white wool blend"
        );
        let tri = value("material", "material", "Tri-Blend");
        assert_eq!(requirement("material", &tri, 3), "one made of a tri-blend");
        assert_eq!(
            describe(&scarf, &[value("material", "material", "Cashmere")]),
            "it's made of cashmere"
        );
    }

    #[test]
    fn wishes_are_one_phrase_per_kind() {
        let w = wishes(&[
            value("color", "color", "Black"),
            value("brand", "brand", "Norra Basics"),
            value("size", "size", "US 9"),
        ]);
        assert_eq!(
            w,
            ["you'd prefer black from Norra Basics", "you need a US 9"]
        );
        let w = wishes(&[
            value("material", "material", "Vegan Leather"),
            value("color", "color", "Tan"),
        ]);
        assert_eq!(w, ["you'd prefer tan vegan leather"]);
        let w = wishes(&[feature("Includes a protective case")]);
        assert_eq!(w, ["you need one that includes a protective case"]);
    }

    #[test]
    fn requirements_read_after_ideally() {
        assert_eq!(
            requirement("genre", &value("genre", "genre", "Urban Fantasy"), 0),
            "an urban fantasy"
        );
        assert_eq!(
            requirement("size", &value("size", "size", "M"), 0),
            "in a medium"
        );
        assert_eq!(
            requirement(
                "feature",
                &feature("Responsive foam midsole returns energy"),
                0
            ),
            "one whose responsive foam midsole returns energy"
        );
        // Each kind has its phrasings, all distinct and none with a broken article.
        let black = value("color", "color", "Orange");
        let said: Vec<String> = (0..4).map(|v| requirement("color", &black, v)).collect();
        assert_eq!(
            said,
            [
                "in orange",
                "something orange",
                "orange in colour",
                "an orange one"
            ]
        );
        let collar = feature("Padded collar");
        assert_eq!(
            requirement("feature", &collar, 3),
            "one with a padded collar"
        );
        assert_eq!(
            requirement("size", &value("size", "size", "M"), 2),
            "a medium"
        );
    }

    #[test]
    fn a_language_is_said_in_it() {
        let spanish = value("language", "language", "Spanish");
        assert_eq!(
            describe(
                &noun(&["Books", "Self-Help"]),
                std::slice::from_ref(&spanish)
            ),
            "it's in Spanish"
        );
        assert_eq!(
            wishes(std::slice::from_ref(&spanish)),
            ["you'd like one in Spanish"]
        );
        for variant in 0..3 {
            let said = requirement("language", &spanish, variant);
            assert!(said.ends_with("in Spanish"), "{said}");
        }
    }
}
