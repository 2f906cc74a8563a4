//! An in-memory view of the catalog for the offline recommender and user simulator: compact items with interned,
//! normalised attributes, items per leaf category (best rated first), and posting lists per (category, attribute, value).
//! Loaded once per run; its size depends on the catalog, never on the number of conversations.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

use super::Index;
use super::department::{self, Department};
use super::lexicon::{self, FeatureForm, LexiconBuilder, Noun, Rules, ValueForm};
use crate::Result;

/// Interned strings: each distinct text stored once, referred to by a `u32`.
#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32, FastHash>,
    texts: Vec<String>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.ids.get(text) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(text.to_string());
        self.ids.insert(text.to_string(), id);
        id
    }

    fn get(&self, text: &str) -> Option<u32> {
        self.ids.get(text).copied()
    }

    fn text(&self, id: u32) -> &str {
        self.texts
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The hashing of the catalog's lookup maps: texts and ids of the run's own catalog (no keys from outside), looked
/// up many times a turn, so a multiply-rotate hash of 8 bytes at a time (FxHash's) instead of SipHash. No map here is
/// iterated in a way that reaches the output (the leaf lists are each sorted on their own).
#[derive(Debug, Default, Clone, Copy)]
struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

/// The hasher of [`FastHash`].
#[derive(Debug)]
struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // The product's well-mixed high bits moved down to where the table takes its bucket from.
        self.0.rotate_left(26)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// One item, compactly.
pub struct MemItem {
    /// Item id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Leaf category (interned, lowercase).
    leaf: u32,
    /// The full category path, root first (interned, as written).
    path: Vec<u32>,
    /// Price.
    pub price: Option<f64>,
    /// Rating (0 when unknown).
    pub rating: f64,
    /// (attribute key, lowercase value), interned, sorted by key.
    attributes: Vec<(u32, u32)>,
    /// The values as written in the catalog, in the same order (for display).
    shown_values: Vec<u32>,
    /// Lowercase features, interned.
    features: Vec<u32>,
    /// First image reference.
    pub image: Option<String>,
    /// Its category's head noun (index into the catalog's nouns).
    noun: u32,
}

/// Maps detail labels ("Colour", "Fabric Type") to attribute keys ("color", "material").
pub type AttributeLabels = Vec<(String, Vec<String>)>;

/// The catalog in memory.
pub struct MemoryCatalog {
    strings: Interner,
    /// Category names of the paths, apart from `strings` so that lookups of values never find them.
    path_names: Interner,
    items: Vec<MemItem>,
    by_id: HashMap<String, u32, FastHash>,
    by_leaf: HashMap<u32, Vec<u32>, FastHash>,
    postings: HashMap<(u32, u32, u32), Vec<u32>, FastHash>,
    /// Head nouns of the category paths.
    nouns: Vec<Noun>,
    /// The noun most items of a leaf category take (leaf id → noun).
    leaf_nouns: HashMap<u32, u32, FastHash>,
    /// Value forms per (attribute key id, lowercase value id).
    forms: HashMap<(u32, u32), ValueForm, FastHash>,
    /// Feature forms per lowercase feature id.
    feature_forms: HashMap<u32, FeatureForm, FastHash>,
    /// The lexicon's rules, for features the stored lexicon leaves out.
    rules: Rules,
    /// Each item's department (an index into [`department::embedded`], `u8::MAX` for none), read on first use.
    departments: std::sync::OnceLock<Vec<u8>>,
}

impl MemoryCatalog {
    /// Load every item of `index`; `labels` names the attribute keys detail labels map to (others keep their lowercase label).
    pub fn load(index: &Index, labels: &AttributeLabels) -> Result<Self> {
        let mut label_key: HashMap<String, String> = HashMap::new();
        for (key, ls) in labels {
            for l in ls {
                label_key
                    .entry(l.to_lowercase())
                    .or_insert_with(|| key.clone());
            }
        }
        let mut cat = MemoryCatalog {
            strings: Interner::default(),
            path_names: Interner::default(),
            items: Vec::new(),
            by_id: HashMap::default(),
            by_leaf: HashMap::default(),
            postings: HashMap::default(),
            nouns: Vec::new(),
            leaf_nouns: HashMap::default(),
            forms: HashMap::default(),
            feature_forms: HashMap::default(),
            rules: Rules::embedded()?,
            departments: std::sync::OnceLock::new(),
        };
        // An index built before lexicons were stored gets one built from the same pass over its items.
        let stored = index
            .meta(lexicon::META_KEY)?
            .map(|json| lexicon::Lexicon::from_json(&json))
            .transpose()?;
        let mut builder = match stored {
            Some(_) => None,
            None => Some(LexiconBuilder::new()?),
        };
        let mut details: Vec<(u32, u32, String, String)> = Vec::new();
        let mut seen: std::collections::HashSet<(u32, u32)> = std::collections::HashSet::new();
        let mut paths: HashMap<String, u32> = HashMap::new();
        let mut path_of_noun: Vec<Vec<String>> = Vec::new();
        let mut leaf_counts: HashMap<(u32, u32), usize> = HashMap::new();
        index.for_each(|item| {
            if let Some(b) = builder.as_mut() {
                b.add(&item);
            }
            let leaf = cat
                .strings
                .intern(&item.leaf_category().unwrap_or("").to_lowercase());
            let mut triples: Vec<(u32, u32, u32)> = Vec::new();
            for (label, value) in &item.details {
                let lower = label.to_lowercase();
                let key = label_key.get(&lower).cloned().unwrap_or(lower);
                let k = cat.strings.intern(&key);
                if triples.iter().any(|(x, _, _)| *x == k) {
                    continue;
                }
                let v = cat.strings.intern(&value.to_lowercase());
                let shown = cat.strings.intern(value.trim());
                triples.push((k, v, shown));
                if seen.insert((k, v)) {
                    details.push((k, v, label.clone(), value.clone()));
                }
            }
            triples.sort_unstable();
            let attributes: Vec<(u32, u32)> = triples.iter().map(|(k, v, _)| (*k, *v)).collect();
            let shown_values: Vec<u32> = triples.iter().map(|(_, _, s)| *s).collect();
            let features = item
                .features
                .iter()
                .map(|f| cat.strings.intern(&f.to_lowercase()))
                .collect();
            let path = item
                .categories
                .iter()
                .map(|c| cat.path_names.intern(c.trim()))
                .collect();
            let key = lexicon::noun_key(&item.categories);
            let noun = *paths.entry(key).or_insert_with(|| {
                path_of_noun.push(item.categories.clone());
                path_of_noun.len() as u32 - 1
            });
            *leaf_counts.entry((leaf, noun)).or_insert(0) += 1;
            let idx = cat.items.len() as u32;
            for &(k, v) in &attributes {
                cat.postings.entry((leaf, k, v)).or_default().push(idx);
            }
            cat.by_leaf.entry(leaf).or_default().push(idx);
            cat.by_id.insert(item.id.clone(), idx);
            cat.items.push(MemItem {
                id: item.id,
                title: item.title,
                leaf,
                path,
                price: item.price,
                rating: item.rating.unwrap_or(0.0),
                attributes,
                shown_values,
                features,
                image: item.images.into_iter().next(),
                noun,
            });
            Ok(())
        })?;
        let lexicon = match builder {
            Some(b) => b.finish(),
            None => index.lexicon()?,
        };
        cat.nouns = path_of_noun
            .iter()
            .map(|p| {
                lexicon
                    .noun(p)
                    .cloned()
                    .unwrap_or_else(|| cat.rules.noun(p))
            })
            .collect();
        let mut best: Vec<((u32, u32), usize)> = leaf_counts.into_iter().collect();
        best.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for ((leaf, noun), _) in best {
            cat.leaf_nouns.entry(leaf).or_insert(noun);
        }
        for (k, v, label, value) in details {
            let form = lexicon
                .value(&label, &value)
                .cloned()
                .unwrap_or_else(|| cat.rules.value(&label.to_lowercase(), &value));
            cat.forms.insert((k, v), form);
        }
        for (text, form) in lexicon.features {
            if let Some(id) = cat.strings.get(&text) {
                cat.feature_forms.insert(id, form);
            }
        }
        let items = &cat.items;
        for list in cat.by_leaf.values_mut() {
            list.sort_by(|&a, &b| {
                let (x, y) = (&items[a as usize], &items[b as usize]);
                y.rating.total_cmp(&x.rating).then_with(|| x.id.cmp(&y.id))
            });
        }
        Ok(cat)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the catalog is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The position of item `id`.
    pub fn position(&self, id: &str) -> Option<u32> {
        self.by_id.get(id).copied()
    }

    /// The item at `idx`.
    pub fn item(&self, idx: u32) -> &MemItem {
        &self.items[idx as usize]
    }

    /// The item's leaf category, lowercase.
    pub fn leaf(&self, idx: u32) -> &str {
        self.strings.text(self.item(idx).leaf)
    }

    /// The item's full category path, root first, as written in the catalog.
    pub fn path(&self, idx: u32) -> impl Iterator<Item = &str> + Clone {
        self.item(idx).path.iter().map(|c| self.path_names.text(*c))
    }

    /// The item's department (from its category path, else its title), if either names one.
    pub fn department(&self, idx: u32) -> Option<&'static Department> {
        let all = department::embedded();
        let ids = self.departments.get_or_init(|| {
            (0..self.items.len() as u32)
                .map(|i| {
                    department::department(all, self.path(i), &self.item(i).title)
                        .and_then(|d| all.iter().position(|x| std::ptr::eq(x, d)))
                        .map_or(u8::MAX, |p| p as u8)
                })
                .collect()
        });
        all.get(usize::from(*ids.get(idx as usize)?))
    }

    /// The item's value for attribute `key`, lowercase.
    pub fn value(&self, idx: u32, key: &str) -> Option<&str> {
        let k = self.strings.get(key)?;
        let attrs = &self.item(idx).attributes;
        attrs
            .binary_search_by_key(&k, |(x, _)| *x)
            .ok()
            .map(|at| self.strings.text(attrs[at].1))
    }

    /// The item's value for attribute `key` as people would write it: proper nouns and codes (brand, size,
    /// author …) as in the catalog, common words (colours, materials) in lowercase.
    pub fn display_value(&self, idx: u32, key: &str) -> Option<&str> {
        let k = self.strings.get(key)?;
        let item = self.item(idx);
        let at = item.attributes.binary_search_by_key(&k, |(x, _)| *x).ok()?;
        let keep_case = matches!(
            key,
            "brand"
                | "size"
                | "author"
                | "language"
                | "format"
                | "screen_size"
                | "capacity"
                | "power"
                | "battery_life"
        );
        Some(if keep_case {
            self.strings.text(item.shown_values[at])
        } else {
            self.strings.text(item.attributes[at].1)
        })
    }

    /// The head noun of the item's category ("scarf", "road running shoes").
    pub fn noun(&self, idx: u32) -> &Noun {
        &self.nouns[self.item(idx).noun as usize]
    }

    /// The head noun most items of leaf category `leaf` (lowercase) take.
    pub fn leaf_noun(&self, leaf: &str) -> Option<&Noun> {
        let l = self.strings.get(leaf)?;
        self.leaf_nouns.get(&l).map(|&n| &self.nouns[n as usize])
    }

    /// The form of the item's value of attribute `key`.
    pub fn form(&self, idx: u32, key: &str) -> Option<&ValueForm> {
        let value = self.value(idx, key)?;
        self.value_form(key, value)
    }

    /// The form of `value` (lowercase) of attribute `key`, if the catalog has it.
    pub fn value_form(&self, key: &str, value: &str) -> Option<&ValueForm> {
        let k = self.strings.get(key)?;
        let v = self.strings.get(value)?;
        self.forms.get(&(k, v))
    }

    /// The form of a feature (lowercase): from the lexicon, or derived now for one it leaves out.
    pub fn feature_form(&self, feature: &str) -> FeatureForm {
        self.strings
            .get(feature)
            .and_then(|f| self.feature_forms.get(&f))
            .cloned()
            .unwrap_or_else(|| self.rules.feature(feature))
    }

    /// The id of an interned text (attribute key, lowercase value or feature), if the catalog has it.
    pub fn text_id(&self, text: &str) -> Option<u32> {
        self.strings.get(text)
    }

    /// Whether the item's attribute `key` has `value` (both ids from [`MemoryCatalog::text_id`]).
    pub fn has_pair(&self, idx: u32, key: u32, value: u32) -> bool {
        let attrs = &self.item(idx).attributes;
        attrs
            .binary_search_by_key(&key, |(k, _)| *k)
            .is_ok_and(|at| attrs[at].1 == value)
    }

    /// Whether the item lists the feature with id `feature`.
    pub fn has_feature_id(&self, idx: u32, feature: u32) -> bool {
        self.item(idx).features.contains(&feature)
    }

    /// Every (attribute key, value) of the item, in key order.
    pub fn attributes(&self, idx: u32) -> impl Iterator<Item = (&str, &str)> {
        self.item(idx)
            .attributes
            .iter()
            .map(|(k, v)| (self.strings.text(*k), self.strings.text(*v)))
    }

    /// Whether the item lists `feature` (lowercase, exact).
    pub fn has_feature(&self, idx: u32, feature: &str) -> bool {
        self.strings
            .get(feature)
            .is_some_and(|f| self.item(idx).features.contains(&f))
    }

    /// The item's features, lowercase.
    pub fn features(&self, idx: u32) -> impl Iterator<Item = &str> {
        self.item(idx)
            .features
            .iter()
            .map(|f| self.strings.text(*f))
    }

    /// Items in leaf category `leaf` (lowercase), best rated first.
    pub fn in_leaf(&self, leaf: &str) -> &[u32] {
        self.strings
            .get(leaf)
            .and_then(|l| self.by_leaf.get(&l))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Items in leaf category `leaf` whose attribute `key` has `value` (all lowercase).
    pub fn with_value(&self, leaf: &str, key: &str, value: &str) -> &[u32] {
        let (Some(l), Some(k), Some(v)) = (
            self.strings.get(leaf),
            self.strings.get(key),
            self.strings.get(value),
        ) else {
            return &[];
        };
        self.postings
            .get(&(l, k, v))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}
