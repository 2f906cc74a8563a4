//! What every analytics export reads once (profiles, reviews, the catalog, the clock) and what it derives per
//! conversation ([`Chat`]: split, session start, turn times, token and word counts, the target's category).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use super::timeline::{self, Clock};
use crate::catalog::Index;
use crate::config::Config;
use crate::export::sft::split_of;
use crate::io::read_jsonl_lines;
use crate::io::run_folder::{Sources, parse_conversation};
use crate::model::{Conversation, Item, Persona, Profile, Review, Role};
use crate::{Error, Result};

/// The inputs of an analytics export, loaded once.
pub struct Inputs {
    /// The conversations file.
    pub conversations: PathBuf,
    /// Profiles by id (empty without a profiles file).
    pub profiles: HashMap<String, Profile>,
    /// Reviews by conversation id (empty without a reviews file).
    pub reviews: HashMap<String, Review>,
    /// The catalog index, when there is one.
    pub catalog: Option<Index>,
    /// Run seed (the session starts derive from it).
    pub seed: u64,
    /// Shares of the train, validation and test splits.
    pub split: [f64; 3],
    /// The synthetic clock.
    pub clock: Clock,
    /// StoryBot: the recommender's screen name.
    pub bot_name: String,
    /// The catalog's currency (a budget without a currency of its own is in it).
    pub catalog_currency: crate::model::CurrencyCode,
    items: RefCell<HashMap<String, Option<Item>>>,
    /// Token counts by input line, counted on the first pass that needs them and reused by the others.
    tokens: RefCell<HashMap<usize, Vec<u32>>>,
}

/// One conversation with everything the exports derive from it.
pub struct Chat<'a> {
    /// The conversation.
    pub conversation: &'a Conversation,
    /// Its line in the conversations file.
    pub line: usize,
    /// The profile the user played, when known.
    pub profile: Option<&'a Profile>,
    /// Its review, when there is one.
    pub review: Option<&'a Review>,
    /// `train`, `validation` or `test` (the SFT split).
    pub split: &'static str,
    /// Session start, ms since 1970-01-01 UTC.
    pub start_ms: i64,
    /// Time of each turn.
    pub times: Vec<i64>,
    /// Tokens of each turn's text (tiktoken cl100k, as the manager counts); zeros on a pass that does not need them
    /// ([`Inputs::for_each_chat_untokenized`]).
    pub tokens: Vec<u32>,
    /// Words of each turn's text.
    pub words: Vec<u32>,
    /// The target's category path: the scenario's, else the catalog's, else empty.
    pub target_category: Vec<String>,
    /// The catalog's currency.
    pub catalog_currency: crate::model::CurrencyCode,
}

impl Chat<'_> {
    /// The user's id (the profile id), unless the conversation has none.
    pub fn user_id(&self) -> Option<&str> {
        Some(self.conversation.profile_id.as_str()).filter(|s| !s.is_empty())
    }

    /// The persona, when the profile is known.
    pub fn persona(&self) -> Option<&Persona> {
        self.profile.map(|p| &p.persona)
    }

    /// When the last turn happened (the session start for a conversation without turns).
    pub fn end_ms(&self) -> i64 {
        self.times.last().copied().unwrap_or(self.start_ms)
    }

    /// Turns spoken by `role`.
    pub fn turns_by(&self, role: Role) -> usize {
        self.conversation
            .turns
            .iter()
            .filter(|t| t.role == role)
            .count()
    }
}

/// Tokens of `text` (tiktoken cl100k; a characters/4 estimate if the tokenizer cannot load).
pub fn count_tokens(text: &str) -> u32 {
    static BPE: OnceLock<Option<tiktoken_rs::CoreBPE>> = OnceLock::new();
    match BPE.get_or_init(|| tiktoken_rs::cl100k_base().ok()) {
        Some(bpe) => bpe.encode_ordinary(text).len() as u32,
        None => text.chars().count().div_ceil(4) as u32,
    }
}

/// Words of `text` (whitespace-separated).
pub fn count_words(text: &str) -> u32 {
    text.split_whitespace().count() as u32
}

impl Inputs {
    /// Load what `sources` names, with the settings of `config`.
    pub fn load(config: &Config, sources: &Sources) -> Result<Inputs> {
        let catalog = sources.catalog.as_deref().map(Index::open).transpose()?;
        Ok(Inputs {
            conversations: sources.conversations.clone(),
            profiles: sources.profiles()?,
            reviews: sources.reviews()?,
            catalog,
            seed: config.seed,
            split: config.export.split,
            clock: Clock::new(&config.export.analytics)?,
            bot_name: config.export.analytics.storybot_bot_name.clone(),
            catalog_currency: config.currency.catalog,
            items: RefCell::new(HashMap::new()),
            tokens: RefCell::new(HashMap::new()),
        })
    }

    /// The catalog item `id` (cached), or `None` without a catalog or when the catalog lacks it.
    pub fn item(&self, id: &str) -> Result<Option<Item>> {
        let Some(index) = &self.catalog else {
            return Ok(None);
        };
        if let Some(hit) = self.items.borrow().get(id) {
            return Ok(hit.clone());
        }
        let found = index.get(id)?;
        self.items
            .borrow_mut()
            .insert(id.to_string(), found.clone());
        Ok(found)
    }

    /// Derive the [`Chat`] of `c`, read at `line` (its token counts too when `tokens`).
    pub fn chat<'a>(&'a self, c: &'a Conversation, line: usize, tokens: bool) -> Result<Chat<'a>> {
        let start_ms = self.clock.session_start(self.seed, &c.id);
        let profile = self.profiles.get(&c.profile_id);
        let mut target_category = profile
            .map(|p| p.scenario.category.clone())
            .unwrap_or_default();
        if target_category.is_empty() && !c.target_item_id.is_empty() {
            target_category = self
                .item(&c.target_item_id)?
                .map(|i| i.categories)
                .unwrap_or_default();
        }
        Ok(Chat {
            conversation: c,
            line,
            profile,
            catalog_currency: self.catalog_currency,
            review: self.reviews.get(&c.id),
            split: split_of(&c.id, self.split),
            start_ms,
            times: timeline::turn_times(start_ms, &c.turns),
            tokens: if tokens {
                self.tokens_of(c, line)
            } else {
                vec![0; c.turns.len()]
            },
            words: c.turns.iter().map(|t| count_words(&t.text)).collect(),
            target_category,
        })
    }

    /// The token counts of `c`'s turns (read at `line`), counted once per export.
    fn tokens_of(&self, c: &Conversation, line: usize) -> Vec<u32> {
        if let Some(hit) = self.tokens.borrow().get(&line) {
            return hit.clone();
        }
        let counted: Vec<u32> = c.turns.iter().map(|t| count_tokens(&t.text)).collect();
        self.tokens.borrow_mut().insert(line, counted.clone());
        counted
    }

    /// Call `f` with the [`Chat`] of every conversation, in file order; a repeated conversation id is an input
    /// error naming its line (the tables key on it).
    pub fn for_each_chat(&self, f: impl FnMut(&Chat<'_>) -> Result<()>) -> Result<()> {
        self.walk(true, f)
    }

    /// [`Inputs::for_each_chat`] without counting tokens (they are zeros), for passes that do not use them.
    pub fn for_each_chat_untokenized(&self, f: impl FnMut(&Chat<'_>) -> Result<()>) -> Result<()> {
        self.walk(false, f)
    }

    fn walk(&self, tokens: bool, mut f: impl FnMut(&Chat<'_>) -> Result<()>) -> Result<()> {
        let path: &Path = &self.conversations;
        let mut seen = HashSet::new();
        read_jsonl_lines(path, |line, text| {
            let c = parse_conversation(path, line, text)?;
            if !seen.insert(c.id.clone()) {
                return Err(Error::input(
                    path,
                    Some(line),
                    Some("id"),
                    format!("conversation id `{}` repeats an earlier line", c.id),
                ));
            }
            f(&self.chat(&c, line, tokens)?)
        })
    }
}
