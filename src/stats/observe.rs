//! What the conversations show: each one read back into the manager's structure (opening exchanges, then rounds
//! that are a chit-chat exchange or clarifying questions ending in a recommendation), and the counts the fits need.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::DialogueConfig;
use crate::model::{Action, Conversation, EndReason, Role, Turn, Verbosity};

/// One round, or one opening exchange, as read from the system's turns.
#[derive(Debug, Clone, PartialEq)]
enum Unit {
    /// A chit-chat exchange.
    Chat,
    /// Clarifying questions (their topics) and the recommendation (or the closing when nothing was left).
    Recommend {
        topics: Vec<String>,
        /// Index in the turns of the unit's first system turn.
        start: usize,
    },
}

/// Chit-chat in one round.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundCount {
    /// Conversations that played this round.
    pub reached: u64,
    /// Of those, chit-chat.
    pub chat: u64,
    /// Rounds where a chit-chat was allowed (not the forced first round, not right after a chit-chat).
    pub eligible: u64,
    /// Of the eligible rounds, chit-chat.
    pub eligible_chat: u64,
    /// Chit-chats where the rules forbid one.
    pub forbidden_chat: u64,
}

/// Everything counted over the conversations.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Conversations read.
    pub conversations: u64,
    /// Distinct user agents (`sim`, `llm:MODEL`).
    pub user_agents: BTreeSet<String>,
    /// Distinct system agents.
    pub system_agents: BTreeSet<String>,
    /// Distinct dialogue-settings hashes recorded in the conversations.
    pub config_hashes: BTreeSet<String>,
    /// Conversations per outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Conversations per end reason.
    pub end_reasons: BTreeMap<String, u64>,
    /// Conversations per rounds played.
    pub rounds: BTreeMap<u32, u64>,
    /// Conversations per turn count.
    pub turns: BTreeMap<usize, u64>,
    /// Conversations whose turns do not read as the manager's structure (imported ones, for instance).
    pub unparsed: u64,
    /// Conversations per opening exchanges (the greeting's included).
    pub opening: BTreeMap<u32, u64>,
    /// Chit-chat per round (index 0 = round 1).
    pub chat_rounds: Vec<RoundCount>,
    /// Conversations that reached a first recommendation attempt.
    pub first_attempts: u64,
    /// Of those, asked for the category first.
    pub asked_category: u64,
    /// Eligible for the budget question (no budget heard before the first attempt), and asked it.
    pub budget: (u64, u64),
    /// Eligible for the preference question, and asked it.
    pub preference: (u64, u64),
    /// Rejections per number of reasons given.
    pub reject_reasons: BTreeMap<usize, u64>,
    /// Per verbosity and k: conversations with a k-th miss, and those that ended there (the user abandoned).
    pub misses: BTreeMap<(usize, usize), (u64, u64)>,
    /// Conversations whose profile was missing (left out of the patience counts).
    pub missing_profiles: u64,
    /// Conversations with more rounds than `max_rounds`.
    pub over_max_rounds: u64,
    /// User turn latencies (ms).
    pub user_latency: Vec<u32>,
    /// System turn latencies (ms).
    pub system_latency: Vec<u32>,
    /// Per verbosity (terse, normal, chatty): conversations the system closed, and those the shopper then answered
    /// with a goodbye.
    pub farewells: [(u64, u64); 3],
    /// Conversations the shopper gave up, and those it left unanswered (its giving up the last turn).
    pub left_unanswered: (u64, u64),
    /// Conversations whose ending breaks the manager's order (a shopper's goodbye not right after the system's
    /// closing or not last, a dialogue ending on the shopper without its having given up, or no closing at all).
    pub bad_endings: u64,
    /// Recommendations showing one, two and three items (more are counted with three).
    pub items_per_recommend: [u64; 3],
    /// Items shown, and those shown again in a dialogue that had shown them before.
    pub items_shown: (u64, u64),
    /// Profile ids in order of first use.
    pub profile_ids: Vec<String>,
    seen_profiles: BTreeSet<String>,
}

fn label<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The index of a verbosity (terse, normal, chatty).
pub fn verbosity_index(v: Verbosity) -> usize {
    match v {
        Verbosity::Terse => 0,
        Verbosity::Normal => 1,
        Verbosity::Chatty => 2,
    }
}

impl Observed {
    /// Count one conversation; `verbosity` is its user's, when the profile is known.
    pub fn add(&mut self, c: &Conversation, verbosity: Option<Verbosity>, cfg: &DialogueConfig) {
        self.conversations += 1;
        self.user_agents.insert(c.meta.user_agent.clone());
        self.system_agents.insert(c.meta.system_agent.clone());
        self.config_hashes.insert(c.meta.config_hash.clone());
        *self.outcomes.entry(label(&c.outcome)).or_insert(0) += 1;
        *self.end_reasons.entry(label(&c.end_reason)).or_insert(0) += 1;
        *self.rounds.entry(c.rounds).or_insert(0) += 1;
        *self.turns.entry(c.turns.len()).or_insert(0) += 1;
        if c.rounds > cfg.max_rounds.get() {
            self.over_max_rounds += 1;
        }
        if self.seen_profiles.insert(c.profile_id.clone()) {
            self.profile_ids.push(c.profile_id.clone());
        }
        for t in &c.turns {
            match t.role {
                Role::User => self.user_latency.push(t.latency_ms),
                Role::System => self.system_latency.push(t.latency_ms),
            }
        }
        self.answers(&c.turns, verbosity);
        self.shown(&c.turns);
        self.ending(c, verbosity);
        match units(c) {
            Some(units) => self.structure(c, &units, cfg),
            None => self.unparsed += 1,
        }
    }

    /// The items the recommendations show: how many a turn, and any shown twice.
    fn shown(&mut self, turns: &[Turn]) {
        let mut seen: Vec<&str> = Vec::new();
        for t in turns.iter().filter(|t| {
            t.role == Role::System && t.action == Action::Recommend && !t.items.is_empty()
        }) {
            self.items_per_recommend[t.items.len().min(3) - 1] += 1;
            for id in &t.items {
                self.items_shown.0 += 1;
                if seen.contains(&id.as_str()) {
                    self.items_shown.1 += 1;
                } else {
                    seen.push(id);
                }
            }
        }
    }

    /// Sort the latencies (call once, after the last conversation).
    pub fn finish(&mut self) {
        self.user_latency.sort_unstable();
        self.system_latency.sort_unstable();
    }

    /// The user's answers to recommendations: reasons per rejection, and misses up to an abandonment.
    fn answers(&mut self, turns: &[Turn], verbosity: Option<Verbosity>) {
        if verbosity.is_none() {
            self.missing_profiles += 1;
        }
        let mut misses = 0usize;
        let mut after_recommend = false;
        for t in turns {
            if t.role == Role::System {
                // The answer to a question about the item shown keeps the offer open.
                after_recommend = matches!(t.action, Action::Recommend)
                    || (after_recommend && t.action == Action::Answer);
                continue;
            }
            if t.action == Action::Reject {
                let reasons = t.slots.iter().filter(|s| !s.negative).count();
                *self.reject_reasons.entry(reasons).or_insert(0) += 1;
            }
            if !after_recommend || !matches!(t.action, Action::Reject | Action::Abandon) {
                continue;
            }
            misses += 1;
            if let Some(v) = verbosity {
                let cell = self
                    .misses
                    .entry((verbosity_index(v), misses))
                    .or_insert((0, 0));
                cell.0 += 1;
                if t.action == Action::Abandon {
                    cell.1 += 1;
                }
            }
        }
    }

    /// How the conversation ends: the system's closing (or a shopper who gave up and left) and the shopper's
    /// optional goodbye after it; imported conversations (no known end reason) are not counted.
    fn ending(&mut self, c: &Conversation, verbosity: Option<Verbosity>) {
        if c.end_reason == EndReason::Unknown {
            return;
        }
        let Some(end) = ending(&c.turns) else {
            self.bad_endings += 1;
            return;
        };
        let gave_up = c.end_reason == EndReason::OutOfPatience;
        if gave_up {
            self.left_unanswered.0 += 1;
            self.left_unanswered.1 += u64::from(end == Ending::Left);
        } else if end == Ending::Left {
            self.bad_endings += 1;
            return;
        }
        if let (Some(v), Ending::Closed { farewell }) = (verbosity, end) {
            let cell = &mut self.farewells[verbosity_index(v)];
            cell.0 += 1;
            cell.1 += u64::from(farewell);
        }
    }

    /// Opening length, chit-chat per round and the clarifying questions before the first recommendation.
    fn structure(&mut self, c: &Conversation, units: &[Unit], cfg: &DialogueConfig) {
        let opening_extra = units.len() - c.rounds as usize;
        *self.opening.entry(opening_extra as u32 + 1).or_insert(0) += 1;
        let rounds = &units[opening_extra..];
        if self.chat_rounds.len() < rounds.len() {
            self.chat_rounds.resize(rounds.len(), RoundCount::default());
        }
        for (i, unit) in rounds.iter().enumerate() {
            let forced = i == 0 && cfg.first_round_recommends;
            let after_chat = i > 0 && rounds[i - 1] == Unit::Chat;
            let chat = *unit == Unit::Chat;
            let count = &mut self.chat_rounds[i];
            count.reached += 1;
            count.chat += u64::from(chat);
            if forced || after_chat {
                count.forbidden_chat += u64::from(chat);
            } else {
                count.eligible += 1;
                count.eligible_chat += u64::from(chat);
            }
        }
        let first = rounds.iter().find_map(|u| match u {
            Unit::Recommend { topics, start } => Some((topics, *start)),
            Unit::Chat => None,
        });
        if let Some((topics, start)) = first {
            self.first_attempts += 1;
            let asked = |topic: &str| topics.iter().any(|t| t == topic);
            self.asked_category += u64::from(asked("category"));
            // The budget question is only asked when no budget was heard before the first attempt.
            let heard = c.turns[..start.min(c.turns.len())]
                .iter()
                .any(|t| t.role == Role::User && t.slots.iter().any(|s| s.attribute == "budget"));
            if !heard {
                // The simulator draws the budget question once (where no budget was heard).
                self.budget.0 += 1;
                self.budget.1 += u64::from(asked("budget"));
            }
            self.preference.0 += 1;
            self.preference.1 += u64::from(asked("preference"));
        }
    }
}

/// How a conversation ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    /// The system's closing, and whether the shopper answered it with a goodbye (the last turn).
    Closed { farewell: bool },
    /// The shopper gave up and left: its giving up is the last turn.
    Left,
}

/// The ending of `turns`, or `None` when it breaks the manager's order: a shopper's goodbye anywhere but right after
/// the system's closing as the last turn, or a last turn neither a closing nor the shopper's giving up.
fn ending(turns: &[Turn]) -> Option<Ending> {
    let goodbyes = turns
        .iter()
        .filter(|t| t.role == Role::User && t.action == Action::Close)
        .count();
    let (last, before) = turns.split_last()?;
    let closed = |t: &Turn| t.role == Role::System && t.action == Action::Close;
    match (last.role, last.action) {
        (Role::User, Action::Close) if goodbyes == 1 && before.last().is_some_and(closed) => {
            Some(Ending::Closed { farewell: true })
        }
        (Role::System, Action::Close) if goodbyes == 0 => Some(Ending::Closed { farewell: false }),
        (Role::User, Action::Abandon) if goodbyes == 0 => Some(Ending::Left),
        _ => None,
    }
}

/// The conversation's opening exchanges and rounds after the greeting, or `None` when its system turns do not
/// follow the manager's structure (greeting; chit-chat exchanges; clarifying questions and a recommendation; a
/// closing).
fn units(c: &Conversation) -> Option<Vec<Unit>> {
    let system: Vec<(usize, &Turn)> = c
        .turns
        .iter()
        .enumerate()
        .filter(|(_, t)| t.role == Role::System)
        .collect();
    let (first, rest) = system.split_first()?;
    if first.1.action != Action::Greet {
        return None;
    }
    let no_candidates = c.end_reason == EndReason::NoCandidates;
    let left = ending(&c.turns) == Some(Ending::Left);
    // The closing after the outcome is not a round (with nothing left to show, the closing is the last attempt; a
    // shopper who gave up and left had none).
    let body = if no_candidates || left {
        rest
    } else {
        let (last, body) = rest.split_last()?;
        if last.1.action != Action::Close {
            return None;
        }
        body
    };
    let mut units = Vec::new();
    let mut topics: Vec<String> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, t) in body {
        match t.action {
            Action::ChitChat if start.is_none() => units.push(Unit::Chat),
            // The answer to a question about the item shown belongs to its recommendation.
            Action::Answer => {}
            Action::Clarify => {
                start.get_or_insert(*i);
                topics.push(
                    t.slots
                        .first()
                        .map(|s| s.attribute.clone())
                        .unwrap_or_default(),
                );
            }
            Action::Recommend | Action::Close => {
                units.push(Unit::Recommend {
                    topics: std::mem::take(&mut topics),
                    start: start.take().unwrap_or(*i),
                });
            }
            _ => return None,
        }
    }
    if let Some(start) = start {
        units.push(Unit::Recommend { topics, start });
    }
    let opening = units.len().checked_sub(c.rounds as usize)?;
    if units[..opening].iter().any(|u| *u != Unit::Chat) {
        return None;
    }
    Some(units)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{GenerationMeta, Outcome, Slot, Usage};

    fn turn(role: Role, action: Action, slots: &[(&str, bool)]) -> Turn {
        Turn {
            role,
            action,
            text: "…".into(),
            items: Vec::new(),
            images: Vec::new(),
            slots: slots
                .iter()
                .map(|(a, negative)| Slot {
                    attribute: a.to_string(),
                    value: "x".into(),
                    negative: *negative,
                })
                .collect(),
            query: None,
            latency_ms: 1000,
            first_token_ms: None,
        }
    }

    fn conversation(turns: Vec<Turn>, rounds: u32) -> Conversation {
        Conversation {
            id: "c00000001".into(),
            profile_id: "p0000001".into(),
            target_item_id: "s1".into(),
            outcome: Outcome::Accepted,
            end_reason: EndReason::AcceptedTarget,
            rounds,
            accepted_item: Some("s1".into()),
            mentioned_items: Vec::new(),
            turns,
            usage: Usage::default(),
            meta: GenerationMeta {
                user_agent: "sim".into(),
                system_agent: "sim".into(),
                config_hash: "h".into(),
                seed: 7,
                musegen: "0".into(),
            },
        }
    }

    #[test]
    fn a_conversation_reads_back_into_opening_and_rounds() {
        use Action::*;
        use Role::{System as S, User as U};
        let turns = vec![
            turn(S, Greet, &[]),
            turn(U, Inform, &[("need", false)]),
            // One opening chit-chat exchange.
            turn(S, ChitChat, &[]),
            turn(U, Inform, &[("reason", false)]),
            // Round 1: category and budget questions, then a recommendation, rejected with one reason.
            turn(S, Clarify, &[("category", false)]),
            turn(U, Answer, &[("category", false)]),
            turn(S, Clarify, &[("budget", false)]),
            turn(U, Answer, &[("budget", false)]),
            turn(S, Recommend, &[]),
            turn(U, Reject, &[("color", false), ("color", true)]),
            // Round 2: chit-chat. Round 3: recommendation, accepted; then the closing.
            turn(S, ChitChat, &[]),
            turn(U, ChitChat, &[]),
            turn(S, Recommend, &[]),
            turn(U, Accept, &[]),
            turn(S, Close, &[]),
        ];
        let c = conversation(turns, 3);
        let cfg = DialogueConfig::default();
        let mut o = Observed::default();
        o.add(&c, Some(Verbosity::Normal), &cfg);
        o.finish();
        assert_eq!(o.unparsed, 0);
        assert_eq!(o.opening.get(&2), Some(&1));
        assert_eq!(o.chat_rounds.len(), 3);
        // Round 1 is forced to recommend, round 3 follows a chit-chat: only round 2 was eligible.
        assert_eq!(
            o.chat_rounds.iter().map(|r| r.eligible).collect::<Vec<_>>(),
            vec![0, 1, 0]
        );
        assert_eq!(o.chat_rounds[1].eligible_chat, 1);
        assert_eq!(
            o.chat_rounds.iter().map(|r| r.forbidden_chat).sum::<u64>(),
            0
        );
        assert_eq!((o.first_attempts, o.asked_category), (1, 1));
        assert_eq!(o.budget, (1, 1));
        assert_eq!(o.preference, (1, 0));
        assert_eq!(o.reject_reasons.get(&1), Some(&1));
        assert_eq!(o.misses.get(&(1, 1)), Some(&(1, 0)));
        assert_eq!(o.user_latency.len(), 7);
        assert_eq!(o.system_latency.len(), 8);
    }

    #[test]
    fn imported_conversations_count_as_unparsed() {
        let turns = vec![
            turn(Role::User, Action::Message, &[]),
            turn(Role::System, Action::Message, &[]),
        ];
        let mut o = Observed::default();
        o.add(&conversation(turns, 0), None, &DialogueConfig::default());
        assert_eq!(o.unparsed, 1);
        assert_eq!(o.missing_profiles, 1);
        assert!(o.opening.is_empty());
    }

    #[test]
    fn endings_read_back_goodbyes_shoppers_who_left_and_wrong_orders() {
        use Action::*;
        use Role::{System as S, User as U};
        let cfg = DialogueConfig::default();
        let opening = || {
            vec![
                turn(S, Greet, &[]),
                turn(U, Inform, &[]),
                turn(S, Recommend, &[]),
            ]
        };
        let mut o = Observed::default();
        // Accepted, closed, and a goodbye after the closing.
        let mut goodbye = opening();
        goodbye.extend([
            turn(U, Accept, &[]),
            turn(S, Close, &[]),
            turn(U, Close, &[]),
        ]);
        o.add(
            &conversation(goodbye.clone(), 1),
            Some(Verbosity::Chatty),
            &cfg,
        );
        // Gave up and left unanswered.
        let mut left = conversation(opening(), 1);
        left.turns.push(turn(U, Abandon, &[]));
        left.outcome = crate::model::Outcome::Abandoned;
        left.end_reason = EndReason::OutOfPatience;
        o.add(&left, Some(Verbosity::Terse), &cfg);
        assert_eq!(o.unparsed, 0, "both read as the manager's structure");
        assert_eq!(o.farewells, [(0, 0), (0, 0), (1, 1)]);
        assert_eq!(o.left_unanswered, (1, 1));
        assert_eq!(o.bad_endings, 0);
        // Wrong: the system speaks after a goodbye; a goodbye before the closing; leaving without giving up.
        let mut after = goodbye.clone();
        after.push(turn(S, Close, &[]));
        let mut before = opening();
        before.extend([
            turn(U, Accept, &[]),
            turn(U, Close, &[]),
            turn(S, Close, &[]),
        ]);
        let mut early = conversation(opening(), 1);
        early.turns.push(turn(U, Abandon, &[]));
        for c in [conversation(after, 1), conversation(before, 1), early] {
            o.add(&c, Some(Verbosity::Normal), &cfg);
        }
        assert_eq!(o.bad_endings, 3);
        assert_eq!(o.farewells[1], (0, 0));
    }
}
