//! How well catalog items fit what a conversation revealed: the constraints each user turn's dialogue-act slots
//! state (category, budget, wanted and avoided values, features), walked turn by turn, and whether each
//! recommendation met those in force (the review's grounding measures and the SFT loss weights both read this).

use crate::catalog::MemoryCatalog;
use crate::model::{Action, Conversation, Role, Turn};

/// A constraint the user revealed.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// The category leaf wanted.
    Category(String),
    /// The most the user will pay.
    Budget(f64),
    /// An attribute's value wanted (key, value).
    Wants(String, String),
    /// An attribute's value to avoid (key, value).
    Avoids(String, String),
    /// A feature wanted.
    Feature(String),
    /// The department named ("women's"): an item of another one does not fit (a unisex one does).
    Department(String),
}

/// The constraints a user turn reveals, from its slots.
pub fn constraints(turn: &Turn) -> Vec<Constraint> {
    turn.slots
        .iter()
        .filter_map(|s| {
            let value = s.value.trim().to_lowercase();
            if value.is_empty() || value == "?" {
                return None;
            }
            Some(match (s.attribute.as_str(), s.negative) {
                ("need" | "occasion" | "reason" | "recipient", _) => return None,
                ("category", false) => Constraint::Category(value),
                ("budget", false) => Constraint::Budget(value.parse().ok()?),
                ("feature", false) => Constraint::Feature(value),
                ("department", false) => Constraint::Department(value),
                (key, true) => Constraint::Avoids(key.to_string(), value),
                (key, false) => Constraint::Wants(key.to_string(), value),
            })
        })
        .collect()
}

/// Whether `item` meets `c`.
pub fn meets(cat: &MemoryCatalog, item: u32, c: &Constraint) -> bool {
    match c {
        Constraint::Category(leaf) => cat.leaf(item) == leaf,
        Constraint::Budget(max) => cat.item(item).price.is_none_or(|p| p <= *max + 0.005),
        Constraint::Wants(key, value) => cat.value(item, key) == Some(value.as_str()),
        Constraint::Avoids(key, value) => cat.value(item, key) != Some(value.as_str()),
        Constraint::Feature(f) => cat.has_feature(item, f),
        Constraint::Department(named) => {
            let all = crate::catalog::department::embedded();
            match (
                crate::catalog::department::named(all, named),
                cat.department(item),
            ) {
                (Some(d), Some(x)) => !crate::catalog::department::differ(d, x),
                _ => true,
            }
        }
    }
}

/// The share of `revealed` that `item` meets (1 when nothing was revealed).
pub fn fit(cat: &MemoryCatalog, item: u32, revealed: &[Constraint]) -> f64 {
    if revealed.is_empty() {
        return 1.0;
    }
    revealed.iter().filter(|c| meets(cat, item, c)).count() as f64 / revealed.len() as f64
}

/// Add `new` to the constraints in force: a later wish for an attribute replaces the earlier one.
fn reveal(in_force: &mut Vec<Constraint>, new: Vec<Constraint>) {
    for c in new {
        match &c {
            Constraint::Wants(k, _) => {
                in_force.retain(|x| !matches!(x, Constraint::Wants(j, _) if j == k));
            }
            Constraint::Category(_) => in_force.retain(|x| !matches!(x, Constraint::Category(_))),
            Constraint::Budget(_) => in_force.retain(|x| !matches!(x, Constraint::Budget(_))),
            Constraint::Department(_) => {
                in_force.retain(|x| !matches!(x, Constraint::Department(_)));
            }
            _ => {}
        }
        if !in_force.contains(&c) {
            in_force.push(c);
        }
    }
}

/// Call `f` with every turn of `c` and the constraints in force before it (each user turn reveals its own after).
pub fn walk<'c>(c: &'c Conversation, mut f: impl FnMut(usize, &'c Turn, &[Constraint])) {
    let mut in_force: Vec<Constraint> = Vec::new();
    for (i, t) in c.turns.iter().enumerate() {
        f(i, t, &in_force);
        if t.role == Role::User && t.action != Action::Accept {
            reveal(&mut in_force, constraints(t));
        }
    }
}

/// For every recommendation of `c` of catalog items: its turn index, and whether every item it shows meets every
/// constraint revealed before it and was not turned down earlier (a sound recommendation to learn from).
pub fn sound_recommendations(c: &Conversation, cat: &MemoryCatalog) -> Vec<(usize, bool)> {
    let mut out = Vec::new();
    let mut rejected: Vec<&str> = Vec::new();
    let mut last: Vec<&str> = Vec::new();
    walk(c, |i, t, in_force| match (t.role, t.action) {
        (Role::System, Action::Recommend) => {
            let items: Vec<(&str, Option<u32>)> = t
                .items
                .iter()
                .map(|id| (id.as_str(), cat.position(id)))
                .collect();
            if !items.is_empty() && items.iter().all(|(_, p)| p.is_some()) {
                let sound = items.iter().all(|(id, p)| {
                    !rejected.contains(id) && p.is_some_and(|p| fit(cat, p, in_force) >= 1.0)
                });
                out.push((i, sound));
                last = items.iter().map(|(id, _)| *id).collect();
            }
        }
        // A turn-down of several items turns them all down.
        (Role::User, Action::Reject) => rejected.append(&mut last),
        _ => {}
    });
    out
}
