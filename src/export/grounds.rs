//! What training samples can be grounded with: the catalog (item cards, the soundness of each recommendation for
//! loss weights and preference pairs) and the item pictures (image parts), loaded once per export.

use std::collections::HashMap;
use std::path::PathBuf;

use super::chat::ChatFormat;
use crate::Result;
use crate::catalog::card::Card;
use crate::catalog::money::Currencies;
use crate::catalog::sizes::Sizes;
use crate::catalog::{Index, MemoryCatalog};
use crate::config::Config;
use crate::io::Sources;
use crate::io::images::{ImageLoader, is_remote};
use crate::model::{Conversation, CurrencyCode};

/// The catalog and pictures of an export (each absent when the run folder lacks it).
pub struct Grounds {
    /// The catalog index, for item cards.
    pub index: Option<Index>,
    /// The catalog in memory, for checking recommendations.
    pub memory: Option<MemoryCatalog>,
    images: ImageLoader,
    images_dir: Option<PathBuf>,
    /// The currencies shoppers count in, and the currency of each profile's budget (cards quote prices in it).
    currencies: Currencies,
    currency_of: HashMap<String, CurrencyCode>,
    /// The size systems, and the country each profile's shopper lives in (cards give sizes in its system).
    sizes: Sizes,
    country_of: HashMap<String, String>,
}

impl Grounds {
    /// Open the catalog of `sources` (and load it in memory when `memory`), with pictures from
    /// `catalog.images_dir`.
    pub fn load(config: &Config, sources: &Sources, memory: bool) -> Result<Self> {
        let index = sources.catalog.as_deref().map(Index::open).transpose()?;
        let memory = match (&index, memory) {
            (Some(index), true) => {
                let labels = crate::catalog::labels::attribute_labels(
                    config.profiles.tables_dir.as_deref(),
                )?;
                Some(MemoryCatalog::load(index, &labels)?)
            }
            _ => None,
        };
        let dir = config.catalog.images_dir.clone();
        let currencies = Currencies::load(config.profiles.tables_dir.as_deref(), &config.currency)?;
        let profiles = sources.profiles()?;
        let currency_of = profiles
            .iter()
            .filter_map(|(id, p)| Some((id.clone(), p.scenario.budget.as_ref()?.currency?)))
            .collect();
        let country_of = profiles
            .into_iter()
            .filter_map(|(id, p)| Some((id, p.persona.location?.country)))
            .collect();
        Ok(Grounds {
            currencies,
            currency_of,
            sizes: Sizes::load(config.profiles.tables_dir.as_deref(), &config.sizes)?,
            country_of,
            index,
            memory,
            images: ImageLoader::new(dir.as_deref()),
            images_dir: dir,
        })
    }

    /// The cards of the items `c` mentions, one `- id: card` line each, in an order that does not give away which
    /// was accepted (by a hash of the id); `None` without a catalog or items.
    pub fn cards(&self, c: &Conversation) -> Result<Option<String>> {
        self.cards_of(c, c.mentioned_items.iter())
    }

    /// The cards of `ids`, as [`Grounds::cards`] writes them, with prices in the currency of `c`'s shopper (the one
    /// the dialogue quotes) and sizes in their size system.
    pub fn cards_of<'a>(
        &self,
        c: &Conversation,
        ids: impl Iterator<Item = &'a String>,
    ) -> Result<Option<String>> {
        let money = self
            .currencies
            .by_code(self.currency_of.get(&c.profile_id).copied());
        let sizes = self
            .sizes
            .for_country(self.country_of.get(&c.profile_id).map(String::as_str));
        let Some(index) = &self.index else {
            return Ok(None);
        };
        let mut ids: Vec<&String> = ids.collect();
        ids.sort_by_key(|id| (xxhash_rust::xxh3::xxh3_64(id.as_bytes()), id.as_str()));
        ids.dedup();
        let mut lines = Vec::new();
        for id in ids {
            if let Some(item) = index.get(id)? {
                lines.push(format!(
                    "- {id}: {}",
                    Card::local(&item, money, sizes).line()
                ));
            }
        }
        Ok((!lines.is_empty()).then(|| lines.join("\n")))
    }

    /// The picture reference `format` carries for `reference`: OpenAI wants a URL (local files become `data:`
    /// URLs); TRL and ShareGPT take a path (relative ones resolved against `catalog.images_dir`) or a URL. `None`
    /// when the file is not there.
    pub fn image(&self, format: ChatFormat, reference: &str) -> Option<String> {
        if format == ChatFormat::Openai {
            return self.images.url(reference);
        }
        let reference = reference.trim();
        if reference.is_empty() {
            return None;
        }
        if is_remote(reference) {
            return Some(reference.to_string());
        }
        let path = match &self.images_dir {
            Some(dir) => dir.join(reference),
            None => PathBuf::from(reference),
        };
        path.is_file().then(|| path.to_string_lossy().into_owned())
    }
}
