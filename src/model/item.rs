//! `Item`: one product of the catalog, in the shape MUSE's item profiles use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One catalog item. The MUSE item-profile JSON maps onto it field by field
/// (`average_rating` becomes `rating`, a single `images` string becomes a list).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Stable item id, unique in a catalog.
    pub id: String,
    /// Product title.
    pub title: String,
    /// Description paragraphs.
    #[serde(default)]
    pub description: Vec<String>,
    /// Bullet-point features.
    #[serde(default)]
    pub features: Vec<String>,
    /// Category path, most general first.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Price in the catalog's currency, when known.
    #[serde(default)]
    pub price: Option<f64>,
    /// Average star rating (1–5), when known.
    #[serde(default)]
    pub rating: Option<f64>,
    /// Attribute name → value (colour, material, size, brand …).
    #[serde(default)]
    pub details: BTreeMap<String, String>,
    /// Image paths or URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// A re-written description (MUSE's image-grounded caption), when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_description: Option<String>,
}

impl Item {
    /// The leaf of the category path, if any.
    pub fn leaf_category(&self) -> Option<&str> {
        self.categories.last().map(String::as_str)
    }

    /// The category path joined with " > ".
    pub fn category_path(&self) -> String {
        self.categories.join(" > ")
    }

    /// The value of a detail whose name matches `label` case-insensitively.
    pub fn detail(&self, label: &str) -> Option<&str> {
        self.details
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(label))
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_round_trips_through_json() {
        let item = Item {
            id: "6231".into(),
            title: "Cargo Pant".into(),
            description: vec!["Tough ripstop.".into()],
            features: vec!["100% Cotton".into()],
            categories: vec!["Clothing".into(), "Pants".into()],
            price: Some(48.5),
            rating: Some(4.5),
            details: BTreeMap::from([("Color".into(), "khaki".into())]),
            images: vec!["images_main/6231.jpg".into()],
            new_description: Some("A pant.".into()),
        };
        let text = serde_json::to_string(&item).unwrap();
        let back: Item = serde_json::from_str(&text).unwrap();
        assert_eq!(back, item);
        assert_eq!(back.leaf_category(), Some("Pants"));
        assert_eq!(back.detail("color"), Some("khaki"));
    }
}
