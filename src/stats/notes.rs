//! The report's notes: which config the expectations come from, how the persona expectations allow for the
//! profiles step's rejections, and what the report cannot check, and why.

use super::{BudgetModel, ConfigCheck, Inputs, Unmodelled};

/// What the report cannot check, and what the reader should know to read it.
pub fn notes(
    config: &ConfigCheck,
    unmodelled: &Unmodelled,
    inputs: &Inputs,
    budget: Option<&BudgetModel>,
) -> Vec<String> {
    let mut notes = vec![format!("Expectations come from {}.", config.source)];
    if !config.dialogue_matches {
        notes.push(format!(
            "The conversations record dialogue settings {} but this config's are {}: the expectations are not the \
             run's own settings (intended when testing against another config; otherwise pass the run's --config \
             and --set).",
            if config.recorded_dialogue_hashes.is_empty() {
                "(none)".to_string()
            } else {
                config.recorded_dialogue_hashes.join(", ")
            },
            config.dialogue_hash
        ));
    }
    if config.profiles_match == Some(false) {
        notes.push(
            "The run manifest's profiles key differs from this config's: the profiles were drawn under other \
             profile settings or tables."
                .into(),
        );
    }
    match budget {
        Some(b) => {
            let bands: Vec<String> = b
                .affordable
                .iter()
                .map(|(k, v)| format!("{k} {:.1} %", 100.0 * v))
                .collect();
            notes.push(format!(
                "The profiles step redraws a persona whose target costs more than its income band allows, so \
                 accepted personas lean away from low bands. The persona expectations allow for it: each band \
                 keeps the share of target draws it can afford ({}), computed from the catalog's prices and \
                 category weights for each purchase reason among the categories it suits (ignoring that the \
                 category choice also depends on the persona's gender and age). This predicts \
                 {:.2} % of draws rejected for their budget{}. Other rejections (audience, near-duplicates) are \
                 not modelled.",
                bands.join(", "),
                100.0 * b.predicted_rejected_share,
                b.recorded_rejected_share.map_or_else(
                    || "; no manifest records the actual share".to_string(),
                    |r| format!("; the run manifest records {:.2} %", 100.0 * r)
                )
            ));
        }
        None => notes.push(
            "No catalog beside the data: the persona expectations are the tables' marginals, without the profiles \
             step's budget rejections (which make low income bands, students and children a little rarer than the \
             tables say)."
                .into(),
        ),
    }
    if !unmodelled.rejected_draws.is_empty() {
        let total: u64 = unmodelled.rejected_draws.values().sum();
        let parts: Vec<String> = unmodelled
            .rejected_draws
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        notes.push(format!(
            "The profiles step rejected {total} draws before accepting ({}).",
            parts.join(", ")
        ));
    }
    if inputs.unparsed_conversations > 0 {
        notes.push(format!(
            "{} conversations do not follow the manager's turn structure and are left out of the opening, \
             chit-chat and clarify fits.",
            inputs.unparsed_conversations
        ));
    }
    notes.push(
        "No expectation is derived for: outcomes, rounds and turns (they depend on the catalog and the \
         recommender's hits); dialogue.system_slip (an overlooked preference leaves no mark in the turns); \
         dialogue.code_mix_rate (turns do not record whether they mixed languages); the target's category \
         (its weights, items^profiles.category_weight_exponent, are bent by the plausibility rules). These are \
         reported as observed only."
            .into(),
    );
    notes.push(
        "Each fit is judged alone at the stated level: with about twenty fits at 0.01, data that matches the \
         config still fails one fit in about one run of five. Judge a failure by its effect size (TVD, rate \
         difference, D) as well as its p-value."
            .into(),
    );
    notes
}
