//! The sample catalog's vocabulary files (`catalog/sample/*.toml`): their serde shape and the checked, weighted form the generator samples from.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::data::{self, DataFile};
use crate::rng::{Rng, Weighted};
use crate::template::TemplateBank;
use crate::{Error, Result};

/// One domain file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DomainFile {
    name: String,
    weight: f64,
    root: String,
    rating: RatingDist,
    titles: Vec<String>,
    descriptions: Vec<String>,
    brands: BTreeMap<String, f64>,
    #[serde(default)]
    attributes: BTreeMap<String, AttributeFile>,
    #[serde(default)]
    words: BTreeMap<String, WordsFile>,
    categories: Vec<CategoryFile>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RatingDist {
    mean: f64,
    sd: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AttributeFile {
    label: String,
    values: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WordsFile {
    values: BTreeMap<String, f64>,
}

/// Who a category is made for; it sets the title prefix ("Women's …").
#[derive(Debug, Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Men's.
    Men,
    /// Women's.
    Women,
    /// Boys'.
    Boys,
    /// Girls'.
    Girls,
    /// Baby.
    Baby,
    /// Anyone.
    #[default]
    Unisex,
}

impl Audience {
    fn title_prefix(self) -> &'static str {
        match self {
            Audience::Men => "Men's ",
            Audience::Women => "Women's ",
            Audience::Boys => "Boys' ",
            Audience::Girls => "Girls' ",
            Audience::Baby => "Baby ",
            Audience::Unisex => "",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryFile {
    path: Vec<String>,
    weight: f64,
    #[serde(default)]
    audience: Audience,
    nouns: Vec<String>,
    modifiers: Vec<String>,
    attributes: Vec<String>,
    features: Vec<String>,
    price: PriceDist,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct PriceDist {
    median: f64,
    sd: f64,
    min: f64,
    max: f64,
}

/// A weighted list of strings.
#[derive(Debug, Clone)]
pub struct WeightedList {
    values: Vec<String>,
    table: Weighted,
}

impl WeightedList {
    fn new(map: &BTreeMap<String, f64>, origin: &str, what: &str) -> Result<Self> {
        let table = Weighted::new(map.values().copied())
            .ok_or_else(|| Error::data(origin, format!("{what}: weights must be >= 0, one > 0")))?;
        Ok(WeightedList {
            values: map.keys().cloned().collect(),
            table,
        })
    }

    /// Draw one value.
    pub fn pick(&self, rng: &mut Rng) -> &str {
        let i = self.table.sample(rng);
        self.values.get(i).map(String::as_str).unwrap_or_default()
    }
}

/// An attribute that applies to a category: the detail label it is stored under and its values.
#[derive(Debug, Clone)]
pub struct Attribute {
    /// Name used in templates (`color`).
    pub name: String,
    /// Detail label (`Color`).
    pub label: String,
    /// Weighted values.
    pub values: WeightedList,
}

/// A checked category.
#[derive(Debug, Clone)]
pub struct Category {
    /// Full path including the domain's root.
    pub path: Vec<String>,
    /// Who it is for.
    pub audience: Audience,
    /// Head nouns.
    pub nouns: Vec<String>,
    /// Title adjectives.
    pub modifiers: Vec<String>,
    /// Indices into the domain's attributes.
    pub attributes: Vec<usize>,
    /// Feature bullets.
    pub features: Vec<String>,
    /// Lognormal price: median, sd of the log, clamp range.
    pub price: (f64, f64, f64, f64),
}

impl Category {
    /// The title prefix for the audience.
    pub fn audience_prefix(&self) -> &'static str {
        self.audience.title_prefix()
    }
}

/// A checked domain.
pub struct Domain {
    /// Domain name (`footwear`).
    pub name: String,
    /// Rating mean and sd.
    pub rating: (f64, f64),
    /// Brands by weight.
    pub brands: WeightedList,
    /// Attributes (indexed by categories).
    pub attributes: Vec<Attribute>,
    /// Free word lists for templates.
    pub words: Vec<(String, WeightedList)>,
    /// Categories.
    pub categories: Vec<Category>,
    /// Category weights.
    pub category_table: Weighted,
    /// Template groups `title` and `description`, named `{domain}.title` etc.
    pub title_count: usize,
    /// Number of description templates.
    pub description_count: usize,
}

/// Every domain with its weight, and the compiled templates.
pub struct Vocabulary {
    /// The domains.
    pub domains: Vec<Domain>,
    /// Domain weights.
    pub domain_table: Weighted,
    /// Title and description templates, grouped per domain.
    pub templates: TemplateBank,
}

impl Vocabulary {
    /// Parse and check the domain files.
    pub fn from_files(files: &[DataFile]) -> Result<Self> {
        let mut templates = TemplateBank::new(false);
        let mut domains = Vec::new();
        let mut weights = Vec::new();
        for file in files {
            let raw: DomainFile = data::parse(file)?;
            weights.push(raw.weight);
            domains.push(check_domain(raw, &file.origin, &mut templates)?);
        }
        let domain_table = Weighted::new(weights)
            .ok_or_else(|| Error::data("catalog/sample", "domain weights must be >= 0, one > 0"))?;
        Ok(Vocabulary {
            domains,
            domain_table,
            templates,
        })
    }
}

fn check_domain(raw: DomainFile, origin: &str, templates: &mut TemplateBank) -> Result<Domain> {
    let need = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(Error::data(origin, what.to_string()))
        }
    };
    need(!raw.titles.is_empty(), "`titles` must not be empty")?;
    need(
        !raw.descriptions.is_empty(),
        "`descriptions` must not be empty",
    )?;
    need(!raw.categories.is_empty(), "`categories` must not be empty")?;
    need(
        raw.rating.sd >= 0.0 && raw.rating.mean.is_finite(),
        "`rating` needs a mean and sd >= 0",
    )?;
    templates.add_group(&format!("{}.title", raw.name), &raw.titles, origin)?;
    templates.add_group(
        &format!("{}.description", raw.name),
        &raw.descriptions,
        origin,
    )?;
    let brands = WeightedList::new(&raw.brands, origin, "brands")?;
    let mut attributes = Vec::new();
    for (name, attr) in &raw.attributes {
        attributes.push(Attribute {
            name: name.clone(),
            label: attr.label.clone(),
            values: WeightedList::new(&attr.values, origin, &format!("attributes.{name}"))?,
        });
    }
    let words = raw
        .words
        .iter()
        .map(|(name, w)| Ok((name.clone(), WeightedList::new(&w.values, origin, name)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut categories = Vec::new();
    let mut cat_weights = Vec::new();
    for c in raw.categories {
        let where_ = c.path.join(" > ");
        let attrs = c
            .attributes
            .iter()
            .map(|a| {
                attributes.iter().position(|x| &x.name == a).ok_or_else(|| {
                    Error::data(
                        origin,
                        format!("category {where_}: unknown attribute `{a}`"),
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let p = c.price;
        need(
            !c.nouns.is_empty() && !c.features.is_empty(),
            &format!("category {where_}: needs nouns and features"),
        )?;
        need(
            p.min > 0.0 && p.min <= p.median && p.median <= p.max && p.sd >= 0.0,
            &format!("category {where_}: price needs 0 < min <= median <= max"),
        )?;
        cat_weights.push(c.weight);
        let mut path = vec![raw.root.clone()];
        path.extend(c.path);
        categories.push(Category {
            path,
            audience: c.audience,
            nouns: c.nouns,
            modifiers: c.modifiers,
            attributes: attrs,
            features: c.features,
            price: (p.median, p.sd, p.min, p.max),
        });
    }
    let category_table = Weighted::new(cat_weights)
        .ok_or_else(|| Error::data(origin, "category weights must be >= 0, one > 0"))?;
    Ok(Domain {
        title_count: raw.titles.len(),
        description_count: raw.descriptions.len(),
        name: raw.name,
        rating: (raw.rating.mean, raw.rating.sd),
        brands,
        attributes,
        words,
        categories,
        category_table,
    })
}
