//! The TOML config: every modelling assumption with its documented default, loading with file:line errors, `--set` overrides and the JSON Schema.

mod analytics;
mod currency;
mod dialogue;
mod dpo;
mod load;
mod prices;
mod redact;
mod roles;
mod sizes;

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use analytics::{AnalyticsConfig, Date};
pub use currency::CurrencyConfig;
pub use dialogue::{DialogueConfig, UserGoal};
pub use dpo::{DpoConfig, NegativeKind, PairSource};
pub use load::{LoadedConfig, apply_override, load, suggest};
pub use prices::ModelPrice;
pub use roles::{
    AgentKind, BackendKind, Decider, RESERVED_REQUEST_FIELDS, RoleConfig, RoleName, RolesConfig,
    TokenLimitField,
};
pub use sizes::SizesConfig;

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
    /// Folder whose files replace the embedded prompts and phrase banks (`prompts/`) file by file.
    pub prompts_dir: Option<PathBuf>,
    /// Persona and scenario settings.
    pub profiles: ProfilesConfig,
    /// Conversation settings.
    pub dialogue: DialogueConfig,
    /// Which agent plays each role, and with which model.
    pub roles: RolesConfig,
    /// Limits every LLM request shares: rate, concurrency, retries, timeouts, budget.
    pub limits: LimitsConfig,
    /// The review stage: keep rule, judge rubrics, dataset metrics.
    pub review: ReviewConfig,
    /// Training and analytics files.
    pub export: ExportConfig,
    /// Budgets and prices in the persona's local currency.
    pub currency: CurrencyConfig,
    /// Sizes in the persona's local system (UK, EU …) where the catalog writes a size with its system.
    pub sizes: SizesConfig,
    /// Prices per model (USD per million tokens), for the cost ledger; unknown models cost 0.
    pub prices: std::collections::BTreeMap<String, ModelPrice>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 7,
            threads: 0,
            catalog: CatalogConfig::default(),
            prompts_dir: None,
            profiles: ProfilesConfig::default(),
            dialogue: DialogueConfig::default(),
            roles: RolesConfig::default(),
            limits: LimitsConfig::default(),
            review: ReviewConfig::default(),
            export: ExportConfig::default(),
            currency: CurrencyConfig::default(),
            sizes: SizesConfig::default(),
            prices: std::collections::BTreeMap::new(),
        }
    }
}

/// Export settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ExportConfig {
    /// Shares of the train, validation and test splits (by a hash of the conversation id, so a conversation
    /// always lands in the same split).
    pub split: [f64; 3],
    /// Start every training sample with the system prompt of `prompts/export/sft.toml`.
    pub system_prompt: bool,
    /// Preference pairs.
    pub dpo: DpoConfig,
    /// The license the dataset card states (a Hugging Face license id).
    pub license: String,
    /// The dataset card's title.
    pub dataset_name: String,
    /// The analytics exports: turn log, flat tables, star and snowflake schemas, StoryBot.
    pub analytics: AnalyticsConfig,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            split: [0.9, 0.05, 0.05],
            system_prompt: true,
            dpo: DpoConfig::default(),
            license: "cc-by-4.0".into(),
            dataset_name: "musegen conversational recommendation dialogues".into(),
            analytics: AnalyticsConfig::default(),
        }
    }
}

/// The review stage's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReviewConfig {
    /// Which conversations are kept: an expression over a review's fields, with `&&`, `||`, `!` (or `and`, `or`,
    /// `not`) and comparisons, e.g. `grounding.ok && judge.muse_filter.total >= 4`.
    pub keep: String,
    /// Rubrics the judge scores (files of `evaluation/rubrics/` or `evaluation_dir/rubrics/`), when
    /// `roles.judge.agent = "llm"`.
    pub rubrics: Vec<String>,
    /// Judgements averaged per rubric and conversation.
    pub samples: NonZeroU32,
    /// Folder whose `metrics.toml` and `rubrics/*.toml` replace the embedded ones file by file.
    pub evaluation_dir: Option<PathBuf>,
    /// Conversations (the first ones) whose utterances measure distinct-1/2/3.
    pub diversity_sample: usize,
    /// Conversations (the first ones) compared with each other for self-BLEU (quadratic: keep it small).
    pub self_bleu_sample: usize,
    /// Near-duplicate conversations: MinHash over word shingles of the whole text, LSH banding.
    pub near_duplicates: DedupConfig,
}

impl Default for ReviewConfig {
    fn default() -> Self {
        ReviewConfig {
            keep: "grounding.ok && consistency.ok".into(),
            rubrics: vec!["muse_filter".into()],
            samples: NonZeroU32::MIN,
            evaluation_dir: None,
            diversity_sample: 2000,
            self_bleu_sample: 200,
            near_duplicates: DedupConfig {
                threshold: 0.8,
                ..DedupConfig::default()
            },
        }
    }
}

/// Limits every LLM request shares (the manager's settings).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Requests per minute your provider allows.
    pub rpm: NonZeroU32,
    /// Tokens per minute your provider allows (prompt estimate + max_tokens, corrected by reported usage).
    pub tpm: NonZeroU32,
    /// Most requests in flight at once: a ceiling. With `adaptive`, the limit in force follows `rpm` × the latency
    /// observed (enough to use the rate limit fully) and never goes above it.
    pub concurrency: NonZeroUsize,
    /// Share of `rpm` and `tpm` actually used, leaving room for clock skew between you and the server.
    pub headroom: f64,
    /// How the provider counts `rpm`: `second` (a minute's limit metered in one-second slices) or `minute` (a
    /// sliding minute). Under a sliding minute the request pace may catch up time it lost to late wake-ups (a
    /// burst of a tenth of a second's requests at most, never past `rpm` in any minute); under per-second slices it
    /// may not, since a burst would overrun a second's share.
    pub window: RateWindow,
    /// Follow `rpm` × latency; shrink on 429s and on latency rising against its recent level, grow back on
    /// successes.
    pub adaptive: bool,
    /// Retries per request after the first attempt (429, 5xx, timeouts, resets, malformed or empty answers).
    pub max_retries: u32,
    /// Largest token budget of a request: an answer cut at `max_tokens` (`finish_reason: length`) is asked again
    /// at once with the budget doubled, up to this cap, and then fails its record. A role's `max_tokens_cap`
    /// overrides it.
    pub max_tokens_cap: NonZeroU32,
    /// Backoff before retry n: uniform in [0, base × 2^(n−1)], capped at `backoff_max_ms`, never below Retry-After.
    pub backoff_base_ms: u64,
    /// Longest backoff.
    pub backoff_max_ms: u64,
    /// Seconds before a request is abandoned (and retried).
    pub request_timeout_secs: f64,
    /// Stop starting new requests once this much (USD) is spent; requests in flight still finish.
    pub max_cost_usd: Option<f64>,
    /// Keep every LLM answer in `cache.db` beside the output, so a repeated or resumed run pays nothing twice.
    pub cache: bool,
    /// Seconds one conversation may take in all with LLM agents; past it the conversation fails (and is recorded).
    pub conversation_deadline_secs: Option<f64>,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            rpm: NonZeroU32::MIN.saturating_add(499),
            tpm: NonZeroU32::MIN.saturating_add(199_999),
            concurrency: nz(512),
            headroom: 0.99,
            // OpenAI and Anthropic state their limits per minute but say they may enforce them over shorter
            // intervals (60,000 RPM as 1,000 requests a second): a pace that bursts to catch up could then draw
            // 429s, so only a user who knows the server counts a whole minute turns the catch-up on.
            window: RateWindow::Second,
            adaptive: true,
            max_retries: 8,
            max_tokens_cap: NonZeroU32::MIN.saturating_add(4095),
            backoff_base_ms: 500,
            backoff_max_ms: 60_000,
            request_timeout_secs: 60.0,
            max_cost_usd: None,
            cache: true,
            conversation_deadline_secs: None,
        }
    }
}

/// How a provider counts its requests-per-minute limit (`limits.window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RateWindow {
    /// Over any sliding (or fixed) minute: requests may bunch up within the minute, so the pace may catch up a
    /// late wake-up with a short burst.
    Minute,
    /// In one-second slices of the minute's limit (what OpenAI and Anthropic say they may do): the pace never
    /// bursts.
    Second,
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
    /// Folder that relative image references (`images_main/6231.jpg`) are read from when a vision model is shown
    /// an item; default: the working folder. Missing files are skipped with a warning.
    pub images_dir: Option<PathBuf>,
}

impl Default for CatalogConfig {
    fn default() -> Self {
        CatalogConfig {
            sample_items: nz(2000),
            sample_dir: None,
            images_dir: None,
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

/// Whether `key` names a code-mixed language mix: two language codes (two or three lowercase letters) joined by a
/// hyphen, such as `en-hi`.
pub fn is_language_mix(key: &str) -> bool {
    let code = |s: &str| (2..=3).contains(&s.len()) && s.chars().all(|c| c.is_ascii_lowercase());
    key.split_once('-').is_some_and(|(a, b)| code(a) && code(b))
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
    /// The code-mixed language mixes personas may be drawn with and the simulated user speaks (`en-hi` Hinglish,
    /// `en-es` Spanglish; `en-fr` and `en-de` have small banks and are off unless listed). A city's share of a mix
    /// that is off goes to plain English (`en`); each mix listed needs lines in `prompts/sim/codemix.toml`.
    pub language_mixes: Vec<String>,
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
            language_mixes: vec!["en-hi".into(), "en-es".into()],
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
        for (i, mix) in p.language_mixes.iter().enumerate() {
            if !is_language_mix(mix) || p.language_mixes[..i].contains(mix) {
                return bad(
                    "profiles.language_mixes",
                    &format!(
                        "lists code-mixed language mixes once each, named like \"en-hi\" (got \"{mix}\")"
                    ),
                );
            }
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
        let split = &self.export.split;
        if split.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || split.iter().sum::<f64>() <= 0.0 {
            return bad(
                "export.split",
                "holds three shares (train, validation, test), each >= 0, not all 0",
            );
        }
        self.export.analytics.validate()?;
        self.currency.validate()?;
        let dpo = &self.export.dpo;
        if dpo.sources.is_empty() {
            return bad(
                "export.dpo.sources",
                "names at least one of sim, hard_negative, judge",
            );
        }
        if dpo.kinds.is_empty() {
            return bad(
                "export.dpo.kinds",
                "names at least one of breaks_requirement, over_budget, repeat_rejected",
            );
        }
        if !(dpo.min_margin > 0.0 && dpo.min_margin <= 1.0) {
            return bad("export.dpo.min_margin", "is in (0, 1]");
        }
        for (model, price) in &self.prices {
            if let Some((name, _)) = price
                .rates()
                .into_iter()
                .find(|(_, v)| v.is_some_and(|v| !(v.is_finite() && v >= 0.0)))
            {
                return bad(
                    &format!("prices.\"{model}\".{name}"),
                    "is USD per million tokens: a finite number >= 0",
                );
            }
        }
        for role in RoleName::ALL {
            let r = self.roles.get(role);
            let dialogue_role = matches!(role, RoleName::UserAgent | RoleName::SystemAgent);
            if r.decide == Decider::Llm && (!dialogue_role || r.agent != AgentKind::Llm) {
                return bad(
                    &format!("roles.{}.decide", role.key()),
                    "can be \"llm\" only for roles.user_agent and roles.system_agent with agent = \"llm\"",
                );
            }
            if let Some(field) = r
                .extra
                .keys()
                .find(|k| RESERVED_REQUEST_FIELDS.contains(&k.as_str()))
            {
                return bad(
                    &format!("roles.{}.extra.{field}", role.key()),
                    "is built by musegen and cannot be set here; remove it (the model is `roles.*.model`)",
                );
            }
            if let Some(cap) = r.max_tokens_cap
                && cap.get() < r.max_tokens
            {
                return bad(
                    &format!("roles.{}.max_tokens_cap", role.key()),
                    "must be at least the role's max_tokens (the budget an answer cut short may grow to)",
                );
            }
        }
        let g = &self.dialogue;
        if g.chit_chat.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return bad(
                "dialogue.chit_chat",
                "holds probabilities: each must be in [0, 1]",
            );
        }
        for (key, p) in [
            ("dialogue.clarify", g.clarify),
            ("dialogue.code_mix_rate", g.code_mix_rate),
            ("dialogue.equivalent_accept_rate", g.equivalent_accept_rate),
            ("dialogue.ask_rate", g.ask_rate),
            ("dialogue.system_slip", g.system_slip),
            ("dialogue.leave_unanswered", g.leave_unanswered),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return bad(key, "is a probability: it must be in [0, 1]");
            }
        }
        if g.farewell_by_verbosity
            .iter()
            .any(|p| !(0.0..=1.0).contains(p))
        {
            return bad(
                "dialogue.farewell_by_verbosity",
                "holds probabilities: each must be in [0, 1]",
            );
        }
        if g.items_per_turn
            .iter()
            .any(|w| !(w.is_finite() && *w >= 0.0))
            || g.items_per_turn.iter().all(|&w| w == 0.0)
        {
            return bad(
                "dialogue.items_per_turn",
                "holds the weights of showing 1, 2 or 3 items a turn: three finite numbers >= 0, not all 0",
            );
        }
        if g.opening_exchanges[0] > g.opening_exchanges[1] || g.opening_exchanges[1] > 4 {
            return bad(
                "dialogue.opening_exchanges",
                "must be [min, max] with min <= max <= 4",
            );
        }
        for (key, v) in [
            ("dialogue.user_latency_ms", g.user_latency_ms),
            ("dialogue.system_latency_ms", g.system_latency_ms),
            ("dialogue.latency_sigma", g.latency_sigma),
            ("dialogue.patience_sd", g.patience_sd),
            ("dialogue.patience_mean", g.patience_mean),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(key, "must be a finite number >= 0");
            }
        }
        let l = &self.limits;
        if !(0.5..=1.0).contains(&l.headroom) {
            return bad("limits.headroom", "must be in [0.5, 1]");
        }
        if !(l.request_timeout_secs.is_finite() && l.request_timeout_secs > 0.0) {
            return bad(
                "limits.request_timeout_secs",
                "must be a number of seconds > 0",
            );
        }
        if l.conversation_deadline_secs
            .is_some_and(|c| !(c.is_finite() && c > 0.0))
        {
            return bad(
                "limits.conversation_deadline_secs",
                "must be a number of seconds > 0",
            );
        }
        if l.max_cost_usd.is_some_and(|c| !(c.is_finite() && c >= 0.0)) {
            return bad("limits.max_cost_usd", "must be a number of dollars >= 0");
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
