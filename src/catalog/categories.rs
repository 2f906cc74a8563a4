//! Category extraction: the category list with item counts above a threshold, and the category → item-ids map in MUSE's `category2items.json` shape.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::config::CategoryLevels;
use crate::model::Item;

/// Category label → item ids, in catalog order (MUSE's `category2items.json`).
pub type CategoryMap = BTreeMap<String, Vec<String>>;

/// One category and how many items it holds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CategoryCount {
    /// Label.
    pub category: String,
    /// Items in it.
    pub items: usize,
}

/// Accumulates the category → items map while items stream past.
pub struct CategoryCollector {
    levels: CategoryLevels,
    ignore: Vec<String>,
    map: HashMap<String, Vec<String>>,
}

impl CategoryCollector {
    /// A collector using `levels`, skipping labels in `ignore` (case-insensitive).
    pub fn new(levels: CategoryLevels, ignore: &[String]) -> Self {
        CategoryCollector {
            levels,
            ignore: ignore.iter().map(|s| s.to_lowercase()).collect(),
            map: HashMap::new(),
        }
    }

    /// Add one item under each of its labels (each label once per item).
    pub fn add(&mut self, item: &Item) {
        let labels: Vec<&String> = match self.levels {
            CategoryLevels::All => item.categories.iter().collect(),
            CategoryLevels::Leaf => item.categories.last().into_iter().collect(),
        };
        let mut seen: Vec<&str> = Vec::with_capacity(labels.len());
        for label in labels {
            let label = label.trim();
            if label.is_empty()
                || seen.contains(&label)
                || self.ignore.contains(&label.to_lowercase())
            {
                continue;
            }
            seen.push(label);
            self.map
                .entry(label.to_string())
                .or_default()
                .push(item.id.clone());
        }
    }

    /// The map restricted to categories with at least `min_items`, and the counts sorted by size (largest first, then name).
    pub fn finish(self, min_items: usize) -> (CategoryMap, Vec<CategoryCount>) {
        let map: CategoryMap = self
            .map
            .into_iter()
            .filter(|(_, ids)| ids.len() >= min_items)
            .collect();
        let mut counts: Vec<CategoryCount> = map
            .iter()
            .map(|(c, ids)| CategoryCount {
                category: c.clone(),
                items: ids.len(),
            })
            .collect();
        counts.sort_by(|a, b| b.items.cmp(&a.items).then(a.category.cmp(&b.category)));
        (map, counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, path: &[&str]) -> Item {
        Item {
            id: id.into(),
            title: id.into(),
            description: vec![],
            features: vec![],
            categories: path.iter().map(|s| s.to_string()).collect(),
            price: None,
            rating: None,
            details: Default::default(),
            images: vec![],
            new_description: None,
        }
    }

    #[test]
    fn threshold_levels_and_ignore_list_apply() {
        let mut all = CategoryCollector::new(CategoryLevels::All, &["Root".to_string()]);
        let mut leaf = CategoryCollector::new(CategoryLevels::Leaf, &[]);
        for (i, path) in [
            ["Root", "Shoes", "Sandals"],
            ["Root", "Shoes", "Sandals"],
            ["Root", "Shoes", "Boots"],
        ]
        .iter()
        .enumerate()
        {
            let it = item(&format!("i{i}"), path);
            all.add(&it);
            leaf.add(&it);
        }
        let (map, counts) = all.finish(2);
        assert_eq!(map.keys().collect::<Vec<_>>(), vec!["Sandals", "Shoes"]);
        assert_eq!(map["Shoes"], vec!["i0", "i1", "i2"]);
        assert_eq!(counts[0].category, "Shoes");
        let (map, _) = leaf.finish(1);
        assert_eq!(map.keys().collect::<Vec<_>>(), vec!["Boots", "Sandals"]);
    }
}
