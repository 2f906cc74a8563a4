//! The keep rule: an expression over a review's fields (`judge.muse_filter.total >= 4 && grounding.ok`), written
//! with `&&`, `||`, `!` or `and`, `or`, `not`, evaluated by MiniJinja's expression engine. An unknown field is an
//! error when the rule is compiled, not a silent `false`. The top-level clauses are evaluated one by one too, so a
//! review says which of them failed.

use minijinja::{Environment, UndefinedBehavior, Value};

use crate::model::Review;
use crate::{Error, Result};

/// A compiled keep rule.
pub struct KeepRule {
    env: Environment<'static>,
    rule: String,
    clauses: Vec<String>,
}

/// The rule in MiniJinja's words: `&&` → `and`, `||` → `or`, `!x` → `not x` (leaving `!=` alone).
fn translate(rule: &str) -> String {
    let mut out = String::with_capacity(rule.len() + 8);
    let chars: Vec<char> = rule.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match (c, next) {
            ('&', Some('&')) => {
                out.push_str(" and ");
                i += 2;
            }
            ('|', Some('|')) => {
                out.push_str(" or ");
                i += 2;
            }
            ('!', Some('=')) => {
                out.push_str("!=");
                i += 2;
            }
            ('!', _) => {
                out.push_str(" not ");
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// The top-level `and` clauses of a translated rule (outside parentheses).
fn clauses(rule: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    let bytes = rule.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b' ' if depth == 0 && rule[i..].starts_with(" and ") => {
                out.push(rule[start..i].trim().to_string());
                start = i + 5;
                i += 4;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(rule[start..].trim().to_string());
    out.retain(|c| !c.is_empty());
    out
}

/// Every dotted field path of a rule (`grounding.ok`, `judge.muse_filter.total`) must name a field of `sample`:
/// MiniJinja would otherwise read an unknown one as a silent `undefined`.
fn check_fields(rule: &str, sample: &serde_json::Value) -> std::result::Result<(), String> {
    let mut token = String::new();
    let mut paths = Vec::new();
    for c in rule.chars().chain(std::iter::once(' ')) {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            token.push(c);
        } else if !token.is_empty() {
            if token.contains('.') && !token.starts_with(|x: char| x.is_ascii_digit()) {
                paths.push(std::mem::take(&mut token));
            }
            token.clear();
        }
    }
    for path in paths {
        let mut at = sample;
        for part in path.split('.') {
            let Some(obj) = at.as_object() else {
                return Err(format!(
                    "`{path}`: `{part}` is not a field (its parent is a value)"
                ));
            };
            match obj.get(part) {
                Some(v) => at = v,
                None => {
                    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
                    let hint = crate::config::suggest(part, &keys)
                        .map(|k| format!("; did you mean `{k}`?"))
                        .unwrap_or_else(|| format!("; known here: {}", keys.join(", ")));
                    return Err(format!("`{path}`: no field `{part}`{hint}"));
                }
            }
        }
    }
    Ok(())
}

/// Collapse the spaces the translation added, for messages.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A keep rule compiled once, ready to judge many reviews.
pub struct Prepared<'a> {
    rule: (String, minijinja::Expression<'a, 'a>),
    clauses: Vec<(String, minijinja::Expression<'a, 'a>)>,
}

impl KeepRule {
    /// Compile `rule` (`review.keep`) and check it against `sample`, a review with every field the run fills.
    pub fn compile(rule: &str, sample: &Review) -> Result<Self> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let translated = translate(rule);
        let keep = KeepRule {
            clauses: clauses(&translated).into_iter().map(|c| tidy(&c)).collect(),
            rule: tidy(&translated),
            env,
        };
        let fields = serde_json::to_value(sample).unwrap_or_default();
        check_fields(&keep.rule, &fields)
            .and_then(|_| keep.prepare())
            .and_then(|p| eval(&p.rule.1, sample))
            .map_err(|e| {
                Error::Config(format!(
                    "review.keep `{rule}`: {e} (fields: grounding.*, relevance.*, consistency.*, shape.*, cooperation.*, judge.RUBRIC.total, judge.RUBRIC.aspects.ASPECT.score)"
                ))
            })?;
        Ok(keep)
    }

    /// The rule and its clauses, compiled.
    pub fn prepare(&self) -> std::result::Result<Prepared<'_>, String> {
        fn compile<'a>(
            env: &'a Environment<'static>,
            text: &'a str,
        ) -> std::result::Result<(String, minijinja::Expression<'a, 'a>), String> {
            env.compile_expression(text)
                .map(|e| (text.to_string(), e))
                .map_err(|e| e.to_string())
        }
        Ok(Prepared {
            rule: compile(&self.env, &self.rule)?,
            clauses: self
                .clauses
                .iter()
                .map(|c| compile(&self.env, c))
                .collect::<std::result::Result<_, _>>()?,
        })
    }

    /// The rule as evaluated.
    pub fn text(&self) -> &str {
        &self.rule
    }
}

fn eval(
    expr: &minijinja::Expression<'_, '_>,
    review: &Review,
) -> std::result::Result<bool, String> {
    let ctx = Value::from(minijinja::value::Serde(review));
    expr.eval(ctx)
        .map(|v| v.is_true())
        .map_err(|e| e.to_string())
}

impl Prepared<'_> {
    /// Whether `review` is kept, and the clauses that failed (the whole rule when it is not a conjunction).
    pub fn judge(&self, review: &Review) -> (bool, Vec<String>) {
        if eval(&self.rule.1, review).unwrap_or(false) {
            return (true, Vec::new());
        }
        let failed: Vec<String> = self
            .clauses
            .iter()
            .filter(|(_, e)| !eval(e, review).unwrap_or(false))
            .map(|(text, _)| text.clone())
            .collect();
        let failed = if failed.is_empty() {
            vec![self.rule.0.clone()]
        } else {
            failed
        };
        (false, failed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RubricScores;

    fn review(total: f64, grounded: bool) -> Review {
        let mut r = Review::default();
        r.grounding.ok = grounded;
        r.consistency.ok = true;
        r.judge.insert(
            "muse_filter".into(),
            RubricScores {
                total,
                ..RubricScores::default()
            },
        );
        r
    }

    #[test]
    fn rules_keep_and_name_the_failing_clauses() {
        let sample = review(6.0, true);
        let rule = KeepRule::compile(
            "judge.muse_filter.total >= 4 && grounding.ok && !(shape.turns > 40)",
            &sample,
        )
        .unwrap();
        let p = rule.prepare().unwrap();
        assert_eq!(p.judge(&review(5.0, true)), (true, vec![]));
        let (keep, failed) = p.judge(&review(3.0, false));
        assert!(!keep);
        assert_eq!(failed, ["judge.muse_filter.total >= 4", "grounding.ok"]);
        let or = KeepRule::compile("grounding.ok || consistency.ok", &sample).unwrap();
        assert!(or.prepare().unwrap().judge(&review(0.0, false)).0);
        let ne = KeepRule::compile("shape.turns != 3", &sample).unwrap();
        assert!(ne.prepare().unwrap().judge(&sample).0);
    }

    #[test]
    fn unknown_fields_and_bad_syntax_are_config_errors() {
        let sample = review(6.0, true);
        let err = KeepRule::compile("grounding.okay", &sample)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("review.keep `grounding.okay`"), "{err}");
        assert!(err.contains("did you mean `ok`"), "{err}");
        assert!(KeepRule::compile("judge.other.total >= 1", &sample).is_err());
        assert!(KeepRule::compile("grounding.ok &&", &sample).is_err());
    }
}
