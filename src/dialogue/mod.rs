//! The conversation manager: an action state machine over the user and system agents — an opening, then rounds in
//! which the system recommends or chit-chats (never twice in a row), the user accepts or rejects, until an accept,
//! the user's patience, or the round limit ends it with a recorded outcome and reason. Then the closing: the system
//! closes (unless a shopper who gave up leaves unanswered), and the shopper may answer with a goodbye of its own.

use crate::Result;
use crate::agents::{SystemAct, SystemAgent, UserAgent};
use crate::config::DialogueConfig;
use crate::model::{
    Action, Conversation, EndReason, GenerationMeta, Outcome, Profile, Turn, Usage, Verbosity,
};
use crate::rng::Rng;

/// Most clarifying questions the system may ask before one recommendation.
const MAX_CLARIFY: usize = 4;

/// Play one conversation for `profile` between `user` and `system`.
pub fn converse(
    id: &str,
    profile: &Profile,
    user: &mut dyn UserAgent,
    system: &mut dyn SystemAgent,
    cfg: &DialogueConfig,
    meta: GenerationMeta,
    rng: &mut Rng,
) -> Result<Conversation> {
    let mut turns: Vec<Turn> = Vec::new();
    exchange(user, system, SystemAct::Greet, &mut turns)?;
    let [lo, hi] = cfg.opening_exchanges;
    for _ in 1..rng.between(lo.max(1), hi.max(1)) {
        exchange(user, system, SystemAct::OpeningChat, &mut turns)?;
    }
    let mut ending: Option<(Outcome, EndReason)> = None;
    let mut last_was_chat = false;
    let mut rounds = 0;
    while ending.is_none() && rounds < cfg.max_rounds.get() {
        rounds += 1;
        let p = chit_chat_probability(&cfg.chit_chat, rounds);
        let forced = rounds == 1 && cfg.first_round_recommends;
        if !forced && !last_was_chat && rng.chance(p) {
            exchange(user, system, SystemAct::ChitChat, &mut turns)?;
            last_was_chat = true;
            continue;
        }
        last_was_chat = false;
        let mut asked = 0;
        loop {
            let turn = system.next(SystemAct::Recommend, &turns)?;
            let action = turn.action;
            turns.push(turn);
            if action == Action::Close {
                ending = Some((Outcome::Abandoned, EndReason::NoCandidates));
                break;
            }
            let mut reply = user.reply(&turns)?;
            // A question about the item shown is answered before the user decides (once per item).
            if reply.action == Action::Ask {
                turns.push(reply);
                turns.push(system.next(SystemAct::AnswerQuestion, &turns)?);
                reply = user.reply(&turns)?;
            }
            let answer = reply.action;
            turns.push(reply);
            if action == Action::Clarify && asked < MAX_CLARIFY {
                asked += 1;
                continue;
            }
            ending = match answer {
                Action::Accept => Some((Outcome::Accepted, EndReason::AcceptedEquivalent)),
                Action::Abandon => Some((Outcome::Abandoned, EndReason::OutOfPatience)),
                _ => None,
            };
            break;
        }
    }
    let (outcome, mut end_reason) = ending.unwrap_or((Outcome::MaxRounds, EndReason::RoundLimit));
    let accepted_item = (outcome == Outcome::Accepted)
        .then(|| turns.last().and_then(|t| t.items.first().cloned()))
        .flatten();
    if accepted_item.as_deref() == Some(profile.target_item_id.as_str()) {
        end_reason = EndReason::AcceptedTarget;
    }
    close(user, system, cfg, profile, end_reason, rng, &mut turns)?;
    let mentioned_items: Vec<String> = turns
        .iter()
        .filter(|t| t.action == Action::Recommend)
        .flat_map(|t| t.items.iter().cloned())
        .collect();
    let usage = Usage {
        latency_ms: turns.iter().map(|t| u64::from(t.latency_ms)).sum(),
        ..Usage::default()
    };
    Ok(Conversation {
        id: id.to_string(),
        profile_id: profile.id.clone(),
        target_item_id: profile.target_item_id.clone(),
        outcome,
        end_reason,
        rounds,
        accepted_item,
        mentioned_items,
        turns,
        usage,
        meta,
    })
}

/// The closing turns after the outcome: the system's closing (none when it closed for want of candidates, which was
/// its closing, nor, at chance `leave_unanswered`, after a shopper gave up: it left), then at the chance of the
/// persona's verbosity the shopper's goodbye, which is always the last turn. Every draw is the manager's own.
fn close(
    user: &mut dyn UserAgent,
    system: &mut dyn SystemAgent,
    cfg: &DialogueConfig,
    profile: &Profile,
    end_reason: EndReason,
    rng: &mut Rng,
    turns: &mut Vec<Turn>,
) -> Result<()> {
    let act = match end_reason {
        EndReason::NoCandidates => None,
        EndReason::OutOfPatience if rng.chance(cfg.leave_unanswered) => return Ok(()),
        EndReason::AcceptedTarget | EndReason::AcceptedEquivalent => Some(SystemAct::CloseAccepted),
        _ => Some(SystemAct::CloseAbandoned),
    };
    if let Some(act) = act {
        let turn = system.next(act, turns)?;
        turns.push(turn);
    }
    if rng.chance(farewell_probability(cfg, profile.persona.verbosity)) {
        let reply = user.reply(turns)?;
        turns.push(reply);
    }
    Ok(())
}

/// The chance that a shopper of `verbosity` answers the recommender's closing with a goodbye.
pub fn farewell_probability(cfg: &DialogueConfig, verbosity: Verbosity) -> f64 {
    cfg.farewell_by_verbosity[match verbosity {
        Verbosity::Terse => 0,
        Verbosity::Normal => 1,
        Verbosity::Chatty => 2,
    }]
}

/// One system turn for `act` and the user's reply.
fn exchange(
    user: &mut dyn UserAgent,
    system: &mut dyn SystemAgent,
    act: SystemAct,
    turns: &mut Vec<Turn>,
) -> Result<()> {
    let turn = system.next(act, turns)?;
    turns.push(turn);
    let reply = user.reply(turns)?;
    turns.push(reply);
    Ok(())
}

/// The chit-chat probability of round `round` (1-based); rounds past the list use its last value.
pub fn chit_chat_probability(table: &[f64], round: u32) -> f64 {
    table
        .get(round as usize - 1)
        .or(table.last())
        .copied()
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chit_chat_table_extends_with_its_last_value() {
        let t = [0.5, 0.4, 0.0];
        assert_eq!(chit_chat_probability(&t, 1), 0.5);
        assert_eq!(chit_chat_probability(&t, 3), 0.0);
        assert_eq!(chit_chat_probability(&t, 9), 0.0);
        assert_eq!(chit_chat_probability(&[], 2), 0.0);
    }
}
