//! The composer: a turn is planned as a sequence of parts (for the recommender an acknowledgement, the item
//! presented, why it fits, an invitation …; for the shopper a lead-in, what it says, a closing word), each part drawn
//! from its group of alternatives in `prompts/sim/system.toml` or `prompts/sim/user.toml` and filled with typed
//! variables. The dialogue's [`Memory`] keeps an alternative, or a phrase (a 4-gram outside values), from
//! being used twice in one dialogue.
//!
//! Parts are plain sentences with `{{ variable }}` slots and no control flow: what is said is the plan's decision
//! (in code), how it is said is the bank's. Loading checks every part against the writing rules that can be checked
//! (known variables, only those the plan gives its group, no sentence opening with a lowercase variable, no article
//! before one), so every alternative renders for every fill and every combination reads.

use std::collections::BTreeMap;

use super::variety::{MASK, MAX_ALTERNATIVES, Memory, grams};
use crate::data::DataFile;
use crate::rng::Rng;
use crate::template::collapse_whitespace;
use crate::{Error, Result};

/// A variable a part may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// The item's title, capitalised ("Men's Trail Runner").
    Title,
    /// The item's price ("$89.99").
    Price,
    /// The plural of the category's head noun ("hiking boots").
    Category,
    /// The shopper's general need, with its article ("a new pair of shoes").
    Need,
    /// The occasion the shopper named, read after "for".
    Occasion,
    /// The budget the shopper gave ("$120").
    Budget,
    /// Who the shopper buys for, as the recommender says it ("your sister").
    Recipient,
    /// What the shopper asked for, restated as clauses addressed to them ("you'd prefer black").
    Feedback,
    /// Facts of the item as one clause with its pronoun ("it's black leather, with a padded collar").
    Facts,
    /// Facts in which the item differs from the last one shown, as one clause ("it's black").
    Contrast,
    /// A later mention of the item ("the black scarf", "the sneakers").
    Ref,
    /// The shopper's purchase reason ("attending an event").
    Reason,
    /// A wish as the shopper states it ("in navy", "with a padded collar").
    Requirement,
    /// The shopper's reasons for turning an item down, as clauses ("I was picturing navy, not black").
    Reasons,
    /// The item in the shopper's hand, with its article ("the scarf", "the sneakers").
    Item,
    /// The verb that agrees with the item ("is", "are").
    Is,
    /// What the shopper likes about an item, as a clause with its subject ("they're black leather").
    Liked,
    /// The shopper's style, before a noun ("minimalist").
    Style,
    /// The shopper's city.
    City,
}

/// Number of variables.
const VARS: usize = 19;

impl Var {
    const ALL: [Var; VARS] = [
        Var::Title,
        Var::Price,
        Var::Category,
        Var::Need,
        Var::Occasion,
        Var::Budget,
        Var::Recipient,
        Var::Feedback,
        Var::Facts,
        Var::Contrast,
        Var::Ref,
        Var::Reason,
        Var::Requirement,
        Var::Reasons,
        Var::Item,
        Var::Is,
        Var::Liked,
        Var::Style,
        Var::City,
    ];

    /// The name templates use.
    pub fn name(self) -> &'static str {
        match self {
            Var::Title => "title",
            Var::Price => "price",
            Var::Category => "category",
            Var::Need => "need",
            Var::Occasion => "occasion",
            Var::Budget => "budget",
            Var::Recipient => "recipient",
            Var::Feedback => "feedback",
            Var::Facts => "facts",
            Var::Contrast => "contrast",
            Var::Ref => "ref",
            Var::Reason => "reason",
            Var::Requirement => "requirement",
            Var::Reasons => "reasons",
            Var::Item => "item",
            Var::Is => "is",
            Var::Liked => "liked",
            Var::Style => "style",
            Var::City => "city",
        }
    }

    /// Whether the value is itself a value of the dialogue (an item's name, a number, the shopper's own words), which
    /// phrase memory ignores as the review does; other values are wording and count as text.
    fn is_value(self) -> bool {
        matches!(
            self,
            Var::Title | Var::Price | Var::Need | Var::Occasion | Var::Budget | Var::City
        )
    }

    /// Whether a sentence may open with it (the title and the city carry their own capital, a budget its sign).
    fn capitalised(self) -> bool {
        matches!(self, Var::Title | Var::City | Var::Budget)
    }
}

/// A set of parts a speaker's turns are composed from: one group of alternatives each (`[table] key = [...]`).
pub trait Parts: Copy + Eq + std::fmt::Debug + 'static {
    /// Every part, in file order.
    const ALL: &'static [Self];
    /// Its position in [`Parts::ALL`] (its group in the bank and in the memory).
    fn index(self) -> usize;
    /// Its table and key in the file.
    fn key(self) -> (&'static str, &'static str);
    /// The variables a plan gives this part (its alternatives may use these and no others).
    fn vars(self) -> &'static [Var];
}

/// Declares an enum of parts with their table, key and variables, and its [`Parts`] implementation.
macro_rules! parts {
    ($(#[$edoc:meta])* $name:ident { $( $(#[$doc:meta])* $variant:ident => $table:literal . $key:literal [$($var:ident),*], )* }) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $( $(#[$doc])* $variant, )*
        }

        impl $crate::agents::sim::compose::Parts for $name {
            const ALL: &'static [$name] = &[$($name::$variant,)*];

            fn index(self) -> usize {
                self as usize
            }

            fn key(self) -> (&'static str, &'static str) {
                match self {
                    $( $name::$variant => ($table, $key), )*
                }
            }

            fn vars(self) -> &'static [$crate::agents::sim::compose::Var] {
                use $crate::agents::sim::compose::Var;
                match self {
                    $( $name::$variant => &[$(Var::$var),*], )*
                }
            }
        }
    };
}

parts! {
    /// A part of a system turn: one group of alternatives in `system.toml`.
    Part {
    /// A greeting.
    GreetHello => "greet"."hello" [],
    /// A welcome after the greeting.
    GreetWelcome => "greet"."welcome" [],
    /// The opening question, answered by the shopper's first turn (their need).
    GreetAsk => "greet"."ask" [],
    /// A reaction to the need the shopper named.
    OpeningNeed => "opening"."react_need" [Need],
    /// A reaction when the need was not caught.
    OpeningReact => "opening"."react" [],
    /// A question the shopper's context answers (what it is for, who it is for).
    OpeningAskContext => "opening"."ask_context" [],
    /// The same when the occasion is known: who it is for.
    OpeningAskRecipient => "opening"."ask_recipient" [Occasion],
    /// Small talk about the occasion the shopper named.
    ChatOccasion => "chit_chat"."occasion" [Occasion],
    /// Small talk about the person the shopper buys for.
    ChatRecipient => "chit_chat"."recipient" [Recipient],
    /// Small talk about the category.
    ChatCategory => "chit_chat"."category" [Category],
    /// Small talk about nothing the shopper said.
    ChatPlain => "chit_chat"."plain" [],
    /// A statement that moves on.
    ChatOnward => "chit_chat"."onward" [],
    /// Sympathy after the shopper turned an item down.
    RejectSympathy => "after_reject"."sympathy" [],
    /// Moving on after a turn-down.
    RejectOnward => "after_reject"."onward" [Category],
    /// Acknowledging the need before asking for the category.
    CategoryAckNeed => "ask_category"."ack_need" [Need],
    /// Acknowledging without a need.
    CategoryAck => "ask_category"."ack" [],
    /// Asking which kind of item.
    CategoryAsk => "ask_category"."ask" [],
    /// Acknowledging the category before asking for a budget.
    BudgetAck => "clarify_budget"."ack" [Category],
    /// Acknowledging the wish just stated before asking for a budget.
    BudgetAckWish => "clarify_budget"."ack_wish" [Feedback],
    /// Asking for a budget.
    BudgetAsk => "clarify_budget"."ask" [Category],
    /// Acknowledging the budget before asking for preferences.
    PreferenceAckBudget => "clarify_preference"."ack_budget" [Budget],
    /// Acknowledging the category before asking for preferences.
    PreferenceAck => "clarify_preference"."ack" [Category],
    /// Asking for preferences.
    PreferenceAsk => "clarify_preference"."ask" [Category],
    /// Leading in to the first recommendation.
    RecommendOpener => "recommend"."opener" [],
    /// Leading in with what the shopper asked for.
    RecommendOpenerWish => "recommend"."opener_wish" [Feedback],
    /// The item presented with its title and price.
    RecommendPresent => "recommend"."present" [Title, Price],
    /// Why it fits: the facts the shopper asked for.
    RecommendJustify => "recommend"."justify" [Facts],
    /// What can be seen of it, when it has none of the facts asked for.
    RecommendVisible => "recommend"."visible" [Facts],
    /// A general reason, when no fact can be cited.
    RecommendGeneral => "recommend"."general" [Category],
    /// It keeps to the budget.
    RecommendBudget => "recommend"."budget" [Budget],
    /// An invitation to react.
    RecommendInvite => "recommend"."invite" [],
    /// Acknowledging a turn-down, restating its reasons.
    AgainAckFeedback => "recommend_again"."ack_feedback" [Feedback],
    /// Acknowledging a turn-down that gave no reason.
    AgainAck => "recommend_again"."ack" [],
    /// Another item presented.
    AgainPresent => "recommend_again"."present" [Title, Price],
    /// How it differs from the last item.
    AgainContrast => "recommend_again"."contrast" [Contrast],
    /// It keeps to the budget the last one broke.
    AgainBudget => "recommend_again"."budget" [Budget],
    /// An invitation to react to another item.
    AgainInvite => "recommend_again"."invite" [],
    /// A lead-in to the answer to the shopper's question about the item shown.
    AnswerCheck => "answer"."check" [],
    /// Yes, with what the item has of what was asked.
    AnswerYes => "answer"."yes" [Facts],
    /// Yes, with no fact to cite.
    AnswerYesBare => "answer"."yes_bare" [],
    /// No, with what the item has instead.
    AnswerNo => "answer"."no" [Facts],
    /// No, with no fact to cite.
    AnswerNoBare => "answer"."no_bare" [],
    /// An offer to look further, after a no.
    AnswerOffer => "answer"."offer" [],
    /// Pleasure at the choice.
    AcceptCheer => "close_accept"."cheer" [],
    /// The item taken, referred to.
    AcceptDone => "close_accept"."done" [Ref],
    /// Good wishes for the occasion.
    AcceptWishOccasion => "close_accept"."wish_occasion" [Occasion],
    /// Good wishes for the person it is for.
    AcceptWishRecipient => "close_accept"."wish_recipient" [Recipient],
    /// Good wishes.
    AcceptWish => "close_accept"."wish" [],
    /// Regret that nothing suited.
    AbandonRegret => "close_abandon"."regret" [],
    /// Parting words.
    AbandonParting => "close_abandon"."parting" [],
    /// Parting words with the occasion.
    AbandonPartingOccasion => "close_abandon"."parting_occasion" [Occasion],
    /// Nothing left to show.
    EmptyRegret => "close_empty"."regret" [Category],
    }
}

/// One piece of a part: text, or a variable.
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(Var),
}

/// One alternative of a part.
#[derive(Debug, Clone)]
struct Alternative {
    pieces: Vec<Piece>,
    /// Its first word, lowercased and hashed (0 when it opens with a variable).
    opening: u64,
}

impl Alternative {
    /// Its own phrases: the 4-grams of its text, variables left out.
    fn grams(&self) -> Vec<u64> {
        let mut masked = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => masked.push_str(t),
                Piece::Var(_) => {
                    masked.push(' ');
                    masked.push(MASK);
                    masked.push(' ');
                }
            }
        }
        grams(&masked)
    }
}

/// The values of one turn's variables: the text said, and the same with what the review counts as values masked
/// (for phrase memory).
#[derive(Debug, Default, Clone)]
pub struct Fill {
    said: [Option<String>; VARS],
    masked: [Option<String>; VARS],
}

impl Fill {
    /// Set `var` to `text`; wording (a realised clause) is masked where it holds one of the memory's values.
    pub fn set(&mut self, var: Var, text: impl Into<String>, memory: &Memory) -> &mut Self {
        let text = text.into();
        let i = var as usize;
        self.masked[i] = Some(if var.is_value() {
            format!(" {MASK} ")
        } else {
            memory.mask(&text)
        });
        self.said[i] = Some(text);
        self
    }

    fn get(&self, var: Var) -> Option<(&str, &str)> {
        let i = var as usize;
        Some((self.said[i].as_deref()?, self.masked[i].as_deref()?))
    }
}

/// A speaker's phrase bank: the alternatives of every part of `P`.
pub struct Bank<P: Parts> {
    groups: Vec<Vec<Alternative>>,
    /// For each phrase of the bank's own text, the alternatives (part, index) that hold it: once said, they are
    /// not drawn again in the dialogue while others are left.
    by_gram: std::collections::HashMap<u64, Vec<(u16, u16)>>,
    /// Ways to open a restated wish, by the frame the realiser opens it with (`[wish]` in the recommender's file).
    wish_heads: Vec<(&'static str, Vec<String>)>,
    /// Whether two parts of one turn may not open with the same word ("Hmm." then "Hmm, ...").
    distinct_openings: bool,
    parts: std::marker::PhantomData<P>,
}

/// The recommender's phrase bank (`system.toml`).
pub type SystemBank = Bank<Part>;

/// The parts of a file as written: table, key, alternatives.
pub type Tables = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// The realiser's wish frames (`realise::wishes`) and their keys in `[wish]`.
const WISH_FRAMES: [(&str, &str); 3] = [
    ("prefer", "you'd prefer "),
    ("like", "you'd like "),
    ("need", "you need "),
];

/// Whole-turn draws before a turn that repeats a phrase is kept anyway.
const ATTEMPTS: usize = 8;

impl SystemBank {
    /// The bank of `file` (`system.toml`): every part present and non-empty, no unknown part, every alternative
    /// within the writing rules; errors name the file, line and key. (The cap on a line's share is checked by
    /// `shapes::check`, which the phrase bank runs on loading.)
    pub fn load(file: &DataFile) -> Result<Self> {
        let mut tables: Tables = crate::data::parse(file)?;
        let wish_heads = wish_heads(file, tables.remove("wish").unwrap_or_default())?;
        let mut bank = Self::from_tables(file, "", tables)?;
        bank.wish_heads = wish_heads;
        Ok(bank)
    }
}

impl<P: Parts> Bank<P> {
    /// The bank of `tables` read from `file`, whose table names there are `prefix` + the part's table: every part
    /// present and non-empty, no unknown part, every alternative within the writing rules; errors name the file,
    /// line and key.
    pub fn from_tables(file: &DataFile, prefix: &str, tables: Tables) -> Result<Self> {
        for (table, keys) in &tables {
            for key in keys.keys() {
                if !P::ALL.iter().any(|p| p.key() == (table, key)) {
                    return Err(Error::data(
                        at(file, &format!("{prefix}{table}"), key),
                        format!("{prefix}{table}.{key} is not a part a plan is made of"),
                    ));
                }
            }
        }
        let mut groups = Vec::with_capacity(P::ALL.len());
        for &part in P::ALL {
            let (table, key) = part.key();
            let list = tables
                .get(table)
                .and_then(|t| t.get(key))
                .filter(|l| !l.is_empty())
                .ok_or_else(|| {
                    Error::data(
                        &file.origin,
                        format!("{prefix}{table}.{key} is missing or empty"),
                    )
                })?;
            let table = format!("{prefix}{table}");
            if list.len() > MAX_ALTERNATIVES {
                return Err(Error::data(
                    at(file, &table, key),
                    format!(
                        "{table}.{key} has {} alternatives; a part has at most {MAX_ALTERNATIVES}",
                        list.len()
                    ),
                ));
            }
            let mut alternatives = Vec::with_capacity(list.len());
            for (i, source) in list.iter().enumerate() {
                if let Some(j) = list[..i].iter().position(|x| x == source) {
                    return Err(Error::data(
                        at(file, &table, key),
                        format!("{table}.{key}[{i}] repeats [{j}]: each alternative once"),
                    ));
                }
                let alt = parse(source, part.vars()).map_err(|why| {
                    Error::data(at(file, &table, key), format!("{table}.{key}[{i}]: {why}"))
                })?;
                alternatives.push(alt);
            }
            groups.push(alternatives);
        }
        let mut by_gram: std::collections::HashMap<u64, Vec<(u16, u16)>> = Default::default();
        for (p, group) in groups.iter().enumerate() {
            for (i, alt) in group.iter().enumerate() {
                for g in alt.grams() {
                    by_gram.entry(g).or_default().push((p as u16, i as u16));
                }
            }
        }
        Ok(Bank {
            groups,
            by_gram,
            wish_heads: Vec::new(),
            distinct_openings: false,
            parts: std::marker::PhantomData,
        })
    }

    /// The same bank, drawing again a turn two of whose parts open with the same word.
    pub fn with_distinct_openings(mut self) -> Self {
        self.distinct_openings = true;
        self
    }

    /// How many parts of `picks` open with the word an earlier part opened with (0 unless the bank asks).
    fn same_openings(&self, plan: &[P], picks: &[usize]) -> usize {
        if !self.distinct_openings {
            return 0;
        }
        let words: Vec<u64> = plan
            .iter()
            .zip(picks)
            .map(|(p, &i)| self.groups[p.index()][i].opening)
            .collect();
        (1..words.len())
            .filter(|&j| words[j] != 0 && words[..j].contains(&words[j]))
            .count()
    }

    /// A restated wish ("you'd prefer black") opened by one of the bank's heads for its frame ("you're keen on
    /// black"), drawn evenly; a clause of another frame is returned as it is.
    pub fn reword_wish(&self, clause: &str, rng: &mut Rng) -> String {
        for ((_, frame), (_, heads)) in WISH_FRAMES.iter().zip(&self.wish_heads) {
            if let Some(rest) = clause.strip_prefix(frame)
                && let Some(head) = rng.choose(heads)
            {
                return format!("{head} {rest}");
            }
        }
        clause.to_string()
    }

    /// How many alternatives `part` has.
    pub fn len(&self, part: P) -> usize {
        self.groups[part.index()].len()
    }

    /// Whether the bank has no parts (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// The turn of `plan` filled from `fill`: each part an alternative not used yet in this dialogue (drawn evenly
    /// among those left), the whole drawn again when it would repeat a phrase of an earlier turn (a part that
    /// repeats one alone is drawn again by itself). What it used goes into `memory`.
    pub fn compose(
        &self,
        plan: &[P],
        fill: &Fill,
        memory: &mut Memory,
        rng: &mut Rng,
    ) -> Result<String> {
        let mut picks: Vec<usize> = plan.iter().map(|&p| self.draw(p, memory, rng)).collect();
        let mut best: Option<(usize, Vec<usize>)> = None;
        for attempt in 0..ATTEMPTS {
            let (_, masked) = self.render(plan, &picks, fill)?;
            let turn_grams = grams(&masked);
            let clashes = memory.clashes(&turn_grams) + self.same_openings(plan, &picks);
            if clashes == 0 {
                best = Some((0, picks));
                break;
            }
            if best.as_ref().is_none_or(|(c, _)| clashes < *c) {
                best = Some((clashes, picks.clone()));
            }
            if attempt + 1 == ATTEMPTS {
                break;
            }
            // Draw again the parts that clash alone, or all of them when only their joins do.
            let mut redrawn = false;
            for (j, &part) in plan.iter().enumerate() {
                let (_, alone) = self.render(&[part], &picks[j..=j], fill)?;
                if memory.clashes(&grams(&alone)) > 0 {
                    picks[j] = self.draw(part, memory, rng);
                    redrawn = true;
                }
            }
            if !redrawn {
                for (j, &part) in plan.iter().enumerate() {
                    picks[j] = self.draw(part, memory, rng);
                }
            }
        }
        let picks = best.map(|(_, p)| p).unwrap_or_default();
        let (text, masked) = self.render(plan, &picks, fill)?;
        for (&part, &i) in plan.iter().zip(&picks) {
            memory.use_part(part.index() as u16, i as u16);
        }
        let said = grams(&masked);
        // Alternatives that hold a phrase just said are spent too.
        for g in &said {
            for &(p, i) in self.by_gram.get(g).into_iter().flatten() {
                memory.use_part(p, i);
            }
        }
        memory.remember(&said);
        Ok(text)
    }

    /// An alternative of `part` not used yet in this dialogue, evenly among those left (any, when all were used).
    fn draw(&self, part: P, memory: &Memory, rng: &mut Rng) -> usize {
        let n = self.len(part);
        let left = (0..n)
            .filter(|&i| !memory.used(part.index() as u16, i as u16))
            .count();
        if left == 0 {
            return rng.below(n);
        }
        let mut k = rng.below(left);
        for i in 0..n {
            if memory.used(part.index() as u16, i as u16) {
                continue;
            }
            if k == 0 {
                return i;
            }
            k -= 1;
        }
        n - 1
    }

    /// The text of `picks` (one alternative per part of `plan`) and its masked twin.
    fn render(&self, plan: &[P], picks: &[usize], fill: &Fill) -> Result<(String, String)> {
        let mut text = String::new();
        let mut masked = String::new();
        for (&part, &i) in plan.iter().zip(picks) {
            let alt = &self.groups[part.index()][i];
            text.push(' ');
            masked.push(' ');
            for piece in &alt.pieces {
                match piece {
                    Piece::Text(t) => {
                        text.push_str(t);
                        masked.push_str(t);
                    }
                    Piece::Var(v) => {
                        let (said, m) = fill.get(*v).ok_or_else(|| {
                            let (table, key) = part.key();
                            Error::Run(format!(
                                "part {table}.{key} was planned without {{{{ {} }}}}",
                                v.name()
                            ))
                        })?;
                        text.push_str(said);
                        masked.push_str(m);
                    }
                }
            }
        }
        Ok((collapse_whitespace(&text), masked))
    }

    /// The largest probability of any one whole line of `plan`, drawn evenly among the alternatives left after
    /// `used` earlier draws of each part in the dialogue: the product over parts of 1 / (alternatives − used).
    pub fn max_line_probability(&self, plan: &[P], used: usize) -> f64 {
        plan.iter()
            .map(|&p| 1.0 / (self.len(p).saturating_sub(used).max(1) as f64))
            .product()
    }
}

/// The heads of restated wishes (`[wish]`: `prefer`, `like`, `need`, each a list of lowercase phrases taking a
/// noun phrase), in the order of [`WISH_FRAMES`].
fn wish_heads(
    file: &DataFile,
    mut table: BTreeMap<String, Vec<String>>,
) -> Result<Vec<(&'static str, Vec<String>)>> {
    let mut out = Vec::new();
    for (key, _) in WISH_FRAMES {
        let heads = table
            .remove(key)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| Error::data(&file.origin, format!("wish.{key} is missing or empty")))?;
        for (i, h) in heads.iter().enumerate() {
            let bad = h.contains(['{', '}', '.', '?', '!'])
                || h.trim() != h
                || !h.starts_with(|c: char| c.is_lowercase());
            if bad {
                return Err(Error::data(
                    at(file, "wish", key),
                    format!(
                        "wish.{key}[{i}]: a head is a lowercase phrase with no slot and no end mark"
                    ),
                ));
            }
        }
        out.push((key, heads));
    }
    if let Some(key) = table.keys().next() {
        return Err(Error::data(
            at(file, "wish", key),
            format!("wish.{key} is not a wish frame (prefer, like, need)"),
        ));
    }
    Ok(out)
}

/// The file's origin with the line of `key` in `[table]`, when it can be found.
fn at(file: &DataFile, table: &str, key: &str) -> String {
    let header = format!("[{table}]");
    let mut in_table = false;
    for (n, line) in file.text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_table = line == header;
        } else if in_table
            && line
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        {
            return format!("{}:{}", file.origin, n + 1);
        }
    }
    file.origin.clone()
}

/// One alternative of a part given `vars`, checked against the writing rules.
fn parse(source: &str, vars: &[Var]) -> std::result::Result<Alternative, String> {
    if source.contains("{%") || source.contains("{#") {
        return Err(
            "parts hold no control flow ({% %}, {# #}): the plan decides what is said".into(),
        );
    }
    let mut pieces = Vec::new();
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        let text = &rest[..open];
        let close = rest[open..]
            .find("}}")
            .ok_or_else(|| "a `{{` is never closed".to_string())?;
        let name = rest[open + 2..open + close].trim();
        let var = Var::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .ok_or_else(|| format!("unknown variable {{{{ {name} }}}}"))?;
        if !vars.contains(&var) {
            let allowed: Vec<&str> = vars.iter().map(|v| v.name()).collect();
            return Err(format!(
                "{{{{ {name} }}}} is not given to this part (it has: {})",
                if allowed.is_empty() {
                    "none".to_string()
                } else {
                    allowed.join(", ")
                }
            ));
        }
        let before = text.trim_end();
        let so_far = pieces.iter().any(|p| matches!(p, Piece::Var(_))) || !before.is_empty();
        if !var.capitalised() && (!so_far || before.ends_with(['.', '!', '?'])) {
            return Err(format!(
                "a sentence opens with the lowercase {{{{ {name} }}}}"
            ));
        }
        let last_word = before
            .rsplit(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if matches!(last_word, "a" | "an" | "A" | "An") {
            return Err(format!("an article stands before {{{{ {name} }}}}"));
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_string()));
        }
        pieces.push(Piece::Var(var));
        rest = &rest[open + close + 2..];
    }
    if rest.contains("}}") {
        return Err("a `}}` was never opened".into());
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    let first = source.trim_start().chars().next();
    if first.is_some_and(|c| c.is_lowercase()) {
        return Err("a part is a sentence and opens with a capital".into());
    }
    let opening = match pieces.first() {
        Some(Piece::Text(t)) => {
            let word: String = t
                .trim_start()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '\'')
                .flat_map(char::to_lowercase)
                .collect();
            xxhash_rust::xxh3::xxh3_64(word.as_bytes())
        }
        _ => 0,
    };
    let last = source.trim_end().chars().last();
    if !last.is_some_and(|c| matches!(c, '.' | '!' | '?')) {
        return Err("a part is a sentence and ends with . ! or ?".into());
    }
    Ok(Alternative { pieces, opening })
}

pub mod shapes;
pub mod user;

#[cfg(test)]
mod tests;
