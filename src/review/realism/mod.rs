//! Realism measures: how a dialogue compares with what people do. Per conversation ([`measure`], the `realism`
//! part of each review, usable in keep rules): rejects and accepts that cite what was never stated, recommendations
//! from another department, first-offer and blind accepts, target leakage, unfounded references, occasion–category
//! fit, storylines, phrases repeated within the dialogue, broken template fills. For the dataset ([`summary`]):
//! the shares of those, and text variety per side (distinct-n on a token sample, verbatim repeats, frequent lines,
//! skeletons per act) in bounded memory. Definitions: `docs/review.md`, "Realism".

pub mod data;
mod fills;
mod said;
pub mod summary;
pub mod text;
pub mod variety;

use std::collections::HashMap;

pub use data::RealismData;
pub use summary::{RealismBuilder, RealismReport};

use crate::catalog::MemoryCatalog;
use crate::model::{
    Action, Conversation, Profile, Realism, RealismFinding, RealismFlag, Role, Turn,
};
use said::{CONTEXT, Said};
use text::{contains_words, masked_tokens};

/// What the measures can look at besides the conversation.
pub struct RealismContext<'a> {
    /// The catalog (recommended items, the target's values and department).
    pub catalog: Option<&'a MemoryCatalog>,
    /// The profile the user played.
    pub profile: Option<&'a Profile>,
    /// The data files.
    pub data: &'a RealismData,
}

/// Phrase findings kept per conversation (the count is whole).
const PHRASE_FINDINGS: usize = 5;

struct Walk<'a, 'c> {
    c: &'c Conversation,
    ctx: &'a RealismContext<'a>,
    out: Realism,
    said: Said,
    /// The target's position in the catalog.
    target: Option<u32>,
    /// The target has been recommended.
    target_shown: bool,
}

impl Walk<'_, '_> {
    fn flag(&mut self, turn: usize, flag: RealismFlag, detail: impl Into<String>) {
        self.out.findings.push(RealismFinding {
            turn: Some(turn as u32),
            flag,
            detail: detail.into(),
        });
    }

    fn is_requirement(&self, attribute: &str, value: &str) -> bool {
        let Some(p) = self.ctx.profile else {
            return true;
        };
        p.scenario.requirements.iter().any(|r| {
            r.attribute == attribute
                && (attribute != "feature" || r.value.trim().eq_ignore_ascii_case(value.trim()))
        })
    }

    fn reject(&mut self, i: usize, t: &Turn) {
        self.out.rejects += 1;
        if !self.said.structured {
            return;
        }
        let cited: Vec<_> = t
            .slots
            .iter()
            .filter(|s| !s.negative && s.value.trim() != "?" && !s.value.trim().is_empty())
            .filter(|s| !CONTEXT.contains(&s.attribute.as_str()))
            .collect();
        if cited.is_empty() {
            return;
        }
        self.out.rejects_citing += 1;
        let unstated: Vec<String> = cited
            .iter()
            .filter(|s| !self.said.user_stated(&s.attribute, &s.value))
            .map(|s| format!("{} {}", s.attribute, s.value))
            .collect();
        if !unstated.is_empty() {
            self.out.rejects_unstated += 1;
            if unstated.len() == cited.len() {
                self.out.rejects_only_unstated += 1;
            }
            self.flag(i, RealismFlag::RejectUnstated, unstated.join(", "));
        }
        if self.ctx.profile.is_some() {
            let outside: Vec<String> = cited
                .iter()
                // The department goes with the category: naming it is no preference.
                .filter(|s| !matches!(s.attribute.as_str(), "budget" | "category" | "department"))
                .filter(|s| !self.is_requirement(&s.attribute, &s.value))
                .map(|s| format!("{} {}", s.attribute, s.value))
                .collect();
            if !outside.is_empty() {
                self.out.rejects_outside_requirements += 1;
                self.flag(
                    i,
                    RealismFlag::RejectOutsideRequirements,
                    outside.join(", "),
                );
            }
        }
    }

    fn accept(&mut self, i: usize, t: &Turn) {
        self.out.accepts += 1;
        let recommendations = self.c.turns[..i]
            .iter()
            .filter(|x| x.role == Role::System && x.action == Action::Recommend)
            .count();
        if recommendations == 1 {
            self.out.first_offer_accept = true;
            self.flag(
                i,
                RealismFlag::FirstOfferAccept,
                "at the first recommendation",
            );
        }
        if self.said.structured && !self.said.preference {
            self.out.blind_accept = true;
            self.flag(
                i,
                RealismFlag::BlindAccept,
                "before any preference was stated",
            );
        }
        let Some(cat) = self.ctx.catalog else { return };
        let item = t
            .items
            .first()
            .or(self.c.accepted_item.as_ref())
            .and_then(|id| cat.position(id));
        let Some(item) = item else { return };
        let text = t.text.to_lowercase();
        // The recommendation of the accepted item shows what it is (its title, a highlight): praise of that, or a
        // reference by it ("the navy one"), is founded.
        let id = &cat.item(item).id;
        // Every system turn about it counts: the recommendation (one of several items, perhaps) and the answer to a
        // question about it.
        let offer = self.c.turns[..i]
            .iter()
            .filter(|x| x.role == Role::System && x.items.contains(id))
            .map(|x| x.text.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let values = cat
            .attributes(item)
            .map(|(_, v)| v)
            .chain(cat.features(item));
        let praised: Vec<String> = values
            .filter(|v| v.chars().filter(|c| c.is_alphabetic()).count() >= 3)
            .filter(|v| contains_words(&text, v))
            .filter(|v| !self.said.user_stated("", v) && !contains_words(&offer, v))
            .map(str::to_string)
            .collect();
        if !praised.is_empty() {
            self.out.accepts_unstated_praise += 1;
            self.flag(i, RealismFlag::AcceptUnstatedPraise, praised.join(", "));
        }
        if let Some(p) = self.ctx.profile
            && p.scenario.recipient.is_none()
            && p.scenario.purchase_reason.as_deref() != Some("gift")
            && let Some(d) = crate::catalog::department::department(
                &self.ctx.data.departments,
                cat.path(item),
                &cat.item(item).title,
            )
            && crate::catalog::department::contradicts(&p.persona, d)
        {
            self.out.self_purchase_mismatch = true;
            self.flag(
                i,
                RealismFlag::SelfPurchaseMismatch,
                format!(
                    "a {} aged {} accepted an item of the {} department",
                    p.persona.gender.as_str(),
                    p.persona.age,
                    d.name
                ),
            );
        }
    }

    /// A recommendation: each item it shows (several in one turn count one each) checked for its department.
    fn recommend(&mut self, i: usize, t: &Turn) {
        if t.items.is_empty() {
            self.out.recommendations += 1;
        }
        for id in &t.items {
            self.out.recommendations += 1;
            self.recommend_item(i, id);
        }
    }

    fn recommend_item(&mut self, i: usize, id: &str) {
        let (Some(cat), Some(target)) = (self.ctx.catalog, self.target) else {
            return;
        };
        let Some(item) = cat.position(id) else {
            return;
        };
        if item == target {
            return;
        }
        let ds = &self.ctx.data.departments;
        let wanted =
            crate::catalog::department::department(ds, cat.path(target), &cat.item(target).title);
        let got = crate::catalog::department::department(ds, cat.path(item), &cat.item(item).title);
        let (Some(wanted), Some(got)) = (wanted, got) else {
            return;
        };
        if !crate::catalog::department::differ(wanted, got) {
            return;
        }
        self.out.other_department += 1;
        self.flag(
            i,
            RealismFlag::OtherDepartment,
            format!("{} item for a {} target", got.name, wanted.name),
        );
        let reply = self.c.turns[i + 1..].iter().find(|x| x.role == Role::User);
        if let Some(reply) = reply
            && reply.action != Action::Accept
            && self.objects(reply, &[wanted, got])
        {
            self.out.other_department_objected += 1;
            self.flag(
                i + 1
                    + self.c.turns[i + 1..]
                        .iter()
                        .position(|x| x.role == Role::User)
                        .unwrap_or(0),
                RealismFlag::OtherDepartmentObjected,
                got.name.clone(),
            );
        }
    }

    fn objects(&self, reply: &Turn, departments: &[&data::Department]) -> bool {
        let text = reply.text.to_lowercase();
        reply
            .slots
            .iter()
            .any(|s| matches!(s.attribute.as_str(), "department" | "gender" | "age_group"))
            || departments
                .iter()
                .flat_map(|d| &d.words)
                .any(|w| contains_words(&text, w))
            || self
                .ctx
                .data
                .objections
                .iter()
                .any(|p| p.is_match(&reply.text))
    }

    /// A user turn before the target was shown that names its title or an attribute of it no turn had stated
    /// (requirements, category and budget aside: revealing those is the user's part).
    fn leaks(&mut self, i: usize, t: &Turn) {
        let (Some(cat), Some(target)) = (self.ctx.catalog, self.target) else {
            return;
        };
        let text = t.text.to_lowercase();
        let title = cat.item(target).title.to_lowercase();
        let mut leaked: Vec<String> = Vec::new();
        if title.len() >= 8 && text.contains(&title) {
            leaked.push(format!("title {}", cat.item(target).title));
        }
        if self.said.structured {
            for s in t.slots.iter().filter(|s| !s.negative) {
                let key = s.attribute.as_str();
                if CONTEXT.contains(&key) || matches!(key, "budget" | "category") {
                    continue;
                }
                let value = s.value.trim().to_lowercase();
                let of_target = match key {
                    "feature" => cat.has_feature(target, &value),
                    key => cat.value(target, key) == Some(value.as_str()),
                };
                if of_target && !self.is_requirement(key, &value) && !self.said.named(&value) {
                    leaked.push(format!("{key} {value}"));
                }
            }
        } else if let Some(p) = self.ctx.profile {
            for (key, value) in cat.attributes(target) {
                let required = p
                    .scenario
                    .requirements
                    .iter()
                    .any(|r| r.value.eq_ignore_ascii_case(value));
                if value.chars().filter(|c| c.is_alphabetic()).count() >= 4
                    && !required
                    && contains_words(&text, value)
                    && !self.said.named(value)
                {
                    leaked.push(format!("{key} {value}"));
                }
            }
        }
        if !leaked.is_empty() {
            self.out.target_leaks += 1;
            self.flag(i, RealismFlag::TargetLeak, leaked.join(", "));
        }
    }

    /// References to a budget, occasion, recipient or question that nothing before the turn stated.
    fn references(&mut self, i: usize, t: &Turn) {
        let refs = &self.ctx.data.references;
        let mut found: Vec<(RealismFlag, String)> = Vec::new();
        let first = |patterns: &[regex::Regex]| {
            patterns
                .iter()
                .find_map(|p| p.find(&t.text).map(|m| m.as_str().to_string()))
        };
        // A turn that states the occasion or recipient itself ("the recipient is my sister") is founded; budget
        // references all presuppose an earlier statement ("when I said").
        let states = |keys: &[&str]| {
            t.slots
                .iter()
                .any(|s| !s.negative && keys.contains(&s.attribute.as_str()))
        };
        if !self.said.budget
            && let Some(m) = first(&refs.budget)
        {
            found.push((RealismFlag::UnfoundedBudget, m));
        }
        if self.said.structured {
            if !self.said.occasion
                && !states(&["occasion", "reason"])
                && let Some(m) = first(&refs.occasion)
            {
                found.push((RealismFlag::UnfoundedOccasion, m));
            }
            if !self.said.recipient
                && !states(&["recipient"])
                && let Some(m) = first(&refs.recipient)
            {
                found.push((RealismFlag::UnfoundedRecipient, m));
            }
        }
        let asked = i > 0
            && self.c.turns[..i]
                .iter()
                .rev()
                .find(|x| x.role != t.role)
                .is_some_and(|x| x.text.contains('?'));
        if !asked && let Some(m) = first(&refs.question) {
            found.push((RealismFlag::UnfoundedQuestion, m));
        }
        for (flag, m) in found {
            self.out.unfounded_references += 1;
            self.flag(i, flag, m);
        }
    }
}

/// The realism measures of `c`.
pub fn measure(c: &Conversation, ctx: &RealismContext) -> Realism {
    let target = ctx.catalog.and_then(|cat| cat.position(&c.target_item_id));
    let mut w = Walk {
        c,
        ctx,
        out: Realism::default(),
        said: Said::new(&c.turns),
        target,
        target_shown: false,
    };
    w.out.structured = w.said.structured;
    for (i, t) in c.turns.iter().enumerate() {
        match (t.role, t.action) {
            (Role::User, Action::Reject) => w.reject(i, t),
            (Role::User, Action::Accept) => w.accept(i, t),
            (Role::System, Action::Recommend) => w.recommend(i, t),
            _ => {}
        }
        if t.role == Role::User && !w.target_shown && t.action != Action::Accept {
            w.leaks(i, t);
        }
        w.references(i, t);
        if t.role == Role::System
            && t.action == Action::Recommend
            && t.items.contains(&c.target_item_id)
        {
            w.target_shown = true;
        }
        w.said.hear(t);
    }
    occasion(&mut w);
    let phrases = text::mask_phrases(c, ctx.profile, ctx.catalog);
    repeated_phrases(&mut w, &phrases);
    for f in fills::broken_fills(c, ctx.data, ctx.catalog) {
        w.out.broken_fills += 1;
        w.out.findings.push(f);
    }
    w.out.storyline = storyline(c);
    w.out.findings.sort_by_key(|f| f.turn);
    w.out
}

/// The profile's occasion class and whether the target's category fits it.
fn occasion(w: &mut Walk) {
    let Some(p) = w.ctx.profile else { return };
    let Some(occasion) = p.scenario.occasion.as_deref() else {
        return;
    };
    let fit = &w.ctx.data.fit;
    let Some(class) = fit.occasion_class(occasion) else {
        return;
    };
    w.out.occasion_class = class.class.clone();
    let leaf = match (w.ctx.catalog, w.target) {
        (Some(cat), Some(t)) => cat.leaf(t).to_string(),
        _ => p
            .scenario
            .category
            .last()
            .map(|l| l.to_lowercase())
            .unwrap_or_default(),
    };
    let category = fit.category_class(&leaf);
    if let Some(k) = category
        && class.misfits.contains(&k.class)
    {
        w.out.occasion_misfit = true;
        w.out.findings.push(RealismFinding {
            turn: None,
            flag: RealismFlag::OccasionMisfit,
            detail: format!("{occasion} ({}): {leaf} ({})", class.class, k.class),
        });
    }
}

/// Phrases (4-grams of tokens, item names and values masked) that a speaker had already used in another turn.
fn repeated_phrases(w: &mut Walk, phrases: &[String]) {
    let mut seen: HashMap<(Role, u64), usize> = HashMap::new();
    let mut counted: std::collections::HashSet<(Role, u64)> = Default::default();
    let mut shown = 0;
    for (i, t) in w.c.turns.iter().enumerate() {
        let tokens = masked_tokens(&t.text, phrases);
        let mut mine: std::collections::HashSet<u64> = Default::default();
        for gram in tokens.windows(4) {
            if gram.iter().any(|x| x == text::MASK || x == text::NUMBER) {
                continue;
            }
            let joined = gram.join(" ");
            let h = xxhash_rust::xxh3::xxh3_64(joined.as_bytes());
            if !mine.insert(h) {
                continue;
            }
            match seen.get(&(t.role, h)) {
                Some(&first) if first != i => {
                    if counted.insert((t.role, h)) {
                        w.out.repeated_phrases += 1;
                        if shown < PHRASE_FINDINGS {
                            shown += 1;
                            w.flag(i, RealismFlag::RepeatedPhrase, joined);
                        }
                    }
                }
                Some(_) => {}
                None => {
                    seen.insert((t.role, h), i);
                }
            }
        }
    }
}

/// Hash of (profile, target, recommended items in order).
fn storyline(c: &Conversation) -> String {
    let mut parts: Vec<&[u8]> = vec![c.profile_id.as_bytes(), c.target_item_id.as_bytes()];
    for t in &c.turns {
        if t.role == Role::System && t.action == Action::Recommend {
            parts.extend(t.items.iter().map(|x| x.as_bytes()));
        }
    }
    format!("{:016x}", crate::rng::stable_hash(0, &parts))
}

#[cfg(test)]
mod tests;
