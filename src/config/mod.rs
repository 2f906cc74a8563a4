//! The TOML config: every modelling assumption with its documented default, loading with file:line errors, `--set` overrides and the JSON Schema.

mod load;

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use load::{LoadedConfig, apply_override, load};

/// The whole configuration of a musegen run (`musegen.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Run seed. Every record's randomness derives from (seed, stage, record id), so the same seed gives byte-identical output.
    pub seed: u64,
    /// Worker threads for offline generation; 0 means one per core. Output never depends on it.
    pub threads: usize,
    /// Item catalog settings.
    pub catalog: CatalogConfig,
    /// Persona and scenario settings.
    pub profiles: ProfilesConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 7,
            threads: 0,
            catalog: CatalogConfig::default(),
            profiles: ProfilesConfig::default(),
        }
    }
}

/// Which labels of a category path count as categories for `catalog categories`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CategoryLevels {
    /// Every label of every path (MUSE's `category2items.json` does this).
    All,
    /// Only the leaf label.
    Leaf,
}

/// Item catalog settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CatalogConfig {
    /// Items in the sample catalog (`musegen catalog sample`, `musegen run`).
    pub sample_items: NonZeroUsize,
    /// Folder whose `*.toml` files replace the embedded sample-catalog vocabularies file by file.
    pub sample_dir: Option<PathBuf>,
    /// Categories with fewer items are left out of the category list and map (MUSE used 5).
    pub min_category_items: usize,
    /// Which labels of a category path the category list and map use.
    pub category_levels: CategoryLevels,
    /// Category labels never listed as categories (too general to be useful), matched case-insensitively.
    pub ignore_categories: Vec<String>,
    /// Longest text field accepted on import, in characters; longer rows are skipped.
    pub max_field_chars: NonZeroUsize,
    /// Default number of search results.
    pub search_limit: NonZeroUsize,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig {
            sample_items: nz(2000),
            sample_dir: None,
            min_category_items: 5,
            category_levels: CategoryLevels::All,
            ignore_categories: vec![
                "Clothing, Shoes & Jewelry".into(),
                "Men".into(),
                "Women".into(),
                "Boys".into(),
                "Girls".into(),
                "Baby".into(),
                "Clothing".into(),
            ],
            max_field_chars: nz(20_000),
            search_limit: nz(10),
        }
    }
}

/// Persona and scenario settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ProfilesConfig {
    /// Profiles to write (`musegen profiles`, `musegen run`).
    pub count: NonZeroUsize,
    /// Folder whose `*.toml` files replace the embedded persona tables (`profiles/`) file by file.
    pub tables_dir: Option<PathBuf>,
    /// Requirements (attributes of the target) each user will reveal; MUSE used 2.
    pub requirements: NonZeroUsize,
    /// Target category weight = (items in the category) ^ exponent. 1 follows the catalog (MUSE), 0 gives every category the same chance.
    pub category_weight_exponent: f64,
    /// A gift may come from a category meant for another gender or age (a mother buying boys' shoes).
    pub gift_exempts_audience: bool,
    /// Draws tried per profile before the run fails for that profile.
    pub max_attempts: NonZeroU32,
    /// Near-duplicate scenario filter.
    pub dedup: DedupConfig,
}

impl Default for ProfilesConfig {
    fn default() -> Self {
        ProfilesConfig {
            count: nz(1000),
            tables_dir: None,
            requirements: nz(2),
            category_weight_exponent: 1.0,
            gift_exempts_audience: true,
            max_attempts: NonZeroU32::MIN.saturating_add(199),
            dedup: DedupConfig::default(),
        }
    }
}

/// Near-duplicate filter on scenario narratives: MinHash over word shingles with LSH banding, linear time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Whether near-duplicate narratives are rejected and redrawn.
    pub enabled: bool,
    /// Estimated Jaccard similarity (of word shingles) at or above which two narratives are near-duplicates.
    pub threshold: f64,
    /// Words per shingle.
    pub shingle_words: NonZeroUsize,
    /// LSH bands; bands × rows hash functions in all.
    pub bands: NonZeroUsize,
    /// Rows (hash functions) per band.
    pub rows: NonZeroUsize,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            enabled: true,
            threshold: 0.6,
            shingle_words: nz(3),
            bands: nz(20),
            rows: nz(4),
        }
    }
}

fn nz(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

impl Config {
    /// Second-pass checks that serde cannot express; the message names the setting and what would fix it.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |key: &str, why: &str| Err(crate::Error::Config(format!("`{key}` {why}")));
        let p = &self.profiles;
        if !(p.category_weight_exponent.is_finite() && p.category_weight_exponent >= 0.0) {
            return bad(
                "profiles.category_weight_exponent",
                "must be a finite number >= 0",
            );
        }
        if p.requirements.get() > 8 {
            return bad("profiles.requirements", "must be between 1 and 8");
        }
        let d = &p.dedup;
        if !(d.threshold > 0.0 && d.threshold <= 1.0) {
            return bad(
                "profiles.dedup.threshold",
                "must be in (0, 1]; 0.6 is the default",
            );
        }
        if d.bands.get() * d.rows.get() > 512 {
            return bad(
                "profiles.dedup.bands",
                "× profiles.dedup.rows must be at most 512 hash functions",
            );
        }
        if self.threads > 256 {
            return bad("threads", "must be at most 256 (0 means one per core)");
        }
        Ok(())
    }

    /// Threads to use: the configured number, or one per core.
    pub fn effective_threads(&self) -> usize {
        if self.threads > 0 {
            self.threads
        } else {
            std::thread::available_parallelism()
                .map(NonZeroUsize::get)
                .unwrap_or(1)
        }
    }

    /// The JSON Schema of the config, pretty-printed.
    pub fn json_schema() -> String {
        let schema = schemars::schema_for!(Config);
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    }

    /// The config as TOML, as `musegen config show` prints it.
    pub fn to_toml(&self) -> crate::Result<String> {
        toml::to_string_pretty(self)
            .map_err(|e| crate::Error::Config(format!("cannot print the config: {e}")))
    }

    /// A stable hash of the effective config (hex), recorded in run manifests.
    pub fn hash(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        format!("{:016x}", crate::rng::stable_hash(0, &[text.as_bytes()]))
    }
}
