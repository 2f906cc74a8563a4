//! The fits themselves: each observed count set against what the config implies, tested, and judged — or marked
//! not applicable when a language model, not the configured simulator, played the role the setting governs.

use std::collections::BTreeMap;

use super::expected::{
    self, ATTRIBUTES, PersonaModel, abandon_hazard, chit_chat_probability, opening_range,
    patience_pmf,
};
use super::fit::{self, Rate};
use super::observe::Observed;
use super::replay::Replayed;
use super::{Agents, Fit, Section, Test, Verdict};
use crate::config::{Config, UserGoal};
use crate::model::{Profile, Verbosity};

/// What every check needs.
pub struct Context<'a> {
    /// The config the expectations come from.
    pub config: &'a Config,
    /// Significance level.
    pub alpha: f64,
    /// Who played.
    pub agents: &'a Agents,
    /// Whether a profiles file was found.
    pub have_profiles: bool,
}

const LLM_NOTE: &str =
    "not applicable to llm agents: the configured simulator behaviour does not govern this role";

impl Context<'_> {
    /// The verdict of a test with p-value `p` and `broken` rule violations over `n` observations.
    fn judge(&self, n: u64, p: f64, broken: u64, applies: bool) -> Verdict {
        if !applies {
            Verdict::NotApplicable
        } else if n == 0 {
            Verdict::NoData
        } else if broken > 0 || p < self.alpha {
            Verdict::Fail
        } else {
            Verdict::Pass
        }
    }
}

fn note_for(applies: bool, note: Option<String>) -> Option<String> {
    if applies {
        note
    } else {
        Some(match note {
            Some(n) => format!("{LLM_NOTE}; {n}"),
            None => LLM_NOTE.to_string(),
        })
    }
}

/// Persona attributes and purchase reasons of the profiles played (each profile once) against the tables.
pub fn persona(ctx: &Context, model: &PersonaModel, profiles: &[&Profile]) -> Vec<Fit> {
    let expected = model.expected();
    let mut counts: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for p in profiles {
        for (key, label) in model.labels(&p.persona, p.scenario.purchase_reason.as_deref()) {
            *counts.entry(key).or_default().entry(label).or_insert(0) += 1;
        }
    }
    let source = if ctx.config.profiles.tables_dir.is_some() {
        "the persona tables (profiles.tables_dir over the embedded ones)"
    } else {
        "the embedded persona tables (profiles/)"
    };
    ATTRIBUTES
        .iter()
        .map(|(key, what)| {
            let shares = expected.get(key).cloned().unwrap_or_default();
            let observed = counts.get(key).cloned().unwrap_or_default();
            let mut labels: Vec<(String, u64, f64)> = shares
                .iter()
                .map(|(l, s)| (l.clone(), observed.get(l).copied().unwrap_or(0), *s))
                .collect();
            for (l, o) in &observed {
                if !shares.contains_key(l) {
                    labels.push((l.clone(), *o, 0.0));
                }
            }
            labels.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
            let bins = fit::bins(&labels);
            let chi = fit::chi_square(&bins);
            let n = profiles.len() as u64;
            let mut note = None;
            if n == 0 && !ctx.have_profiles {
                note = Some("no profiles file beside the conversations".to_string());
            } else if chi.outside_support > 0 {
                note = Some(format!(
                    "{} profiles have a value the tables never produce",
                    chi.outside_support
                ));
            }
            let verdict = ctx.judge(n, chi.p_value, chi.outside_support, true);
            Fit {
                name: key.to_string(),
                section: Section::Persona,
                description: format!("{what} of the profiles played vs {source}"),
                n,
                test: Test::Categorical {
                    total_variation: fit::total_variation(&bins),
                    bins,
                    chi_square: chi,
                },
                verdict,
                note,
            }
        })
        .collect()
}

fn rates_fit(
    ctx: &Context,
    name: &str,
    description: String,
    rates: Vec<Rate>,
    applies: bool,
    note: Option<String>,
) -> Fit {
    let t = fit::rates(&rates);
    let n = rates.iter().map(|r| r.trials).sum();
    Fit {
        name: name.to_string(),
        section: Section::Dialogue,
        description,
        n,
        verdict: ctx.judge(n, t.chi_square.p_value, t.violations, applies),
        note: note_for(applies, note),
        test: Test::Rates {
            rates,
            chi_square: t.chi_square,
            violations: t.violations,
        },
    }
}

fn rule_fit(
    ctx: &Context,
    name: &str,
    description: &str,
    rule: &str,
    (n, violations): (u64, u64),
    applies: bool,
    note: Option<String>,
) -> Fit {
    Fit {
        name: name.to_string(),
        section: Section::Dialogue,
        description: description.to_string(),
        n,
        test: Test::Rule {
            rule: rule.to_string(),
            violations,
        },
        verdict: ctx.judge(n, 1.0, violations, applies),
        note: note_for(applies, note),
    }
}

/// The dialogue's behaviour: opening length, chit-chat per round and its rules, the round limit, clarifying
/// questions, rejection reasons, the accept rule, and the simulated user's patience.
pub fn dialogue(ctx: &Context, o: &Observed, replayed: Option<&Replayed>) -> Vec<Fit> {
    let mut fits = Vec::new();
    opening(ctx, o, &mut fits);
    chit_chat(ctx, o, &mut fits);
    clarify(ctx, o, &mut fits);
    answers(ctx, o, replayed, &mut fits);
    items_per_turn(ctx, o, &mut fits);
    patience(ctx, o, &mut fits);
    closing(ctx, o, &mut fits);
    fits
}

/// The opening's length against the uniform draw of `dialogue.opening_exchanges`.
fn opening(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let (lo, hi) = opening_range(d);
    let mut rows: Vec<(String, u64, f64)> = (lo..=hi)
        .map(|k| (k.to_string(), o.opening.get(&k).copied().unwrap_or(0), 1.0))
        .collect();
    for (k, n) in o.opening.range(..lo).chain(o.opening.range(hi + 1..)) {
        rows.push((k.to_string(), *n, 0.0));
    }
    rows.sort_by_key(|r| r.0.parse::<u32>().unwrap_or(0));
    let bins = fit::bins(&rows);
    let chi = fit::chi_square(&bins);
    let n: u64 = o.opening.values().sum();
    fits.push(Fit {
        name: "dialogue.opening_exchanges".into(),
        section: Section::Dialogue,
        description: format!(
            "opening exchanges (the greeting's included) vs uniform on [{lo}, {hi}] (dialogue.opening_exchanges)"
        ),
        n,
        verdict: ctx.judge(n, chi.p_value, chi.outside_support, true),
        note: None,
        test: Test::Categorical {
            total_variation: fit::total_variation(&bins),
            bins,
            chi_square: chi,
        },
    });
}

/// Chit-chat per round where the rules allow one, the rules themselves, and the round limit.
fn chit_chat(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let rounds: Vec<Rate> = o
        .chat_rounds
        .iter()
        .enumerate()
        .map(|(i, r)| Rate {
            label: if i == 0 && d.first_round_recommends {
                "round 1 (recommends by rule)".to_string()
            } else {
                format!("round {}", i + 1)
            },
            trials: r.eligible,
            successes: r.eligible_chat,
            expected_rate: chit_chat_probability(d, i as u32 + 1),
        })
        .collect();
    fits.push(rates_fit(
        ctx,
        "dialogue.chit_chat",
        "chit-chat share of the rounds where one was allowed vs dialogue.chit_chat per round".into(),
        rounds,
        true,
        Some(
            "rounds where the rules bind (the first round when dialogue.first_round_recommends, any round right \
             after a chit-chat) are left out: there the chance is 0 by rule, checked by dialogue.chit_chat.rules"
                .into(),
        ),
    ));
    let reached: u64 = o.chat_rounds.iter().map(|r| r.reached).sum();
    let forbidden: u64 = o.chat_rounds.iter().map(|r| r.forbidden_chat).sum();
    fits.push(rule_fit(
        ctx,
        "dialogue.chit_chat.rules",
        "rounds played",
        "never two chit-chats in a row; the first round recommends when dialogue.first_round_recommends",
        (reached, forbidden),
        true,
        None,
    ));
    fits.push(rule_fit(
        ctx,
        "dialogue.max_rounds",
        "conversations",
        &format!("at most dialogue.max_rounds = {} rounds", d.max_rounds),
        (o.conversations, o.over_max_rounds),
        true,
        None,
    ));
}

/// The clarifying questions before the first recommendation, one cell per draw of the simulator.
fn clarify(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let system_sim = ctx.agents.system_is_sim();
    let clarify = vec![
        Rate::new("budget asked", o.budget, d.clarify),
        Rate::new("preference asked", o.preference, d.clarify),
    ];
    fits.push(rates_fit(
        ctx,
        "dialogue.clarify",
        "budget and preference questions before the first recommendation vs dialogue.clarify".into(),
        clarify,
        system_sim,
        Some(
            "each cell is one draw of the simulator, made once per conversation: the budget question (where no \
             budget was heard) and the preference question. The category question is asked whenever the category \
             is unknown (no setting) and is reported apart"
                .into(),
        ),
    ));
}

/// Reasons per rejection and the accept rule, exactly when the offers were replayed against the catalog, else the reasons' upper bound.
fn answers(ctx: &Context, o: &Observed, replayed: Option<&Replayed>, fits: &mut Vec<Fit>) {
    match replayed {
        Some(r) => replayed_answers(ctx, r, fits),
        None => reasons_bound(ctx, o, fits),
    }
}

/// Reasons per rejection (exactly) and accepts per kind of offer, from the replay against the catalog.
fn replayed_answers(ctx: &Context, r: &Replayed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let user_sim = ctx.agents.user_is_sim();
    let limit = d.reject_reasons.get();
    fits.push(rule_fit(
        ctx,
        "dialogue.reject_reasons",
        "rejections judged against the catalog",
        &format!(
            "a rejection names min(dialogue.reject_reasons = {limit}, true differences of the item from the \
             target) reasons"
        ),
        (r.rejections, r.reason_mismatches),
        user_sim,
        None,
    ));
    let equivalent_rate = match d.user_goal {
        UserGoal::Preferences => 1.0,
        UserGoal::Target if d.accept_equivalent => d.equivalent_accept_rate,
        UserGoal::Target => 0.0,
    };
    let cells = vec![
        Rate::new("target offered", r.target, 1.0),
        Rate::new("equivalent item offered", r.equivalent, equivalent_rate),
        Rate::new("other item offered", r.other, 0.0),
    ];
    fits.push(rates_fit(
        ctx,
        "dialogue.accept",
        "accepts per offer, by whether the item fits (replayed against the catalog), vs \
         dialogue.equivalent_accept_rate (and accept_equivalent; every fitting item when dialogue.user_goal \
         is preferences); the target is always taken, an item that does not fit never"
            .into(),
        cells,
        user_sim,
        Some(format!(
            "an equivalent item meets every requirement, sits in the target's category and budget, and \
             honours what the user said when rejecting{}",
            if r.skipped > 0 {
                format!(
                    "; {} offers left out (item, target or profile unknown)",
                    r.skipped
                )
            } else {
                String::new()
            }
        )),
    ));
}

/// Without a catalog: only that no rejection names more reasons than configured.
fn reasons_bound(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let limit = ctx.config.dialogue.reject_reasons.get();
    let user_sim = ctx.agents.user_is_sim();
    let rejects: u64 = o.reject_reasons.values().sum();
    let over: u64 = o.reject_reasons.range(limit + 1..).map(|(_, n)| n).sum();
    let at: u64 = o.reject_reasons.get(&limit).copied().unwrap_or(0);
    fits.push(rule_fit(
        ctx,
        "dialogue.reject_reasons",
        "rejections",
        &format!("at most dialogue.reject_reasons = {limit} reasons per rejection"),
        (rejects, over),
        user_sim,
        Some(format!(
            "no catalog beside the data, so only the upper bound is checked: {:.1} % of rejections give \
             exactly {limit}; fewer means fewer true differences",
            100.0 * at as f64 / rejects.max(1) as f64
        )),
    ));
}

/// Abandonments per miss against the hazard of the configured patience.
fn patience(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let user_sim = ctx.agents.user_is_sim();
    let pmfs: Vec<Vec<f64>> = [Verbosity::Terse, Verbosity::Normal, Verbosity::Chatty]
        .iter()
        .map(|v| patience_pmf(d, *v))
        .collect();
    let patience: Vec<Rate> = o
        .misses
        .iter()
        .map(|(&(v, k), &(trials, abandoned))| Rate {
            label: format!(
                "{}, miss {k}",
                ["terse", "normal", "chatty"].get(v).copied().unwrap_or("?")
            ),
            trials,
            successes: abandoned,
            expected_rate: pmfs.get(v).map_or(0.0, |pmf| abandon_hazard(pmf, k)),
        })
        .collect();
    fits.push(rates_fit(
        ctx,
        "dialogue.patience",
        "abandonments at the k-th missed recommendation, per verbosity, vs the hazard of the configured patience \
         (dialogue.patience_mean, _sd, _min, _by_verbosity)"
            .into(),
        patience,
        user_sim,
        Some(format!(
            "a user abandons at the k-th miss when their patience is k − 1: P(patience = k−1 | patience ≥ k−1); \
             this holds whatever the recommender does, so it tests the patience itself{}",
            if o.missing_profiles > 0 {
                format!(
                    "; {} conversations without a profile are left out",
                    o.missing_profiles
                )
            } else {
                String::new()
            }
        )),
    ));
}

/// Items per recommendation against the weights of `dialogue.items_per_turn`, and no item shown twice.
fn items_per_turn(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let system_sim = ctx.agents.system_is_sim();
    let rows: Vec<(String, u64, f64)> = ["1 item", "2 items", "3 items"]
        .iter()
        .zip(o.items_per_recommend)
        .zip(d.items_per_turn)
        .map(|((label, n), w)| (label.to_string(), n, w))
        .collect();
    let bins = fit::bins(&rows);
    let chi = fit::chi_square(&bins);
    let n: u64 = o.items_per_recommend.iter().sum();
    fits.push(Fit {
        name: "dialogue.items_per_turn".into(),
        section: Section::Dialogue,
        description: "items shown per recommendation vs the weights of dialogue.items_per_turn".into(),
        n,
        verdict: ctx.judge(n, chi.p_value, chi.outside_support, system_sim),
        note: note_for(
            system_sim,
            Some(
                "a turn drawn to show several shows fewer when fewer fitting items are left (or the best has no \
                 fact to cite), which shifts a little weight to fewer items"
                    .into(),
            ),
        ),
        test: Test::Categorical {
            total_variation: fit::total_variation(&bins),
            bins,
            chi_square: chi,
        },
    });
    fits.push(rule_fit(
        ctx,
        "dialogue.items_per_turn.distinct",
        "items shown",
        "no item is shown twice in a dialogue",
        o.items_shown,
        true,
        None,
    ));
}

/// How the conversations end: the shopper's goodbye after the system's closing per verbosity, the shopper who gives
/// up leaving unanswered, and the order of the closing turns.
fn closing(ctx: &Context, o: &Observed, fits: &mut Vec<Fit>) {
    let d = &ctx.config.dialogue;
    let mut rates: Vec<Rate> = [Verbosity::Terse, Verbosity::Normal, Verbosity::Chatty]
        .iter()
        .zip(o.farewells)
        .map(|(&v, counts)| {
            Rate::new(
                format!(
                    "{}, goodbye after the closing",
                    expected::verbosity_label(v)
                ),
                counts,
                crate::dialogue::farewell_probability(d, v),
            )
        })
        .collect();
    rates.push(Rate::new(
        "gave up, left unanswered",
        o.left_unanswered,
        d.leave_unanswered,
    ));
    fits.push(rates_fit(
        ctx,
        "dialogue.closing",
        "the shopper's goodbye after the system's closing, per verbosity, vs dialogue.farewell_by_verbosity; \
         shoppers who gave up leaving unanswered vs dialogue.leave_unanswered"
            .into(),
        rates,
        true,
        Some(format!(
            "the shopper has the last word in {} of {} conversations",
            o.farewells.iter().map(|f| f.1).sum::<u64>() + o.left_unanswered.1,
            o.conversations
        )),
    ));
    fits.push(rule_fit(
        ctx,
        "dialogue.closing.order",
        "conversations",
        "a conversation ends on the system's closing, on the shopper's goodbye right after it, or on the giving up \
         of a shopper who left",
        (o.conversations, o.bad_endings),
        true,
        None,
    ));
}

/// Simulated latency per role against the configured lognormal.
pub fn latency(ctx: &Context, o: &Observed) -> Vec<Fit> {
    let d = &ctx.config.dialogue;
    [
        (
            "latency.user",
            "user",
            &o.user_latency,
            d.user_latency_ms,
            "dialogue.user_latency_ms",
            ctx.agents.user_is_sim(),
        ),
        (
            "latency.system",
            "system",
            &o.system_latency,
            d.system_latency_ms,
            "dialogue.system_latency_ms",
            ctx.agents.system_is_sim(),
        ),
    ]
    .into_iter()
    .map(|(name, role, values, median, key, applies)| {
        let sigma = d.latency_sigma;
        let (dist, p) = fit::ks_floor(values, |x| {
            expected::latency_cdf(x, median, sigma)
        });
        let n = values.len() as u64;
        Fit {
            name: name.into(),
            section: Section::Latency,
            description: format!(
                "{role} turn latency vs lognormal(median {key} = {median} ms, sigma dialogue.latency_sigma = {sigma})"
            ),
            n,
            verdict: ctx.judge(n, p, 0, applies),
            note: note_for(
                applies,
                Some("the simulator uses one median per role for every action; latencies are whole ms (floored), \
                      which the KS distance accounts for"
                    .into()),
            ),
            test: Test::Latency {
                d: dist,
                p_value: p,
                observed_median: fit::median(values),
                expected_median: median,
                observed_sigma: fit::log_sigma(values),
                expected_sigma: sigma,
            },
        }
    })
    .collect()
}
