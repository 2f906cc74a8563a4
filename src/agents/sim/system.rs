//! The retrieval recommender: it learns constraints from the user's turns (category, budget, wanted and unwanted
//! attribute values, features), asks for what is missing, and recommends through a chain — summarise the needs, build
//! a query, retrieve candidates from the catalog (excluding items already shown), rerank by the constraints, phrase.
//! The best match wins; ties are broken by the seeded RNG.

mod answer;
mod counterfactual;
mod plan;
mod rank;
mod say;
mod several;
mod shortfall;

use say::Say;

use super::SimWorld;
use super::compose::{Fill, Part};
use super::latency;
use super::phrases::{PhraseBank, SystemContext};
use super::realise::{self, Fact};
use super::variety::Memory;
use crate::Result;
use crate::agents::{SystemAct, SystemAgent};
use crate::catalog::MemoryCatalog;
use crate::catalog::money::Money;
use crate::catalog::sizes::LocalSizes;
use crate::config::DialogueConfig;
use crate::model::{Action, Role, Slot, Turn};
use crate::rng::Rng;

/// What the recommender has learnt so far.
#[derive(Default)]
struct Needs {
    category: Option<String>,
    /// The department the shopper named ("women's"), kept to once heard.
    department: Option<&'static crate::catalog::department::Department>,
    budget: Option<f64>,
    wanted: Vec<(String, String)>,
    unwanted: Vec<(String, String)>,
    features: Vec<String>,
    occasion: String,
    need: String,
    /// Who the shopper buys for, as the recommender says it ("your sister"), when they said so.
    recipient: String,
    /// Whether the shopper named someone they buy for (said in any form).
    recipient_named: bool,
    feedback: String,
    /// What the last turn-down said, as the recommender acknowledges it.
    objection: Objection,
}

/// What the shopper's last turn-down asked for.
#[derive(Default)]
struct Objection {
    /// Restated wishes, as clauses addressed to the shopper ("you'd prefer black", "you're after scarves").
    clauses: Vec<String>,
    /// The price was too high.
    budget: bool,
}

/// The offline recommender of one conversation.
pub struct SimSystem<'a> {
    cat: &'a MemoryCatalog,
    phrases: &'a PhraseBank,
    cfg: &'a DialogueConfig,
    rng: Rng,
    needs: Needs,
    read: usize,
    shown: Vec<u32>,
    asked: Vec<&'static str>,
    /// Optional questions already decided (asked or not): each is drawn once, at `dialogue.clarify`.
    decided: Vec<&'static str>,
    voice: Option<&'a crate::agents::llm::LlmVoice>,
    chain: Option<&'a crate::agents::retrieval::RetrievalChain>,
    conversation: crate::agents::llm::Talk,
    history: Vec<Turn>,
    /// What this recommender has said in the dialogue (parts and phrases), so that it says other things.
    memory: Memory,
    /// Whether it asked what the purchase is for (once, before the first recommendation).
    asked_context: bool,
    /// Whether this recommender asks for preferences before the budget (drawn per conversation).
    preference_first: bool,
    /// Whether it has said the shopper's need back to them (it does so once).
    need_acknowledged: bool,
    /// The shopper's currency: prices and budgets are said in it (decided in the catalog's).
    money: Money<'a>,
    /// The shopper's size system: sizes are said in it (decided in the catalog's).
    sizes: LocalSizes<'a>,
    /// The item the shopper took, once it took one.
    taken: Option<u32>,
    /// Whether the last recommendation showed several items.
    last_several: bool,
    /// Whether it shows one item a turn whatever `dialogue.items_per_turn` says (a replayed recommender, whose
    /// replies stand beside a one-item turn).
    single: bool,
}

/// Share of conversations in which the recommender asks for preferences before the budget.
const PREFERENCE_FIRST: f64 = 0.4;

impl<'a> SimSystem<'a> {
    /// A recommender over `cat`, speaking to a shopper who counts in `money` (the storefront's currency for them) and
    /// says sizes in `sizes` (the storefront's size system for them).
    pub fn new(
        world: &SimWorld<'a>,
        conversation: &str,
        money: Money<'a>,
        sizes: LocalSizes<'a>,
        mut rng: Rng,
    ) -> Self {
        let preference_first = rng.chance(PREFERENCE_FIRST);
        SimSystem {
            cat: world.catalog,
            phrases: world.phrases,
            cfg: world.config,
            rng,
            needs: Needs::default(),
            read: 0,
            shown: Vec::new(),
            asked: Vec::new(),
            decided: Vec::new(),
            voice: world.system_voice,
            chain: world.system_chain,
            conversation: crate::agents::llm::Talk {
                id: conversation.to_string(),
                deadline: world.config_deadline.map(|d| std::time::Instant::now() + d),
                clock: Default::default(),
            },
            history: Vec::new(),
            memory: Memory::default(),
            asked_context: false,
            preference_first,
            need_acknowledged: false,
            money,
            sizes,
            taken: None,
            last_several: false,
            single: false,
        }
    }

    /// The text of `act`: from the language model when this role has one (which, with vision, sees `shown`: the
    /// images of the item the turn is about, and gets `ctx`), else composed from the phrase bank along the `plan`.
    fn speak(
        &mut self,
        act: &str,
        ctx: impl FnOnce(&Self) -> SystemContext,
        shown: &[String],
        plan: impl FnOnce(&mut Self) -> (Vec<Part>, Fill),
    ) -> Result<String> {
        match self.voice {
            Some(voice) => {
                let ctx = ctx(self);
                voice.system(&self.conversation, act, &ctx, &self.history, shown)
            }
            None => {
                let (parts, fill) = plan(self);
                let bank = self.phrases.system_bank();
                bank.compose(&parts, &fill, &mut self.memory, &mut self.rng)
            }
        }
    }

    /// Learn from the user turns not read yet.
    fn absorb(&mut self, history: &[Turn]) {
        for turn in history
            .iter()
            .skip(self.read)
            .filter(|t| t.role == Role::User)
        {
            if turn.action == Action::Accept {
                self.taken = turn.items.first().and_then(|id| self.cat.position(id));
            }
            let mut feedback = Vec::new();
            let mut facts = Vec::new();
            let mut objection = Objection::default();
            for s in &turn.slots {
                if s.value != "?" {
                    self.memory.add_value(&s.value);
                    // A size is said in the shopper's system: that form is the dialogue's value too.
                    if let Some(local) = self.said_size(&s.value) {
                        self.memory.add_value(local);
                    }
                }
                let n = &mut self.needs;
                match (s.attribute.as_str(), s.negative) {
                    ("category", false) => n.category = Some(s.value.to_lowercase()),
                    ("department", false) => {
                        n.department = crate::catalog::department::named(
                            crate::catalog::department::embedded(),
                            &s.value,
                        )
                        .or(n.department);
                    }
                    ("budget", false) => n.budget = s.value.parse().ok().or(n.budget),
                    ("need", false) => n.need = s.value.clone(),
                    ("occasion", false) => n.occasion = s.value.clone(),
                    ("recipient", false) => {
                        n.recipient_named = true;
                        // Said back in the second person ("my sister" -> "your sister"); other forms are not.
                        if let Some(rest) = s.value.strip_prefix("my ") {
                            n.recipient = format!("your {rest}");
                        }
                    }
                    ("reason" | "recipient", _) => {}
                    ("feature", false) => {
                        if !n.features.contains(&s.value) {
                            n.features.push(s.value.clone());
                        }
                    }
                    (key, true) => n.unwanted.push((key.to_string(), s.value.clone())),
                    (key, false) => {
                        n.wanted.retain(|(k, _)| k != key);
                        n.wanted.push((key.to_string(), s.value.clone()));
                    }
                }
                if !s.negative && turn.action == Action::Reject {
                    match s.attribute.as_str() {
                        "budget" => {
                            objection.budget = true;
                            feedback.push(format!(
                                "you'd like to stay under {}",
                                self.money.write(s.value.parse().unwrap_or(0.0))
                            ))
                        }
                        "category" => {
                            let said = format!("you're after {}", self.category_noun(&s.value));
                            objection.clauses.push(said.clone());
                            feedback.push(said);
                        }
                        key => match self.value_fact(key, &s.value) {
                            Some(fact) => facts.push(fact),
                            None => {
                                let said = format!("you'd prefer {}", s.value);
                                objection.clauses.push(said.clone());
                                feedback.push(said);
                            }
                        },
                    }
                }
            }
            let wishes = realise::wishes(&facts);
            objection.clauses.extend(wishes.iter().cloned());
            feedback.extend(wishes);
            if turn.action == Action::Reject {
                self.needs.feedback = if feedback.is_empty() {
                    "that one wasn't quite right".into()
                } else {
                    realise::list(&feedback)
                };
                self.needs.objection = objection;
            }
        }
        self.read = history.len();
    }

    fn turn(&mut self, action: Action, text: String, slots: Vec<Slot>) -> Turn {
        // Drawn even when a model spoke, so the simulator's later draws stay the same.
        let simulated = latency(
            &mut self.rng,
            self.cfg.system_latency_ms,
            self.cfg.latency_sigma,
        );
        // A turn the model decided or phrased records the real time of its requests.
        let (latency_ms, first_token_ms) =
            self.conversation.turn_time().unwrap_or((simulated, None));
        Turn {
            role: Role::System,
            action,
            text,
            items: Vec::new(),
            images: Vec::new(),
            slots,
            query: None,
            latency_ms,
            first_token_ms,
        }
    }

    fn context(&self) -> SystemContext {
        SystemContext {
            category: match &self.needs.category {
                Some(leaf) => self.category_noun(leaf),
                None => "options".into(),
            },
            occasion: if self.needs.occasion.is_empty() {
                "the occasion".into()
            } else {
                self.needs.occasion.clone()
            },
            need: if self.needs.need.is_empty() {
                "something new".into()
            } else {
                self.needs.need.clone()
            },
            budget: self
                .needs
                .budget
                .map(|b| self.money.write(b))
                .unwrap_or_default(),
            feedback: self.needs.feedback.clone(),
            ..SystemContext::default()
        }
    }

    /// Whether to ask the optional question `topic`: drawn once per conversation (at `dialogue.clarify`), never
    /// when it was asked already.
    fn decide(&mut self, topic: &'static str) -> bool {
        if self.asked.contains(&topic) || self.decided.contains(&topic) {
            return false;
        }
        self.decided.push(topic);
        self.rng.chance(self.cfg.clarify)
    }

    fn clarify(&mut self, topic: &'static str, act: &str) -> Result<Turn> {
        self.asked.push(topic);
        let text = self.speak(act, Self::context, &[], |s| s.plan(Say::Clarify(topic)))?;
        let slots = vec![Slot {
            attribute: topic.to_string(),
            value: "?".into(),
            negative: false,
        }];
        Ok(self.turn(Action::Clarify, text, slots))
    }

    fn recommend(&mut self) -> Result<Turn> {
        if let Some(chain) = self.chain {
            return self.recommend_by_chain(chain);
        }
        let first = self.shown.is_empty();
        if self.needs.category.is_none() && !self.asked.contains(&"category") {
            return self.clarify("category", "ask_category");
        }
        if first {
            let order = if self.preference_first {
                ["preference", "budget"]
            } else {
                ["budget", "preference"]
            };
            for topic in order {
                if topic == "budget" && self.needs.budget.is_none() && self.decide("budget") {
                    return self.clarify("budget", "clarify_budget");
                }
                if topic == "preference" && self.decide("preference") {
                    return self.clarify("preference", "clarify_preference");
                }
            }
        }
        let query = self.query();
        let count = self.items_to_show();
        let picks = self.best(count);
        let Some(&best) = picks.first() else {
            let text = self.speak("close_abandon", Self::context, &[], |s| {
                s.plan(Say::CloseEmpty)
            })?;
            return Ok(self.turn(Action::Close, text, Vec::new()));
        };
        let turn = if picks.len() > 1 {
            self.phrase_several(&picks, first, query)?
        } else {
            self.phrase_recommendation(best, first, query)?
        };
        self.shown.extend_from_slice(&picks);
        self.last_several = picks.len() > 1;
        Ok(turn)
    }

    /// The recommendation turn of catalog item `pick` (the first of the conversation, or another one), phrased with
    /// what the user asked for that it has, showing its picture.
    fn phrase_recommendation(&mut self, pick: u32, first: bool, query: String) -> Result<Turn> {
        let item = self.cat.item(pick);
        let act = if first {
            "recommend"
        } else {
            "recommend_again"
        };
        let images: Vec<String> = item.image.clone().into_iter().collect();
        let id = item.id.clone();
        let context = |s: &Self| {
            let mut ctx = s.context();
            ctx.title = item.title.clone();
            ctx.price = item
                .price
                .map(|p| s.money.write(p))
                .unwrap_or_else(|| "a fair price".into());
            ctx.highlights = s.highlights(pick);
            ctx
        };
        let text = self.speak(act, context, &images, |s| {
            s.plan_recommendation(pick, first)
        })?;
        let mut turn = self.turn(Action::Recommend, text, Vec::new());
        turn.items = vec![id];
        turn.images = images;
        turn.query = Some(query);
        Ok(turn)
    }

    /// Recommend through the language model's chain: needs read from the conversation's text, then a clarifying
    /// question for what is missing (as the simulator would ask it), or search → rerank → the model's pick.
    fn recommend_by_chain(
        &mut self,
        chain: &crate::agents::retrieval::RetrievalChain,
    ) -> Result<Turn> {
        let first = self.shown.is_empty();
        let shown: Vec<String> = self
            .shown
            .iter()
            .map(|&i| self.cat.item(i).title.clone())
            .collect();
        let needs = chain.needs(&self.conversation, &self.history, &shown, self.money)?;
        if needs.category.is_empty() && !self.asked.contains(&"category") {
            return self.clarify("category", "ask_category");
        }
        if first && needs.max_price <= 0.0 && self.decide("budget") {
            return self.clarify("budget", "clarify_budget");
        }
        if first && needs.wanted.is_empty() && self.decide("preference") {
            return self.clarify("preference", "clarify_preference");
        }
        let exclude: Vec<String> = self
            .shown
            .iter()
            .map(|&i| self.cat.item(i).id.clone())
            .collect();
        let Some(pick) = chain.pick(
            &self.conversation,
            &self.history,
            &needs,
            &exclude,
            self.money,
            self.sizes,
        )?
        else {
            let text = self.speak("close_abandon", Self::context, &[], |s| {
                s.plan(Say::CloseEmpty)
            })?;
            return Ok(self.turn(Action::Close, text, Vec::new()));
        };
        let position = self.cat.position(&pick.item.id).ok_or_else(|| {
            crate::Error::Run(format!(
                "the search returned {}, which the in-memory catalog lacks",
                pick.item.id
            ))
        })?;
        self.shown.push(position);
        let mut turn = self.turn(Action::Recommend, pick.message, Vec::new());
        turn.items = vec![pick.item.id.clone()];
        turn.images = pick.item.images.into_iter().take(1).collect();
        turn.query = Some(pick.query);
        Ok(turn)
    }

    /// Why item `i` fits: the wanted values and features it has, said as one clause ("it's black leather, with a
    /// padded collar").
    fn highlights(&self, i: u32) -> String {
        let mut facts = Vec::new();
        for (k, v) in &self.needs.wanted {
            if self.cat.value(i, k) == Some(v.as_str()) {
                facts.extend(Fact::of_item_in(self.cat, self.sizes, i, k));
            }
        }
        for f in &self.needs.features {
            if self.cat.has_feature(i, f) {
                facts.push(Fact::Feature(self.cat.feature_form(f)));
            }
        }
        let text = realise::describe(self.cat.noun(i), &facts);
        if text.is_empty() {
            format!("it's one of our best-rated {}", self.cat.noun(i).plural)
        } else {
            text
        }
    }
}

impl SystemAgent for SimSystem<'_> {
    fn next(&mut self, act: SystemAct, history: &[Turn]) -> Result<Turn> {
        self.absorb(history);
        if self.voice.is_some() {
            self.history = history.to_vec();
        }
        match act {
            SystemAct::Greet => {
                let text = self.speak("greet", Self::context, &[], |s| s.plan(Say::Greet))?;
                Ok(self.turn(Action::Greet, text, Vec::new()))
            }
            SystemAct::OpeningChat | SystemAct::ChitChat => {
                let after_reject = history
                    .last()
                    .is_some_and(|t| t.role == Role::User && t.action == Action::Reject);
                let act = if after_reject {
                    "chit_chat_after_reject"
                } else {
                    "chit_chat"
                };
                let text = self.speak(act, Self::context, &[], |s| {
                    s.plan(Say::Chat { after_reject })
                })?;
                Ok(self.turn(Action::ChitChat, text, Vec::new()))
            }
            SystemAct::Recommend => self.recommend(),
            SystemAct::AnswerQuestion => self.answer(history),
            SystemAct::CloseAccepted => {
                let context = |s: &Self| {
                    let mut ctx = s.context();
                    // The item taken: of several shown, the one the shopper picked.
                    ctx.title = s
                        .taken
                        .or_else(|| s.shown.last().copied())
                        .map(|i| s.cat.item(i).title.clone())
                        .unwrap_or_default();
                    ctx
                };
                let text =
                    self.speak("close_accept", context, &[], |s| s.plan(Say::CloseAccepted))?;
                Ok(self.turn(Action::Close, text, Vec::new()))
            }
            SystemAct::CloseAbandoned => {
                let text = self.speak("close_abandon", Self::context, &[], |s| {
                    s.plan(Say::CloseAbandoned)
                })?;
                Ok(self.turn(Action::Close, text, Vec::new()))
            }
        }
    }

    fn name(&self) -> String {
        self.voice.map_or_else(|| "sim".into(), |v| v.name())
    }
}
