//! The simulator's phrase banks (`prompts/sim/user.toml`, `prompts/sim/system.toml`): the parts both speakers' turns
//! are composed from (the shopper's one set per register: formality picks the set), the shopper's reason clauses and
//! asides (MiniJinja templates), and for a code-mixed language mix (Hinglish, Spanglish …) the whole mixed lines of
//! `prompts/sim/codemix.toml` some of its turns are spoken in.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::Value;
use serde::{Deserialize, Serialize};

use super::ages::{AgeBand, AgesTable, holds};
use super::codemix::CodeMixes;
use super::compose::user::UserBank;
use super::compose::{SystemBank, Tables};
pub use super::occasion::OccasionFrames;
use super::occasion::OccasionFramesTable;
use super::realise::Wording;
use crate::catalog::Noun;
use crate::data;
use crate::model::{Formality, Persona, Verbosity};
use crate::rng::Rng;
use crate::template::TemplateBank;
use crate::{Error, Result};

/// The user's dialogue acts that have a phrase bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAct {
    /// First reply: the need, vaguely.
    Open,
    /// Second opening reply: more context.
    Context,
    /// Names the category.
    InformCategory,
    /// Gives the budget.
    AnswerBudget,
    /// Reveals one wish.
    AnswerPreference,
    /// Nothing more to add.
    NoPreference,
    /// Small talk.
    ChitChat,
    /// Turns an item down.
    Reject,
    /// Takes an item.
    Accept,
    /// Asks whether the item shown meets a wish not stated yet, before deciding.
    Ask,
    /// Gives up.
    Abandon,
    /// Answers the recommender's closing after taking an item: warm thanks and a goodbye.
    FarewellAccepted,
    /// Answers the recommender's closing when nothing was taken: a polite or curt goodbye (no praise).
    FarewellAbandoned,
}

impl UserAct {
    /// Every act.
    pub const ALL: [UserAct; 13] = [
        UserAct::Open,
        UserAct::Context,
        UserAct::InformCategory,
        UserAct::AnswerBudget,
        UserAct::AnswerPreference,
        UserAct::NoPreference,
        UserAct::ChitChat,
        UserAct::Reject,
        UserAct::Accept,
        UserAct::Ask,
        UserAct::Abandon,
        UserAct::FarewellAccepted,
        UserAct::FarewellAbandoned,
    ];

    /// The act's key in the banks (`open`, `reject` …).
    pub fn key(self) -> &'static str {
        match self {
            UserAct::Open => "open",
            UserAct::Context => "context",
            UserAct::InformCategory => "inform_category",
            UserAct::AnswerBudget => "answer_budget",
            UserAct::AnswerPreference => "answer_preference",
            UserAct::NoPreference => "no_preference",
            UserAct::ChitChat => "chit_chat",
            UserAct::Reject => "reject",
            UserAct::Accept => "accept",
            UserAct::Ask => "ask",
            UserAct::Abandon => "abandon",
            UserAct::FarewellAccepted => "farewell_accepted",
            UserAct::FarewellAbandoned => "farewell_abandoned",
        }
    }
}

/// The system acts, as the language-model voice names them (`prompts/llm/system.toml`); the offline recommender
/// composes the same turns from the parts of `prompts/sim/system.toml`.
pub const SYSTEM_ACTS: [&str; 14] = [
    "greet",
    "ask_category",
    "clarify_budget",
    "clarify_preference",
    "chit_chat",
    "chit_chat_after_reject",
    "recommend",
    "recommend_again",
    "recommend_several",
    "recommend_several_again",
    "answer_yes",
    "answer_no",
    "close_accept",
    "close_abandon",
];

/// Reason kinds with their own clauses; any other attribute uses `other`.
const REASON_KEYS: [&str; 12] = [
    "none",
    "color",
    "material",
    "category",
    "price_high",
    "style",
    "fit",
    "pattern",
    "size",
    "brand",
    "feature",
    "other",
];

/// Who gives a reject clause: a child (money is what a parent allows), or someone buying a gift (who says
/// nothing of their own taste or size: `[gift] unsaid`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shopper {
    /// A child shopping with a parent.
    pub child: bool,
    /// The purchase is a gift.
    pub gift: bool,
}

/// How a reject clause speaks of a difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKind {
    /// A wish the user names for the first time (clauses of `[reasons]`, which never presuppose it was said).
    New,
    /// A wish the user stated earlier (`[reasons_said]` may say so, "like I said", or a clause of `[reasons]`).
    Said,
    /// A matter of taste about what the item visibly is, naming no wish (`[dislikes]`).
    Dislike,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    casual: Tables,
    neutral: Tables,
    formal: Tables,
    reasons: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    reasons_said: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    dislikes: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    reasons_child: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    occasion_frames: OccasionFramesTable,
    verbosity: VerbosityFile,
    #[serde(default)]
    ages: AgesTable,
    #[serde(default)]
    child: Tables,
    #[serde(default)]
    gift: GiftTable,
}

/// `[gift]` as read.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GiftTable {
    /// Words and phrases of a reason about the shopper's own taste, body or wardrobe ("suits me", "I take a"),
    /// which a gift buyer does not say.
    #[serde(default)]
    unsaid: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerbosityFile {
    chatty: Vec<String>,
    /// A child's asides (a child has no meetings, partner or budget kick).
    #[serde(default)]
    child: Vec<String>,
}

/// What user templates may refer to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UserContext {
    /// General need ("a new pair of shoes").
    pub need: String,
    /// Occasion.
    pub occasion: String,
    /// Purchase reason label.
    pub reason: String,
    /// Gift recipient, or empty.
    pub recipient: String,
    /// Leaf category, lowercase.
    pub category: String,
    /// Budget as written ("$120").
    pub budget: String,
    /// The wish revealed now.
    pub requirement: String,
    /// Reject reasons, joined.
    pub reasons: String,
    /// Short name of the item in hand.
    pub item: String,
    /// What the user likes about it.
    pub liked: String,
    /// Persona style.
    pub style: String,
    /// Persona city.
    pub city: String,
    /// The user has turned an item down before (an accept may say "finally").
    pub later: bool,
    /// The turn answers a recommendation of several items: `item` says which one ("the second one").
    pub several: bool,
    /// How many items the recommendation answered showed (two are "neither of those", three "none of those").
    #[serde(skip)]
    pub shown: usize,
    /// The frames the occasion may be said in.
    #[serde(skip)]
    pub frames: OccasionFrames,
    /// The turn answers the recommender's sympathy after the shopper turned an item down (small talk thanks it
    /// rather than agreeing with a remark).
    #[serde(skip)]
    pub after_reject: bool,
    /// A give-up's reasons are a matter of taste about an item meeting every wish said (else a wish it misses).
    #[serde(skip)]
    pub matched: bool,
    /// Of several items shown, the title of the one the turn is about (taken, asked about, or whose reasons a
    /// turn-down of them all gives), so that a language model voicing the shopper knows which it is.
    pub title: String,
    /// The head noun of the item in question (the target's category, or the item in hand), which templates
    /// reach as `{{ item.is }}` (agreement) and `{{ category.a }}` ("a scarf").
    #[serde(skip)]
    pub noun: Option<Noun>,
}

/// What system templates may refer to.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SystemContext {
    /// Item title.
    pub title: String,
    /// Item price as written.
    pub price: String,
    /// Why the item fits.
    pub highlights: String,
    /// The last feedback, restated.
    pub feedback: String,
    /// Leaf category, lowercase.
    pub category: String,
    /// The occasion the user mentioned.
    pub occasion: String,
    /// The user's general need.
    pub need: String,
    /// The budget as written.
    pub budget: String,
    /// The items a recommendation of several shows, in their order (empty for one item: `title`, `price` and
    /// `highlights` say it).
    pub items: Vec<ShownItem>,
}

/// One of the items a recommendation of several shows, as the recommender's prompt names it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ShownItem {
    /// Title.
    pub title: String,
    /// Price as written in the shopper's currency.
    pub price: String,
    /// The one fact that justifies it (a wish it meets, else what can be seen of it).
    pub fact: String,
}

/// The compiled phrase banks.
pub struct PhraseBank {
    bank: TemplateBank,
    mixes: CodeMixes,
    system: SystemBank,
    /// The shopper's casual parts, one bank per age band (`[ages]`: no "gonna" past its ages, a child's money).
    casual: Vec<(AgeBand, UserBank)>,
    /// The shopper's neutral and formal parts.
    user: [UserBank; 2],
    /// `[ages]`: which casual band an age is in.
    ages: AgesTable,
    /// `[occasion_frames]`.
    occasion_frames: OccasionFramesTable,
    /// `[gift] unsaid`, lowercase.
    gift_unsaid: Vec<String>,
}

impl PhraseBank {
    /// Load the embedded banks, with files of `prompts_dir/sim/` replacing them by name; of the code-mixed banks,
    /// the `language_mixes` ones are spoken (each must have a bank).
    pub fn load(prompts_dir: Option<&Path>, language_mixes: &[String]) -> Result<Self> {
        let files = data::prompt_set(prompts_dir, data::PromptSet::Sim)?;
        let user_file = data::find(&files, "user.toml")?;
        let system_file = data::find(&files, "system.toml")?;
        let codemix_file = data::find(&files, "codemix.toml")?;
        let user: UserFile = data::parse(user_file)?;
        let system = SystemBank::load(system_file)?;
        super::compose::shapes::check(&system)
            .map_err(|why| Error::data(&system_file.origin, why))?;
        let mut casual = Vec::new();
        for band in user.ages.bands() {
            let tables = user.ages.tables(&user.casual, &user.child, band);
            let ages: Vec<u32> = (0..=120).filter(|&a| user.ages.band(a) == band).collect();
            let register = format!(
                "casual (ages {}-{})",
                ages.first().unwrap_or(&0),
                ages.last().unwrap_or(&0)
            );
            let bank =
                UserBank::from_tables(user_file, "casual.", tables)?.with_distinct_openings();
            super::compose::user::check(&bank, &register)
                .map_err(|why| Error::data(&user_file.origin, why))?;
            casual.push((band, bank));
        }
        let mut user_banks = Vec::with_capacity(2);
        for (register, tables) in [("neutral", user.neutral), ("formal", user.formal)] {
            let bank = UserBank::from_tables(user_file, &format!("{register}."), tables)?
                .with_distinct_openings();
            super::compose::user::check(&bank, register)
                .map_err(|why| Error::data(&user_file.origin, why))?;
            user_banks.push(bank);
        }
        let user_parts: [UserBank; 2] = user_banks
            .try_into()
            .map_err(|_| Error::Run("two registers".into()))?;
        let mut bank = TemplateBank::new(true);
        for key in REASON_KEYS {
            let list = user
                .reasons
                .get(key)
                .filter(|l| !l.is_empty())
                .ok_or_else(|| {
                    Error::data(
                        &user_file.origin,
                        format!("reasons.{key} is missing or empty"),
                    )
                })?;
            bank.add_group(&format!("reason.{key}"), list, &user_file.origin)?;
        }
        for (table, map) in [
            ("reasons_said", &user.reasons_said),
            ("dislikes", &user.dislikes),
            ("reasons_child", &user.reasons_child),
        ] {
            for (key, list) in map {
                if !REASON_KEYS.contains(&key.as_str()) || key == "none" {
                    return Err(Error::data(
                        &user_file.origin,
                        format!(
                            "{table}.{key}: not a reason kind (one of {})",
                            REASON_KEYS[1..].join(", ")
                        ),
                    ));
                }
                bank.add_group(&format!("{table}.{key}"), list, &user_file.origin)?;
            }
        }
        bank.add_group("aside", &user.verbosity.chatty, &user_file.origin)?;
        bank.add_group("aside_child", &user.verbosity.child, &user_file.origin)?;
        let acts = UserAct::ALL.map(UserAct::key);
        let mixes = CodeMixes::load(codemix_file, language_mixes, &acts, &mut bank)?;
        Ok(PhraseBank {
            bank,
            mixes,
            system,
            casual,
            user: user_parts,
            ages: user.ages,
            occasion_frames: user.occasion_frames,
            gift_unsaid: user.gift.unsaid.iter().map(|w| w.to_lowercase()).collect(),
        })
    }

    /// The frames the occasions of purchase reason `reason` (an id of the reasons table) may be said in: none but
    /// the plain ones for a reason the table does not list, or none.
    pub fn occasion_frames(&self, reason: Option<&str>) -> OccasionFrames {
        self.occasion_frames.of(reason)
    }

    /// A template of `group` rendered with `ctx`. A template that asks for a form a value lacks (an undefined
    /// field, a feature printed bare) cannot be realised for this fill, so another one is drawn from the same
    /// stream; when none of [`ATTEMPTS`] draws can be realised the error is returned.
    fn pick(&self, group: &str, ctx: &Value, rng: &mut Rng) -> Result<String> {
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let i = rng.below(self.bank.len(group));
            match self.bank.render(group, i, ctx) {
                Ok(text) => return Ok(text),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Run(format!("no template in {group}"))))
    }

    /// The user context as templates see it: its fields, with `item` and `category` as values that carry their
    /// forms when the head noun is known.
    fn user_value(ctx: &UserContext) -> Value {
        let base = Value::from(minijinja::value::Serde(ctx));
        match &ctx.noun {
            Some(noun) => {
                let item = Wording::word(ctx.item.clone())
                    .with("is", if noun.is_plural() { "are" } else { "is" })
                    .value();
                let category = Wording::word(ctx.category.clone())
                    .with("a", noun.indefinite())
                    .value();
                minijinja::context! { item => item, category => category, ..base }
            }
            None => base,
        }
    }

    /// The parts of a shopper of `age` in `formality`'s register (the casual ones by age band).
    pub fn user_parts(&self, formality: Formality, age: u32) -> &UserBank {
        match formality {
            Formality::Casual => {
                let band = self.ages.band(age);
                let at = self
                    .casual
                    .iter()
                    .position(|(b, _)| *b == band)
                    .unwrap_or(0);
                &self.casual[at].1
            }
            Formality::Neutral => &self.user[0],
            Formality::Formal => &self.user[1],
        }
    }

    /// Whether a shopper of `age` is a child shopping with a parent (`[ages] child_below`).
    pub fn is_child(&self, age: u32) -> bool {
        self.ages.band(age).child
    }

    /// Whether this turn of `persona` for `act` is code-mixed: for a code-mixing persona, a share of its turns
    /// (`code_mix_rate` times the share of its formality) comes whole from its mix's lines. The line's template
    /// group, or `None` for an English turn (draws nothing unless the persona's mix is on).
    pub fn mixed_group(
        &self,
        act: UserAct,
        persona: &Persona,
        code_mix_rate: f64,
        rng: &mut Rng,
    ) -> Option<String> {
        self.mixes
            .pick_group(act.key(), persona, code_mix_rate, rng)
    }

    /// A line of the mixed `group` drawn evenly, rendered with `ctx`, and its index in the group.
    pub fn mixed_line(
        &self,
        group: &str,
        ctx: &UserContext,
        rng: &mut Rng,
    ) -> Result<(usize, String)> {
        let value = Self::user_value(ctx);
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let i = rng.below(self.bank.len(group));
            match self.bank.render(group, i, &value) {
                Ok(text) => return Ok((i, super::realise::single_stops(text))),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Run(format!("no template in {group}"))))
    }

    /// An aside a persona of `verbosity` adds to its turn for `act` now and then (small talk invites one from anyone
    /// but the terse; chatty users add them elsewhere too, never to an accept or a farewell), not in `asides` (which
    /// it joins); a `child`'s come from its own list.
    #[allow(clippy::too_many_arguments)]
    pub fn aside(
        &self,
        act: UserAct,
        verbosity: Verbosity,
        child: bool,
        ctx: &UserContext,
        asides: &mut Vec<usize>,
        rng: &mut Rng,
    ) -> Option<String> {
        let chatty = verbosity == Verbosity::Chatty;
        let p = match (act, verbosity) {
            (_, Verbosity::Terse)
            | (UserAct::Accept | UserAct::FarewellAccepted | UserAct::FarewellAbandoned, _) => 0.0,
            (UserAct::ChitChat | UserAct::Context, _) if chatty => 0.5,
            (UserAct::ChitChat | UserAct::Context, _) => 0.25,
            _ if chatty => 0.3,
            _ => 0.0,
        };
        if !rng.chance(p) {
            return None;
        }
        let group = if child { "aside_child" } else { "aside" };
        self.fresh_aside(group, &Self::user_value(ctx), asides, rng)
    }

    /// An aside of `group` not in `used` (which it joins), or none when a few draws find only used ones.
    fn fresh_aside(
        &self,
        group: &str,
        value: &Value,
        used: &mut Vec<usize>,
        rng: &mut Rng,
    ) -> Option<String> {
        let n = self.bank.len(group);
        if n == 0 {
            return None;
        }
        for _ in 0..ATTEMPTS {
            let i = rng.below(n);
            if used.contains(&i) {
                continue;
            }
            if let Ok(text) = self.bank.render(group, i, value) {
                used.push(i);
                return Some(text);
            }
        }
        None
    }

    /// A reject clause naming no difference (the item is not the one pictured, for no stated reason).
    pub fn vague_reason(&self, rng: &mut Rng) -> Result<String> {
        self.pick("reason.none", &minijinja::context! {}, rng)
    }

    /// One reject clause for a difference in `attribute` (`wanted` vs `got`, with their forms); a child's from
    /// `[reasons_child]` when it has clauses of the kind (money a parent allows), a gift buyer's none that speaks of
    /// its own taste or size. When no clause of the attribute's kind can be realised with these values, the generic
    /// ones are tried, then a clause naming no value.
    pub fn reason(
        &self,
        attribute: &str,
        kind: ReasonKind,
        who: Shopper,
        wanted: Wording,
        got: Wording,
        rng: &mut Rng,
    ) -> Result<String> {
        let key = if REASON_KEYS.contains(&attribute) && attribute != "none" {
            attribute
        } else {
            "other"
        };
        let ctx = minijinja::context! {
            wanted => wanted.value(),
            got => got.value(),
            attribute => attribute.replace('_', " "),
        };
        // A kind's own clauses for this attribute, when the bank has some.
        let own = |table: &str, rng: &mut Rng| {
            let group = format!("{table}.{key}");
            if self.bank.len(&group) == 0 {
                return Err(Error::Run(format!("no template in {group}")));
            }
            self.pick_for(&group, &ctx, who, rng)
        };
        if who.child
            && kind != ReasonKind::Dislike
            && self.bank.len(&format!("reasons_child.{key}")) > 0
        {
            return own("reasons_child", rng);
        }
        match kind {
            ReasonKind::Dislike => {
                return own("dislikes", rng).or_else(|_| self.vague_for(who, rng));
            }
            ReasonKind::Said if rng.chance(SAID_RATE) => {
                if let Ok(text) = own("reasons_said", rng) {
                    return Ok(text);
                }
            }
            _ => {}
        }
        match self.pick_for(&format!("reason.{key}"), &ctx, who, rng) {
            Ok(text) => Ok(text),
            Err(_) if key != "other" && key != "feature" => self
                .pick_for("reason.other", &ctx, who, rng)
                .or_else(|_| self.vague_for(who, rng)),
            Err(_) => self.vague_for(who, rng),
        }
    }

    /// A clause naming no difference, a gift buyer's about the item rather than its own feelings when one is drawn.
    fn vague_for(&self, who: Shopper, rng: &mut Rng) -> Result<String> {
        self.pick_for("reason.none", &minijinja::context! {}, who, rng)
            .or_else(|_| self.vague_reason(rng))
    }

    /// A clause of `group` as [`Self::pick`] draws it, none speaking of a gift buyer's own taste or size.
    fn pick_for(&self, group: &str, ctx: &Value, who: Shopper, rng: &mut Rng) -> Result<String> {
        if !who.gift || self.gift_unsaid.is_empty() {
            return self.pick(group, ctx, rng);
        }
        for _ in 0..ATTEMPTS {
            let text = self.pick(group, ctx, rng)?;
            if !self.gift_unsaid.iter().any(|w| holds(&text, w)) {
                return Ok(text);
            }
        }
        Err(Error::Run(format!(
            "no clause of {group} a gift buyer says"
        )))
    }

    /// The recommender's bank of parts (`system.toml`), which its turns are composed from.
    pub fn system_bank(&self) -> &SystemBank {
        &self.system
    }
}

/// Share of the reject clauses about a wish stated earlier that say so ("like I said").
const SAID_RATE: f64 = 0.5;

/// Draws of a template before a fill is given up as unrealisable.
const ATTEMPTS: usize = 8;

#[cfg(test)]
mod tests;
