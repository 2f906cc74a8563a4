//! How values reach a sentence of the offline agents: a fact or a noun as a template value whose fields are its
//! forms (`{{ wanted.np }}`, `{{ wanted.that }}`; a field a value lacks is undefined, and the template is not used),
//! lists joined once, a phrase the shopper said referred back to as definite, and no full stop doubled.

use std::fmt;
use std::sync::Arc;

use minijinja::Value;
use minijinja::value::Object;

use super::realise::Fact;
use crate::catalog::{Noun, ValueKind};

/// A noun phrase the shopper said with an indefinite article, as the one who heard it refers back to it: "a
/// graduation ceremony" -> "the graduation ceremony"; a phrase naming someone ("a friend's wedding"), or any other
/// ("Diwali", "the school reunion"), as it is (who the friend is was not said).
pub fn definite(np: &str) -> String {
    match np.strip_prefix("a ").or_else(|| np.strip_prefix("an ")) {
        Some(rest) if !rest.split(' ').next().is_some_and(|w| w.ends_with("'s")) => {
            format!("the {rest}")
        }
        _ => np.to_string(),
    }
}

/// "a", "a and b", "a, b and c".
pub fn list<S: AsRef<str>>(parts: &[S]) -> String {
    let mut out = String::new();
    list_into(&mut out, parts);
    out
}

/// [`list`], appended to `out`.
pub fn list_into<S: AsRef<str>>(out: &mut String, parts: &[S]) {
    let n = parts.len();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == n { " and " } else { ", " });
        }
        out.push_str(part.as_ref());
    }
}

/// `text` with no full stop doubled where a value ending in one meets the sentence's own ("made by Dovetail & Co.."
/// -> "made by Dovetail & Co."); an ellipsis ("Hmm...") stays as written.
pub fn single_stops(text: String) -> String {
    if !text.contains("..") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut run = 0;
    for c in text.chars().chain(std::iter::once('\0')) {
        if c == '.' {
            run += 1;
            continue;
        }
        out.extend(std::iter::repeat_n('.', if run == 2 { 1 } else { run }));
        run = 0;
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// A value as a template sees it: printed, its word; its other forms as fields (`np`, `that`, `clause`, `pre`,
/// `adj`, `worn`, `is`). A field the value lacks is undefined, so a template that needs it is not used for this value.
#[derive(Debug, Default)]
pub struct Wording {
    word: Option<String>,
    fields: Vec<(&'static str, String)>,
}

impl Wording {
    /// A slot printed as `word`, with no other forms.
    pub fn word(word: impl Into<String>) -> Self {
        Wording {
            word: Some(word.into()),
            fields: Vec::new(),
        }
    }

    /// Add a form.
    pub fn with(mut self, name: &'static str, text: impl Into<String>) -> Self {
        self.fields.push((name, text.into()));
        self
    }

    /// The slot of a fact said of an item whose noun is `noun`.
    pub fn of_fact(fact: &Fact, plural_item: bool) -> Self {
        match fact {
            Fact::Feature(form) => {
                let mut s = Wording::default()
                    .with("that", form.relative())
                    .with("clause", form.clause(plural_item));
                if let Some(np) = form.noun_phrase() {
                    s = s.with("np", np);
                }
                s
            }
            Fact::Value(_, f) => {
                let mut s = Wording::word(f.word.clone());
                if let Some(np) = &f.np {
                    s = s.with("np", np.clone());
                }
                if matches!(
                    f.kind,
                    ValueKind::Colour | ValueKind::Material | ValueKind::Descriptor
                ) {
                    s = s.with("pre", f.word.clone());
                }
                if f.kind == ValueKind::Size
                    && !f.of_item
                    && let Some(np) = &f.np
                {
                    s = s.with("worn", np.clone());
                }
                if f.is_adjective() {
                    s = s.with("adj", f.word.clone());
                }
                s
            }
        }
    }

    /// The slot of a category noun: printed, its plural ("scarves"); `a` the indefinite ("a scarf"), `the` the
    /// definite ("the scarf", "the sneakers").
    pub fn of_noun(noun: &Noun) -> Self {
        Wording::word(noun.plural.clone())
            .with("a", noun.indefinite())
            .with("the", noun.definite())
            .with("is", if noun.is_plural() { "are" } else { "is" })
    }

    /// As a template value.
    pub fn value(self) -> Value {
        Value::from_object(self)
    }
}

impl Object for Wording {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        if key == "word" {
            return self.word.clone().map(Value::from);
        }
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| Value::from(v.clone()))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.word {
            Some(w) => f.write_str(w),
            // A value with no plain word (a feature) cannot be printed bare.
            None => Err(fmt::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::lexicon::Rules;

    fn feature(text: &str) -> Fact {
        Fact::Feature(Rules::embedded().unwrap().feature(text))
    }

    #[test]
    fn a_template_cannot_print_a_form_the_value_lacks() {
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template("np", "with {{ v.np }}").unwrap();
        env.add_template("that", "one {{ v.that }}").unwrap();
        let clause = Wording::of_fact(&feature("Includes a case"), false).value();
        let ctx = minijinja::context! { v => clause };
        assert!(env.get_template("np").unwrap().render(&ctx).is_err());
        assert_eq!(
            env.get_template("that").unwrap().render(&ctx).unwrap(),
            "one that includes a case"
        );
    }

    #[test]
    fn a_language_has_no_noun_phrase() {
        let spanish = Fact::Value(
            "language".into(),
            Rules::embedded().unwrap().value("language", "Spanish"),
        );
        let w = Wording::of_fact(&spanish, false);
        assert!(w.fields.iter().all(|(k, _)| *k != "np"));
    }

    #[test]
    fn a_style_naming_a_thing_has_no_adjective_form() {
        let r = Rules::embedded().unwrap();
        let fields = |label: &str, value: &str| {
            let w = Wording::of_fact(&Fact::Value("style".into(), r.value(label, value)), true);
            w.fields.iter().map(|(k, _)| *k).collect::<Vec<_>>()
        };
        let stud = fields("style", "Stud");
        assert!(!stud.contains(&"adj") && stud.contains(&"np"), "{stud:?}");
        assert!(fields("style", "Bohemian").contains(&"adj"));
    }

    #[test]
    fn a_bed_size_is_never_worn() {
        let r = Rules::embedded().unwrap();
        let worn = |value: &str| {
            let w = Wording::of_fact(&Fact::Value("size".into(), r.value("size", value)), false);
            w.fields.iter().any(|(k, _)| *k == "worn")
        };
        assert!(worn("M") && worn("US 9") && worn("34W x 30L"));
        assert!(!worn("Queen") && !worn("Twin") && !worn("California King") && !worn("5 x 8 ft"));
    }

    #[test]
    fn a_value_ending_in_a_stop_does_not_double_the_sentences() {
        assert_eq!(
            single_stops("It's made by Dovetail & Co.. Want it?".into()),
            "It's made by Dovetail & Co. Want it?"
        );
        assert_eq!(single_stops("Hmm... maybe.".into()), "Hmm... maybe.");
        assert_eq!(
            single_stops("From Larkin & Co.?".into()),
            "From Larkin & Co.?"
        );
        assert_eq!(single_stops("Plain.".into()), "Plain.");
    }

    #[test]
    fn an_occasion_said_back_is_definite() {
        assert_eq!(definite("a graduation ceremony"), "the graduation ceremony");
        assert_eq!(definite("an opening night"), "the opening night");
        assert_eq!(definite("a friend's wedding"), "a friend's wedding");
        assert_eq!(definite("Diwali"), "Diwali");
        assert_eq!(definite("apple picking"), "apple picking");
    }
}
