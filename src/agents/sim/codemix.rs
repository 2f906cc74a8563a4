//! Code-mixed user turns (`prompts/sim/codemix.toml`): for a persona whose language mix is Hinglish, Spanglish …,
//! a whole line written in the mix, with the act's slots, replaces the English line of the act for a share of the
//! persona's turns. Nothing is spliced into an English sentence: word swaps, openers and closers bolted onto
//! English lines read like no bilingual speaker ("Things are accha!", "My upper limit is $130 oder?").

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::config::is_language_mix;
use crate::data::DataFile;
use crate::model::{Formality, Persona};
use crate::rng::Rng;
use crate::template::TemplateBank;
use crate::{Error, Result};

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeMixFile {
    share: Share,
    #[serde(default)]
    mixes: BTreeMap<String, MixFile>,
}

/// The factor of `dialogue.code_mix_rate` per formality.
#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct Share {
    casual: f64,
    neutral: f64,
    formal: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MixFile {
    /// Read by the dataset card ("Hinglish (…)"); the agents need only the lines.
    #[serde(rename = "name")]
    _name: String,
    acts: BTreeMap<String, ByRegister>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByRegister {
    casual: Vec<String>,
    polite: Vec<String>,
}

/// The register of a mixed line: casual personas speak `casual`, neutral and formal ones `polite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Register {
    Casual,
    Polite,
}

impl Register {
    const ALL: [Register; 2] = [Register::Casual, Register::Polite];

    fn of(formality: Formality) -> Register {
        match formality {
            Formality::Casual => Register::Casual,
            Formality::Neutral | Formality::Formal => Register::Polite,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Register::Casual => "casual",
            Register::Polite => "polite",
        }
    }
}

/// The code-mixed banks of a run: the mixes the config enables, their lines compiled into the phrase bank.
pub struct CodeMixes {
    share: Share,
    /// Each enabled mix with the act keys it has lines for.
    mixes: BTreeMap<String, BTreeSet<&'static str>>,
}

/// The template group of a mix's lines for one act and register.
fn group(mix: &str, act: &str, register: Register) -> String {
    format!("mix.{mix}.{act}.{}", register.key())
}

impl CodeMixes {
    /// Parse and check `file`, compile every mix's lines into `bank` (so a broken line fails even in a mix that is
    /// off), and keep the `enabled` ones; an enabled mix the file lacks is an error. `acts` are the user's act keys.
    pub(super) fn load(
        file: &DataFile,
        enabled: &[String],
        acts: &[&'static str],
        bank: &mut TemplateBank,
    ) -> Result<Self> {
        let parsed: CodeMixFile = crate::data::parse(file)?;
        let bad = |what: String| Error::data(&file.origin, what);
        let s = parsed.share;
        if [s.casual, s.neutral, s.formal]
            .iter()
            .any(|x| !(0.0..=1.0).contains(x))
        {
            return Err(bad("[share]: each factor must be in [0, 1]".into()));
        }
        let mut mixes = BTreeMap::new();
        for (key, mix) in parsed.mixes {
            if !is_language_mix(&key) {
                return Err(bad(format!(
                    "[mixes.{key}]: a mix is named like `en-hi` (language codes joined by a hyphen)"
                )));
            }
            let mut kept = BTreeSet::new();
            for (act_key, lines) in &mix.acts {
                let act = acts.iter().copied().find(|a| a == act_key).ok_or_else(|| {
                    bad(format!(
                        "[mixes.{key}.acts.{act_key}]: not a user act (one of {})",
                        acts.join(", ")
                    ))
                })?;
                for register in Register::ALL {
                    let list = match register {
                        Register::Casual => &lines.casual,
                        Register::Polite => &lines.polite,
                    };
                    if list.is_empty() {
                        return Err(bad(format!(
                            "mixes.{key}.acts.{act_key}.{} is empty",
                            register.key()
                        )));
                    }
                    bank.add_group(&group(&key, act, register), list, &file.origin)?;
                }
                kept.insert(act);
            }
            mixes.insert(key, kept);
        }
        for key in enabled {
            if !mixes.contains_key(key) {
                return Err(bad(format!(
                    "profiles.language_mixes enables `{key}`, but there is no [mixes.{key}] to phrase it from"
                )));
            }
        }
        mixes.retain(|key, _| enabled.contains(key));
        Ok(CodeMixes {
            share: parsed.share,
            mixes,
        })
    }

    /// The group to phrase the act keyed `act` from when this turn of `persona` is code-mixed, `None` for an English
    /// turn. Draws from `rng` only when the persona's mix is enabled, has lines for the act and a share above 0, so
    /// plain-English dialogues keep their draws.
    pub(super) fn pick_group(
        &self,
        act: &str,
        persona: &Persona,
        code_mix_rate: f64,
        rng: &mut Rng,
    ) -> Option<String> {
        let mix = self.mixes.get(&persona.language_mix)?;
        if !mix.contains(act) {
            return None;
        }
        let factor = match persona.formality {
            Formality::Casual => self.share.casual,
            Formality::Neutral => self.share.neutral,
            Formality::Formal => self.share.formal,
        };
        // A share of 0 draws nothing: a run that turns mixing off speaks exactly as an English one.
        let share = (code_mix_rate * factor).clamp(0.0, 1.0);
        (share > 0.0 && rng.chance(share))
            .then(|| group(&persona.language_mix, act, Register::of(persona.formality)))
    }
}
