//! MiniJinja expressions of column mappings: the environment they run in, the names an expression reads (to refuse
//! unknown columns before anything is written), and how a value becomes a cell.

use minijinja::{Environment, UndefinedBehavior, value::ValueKind};

/// The expression environment: strict about undefined names, MiniJinja's filters and tests.
pub fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

/// The names an expression reads as variables: identifiers outside string literals that are not keywords, not
/// attributes (`.name`), filters (`| name`), tests (`is name`) or keyword arguments (`name=`). MiniJinja's own
/// `undeclared_variables` misses names inside subscripts and slices, so the two are combined.
pub fn names_read(expr: &str) -> Vec<String> {
    const KEYWORDS: &[&str] = &[
        "and", "or", "not", "if", "else", "in", "is", "true", "false", "none", "True", "False",
        "None",
    ];
    let chars: Vec<char> = expr.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut previous = String::new();
    let mut before_previous = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '"' || c == '\'' {
            let quote = c;
            i += 1;
            while i < chars.len() && chars[i] != quote {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            before_previous = std::mem::replace(&mut previous, "\"\"".into());
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let kwarg = chars.get(j) == Some(&'=') && chars.get(j + 1) != Some(&'=');
            let after_is = previous == "is" || (previous == "not" && before_previous == "is");
            let skip = KEYWORDS.contains(&word.as_str())
                || previous == "."
                || previous == "|"
                || after_is
                || kwarg;
            if !skip {
                out.push(word.clone());
            }
            before_previous = std::mem::replace(&mut previous, word);
            continue;
        }
        if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
            before_previous = std::mem::replace(&mut previous, "0".into());
            continue;
        }
        if !c.is_whitespace() {
            before_previous = std::mem::replace(&mut previous, c.to_string());
        }
        i += 1;
    }
    out
}

/// An expression's value as a cell, written as the source cells are (null empty, booleans `true`/`false`, sequences
/// and maps as JSON).
pub fn cell(v: &minijinja::Value) -> String {
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        ValueKind::Bool => v.is_true().to_string(),
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => {
            serde_json::to_string(v).unwrap_or_default()
        }
        _ => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_skips_filters_tests_attributes_strings_and_keywords() {
        assert_eq!(
            names_read(
                "started_at[11:13] | int + x.y - 'a b' ~ \"c\" if turns is not defined else round(z, precision=2)"
            ),
            ["started_at", "x", "turns", "round", "z"]
        );
        assert_eq!(names_read("1.5e3 and none or True"), Vec::<String>::new());
    }
}
