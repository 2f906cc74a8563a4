//! The agenda-based user simulator: the profile's goal becomes an agenda of acts (give the need, the category, the
//! budget, each requirement); the system's acts pop it (a clarifying question is answered from the top of the agenda)
//! or push onto it (a recommendation is judged against the target and rejected with grounded reasons, or accepted).

mod answer;
mod judge;
mod plan;
mod reasons;
mod several;

use super::SimWorld;
use super::latency;
use super::phrases::{PhraseBank, UserAct, UserContext};
use super::variety::{Memory, grams};
use crate::agents::UserAgent;
use crate::catalog::MemoryCatalog;
use crate::catalog::money::Money;
use crate::catalog::sizes::LocalSizes;
use crate::config::DialogueConfig;
use crate::model::{Action, Profile, Role, Slot, Turn, Verbosity};
use crate::rng::Rng;
use crate::{Error, Result};

/// The simulated shopper of one conversation.
pub struct SimUser<'a> {
    profile: &'a Profile,
    cat: &'a MemoryCatalog,
    phrases: &'a PhraseBank,
    cfg: &'a DialogueConfig,
    /// The draws of the shopper's decisions.
    rng: Rng,
    /// The draws of its wording (kept apart, so that how a turn is worded never changes what is decided later).
    wording: Rng,
    target: u32,
    /// Requirement indices still to reveal; the next one is at the end.
    agenda: Vec<usize>,
    patience: u32,
    rejections: u32,
    gave_context: bool,
    /// The first turn named the occasion (the turn saying what the purchase is for does not say it again).
    pub(super) occasion_said: bool,
    /// What the user said about attributes when rejecting: (key, lowercase value, not wanted).
    stated: Vec<(String, String, bool)>,
    /// The budget has been said.
    said_budget: bool,
    /// An item has been turned down for its price (giving up may then blame the budget).
    priced_out: bool,
    /// Items the user asked about before deciding.
    asked: Vec<u32>,
    /// Whether the user would take each item shown so far that fits without being the target (its
    /// `dialogue.equivalent_accept_rate` draw), kept so that asking about an item first does not draw again.
    leanings: Vec<(u32, bool)>,
    /// The shopper's last act was giving up (its goodbye then does not thank again).
    gave_up: bool,
    /// The asides made so far (indices in the bank), none made twice.
    asides: Vec<usize>,
    /// The phrases said so far.
    memory: Memory,
    /// The mixed lines said so far (act, index in its group), none said twice.
    mixed_said: Vec<(UserAct, u16)>,
    base: UserContext,
    voice: Option<&'a crate::agents::llm::LlmVoice>,
    conversation: crate::agents::llm::Talk,
    history: Vec<Turn>,
    /// The currency the shopper counts in (budgets and prices are said in it, compared in the catalog's).
    money: Money<'a>,
    /// The size system the shopper says sizes in (decided in the catalog's).
    sizes: LocalSizes<'a>,
}

impl<'a> SimUser<'a> {
    /// The user for `profile`; fails when the target is not in the catalog.
    pub fn new(
        profile: &'a Profile,
        world: &SimWorld<'a>,
        conversation: &str,
        mut rng: Rng,
    ) -> Result<Self> {
        let (cat, phrases, cfg) = (world.catalog, world.phrases, world.config);
        let wording = rng.fork(WORDING_STREAM);
        let target = cat.position(&profile.target_item_id).ok_or_else(|| {
            Error::Run(format!(
                "profile {}: target item {} is not in the catalog",
                profile.id, profile.target_item_id
            ))
        })?;
        let shift = cfg.patience_by_verbosity[match profile.persona.verbosity {
            Verbosity::Terse => 0,
            Verbosity::Normal => 1,
            Verbosity::Chatty => 2,
        }];
        let drawn = cfg.patience_mean + cfg.patience_sd * rng.normal() + shift;
        let patience = (drawn.round().max(0.0) as u32).max(cfg.patience_min);
        let mut agenda: Vec<usize> = (0..profile.scenario.requirements.len()).collect();
        agenda.reverse();
        let s = &profile.scenario;
        let p = &profile.persona;
        let money = world.currencies.for_profile(profile);
        let sizes = world.sizes.for_profile(profile);
        let noun = cat.noun(target).clone();
        let base = UserContext {
            need: s.need.clone().unwrap_or_else(|| noun.indefinite()),
            occasion: s
                .occasion
                .clone()
                .unwrap_or_else(|| "an upcoming occasion".into()),
            reason: s
                .purchase_reason
                .as_ref()
                .map(|r| {
                    // Drawn on a stream of its own, so the other choices of wording stay as they were.
                    let said = world.reason_said.get(r).map(Vec::as_slice).unwrap_or(&[]);
                    rng.fork(REASON_STREAM)
                        .choose(said)
                        .cloned()
                        .unwrap_or_else(|| r.replace('_', " "))
                })
                .unwrap_or_else(|| "something coming up".into()),
            recipient: s.recipient.as_deref().map(first_person).unwrap_or_default(),
            frames: phrases.occasion_frames(s.purchase_reason.as_deref()),
            category: noun.plural.clone(),
            noun: Some(noun),
            budget: s
                .budget
                .as_ref()
                .map(|b| money.write_local(b.stated()))
                .unwrap_or_default(),
            style: p.style.clone().unwrap_or_else(|| "everyday".into()),
            city: p
                .location
                .as_ref()
                .map(|l| l.city.clone())
                .unwrap_or_default(),
            ..UserContext::default()
        };
        Ok(SimUser {
            profile,
            cat,
            phrases,
            cfg,
            rng,
            wording,
            target,
            agenda,
            patience,
            rejections: 0,
            gave_context: false,
            occasion_said: false,
            stated: Vec::new(),
            said_budget: false,
            priced_out: false,
            asked: Vec::new(),
            leanings: Vec::new(),
            gave_up: false,
            asides: Vec::new(),
            memory: Memory::default(),
            mixed_said: Vec::new(),
            base,
            voice: world.user_voice,
            conversation: crate::agents::llm::Talk {
                id: conversation.to_string(),
                deadline: world.config_deadline.map(|d| std::time::Instant::now() + d),
                clock: Default::default(),
            },
            history: Vec::new(),
            money,
            sizes,
        })
    }

    fn budget(&self) -> Option<f64> {
        self.profile
            .scenario
            .budget
            .as_ref()
            .map(|b| b.in_catalog())
    }

    fn say(
        &mut self,
        act: UserAct,
        action: Action,
        ctx: &UserContext,
        slots: Vec<Slot>,
        items: Vec<String>,
    ) -> Result<Turn> {
        let (text, slots) = match self.voice {
            Some(voice) => (
                voice.user(&self.conversation, act, self.profile, ctx, &self.history)?,
                slots,
            ),
            None => {
                let text = self.word(act, ctx)?;
                // Context the phrasing left out was not said: the recommender must not learn it (or it would
                // bring up an occasion the shopper never mentioned).
                let said = text.to_lowercase();
                let slots = slots
                    .into_iter()
                    .filter(|s| {
                        !matches!(
                            s.attribute.as_str(),
                            "need" | "occasion" | "reason" | "recipient" | "department"
                        ) || said.contains(&s.value.to_lowercase())
                    })
                    .collect();
                (text, slots)
            }
        };
        // Drawn even when a model spoke, so the simulator's later draws stay the same.
        let simulated = latency(
            &mut self.rng,
            self.cfg.user_latency_ms,
            self.cfg.latency_sigma,
        );
        // A turn the model decided or phrased records the real time of its requests.
        let (latency_ms, first_token_ms) =
            self.conversation.turn_time().unwrap_or((simulated, None));
        Ok(Turn {
            role: Role::User,
            action,
            text,
            items,
            images: Vec::new(),
            slots,
            query: None,
            latency_ms,
            first_token_ms,
        })
    }

    /// The English or code-mixed wording of `act` with `ctx`: a turn composed from the register's parts (the
    /// composer keeps it clear of the phrases said before), or for a code-mixing persona now and then a whole mixed
    /// line, one not said before in the dialogue and, within a few draws, repeating no phrase; a chatty persona may
    /// add an aside.
    fn word(&mut self, act: UserAct, ctx: &UserContext) -> Result<String> {
        let persona = &self.profile.persona;
        let mixed =
            self.phrases
                .mixed_group(act, persona, self.cfg.code_mix_rate, &mut self.wording);
        // A whole mixed line cannot say which of several items shown the turn is about.
        let mixed = mixed.filter(|_| !ctx.several);
        // A child talks money in its own English lines (what a parent allows), never a mixed line's own budget.
        let child_money = self.phrases.is_child(persona.age)
            && matches!(
                act,
                UserAct::AnswerBudget | UserAct::NoPreference | UserAct::Abandon
            );
        let mixed = mixed.filter(|_| !child_money);
        // Giving up on a match says what the shopper dislikes, which only the English parts can say.
        let mixed = mixed.filter(|_| act != UserAct::Abandon || ctx.reasons.is_empty());
        // An occasion the first turn named is not told again as news when saying what the purchase is for.
        let said_occasion = act == UserAct::Context && self.occasion_said;
        let restates = |line: &str| said_occasion && line.contains(ctx.occasion.as_str());
        let mut mixed_line = None;
        if let Some(group) = mixed {
            // A line said before counts as many repeats as any phrase can, one restating the occasion more (kept only
            // when every draw does: a mixing persona's turn stays mixed).
            let mut best: Option<(usize, (UserAct, u16), String)> = None;
            for _ in 0..REDRAWS {
                let (i, line) = self.phrases.mixed_line(&group, ctx, &mut self.wording)?;
                let key = (act, i as u16);
                let repeats = self.memory.clashes(&grams(&line))
                    + usize::from(self.mixed_said.contains(&key)) * 1000
                    + usize::from(restates(&line)) * 2000;
                if best.as_ref().is_none_or(|(r, _, _)| repeats < *r) {
                    best = Some((repeats, key, line));
                }
                if repeats == 0 {
                    break;
                }
            }
            if let Some((_, key, line)) = best {
                self.mixed_said.push(key);
                self.memory.remember(&grams(&line));
                mixed_line = Some(line);
            }
        }
        let mut text = match mixed_line {
            Some(line) => line,
            None => {
                let (plan, fill) = self.plan(act, ctx);
                self.phrases
                    .user_parts(self.profile.persona.formality, self.profile.persona.age)
                    .compose(&plan, &fill, &mut self.memory, &mut self.wording)?
            }
        };
        if let Some(aside) = self.phrases.aside(
            act,
            self.profile.persona.verbosity,
            self.phrases.is_child(self.profile.persona.age),
            ctx,
            &mut self.asides,
            &mut self.wording,
        ) {
            // An aside repeating a phrase said before, alone or with the turn's last words, is left out.
            let words: Vec<&str> = text.split_whitespace().collect();
            let joined = format!(
                "{} {aside}",
                words[words.len().saturating_sub(3)..].join(" ")
            );
            let said = grams(&joined);
            if self.memory.clashes(&said) == 0 && !restates(&aside) {
                self.memory.remember(&said);
                text = format!("{text} {aside}");
            }
        }
        Ok(text)
    }

    /// The shopper's goodbye answering the recommender's closing: warm thanks after taking an item, a calm or curt
    /// word otherwise (never praise for an item not taken).
    fn farewell(&mut self, history: &[Turn]) -> Result<Turn> {
        let took = history
            .iter()
            .any(|t| t.role == Role::User && t.action == Action::Accept);
        self.gave_up = history
            .iter()
            .rev()
            .find(|t| t.role == Role::User)
            .is_some_and(|t| t.action == Action::Abandon);
        let act = if took {
            UserAct::FarewellAccepted
        } else {
            UserAct::FarewellAbandoned
        };
        let ctx = self.base.clone();
        self.say(act, Action::Close, &ctx, Vec::new(), Vec::new())
    }

    /// Whether requirement `i` of the profile has been said (answered, asked about, or named in a reject).
    fn revealed(&self, i: usize) -> bool {
        !self.agenda.contains(&i)
    }

    /// Whether the user has said any wish beyond the category and the budget.
    fn stated_a_wish(&self) -> bool {
        let reqs = &self.profile.scenario.requirements;
        (0..reqs.len()).any(|i| self.revealed(i))
            || self.stated.iter().any(|(_, _, negative)| !negative)
    }
}

impl UserAgent for SimUser<'_> {
    fn reply(&mut self, history: &[Turn]) -> Result<Turn> {
        if self.voice.is_some() {
            self.history = history.to_vec();
        }
        let Some(last) = history.iter().rev().find(|t| t.role == Role::System) else {
            return Err(Error::Run(
                "the user was asked to speak before the system".into(),
            ));
        };
        let recommended_before = history.iter().any(|t| t.action == Action::Recommend);
        match last.action {
            Action::Greet => {
                let ctx = self.base.clone();
                let mut slots = vec![slot("need", &ctx.need)];
                // An occasion that is no date to get ready for is not news the recommender acts on (a mixed line
                // may still say it).
                if ctx.frames.ready {
                    slots.push(slot("occasion", &ctx.occasion));
                }
                let turn = self.say(UserAct::Open, Action::Inform, &ctx, slots, Vec::new())?;
                self.occasion_said = turn.slots.iter().any(|s| s.attribute == "occasion");
                Ok(turn)
            }
            Action::ChitChat if !recommended_before && !self.gave_context => {
                self.gave_context = true;
                let ctx = self.base.clone();
                let mut slots = vec![slot("reason", &ctx.reason)];
                if !ctx.recipient.is_empty() {
                    slots.push(slot("recipient", &ctx.recipient));
                }
                self.say(UserAct::Context, Action::Inform, &ctx, slots, Vec::new())
            }
            Action::Clarify => {
                let asked = last
                    .slots
                    .first()
                    .map(|s| s.attribute.clone())
                    .unwrap_or_default();
                self.answer(&asked)
            }
            // A recommendation, or the recommender's answer to a question about the item shown.
            Action::Recommend | Action::Answer => {
                // The items of the recommendation (an answer is about one of them).
                let offer = history
                    .iter()
                    .rev()
                    .find(|t| t.role == Role::System && t.action == Action::Recommend);
                let shown: Vec<u32> = offer
                    .map(|t| {
                        t.items
                            .iter()
                            .filter_map(|id| self.cat.position(id))
                            .collect()
                    })
                    .unwrap_or_default();
                let last = last.clone();
                if shown.len() > 1 {
                    let offer = offer.map(|t| t.text.clone()).unwrap_or_default();
                    self.judge_several(&shown, &offer, &last.text)
                } else {
                    self.judge(&last)
                }
            }
            Action::Close => self.farewell(history),
            _ => {
                // The recommender's small talk right after a turn-down is sympathy (`SimSystem` says so then).
                let after_reject = history
                    .iter()
                    .rev()
                    .find(|t| t.role != Role::System)
                    .is_some_and(|t| t.action == Action::Reject);
                let ctx = UserContext {
                    after_reject,
                    ..self.base.clone()
                };
                self.say(
                    UserAct::ChitChat,
                    Action::ChitChat,
                    &ctx,
                    Vec::new(),
                    Vec::new(),
                )
            }
        }
    }

    fn name(&self) -> String {
        self.voice.map_or_else(|| "sim".into(), |v| v.name())
    }
}

/// The ChaCha stream of the shopper's wording (its decisions draw from the conversation's own, stream 0).
const WORDING_STREAM: u64 = 1;
/// The stream the phrasing of the purchase reason is drawn from.
const REASON_STREAM: u64 = 2;

/// Draws of a user turn's wording before one that repeats an earlier phrase is kept.
const REDRAWS: usize = 6;

fn slot(attribute: &str, value: &str) -> Slot {
    Slot {
        attribute: attribute.to_string(),
        value: value.to_string(),
        negative: false,
    }
}

/// A recipient as the shopper says it: the scenario is written about them ("his father"), the shopper speaks of
/// "my father".
fn first_person(recipient: &str) -> String {
    let r = recipient.trim();
    for possessive in ["his ", "her ", "their ", "His ", "Her ", "Their "] {
        if let Some(rest) = r.strip_prefix(possessive) {
            return format!("my {rest}");
        }
    }
    r.to_string()
}

/// Whether `text` holds `value` as whole words (both lowercase): "full-grain leather" in "they're full-grain leather",
/// not "tan" in "tangerine".
fn mentions(text: &str, value: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(value).any(|(at, _)| {
        !word(text[..at].chars().next_back()) && !word(text[at + value.len()..].chars().next())
    })
}

#[cfg(test)]
mod tests {
    use super::first_person;

    #[test]
    fn the_shopper_speaks_of_the_recipient_in_the_first_person() {
        assert_eq!(first_person("his father"), "my father");
        assert_eq!(first_person("their older sister"), "my older sister");
        assert_eq!(first_person("a childhood friend"), "a childhood friend");
    }
}
