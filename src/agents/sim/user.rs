//! The agenda-based user simulator: the profile's goal becomes an agenda of acts (give the need, the category, the
//! budget, each requirement); the system's acts pop it (a clarifying question is answered from the top of the agenda)
//! or push onto it (a recommendation is judged against the target and rejected with grounded reasons, or accepted).

mod plan;
mod reasons;

use super::SimWorld;
use super::phrases::{PhraseBank, ReasonKind, UserAct, UserContext};
use super::realise::{self, Fact};
use super::variety::{Memory, grams};
use super::{latency, money};
use crate::agents::UserAgent;
use crate::agents::compare::satisfies;
use crate::catalog::MemoryCatalog;
use crate::config::{DialogueConfig, UserGoal};
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
    /// What the user said about attributes when rejecting: (key, lowercase value, not wanted).
    stated: Vec<(String, String, bool)>,
    /// The budget has been said.
    said_budget: bool,
    /// Items the user asked about before deciding.
    asked: Vec<u32>,
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
                    world
                        .reason_labels
                        .get(r)
                        .cloned()
                        .unwrap_or_else(|| r.replace('_', " "))
                })
                .unwrap_or_else(|| "something coming up".into()),
            recipient: s.recipient.as_deref().map(first_person).unwrap_or_default(),
            category: noun.plural.clone(),
            noun: Some(noun),
            budget: s.budget.as_ref().map(|b| money(b.max)).unwrap_or_default(),
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
            stated: Vec::new(),
            said_budget: false,
            asked: Vec::new(),
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
        })
    }

    fn budget(&self) -> Option<f64> {
        self.profile.scenario.budget.as_ref().map(|b| b.max)
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
        let mut text = match mixed {
            Some(group) => {
                // A line said before counts as many repeats as any phrase can.
                let mut best: Option<(usize, (UserAct, u16), String)> = None;
                for _ in 0..REDRAWS {
                    let (i, line) = self.phrases.mixed_line(&group, ctx, &mut self.wording)?;
                    let key = (act, i as u16);
                    let repeats = self.memory.clashes(&grams(&line))
                        + usize::from(self.mixed_said.contains(&key)) * 1000;
                    if best.as_ref().is_none_or(|(r, _, _)| repeats < *r) {
                        best = Some((repeats, key, line));
                    }
                    if repeats == 0 {
                        break;
                    }
                }
                let Some((_, key, line)) = best else {
                    return Err(Error::Run("no mixed line".into()));
                };
                self.mixed_said.push(key);
                self.memory.remember(&grams(&line));
                line
            }
            None => {
                let (plan, fill) = self.plan(act, ctx);
                self.phrases
                    .user_parts(self.profile.persona.formality)
                    .compose(&plan, &fill, &mut self.memory, &mut self.wording)?
            }
        };
        if let Some(aside) = self.phrases.aside(
            act,
            self.profile.persona.verbosity,
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
            if self.memory.clashes(&said) == 0 {
                self.memory.remember(&said);
                text = format!("{text} {aside}");
            }
        }
        Ok(text)
    }

    fn answer(&mut self, asked: &str) -> Result<Turn> {
        let mut ctx = self.base.clone();
        match asked {
            "category" => {
                let mut slots = vec![slot("category", self.cat.leaf(self.target))];
                // The shopper names the department with the category ("women's jeans"), as people do, so the
                // recommender keeps to it.
                if let Some(said) = self
                    .cat
                    .department(self.target)
                    .and_then(|d| d.said.as_deref())
                {
                    ctx.category = format!("{said} {}", ctx.category);
                    slots.push(slot("department", said));
                }
                self.say(
                    UserAct::InformCategory,
                    Action::Answer,
                    &ctx,
                    slots,
                    Vec::new(),
                )
            }
            "budget" if self.budget().is_some() => {
                let b = self.budget().unwrap_or_default();
                self.said_budget = true;
                self.say(
                    UserAct::AnswerBudget,
                    Action::Answer,
                    &ctx,
                    vec![slot("budget", &format!("{b}"))],
                    Vec::new(),
                )
            }
            _ => match self.agenda.pop() {
                Some(i) => {
                    let r = &self.profile.scenario.requirements[i];
                    ctx.requirement = self.requirement_text(r);
                    let slots = vec![slot(&r.attribute, &r.value.to_lowercase())];
                    self.say(
                        UserAct::AnswerPreference,
                        Action::Answer,
                        &ctx,
                        slots,
                        Vec::new(),
                    )
                }
                None => self.say(
                    UserAct::NoPreference,
                    Action::Answer,
                    &ctx,
                    Vec::new(),
                    Vec::new(),
                ),
            },
        }
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

    /// Ask whether `item` meets requirement `i` (said for the first time) before deciding.
    fn ask(&mut self, item: u32, i: usize) -> Result<Turn> {
        self.asked.push(item);
        self.agenda.retain(|&j| j != i);
        let r = &self.profile.scenario.requirements[i];
        let mut ctx = UserContext {
            item: self.cat.noun(item).definite(),
            noun: Some(self.cat.noun(item).clone()),
            ..self.base.clone()
        };
        ctx.requirement = self.requirement_text(r);
        let slots = vec![slot(&r.attribute, &r.value.to_lowercase())];
        if r.attribute != "budget" && r.attribute != "category" {
            self.stated
                .push((r.attribute.clone(), r.value.to_lowercase(), false));
        }
        self.say(
            UserAct::Ask,
            Action::Ask,
            &ctx,
            slots,
            vec![self.cat.item(item).id.clone()],
        )
    }

    /// The user's decision on the item of `turn` (a recommendation, or the answer to a question about it): take it,
    /// ask about it first, turn it down with reasons, or give up.
    fn judge(&mut self, turn: &Turn) -> Result<Turn> {
        let Some(item) = turn.items.first().and_then(|id| self.cat.position(id)) else {
            let ctx = UserContext {
                reasons: self.vague_reason()?,
                ..self.base.clone()
            };
            return self.say(
                UserAct::Reject,
                Action::Reject,
                &ctx,
                Vec::new(),
                turn.items.clone(),
            );
        };
        let reqs = &self.profile.scenario.requirements;
        let budget = self.budget();
        // An equivalent must also honour what the user said when rejecting (a colour they asked for, one they
        // turned down): accepting against one's own words is a contradiction the reviewer flags.
        let honours_words = self.stated.iter().all(|(key, value, negative)| {
            let has = match key.as_str() {
                "feature" => self.cat.has_feature(item, value),
                key => self.cat.value(item, key) == Some(value.as_str()),
            };
            has != *negative
        });
        let fits = satisfies(self.cat, self.target, item, budget, reqs)
            && (item == self.target || honours_words);
        let takes_equivalent =
            self.cfg.accept_equivalent && self.rng.chance(self.cfg.equivalent_accept_rate);
        // Without a hidden target, whatever fits is taken.
        let takes = fits
            && (item == self.target
                || takes_equivalent
                || self.cfg.user_goal == UserGoal::Preferences);
        // Before deciding, the user may ask whether the item meets a wish not said yet; one who has said none asks
        // rather than take an item blind. (Drawn for every item, so the later draws do not depend on the answer.)
        let curious = self.rng.chance(self.cfg.ask_rate);
        // The wish asked about is one the recommender's turn did not already answer ("they're full-grain leather"),
        // when there is one.
        let said = turn.text.to_lowercase();
        let unanswered = self.agenda.iter().rev().copied().find(|&j| {
            let v = self.profile.scenario.requirements[j].value.to_lowercase();
            !mentions(&said, &v)
        });
        if !self.asked.contains(&item)
            && let Some(next) = unanswered.or_else(|| self.agenda.last().copied())
            && ((takes && !self.stated_a_wish()) || curious)
        {
            return self.ask(item, next);
        }
        if takes {
            let ctx = UserContext {
                item: self.cat.noun(item).definite(),
                liked: self.liked(item),
                noun: Some(self.cat.noun(item).clone()),
                later: self.rejections > 0,
                ..self.base.clone()
            };
            return self.say(
                UserAct::Accept,
                Action::Accept,
                &ctx,
                Vec::new(),
                vec![self.cat.item(item).id.clone()],
            );
        }
        self.rejections += 1;
        if self.rejections > self.patience {
            let ctx = self.base.clone();
            return self.say(
                UserAct::Abandon,
                Action::Abandon,
                &ctx,
                Vec::new(),
                Vec::new(),
            );
        }
        let chosen = self.reasons(item)?;
        let mut clauses = Vec::new();
        let mut slots = Vec::new();
        for (d, kind) in &chosen {
            // A clause that repeats an earlier phrase of the user is drawn again (the fewest repeats wins).
            let mut best: Option<(usize, String)> = None;
            for _ in 0..REDRAWS {
                let (wanted, got) = self.reason_slots(d, item);
                let clause =
                    self.phrases
                        .reason(&d.attribute, *kind, wanted, got, &mut self.wording)?;
                let repeats = self.memory.clashes(&grams(&clause));
                if best.as_ref().is_none_or(|(r, _)| repeats < *r) {
                    best = Some((repeats, clause));
                }
                if repeats == 0 {
                    break;
                }
            }
            clauses.extend(best.map(|(_, c)| c));
            if *kind == ReasonKind::Dislike {
                // Taste names what the item is, not what the user wants.
                if !d.got.is_empty() {
                    slots.push(Slot {
                        attribute: d.attribute.clone(),
                        value: d.got.clone(),
                        negative: true,
                    });
                }
                continue;
            }
            match d.attribute.as_str() {
                "price_high" => {
                    self.said_budget = true;
                    slots.push(slot(
                        "budget",
                        &budget.map(|b| format!("{b}")).unwrap_or_default(),
                    ))
                }
                "feature" => slots.push(slot("feature", &d.wanted)),
                key => {
                    slots.push(slot(key, &d.wanted));
                    if !d.got.is_empty() {
                        slots.push(Slot {
                            attribute: key.to_string(),
                            value: d.got.clone(),
                            negative: true,
                        });
                    }
                }
            }
            // A requirement named in a rejection is revealed: drop it from the agenda.
            let revealed: Vec<usize> = self
                .agenda
                .iter()
                .copied()
                .filter(|&i| {
                    reqs[i].attribute == d.attribute
                        && (d.attribute != "feature" || reqs[i].value.to_lowercase() == d.wanted)
                })
                .collect();
            self.agenda.retain(|i| !revealed.contains(i));
        }
        if clauses.is_empty() {
            clauses.push(self.vague_reason()?);
        }
        for s in &slots {
            if !matches!(s.attribute.as_str(), "budget" | "category") {
                self.stated
                    .push((s.attribute.clone(), s.value.to_lowercase(), s.negative));
            }
        }
        let ctx = UserContext {
            reasons: clauses.join(" and "),
            item: self.cat.noun(item).definite(),
            noun: Some(self.cat.noun(item).clone()),
            ..self.base.clone()
        };
        self.say(
            UserAct::Reject,
            Action::Reject,
            &ctx,
            slots,
            vec![self.cat.item(item).id.clone()],
        )
    }

    /// A reject clause naming no difference, one repeating no phrase said before when a few draws find one.
    fn vague_reason(&mut self) -> Result<String> {
        let mut best: Option<(usize, String)> = None;
        for _ in 0..REDRAWS {
            let clause = self.phrases.vague_reason(&mut self.wording)?;
            let repeats = self.memory.clashes(&grams(&clause));
            if best.as_ref().is_none_or(|(r, _)| repeats < *r) {
                best = Some((repeats, clause));
            }
            if repeats == 0 {
                break;
            }
        }
        Ok(best.map(|(_, c)| c).unwrap_or_default())
    }

    /// What the user likes about an accepted item: the wishes it meets that the user has said, as one clause
    /// (never a value the user did not ask for).
    fn liked(&self, item: u32) -> String {
        let mut facts = Vec::new();
        let reqs = &self.profile.scenario.requirements;
        for r in (0..reqs.len())
            .filter(|&i| self.revealed(i))
            .map(|i| &reqs[i])
        {
            match r.attribute.as_str() {
                "feature" if self.cat.has_feature(item, &r.value.to_lowercase()) => facts.push(
                    Fact::Feature(self.cat.feature_form(&r.value.to_lowercase())),
                ),
                "feature" | "text" => {}
                key => facts.extend(Fact::of_item(self.cat, item, key)),
            }
        }
        let noun = self.cat.noun(item);
        match realise::describe(noun, &facts) {
            text if text.is_empty() && noun.is_plural() => "they're exactly what I pictured".into(),
            text if text.is_empty() => "it's exactly what I pictured".into(),
            text => text,
        }
    }

    /// A requirement as the shopper states it: realised from the target's value of the attribute (so a genre is
    /// "an urban fantasy", a size "a US 9"), or the profile's own words for free-text requirements.
    fn requirement_text(&mut self, r: &crate::model::Requirement) -> String {
        let fact = match r.attribute.as_str() {
            "text" => None,
            "feature" => Some(Fact::Feature(
                self.cat.feature_form(&r.value.to_lowercase()),
            )),
            key => Fact::of_item(self.cat, self.target, key),
        };
        match fact {
            Some(f) => {
                let variant = self.rng.below(3);
                realise::requirement(&r.attribute, &f, variant)
            }
            None => r.text.clone(),
        }
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
                let slots = vec![slot("need", &ctx.need), slot("occasion", &ctx.occasion)];
                self.say(UserAct::Open, Action::Inform, &ctx, slots, Vec::new())
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
                let last = last.clone();
                self.judge(&last)
            }
            _ => {
                let ctx = self.base.clone();
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
