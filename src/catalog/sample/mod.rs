//! The sample catalog: realistic items across several domains, drawn deterministically from the vocabularies in `catalog/sample/`.

mod vocab;

use std::collections::BTreeMap;

use minijinja::Value;

pub use vocab::{Audience, Vocabulary};

use crate::data::{self, SAMPLE_DOMAINS};
use crate::model::Item;
use crate::rng::Rng;
use crate::{Result, parallel};

/// Load the vocabularies: the embedded ones, replaced or extended by `override_dir`.
pub fn load_vocabulary(override_dir: Option<&std::path::Path>) -> Result<Vocabulary> {
    let files = data::load_set(SAMPLE_DOMAINS, "catalog/sample", override_dir, true)?;
    Vocabulary::from_files(&files)
}

/// What identifies a sample catalog: seed, size, vocabulary folder and musegen's version (a catalog with the same
/// key is the same catalog, so a run reuses it).
pub fn sample_key(config: &crate::config::Config) -> String {
    format!(
        "seed={};items={};dir={:?};v={}",
        config.seed,
        config.catalog.sample_items,
        config.catalog.sample_dir,
        env!("CARGO_PKG_VERSION")
    )
}

/// The id of the `index`-th sample item.
pub fn sample_id(index: usize) -> String {
    format!("s{index:07}")
}

/// Generate `count` items with `threads` workers, handing them to `sink` in id order.
pub fn generate(
    vocab: &Vocabulary,
    seed: u64,
    count: usize,
    threads: usize,
    sink: impl FnMut(Item) -> Result<()>,
) -> Result<()> {
    let mut sink = sink;
    parallel::map_ordered(
        count,
        threads,
        4096,
        |i| make_item(vocab, seed, i),
        |item| sink(item?),
    )
}

/// Make the `index`-th item: a pure function of (seed, index).
pub fn make_item(vocab: &Vocabulary, seed: u64, index: usize) -> Result<Item> {
    let id = sample_id(index);
    let mut rng = Rng::for_record(seed, "catalog", &id);
    let domain = &vocab.domains[vocab
        .domain_table
        .sample(&mut rng)
        .min(vocab.domains.len() - 1)];
    let category = &domain.categories[domain
        .category_table
        .sample(&mut rng)
        .min(domain.categories.len() - 1)];
    let brand = domain.brands.pick(&mut rng).to_string();
    let mut ctx: BTreeMap<String, String> = BTreeMap::new();
    let mut details = BTreeMap::new();
    for &a in &category.attributes {
        let attr = &domain.attributes[a];
        let value = attr.values.pick(&mut rng).to_string();
        details.insert(attr.label.clone(), value.clone());
        ctx.insert(attr.name.clone(), value);
    }
    details.insert("Brand".to_string(), brand.clone());
    for (name, list) in &domain.words {
        ctx.insert(name.clone(), list.pick(&mut rng).to_string());
    }
    let n_features = (3 + rng.below(3)).min(category.features.len());
    let features: Vec<String> = rng
        .sample_indices(category.features.len(), n_features)
        .into_iter()
        .map(|i| category.features[i].clone())
        .collect();
    let noun = rng.choose(&category.nouns).cloned().unwrap_or_default();
    // A modifier sharing a word with the noun would double it ("Everyday Everyday Tee"): those are left out.
    let noun_words: Vec<String> = noun.split([' ', '-']).map(str::to_lowercase).collect();
    let modifiers: Vec<&String> = category
        .modifiers
        .iter()
        .filter(|m| {
            !m.split([' ', '-'])
                .any(|w| noun_words.contains(&w.to_lowercase()))
        })
        .collect();
    let modifier = rng
        .choose(&modifiers)
        .map(|m| m.to_string())
        .unwrap_or_default();
    ctx.insert("brand".into(), brand);
    ctx.insert("audience".into(), category.audience_prefix().into());
    ctx.insert("noun".into(), noun);
    ctx.insert("modifier".into(), modifier);
    ctx.insert(
        "category".into(),
        category.path.last().cloned().unwrap_or_default(),
    );
    ctx.insert(
        "feature".into(),
        features.first().cloned().unwrap_or_default(),
    );
    let title_group = format!("{}.title", domain.name);
    let title = vocab.templates.render(
        &title_group,
        rng.below(domain.title_count),
        &Value::from(minijinja::value::Serde(&ctx)),
    )?;
    let desc_group = format!("{}.description", domain.name);
    let n_desc = (2 + rng.below(2)).min(domain.description_count);
    let mut sentences = Vec::with_capacity(n_desc);
    for (k, i) in rng
        .sample_indices(domain.description_count, n_desc)
        .into_iter()
        .enumerate()
    {
        // Each sentence that names a feature names a different one.
        if let Some(f) = features.get(k % features.len().max(1)) {
            ctx.insert("feature".into(), f.clone());
        }
        let value = Value::from(minijinja::value::Serde(&ctx));
        sentences.push(vocab.templates.render(&desc_group, i, &value)?);
    }
    let (median, sd, lo, hi) = category.price;
    let raw_price = (median.ln() + sd * rng.normal()).exp().clamp(lo, hi);
    let (mean, rsd) = domain.rating;
    let rating = ((mean + rsd * rng.normal()).clamp(1.0, 5.0) * 10.0).round() / 10.0;
    Ok(Item {
        title: title_case(&title),
        description: vec![sentences.join(" ")],
        features,
        categories: category.path.clone(),
        price: Some(shelf_price(raw_price)),
        rating: Some(rating),
        details,
        images: vec![format!("images/{}/{id}.jpg", domain.name)],
        new_description: None,
        id,
    })
}

/// Round a raw price to a shelf price: x.99 above $10, cents below.
fn shelf_price(raw: f64) -> f64 {
    if raw >= 10.0 {
        (raw.round() - 0.01).max(0.99)
    } else {
        (raw * 100.0).round() / 100.0
    }
}

/// Capitalise every word of a product title except short joining words (as catalog titles are written).
fn title_case(text: &str) -> String {
    const SMALL: &[&str] = &[
        "a", "an", "and", "the", "of", "for", "with", "in", "on", "by", "to", "or",
    ];
    text.split(' ')
        .enumerate()
        .map(|(i, word)| {
            let mut chars = word.chars();
            match chars.next() {
                Some(c) if c.is_lowercase() && (i == 0 || !SMALL.contains(&word)) => {
                    c.to_uppercase().chain(chars).collect()
                }
                _ => word.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_pure_functions_of_seed_and_index() {
        let vocab = load_vocabulary(None).unwrap();
        let a = make_item(&vocab, 7, 42).unwrap();
        let b = make_item(&vocab, 7, 42).unwrap();
        assert_eq!(a, b);
        let c = make_item(&vocab, 8, 42).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn items_are_complete_and_plausible() {
        let vocab = load_vocabulary(None).unwrap();
        let mut roots = std::collections::BTreeSet::new();
        for i in 0..600 {
            let item = make_item(&vocab, 1, i).unwrap();
            assert!(!item.title.is_empty() && !item.title.contains("  "));
            assert!(!item.description[0].is_empty());
            assert!(item.features.len() >= 3, "{item:?}");
            assert!(item.categories.len() >= 2);
            let price = item.price.unwrap();
            assert!(price > 0.0 && price < 10_000.0);
            let rating = item.rating.unwrap();
            assert!((1.0..=5.0).contains(&rating));
            assert!(item.details.contains_key("Brand"));
            assert_eq!(item.images.len(), 1);
            roots.insert(item.images[0].split('/').nth(1).unwrap().to_string());
        }
        for domain in [
            "fashion",
            "footwear",
            "accessories",
            "electronics",
            "home",
            "books",
        ] {
            assert!(roots.contains(domain), "no {domain} item in 600");
        }
    }

    /// No title says a word twice in a row ("Women's Everyday Everyday Tee"), over a large sample.
    #[test]
    fn titles_never_double_a_word() {
        let vocab = load_vocabulary(None).unwrap();
        for index in 0..20_000 {
            let title = make_item(&vocab, 11, index).unwrap().title;
            let words: Vec<String> = title
                .split([' ', '-'])
                .map(|w| w.to_lowercase())
                .filter(|w| !w.is_empty())
                .collect();
            assert!(words.windows(2).all(|w| w[0] != w[1]), "{index}: {title}");
        }
    }

    #[test]
    fn titles_are_title_cased() {
        assert_eq!(
            title_case("Velora Men's lightweight hiking boot by Velora"),
            "Velora Men's Lightweight Hiking Boot by Velora"
        );
        assert_eq!(
            title_case("the quiet harbor: a novel"),
            "The Quiet Harbor: a Novel"
        );
    }

    #[test]
    fn shelf_prices_look_like_shelf_prices() {
        assert_eq!(shelf_price(47.6), 47.99);
        assert_eq!(shelf_price(3.456), 3.46);
    }
}
