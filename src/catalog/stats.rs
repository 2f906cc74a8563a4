//! Catalog statistics: item counts, domains, category paths, price and rating summaries.

use std::collections::BTreeMap;

use serde::Serialize;

use super::index::Index;
use crate::Result;

/// Summary of a catalog index.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogStats {
    /// Items.
    pub items: usize,
    /// Items per root category (domain).
    pub roots: BTreeMap<String, usize>,
    /// Distinct full category paths.
    pub category_paths: usize,
    /// Distinct leaf categories.
    pub leaf_categories: usize,
    /// Items with a price.
    pub priced: usize,
    /// Lowest, median and highest price.
    pub price_min_median_max: Option<(f64, f64, f64)>,
    /// Mean rating of rated items.
    pub rating_mean: Option<f64>,
    /// Items with at least one image reference.
    pub with_images: usize,
    /// How the index was built (`sample`, or the imported file).
    pub source: Option<String>,
}

impl Index {
    /// Compute the summary (one pass over the items).
    pub fn stats(&self) -> Result<CatalogStats> {
        let mut roots = BTreeMap::new();
        let mut paths = std::collections::HashSet::new();
        let mut leaves = std::collections::HashSet::new();
        let mut prices = Vec::new();
        let (mut rating_sum, mut rated, mut with_images, mut items) = (0.0, 0usize, 0usize, 0usize);
        self.for_each(|item| {
            items += 1;
            if let Some(root) = item.categories.first() {
                *roots.entry(root.clone()).or_insert(0) += 1;
            }
            if let Some(leaf) = item.categories.last() {
                leaves.insert(leaf.clone());
            }
            paths.insert(item.categories.join(" > "));
            if let Some(p) = item.price {
                prices.push(p);
            }
            if let Some(r) = item.rating {
                rating_sum += r;
                rated += 1;
            }
            if !item.images.is_empty() {
                with_images += 1;
            }
            Ok(())
        })?;
        prices.sort_by(f64::total_cmp);
        let price_min_median_max = match (prices.first(), prices.last()) {
            (Some(lo), Some(hi)) => Some((*lo, prices[prices.len() / 2], *hi)),
            _ => None,
        };
        Ok(CatalogStats {
            items,
            roots,
            category_paths: paths.len(),
            leaf_categories: leaves.len(),
            priced: prices.len(),
            price_min_median_max,
            rating_mean: (rated > 0).then(|| rating_sum / rated as f64),
            with_images,
            source: self.meta("source")?,
        })
    }
}
