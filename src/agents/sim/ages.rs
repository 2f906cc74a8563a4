//! Which of the casual register's lines a shopper's age may say (`[ages]` and `[child.*]` in `prompts/sim/user.toml`):
//! words only the young use ("gonna", "ngl", "Bye bye!") are kept to the ages that use them, and a child, who shops
//! with a parent, speaks of money as what a grown-up allows ("My parents said up to $40").

use std::collections::BTreeSet;

use serde::Deserialize;

use super::compose::Tables;

/// `[ages]` as read.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct AgesTable {
    /// A casual shopper younger than this is a child shopping with a parent (0: none is).
    #[serde(default)]
    pub child_below: u32,
    /// Words only some ages say.
    #[serde(default)]
    pub youth: Vec<YouthWords>,
}

/// Words only shoppers of some ages say (`[[ages.youth]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct YouthWords {
    /// The youngest age that says them.
    #[serde(default)]
    pub min_age: u32,
    /// The oldest age that says them.
    pub max_age: u32,
    /// Whole words or phrases, any case.
    pub words: Vec<String>,
}

/// Which lines an age may say: the tiers of `[[ages.youth]]` it is outside (bit `i` for tier `i`), and whether it is
/// a child's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AgeBand {
    /// The youth tiers whose words the age never says.
    pub excluded: u32,
    /// The shopper is a child.
    pub child: bool,
}

impl AgesTable {
    /// The band of a shopper of `age`.
    pub fn band(&self, age: u32) -> AgeBand {
        let mut excluded = 0;
        for (i, tier) in self.youth.iter().enumerate() {
            if age < tier.min_age || age > tier.max_age {
                excluded |= 1 << i;
            }
        }
        AgeBand {
            excluded,
            child: age < self.child_below,
        }
    }

    /// Every band some age from 0 to 120 falls in, in order.
    pub fn bands(&self) -> Vec<AgeBand> {
        let set: BTreeSet<AgeBand> = (0..=120).map(|a| self.band(a)).collect();
        set.into_iter().collect()
    }

    /// `casual` as `band` says it: a child's parts of `child` replacing the casual ones of the same name, then every
    /// line holding a word of an excluded tier left out.
    pub fn tables(&self, casual: &Tables, child: &Tables, band: AgeBand) -> Tables {
        let mut tables = casual.clone();
        if band.child {
            for (table, keys) in child {
                let entry = tables.entry(table.clone()).or_default();
                for (key, lines) in keys {
                    entry.insert(key.clone(), lines.clone());
                }
            }
        }
        let words: Vec<String> = self
            .youth
            .iter()
            .enumerate()
            .filter(|(i, _)| band.excluded & (1 << i) != 0)
            .flat_map(|(_, t)| t.words.iter().map(|w| w.to_lowercase()))
            .collect();
        for keys in tables.values_mut() {
            for lines in keys.values_mut() {
                lines.retain(|line| !words.iter().any(|w| holds(line, w)));
            }
        }
        tables
    }
}

/// Whether `line` holds `word` (lowercase) as whole words.
pub fn holds(line: &str, word: &str) -> bool {
    let lower = line.to_lowercase();
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    lower.match_indices(word).any(|(at, _)| {
        boundary(lower[..at].chars().next_back())
            && boundary(lower[at + word.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> AgesTable {
        toml::from_str(
            r#"
            child_below = 12
            [[youth]]
            min_age = 12
            max_age = 29
            words = ["ngl"]
            [[youth]]
            max_age = 54
            words = ["gonna", "bye bye"]
            "#,
        )
        .unwrap()
    }

    #[test]
    fn words_match_whole_and_in_any_case() {
        assert!(holds("Gonna grab it.", "gonna"));
        assert!(holds("Okay, bye bye!", "bye bye"));
        assert!(!holds("Goodbye.", "bye bye"));
        assert!(!holds("The yoga class.", "yo"));
        assert!(holds("Yo!", "yo"));
    }

    #[test]
    fn an_age_outside_a_tier_says_none_of_its_lines_and_a_child_speaks_its_own() {
        let t = table();
        let mut casual = Tables::new();
        casual.entry("farewell".into()).or_default().insert(
            "bye".into(),
            vec!["Bye bye!".into(), "Later, ngl.".into(), "Take care.".into()],
        );
        casual
            .entry("answer_budget".into())
            .or_default()
            .insert("core".into(), vec!["My wallet says {{ budget }}.".into()]);
        let mut child = Tables::new();
        child.entry("answer_budget".into()).or_default().insert(
            "core".into(),
            vec!["My parents said up to {{ budget }}.".into()],
        );
        let lines = |age: u32, table: &str, key: &str| {
            t.tables(&casual, &child, t.band(age))[table][key].clone()
        };
        assert_eq!(lines(20, "farewell", "bye").len(), 3);
        assert_eq!(lines(40, "farewell", "bye"), ["Bye bye!", "Take care."]);
        assert_eq!(lines(65, "farewell", "bye"), ["Take care."]);
        assert_eq!(lines(8, "farewell", "bye"), ["Bye bye!", "Take care."]);
        assert_eq!(
            lines(8, "answer_budget", "core"),
            ["My parents said up to {{ budget }}."]
        );
        assert_eq!(
            lines(12, "answer_budget", "core"),
            ["My wallet says {{ budget }}."]
        );
        assert_eq!(t.bands().len(), 4);
    }
}
