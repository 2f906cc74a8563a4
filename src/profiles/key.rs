//! What identifies a profiles file: the seed, the profile settings, the scenario writer and the sample catalog it
//! was drawn from; a run reuses profiles whose key is its own.

use crate::config::Config;

/// The key of the profiles `config` makes (hex).
pub fn profiles_key(config: &Config) -> String {
    let writer = &config.roles.scenario_writer;
    let text = serde_json::to_string(&(
        &config.profiles,
        crate::catalog::sample::sample_key(config),
        writer,
    ))
    .unwrap_or_default();
    format!(
        "{:016x}",
        crate::rng::stable_hash(config.seed, &[text.as_bytes()])
    )
}
