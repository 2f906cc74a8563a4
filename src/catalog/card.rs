//! The card of a catalog item: what a model, or a reader of an export, is shown of it (title, price, category
//! path, a few highlights).

use serde::Serialize;

use crate::model::Item;

/// What a model is shown of a catalog item: title, price, category path and a few highlights.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    /// Title.
    pub title: String,
    /// Price as written.
    pub price: String,
    /// Category path.
    pub category: String,
    /// Up to four details and two features, joined.
    pub highlights: String,
}

impl Card {
    /// The card of `item`.
    pub fn of(item: &Item) -> Card {
        Card::priced(item, super::money::Money::DOLLARS)
    }

    /// The card with its price written in `money` (the shopper's currency).
    pub fn priced(item: &Item, money: super::money::Money<'_>) -> Card {
        Card::local(item, money, super::sizes::LocalSizes::CATALOG)
    }

    /// The card as the shopper would read it: the price in `money` (their currency) and the size in `sizes` (their
    /// size system, "Size: UK 8" for the catalog's "US 9" by the item's chart).
    pub fn local(
        item: &Item,
        money: super::money::Money<'_>,
        sizes: super::sizes::LocalSizes<'_>,
    ) -> Card {
        let path = item.categories.iter().map(String::as_str);
        let mut highlights: Vec<String> = item
            .details
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case("brand"))
            .take(4)
            .map(|(k, v)| {
                let shown = k
                    .eq_ignore_ascii_case("size")
                    .then(|| sizes.for_path(path.clone(), v))
                    .flatten()
                    .unwrap_or(v);
                format!("{k}: {shown}")
            })
            .collect();
        highlights.extend(item.features.iter().take(2).cloned());
        Card {
            title: item.title.clone(),
            price: item
                .price
                .map(|p| money.write(p))
                .unwrap_or_else(|| "price on request".into()),
            category: item.category_path(),
            highlights: highlights.join("; "),
        }
    }

    /// The card on one line: `title — price — category — highlights`.
    pub fn line(&self) -> String {
        let mut parts = vec![
            self.title.as_str(),
            self.price.as_str(),
            self.category.as_str(),
        ];
        if !self.highlights.is_empty() {
            parts.push(&self.highlights);
        }
        parts.join(" — ")
    }
}
