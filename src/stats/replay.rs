//! Each recommendation judged again against the catalog, as the simulated user judges it: whether the item fits
//! (the target, or an item meeting every requirement, in category and budget, that honours what the user said), and
//! which true differences the user could raise — so the accept rule, `dialogue.equivalent_accept_rate` and the
//! number of reasons per rejection can be checked exactly. A rejection raises the differences in wishes the user had
//! said (the category and a said budget among them), up to `dialogue.reject_reasons`, then at most one wish of the
//! profile not said yet; a difference outside the profile's wishes is a matter of taste, which names no wish.

use crate::agents::compare::{differences, satisfies};
use crate::catalog::MemoryCatalog;
use crate::catalog::money::Money;
use crate::model::{Action, Conversation, Profile, Role};

/// What the replay counted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replayed {
    /// The target offered (and fitting): offers, accepts.
    pub target: (u64, u64),
    /// An equivalent item offered: offers, accepts.
    pub equivalent: (u64, u64),
    /// An item that does not fit offered: offers, accepts.
    pub other: (u64, u64),
    /// Rejections judged (item and profile known).
    pub rejections: u64,
    /// Of those, with a number of wishes named other than the rule gives.
    pub reason_mismatches: u64,
    /// Recommendations left out (item or target not in the catalog, or no profile).
    pub skipped: u64,
}

/// The replay over a catalog.
pub struct Replay<'a> {
    cat: &'a MemoryCatalog,
    reasons: usize,
    /// The counts.
    pub counts: Replayed,
}

impl<'a> Replay<'a> {
    /// A replay over `cat` with the configured reasons per rejection.
    pub fn new(cat: &'a MemoryCatalog, reasons: usize) -> Self {
        Replay {
            cat,
            reasons,
            counts: Replayed::default(),
        }
    }

    /// Judge every recommendation of `c`, whose user played `profile`.
    pub fn add(&mut self, c: &Conversation, profile: Option<&Profile>) {
        let offers = c
            .turns
            .iter()
            .filter(|t| t.role == Role::System && t.action == Action::Recommend)
            .count() as u64;
        let Some((profile, target)) =
            profile.and_then(|p| Some((p, self.cat.position(&p.target_item_id)?)))
        else {
            self.counts.skipped += offers;
            return;
        };
        let budget = profile.scenario.budget.as_ref().map(|b| b.max);
        let reqs = &profile.scenario.requirements;
        // What the user said when rejecting: (key, lowercase value, not wanted).
        let mut stated: Vec<(String, String, bool)> = Vec::new();
        // Every wish the user had said (attribute, lowercase value), and whether it had said a budget.
        let mut said: Vec<(String, String)> = Vec::new();
        let mut said_budget = false;
        // The items of the recommendation the user answers (several when it showed several), `None` for one not
        // in the catalog.
        let mut offered: Option<Vec<Option<u32>>> = None;
        for t in &c.turns {
            if t.role == Role::System {
                // The answer to a question about the item shown keeps the offer open.
                if t.action != Action::Answer {
                    offered = (t.action == Action::Recommend)
                        .then(|| t.items.iter().map(|id| self.cat.position(id)).collect());
                }
                continue;
            }
            let before = (said.clone(), said_budget);
            for s in t.slots.iter().filter(|s| !s.negative) {
                match s.attribute.as_str() {
                    "budget" => said_budget = true,
                    "need" | "occasion" | "reason" | "recipient" | "category" | "department" => {}
                    key => said.push((key.to_string(), s.value.to_lowercase())),
                }
            }
            if t.action == Action::Ask {
                for s in t.slots.iter().filter(|s| s.attribute != "budget") {
                    stated.push((s.attribute.clone(), s.value.to_lowercase(), s.negative));
                }
                continue;
            }
            let (said_before, budget_before) = before;
            let Some(items) = offered.take() else {
                continue;
            };
            let Some(items) = items.into_iter().collect::<Option<Vec<u32>>>() else {
                self.counts.skipped += 1;
                continue;
            };
            let Some(&first) = items.first() else {
                self.counts.skipped += 1;
                continue;
            };
            let fits = |item: u32| {
                let honours = stated.iter().all(|(key, value, negative)| {
                    let has = match key.as_str() {
                        "feature" => self.cat.has_feature(item, value),
                        key => self.cat.value(item, key) == Some(value.as_str()),
                    };
                    has != *negative
                });
                satisfies(self.cat, target, item, budget, reqs) && (item == target || honours)
            };
            let taken = (t.action == Action::Accept)
                .then(|| t.items.first().and_then(|id| self.cat.position(id)))
                .flatten();
            // Of several items, the user takes the target when shown, else the first it would take: the items
            // judged are the target alone, or those up to the one taken (each equivalent is its own draw), or all.
            let judged: &[u32] = if items.contains(&target) && fits(target) {
                std::slice::from_ref(&target)
            } else {
                match taken.and_then(|x| items.iter().position(|&i| i == x)) {
                    Some(n) => &items[..=n],
                    None => &items,
                }
            };
            for &item in judged {
                let fits = fits(item);
                let accepted = u64::from(
                    taken == Some(item) || (items.len() == 1 && t.action == Action::Accept),
                );
                let cell = if item == target && fits {
                    &mut self.counts.target
                } else if fits {
                    &mut self.counts.equivalent
                } else {
                    &mut self.counts.other
                };
                cell.0 += 1;
                cell.1 += accepted;
            }
            // The reasons of a turn-down of several are about the one it names first.
            let item = if items.len() > 1 {
                t.items
                    .first()
                    .and_then(|id| self.cat.position(id))
                    .unwrap_or(first)
            } else {
                first
            };
            if t.action == Action::Reject {
                let (mut known, mut new) = (0usize, 0usize);
                for d in differences(self.cat, target, item, budget, reqs, Money::DOLLARS) {
                    let was_said = match d.attribute.as_str() {
                        "category" => true,
                        "price_high" => budget_before,
                        _ if !d.required => continue,
                        key => said_before
                            .iter()
                            .any(|(k, v)| k == key && (key != "feature" || *v == d.wanted)),
                    };
                    if was_said {
                        known += 1;
                    } else {
                        new += 1;
                    }
                }
                let named = known.min(self.reasons);
                let expected = named + usize::from(named < self.reasons && new > 0);
                let given = t.slots.iter().filter(|s| !s.negative).count();
                self.counts.rejections += 1;
                if given != expected {
                    self.counts.reason_mismatches += 1;
                }
                for s in &t.slots {
                    if !matches!(s.attribute.as_str(), "budget" | "category") {
                        stated.push((s.attribute.clone(), s.value.to_lowercase(), s.negative));
                    }
                }
            }
        }
    }
}
