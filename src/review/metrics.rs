//! The offline metrics of one conversation (no model, deterministic): grounding in the catalog, lexical relevance
//! proxies, consistency of the user with the profile and of the system with what was rejected, the dialogue's
//! shape, and signs of an over-cooperative user. Constraints are read from the user turns' dialogue-act slots, so
//! grounding is checked for conversations musegen wrote; outside conversations get the checks their text allows.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::catalog::MemoryCatalog;
use crate::catalog::fit::{Constraint, constraints, fit, meets, walk};
use crate::model::{
    Action, Consistency, Conversation, Cooperation, Grounding, Outcome, Profile, Relevance, Review,
    Role, Shape, Turn,
};

/// Settings of the offline metrics (`evaluation/metrics.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSettings {
    /// Words left out when comparing content.
    pub stopwords: Vec<String>,
    /// Accepts with fewer content words give no reason.
    pub accept_min_words: usize,
}

/// What the metrics can look at besides the conversation.
pub struct Context<'a> {
    /// The catalog, for grounding.
    pub catalog: Option<&'a MemoryCatalog>,
    /// The profile the user played, for consistency and the scenario.
    pub profile: Option<&'a Profile>,
    /// Stopwords.
    pub stopwords: &'a HashSet<String>,
    /// Settings.
    pub settings: &'a MetricSettings,
}

/// Whether a reason stated when rejecting `item` is true of it: it lacks what is wanted, has what is not.
fn true_reason(cat: &MemoryCatalog, item: u32, c: &Constraint) -> bool {
    !meets(cat, item, c)
}

/// Lowercase content words of `text`.
pub fn content_words(text: &str, stopwords: &HashSet<String>) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .filter(|w| !stopwords.contains(w))
        .collect()
}

fn bag(words: &[String]) -> HashMap<&str, f64> {
    let mut m = HashMap::new();
    for w in words {
        *m.entry(w.as_str()).or_insert(0.0) += 1.0;
    }
    m
}

/// Cosine similarity of two bags of words (0 when either is empty).
fn cosine(a: &HashMap<&str, f64>, b: &HashMap<&str, f64>) -> f64 {
    let dot: f64 = a
        .iter()
        .filter_map(|(w, x)| b.get(w).map(|y| x * y))
        .fold(0.0, |s, x| s + x);
    let norm = |m: &HashMap<&str, f64>| m.values().map(|x| x * x).sum::<f64>().sqrt();
    let d = norm(a) * norm(b);
    if d == 0.0 { 0.0 } else { dot / d }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().fold(0.0, |s, x| s + x) / xs.len() as f64
    }
}

/// The offline review of `c` (judge scores and the keep decision come later).
pub fn review(c: &Conversation, ctx: &Context) -> Review {
    Review {
        id: c.id.clone(),
        grounding: grounding(c, ctx),
        relevance: relevance(c, ctx),
        consistency: consistency(c, ctx),
        shape: shape(c),
        cooperation: cooperation(c, ctx),
        ..Review::default()
    }
}

fn grounding(c: &Conversation, ctx: &Context) -> Grounding {
    let recommendations = c
        .turns
        .iter()
        .filter(|t| t.role == Role::System && t.action == Action::Recommend)
        .count() as u32;
    let Some(cat) = ctx.catalog else {
        return Grounding {
            checked: false,
            ok: true,
            recommendations,
            fit_mean: 1.0,
            ..Grounding::default()
        };
    };
    let mut unknown: Vec<String> = Vec::new();
    for id in c
        .turns
        .iter()
        .flat_map(|t| &t.items)
        .chain(&c.mentioned_items)
    {
        if cat.position(id).is_none() && !unknown.contains(id) {
            unknown.push(id.clone());
        }
    }
    let mut fits = Vec::new();
    let (mut reasons, mut true_reasons) = (0usize, 0usize);
    let mut accepted_meets = None;
    walk(c, |_, t, in_force| {
        let item = t.items.first().and_then(|id| cat.position(id));
        match (t.role, t.action) {
            // Every item a recommendation shows (several in one turn each count).
            (Role::System, Action::Recommend) => {
                fits.extend(
                    t.items
                        .iter()
                        .filter_map(|id| cat.position(id))
                        .map(|i| fit(cat, i, in_force)),
                );
            }
            (Role::User, Action::Reject) => {
                if let Some(i) = item {
                    let stated = constraints(t);
                    reasons += stated.len();
                    true_reasons += stated.iter().filter(|s| true_reason(cat, i, s)).count();
                }
            }
            (Role::User, Action::Accept) => {
                let i = item.or_else(|| c.accepted_item.as_deref().and_then(|id| cat.position(id)));
                if let Some(i) = i {
                    accepted_meets = Some(fit(cat, i, in_force) >= 1.0);
                }
            }
            _ => {}
        }
    });
    let true_share = (reasons > 0).then(|| true_reasons as f64 / reasons as f64);
    Grounding {
        checked: true,
        ok: unknown.is_empty()
            && accepted_meets != Some(false)
            && true_share.is_none_or(|s| s >= 1.0),
        unknown_items: unknown,
        recommendations,
        fit_mean: if fits.is_empty() { 1.0 } else { mean(&fits) },
        accepted_meets,
        true_reasons: true_share,
    }
}

fn scenario_text(c: &Conversation, ctx: &Context) -> String {
    match ctx.profile {
        Some(p) => {
            let s = &p.scenario;
            let mut text = s.narrative.clone();
            for part in [&s.need, &s.occasion].into_iter().flatten() {
                text.push(' ');
                text.push_str(part);
            }
            for r in &s.requirements {
                text.push(' ');
                text.push_str(&r.value);
            }
            if let Some(leaf) = s.category.last() {
                text.push(' ');
                text.push_str(leaf);
            }
            text
        }
        None => c
            .turns
            .iter()
            .find(|t| t.role == Role::User)
            .map(|t| t.text.clone())
            .unwrap_or_default(),
    }
}

fn relevance(c: &Conversation, ctx: &Context) -> Relevance {
    let words: Vec<Vec<String>> = c
        .turns
        .iter()
        .map(|t| content_words(&t.text, ctx.stopwords))
        .collect();
    let scenario_words = content_words(&scenario_text(c, ctx), ctx.stopwords);
    let scenario = bag(&scenario_words);
    let (mut to_user, mut to_scenario) = (Vec::new(), Vec::new());
    let mut said: HashSet<&str> = HashSet::new();
    let (mut after_first, mut drifted) = (0usize, 0usize);
    let mut recommended = false;
    for (i, t) in c.turns.iter().enumerate() {
        match t.role {
            Role::User => said.extend(words[i].iter().map(String::as_str)),
            Role::System => {
                let mine = bag(&words[i]);
                if let Some(prev) = c.turns[..i].iter().rposition(|p| p.role == Role::User) {
                    to_user.push(cosine(&mine, &bag(&words[prev])));
                }
                to_scenario.push(cosine(&mine, &scenario));
                if recommended {
                    after_first += 1;
                    if !words[i].iter().any(|w| said.contains(w.as_str())) {
                        drifted += 1;
                    }
                }
                recommended |= t.action == Action::Recommend;
            }
        }
    }
    Relevance {
        to_user: mean(&to_user),
        to_scenario: mean(&to_scenario),
        drift: if after_first == 0 {
            0.0
        } else {
            drifted as f64 / after_first as f64
        },
    }
}

fn consistency(c: &Conversation, ctx: &Context) -> Consistency {
    let mut contradictions = Vec::new();
    let budget = ctx
        .profile
        .and_then(|p| p.scenario.budget.as_ref())
        .map(|b| b.max);
    let mut wanted: HashMap<String, String> = HashMap::new();
    let mut avoided: Vec<(String, String)> = Vec::new();
    let mut stated_budget: Option<f64> = None;
    let mut rejected: HashSet<&str> = HashSet::new();
    let mut repeated_rejected = 0;
    for t in &c.turns {
        match (t.role, t.action) {
            (Role::System, Action::Recommend)
                if t.items.iter().any(|id| rejected.contains(id.as_str())) =>
            {
                repeated_rejected += 1;
            }
            (Role::User, action) => {
                if action == Action::Reject {
                    rejected.extend(t.items.iter().map(String::as_str));
                }
                if action == Action::Accept {
                    accept_contradictions(c, t, ctx, &avoided, stated_budget, &mut contradictions);
                }
                for k in constraints(t) {
                    match k {
                        Constraint::Budget(b) => {
                            if let Some(p) = budget
                                && (b - p).abs() > 0.5
                            {
                                contradictions
                                    .push(format!("stated a budget of {b}, the profile's is {p}"));
                            }
                            stated_budget = Some(b);
                        }
                        Constraint::Wants(key, value) => {
                            if let Some(before) = wanted.get(&key)
                                && before != &value
                            {
                                contradictions
                                    .push(format!("wanted {key} {before}, later {value}"));
                            }
                            wanted.insert(key, value);
                        }
                        Constraint::Avoids(key, value) => avoided.push((key, value)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Consistency {
        ok: contradictions.is_empty() && repeated_rejected == 0,
        contradictions,
        repeated_rejected,
    }
}

/// An accept of an item with a value the user said they did not want, or over the budget they stated.
fn accept_contradictions(
    c: &Conversation,
    t: &Turn,
    ctx: &Context,
    avoided: &[(String, String)],
    stated_budget: Option<f64>,
    out: &mut Vec<String>,
) {
    let Some(cat) = ctx.catalog else {
        return;
    };
    let id = t.items.first().or(c.accepted_item.as_ref());
    let Some(i) = id.and_then(|id| cat.position(id)) else {
        return;
    };
    for (key, value) in avoided {
        if cat.value(i, key) == Some(value.as_str()) {
            out.push(format!(
                "accepted an item with {key} {value} after saying not {value}"
            ));
        }
    }
    if let (Some(b), Some(p)) = (stated_budget, cat.item(i).price)
        && p > b + 0.005
    {
        out.push(format!(
            "accepted an item at {p} over the stated budget of {b}"
        ));
    }
    // A shopper buying for themselves accepts an item made for another gender (MUSE's known slip: a 64-year-old
    // woman given a men's cargo pant).
    if let Some(p) = ctx.profile
        && p.scenario.recipient.is_none()
        && p.scenario.purchase_reason.as_deref() != Some("gift")
        && let Some(other) = other_audience(p.persona.gender, &cat.item(i).title, cat.leaf(i))
    {
        out.push(format!(
            "a {} shopper buying for themselves accepted {other} item",
            p.persona.gender.as_str()
        ));
    }
}

/// The audience an item is marked for when it is the other gender's: "a men's" for a female shopper.
fn other_audience(gender: crate::model::Gender, title: &str, leaf: &str) -> Option<&'static str> {
    let text = format!(" {} {} ", title.to_lowercase(), leaf);
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    let men = has(&[" men's ", " mens ", " men ", " boys' ", " boy's "]);
    let women = has(&[" women's ", " womens ", " women ", " girls' ", " girl's "]);
    match gender {
        crate::model::Gender::Female if men && !women => Some("a men's"),
        crate::model::Gender::Male if women && !men => Some("a women's"),
        _ => None,
    }
}

fn shape(c: &Conversation) -> Shape {
    let n = c.turns.len();
    let words = |role: Role| {
        let counts: Vec<f64> = c
            .turns
            .iter()
            .filter(|t| t.role == role)
            .map(|t| t.text.split_whitespace().count() as f64)
            .collect();
        mean(&counts)
    };
    let mut seen: HashSet<(Role, &str)> = HashSet::new();
    let repeated = c
        .turns
        .iter()
        .filter(|t| !seen.insert((t.role, t.text.trim())))
        .count();
    Shape {
        turns: n as u32,
        rounds: c.rounds,
        outcome: serde_json::to_value(c.outcome)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        alternates: c.turns.windows(2).all(|w| w[0].role != w[1].role),
        chit_chat_share: if n == 0 {
            0.0
        } else {
            c.turns
                .iter()
                .filter(|t| t.action == Action::ChitChat)
                .count() as f64
                / n as f64
        },
        user_words: words(Role::User),
        system_words: words(Role::System),
        repetition: if n == 0 {
            0.0
        } else {
            repeated as f64 / n as f64
        },
    }
}

fn cooperation(c: &Conversation, ctx: &Context) -> Cooperation {
    let Some(accept) = c
        .turns
        .iter()
        .position(|t| t.role == Role::User && t.action == Action::Accept)
    else {
        return Cooperation::default();
    };
    let recommendations = c.turns[..accept]
        .iter()
        .filter(|t| t.role == Role::System && t.action == Action::Recommend)
        .count();
    let t = &c.turns[accept];
    let said = content_words(&t.text, ctx.stopwords);
    let mut reasonless = said.len() < ctx.settings.accept_min_words;
    if let Some(cat) = ctx.catalog
        && let Some(i) = t.items.first().and_then(|id| cat.position(id))
    {
        let mut about: HashSet<String> = content_words(&cat.item(i).title, ctx.stopwords)
            .into_iter()
            .collect();
        about.extend(content_words(cat.leaf(i), ctx.stopwords));
        for (_, v) in cat.attributes(i) {
            about.extend(content_words(v, ctx.stopwords));
        }
        for f in cat.features(i) {
            about.extend(content_words(f, ctx.stopwords));
        }
        reasonless |= !said.iter().any(|w| about.contains(w));
    }
    Cooperation {
        accepted_first: c.outcome == Outcome::Accepted && recommendations == 1,
        accept_without_reason: reasonless,
    }
}
