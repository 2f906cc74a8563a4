//! Departments (gender and age group) of items, read from the full category path and the title with the words of
//! `catalog/departments.toml`, and of personas; whether two of them differ. The simulated shopper names its target's
//! department when it names the category ("women's jeans"), the recommender keeps to it, and the review measures
//! recommendations from another department, all with these words.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::model::{Gender, Persona};

/// The embedded `catalog/departments.toml`.
const DEPARTMENTS: &str = include_str!("../../catalog/departments.toml");

/// A gender a department is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepartmentGender {
    /// Women's and girls' departments.
    Female,
    /// Men's and boys' departments.
    Male,
    /// Any gender (unisex, kids, baby).
    Any,
}

/// An age group a department is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeGroup {
    /// Grown-ups.
    Adult,
    /// Children.
    Child,
    /// Babies.
    Baby,
    /// Any age.
    Any,
}

/// One department and the words that name it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Name (`women`, `boys` …).
    pub name: String,
    /// Gender it is for.
    pub gender: DepartmentGender,
    /// Age group it is for.
    pub age: AgeGroup,
    /// Lowercase words: a whole category segment, or a whole word of a title.
    pub words: Vec<String>,
    /// How a shopper says it before a category ("women's jeans"); none for a department nobody names (unisex).
    #[serde(default)]
    pub said: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepartmentsFile {
    departments: Vec<Department>,
}

/// The embedded departments (checked by a unit test, so parsing cannot fail in a build that passed it).
pub fn embedded() -> &'static [Department] {
    static LIST: OnceLock<Vec<Department>> = OnceLock::new();
    LIST.get_or_init(|| {
        toml::from_str::<DepartmentsFile>(DEPARTMENTS)
            .map(|f| f.departments)
            .unwrap_or_default()
    })
}

/// The department whose words hold `word` (lowercase, as a shopper said it: "women's", "mens").
pub fn named<'d>(departments: &'d [Department], word: &str) -> Option<&'d Department> {
    let word = word.trim().to_lowercase();
    departments.iter().find(|d| d.words.contains(&word))
}

/// The department a category path or, failing that, a title names (`None` when neither names one).
pub fn department<'d, 'p>(
    departments: &'d [Department],
    path: impl IntoIterator<Item = &'p str>,
    title: &str,
) -> Option<&'d Department> {
    for segment in path {
        let segment = segment.trim().to_lowercase();
        if let Some(d) = departments.iter().find(|d| d.words.contains(&segment)) {
            return Some(d);
        }
    }
    // Hyphenated compounds stay whole: a "Kids-Friendly Tablet" is for anyone, a "Kids' Tablet" for children.
    let lower = title.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .map(|w| w.trim_matches(|c| c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    departments.iter().find(|d| {
        d.words
            .iter()
            .any(|w| words.iter().any(|t| *t == w.trim_end_matches('\'')))
    })
}

fn genders_differ(a: DepartmentGender, b: DepartmentGender) -> bool {
    a != DepartmentGender::Any && b != DepartmentGender::Any && a != b
}

fn ages_differ(a: AgeGroup, b: AgeGroup) -> bool {
    a != AgeGroup::Any && b != AgeGroup::Any && a != b
}

/// Whether two departments are for different genders or age groups (both definite).
pub fn differ(a: &Department, b: &Department) -> bool {
    genders_differ(a.gender, b.gender) || ages_differ(a.age, b.age)
}

/// The age group of a persona: baby under 2, child under 13, adult from 16; between, either.
fn age_group(age: u32) -> AgeGroup {
    match age {
        0..=1 => AgeGroup::Baby,
        2..=12 => AgeGroup::Child,
        13..=15 => AgeGroup::Any,
        _ => AgeGroup::Adult,
    }
}

/// Whether an item of department `d` contradicts who `persona` is (buying for themselves).
pub fn contradicts(persona: &Persona, d: &Department) -> bool {
    let gender = match persona.gender {
        Gender::Female => DepartmentGender::Female,
        Gender::Male => DepartmentGender::Male,
        Gender::Unknown => DepartmentGender::Any,
    };
    genders_differ(gender, d.gender) || ages_differ(age_group(persona.age), d.age)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_first_then_title() {
        let ds = embedded();
        assert!(ds.len() >= 6, "the embedded departments parse");
        let women = department(ds, ["Footwear", "Women", "Shoes"], "Trail Shoe").unwrap();
        assert_eq!(women.name, "women");
        let men = department(ds, ["Clothing"], "Larkin Men's Pocket Tee").unwrap();
        assert_eq!(men.name, "men");
        assert!(department(ds, ["Electronics"], "Arcwave Tracker").is_none());
        let boys = department(ds, ["Boys"], "Tee").unwrap();
        assert!(department(ds, ["Electronics"], "Kids-Friendly Touchscreen Tablet").is_none());
        assert_eq!(
            department(ds, ["Electronics"], "Kids' Tablet")
                .unwrap()
                .name,
            "kids"
        );
        assert!(differ(women, men));
        assert!(differ(men, boys), "same gender, another age group");
        let unisex = department(ds, ["Clothing"], "Unisex Cap").unwrap();
        assert!(!differ(unisex, women));
    }
}
