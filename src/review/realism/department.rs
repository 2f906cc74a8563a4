//! Departments (gender and age group) of items, read from the full category path and the title with the words of
//! `evaluation/realism.toml`, and of personas; whether two of them differ.

use super::data::{AgeGroup, Department, DepartmentGender};
use crate::model::{Gender, Persona};

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
    use crate::review::realism::RealismData;

    #[test]
    fn path_first_then_title() {
        let data = RealismData::embedded().unwrap();
        let ds = &data.departments;
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
